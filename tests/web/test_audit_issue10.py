"""Independent audit of issue 10 (development programmes): bookings, the waiting list,
feedback, outcomes, consent, credentials (OB 3.0 VC-JWT, status list, public verification),
private calendar feeds, CSV exchange and the impact dashboard, attacked through the real app.

Every attack tried is a test here: a passing test documents a defence that held; a test
marked ``xfail(strict=True, reason="FINDING: ...")`` documents a finding that is not fixed (none now: each fixed finding is a plain test under an "Audit finding, fixed" comment)
yet (it fails today and must pass once fixed). Library-level attacks (both databases) are in
tests/programmes/test_audit_issue10_lib.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import select

from techforce.accounts import service as accounts
from techforce.programmes import credentials, service
from techforce.programmes.credential_keys import REGISTRY
from techforce.programmes.models import Booking, Credential, Participant
from tests.programmes.conftest import World, make_world
from tests.web.conftest import PASSWORD, WebEnv, sign_in
from tests.web.programmes_matrix import settle

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


# --- helpers -------------------------------------------------------------------------------
@pytest.fixture
def world(web: WebEnv) -> Iterator[World]:
    """The programmes world run by "manager"; "other-manager" runs only "other-prog"; tech0
    and tech1 (participants people[0], people[1]) have technician accounts."""
    with web.db.session() as s:
        accounts.create_user(s, "manager", "programme-manager", actor="test", password=PASSWORD)
        accounts.create_user(s, "other-manager", "programme-manager", actor="test", password=PASSWORD)
        for name in ("tech0", "tech1"):
            accounts.create_user(s, name, "technician", actor="test", password=PASSWORD)
    found = make_world(web.db)
    with web.db.session() as s:
        service.save_programme(
            s,
            service.ProgrammeIn(slug="other-prog", title="Other", kind="workshop", capacity=5),
            actor="other-manager",
        )
        start = date.today() + timedelta(days=10)
        service.save_cohort(
            s,
            "other-prog",
            service.CohortIn(name="One", starts_on=start, ends_on=start),
            actor="other-manager",
        )
    yield found
    settle()


@contextmanager
def client_of(web: WebEnv, username: str) -> Iterator[tuple[TestClient, str]]:
    with TestClient(web.app, raise_server_exceptions=False) as client:
        yield client, sign_in(client, username)


def _api(client: TestClient, csrf: str, path: str, body: Any = None) -> Any:
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf})


def _booking(web: WebEnv, cohort: int, person: int, statement: str = "") -> int:
    with web.db.session() as s:
        who = s.get(Participant, person)
        assert who is not None
        return service.book(s, cohort, who, actor="test", statement=statement).id


def _complete(web: WebEnv, world: World, person: int) -> int:
    """A confirmed, completed place on the one-session workshop for ``person``."""
    booking = _booking(web, world.workshop_cohort, person)
    with web.db.session() as s:
        cohort = service.cohort_by_id(s, world.workshop_cohort)
        service.record_attendance(s, cohort.sessions[0], {booking: "present"}, actor="test")
        service.confirm_completions(s, cohort, actor="test")
    return booking


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _issued_token(web: WebEnv, world: World) -> tuple[str, int]:
    booking = _complete(web, world, world.people[0])
    with web.db.session() as s:
        found = credentials.issue(s, s.get(Booking, booking), web.settings, actor="test")  # type: ignore[arg-type]
        return found.token, booking


# --- IDOR and roles: held -------------------------------------------------------------------
def test_another_persons_booking_is_not_found_on_every_route(web: WebEnv, world: World) -> None:
    theirs = _booking(web, world.workshop_cohort, world.people[1])
    with client_of(web, "tech0") as (client, csrf):
        base = f"/programmes/people/tech0/bookings/{theirs}"
        for path in ("/feedback", "/outcomes", "/credential.jwt", "/credential.json", "/certificate.pdf"):
            assert client.get(base + path).status_code == 404, path
        assert client.get(f"/api{base}/feedback").status_code == 404
        assert _api(client, csrf, f"/api{base}/cancel").status_code == 404
        feedback = {"reaction": 5, "recommend": True, "before": 1, "after": 5}
        assert _api(client, csrf, f"/api{base}/feedback", feedback).status_code == 404
        assert _api(client, csrf, f"/api{base}/outcomes", {"months": 6, "promoted": True}).status_code == 404
        # the other person's own path is forbidden outright
        assert client.get("/api/programmes/people/tech1/bookings").status_code == 403
        assert _api(client, csrf, f"/api/programmes/people/tech1/bookings/{theirs}/cancel").status_code == 403
        assert _api(client, csrf, "/api/programmes/people/tech1/consent/withdraw").status_code == 403
        assert _api(client, csrf, "/api/programmes/people/tech1/feed", {"action": "new"}).status_code == 403
    with web.db.session() as s:
        assert s.get(Booking, theirs).status == "confirmed"


def test_technician_cannot_create_manage_mark_or_issue(web: WebEnv, world: World) -> None:
    mine = _complete(web, world, world.people[0])
    with client_of(web, "tech0") as (client, csrf):
        body = {"slug": "mine", "title": "Mine", "kind": "workshop", "capacity": 5}
        assert _api(client, csrf, "/api/programmes/new", body).status_code == 403
        assert client.get("/api/programmes/soldering/manage").status_code == 403
        with web.db.session() as s:
            session_id = service.cohort_by_id(s, world.workshop_cohort).sessions[0].id
        reg = f"/api/programmes/soldering/cohorts/{world.workshop_cohort}/sessions/{session_id}/register"
        assert _api(client, csrf, reg, {"marks": {str(mine): "present"}}).status_code == 403
        issue = f"/api/programmes/soldering/cohorts/{world.workshop_cohort}/credentials"
        assert _api(client, csrf, issue).status_code == 403
        assert client.get("/api/programmes/soldering/export").status_code == 403
    with web.db.session() as s:
        assert s.scalar(select(Credential)) is None


def test_manager_of_another_programme_cannot_reach_this_ones_ids(web: WebEnv, world: World) -> None:
    application = _booking(web, world.leadership_cohort, world.people[2], statement="please")
    with client_of(web, "other-manager") as (client, csrf):
        assert client.get("/api/programmes/leaders/manage").status_code == 403
        own = "/api/programmes/other-prog"
        decided = _api(client, csrf, f"{own}/bookings/{application}/decide", {"approve": True, "reason": "x"})
        assert decided.status_code == 404
        assert _api(client, csrf, f"{own}/bookings/{application}/cancel").status_code == 404
        assert client.get(f"{own}/cohorts/{world.leadership_cohort}/completion").status_code == 404
        session = world.sessions[0]
        path = f"{own}/cohorts/{world.leadership_cohort}/sessions/{session}/register"
        assert client.get(path).status_code == 404
        assert _api(client, csrf, f"{own}/cohorts/{world.leadership_cohort}/credentials").status_code == 404
    with web.db.session() as s:
        assert s.get(Booking, application).status == "applied"


def test_csrf_is_required_on_person_and_manager_posts(web: WebEnv, world: World) -> None:
    theirs = _booking(web, world.workshop_cohort, world.people[0])
    with client_of(web, "tech0") as (client, _csrf):
        paths = [
            ("/programmes/people/tech0/bookings", {"cohort": str(world.workshop_cohort)}),
            (f"/programmes/people/tech0/bookings/{theirs}/cancel", {"confirm": "yes"}),
            ("/programmes/people/tech0/consent", {"ukprn": "10007789", "staff_id": "X1"}),
            ("/programmes/people/tech0/feed", {"action": "new"}),
        ]
        for path, form in paths:
            assert client.post(path, data=form, follow_redirects=False).status_code == 403, path
            assert client.post("/api" + path, json=form).status_code == 403, path
    with client_of(web, "manager") as (client, _csrf):
        assert client.post(f"/api/programmes/soldering/bookings/{theirs}/cancel").status_code == 403
    with web.db.session() as s:
        assert s.get(Booking, theirs).status == "confirmed"


# --- FINDING: claiming a participant record that has no account -----------------------------
# Audit finding, fixed: a technician takes over another person's participant record (bookings,
# feedback, credentials, calendar) by giving that person's e-mail address in 'your details' when the
# record has no account yet (every participant a CSV or booking-tool import makes):
# service.save_participant finds the record by e-mail and writes the caller's username on it
def test_details_cannot_claim_an_imported_participant_by_email(web: WebEnv, world: World) -> None:
    with web.db.session() as s:
        victim = service.save_participant(
            s, service.ParticipantIn(email="victim@uni.ac.uk", name="Imported Victim"), actor="manager"
        )
        service.book(s, world.workshop_cohort, victim, actor="manager")
    with client_of(web, "technician") as (client, csrf):
        claimed = _api(
            client,
            csrf,
            "/api/programmes/people/technician/details",
            {"name": "Me", "email": "VICTIM@uni.ac.uk"},
        )
        mine = client.get("/api/programmes/people/technician/bookings").json()
    assert claimed.status_code == 409
    assert mine.get("bookings", []) == []


def test_details_cannot_take_an_account_holders_email(web: WebEnv, world: World) -> None:
    with client_of(web, "technician") as (client, csrf):
        taken = _api(
            client,
            csrf,
            "/api/programmes/people/technician/details",
            {"name": "Me", "email": "tech1@example.ac.uk"},
        )
        assert taken.status_code == 409
        assert "another participant" in taken.text


# Audit finding, fixed: a person who already has a participant record can change their e-mail to
# another account holder's address in different case (TECH1@...): the unique constraint is
# case-sensitive, so two records share one mailbox and the victim's notifications, the recipient
# hash of credentials and the import's e-mail matching become ambiguous; the exact address instead
# fails the unique constraint as a 500
def test_details_email_change_to_anothers_address_is_refused(web: WebEnv, world: World) -> None:
    with client_of(web, "tech0") as (client, csrf):
        codes = []
        for email in ("TECH1@example.ac.uk", "tech1@example.ac.uk"):
            body = {"name": "Technician 0", "email": email}
            codes.append(_api(client, csrf, "/api/programmes/people/tech0/details", body).status_code)
    assert codes == [409, 409]


# --- FINDING: a cancelled place still gets a credential -------------------------------------
# Audit finding, fixed: a place completed and then cancelled keeps completed_at (service.cancel does
# not clear it and confirm_completions only revisits confirmed places), so credentials.issue_all
# signs an Open Badge for a cancelled booking
def test_no_credential_for_a_cancelled_place(web: WebEnv, world: World) -> None:
    booking = _complete(web, world, world.people[0])
    with client_of(web, "tech0") as (client, csrf):
        cancelled = _api(client, csrf, f"/api/programmes/people/tech0/bookings/{booking}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    with client_of(web, "manager") as (client, csrf):
        issued = _api(client, csrf, f"/api/programmes/soldering/cohorts/{world.workshop_cohort}/credentials")
        assert issued.status_code == 200
    with web.db.session() as s:
        assert s.scalar(select(Credential).where(Credential.booking_id == booking)) is None


# --- FINDING: outcomes before the programme -------------------------------------------------
# Audit finding, fixed: followup.record_outcome accepts a '12 months after' outcome (promoted, new
# registration...) for a cohort that has not even begun; such answers feed the impact dashboard's
# outcome rates (feedback, by contrast, waits for the first session)
def test_outcomes_wait_for_the_programme(web: WebEnv, world: World) -> None:
    booking = _booking(web, world.workshop_cohort, world.people[0])  # starts in 30 days
    with client_of(web, "tech0") as (client, csrf):
        body = {"months": 12, "promoted": True, "registrations": ["CEng"]}
        done = _api(client, csrf, f"/api/programmes/people/tech0/bookings/{booking}/outcomes", body)
    assert done.status_code in (400, 409)


def test_feedback_waits_for_the_first_session_and_a_confirmed_place(web: WebEnv, world: World) -> None:
    booking = _booking(web, world.workshop_cohort, world.people[0])
    body = {"reaction": 5, "recommend": True, "before": 1, "after": 5, "comment": HOSTILE}
    with client_of(web, "tech0") as (client, csrf):
        early = _api(client, csrf, f"/api/programmes/people/tech0/bookings/{booking}/feedback", body)
        assert early.status_code == 400 and "first session" in early.text


# --- public credential verification ---------------------------------------------------------
def _verify(client: TestClient, token: str) -> Any:
    return client.post("/api/programmes/verify", json={"credential": token})


def test_forged_credentials_fail_with_a_reason(web: WebEnv, world: World) -> None:
    token, _booking_id = _issued_token(web, world)
    header_b64, payload_b64, _sig = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    payload["name"] = HOSTILE
    changed = _b64(json.dumps(payload).encode())
    attacker = OKPKey.generate_key("Ed25519")
    body = json.dumps(payload).encode()
    public = json.dumps(credentials.public_jwk(web.settings)).encode()
    hs_header = _b64(json.dumps({**header, "alg": "HS256"}).encode())
    hs_sig = _b64(hmac.new(public, f"{hs_header}.{changed}".encode(), hashlib.sha256).digest())
    forged = {
        "alg none": f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}.{changed}.",
        "payload changed": f"{header_b64}.{changed}.{_sig}",
        "another key, issuer's kid": jws.serialize_compact(dict(header), body, attacker, registry=REGISTRY),
        "embedded jwk": jws.serialize_compact(
            {**header, "kid": attacker.thumbprint(), "jwk": attacker.as_dict(private=False)},
            body,
            attacker,
            registry=REGISTRY,
        ),
        "HS256 keyed with the public key": f"{hs_header}.{changed}.{hs_sig}",
        "kid path trick": jws.serialize_compact(
            {**header, "kid": "../../key.pem"}, body, attacker, registry=REGISTRY
        ),
    }
    with TestClient(web.app, raise_server_exceptions=False) as client:
        assert _verify(client, token).json()["valid"] is True
        for what, text in forged.items():
            found = _verify(client, text)
            assert found.status_code == 200, what
            assert found.json()["valid"] is False, what
        page = client.post("/programmes/verify", data={"credential": forged["payload changed"]})
        assert page.status_code == 200 and "<script>alert(1)" not in page.text


def test_revoked_credential_fails_and_the_status_list_is_signed(web: WebEnv, world: World) -> None:
    token, booking = _issued_token(web, world)
    with web.db.session() as s:
        found = s.scalar(select(Credential).where(Credential.booking_id == booking))
        assert found is not None
        credentials.revoke(s, found.id, HOSTILE, actor="test")
    with TestClient(web.app, raise_server_exceptions=False) as client:
        result = _verify(client, token).json()
        assert result["valid"] is False and result["revoked"] is True
        page = client.post("/programmes/verify", data={"credential": token})
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
        listed = client.get("/programmes/credentials/status")
        assert listed.status_code == 200 and listed.text.count(".") == 2


# Audit finding, fixed: the public verify endpoint answers 500 to a deeply nested JSON input
# ('{\"a\":' repeated): credential_checks._unwrap (and _open for a nested JWS payload) catch
# ValueError but json.loads raises RecursionError, so anyone can make the server log an unhandled
# error per request
def test_deeply_nested_json_is_a_clean_refusal(web: WebEnv) -> None:
    nested = '{"a":' * 50_000 + "1" + "}" * 50_000
    payload = _b64(b"[" * 100_000 + b"]" * 100_000)
    with TestClient(web.app, raise_server_exceptions=False) as client:
        for text in (nested, f"{_b64(b'{}')}.{payload}.AAAA"):
            found = _verify(client, text)
            assert found.status_code in (200, 422), found.status_code
            if found.status_code == 200:
                assert found.json()["valid"] is False


def test_huge_or_binary_credential_input_is_refused_cleanly(web: WebEnv) -> None:
    with TestClient(web.app, raise_server_exceptions=False) as client:
        big = "a" * (credentials.MAX_INPUT + 10)
        assert _verify(client, big).status_code == 422
        page = client.post(
            "/programmes/verify", files={"upload": ("x.jwt", b"\xff\xfe\x00bad", "text/plain")}
        )
        assert page.status_code == 422
        nul = client.post("/programmes/verify", data={"credential": "a\x00b.c.d"})
        assert nul.status_code == 200 and "not" in nul.text


# --- feeds ----------------------------------------------------------------------------------
def test_feed_tokens_odd_shapes_are_not_found_and_revocation_works(web: WebEnv, world: World) -> None:
    _booking(web, world.workshop_cohort, world.people[0])
    with client_of(web, "tech0") as (client, csrf):
        url = _api(client, csrf, "/api/programmes/people/tech0/feed", {"action": "new"}).json()["url"]
        path = "/programmes/feeds/" + url.rsplit("/programmes/feeds/", 1)[1]
        with TestClient(web.app, raise_server_exceptions=False) as anyone:
            assert anyone.get(path).status_code == 200
            for odd in ("x" * 5000, "%00", "..%2f..%2fetc", "'or'1'='1", path.split("/")[-1][:-5][:-1] + "A"):
                assert anyone.get(f"/programmes/feeds/{odd}.ics").status_code == 404, odd
        _api(client, csrf, "/api/programmes/people/tech0/feed", {"action": "revoke"})
        with TestClient(web.app, raise_server_exceptions=False) as anyone:
            assert anyone.get(path).status_code == 404


# --- odd inputs -----------------------------------------------------------------------------
def test_odd_inputs_are_4xx_not_500(web: WebEnv, world: World) -> None:
    with client_of(web, "manager") as (client, csrf):
        for body in (
            {"slug": "x1", "title": "a\x00b", "kind": "workshop", "capacity": 5},
            {"slug": "x2", "title": "ok", "kind": "workshop", "capacity": -1},
            {"slug": "x3", "title": "t" * 5000, "kind": "workshop", "capacity": 5},
            {"slug": "x4", "title": "ok", "kind": "workshop", "capacity": 2**63},
            {"slug": "x5", "title": "ok\r\nBcc: a@b", "kind": "workshop", "capacity": 5},
        ):
            assert _api(client, csrf, "/api/programmes/new", body).status_code == 422, body
        for path in (
            f"/api/programmes/soldering/bookings/{2**63}/cancel",
            "/api/programmes/soldering/bookings/-1/cancel",
            f"/api/programmes/soldering/cohorts/{2**40}/credentials",
        ):
            assert _api(client, csrf, path).status_code in (404, 422), path
    with client_of(web, "tech0") as (client, csrf):
        odd: list[dict[str, object]] = [
            {"cohort": 2**63},
            {"cohort": world.workshop_cohort, "statement": "a\x00"},
        ]
        for sent in odd:
            found = _api(client, csrf, "/api/programmes/people/tech0/bookings", sent)
            assert found.status_code in (404, 422), sent
        bad = {"ukprn": "10007789", "staff_id": "a\x00b"}
        assert _api(client, csrf, "/api/programmes/people/tech0/consent", bad).status_code in (400, 422)


def test_session_times_without_offset_are_refused_and_dst_is_kept(web: WebEnv, world: World) -> None:
    with client_of(web, "manager") as (client, csrf):
        path = f"/api/programmes/soldering/cohorts/{world.workshop_cohort}/sessions"
        naive = {"title": "n", "starts_at": "2026-03-29T00:30:00", "ends_at": "2026-03-29T02:30:00"}
        assert _api(client, csrf, path, naive).status_code == 422
        # across the spring-forward hour in London: 00:30 GMT to 02:30 BST is one hour
        dst = {"title": "d", "starts_at": "2026-03-29T00:30:00+00:00", "ends_at": "2026-03-29T02:30:00+01:00"}
        made = _api(client, csrf, path, dst)
        assert made.status_code == 201
    with web.db.session() as s:
        found = next(x for x in service.cohort_by_id(s, world.workshop_cohort).sessions if x.title == "d")
        starts = found.starts_at.replace(tzinfo=UTC) if found.starts_at.tzinfo is None else found.starts_at
        ends = found.ends_at.replace(tzinfo=UTC) if found.ends_at.tzinfo is None else found.ends_at
        assert ends - starts == timedelta(hours=1)
        assert starts == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
