"""Imports on the web, on SQLite and PostgreSQL: a study's .qdpx comes back as a new study
owned by the uploader, with the file's coders named import:<name>; a codebook CSV or .qdc
merges into a study; hostile or wrong files are refused with the reason and change nothing;
only researchers and admins import projects and only owners merge codebooks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from techforce.db import Database
from techforce.research.models import Code, Coding, Source, Study
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.research.conftest import CODER_A, CODER_B, OWNER, PASSWORD, StudyWorld, make_study
from tests.web.conftest import csrf_of


class Site:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.world: StudyWorld = make_study(db)
        self.db = db
        self.app = create_app(settings, db)
        self.clients: list[TestClient] = []

    def client(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(self.app)
        self.clients.append(c)
        page = c.get("/login")
        done = c.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        return c, csrf_of(c.get("/research").text)

    def counts(self) -> tuple[int, int, int]:
        with self.db.session() as s:
            return (
                s.scalar(select(func.count()).select_from(Study)) or 0,
                s.scalar(select(func.count()).select_from(Code)) or 0,
                s.scalar(select(func.count()).select_from(Coding)) or 0,
            )


@pytest.fixture
def site(settings: Settings, db: Database) -> Iterator[Site]:
    made = Site(settings, db)
    yield made
    for c in made.clients:
        c.close()


def _upload(c: TestClient, csrf: str, path: str, name: str, data: bytes, **kw: Any) -> Any:
    return c.post(
        path, files={"file": (name, data, "application/octet-stream")}, headers={"X-CSRF-Token": csrf}, **kw
    )


def test_an_exported_study_comes_back_as_a_new_study(site: Site) -> None:
    c, csrf = site.client(OWNER)
    exported = c.get(f"/research/{site.world.guid}/project.qdpx")
    assert exported.status_code == 200
    made = _upload(c, csrf, "/api/research/import", "study.qdpx", exported.content)
    assert made.status_code == 201, made.text
    new = made.json()["study"]
    assert new != site.world.guid
    with site.db.session() as s:
        st = s.scalar(select(Study).where(Study.guid == new))
        assert st is not None
        sources = s.scalar(select(func.count()).select_from(Source).where(Source.study_id == st.id))
        coders = set(s.scalars(select(Coding.coder).where(Coding.study_id == st.id)))
    assert sources == 2
    assert coders == {f"import:{CODER_A}", f"import:{CODER_B}"}
    page = c.get(made.json()["href"])
    assert page.status_code == 200 and "owner" in page.text.lower()


def test_a_hostile_project_is_refused_and_nothing_is_made(site: Site) -> None:
    c, csrf = site.client(OWNER)
    before = site.counts()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.txt", "x")
        archive.writestr("project.qde", "<Project/>")
    refused = _upload(c, csrf, "/api/research/import", "evil.qdpx", buffer.getvalue())
    assert 400 <= refused.status_code < 500 and "evil.qdpx" in refused.json()["detail"]
    html = _upload(c, csrf, "/research/import", "notes.txt", b"hello", follow_redirects=False)
    assert html.status_code == 422 and "notes.txt" in html.text and "qdpx" in html.text
    assert site.counts() == before


def test_only_researchers_and_admins_import_projects(site: Site) -> None:
    c, csrf = site.client(CODER_B)  # a technician
    assert _upload(c, csrf, "/api/research/import", "x.qdpx", b"PK").status_code == 403


def test_a_codebook_csv_merges_into_the_study(site: Site) -> None:
    c, csrf = site.client(OWNER)
    guid = site.world.guid
    csv = c.get(f"/research/{guid}/codebook.csv").text
    csv = csv.rstrip("\n") + "\nCareers / Pay,Pay,#aa0000,Talk about pay and grading,,,\n"
    merged = _upload(c, csrf, f"/api/research/{guid}/codebook/import", "codebook.csv", csv.encode())
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert any("Pay" in a for a in body["added"]) and body["version"] >= 1
    book = c.get(f"/api/research/{guid}/codebook").json()
    assert any(code["name"] == "Pay" for code in book["codes"])
    html = _upload(c, csrf, f"/research/{guid}/codebook/import", "codebook.csv", csv.encode())
    assert html.status_code == 200 and "Codebook merged" in html.text


def test_a_wrong_codebook_file_changes_nothing(site: Site) -> None:
    c, csrf = site.client(OWNER)
    guid = site.world.guid
    before = site.counts()
    wrong = _upload(c, csrf, f"/research/{guid}/codebook/import", "codes.txt", b"Roles\n")
    assert wrong.status_code == 422 and "codes.txt" in wrong.text and ".qdc" in wrong.text
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CodeBook>&a;</CodeBook>'
    refused = _upload(c, csrf, f"/api/research/{guid}/codebook/import", "codebook.qdc", bomb)
    assert 400 <= refused.status_code < 500 and "codebook.qdc" in refused.json()["detail"]
    assert site.counts() == before
    coder, coder_csrf = site.client(CODER_A)
    assert (
        _upload(coder, coder_csrf, f"/api/research/{guid}/codebook/import", "c.csv", b"x").status_code == 403
    )
