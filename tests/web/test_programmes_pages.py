"""The participant's programme pages through the real app: the catalogue and a programme with
their JSON twins; booking, the waiting list and a cancellation whose freed place the next
person sees; nobody sees or cancels another's booking; applications; feedback, outcomes and
consent forms; calendar downloads and the private feed (signed out, until revoked); the public
credential check; hostile text escaped."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.models import Booking, Participant, WorkforceLink
from techforce.settings import Settings
from tests.programmes.conftest import World, make_world
from tests.web.conftest import PASSWORD, WebEnv, csrf_of, sign_in


def _mail_settles() -> None:
    """Let the background delivery of notifications (facade.Programmes.deliver_soon) finish
    before the database goes away."""
    for thread in threading.enumerate():
        if thread.name == "programmes-mail":
            thread.join(timeout=30)


@pytest.fixture
def world(web: WebEnv) -> Iterator[World]:
    """The programme world (tests/programmes/conftest.py) with a one-place workshop."""
    yield make_world(web.db, places=1)
    _mail_settles()


def _book(client: TestClient, csrf: str, username: str, cohort: int, **extra: str) -> Any:
    form = {
        "csrf_token": csrf,
        "cohort": str(cohort),
        "name": f"{username} person",
        "email": f"{username}@ex.ac.uk",
    }
    return client.post(
        f"/programmes/people/{username}/bookings", data={**form, **extra}, follow_redirects=False
    )


def _mine(client: TestClient, username: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/api/programmes/people/{username}/bookings").json()
    return found


def test_catalogue_and_programme_pages_match_their_json(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        data = client.get("/api/programmes").json()
        page = client.get("/programmes")
        assert page.status_code == 200
        by_slug = {p["slug"]: p for p in data["programmes"]}
        assert set(by_slug) == {"leaders", "soldering"}
        for p in data["programmes"]:
            assert p["title"] in page.text and p["availability"] in page.text and p["cost"] in page.text
        assert by_slug["leaders"]["pillars"] == ["career-development", "visibility"]
        assert by_slug["leaders"]["cost"] == "£1,500 per place"
        assert by_slug["soldering"]["availability"] == "1 place left"
        workshops = client.get("/api/programmes", params={"kind": "workshop"}).json()["programmes"]
        assert [p["slug"] for p in workshops] == ["soldering"]
        pillar = client.get("/programmes", params={"pillar": "visibility"})
        assert "Leadership for women" in pillar.text and "Soldering basics" not in pillar.text
        assert client.get("/api/programmes", params={"kind": "party"}).status_code == 422

        one = client.get("/api/programmes/leaders").json()
        html = client.get("/programmes/leaders").text
        assert one["completion_rule"] in html and one["audience"] in html
        cohort = one["cohorts"][0]
        assert len(cohort["sessions"]) == 5
        first = cohort["sessions"][0]
        assert first["when"] in html  # shown in London time
        starts = datetime.fromisoformat(first["starts_at"])
        assert starts.utcoffset() == timedelta(0) and starts.hour == 9  # stored and sent in UTC
        assert first["when"].split(", ")[1].startswith(("09:00", "10:00"))  # GMT or BST
        assert 'name="statement"' in html  # selective: an application
        assert client.get("/programmes/nothing-here").status_code == 404


def test_book_waitlist_cancel_and_the_next_person_gets_the_place(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as tech, TestClient(web.app) as other:
        csrf = sign_in(tech, "technician")
        booked = _book(tech, csrf, "technician", world.workshop_cohort)
        assert booked.status_code == 303 and booked.headers["location"].endswith("?done=booked")
        mine = _mine(tech, "technician")["bookings"]
        assert [(b["programme"], b["status"]) for b in mine] == [("soldering", "confirmed")]
        assert "Place confirmed" in tech.get(booked.headers["location"]).text

        csrf2 = sign_in(other, "researcher")
        assert "Join the waiting list" in other.get("/programmes/soldering").text
        assert _book(other, csrf2, "researcher", world.workshop_cohort).status_code == 303
        waiting = _mine(other, "researcher")["bookings"][0]
        assert waiting["status"] == "waitlisted" and waiting["position"] == 1
        assert "number 1 in the queue" in other.get("/programmes/people/researcher/bookings").text
        assert other.get("/api/programmes/soldering").json()["cohorts"][0]["waiting"] == 1

        booking = mine[0]["id"]
        ask = tech.post(
            f"/programmes/people/technician/bookings/{booking}/cancel",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert ask.status_code == 303 and f"cancel={booking}" in ask.headers["location"]
        confirm = tech.get(ask.headers["location"])
        assert "Yes, cancel it" in confirm.text and "Soldering basics" in confirm.text
        assert _mine(tech, "technician")["bookings"][0]["status"] == "confirmed"  # asking changed nothing
        done = tech.post(
            f"/programmes/people/technician/bookings/{booking}/cancel",
            data={"csrf_token": csrf, "confirm": "yes"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert _mine(tech, "technician")["bookings"][0]["status"] == "cancelled"
        promoted = other.get("/programmes/people/researcher/bookings").text
        assert "Place confirmed" in promoted and "in the queue" not in promoted
        assert _mine(other, "researcher")["bookings"][0]["status"] == "confirmed"


def test_nobody_sees_or_cancels_anothers_booking(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as tech, TestClient(web.app) as other:
        csrf = sign_in(tech, "technician")
        _book(tech, csrf, "technician", world.workshop_cohort)
        booking = _mine(tech, "technician")["bookings"][0]["id"]
        csrf2 = sign_in(other, "researcher")
        assert other.get("/programmes/people/technician/bookings").status_code == 403
        assert other.get("/api/programmes/people/technician/bookings").status_code == 403
        refused = other.post(
            f"/programmes/people/technician/bookings/{booking}/cancel",
            data={"csrf_token": csrf2, "confirm": "yes"},
        )
        assert refused.status_code == 403
        # under their own name, my booking id is simply not theirs: not found
        for path in (
            f"/programmes/people/researcher/bookings/{booking}/cancel",
            f"/api/programmes/people/researcher/bookings/{booking}/cancel",
        ):
            response = other.post(
                path, data={"csrf_token": csrf2, "confirm": "yes"}, headers={"X-CSRF-Token": csrf2}
            )
            assert response.status_code == 404, path
        for suffix in ("feedback", "outcomes", "credential.jwt", "credential.json", "certificate.pdf"):
            assert other.get(f"/programmes/people/researcher/bookings/{booking}/{suffix}").status_code == 404
        assert other.get(f"/programmes/people/researcher/bookings?cancel={booking}").status_code == 404
        assert _mine(tech, "technician")["bookings"][0]["status"] == "confirmed"
        early = tech.get(f"/programmes/people/technician/bookings/{booking}/certificate.pdf")
        assert early.status_code == 400 and "register" in early.text  # no attendance yet
        # and without the CSRF token nothing happens
        forged = tech.post(
            f"/programmes/people/technician/bookings/{booking}/cancel", data={"confirm": "yes"}
        )
        assert forged.status_code == 403
        assert _mine(tech, "technician")["bookings"][0]["status"] == "confirmed"


def test_applying_to_a_selective_programme_needs_a_statement(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as tech:
        csrf = sign_in(tech, "technician")
        refused = _book(tech, csrf, "technician", world.leadership_cohort)
        assert refused.status_code == 422 and "application statement" in refused.text
        assert 'id="book-error"' in refused.text and "Cohort 1" in refused.text  # the page again
        assert _mine(tech, "technician")["bookings"] == []
        bad = _book(tech, csrf, "technician", world.leadership_cohort, email="not an address", statement="x")
        assert bad.status_code == 422 and "email" in bad.text
        applied = _book(tech, csrf, "technician", world.leadership_cohort, statement="I <b>lead</b> a team")
        assert applied.status_code == 303
        mine = _mine(tech, "technician")
        assert mine["bookings"][0]["status"] == "applied" and mine["details"]["name"] == "technician person"
        page = tech.get("/programmes/people/technician/bookings").text
        assert "I &lt;b&gt;lead&lt;/b&gt; a team" in page and "awaiting a decision" in page
        # the details are asked once: the next booking form has no name field
        assert 'name="name"' not in tech.get("/programmes/soldering").text
        api = tech.post(
            "/api/programmes/people/technician/bookings",
            json={"cohort": world.workshop_cohort},
            headers={"X-CSRF-Token": csrf},
        )
        assert api.status_code == 201 and api.json()["status"] == "confirmed"


def _started_cohort(web: WebEnv) -> int:
    """A course that began yesterday (feedback is open) and ends in ten days."""
    today = date.today()
    with web.db.session() as s:
        service.save_programme(
            s,
            service.ProgrammeIn(slug="python", title="Python for technicians", kind="course", capacity=5),
            actor="test",
        )
        cohort = service.save_cohort(
            s,
            "python",
            service.CohortIn(
                name="Spring", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=10)
            ),
            actor="test",
        )
        at = datetime.now(UTC) - timedelta(days=1)
        service.save_session(
            s,
            cohort,
            service.SessionIn(title="Day 1", starts_at=at, ends_at=at + timedelta(hours=3)),
            actor="test",
        )
        return cohort.id


def test_feedback_outcomes_and_consent(web: WebEnv, world: World) -> None:
    started = _started_cohort(web)
    with TestClient(web.app) as tech:
        csrf = sign_in(tech, "technician")
        _book(tech, csrf, "technician", world.workshop_cohort)
        _book(tech, csrf, "technician", started)
        by_cohort = {b["cohort_id"]: b for b in _mine(tech, "technician")["bookings"]}
        future, now = by_cohort[world.workshop_cohort], by_cohort[started]
        assert not future["feedback_open"] and now["feedback_open"]
        base = "/programmes/people/technician/bookings"
        early = tech.post(
            f"{base}/{future['id']}/feedback",
            data={"csrf_token": csrf, "reaction": "5", "recommend": "yes", "before": "2", "after": "4"},
        )
        assert early.status_code == 400 and "first session" in early.text
        missing = tech.post(f"{base}/{now['id']}/feedback", data={"csrf_token": csrf, "recommend": "yes"})
        assert missing.status_code == 422 and "reaction" in missing.text
        saved = tech.post(
            f"{base}/{now['id']}/feedback",
            data={"csrf_token": csrf, "reaction": "5", "recommend": "yes", "before": "2", "after": "4"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        current = tech.get(f"/api{base}/{now['id']}/feedback").json()["current"]
        assert current == {"reaction": 5, "recommend": True, "before": 2, "after": 4, "comment": ""}

        early = tech.post(f"{base}/{now['id']}/outcomes", data={"csrf_token": csrf, "months": "6"})
        assert early.status_code == 400 and "after the programme" in early.text
        with web.db.session() as s:  # the cohort ends: outcomes can be recorded
            held = s.get(Booking, now["id"])
            assert held is not None
            held.cohort.ends_on = date.today() - timedelta(days=1)
        outcome = tech.post(
            f"{base}/{now['id']}/outcomes",
            data={
                "csrf_token": csrf,
                "months": "12",
                "promoted": "yes",
                "registrations": ["RSciTech", "CSci"],
            },
            follow_redirects=False,
        )
        assert outcome.status_code == 303
        got = tech.get(f"/api{base}/{now['id']}/outcomes", params={"months": 12}).json()["current"]
        assert got["promoted"] and not got["role_changed"] and got["registrations"] == ["RSciTech", "CSci"]
        assert 'value="CSci" selected' in tech.get(f"{base}/{now['id']}/outcomes?months=12").text
        wrong = tech.post(f"{base}/{now['id']}/outcomes", data={"csrf_token": csrf, "registrations": ["PhD"]})
        assert wrong.status_code == 422

        people = "/programmes/people/technician"
        bad = tech.post(f"{people}/consent", data={"csrf_token": csrf, "ukprn": "123", "staff_id": "S1"})
        assert bad.status_code == 422 and "ukprn" in bad.text
        linked = tech.post(
            f"{people}/consent",
            data={"csrf_token": csrf, "ukprn": web.own, "staff_id": "S-0001"},
            follow_redirects=False,
        )
        assert linked.status_code == 303
        consent = _mine(tech, "technician")["consent"]
        assert consent["linked"] and consent["ukprn"] == web.own
        with web.db.session() as s:
            link = s.scalar(select(WorkforceLink))
            assert link is not None and "S-0001" not in link.person_id
        tech.post(f"{people}/consent/withdraw", data={"csrf_token": csrf})
        assert not _mine(tech, "technician")["consent"]["linked"]
        with web.db.session() as s:
            assert s.scalar(select(WorkforceLink)) is None


def test_calendar_files_and_the_private_feed(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as tech, TestClient(web.app) as anonymous:
        csrf = sign_in(tech, "technician")
        whole = tech.get("/programmes/leaders/calendar.ics")
        assert whole.status_code == 200 and whole.headers["content-type"].startswith("text/calendar")
        assert "leaders.ics" in whole.headers["content-disposition"]
        assert len(Calendar.from_ical(whole.content).walk("VEVENT")) == 5
        one = tech.get(f"/programmes/soldering/cohorts/{world.workshop_cohort}/calendar.ics")
        assert [str(e["SUMMARY"]) for e in Calendar.from_ical(one.content).walk("VEVENT")] == [
            "Soldering basics — Soldering"
        ]
        assert (
            tech.get(f"/programmes/leaders/cohorts/{world.workshop_cohort}/calendar.ics").status_code == 404
        )

        _book(tech, csrf, "technician", world.workshop_cohort)
        made = tech.post("/programmes/people/technician/feed", data={"csrf_token": csrf, "action": "new"})
        assert made.status_code == 200
        url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', made.text)
        assert url, "the new address is shown"
        path = "/" + url.group(1).split("/", 3)[3]
        assert path.startswith("/programmes/feeds/") and path.endswith(".ics")
        feed = anonymous.get(path)
        assert feed.status_code == 200
        assert [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")] == [
            "Soldering basics — Soldering"
        ]
        assert "feed-url" not in tech.get("/programmes/people/technician/bookings").text  # shown once
        revoked = tech.post(
            "/programmes/people/technician/feed",
            data={"csrf_token": csrf, "action": "revoke"},
            follow_redirects=False,
        )
        assert revoked.status_code == 303
        assert anonymous.get(path).status_code == 404
        assert anonymous.get("/programmes/feeds/" + "x" * 43 + ".ics").status_code == 404


def test_a_hostile_programme_title_is_escaped(web: WebEnv, world: World) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with web.db.session() as s:
        service.save_programme(
            s,
            service.ProgrammeIn(
                slug="hostile",
                title=hostile,
                kind="course",
                capacity=3,
                description=hostile,
                audience=hostile,
            ),
            actor="test",
        )
    with TestClient(web.app) as tech:
        sign_in(tech, "technician")
        for path in ("/programmes", "/programmes/hostile"):
            page = tech.get(path).text
            assert "<script>alert" not in page and "<img src=x" not in page, path
            assert "&lt;script&gt;alert(" in page, path
        assert tech.get("/api/programmes/hostile").json()["title"] == hostile


def test_public_routes_work_signed_out(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as anonymous:
        page = anonymous.get("/programmes/verify")
        assert page.status_code == 200 and 'name="credential"' in page.text
        checked = anonymous.post("/programmes/verify", data={"credential": "not.a.credential"})
        assert checked.status_code == 200 and "Not valid" in checked.text
        empty = anonymous.post("/programmes/verify", data={"credential": "  "})
        assert empty.status_code == 422
        api = anonymous.post("/api/programmes/verify", json={"credential": "abc"}).json()
        assert api["valid"] is False and api["reason"] and api["checks"]
        key = anonymous.get("/programmes/credentials/key")
        assert key.status_code == 200 and key.json()["keys"][0]["crv"] == "Ed25519"
        assert "d" not in key.json()["keys"][0]  # never the private part
        status = anonymous.get("/programmes/credentials/status")
        assert status.status_code == 200 and status.text.count(".") == 2
        # everything else needs signing in
        assert anonymous.get("/programmes", follow_redirects=False).status_code == 303
        assert anonymous.get("/api/programmes").status_code == 401


def test_an_issued_credential_downloads_and_checks_until_revoked(web: WebEnv, world: World) -> None:
    from techforce.programmes import credentials

    with TestClient(web.app) as tech, TestClient(web.app) as anonymous:
        csrf = sign_in(tech, "technician")
        _book(tech, csrf, "technician", world.workshop_cohort)
        with web.db.session() as s:
            booking = s.scalar(select(Booking).join(Participant).where(Participant.username == "technician"))
            assert booking is not None
            session = booking.cohort.sessions[0]
            service.record_attendance(s, session, {booking.id: "present"}, actor="test")
            service.confirm_completions(s, booking.cohort, actor="test")
            credential = credentials.issue(s, booking, web.settings, actor="test")
            booking_id, credential_id = booking.id, credential.id
        page = tech.get("/programmes/people/technician/bookings").text
        assert "credential.jwt" in page and "certificate.pdf" in page
        jwt = tech.get(f"/programmes/people/technician/bookings/{booking_id}/credential.jwt")
        assert jwt.status_code == 200 and jwt.headers["content-type"].startswith("application/vc+jwt")
        assert "attachment" in jwt.headers["content-disposition"]
        pdf = tech.get(f"/programmes/people/technician/bookings/{booking_id}/certificate.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "soldering-certificate" in pdf.headers["content-disposition"]
        content = tech.get(f"/programmes/people/technician/bookings/{booking_id}/credential.json").json()
        assert "OpenBadgeCredential" in content["type"]
        good = anonymous.post("/api/programmes/verify", json={"credential": jwt.text}).json()
        assert good["valid"] is True and all(c["passed"] for c in good["checks"])
        shown = anonymous.post(
            "/programmes/verify", files={"upload": ("badge.jwt", jwt.content, "application/vc+jwt")}
        )
        assert "Valid credential" in shown.text and "Soldering basics" in shown.text
        assert "technician person" in shown.text  # awarded to, by name
        tampered = jwt.text[:-4] + ("AAAA" if not jwt.text.endswith("AAAA") else "BBBB")
        assert (
            anonymous.post("/api/programmes/verify", json={"credential": tampered}).json()["valid"] is False
        )
        with web.db.session() as s:
            credentials.revoke(s, credential_id, "issued in error", actor="test")
        revoked = anonymous.post("/programmes/verify", data={"credential": jwt.text})
        assert "Revoked" in revoked.text
        assert "revoked" in tech.get("/programmes/people/technician/bookings").text


def test_me_goes_to_my_bookings(web: WebEnv, world: World) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "programme-manager")
        response = client.get("/programmes/me", follow_redirects=False)
        assert response.headers["location"] == "/programmes/people/programme-manager/bookings"
        page = client.get(response.headers["location"])
        assert page.status_code == 200 and "No bookings yet" in page.text
        assert "Save your details" in page.text
        saved = client.post(
            "/programmes/people/programme-manager/details",
            data={"csrf_token": csrf_of(page.text), "name": "Pat", "email": "pat@ex.ac.uk", "level": "Q9"},
        )
        assert saved.status_code == 422 and "level" in saved.text


def test_booking_through_the_pages_on_both_databases(settings: Settings, db: Database) -> None:
    """The same flow on SQLite and PostgreSQL: book the last place, the next person waits,
    the first cancels and the second has the place; each sees only their own."""
    from techforce.accounts import service as accounts
    from techforce.web.app import create_app

    with db.session() as s:
        for role in ("technician", "researcher"):
            accounts.create_user(s, role, role, actor="test", password=PASSWORD)
    world = make_world(db, places=1)
    app = create_app(settings, db)
    with TestClient(app) as tech, TestClient(app) as other:
        csrf, csrf2 = sign_in(tech, "technician"), sign_in(other, "researcher")
        assert _book(tech, csrf, "technician", world.workshop_cohort).status_code == 303
        assert _book(other, csrf2, "researcher", world.workshop_cohort).status_code == 303
        assert _mine(other, "researcher")["bookings"][0]["position"] == 1
        assert other.get("/api/programmes/people/technician/bookings").status_code == 403
        booking = _mine(tech, "technician")["bookings"][0]["id"]
        cancelled = tech.post(
            f"/api/programmes/people/technician/bookings/{booking}/cancel", headers={"X-CSRF-Token": csrf}
        )
        assert cancelled.json() == {"booking": booking, "status": "cancelled", "promoted": 1}
        assert _mine(other, "researcher")["bookings"][0]["status"] == "confirmed"
    _mail_settles()
