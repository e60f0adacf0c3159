"""Assisted coding through the real app, on SQLite and PostgreSQL: a coder builds the study's
index in the background, asks for suggestions for a code, and accepts one (it becomes their
coding) or rejects one; suggestions stay the asking coder's own (blind coding); search by
meaning links to the passage; viewers search but never suggest; without the extra, the page
says how to install it and the actions refuse. The model tests need ``techforce[nlp]``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from techforce import errors
from techforce.db import Database
from techforce.research import assist
from techforce.research.models import Coding, Suggestion
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.research.conftest import CODER_A, CODER_B, OUTSIDER, PASSWORD, VIEWER, StudyWorld, make_study
from tests.web.conftest import csrf_of

needs_model = pytest.mark.skipif(not assist.available(), reason="needs the extra techforce[nlp]")


class Site:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.world: StudyWorld = make_study(db)
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

    def wait(self) -> None:
        self.app.state.services["research"].builds.wait(timeout=300)


@pytest.fixture
def site(settings: Settings, db: Database) -> Iterator[Site]:
    made = Site(settings, db)
    yield made
    made.wait()
    for c in made.clients:
        c.close()


def _post(c: TestClient, csrf: str, path: str, body: Any = None) -> Any:
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf})


def _built(site: Site) -> tuple[TestClient, str]:
    c, csrf = site.client(CODER_A)
    started = _post(c, csrf, f"/api/research/{site.world.guid}/assist/index")
    assert started.status_code == 202, started.text
    site.wait()
    return c, csrf


@needs_model
def test_a_coder_builds_the_index_and_accepts_a_suggestion(site: Site, db: Database) -> None:
    guid, support = site.world.guid, site.world.codes["Support"]
    c, csrf = _built(site)
    state = c.get(f"/api/research/{guid}/assist").json()
    assert state["index"]["built"] and not state["index"]["stale"], state
    assert state["index"]["sources"] == state["index"]["current"] == 2
    assert state["build"]["error"] == "" and not state["build"]["running"]

    asked = _post(c, csrf, f"/api/research/{guid}/assist/codes/{support}/suggest")
    assert asked.status_code == 200, asked.text
    assert asked.json()["stored"] > 0
    page = c.get(f"/api/research/{guid}/assist").json()
    mine = [s for s in page["suggestions"] if s["code_id"] == support]
    assert mine and all(s["model"] == assist.MODEL_NAME and s["version"] for s in mine)
    assert mine == sorted(mine, key=lambda s: -s["score"])
    with db.session() as s:
        coded = s.execute(
            select(Coding.source_id, Coding.start, Coding.end).where(
                Coding.code_id == support, Coding.coder == CODER_A
            )
        ).all()
    for found in mine:  # never a passage the coder has already coded with this code
        assert not any(
            src == found["source_id"] and a < found["end"] and found["start"] < b for src, a, b in coded
        ), found
    assert f"#at-{mine[0]['start']}-{mine[0]['end']}" in mine[0]["href"]

    first, second = mine[0], mine[1] if len(mine) > 1 else None
    accepted = _post(c, csrf, f"/api/research/{guid}/suggestions/{first['id']}", {"accept": True})
    assert accepted.status_code == 200, accepted.text
    made = accepted.json()["coding"]
    view = c.get(f"/api/research/{guid}/sources/{first['source_id']}").json()
    assert any(k["id"] == made and k["start"] == first["start"] for k in view["codings"]), view["codings"]
    again = _post(c, csrf, f"/api/research/{guid}/suggestions/{first['id']}", {"accept": False})
    assert again.status_code in (404, 409)
    if second is not None:
        rejected = _post(c, csrf, f"/api/research/{guid}/suggestions/{second['id']}", {"accept": False})
        assert rejected.status_code == 200 and rejected.json()["coding"] is None
        with db.session() as s:
            row = s.get(Suggestion, second["id"])
            assert row is not None and row.status == "rejected" and row.decided_by == CODER_A
        asked = _post(c, csrf, f"/api/research/{guid}/assist/codes/{support}/suggest")
        again_open = c.get(f"/api/research/{guid}/assist").json()["suggestions"]
        assert all(
            (s["source_id"], s["start"]) != (second["source_id"], second["start"]) for s in again_open
        ), "a rejected passage is suggested again"


@needs_model
def test_suggestions_are_the_asking_coders_own(site: Site) -> None:
    guid, support = site.world.guid, site.world.codes["Support"]
    c, csrf = _built(site)
    assert _post(c, csrf, f"/api/research/{guid}/assist/codes/{support}/suggest").json()["stored"] > 0
    theirs = c.get(f"/api/research/{guid}/assist").json()["suggestions"]
    other, other_csrf = site.client(CODER_B)
    assert other.get(f"/api/research/{guid}/assist").json()["suggestions"] == []
    asked = _post(other, other_csrf, f"/api/research/{guid}/assist/codes/{support}/suggest")
    assert asked.status_code == 200  # B asking for the same code leaves A's suggestions alone
    assert c.get(f"/api/research/{guid}/assist").json()["suggestions"] == theirs
    taken = _post(other, other_csrf, f"/api/research/{guid}/suggestions/{theirs[0]['id']}", {"accept": True})
    missing = _post(other, other_csrf, f"/api/research/{guid}/suggestions/999999", {"accept": True})
    assert taken.status_code == missing.status_code == 404
    assert CODER_A not in taken.text


@needs_model
def test_search_by_meaning_links_to_the_passage(site: Site) -> None:
    guid = site.world.guid
    c, _ = _built(site)
    found = c.get(f"/api/research/{guid}/assist", params={"q": "someone to guide me in my career"}).json()
    assert found["results"], found
    best = found["results"][0]
    assert best["href"] == f"/research/{guid}/sources/{best['source_id']}#at-{best['start']}-{best['end']}"
    assert best["score"] >= found["results"][-1]["score"]
    viewer, _ = site.client(VIEWER)
    html = viewer.get(f"/research/{guid}/assist", params={"q": "mentoring"})
    assert html.status_code == 200 and "Search by meaning" in html.text
    assert "Ask for suggestions" not in html.text  # viewers do not code


def test_suggesting_before_the_index_is_built_says_what_to_do(site: Site) -> None:
    c, csrf = site.client(CODER_A)
    asked = _post(
        c, csrf, f"/api/research/{site.world.guid}/assist/codes/{site.world.codes['Support']}/suggest"
    )
    assert asked.status_code == 409
    assert "build" in asked.json()["detail"].lower() or "install" in asked.json()["detail"].lower()


def test_viewers_and_outsiders_cannot_suggest(site: Site) -> None:
    guid, support = site.world.guid, site.world.codes["Support"]
    viewer, csrf = site.client(VIEWER)
    assert _post(viewer, csrf, f"/api/research/{guid}/assist/codes/{support}/suggest").status_code == 403
    assert _post(viewer, csrf, f"/api/research/{guid}/assist/index").status_code == 403
    outsider, csrf = site.client(OUTSIDER)
    page = outsider.get(f"/research/{guid}/assist")
    assert page.status_code == 404 and "Strategic technical leadership" not in page.text
    assert _post(outsider, csrf, f"/api/research/{guid}/assist/index").status_code == 404


def test_without_the_extra_the_page_says_how_to_install_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assist, "available", lambda: False)
    c, csrf = site.client(CODER_A)
    page = c.get(f"/research/{site.world.guid}/assist")
    assert page.status_code == 200 and "pip install 'techforce[nlp]'" in page.text.replace("&#39;", "'")
    refused = _post(c, csrf, f"/api/research/{site.world.guid}/assist/index")
    assert refused.status_code == 409 and "techforce[nlp]" in refused.json()["detail"]


@needs_model
def test_a_replaced_source_is_never_suggested_or_found_from_the_old_index(site: Site) -> None:
    guid = site.world.guid
    c, csrf = _built(site)
    owner, owner_csrf = site.client("olivia")
    secret = "My manager Dr Jane Smith at Northgate bullied me for years about overtime."
    made = owner.post(
        f"/api/research/{guid}/sources/upload",
        files={"file": ("secret.txt", f"P09: {secret}\n".encode(), "text/plain")},
        headers={"X-CSRF-Token": owner_csrf},
    )
    assert made.status_code == 201, made.text
    assert _post(c, csrf, f"/api/research/{guid}/assist/index").status_code == 202
    site.wait()
    first = c.get(f"/api/research/{guid}/assist", params={"q": "manager bullied me"}).json()["results"]
    assert any("bullied" in r["text"] for r in first)
    gone = owner.delete(
        f"/api/research/{guid}/sources/{made.json()['source']}", headers={"X-CSRF-Token": owner_csrf}
    )
    assert gone.status_code == 200
    again = owner.post(
        f"/api/research/{guid}/sources/upload",
        files={
            "file": (
                "benign.txt",
                b"P09: We talked about the new microscope and the rota.\n",
                "text/plain",
            )
        },
        headers={"X-CSRF-Token": owner_csrf},
    )
    assert again.status_code == 201
    state = c.get(f"/api/research/{guid}/assist", params={"q": "manager bullied me"}).json()
    assert state["index"]["stale"]
    assert not any("bullied" in r["text"] for r in state["results"]), state["results"]
    _post(c, csrf, f"/api/research/{guid}/assist/codes/{site.world.codes['Support']}/suggest")
    mine = c.get(f"/api/research/{guid}/assist").json()["suggestions"]
    assert not any("bullied" in s["text"] for s in mine)


def test_only_coders_and_owners_get_suggestions(site: Site) -> None:
    from techforce.research import suggesting

    with pytest.raises(errors.Refused, match="does not code this study"):
        suggesting.suggest_code(
            site.world.db,
            site.world.guid,
            site.world.codes["Support"],
            actor=VIEWER,
            data_dir=Path("/nonexistent"),
        )
