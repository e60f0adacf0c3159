"""The strategy pages through the real app, on SQLite and PostgreSQL: a provider lead signs
the Technician Commitment, pledges, writes the self-assessment, links evidence and edits
the action plan of their own provider; another provider's lead gets 403 on those pages and
404 for their objects' ids under their own URLs; a reviewer sees only the plan they were
invited to, read-only, with no link to the provider's pages; every page's JSON twin returns
the same data; an action's history shows each field before and after."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.library import service as library
from techforce.programmes import service as programmes
from techforce.settings import Settings
from techforce.strategy import service
from techforce.strategy.models import Action, Evidence, Recommendation, Submission
from techforce.web import strategy_files
from techforce.web.app import create_app
from tests.web.conftest import csrf_of

PASSWORD = "correct horse battery staple 42"
A_UKPRN, B_UKPRN = "10007792", "10000001"
PLAN_A = f"/strategy/providers/{A_UKPRN}/first-submission"
PLAN_B = f"/strategy/providers/{B_UKPRN}/first-submission"


@pytest.fixture
def app(settings: Settings, db: Database) -> Any:
    with db.session() as s:
        accounts.create_user(s, "lead-a", "provider-lead", [A_UKPRN], actor="t", password=PASSWORD)
        accounts.create_user(s, "lead-b", "provider-lead", [B_UKPRN], actor="t", password=PASSWORD)
        accounts.create_user(s, "peer", "technician", actor="t", password=PASSWORD)
        accounts.create_user(s, "stranger", "technician", actor="t", password=PASSWORD)
        accounts.create_user(s, "analyst", "sector-analyst", actor="t", password=PASSWORD)
        accounts.create_user(s, "admin", "admin", actor="t", password=PASSWORD)
        accounts.create_user(s, "gone", "technician", actor="t", password=PASSWORD)
        programmes.save_programme(
            s,
            programmes.ProgrammeIn(slug="herschel", title="Herschel", kind="cohort", capacity=20),
            actor="t",
        )
        service.install_shipped(s, "t")
        rec = s.scalars(select(Recommendation).order_by(Recommendation.id)).first()
        assert rec is not None
        data = library.checked(
            "guide",
            slug="leadership-guide",
            title="Technical leadership guide",
            kind="guide",
            audience=["public"],
            links=[f"recommendation:{rec.id}"],
        )
        library.save_resource(
            s, data, actor="t", data_dir=settings.data_dir, file=(b"Leadership.\n", "g.txt")
        )
    return create_app(settings, db)


def _client(app: Any, username: str) -> tuple[TestClient, str]:
    c = TestClient(app)
    page = c.get("/login")
    done = c.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return c, csrf_of(c.get("/strategy/recommendations").text)


def _post(c: TestClient, csrf: str, path: str, data: dict[str, Any], **kw: Any) -> Any:
    return c.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False, **kw)


def _first_rec(db: Database) -> int:
    with db.session() as s:
        found = s.scalar(select(func.min(Recommendation.id)))
        assert found is not None
        return int(found)


def _action(c: TestClient, csrf: str, **extra: str) -> int:
    form = {
        "objective": "Appoint a head of technical <b>services</b>",
        "pillar": "visibility",
        "owner": "lead-a",
        "deadline": "2027-07-31",
        "status": "in-progress",
        "progress": "20",
        "milestones": "2027-01-31 Job description agreed\n2027-03-31 Interviews [done]",
        **extra,
    }
    done = _post(c, csrf, f"{PLAN_A}/actions", form)
    assert done.status_code == 303, done.text[:500]
    found = re.search(r"/actions/(\d+)\?done=saved", done.headers["location"])
    assert found
    return int(found.group(1))


def test_a_lead_edits_their_plan_and_the_json_twins_agree(app: Any, db: Database) -> None:
    c, csrf = _client(app, "lead-a")
    rec = _first_rec(db)
    assert _post(c, csrf, f"/strategy/providers/{A_UKPRN}/sign", {"signed": "2023-01-15"}).status_code == 303
    assert (
        _post(
            c,
            csrf,
            f"/strategy/providers/{A_UKPRN}/pledges",
            {"recommendation": str(rec), "status": "in-progress"},
        ).status_code
        == 303
    )
    provider = c.get(f"/api/strategy/providers/{A_UKPRN}").json()
    assert provider["signed"] == "2023-01-15" and provider["cohort"] == "2023"
    assert [m["due"] for m in provider["standing"]] == ["2024-07-15", "2026-01-15", "2029-01-15"]
    assert provider["standing"][0]["state"] == "overdue"
    assert provider["pledges"][0]["status"] == "in-progress"
    page = c.get(f"/strategy/providers/{A_UKPRN}").text
    assert "2024-07-15" in page and "Overdue" in page

    done = _post(
        c,
        csrf,
        f"{PLAN_A}/pillars/visibility",
        {"narrative": "We publish a <script>register</script>.", "maturity": "3"},
    )
    assert done.status_code == 303
    _post(c, csrf, f"{PLAN_A}/statuses", {"recommendation": str(rec), "status": "done"})
    action_id = _action(c, csrf, recommendations=str(rec))
    plan = c.get(f"/api{PLAN_A}").json()
    pillar = next(p for p in plan["pillars"] if p["pillar"] == "visibility")
    assert pillar["maturity"] == 3 and pillar["narrative"].startswith("We publish")
    assert plan["statuses"][0]["status"] == "done"
    [row] = plan["actions"]
    assert row["id"] == action_id and row["progress"] == 20 and row["ref"] == "A1"
    assert [m["done"] for m in row["milestones"]] == [False, True]
    html = c.get(PLAN_A).text
    assert "&lt;script&gt;register&lt;/script&gt;" in html and "<script>register" not in html
    assert "Appoint a head of technical &lt;b&gt;services&lt;/b&gt;" in html
    assert 'value="20"' in html  # the progress bar

    # evidence: a resource by reference, a file upload, a removal
    assert (
        _post(
            c,
            csrf,
            f"{PLAN_A}/evidence",
            {"kind": "resource", "ref": "leadership-guide", "pillar": "visibility"},
        ).status_code
        == 303
    )
    upload = _post(
        c,
        csrf,
        f"{PLAN_A}/actions/{action_id}/evidence",
        {"kind": "file", "label": "Board minutes"},
        files={
            "file": (
                "minutes.txt",
                b"Board minutes: the head of technical services was appointed.\n",
                "text/plain",
            )
        },
    )
    assert upload.status_code == 303, upload.text[:300]
    plan = c.get(f"/api{PLAN_A}").json()
    pillar = next(p for p in plan["pillars"] if p["pillar"] == "visibility")
    assert [e["ref"] for e in pillar["evidence"]] == ["leadership-guide"]
    [file_item] = plan["actions"][0]["evidence"]
    assert file_item["label"] == "Board minutes" and file_item["file_name"] == "minutes.txt"
    got = c.get(file_item["href"])
    assert got.content.startswith(b"Board minutes") and "attachment" in got.headers["content-disposition"]
    missing = _post(
        c, csrf, f"{PLAN_A}/evidence", {"kind": "resource", "ref": "no-such-thing", "pillar": "visibility"}
    )
    assert missing.status_code == 404 and "no-such-thing" in missing.text
    removed = _post(c, csrf, f"{PLAN_A}/evidence/{pillar['evidence'][0]['id']}/remove", {})
    assert removed.status_code == 303
    assert (
        next(p for p in c.get(f"/api{PLAN_A}").json()["pillars"] if p["pillar"] == "visibility")["evidence"]
        == []
    )

    # the JSON twin of each page carries the data the page shows
    action_json = c.get(f"/api{PLAN_A}/actions/{action_id}").json()
    action_html = c.get(f"{PLAN_A}/actions/{action_id}").text
    assert action_json["action"]["objective"] in action_html.replace("&lt;", "<").replace("&gt;", ">")
    recs = c.get("/api/strategy/recommendations").json()
    assert {s["slug"] for s in recs["sets"]} >= {"stl-2024"}
    linked = next(r for s in recs["sets"] for r in s["recommendations"] if r["id"] == rec)
    assert [x["slug"] for x in linked["resources"]] == ["leadership-guide"]
    assert "Technical leadership guide" in c.get(f"/strategy/recommendations/{rec}").text
    assert (
        c.get(f"/api/strategy/recommendations/{rec}").json()["recommendation"]["resources"][0]["slug"]
        == "leadership-guide"
    )


def test_history_shows_each_field_before_and_after(app: Any) -> None:
    c, csrf = _client(app, "lead-a")
    action_id = _action(c, csrf)
    form = {
        "ref": "A1", "objective": "Appoint a head of technical <b>services</b>", "pillar": "visibility",
        "owner": "lead-a", "deadline": "2027-09-30", "status": "in-progress", "progress": "60",
        "milestones": "2027-01-31 Job description agreed [done]\n2027-03-31 Interviews [done]",
    }  # fmt: skip
    assert _post(c, csrf, f"{PLAN_A}/actions/{action_id}", form).status_code == 303
    history = c.get(f"/api{PLAN_A}/actions/{action_id}").json()["history"]
    assert len(history) == 2 and history[0]["actor"] == "lead-a"
    latest = {f["field"]: (f["before"], f["after"]) for f in history[0]["fields"]}
    assert latest["progress"] == ("20", "60")
    assert latest["deadline"] == ("2027-07-31", "2027-09-30")
    assert set(latest) == {"progress", "deadline", "milestones"}
    page = c.get(f"{PLAN_A}/actions/{action_id}").text
    assert "<del>20</del>" in page and "<ins>60</ins>" in page


def test_bad_input_reshows_the_form_and_changes_nothing(app: Any, db: Database) -> None:
    c, csrf = _client(app, "lead-a")
    bad = _post(
        c,
        csrf,
        f"{PLAN_A}/actions",
        {
            "objective": "Grow apprenticeships",
            "pillar": "visibilty",
            "owner": "nobody",
            "deadline": "31/07/2027",
            "progress": "20",
        },
    )
    assert bad.status_code == 422 and "deadline" in bad.text and "YYYY-MM-DD" in bad.text
    assert "Grow apprenticeships" in bad.text  # what was typed is shown again
    bad = _post(
        c,
        csrf,
        f"{PLAN_A}/actions",
        {
            "objective": "Grow apprenticeships",
            "pillar": "visibilty",
            "owner": "nobody",
            "deadline": "2027-07-31",
            "progress": "120",
        },
    )
    assert bad.status_code == 422
    assert (
        "did you mean &#39;visibility&#39;" in bad.text
        and "owner &#39;nobody&#39;" in bad.text
        and "progress 120" in bad.text
    )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 0
    future = _post(c, csrf, f"/strategy/providers/{A_UKPRN}/sign", {"signed": "2999-01-01"})
    assert future.status_code == 422 and "in the future" in future.text
    api = c.post(
        f"/api{PLAN_A}/actions",
        json={"objective": "x", "pillar": "nope", "owner": "lead-a", "deadline": "2027-01-01"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and api.headers["content-type"].startswith("application/problem+json")


def test_another_providers_lead_gets_403_on_pages_and_404_on_ids(app: Any, db: Database) -> None:
    a, csrf_a = _client(app, "lead-a")
    action_id = _action(a, csrf_a)
    _post(
        a,
        csrf_a,
        f"{PLAN_A}/actions/{action_id}/evidence",
        {"kind": "file"},
        files={"file": ("m.txt", b"minutes", "text/plain")},
    )
    with db.session() as s:
        evidence_id = s.scalar(select(Evidence.id))
    b, csrf_b = _client(app, "lead-b")
    for path in (
        f"/strategy/providers/{A_UKPRN}",
        PLAN_A,
        f"{PLAN_A}/actions/{action_id}",
        f"/api{PLAN_A}",
        f"{PLAN_A}/evidence/{evidence_id}/file",
    ):
        assert b.get(path).status_code == 403, path
    assert _post(b, csrf_b, f"{PLAN_A}/actions/{action_id}", {"objective": "x"}).status_code == 403
    assert _post(b, csrf_b, f"{PLAN_A}/submit", {}).status_code == 403
    # B's own plan, with A's ids in the URL: not found, and A's action unchanged
    _post(
        b,
        csrf_b,
        f"/strategy/providers/{B_UKPRN}/first-submission/pillars/visibility",
        {"narrative": "B", "maturity": "1"},
    )
    assert b.get(f"{PLAN_B}/actions/{action_id}").status_code == 404
    assert b.get(f"/api{PLAN_B}/actions/{action_id}").status_code == 404
    assert b.get(f"{PLAN_B}/evidence/{evidence_id}/file").status_code == 404
    edit = {"objective": "hijacked", "pillar": "visibility", "owner": "lead-b", "deadline": "2027-01-01"}
    assert _post(b, csrf_b, f"{PLAN_B}/actions/{action_id}", edit).status_code == 404
    assert (
        b.post(f"/api{PLAN_B}/actions/{action_id}", json=edit, headers={"X-CSRF-Token": csrf_b}).status_code
        == 404
    )
    assert _post(b, csrf_b, f"{PLAN_B}/actions/{action_id}/remove", {}).status_code == 404
    assert _post(b, csrf_b, f"{PLAN_B}/evidence/{evidence_id}/remove", {}).status_code == 404
    assert (
        b.delete(f"/api{PLAN_B}/evidence/{evidence_id}", headers={"X-CSRF-Token": csrf_b}).status_code == 404
    )
    upload = _post(
        b,
        csrf_b,
        f"{PLAN_B}/actions/{action_id}/evidence",
        {"kind": "file"},
        files={"file": ("x.txt", b"x", "text/plain")},
    )
    assert upload.status_code == 404
    with db.session() as s:
        action = s.get(Action, action_id)
        assert action is not None and action.objective.startswith("Appoint")
        assert s.scalar(select(func.count()).select_from(Evidence)) == 1


def test_a_reviewer_sees_only_the_plan_they_were_invited_to(app: Any, db: Database) -> None:
    a, csrf = _client(app, "lead-a")
    _post(a, csrf, f"{PLAN_A}/pillars/recognition", {"narrative": "Awards for technicians.", "maturity": "2"})
    _action(a, csrf)
    early = _post(a, csrf, f"{PLAN_A}/reviewers", {"username": "peer"})
    assert early.status_code == 400 and "submit it first" in early.text
    evidence = {"kind": "file", "pillar": "recognition", "label": "Award rules"}
    upload = {"file": ("awards.txt", b"Awards are chosen by a panel.\n", "text/plain")}
    assert _post(a, csrf, f"{PLAN_A}/evidence", evidence, files=upload).status_code == 303
    indicator = {"kind": "indicator", "ref": "tech.headcount", "pillar": "recognition"}
    assert _post(a, csrf, f"{PLAN_A}/evidence", indicator).status_code == 303
    unknown = _post(a, csrf, f"{PLAN_A}/evidence", {**indicator, "ref": "tech.headcont"})
    assert unknown.status_code == 422 and "tech.headcount" in unknown.text  # the nearest choice
    assert '<option value="tech.headcount">' in a.get(PLAN_A).text  # offered as a choice
    assert _post(a, csrf, f"{PLAN_A}/submit", {}).status_code == 303
    assert _post(a, csrf, f"{PLAN_A}/reviewers", {"username": "peer"}).status_code == 303
    assert _post(a, csrf, f"{PLAN_A}/reviewers", {"username": "lead-a"}).status_code == 422  # same provider
    # the submitted plan is read-only
    with db.session() as s:
        first_evidence = s.scalar(select(func.min(Evidence.id)))
    assert _post(a, csrf, f"{PLAN_A}/evidence/{first_evidence}/remove", {}).status_code == 400
    assert (
        _post(a, csrf, f"{PLAN_A}/pillars/recognition", {"narrative": "late", "maturity": "2"}).status_code
        == 400
    )
    with db.session() as s:
        sub_id = s.scalar(select(Submission.id).where(Submission.ukprn == A_UKPRN))
    assert sub_id is not None

    peer, peer_csrf = _client(app, "peer")
    invitations = peer.get("/api/strategy/reviews").json()["invitations"]
    assert [i["submission_id"] for i in invitations] == [sub_id]
    page = peer.get(f"/strategy/reviews/{sub_id}")
    assert page.status_code == 200 and "Awards for technicians." in page.text
    assert f"/strategy/providers/{A_UKPRN}" not in page.text  # no link to the provider's pages
    assert "<form" in page.text and 'action="/strategy/reviews/' in page.text
    assert (
        peer.get(f"/api/strategy/reviews/{sub_id}").json()["pillars"][1]["narrative"]
        == "Awards for technicians."
    )
    items = peer.get(f"/api/strategy/reviews/{sub_id}").json()["pillars"][1]["evidence"]
    file_item = next(e for e in items if e["kind"] == "file")
    assert file_item["href"] == f"/strategy/reviews/{sub_id}/evidence/{file_item['id']}/file"
    assert peer.get(file_item["href"]).content == b"Awards are chosen by a panel.\n"
    assert all(not e["href"].startswith(("/strategy/providers", "/workforce/providers")) for e in items)
    done = _post(
        peer,
        peer_csrf,
        f"/strategy/reviews/{sub_id}/comments",
        {"body": "Say how awards are chosen.", "about": "recognition"},
    )
    assert done.status_code == 303
    assert peer.get(PLAN_A).status_code == 403
    assert peer.get(f"/strategy/providers/{A_UKPRN}/stage-2").status_code == 403
    assert peer.get(f"/strategy/reviews/{sub_id + 1}").status_code == 404
    # the provider sees the comment; a stranger gets the same 404 as for no plan
    assert "Say how awards are chosen." in a.get(PLAN_A).text
    stranger, stranger_csrf = _client(app, "stranger")
    assert stranger.get(f"/strategy/reviews/{sub_id}").status_code == 404
    assert stranger.get(f"/api/strategy/reviews/{sub_id}").status_code == 404
    assert (
        _post(stranger, stranger_csrf, f"/strategy/reviews/{sub_id}/comments", {"body": "hi"}).status_code
        == 404
    )
    assert stranger.get("/api/strategy/reviews").json()["invitations"] == []
    assert stranger.get(file_item["href"]).status_code == 404
    # reopened: the reviewer loses access until it is submitted again
    assert _post(a, csrf, f"{PLAN_A}/reopen", {}).status_code == 303
    assert peer.get(f"/strategy/reviews/{sub_id}").status_code == 404
    assert _post(a, csrf, f"{PLAN_A}/submit", {}).status_code == 303
    assert _post(a, csrf, f"{PLAN_A}/reviewers/peer/remove", {}).status_code == 303
    assert peer.get(f"/strategy/reviews/{sub_id}").status_code == 404


def test_a_recommendation_set_is_imported_from_csv(app: Any) -> None:
    c, csrf = _client(app, "analyst")
    csv_text = "code,title,text,addressees,theme,pillars\nX-1,Count technicians,Count them.,employers,data,visibility\n"
    fields = {
        "set_id": "local-set",
        "title": "Local set",
        "publisher": "Us",
        "published": date(2025, 1, 1).isoformat(),
    }
    done = _post(
        c,
        csrf,
        "/strategy/recommendations/import",
        fields,
        files={"file": ("set.csv", csv_text.encode(), "text/csv")},
    )
    assert done.status_code == 303, done.text[:500]
    sets = c.get("/api/strategy/recommendations").json()["sets"]
    assert any(s["slug"] == "local-set" and s["recommendations"][0]["code"] == "X-1" for s in sets)
    bad = _post(
        c,
        csrf,
        "/strategy/recommendations/import",
        fields,
        files={"file": ("set.csv", b"code,title\n,\n", "text/csv")},
    )
    assert bad.status_code == 422 and "set.csv" in bad.text
    lead, lead_csrf = _client(app, "lead-a")
    assert _post(lead, lead_csrf, "/strategy/recommendations/import", fields).status_code == 403


def test_the_pack_and_the_actions_csv_round_trip(app: Any) -> None:
    c, csrf = _client(app, "lead-a")
    action_id = _action(c, csrf)
    html = c.get(f"{PLAN_A}/pack.html")
    assert html.status_code == 200, html.text[:300]
    assert "attachment" in html.headers["content-disposition"]
    assert "Appoint a head of technical &lt;b&gt;services&lt;/b&gt;" in html.text
    docx = c.get(f"{PLAN_A}/pack.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert c.get(f"{PLAN_A}/pack.exe").status_code == 422
    page = c.get(PLAN_A).text
    assert f"{PLAN_A}/pack.pdf" in page and f"{PLAN_A}/actions.csv" in page

    exported = c.get(f"{PLAN_A}/actions.csv")
    assert exported.status_code == 200 and exported.text.startswith("ref,objective,pillar,owner,deadline")
    changed = exported.text.replace(",20,", ",90,")
    assert changed != exported.text
    done = _post(
        c, csrf, f"{PLAN_A}/actions/import", {}, files={"file": ("actions.csv", changed.encode(), "text/csv")}
    )
    assert done.status_code == 303, done.text[:500]
    assert c.get(f"/api{PLAN_A}/actions/{action_id}").json()["action"]["progress"] == 90
    bad = changed.replace(",visibility,", ",visibilty,")
    refused = _post(
        c, csrf, f"{PLAN_A}/actions/import", {}, files={"file": ("actions.csv", bad.encode(), "text/csv")}
    )
    assert refused.status_code == 422 and "visibilty" in refused.text and "import-problems" in refused.text
    api = c.post(
        f"/api{PLAN_A}/actions/import",
        files={"file": ("actions.csv", bad.encode(), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and api.json()["problems"]
    assert c.get(f"/api{PLAN_A}/actions/{action_id}").json()["action"]["progress"] == 90  # unchanged


def test_the_sector_view_is_for_analysts(app: Any) -> None:
    analyst, _ = _client(app, "analyst")
    data = analyst.get("/api/strategy/sector").json()
    assert set(data) >= {"adoption", "compliance", "leaders", "disclosure"}
    assert analyst.get("/strategy/sector").status_code == 200
    csv_text = analyst.get("/strategy/sector.csv")
    assert csv_text.status_code == 200 and csv_text.text.startswith("table,")
    lead, _ = _client(app, "lead-a")
    assert lead.get("/strategy/sector").status_code == 403
    assert lead.get("/api/strategy/sector").status_code == 403
    menu = lead.get("/strategy/recommendations").text
    assert f'href="/strategy/providers/{A_UKPRN}"' in menu and "Sector commitments" not in menu
    assert "Sector commitments" in analyst.get("/strategy/recommendations").text


PUBLISHED = "Figures: published (rounded and suppressed), fit to share"
TRUE = "Figures: true values for this provider only: do not share outside it"


def _submitted_plan(app: Any, db: Database, *reviewers: str) -> tuple[TestClient, str, int]:
    """Lead A's plan with an action and programme evidence, submitted, ``reviewers`` invited."""
    a, csrf = _client(app, "lead-a")
    _action(a, csrf)
    linked = {"kind": "programme", "ref": "herschel", "pillar": "visibility", "label": "Herschel cohort"}
    assert _post(a, csrf, f"{PLAN_A}/evidence", linked).status_code == 303
    assert _post(a, csrf, f"{PLAN_A}/submit", {}).status_code == 303
    for who in reviewers:
        assert _post(a, csrf, f"{PLAN_A}/reviewers", {"username": who}).status_code == 303
    with db.session() as s:
        sub_id = s.scalar(select(Submission.id).where(Submission.ukprn == A_UKPRN))
    assert sub_id is not None
    return a, csrf, sub_id


def test_a_pack_holds_published_figures_unless_its_own_lead_asks_for_true_ones(app: Any) -> None:
    a, csrf = _client(app, "lead-a")
    _action(a, csrf)
    default = a.get(f"{PLAN_A}/pack.html")
    assert default.status_code == 200 and PUBLISHED in default.text and TRUE not in default.text
    true = a.get(f"{PLAN_A}/pack.html?figures=true")
    assert true.status_code == 200 and TRUE in true.text and PUBLISHED not in true.text
    word = a.get(f"{PLAN_A}/pack.docx?figures=true")
    assert word.status_code == 200 and TRUE.encode() not in word.content  # zipped: read it as Word
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert any(TRUE in p for p in paragraphs)
    assert a.get(f"{PLAN_A}/pack.html?figures=rounded").status_code == 422
    page = a.get(PLAN_A).text
    assert f"{PLAN_A}/pack.docx?figures=published" in page and f"{PLAN_A}/pack.docx?figures=true" in page
    assert "published figures, fit to share" in page and "true figures: do not share" in page
    # an admin may read the plan but not the provider's true figures
    admin, _ = _client(app, "admin")
    refused = admin.get(f"{PLAN_A}/pack.pdf?figures=true")
    assert refused.status_code == 403 and "figures=published" in refused.text
    shared = admin.get(f"{PLAN_A}/pack.html?figures=published")
    assert shared.status_code == 200 and PUBLISHED in shared.text
    page = admin.get(PLAN_A).text
    assert "?figures=published" in page and "?figures=true" not in page


def test_a_reviewer_downloads_the_pack_with_published_figures_only(app: Any, db: Database) -> None:
    _a, _csrf, sub_id = _submitted_plan(app, db, "peer")
    peer, _ = _client(app, "peer")
    assert f"/strategy/reviews/{sub_id}/pack.docx" in peer.get(f"/strategy/reviews/{sub_id}").text
    got = peer.get(f"/strategy/reviews/{sub_id}/pack.html?figures=true")  # the query changes nothing
    assert got.status_code == 200 and PUBLISHED in got.text and TRUE not in got.text
    assert "attachment" in got.headers["content-disposition"]
    word = peer.get(f"/strategy/reviews/{sub_id}/pack.docx")
    assert word.status_code == 200 and word.content[:2] == b"PK"
    stranger, _ = _client(app, "stranger")
    assert stranger.get(f"/strategy/reviews/{sub_id}/pack.html").status_code == 404
    assert peer.get(f"/strategy/reviews/{sub_id + 1}/pack.html").status_code == 404


def test_programme_figures_are_shown_only_to_viewers_who_may_see_impact(app: Any, db: Database) -> None:
    a, _csrf, sub_id = _submitted_plan(app, db, "peer", "lead-b")
    hidden = "a programme figure you cannot see"
    assert "completers of" in a.get(PLAN_A).text and hidden not in a.get(PLAN_A).text
    peer, _ = _client(app, "peer")  # a technician: no programme impact
    page = peer.get(f"/strategy/reviews/{sub_id}").text
    assert hidden in page and "completers of" not in page
    packed = peer.get(f"/strategy/reviews/{sub_id}/pack.html").text
    assert hidden in packed and "completers of" not in packed
    lead_b, _ = _client(app, "lead-b")  # a provider lead may see impact
    page = lead_b.get(f"/strategy/reviews/{sub_id}").text
    assert "completers of" in page and hidden not in page


def test_packs_are_made_two_at_a_time_and_kept_until_the_plan_changes(app: Any) -> None:
    a, csrf = _client(app, "lead-a")
    _action(a, csrf)
    first = a.get(f"{PLAN_A}/pack.html")
    assert first.status_code == 200
    taken = 0
    try:
        while strategy_files._rendering.acquire(blocking=False):  # other packs are being made
            taken += 1
        assert taken == strategy_files.PACKS_AT_ONCE
        again = a.get(f"{PLAN_A}/pack.html")  # the same pack: kept, not made again
        assert again.status_code == 200 and again.content == first.content
        busy = a.get(f"{PLAN_A}/pack.pdf")
        assert busy.status_code == 429 and "try again in a minute" in busy.text
        _action(a, csrf, objective="A second action")
        changed = a.get(f"{PLAN_A}/pack.html")  # the plan changed: made again, so refused now
        assert changed.status_code == 429
    finally:
        for _ in range(taken):
            strategy_files._rendering.release()
    fresh = a.get(f"{PLAN_A}/pack.html")
    assert fresh.status_code == 200 and "A second action" in fresh.text


def test_the_invite_form_says_the_same_for_any_account_that_cannot_be_invited(app: Any, db: Database) -> None:
    a, csrf, _sub = _submitted_plan(app, db)
    with db.session() as s:
        accounts.set_disabled(s, "gone", True, actor="t")
    message = "that person cannot be invited: check the username"
    answers = []
    for who in ("no-such-person", "lead-a", "gone"):
        got = _post(a, csrf, f"{PLAN_A}/reviewers", {"username": who})
        assert got.status_code == 422 and message in got.text, (who, got.text[:300])
        assert "works for this provider" not in got.text and "no active account" not in got.text
        api = a.post(f"/api{PLAN_A}/reviewers", json={"username": who}, headers={"X-CSRF-Token": csrf})
        assert api.status_code == 422
        answers.append(api.json()["detail"])
    assert len(set(answers)) == 1 and answers[0].startswith(message)
    assert _post(a, csrf, f"{PLAN_A}/reviewers", {"username": "peer"}).status_code == 303
