"""The research pages through the real app, on SQLite and PostgreSQL: creating a study,
uploading a transcript with an emoji (offsets in code points), coding through the JSON API
and seeing it on the page, the rights of viewers and coders, blind coding, the codebook,
review and resolving a disagreement, and non-members who learn nothing (404, no name)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from techforce.db import Database
from techforce.research.models import Coding, Source
from techforce.research.transcripts import utf16_offset
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.research.conftest import (
    CODER_A,
    CODER_B,
    OUTSIDER,
    OWNER,
    PASSWORD,
    VIEWER,
    StudyWorld,
    make_study,
)
from tests.web.conftest import csrf_of

NAME = "Strategic technical leadership"


@dataclass
class Site:
    world: StudyWorld
    client: Any  # a factory: username -> (TestClient, csrf)


@pytest.fixture
def site(settings: Settings, db: Database) -> Iterator[Site]:
    world = make_study(db)
    app = create_app(settings, db)
    clients: list[TestClient] = []

    def client(username: str) -> tuple[TestClient, str]:
        c = TestClient(app)
        clients.append(c)
        page = c.get("/login")
        done = c.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        return c, csrf_of(c.get("/research").text)

    yield Site(world, client)
    for c in clients:
        c.close()


def _api(c: TestClient, csrf: str, method: str, path: str, body: Any = None) -> Any:
    return c.request(method, path, json=body, headers={"X-CSRF-Token": csrf})


def test_a_researcher_creates_a_study_and_sees_it(site: Site) -> None:
    c, csrf = site.client(OWNER)
    made = c.post(
        "/research",
        data={
            "csrf_token": csrf,
            "name": "Career paths <b>",
            "kind": "focus-group",
            "protocol": "Careers\n- How did you start?\n- What next?",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = c.get(made.headers["location"])
    assert page.status_code == 200 and "Study created" in page.text
    assert "Career paths &lt;b&gt;" in page.text and "<b>" not in page.text.split("<main", 1)[1]
    guid = made.headers["location"].split("/")[2].split("?")[0]
    data = c.get(f"/api/research/{guid}").json()
    assert data["right"] == "owner" and data["members"] == [{"username": OWNER, "right": "owner"}]
    assert data["protocol"] == [{"topic": "Careers", "questions": ["How did you start?", "What next?"]}]
    listed = c.get("/api/research").json()["studies"]
    assert {s["name"] for s in listed} == {"Career paths <b>", NAME}
    # a question before any topic is refused with the line, and nothing is created
    bad = c.post("/research", data={"csrf_token": csrf, "name": "X", "protocol": "- orphan"})
    assert bad.status_code == 422 and "line 1" in bad.text
    assert len(c.get("/api/research").json()["studies"]) == 2
    # a technician may not create studies
    t, tcsrf = site.client(CODER_B)
    assert _api(t, tcsrf, "POST", "/api/research", {"name": "Mine", "kind": "interview"}).status_code == 403
    assert "New study" not in t.get("/research").text


def test_upload_a_transcript_and_code_after_an_emoji(site: Site) -> None:
    w = site.world
    c, csrf = site.client(OWNER)
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Interviewer>Tell me 🧪 about it.\n\n"
        "00:00:05.000 --> 00:00:09.500\n<v P03>Café 👩🏽‍🔬 talk helped me.\n"
    )
    sent = c.post(
        f"/research/{w.guid}/sources/upload",
        data={"csrf_token": csrf, "participant": str(w.cases[2]), "name": "P03 interview"},
        files={"file": ("p03.vtt", vtt.encode(), "text/vtt")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:300]
    overview = c.get(f"/api/research/{w.guid}").json()
    row = next(s for s in overview["sources"] if s["name"] == "P03 interview")
    assert row["participant"] == "P03" and row["turns"] == 2
    view = c.get(f"/api/research/{w.guid}/sources/{row['id']}").json()
    second = view["turns"][1]
    assert second["speaker"] == "P03" and second["begins_at"] == "0:00:05"
    with w.db.session() as s:
        text = s.get(Source, row["id"]).text
    start = text.index("talk")  # code points: the emoji before it are several code points, not UTF-16 units
    assert utf16_offset(text, start) > start
    coded = _api(
        c,
        csrf,
        "POST",
        f"/api/research/{w.guid}/sources/{row['id']}/codings",
        {"code": w.codes["Support"], "start": start, "end": start + len("talk helped me.")},
    )
    assert coded.status_code == 201 and coded.json()["text"] == "talk helped me."
    html = c.get(f"/research/{w.guid}/sources/{row['id']}").text
    assert f'data-start="{start}"' in html and "talk helped me." in html
    assert '<div class="said" data-start="' in html and "👩🏽‍🔬" in html
    # a file that is not a transcript is refused with its name; nothing is stored
    bad = c.post(
        f"/research/{w.guid}/sources/upload",
        data={"csrf_token": csrf},
        files={"file": ("notes.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert bad.status_code == 422 and "notes.pdf" in bad.text
    assert len(c.get(f"/api/research/{w.guid}").json()["sources"]) == 3


def test_coding_through_the_api_shows_on_the_page_and_can_be_removed(site: Site) -> None:
    w = site.world
    c, csrf = site.client(CODER_A)
    with w.db.session() as s:
        text = s.get(Source, w.sources[1]).text
    start = text.index("Herschel")
    path = f"/api/research/{w.guid}/sources/{w.sources[1]}/codings"
    made = _api(c, csrf, "POST", path, {"code": w.codes["Support"], "start": start, "end": start + 8})
    assert made.status_code == 201
    view = made.json()
    assert view["coder"] == CODER_A and view["text"] == "Herschel" and view["removable"]
    page = c.get(f"/research/{w.guid}/sources/{w.sources[1]}").text
    assert f'id="coding-{view["id"]}"' in page and "<q>Herschel</q>" in page
    # outside the text: refused, nothing stored
    wide = _api(c, csrf, "POST", path, {"code": w.codes["Support"], "start": 0, "end": len(text) + 5})
    assert wide.status_code == 422 and "outside the source" in wide.json()["detail"]
    # without the CSRF token: refused
    assert c.post(path, json={"code": w.codes["Support"], "start": 0, "end": 3}).status_code == 403
    # another coder cannot remove it; its coder can
    b, bcsrf = site.client(CODER_B)
    assert _api(b, bcsrf, "DELETE", f"/api/research/{w.guid}/codings/{view['id']}").status_code == 404
    assert _api(c, csrf, "DELETE", f"/api/research/{w.guid}/codings/{view['id']}").status_code == 200
    assert f'id="coding-{view["id"]}"' not in c.get(f"/research/{w.guid}/sources/{w.sources[1]}").text


def test_a_viewer_reads_but_cannot_code(site: Site) -> None:
    w = site.world
    v, csrf = site.client(VIEWER)
    page = v.get(f"/research/{w.guid}/sources/{w.sources[0]}")
    assert page.status_code == 200 and "P01" in page.text
    assert 'data-can-code=""' in page.text and "disabled" in page.text
    path = f"/api/research/{w.guid}/sources/{w.sources[0]}/codings"
    refused = _api(v, csrf, "POST", path, {"code": w.codes["Support"], "start": 0, "end": 5})
    assert refused.status_code == 403
    form = v.post(
        f"/research/{w.guid}/sources/{w.sources[0]}/codings",
        data={"csrf_token": csrf, "code": str(w.codes["Support"]), "start": "0", "end": "5"},
    )
    assert form.status_code == 403
    with w.db.session() as s:
        assert s.scalars(select(Coding).where(Coding.coder == VIEWER)).first() is None
    # a viewer may not add codes or members either
    assert _api(v, csrf, "POST", f"/api/research/{w.guid}/codebook/codes", {"name": "New"}).status_code == 403
    member = {"username": OUTSIDER, "right": "owner"}
    assert _api(v, csrf, "POST", f"/api/research/{w.guid}/members", member).status_code == 403


def _routes(routes: list[Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for r in routes:
        if isinstance(r, APIRoute):
            found |= {(m, r.path) for m in r.methods or ()}
        elif hasattr(r, "original_router"):  # an included router
            found |= _routes(r.original_router.routes)
    return found


def test_an_outsider_gets_404_without_the_name_on_every_study_route(site: Site) -> None:
    w = site.world
    o, csrf = site.client(OUTSIDER)
    routes = sorted((m, p) for m, p in _routes(o.app.routes) if "{study}" in p)
    assert len(routes) >= 40
    values = {
        "{study}": w.guid,
        "{source}": str(w.sources[0]),
        "{case}": str(w.cases[0]),
        "{code}": str(w.codes["Roles"]),
        "{coding_id}": "1",
        "{memo}": "1",
        "{username}": CODER_A,
    }
    for method, template in routes:
        path = template
        for k, v in values.items():
            path = path.replace(k, v)
        path = re.sub(r"\{[a-z_]+\}", "1", path)
        response = o.request(method, path, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
        assert response.status_code == 404, (method, path, response.status_code)
        assert NAME not in response.text and "Strategic" not in response.text, (method, path)
    # and the same for a study that does not exist
    assert o.get("/research/00000000-0000-4000-8000-000000000000").status_code == 404
    assert NAME not in o.get("/research").text


def test_a_coder_never_sees_another_coders_codings(site: Site) -> None:
    w = site.world
    b, _ = site.client(CODER_B)
    view = b.get(f"/api/research/{w.guid}/sources/{w.sources[0]}").json()
    assert view["codings"] and {c["coder"] for c in view["codings"]} == {CODER_B}
    assert view["layers"] == [] and view["can_code"] is True
    page = b.get(f"/research/{w.guid}/sources/{w.sources[0]}").text
    assert "grade ceiling at grade 8 stopped" not in page.split('id="codings"', 1)[1]  # only colin coded it
    # asking for another coder's layer, or the review, is refused
    assert (
        b.get(
            f"/api/research/{w.guid}/sources/{w.sources[0]}", params={"layer": f"coder:{CODER_A}"}
        ).status_code
        == 404
    )
    assert b.get(f"/api/research/{w.guid}/review").status_code == 403
    # counts on the list and the codebook are the coder's own
    mine = next(s for s in b.get("/api/research").json()["studies"] if s["guid"] == w.guid)
    assert mine["codings"] == 2
    codebook = b.get(f"/api/research/{w.guid}/codebook").json()
    assert next(c for c in codebook["codes"] if c["id"] == w.codes["Careers/Grade ceiling"])["codings"] == 0
    # the owner may switch to any coder's layer
    o, _ = site.client(OWNER)
    other = o.get(
        f"/api/research/{w.guid}/sources/{w.sources[0]}", params={"layer": f"coder:{CODER_A}"}
    ).json()
    assert {c["coder"] for c in other["codings"]} == {CODER_A} and len(other["codings"]) == 2
    assert other["can_code"] is False


def test_the_owner_resolves_a_disagreement_in_review(site: Site) -> None:
    w = site.world
    o, csrf = site.client(OWNER)
    review = o.get(f"/api/research/{w.guid}/review").json()
    assert review["coders"] == [CODER_B, CODER_A] or review["coders"] == sorted([CODER_A, CODER_B])
    assert review["kappa"] is not None and review["alpha"] is not None
    (d,) = review["disagreements"]
    assert d["code"] == "Careers / Grade ceiling" and d["applied_by"] == [CODER_A] and d["resolved"] == ""
    assert d["text"].startswith("The grade ceiling")
    page = o.get(f"/research/{w.guid}/review").text
    assert "Not resolved yet" in page and "Apply the code" in page
    done = o.post(
        f"/research/{w.guid}/review/resolve",
        data={
            "csrf_token": csrf,
            "code": str(d["code_id"]),
            "source": str(d["source_id"]),
            "start": str(d["start"]),
            "end": str(d["end"]),
            "decision": "apply",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = o.get(done.headers["location"]).text
    assert "Resolved: <strong>applied</strong>" in after
    consensus = o.get(
        f"/api/research/{w.guid}/sources/{d['source_id']}", params={"layer": "consensus"}
    ).json()
    assert any(c["code_id"] == d["code_id"] and c["start"] == d["start"] for c in consensus["codings"])
    # the other way round through the API
    body = {k: d[k] for k in ("start", "end")} | {
        "code": d["code_id"],
        "source": d["source_id"],
        "apply": False,
    }
    again = _api(o, csrf, "POST", f"/api/research/{w.guid}/review/resolve", body).json()
    assert again["disagreements"][0]["resolved"] == "not applied"
    # a viewer sees the review but cannot resolve
    v, vcsrf = site.client(VIEWER)
    seen = v.get(f"/research/{w.guid}/review").text
    assert "Resolved:" in seen and "Apply the code" not in seen
    assert _api(v, vcsrf, "POST", f"/api/research/{w.guid}/review/resolve", body).status_code == 403
    # only one coder chosen: agreement cannot be computed, and the page says why
    one = o.get(f"/api/research/{w.guid}/review", params={"coder": CODER_A}).json()
    assert one["codes"] == [] or one["coders"] == [CODER_A]


def test_codebook_changes_merge_split_and_versions(site: Site) -> None:
    w = site.world
    o, csrf = site.client(OWNER)
    base = f"/research/{w.guid}/codebook"
    added = o.post(
        base + "/codes",
        data={"csrf_token": csrf, "name": "Recognition", "colour": "#aa00ff", "shortcut": "g", "parent": ""},
        follow_redirects=False,
    )
    assert added.status_code == 303
    clash = o.post(base + "/codes", data={"csrf_token": csrf, "name": "Other", "shortcut": "r", "parent": ""})
    assert clash.status_code == 409 and "shortcut" in clash.text and "Roles" in clash.text
    codes = {c["name"]: c for c in o.get(f"/api/research/{w.guid}/codebook").json()["codes"]}
    assert codes["Recognition"]["colour"] == "#aa00ff"
    merged = o.post(
        base + "/merge",
        data={
            "csrf_token": csrf,
            "merged": [str(w.codes["Careers/Grade ceiling"])],
            "into": str(w.codes["Careers"]),
        },
        follow_redirects=False,
    )
    assert merged.status_code == 303
    after = o.get(f"/api/research/{w.guid}/codebook").json()
    assert "Grade ceiling" not in {c["name"] for c in after["codes"]}
    assert next(c for c in after["codes"] if c["name"] == "Careers")["codings"] == 1
    # split Support: the first of its codings to a new code, the rest stay
    support = next(s for s in after["splits"] if s["code_id"] == w.codes["Support"])
    first = support["codings"][0]["id"]
    split = o.post(
        base + "/split",
        data={
            "csrf_token": csrf,
            "code": str(w.codes["Support"]),
            "names": "Mentoring\nCoaching",
            f"assign-{first}": "1",
        },
        follow_redirects=False,
    )
    assert split.status_code == 303, split.text[:300]
    final = o.get(f"/api/research/{w.guid}/codebook").json()
    names = {c["name"]: c for c in final["codes"]}
    assert names["Mentoring"]["codings"] == 1 and names["Support"]["codings"] == 1
    version = o.post(
        base + "/versions", data={"csrf_token": csrf, "note": "after the pilot"}, follow_redirects=False
    )
    assert version.status_code == 303
    page = o.get(base).text
    assert "after the pilot" in page and "Import and export" in page
    assert o.get(f"/api/research/{w.guid}/codebook").json()["versions"][0]["number"] == 1


def test_members_participants_and_consent(site: Site) -> None:
    w = site.world
    o, csrf = site.client(OWNER)
    base = f"/research/{w.guid}"
    added = o.post(
        base + "/members",
        data={"csrf_token": csrf, "username": OUTSIDER, "right": "viewer"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    n, _ = site.client(OUTSIDER)
    assert n.get(base).status_code == 200  # now a member
    unknown = o.post(base + "/members", data={"csrf_token": csrf, "username": "ghost", "right": "coder"})
    assert unknown.status_code == 422 and "ghost" in unknown.text
    last = o.post(base + "/members", data={"csrf_token": csrf, "username": OWNER, "action": "remove"})
    assert last.status_code == 400 and "only owner" in last.text
    made = o.post(
        base + "/participants",
        data={
            "csrf_token": csrf,
            "pseudonym": "P04",
            "participant_type": "technician",
            "attributes": "sex: F\nband: 6",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    data = o.get(f"/api/research/{w.guid}").json()
    p04 = next(p for p in data["participants"] if p["pseudonym"] == "P04")
    assert p04["attributes"] == {"sex": "F", "band": "6"} and p04["consent"] is None
    taken = o.post(base + "/participants", data={"csrf_token": csrf, "pseudonym": "P01"})
    assert taken.status_code == 409 and "taken" in taken.text
    consent = o.post(
        base + f"/participants/{p04['id']}/consent",
        data={"csrf_token": csrf, "may_quote": "yes", "may_name": "yes"},
        follow_redirects=False,
    )
    assert consent.status_code == 303
    p04 = next(p for p in o.get(f"/api/research/{w.guid}").json()["participants"] if p["pseudonym"] == "P04")
    assert p04["consent"]["may_quote"] and p04["consent"]["may_name"] and not p04["consent"]["may_archive"]
    page = o.get(base).text
    assert "may be quoted" in page and "no archiving" in page


def test_hostile_text_is_escaped_in_the_coding_view(site: Site) -> None:
    w = site.world
    o, csrf = site.client(OWNER)
    text = 'P09: <script>alert(1)</script> "quoted" & <img src=x onerror=alert(2)>\n'
    o.post(
        f"/research/{w.guid}/sources/upload",
        data={"csrf_token": csrf, "name": "<i>evil</i>"},
        files={"file": ("evil.txt", text.encode(), "text/plain")},
    )
    source = next(s for s in o.get(f"/api/research/{w.guid}").json()["sources"] if s["name"] == "<i>evil</i>")
    page = o.get(f"/research/{w.guid}/sources/{source['id']}").text
    body = page.split("<main", 1)[1]
    assert "<script>alert" not in body and "<img src=x" not in body and "<i>evil</i>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_hostile_ids_are_refused_not_crashed(site: Site) -> None:
    """Ids that do not fit the store's integers, or are not digits, are refused (422), on
    PostgreSQL too, and change nothing."""
    w = site.world
    o, csrf = site.client(OWNER)
    huge = 2**40
    base = f"/api/research/{w.guid}"
    assert _api(o, csrf, "POST", base + "/memos", {"text": "x", "coding_id": huge}).status_code == 422
    assert _api(o, csrf, "POST", base + "/codebook/merge", {"merged": [huge], "into": 1}).status_code == 422
    assert (
        _api(o, csrf, "POST", base + "/codebook/codes", {"name": "Deep", "parent_id": huge}).status_code
        == 422
    )
    split = {"code": w.codes["Support"], "new": [{"name": "A"}], "assign": {str(huge): 0}}
    assert _api(o, csrf, "POST", base + "/codebook/split", split).status_code == 422
    coded = {"code": w.codes["Support"], "start": 0, "end": huge}
    assert _api(o, csrf, "POST", base + f"/sources/{w.sources[0]}/codings", coded).status_code == 422
    form = f"/research/{w.guid}/sources/upload"
    sent = o.post(
        form,
        data={"csrf_token": csrf, "participant": "\u00b2"},
        files={"file": ("x.txt", b"P: hello", "text/plain")},
    )
    assert sent.status_code == 422 and "participant" in sent.text
    split_form = o.post(
        f"/research/{w.guid}/codebook/split",
        data={"csrf_token": csrf, "code": str(w.codes["Support"]), "names": "A", f"assign-{huge}": "1"},
        follow_redirects=False,
    )
    assert split_form.status_code in (303, 422)
    names = {c["name"] for c in o.get(base + "/codebook").json()["codes"]}
    assert "Deep" not in names
