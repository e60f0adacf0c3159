"""The library through the real app, on SQLite and PostgreSQL: the public catalogue without
signing in (search, facets, a resource, its download, OAI-PMH) never shows a private
resource; signed in, each user sees their audience's resources and a 404 for others';
curators add (a file upload), edit and remove, and a hostile file is refused with nothing
stored; titles are escaped."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.library import service
from techforce.library.models import Resource
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.web.conftest import csrf_of

PASSWORD = "correct horse battery staple 42"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture
def app(settings: Settings, db: Database) -> Any:
    with db.session() as s:
        accounts.create_user(s, "curator", "programme-manager", actor="t", password=PASSWORD)
        accounts.create_user(s, "tech", "technician", actor="t", password=PASSWORD)
        accounts.create_user(s, "lead", "provider-lead", ["10007792"], actor="t", password=PASSWORD)
        for slug, title, body, audience, kind in (
            ("registration", "Professional registration <b>explained</b>", "RSciTech and CSci registration.", ["public"], "guide"),
            ("succession", "Succession planning", "Workshop succession and retirement.", ["public"], "report"),
            ("members-note", "Notes for members", "Registration tips for signed-in staff.", ["signed-in"], "explainer"),
            ("pay-briefing", "Pay briefing for leads", "Confidential registration pay data.", ["provider:10007792"], "report"),
        ):  # fmt: skip
            data = service.checked(
                slug,
                slug=slug,
                title=title,
                kind=kind,
                audience=audience,
                published=date(2024, 5, 1),
                licence="CC-BY-4.0",
            )
            service.save_resource(
                s, data, actor="t", data_dir=settings.data_dir, file=(body.encode(), f"{slug}.txt")
            )
    return create_app(settings, db)


def _client(app: Any, username: str | None = None) -> tuple[TestClient, str]:
    c = TestClient(app)
    if username is None:
        return c, ""
    page = c.get("/login")
    done = c.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return c, csrf_of(c.get("/library").text)


def test_the_public_catalogue_shows_only_public_resources(app: Any, settings: Settings) -> None:
    c, _ = _client(app)
    found = c.get("/api/library/catalogue", params={"q": "registration"}).json()
    assert [r["slug"] for r in found["rows"]] == ["registration"]
    assert found["public_only"] and found["total"] == 1
    everything = c.get("/api/library/catalogue").json()
    assert {r["slug"] for r in everything["rows"]} == {"registration", "succession"}
    assert {v["value"]: v["count"] for v in everything["facets"][0]["values"]} == {
        "guide": 1,
        "report": 1,
    }
    html = c.get("/library/catalogue", params={"q": "registration"}).text
    assert (
        "Professional registration &lt;b&gt;explained&lt;/b&gt;" in html
        and "<mark>registration</mark>" in html.lower()
    )
    for private in ("members-note", "pay-briefing"):
        assert c.get(f"/library/catalogue/{private}").status_code == 404
        assert c.get(f"/library/catalogue/{private}/file").status_code == 404
        assert private not in c.get("/library/catalogue", params={"q": "registration pay"}).text


def test_a_facet_narrows_and_a_download_serves_the_file(app: Any) -> None:
    c, _ = _client(app)
    page = c.get("/api/library/catalogue").json()
    report = next(v for v in page["facets"][0]["values"] if v["value"] == "report")
    narrowed = c.get(report["href"].replace("/library/catalogue", "/api/library/catalogue")).json()
    assert [r["slug"] for r in narrowed["rows"]] == ["succession"]
    one = c.get("/api/library/catalogue/succession").json()
    got = c.get(one["file"])
    assert got.status_code == 200 and got.content == b"Workshop succession and retirement."
    assert (
        "attachment" in got.headers["content-disposition"]
        and "succession.txt" in got.headers["content-disposition"]
    )


def test_each_user_sees_their_audience(app: Any) -> None:
    tech, _ = _client(app, "tech")
    lead, _ = _client(app, "lead")
    curator, _ = _client(app, "curator")
    assert {r["slug"] for r in tech.get("/api/library").json()["rows"]} == {
        "registration",
        "succession",
        "members-note",
    }
    assert tech.get("/library/pay-briefing").status_code == 404
    assert tech.get("/library/pay-briefing/file").status_code == 404
    assert "Pay briefing" not in tech.get("/library/pay-briefing").text
    assert lead.get("/api/library/pay-briefing").json()["title"] == "Pay briefing for leads"
    assert lead.get("/library/pay-briefing/file").content == b"Confidential registration pay data."
    assert len(curator.get("/api/library").json()["rows"]) == 4


def test_a_curator_adds_edits_and_removes(app: Any, db: Database) -> None:
    c, csrf = _client(app, "curator")
    made = c.post(
        "/library",
        data={"csrf_token": csrf, "title": "Apprenticeships toolkit", "kind": "toolkit", "audience": ["public"], "pillars": ["sustainability"], "keywords": "apprentices\nlevy"},
        files={"file": ("toolkit.txt", b"Levy funding for technician apprentices.", "text/plain")},
        follow_redirects=False,
    )  # fmt: skip
    assert (
        made.status_code == 303 and made.headers["location"] == "/library/apprenticeships-toolkit?done=saved"
    )
    public, _ = _client(app)
    assert (
        public.get("/api/library/catalogue", params={"q": "levy"}).json()["rows"][0]["slug"]
        == "apprenticeships-toolkit"
    )
    edited = c.post(
        "/library/apprenticeships-toolkit",
        data={
            "csrf_token": csrf,
            "title": "Apprenticeships toolkit",
            "kind": "toolkit",
            "audience": ["signed-in"],
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert public.get("/library/catalogue/apprenticeships-toolkit").status_code == 404  # no longer public
    api = c.post(
        "/api/library",
        data={"title": "Careers video", "kind": "video", "url": "https://video.example.org/careers", "transcript": "A technician talks about careers."},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert api.status_code == 201, api.text
    assert c.delete(f"/api/library/{api.json()['slug']}", headers={"X-CSRF-Token": csrf}).status_code == 200
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Resource)) == 5


def test_a_hostile_file_is_refused_and_nothing_is_stored(app: Any, db: Database, settings: Settings) -> None:
    c, csrf = _client(app, "curator")
    before = sorted(p.name for p in (settings.data_dir / "library" / "files").rglob("*") if p.is_file())
    refused = c.post(
        "/library",
        data={"csrf_token": csrf, "title": "Bad", "kind": "report"},
        files={"file": ("bad.pdf", b"PK\x03\x04 not a pdf at all", "application/pdf")},
    )
    assert refused.status_code in (400, 422) and "bad.pdf" in refused.text and "Not saved" in refused.text
    assert 'value="Bad"' in refused.text  # what was typed is kept
    after = sorted(p.name for p in (settings.data_dir / "library" / "files").rglob("*") if p.is_file())
    assert after == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Resource)) == 4
    tech, tech_csrf = _client(app, "tech")
    assert (
        tech.post(
            "/api/library", data={"title": "x", "kind": "guide"}, headers={"X-CSRF-Token": tech_csrf}
        ).status_code
        == 403
    )


def test_oai_pmh_lists_public_records_only(app: Any) -> None:
    c, _ = _client(app)
    identify = c.get("/library/oai", params={"verb": "Identify"})
    assert identify.status_code == 200 and identify.headers["content-type"].startswith("text/xml")
    listed = etree.fromstring(
        c.get("/library/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}).content
    )
    ids = [e.text or "" for e in listed.iter(f"{OAI}identifier")]
    assert len(ids) == 2 and all(i.endswith(("registration", "succession")) for i in ids)
    missing = etree.fromstring(
        c.get("/library/oai", params={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": ids[0].rsplit(":", 1)[0] + ":pay-briefing"}).content
    )  # fmt: skip
    assert [e.get("code") for e in missing.iter(f"{OAI}error")] == ["idDoesNotExist"]


def test_reserved_and_unsafe_slugs(app: Any, tmp_path: Path) -> None:
    c, _ = _client(app)
    assert c.get("/library/catalogue/..%2F..%2Fetc").status_code in (404, 422)
    curator, csrf = _client(app, "curator")
    page = curator.post(
        "/library",
        data={
            "csrf_token": csrf,
            "title": "New",
            "kind": "guide",
            "slug": "new",
            "url": "https://example.org/",
        },
    )
    assert page.status_code == 422 and "slug" in page.text


def test_a_programme_page_lists_the_resources_that_support_it(settings: Settings, db: Database) -> None:
    from tests.programmes.conftest import make_world

    make_world(db, places=1)  # programmes "leaders" and "soldering"
    with db.session() as s:
        accounts.create_user(s, "tech", "technician", actor="t", password=PASSWORD)
        for slug, audience in (("leaders-guide", ["public"]), ("leaders-pay", ["provider:10009999"])):
            data = service.checked(
                slug, slug=slug, title=f"Guide {slug}", kind="guide", audience=audience,
                links=["programme:leaders"], url="https://example.org/" + slug,
            )  # fmt: skip
            service.save_resource(s, data, actor="t", data_dir=settings.data_dir)
    c, _ = _client(create_app(settings, db), "tech")
    related = c.get("/api/programmes/leaders").json()["related"]
    assert [r["href"] for r in related] == ["/library/leaders-guide"]  # not the private one
    assert "Resources for this programme" in c.get("/programmes/leaders").text
    assert c.get("/api/programmes/soldering").json()["related"] == []


def test_public_pages_hide_link_targets_and_big_files_upload(app: Any, db: Database) -> None:
    curator, csrf = _client(app, "curator")
    big = b"Technician careers. " * 180_000  # 3.6 MB: more than forms may send, less than uploads
    made = curator.post(
        "/api/library",
        data={"title": "Big text", "kind": "report", "links": "programme:secret-prog"},
        files={"file": ("big.txt", big, "text/plain")},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text[:300]
    public, _ = _client(app)
    assert public.get("/api/library/catalogue/big-text").json()["links"] == []
    assert curator.get("/api/library/big-text").json()["links"] == ["programme:secret-prog"]
    assert "secret-prog" not in public.get("/library/catalogue/big-text").text
