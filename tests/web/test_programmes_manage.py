"""Programme managers' pages on the real app (TestClient, a real store): create a programme,
run its cohorts and sessions, decide applications, cancel on someone's behalf, keep the
register, confirm completions, issue and revoke credentials; each page's JSON twin; another
manager is refused and another programme's ids in the path are not found."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from techforce import audit
from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.models import Booking, Cohort, Participant, Programme
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.programmes.conftest import World, make_world
from tests.web.conftest import PASSWORD, WebEnv, sign_in
from tests.web.programmes_matrix import settle

HOSTILE = '<script>alert("x")</script> & Co'
START = date.today() + timedelta(days=60)


@pytest.fixture
def world(web: WebEnv) -> Iterator[World]:
    """The programmes world of tests/programmes, run by the user "manager" (a programme
    manager); "other-manager" manages nothing of it."""
    with web.db.session() as s:
        accounts.create_user(s, "manager", "programme-manager", actor="test", password=PASSWORD)
        accounts.create_user(s, "other-manager", "programme-manager", actor="test", password=PASSWORD)
    yield make_world(web.db)
    settle()  # background mail delivery ends before the database goes


def _client(web: WebEnv, username: str) -> tuple[TestClient, str]:
    client = TestClient(web.app)
    return client, sign_in(client, username)


def _post(client: TestClient, csrf: str, path: str, **form: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf, **form}, follow_redirects=False)


def _api(client: TestClient, csrf: str, path: str, body: Any = None) -> Any:
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf})


def _confirmed(web: WebEnv, world: World, people: range | list[int]) -> list[int]:
    """Confirmed places on the leadership cohort for these people (applied, then approved)."""
    ids = []
    with web.db.session() as s:
        for i in people:
            who = s.get(Participant, world.people[i])
            assert who is not None
            booking = service.book(s, world.leadership_cohort, who, actor="test", statement="I lead a team")
            service.decide(s, booking, approve=True, reason="meets the criteria", actor="test")
            ids.append(booking.id)
    return ids


PROGRAMME = {
    "slug": "workshops-2026",
    "title": HOSTILE,
    "kind": "workshop",
    "description": "Hands-on.",
    "audience": "Technicians",
    "eligibility": "Anyone",
    "capacity": "12",
    "cost": "150.50",
    "pillars": ["career-development", "visibility"],
    "min_attendance_pct": "100",
}


# ---------------------------------------------------------------- programmes


def test_a_manager_creates_a_programme_and_becomes_its_manager(web: WebEnv) -> None:
    client, csrf = _client(web, "programme-manager")
    form = client.get("/programmes/new")
    assert form.status_code == 200
    assert "Technician Commitment pillars" in form.text and "cannot be changed later" in form.text
    created = _post(client, csrf, "/programmes/new", **PROGRAMME)
    assert created.status_code == 303
    assert created.headers["location"] == "/programmes/workshops-2026/manage?done=created"
    page = client.get(created.headers["location"])
    assert page.status_code == 200 and "Programme created" in page.text
    assert (
        HOSTILE not in page.text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page.text
    )
    data = client.get("/api/programmes/workshops-2026/manage").json()
    p = data["programme"]
    assert (p["title"], p["cost_pence"], p["cost"], p["managers"]) == (
        HOSTILE,
        15050,
        "£150.50",
        ["programme-manager"],
    )
    assert sorted(p["pillars"]) == ["career-development", "visibility"]
    assert p["rule"] == "present at 100% of sessions or more"
    # The same slug again is refused, and nothing changes.
    again = _post(client, csrf, "/programmes/new", **{**PROGRAMME, "title": "Another"})
    assert again.status_code == 409 and "exists already" in again.text
    assert client.get("/api/programmes/workshops-2026/manage").json()["programme"]["title"] == HOSTILE
    # The programme's page links its managers (only them) to the managing page.
    assert (
        client.get("/api/programmes/workshops-2026").json()["manage"] == "/programmes/workshops-2026/manage"
    )
    assert 'href="/programmes/workshops-2026/manage"' in client.get("/programmes/workshops-2026").text
    technician, _ = _client(web, "technician")
    assert technician.get("/api/programmes/workshops-2026").json()["manage"] is None


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("title", "", "title"),
        ("slug", "Not A Slug", "slug: use lower-case letters"),
        ("capacity", "lots", "capacity: 'lots' is not a whole number"),
        ("capacity", "0", "capacity"),
        ("cost", "12.345", "cost: give pounds and pence"),
        ("kind", "retreat", "kind"),
        ("pillars", ["fame"], "pillars"),
    ],
)
def test_a_bad_programme_is_refused_with_the_field_named(
    web: WebEnv, field: str, value: Any, says: str
) -> None:
    client, csrf = _client(web, "programme-manager")
    refused = _post(client, csrf, "/programmes/new", **{**PROGRAMME, field: value})
    assert refused.status_code == 422 and says in html.unescape(refused.text)
    assert 'role="alert"' in refused.text and 'value="Technicians"' in refused.text  # typed values kept
    with web.db.session() as s:
        assert s.scalar(select(Programme).where(Programme.slug == PROGRAMME["slug"])) is None


def test_the_json_twin_creates_and_edits_a_programme(web: WebEnv) -> None:
    client, csrf = _client(web, "programme-manager")
    assert client.get("/api/programmes/new").json()["help"]["slug"].startswith("The short name")
    body = {"slug": "course-a", "title": "Course A", "kind": "course", "capacity": 20}
    created = _api(client, csrf, "/api/programmes/new", body)
    assert created.status_code == 201 and created.json()["managers"] == ["programme-manager"]
    assert client.post("/api/programmes/new", json=body).status_code == 403  # no CSRF token
    edited = _api(
        client, csrf, "/api/programmes/course-a/manage", {**body, "capacity": 25, "selective": True}
    )
    assert edited.status_code == 200 and edited.json()["capacity"] == 25 and edited.json()["selective"]
    moved = _api(client, csrf, "/api/programmes/course-a/manage", {**body, "slug": "course-b"})
    assert moved.status_code == 422 and "cannot change" in moved.json()["detail"]


def test_the_edit_form_changes_the_programme(web: WebEnv, world: World) -> None:
    client, csrf = _client(web, "manager")
    page = client.get("/programmes/leaders/manage")
    assert 'value="1500.00"' in page.text  # the stored cost, in pounds
    saved = _post(
        client,
        csrf,
        "/programmes/leaders/manage",
        **{
            **PROGRAMME,
            "title": "Leaders",
            "kind": "cohort",
            "min_attendance_pct": "75",
            "requires_project": "yes",
        },
    )
    assert saved.status_code == 303
    p = client.get("/api/programmes/leaders/manage").json()["programme"]
    assert (p["title"], p["min_attendance_pct"], p["rule"]) == (
        "Leaders",
        75,
        "present at 75% of sessions or more and the final project done",
    )


def test_only_its_managers_and_admins_manage_a_programme(web: WebEnv, world: World) -> None:
    other, _ = _client(web, "other-manager")
    refused = other.get("/programmes/leaders/manage")
    assert refused.status_code == 403 and "programme leaders" in refused.text
    assert other.get("/api/programmes/leaders/manage").status_code == 403
    assert other.get("/programmes/new").status_code == 200  # a programme manager may create one
    tech, _ = _client(web, "technician")
    assert tech.get("/programmes/new").status_code == 403
    assert tech.get(f"/programmes/leaders/cohorts/{world.leadership_cohort}/completion").status_code == 403
    admin, _ = _client(web, "admin")
    assert admin.get("/programmes/leaders/manage").status_code == 200
    assert admin.get("/programmes/nothing-here/manage").status_code == 404
    assert admin.get("/api/programmes/NOT%20A%20SLUG/manage").status_code == 404
    anonymous = TestClient(web.app)
    assert anonymous.get("/api/programmes/leaders/manage").status_code == 401


# ---------------------------------------------------------------- cohorts and sessions


def test_cohorts_and_sessions_in_uk_time(web: WebEnv, world: World) -> None:
    client, csrf = _client(web, "manager")
    added = _post(
        client,
        csrf,
        "/programmes/soldering/cohorts",
        name="June",
        starts_on="2026-06-01",
        ends_on="2026-06-30",
        capacity="",
    )
    assert added.status_code == 303 and added.headers["location"].endswith("#cohorts")
    data = client.get("/api/programmes/soldering/manage").json()
    june = next(c for c in data["cohorts"] if c["name"] == "June")
    assert june["capacity"] == 3  # the programme's
    # 09:30 in June is British Summer Time: 08:30 UTC.
    path = f"/programmes/soldering/cohorts/{june['id']}/sessions"
    made = _post(
        client,
        csrf,
        path,
        title="Reflow",
        kind="workshop",
        starts="2026-06-02T09:30",
        ends="2026-06-02T12:00",
        mode="online",
        location="https://meet.example/x",
        facilitator="Ada",
    )
    assert made.status_code == 303
    june = next(
        c for c in client.get("/api/programmes/soldering/manage").json()["cohorts"] if c["name"] == "June"
    )
    session = june["sessions"][0]
    assert (
        session["starts_at"].startswith("2026-06-02T08:30:00")
        and session["starts"] == "Tue 2 Jun 2026, 09:30"
    )
    assert session["starts_local"] == "2026-06-02T09:30"
    # A time the clocks skip, and an end before the start, are refused; nothing is added.
    skipped = _post(client, csrf, path, title="Early", starts="2026-03-29T01:30", ends="2026-03-29T03:00")
    assert skipped.status_code == 422 and "does not exist in UK time" in skipped.text
    backwards = _post(client, csrf, path, title="Back", starts="2026-06-02T12:00", ends="2026-06-02T09:00")
    assert backwards.status_code == 422 and "must end after it starts" in backwards.text
    assert 'value="Back"' in backwards.text  # the form again, as typed
    # Edit: in winter, 09:30 is 09:30 UTC.
    edit = _post(
        client,
        csrf,
        f"{path}/{session['id']}",
        title="Reflow soldering",
        starts="2026-12-01T09:30",
        ends="2026-12-01T11:00",
        mode="in-person",
        location="Lab 2",
    )
    assert edit.status_code == 303
    june = next(
        c for c in client.get("/api/programmes/soldering/manage").json()["cohorts"] if c["name"] == "June"
    )
    assert [(s["title"], s["starts_at"][:19]) for s in june["sessions"]] == [
        ("Reflow soldering", "2026-12-01T09:30:00")
    ]
    # Rename the cohort; a clash with another cohort's name is refused.
    renamed = _post(
        client,
        csrf,
        f"/programmes/soldering/cohorts/{june['id']}",
        name="Summer",
        starts_on="2026-06-01",
        ends_on="2026-06-30",
        capacity="5",
    )
    assert renamed.status_code == 303
    clash = _post(
        client,
        csrf,
        f"/programmes/soldering/cohorts/{june['id']}",
        name="March",
        starts_on="2026-06-01",
        ends_on="2026-06-30",
        capacity="5",
    )
    assert clash.status_code == 409 and "already has a cohort" in clash.text
    names = sorted(c["name"] for c in client.get("/api/programmes/soldering/manage").json()["cohorts"])
    assert names == ["March", "Summer"]


def test_another_programmes_ids_in_the_path_are_not_found(web: WebEnv, world: World) -> None:
    client, csrf = _client(web, "manager")
    admin, admin_csrf = _client(web, "admin")
    leaders, shop = world.leadership_cohort, world.workshop_cohort
    session = world.sessions[0]
    assert client.get(f"/programmes/soldering/cohorts/{leaders}/completion").status_code == 404
    assert client.get(f"/programmes/soldering/cohorts/{shop}/sessions/{session}/register").status_code == 404
    assert client.get(f"/programmes/leaders/cohorts/{leaders}/sessions/{session}/register").status_code == 200
    body = {"title": "x", "starts_at": "2026-06-02T09:00:00Z", "ends_at": "2026-06-02T10:00:00Z"}
    assert (
        _api(client, csrf, f"/api/programmes/soldering/cohorts/{leaders}/sessions", body).status_code == 404
    )
    assert (
        _api(client, csrf, f"/api/programmes/soldering/cohorts/{shop}/sessions/{session}", body).status_code
        == 404
    )
    [booking] = _confirmed(web, world, [0])
    assert _api(admin, admin_csrf, f"/api/programmes/soldering/bookings/{booking}/cancel").status_code == 404
    assert admin.get("/api/programmes/leaders/cohorts/99999/completion").status_code == 404
    huge = admin.get(f"/api/programmes/leaders/cohorts/{2**70}/completion")
    assert huge.status_code == 422  # out of range: refused before any query


# ---------------------------------------------------------------- applications and bookings


def test_applications_are_decided_with_a_reason(web: WebEnv, world: World) -> None:
    with web.db.session() as s:
        applied = []
        for i in range(2):
            who = s.get(Participant, world.people[i])
            assert who is not None
            applied.append(
                service.book(s, world.leadership_cohort, who, actor="t", statement=f"Because {HOSTILE}").id
            )
    client, csrf = _client(web, "manager")
    page = client.get("/programmes/leaders/manage")
    assert "Applications waiting for a decision" in page.text and "Technician 0" in page.text
    assert HOSTILE not in page.text and "Because &lt;script&gt;" in page.text
    path = f"/programmes/leaders/bookings/{applied[0]}/decide"
    empty = _post(client, csrf, path, decision="decline", reason="   ")
    assert empty.status_code == 422 and "reason: say why" in empty.text
    assert client.get("/api/programmes/leaders/manage").json()["applications"][0]["status"] == "applied"
    declined = _post(client, csrf, path, decision="decline", reason="Not eligible this year")
    assert declined.status_code == 303 and "done=declined" in declined.headers["location"]
    approved = _api(
        client,
        csrf,
        f"/api/programmes/leaders/bookings/{applied[1]}/decide",
        {"approve": True, "reason": "Strong"},
    )
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    again = _post(client, csrf, path, decision="approve", reason="changed my mind")
    assert again.status_code == 409 and "not an application to decide" in again.text
    data = client.get("/api/programmes/leaders/manage").json()
    assert data["applications"] == []
    rows = {b["id"]: b for c in data["cohorts"] for b in c["bookings"]}
    assert (
        rows[applied[0]]["status"],
        rows[applied[0]]["decision_reason"],
        rows[applied[0]]["decided_by"],
    ) == (
        "declined",
        "Not eligible this year",
        "manager",
    )
    assert rows[applied[1]]["status"] == "confirmed"


def test_cancelling_on_someones_behalf_promotes_the_waiting_list(web: WebEnv, world: World) -> None:
    with web.db.session() as s:
        ids = []
        for i in range(5):  # three places: two wait, in order
            who = s.get(Participant, world.people[i])
            assert who is not None
            ids.append(service.book(s, world.workshop_cohort, who, actor="t").id)
    client, csrf = _client(web, "manager")
    march = client.get("/api/programmes/soldering/manage").json()["cohorts"][0]
    assert [(b["id"], b["status"], b["queue_position"]) for b in march["bookings"]] == [
        (ids[0], "confirmed", None),
        (ids[1], "confirmed", None),
        (ids[2], "confirmed", None),
        (ids[3], "waitlisted", 1),
        (ids[4], "waitlisted", 2),
    ]
    cancelled = _post(client, csrf, f"/programmes/soldering/bookings/{ids[1]}/cancel")
    assert cancelled.status_code == 303
    assert cancelled.headers["location"].endswith(f"#cohort-{world.workshop_cohort}")
    twin = _api(client, csrf, f"/api/programmes/soldering/bookings/{ids[0]}/cancel")
    assert twin.json()["promoted"] == [ids[4]]
    march = client.get("/api/programmes/soldering/manage").json()["cohorts"][0]
    status = {b["id"]: b["status"] for b in march["bookings"]}
    assert status == {
        ids[0]: "cancelled",
        ids[1]: "cancelled",
        ids[2]: "confirmed",
        ids[3]: "confirmed",
        ids[4]: "confirmed",
    }
    assert _post(client, csrf, f"/programmes/soldering/bookings/{ids[1]}/cancel").status_code == 409


# ---------------------------------------------------------------- the register


def test_the_register_saves_and_corrects_marks(web: WebEnv, world: World) -> None:
    people = _confirmed(web, world, range(3))
    client, csrf = _client(web, "manager")
    path = f"/programmes/leaders/cohorts/{world.leadership_cohort}/sessions/{world.sessions[0]}/register"
    page = client.get(path)
    assert page.status_code == 200 and page.text.count('type="radio"') == 9
    assert "0 present · 0 absent · 0 excused · 3 not marked" in page.text
    saved = _post(client, csrf, path, **{f"mark-{people[0]}": "present", f"mark-{people[1]}": "absent"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{path}?done=register&n=2"
    assert "Register saved: 2 marks recorded." in client.get(saved.headers["location"]).text
    corrected = _post(client, csrf, path, **{f"mark-{people[1]}": "excused", f"mark-{people[2]}": "present"})
    assert corrected.status_code == 303
    rows = {r["booking_id"]: r["mark"] for r in client.get(f"/api{path}").json()["rows"]}
    assert rows == {people[0]: "present", people[1]: "excused", people[2]: "present"}
    # A bad mark, or someone not on the cohort, saves nothing.
    bad = _post(client, csrf, path, **{f"mark-{people[0]}": "late", f"mark-{people[1]}": "absent"})
    assert bad.status_code == 422 and "'late' is not a mark" in html.unescape(bad.text)
    stranger = _api(client, csrf, f"/api{path}", {"marks": {"999999": "present"}})
    assert stranger.status_code == 422
    assert _post(client, csrf, path).status_code == 422  # nothing chosen
    twin = _api(client, csrf, f"/api{path}", {"marks": {str(people[0]): "absent"}})
    assert twin.status_code == 200 and twin.json()["page"]["counts"] == {
        "present": 1,
        "absent": 1,
        "excused": 1,
        "unmarked": 0,
    }


# ---------------------------------------------------------------- completion and credentials


def _mark_all(web: WebEnv, world: World, marks: dict[int, list[str]]) -> None:
    """Record each booking's marks over the cohort's sessions, in order."""
    with web.db.session() as s:
        for index, session_id in enumerate(world.sessions):
            where = service.session_by_id(s, session_id)
            got = {b: m[index] for b, m in marks.items() if index < len(m)}
            if got:
                service.record_attendance(s, where, got, actor="test")


def test_completion_counts_starters_and_completers_apart(web: WebEnv, world: World) -> None:
    a, b, c = _confirmed(web, world, range(3))
    _mark_all(
        web,
        world,
        {
            a: ["present"] * 5,  # 100%
            b: ["present", "present", "present", "present", "absent"],  # 80%
            c: ["absent", "excused", "absent", "absent", "absent"],  # never present
        },
    )
    client, csrf = _client(web, "manager")
    path = f"/programmes/leaders/cohorts/{world.leadership_cohort}/completion"
    data = client.get(f"/api{path}").json()
    assert (data["participants"], data["starters"], data["completers"]) == (3, 2, 0)  # no projects yet
    assert data["rule"] == "present at 80% of sessions or more and the final project done"
    page = client.get(path)
    assert "present at 80% of sessions or more and the final project done" in page.text
    projects = _post(client, csrf, f"{path}/projects", listed=[str(a), str(b), str(c)], done=[str(a), str(b)])
    assert projects.status_code == 303 and "n=2" in projects.headers["location"]
    data = client.get(f"/api{path}").json()
    assert (data["starters"], data["completers"], data["confirmed_completers"]) == (2, 2, 0)
    rows = {r["booking_id"]: r for r in data["rows"]}
    assert (rows[b]["present"], rows[b]["attendance_pct"], rows[c]["excused"]) == (4, 80.0, 1)
    confirmed = _post(client, csrf, f"{path}/confirm")
    assert confirmed.status_code == 303 and "n=2" in confirmed.headers["location"]
    # A corrected register takes b below the rule: confirming again clears b.
    _mark_all(web, world, {b: ["present", "present", "present", "absent"]})
    twin = _api(client, csrf, f"/api{path}/confirm")
    assert twin.status_code == 200 and twin.json()["completion"]["confirmed_completers"] == 1
    # Unticking a project is recorded too.
    _post(client, csrf, f"{path}/projects", listed=[str(a)])
    assert client.get(f"/api{path}").json()["completers"] == 0


def test_credentials_are_issued_and_revoked_with_a_reason(web: WebEnv, world: World) -> None:
    a, b = _confirmed(web, world, range(2))
    _mark_all(web, world, {a: ["present"] * 5, b: ["absent"] * 5})
    client, csrf = _client(web, "manager")
    path = f"/programmes/leaders/cohorts/{world.leadership_cohort}/completion"
    _post(client, csrf, f"{path}/projects", listed=[str(a), str(b)], done=[str(a), str(b)])
    _post(client, csrf, f"{path}/confirm")
    issued = _post(client, csrf, f"/programmes/leaders/cohorts/{world.leadership_cohort}/credentials")
    assert issued.status_code == 303 and "done=issued&n=1" in issued.headers["location"]
    assert "Credentials issued: 1 new." in client.get(issued.headers["location"]).text
    data = client.get(f"/api{path}").json()
    rows = {r["booking_id"]: r for r in data["rows"]}
    credential = rows[a]["credential"]
    assert credential["id"].startswith("urn:uuid:") and rows[b]["credential"] is None
    assert data["credentials_issued"] == 1
    again = _api(client, csrf, f"/api/programmes/leaders/cohorts/{world.leadership_cohort}/credentials")
    assert again.status_code == 200 and again.json()["changed"] == 0  # none twice
    revoke = f"/programmes/leaders/cohorts/{world.leadership_cohort}/credentials/{credential['id']}/revoke"
    empty = _post(client, csrf, revoke, reason=" ")
    assert empty.status_code == 422 and "reason: say why" in empty.text
    assert client.get(f"/api{path}").json()["credentials_issued"] == 1
    other = _post(
        client,
        csrf,
        f"/programmes/soldering/cohorts/{world.workshop_cohort}/credentials/{credential['id']}/revoke",
        reason="x",
    )
    assert other.status_code == 404  # another programme's cohort
    done = _post(client, csrf, revoke, reason=f"Issued in error {HOSTILE}")
    assert done.status_code == 303
    page = client.get(f"{path}")
    assert HOSTILE not in page.text and "Issued in error &lt;script&gt;" in page.text
    data = client.get(f"/api{path}").json()
    assert data["credentials_issued"] == 0 and data["rows"][0]["credential"]["revoked"]
    twice = _api(client, csrf, f"/api{revoke}", {"reason": "again"})
    assert twice.status_code == 409


def test_forms_without_the_csrf_token_are_refused(web: WebEnv, world: World) -> None:
    client, _csrf = _client(web, "manager")
    path = f"/programmes/leaders/cohorts/{world.leadership_cohort}/sessions/{world.sessions[0]}/register"
    assert client.post(path, data={"mark-1": "present"}).status_code == 403
    assert client.post("/programmes/new", data=dict(PROGRAMME)).status_code == 403
    with web.db.session() as s:
        assert s.scalar(select(Programme).where(Programme.slug == PROGRAMME["slug"])) is None


def test_the_json_twins_match_the_pages(web: WebEnv, world: World) -> None:
    [booking] = _confirmed(web, world, [0])
    client, _csrf = _client(web, "manager")
    manage = client.get("/api/programmes/leaders/manage").json()
    cohort = manage["cohorts"][0]
    assert [s["id"] for s in cohort["sessions"]] == world.sessions
    page = client.get("/programmes/leaders/manage").text
    for s in cohort["sessions"]:
        assert f"/sessions/{s['id']}/register" in page and s["starts"] in page
    register = client.get(
        f"/api/programmes/leaders/cohorts/{cohort['id']}/sessions/{world.sessions[0]}/register"
    ).json()
    assert [r["booking_id"] for r in register["rows"]] == [booking]
    with web.db.session() as s:
        assert s.get(Cohort, cohort["id"]) is not None
        assert s.get(Booking, booking) is not None
    assert re.search(r"Completion and credentials", page)


# ---------------------------------------------------------------- CSV exchange


def test_the_export_downloads_only_this_programme(web: WebEnv, world: World) -> None:
    _confirmed(web, world, [0])
    client, _csrf = _client(web, "manager")
    page = client.get("/programmes/leaders/exchange")
    assert page.status_code == 200 and "Download the CSV files" in page.text
    download = client.get("/programmes/leaders/export.zip")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == [
            "attendance.csv",
            "bookings.csv",
            "cohorts.csv",
            "programmes.csv",
            "sessions.csv",
        ]
        bookings = archive.read("bookings.csv").decode()
    assert "tech0@example.ac.uk" in bookings
    files = client.get("/api/programmes/soldering/export").json()["files"]
    assert "leaders" not in "".join(files.values()) and "soldering" in files["programmes.csv"]
    other, _ = _client(web, "other-manager")
    assert other.get("/programmes/leaders/export.zip").status_code == 403
    with web.db.session() as session:  # who downloaded participants' names, and which programme
        exported = [(e.actor, e.target) for e in audit.recent(session, action="programmes.export")]
    assert exported == [("manager", "soldering"), ("manager", "leaders")]


def test_an_import_is_checked_first_and_refused_whole_on_a_bad_row(web: WebEnv, world: World) -> None:
    client, csrf = _client(web, "manager")
    files = client.get("/api/programmes/soldering/export").json()["files"]
    # An export imported again changes nothing.
    same = client.post(
        "/programmes/soldering/import/upload",
        data={"csrf_token": csrf, "op": "import"},
        files=[("files", (name, text.encode(), "text/csv")) for name, text in files.items()],
    )
    assert same.status_code == 200 and "Nothing to change" in same.text
    cohorts = "programme,cohort,starts_on,ends_on,capacity\r\nsoldering,April,2026-04-01,2026-04-01,4\r\n"
    bad = cohorts + f"soldering,{HOSTILE},2026-04-31,2026-04-01,4\r\n"
    refused = client.post(
        "/programmes/soldering/import/upload",
        data={"csrf_token": csrf, "op": "import"},
        files=[("files", ("cohorts.csv", bad.encode(), "text/csv"))],
    )
    assert refused.status_code == 422 and "nothing was written" in refused.text
    assert "cohorts.csv" in refused.text and "starts_on" in refused.text
    assert HOSTILE not in refused.text
    names = [c["name"] for c in client.get("/api/programmes/soldering/manage").json()["cohorts"]]
    assert names == ["March"]
    dry = client.post(
        "/programmes/soldering/import/upload",
        data={"csrf_token": csrf, "op": "check"},
        files=[("files", ("cohorts.csv", cohorts.encode(), "text/csv"))],
    )
    assert dry.status_code == 200 and "Dry run: nothing was written" in dry.text
    assert [c["name"] for c in client.get("/api/programmes/soldering/manage").json()["cohorts"]] == ["March"]
    done = client.post(
        "/api/programmes/soldering/import/upload",
        headers={"X-CSRF-Token": csrf},
        files=[("files", ("cohorts.csv", cohorts.encode(), "text/csv"))],
    )
    assert done.status_code == 200 and done.json()["changed"]
    names = sorted(c["name"] for c in client.get("/api/programmes/soldering/manage").json()["cohorts"])
    assert names == ["April", "March"]
    # Rows of another programme are not this page's to change.
    elsewhere = "programme,cohort,starts_on,ends_on,capacity\r\nleaders,Cohort 9,2026-04-01,2026-04-02,4\r\n"
    other = client.post(
        "/api/programmes/soldering/import/upload",
        headers={"X-CSRF-Token": csrf},
        files=[("files", ("cohorts.csv", elsewhere.encode(), "text/csv"))],
    )
    assert other.status_code in (403, 422)
    assert len(client.get("/api/programmes/leaders/manage").json()["cohorts"]) == 1


def test_a_booking_tool_export_is_imported_with_a_preset(web: WebEnv, world: World) -> None:
    client, csrf = _client(web, "manager")
    export = (
        "Order Date,First Name,Last Name,Email,Company,Attendee Status\r\n"
        "2026-01-05 10:00:00,Grace,Hopper,grace@example.ac.uk,,Attending\r\n"
        "2026-01-06 11:00:00,Alan,Turing,alan@example.ac.uk,,Attending\r\n"
    )
    path = "/programmes/soldering/import-bookings/upload"
    dry = client.post(
        path,
        data={"csrf_token": csrf, "op": "check", "cohort": "March", "preset": "eventbrite"},
        files={"file": ("attendees.csv", export.encode(), "text/csv")},
    )
    assert dry.status_code == 200 and "Dry run" in dry.text, dry.text[-3000:]
    assert client.get("/api/programmes/soldering/manage").json()["cohorts"][0]["bookings"] == []
    bad_map = client.post(
        path,
        data={"csrf_token": csrf, "op": "import", "cohort": "March", "mapping": "colour: Favourite"},
        files={"file": ("attendees.csv", export.encode(), "text/csv")},
    )
    assert bad_map.status_code == 422 and "no field" in html.unescape(bad_map.text)
    done = client.post(
        path,
        data={"csrf_token": csrf, "op": "import", "cohort": "March", "preset": "eventbrite"},
        files={"file": ("attendees.csv", export.encode(), "text/csv")},
    )
    assert done.status_code == 200
    booked = client.get("/api/programmes/soldering/manage").json()["cohorts"][0]["bookings"]
    assert sorted(b["email"] for b in booked) == ["alan@example.ac.uk", "grace@example.ac.uk"]


# ---------------------------------------------------------------- impact


def test_the_impact_dashboard_page_json_and_csv(web: WebEnv, world: World) -> None:
    _confirmed(web, world, range(3))
    analyst, _ = _client(web, "sector-analyst")
    page = analyst.get("/programmes/impact")
    assert page.status_code == 200 and "Sessions delivered" in page.text and "Method" in page.text
    data = analyst.get("/api/programmes/impact").json()
    assert {o["value"] for o in data["programmes"]} == {"leaders", "soldering"}
    assert data["meta"]["disclosure"]
    chosen = analyst.get("/api/programmes/impact?programme=leaders").json()
    assert chosen["programme"] == "leaders"
    csv_file = analyst.get("/programmes/impact.csv?programme=leaders")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert "techforce-impact-leaders" in csv_file.headers["content-disposition"]
    assert csv_file.text.splitlines()[0].startswith("section,")
    assert analyst.get("/api/programmes/impact?programme=nothing-here").status_code == 404
    assert analyst.get("/api/programmes/impact?year=last").status_code == 422
    tech, _ = _client(web, "technician")
    assert tech.get("/programmes/impact").status_code == 403
    lead, _ = _client(web, "provider-lead")
    assert lead.get("/programmes/impact").status_code == 200


def test_hostile_api_input_is_refused_not_a_server_error(web: WebEnv, world: World) -> None:
    client, csrf = _client(web, "manager")
    cohort, session = world.leadership_cohort, world.sessions[0]
    register = f"/api/programmes/leaders/cohorts/{cohort}/sessions/{session}/register"
    assert _api(client, csrf, register, {"marks": {str(2**70): "present"}}).status_code == 422
    projects = f"/api/programmes/leaders/cohorts/{cohort}/completion/projects"
    assert _api(client, csrf, projects, {"done": {str(2**70): True}}).status_code == 422
    assert _api(client, csrf, projects, {"done": {"99999": True}}).status_code == 404
    far = {"title": "x", "starts_at": "9999-12-31T23:00:00-23:00", "ends_at": "9999-12-31T23:30:00-23:00"}
    made = _api(client, csrf, f"/api/programmes/leaders/cohorts/{cohort}/sessions", far)
    assert made.status_code == 422 and "between the years 1900 and 2200" in made.json()["detail"]
    assert client.get("/programmes/leaders/cohorts/1/completion?done=confirmed&n=lots").status_code == 200
    assert (
        _api(
            client,
            csrf,
            "/api/programmes/new",
            {"slug": "a\x00b", "title": "t", "kind": "course", "capacity": 1},
        ).status_code
        == 422
    )


def test_the_managers_flow_on_both_databases(settings: Settings, db: Database) -> None:
    """Decide, keep the register, confirm completions and issue credentials through the JSON
    twins on SQLite and PostgreSQL."""
    with db.session() as s:
        accounts.create_user(s, "manager", "programme-manager", actor="test", password=PASSWORD)
    world = make_world(db)
    with db.session() as s:
        booked = []
        for pid in world.people[:3]:
            who = s.get(Participant, pid)
            assert who is not None
            booked.append(service.book(s, world.leadership_cohort, who, actor="t", statement="Please").id)
    app = create_app(settings, db)
    try:
        with TestClient(app) as client:
            csrf = sign_in(client, "manager")
            base = f"/api/programmes/leaders/cohorts/{world.leadership_cohort}"
            for booking in booked:
                decided = _api(
                    client,
                    csrf,
                    f"/api/programmes/leaders/bookings/{booking}/decide",
                    {"approve": True, "reason": "ok"},
                )
                assert decided.json()["status"] == "confirmed"
            for session in world.sessions:
                marks = {str(booked[0]): "present", str(booked[1]): "present", str(booked[2]): "absent"}
                assert (
                    _api(client, csrf, f"{base}/sessions/{session}/register", {"marks": marks}).status_code
                    == 200
                )
            projects = _api(
                client, csrf, f"{base}/completion/projects", {"done": {str(b): True for b in booked}}
            )
            assert projects.json()["changed"] == 3
            confirmed = _api(client, csrf, f"{base}/completion/confirm").json()
            assert confirmed["changed"] == 2 and confirmed["completion"]["starters"] == 2
            issued = _api(client, csrf, f"{base}/credentials").json()
            assert issued["changed"] == 2 and issued["completion"]["credentials_issued"] == 2
    finally:
        settle()
