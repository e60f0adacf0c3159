"""Independent audit of issue 10, library level, on SQLite and PostgreSQL: the status list,
the impact dashboard's disclosure control, CSV import across programmes, mail headers.

A passing test documents a defence that held; ``xfail(strict=True, reason="FINDING: ...")``
documents a finding not fixed yet (fails today, passes once fixed). The web attacks are in
tests/web/test_audit_issue10.py."""

from __future__ import annotations

import base64
import gzip
from datetime import timedelta

import pytest
from pydantic import ValidationError

from techforce import errors
from techforce.audit import utcnow
from techforce.db import Database
from techforce.programmes import credential_checks, credentials, exchange, followup, impact, service
from techforce.programmes.models import Booking, Participant, WorkforceLink
from techforce.settings import Settings
from techforce.workforce import store
from tests.programmes.conftest import World, make_world


def _completed(db: Database, world: World, person: int) -> int:
    with db.session() as s:
        who = s.get(Participant, person)
        assert who is not None
        booking = service.book(s, world.workshop_cohort, who, actor="t")
        cohort = service.cohort_by_id(s, world.workshop_cohort)
        service.record_attendance(s, cohort.sessions[0], {booking.id: "present"}, actor="t")
        service.confirm_completions(s, cohort, actor="t")
        return booking.id


# --- status list ----------------------------------------------------------------------------
def test_gzip_bomb_status_list_is_refused() -> None:
    bomb = gzip.compress(b"\0" * (credential_checks.MAX_STATUS_BYTES + 1024))
    encoded = "u" + base64.urlsafe_b64encode(bomb).rstrip(b"=").decode()
    with pytest.raises(ValueError, match="expands beyond"):
        credential_checks.decode_bits(encoded)
    with pytest.raises(ValueError, match="not GZIP"):
        credential_checks.decode_bits("u" + "not gzip at all")


# Audit finding, fixed: a status list never goes stale: it has no validUntil and verify checks no
# age, so a list fetched before a revocation (cached, or replayed by the holder with `techforce
# programmes verify --status-list`) makes the revoked credential pass a month later; publish a short
# validUntil (or ttl) and refuse an expired list
def test_a_status_list_from_before_a_revocation_goes_stale(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(db)
    booking = _completed(db, world, world.people[0])
    with db.session() as s:
        row = s.get(Booking, booking)
        assert row is not None
        issued = credentials.issue(s, row, settings, actor="t")
        token, credential_id = issued.token, issued.id
        old_list = credentials.status_list(s, settings)
    with db.session() as s:
        credentials.revoke(s, credential_id, "awarded in error", actor="t")
    later = utcnow() + timedelta(days=30)
    monkeypatch.setattr(credential_checks, "utcnow", lambda: later)
    replayed = credentials.verify(token, settings, status_list_token=old_list)
    assert not replayed.valid


def test_the_current_status_list_reports_a_revocation(settings: Settings, db: Database) -> None:
    world = make_world(db)
    booking = _completed(db, world, world.people[0])
    with db.session() as s:
        row = s.get(Booking, booking)
        assert row is not None
        issued = credentials.issue(s, row, settings, actor="t")
        token, credential_id = issued.token, issued.id
        credentials.revoke(s, credential_id, "awarded in error", actor="t")
    with db.session() as s:
        found = credentials.verify(token, settings, db=s)
    assert not found.valid and found.revoked and "awarded in error" in found.reason


# --- impact dashboard -----------------------------------------------------------------------
def _twelve_confirmed(db: Database) -> World:
    world = make_world(db, places=30, people=12)
    with db.session() as s:
        for i in world.people:
            who = s.get(Participant, i)
            assert who is not None
            b = service.book(s, world.leadership_cohort, who, actor="t", statement="I lead")
            service.decide(s, b, approve=True, reason="ok", actor="t")
    return world


# Audit finding, fixed: the impact dashboard's cost is price x the perturbed place count, published
# unrounded (money is not rounded), so cost / price gives the perturbed count before HESA rounding
# (12 true places: published 10, cost £16,500 = 11 x £1,500); cost per participant gives the
# participants' perturbed count the same way. Rounding adds nothing for any programme with a price;
# base cost on the published (rounded) places
def test_cost_does_not_reveal_the_unrounded_place_count(settings: Settings, db: Database) -> None:
    _twelve_confirmed(db)
    page = impact.dashboard(settings, db, programme="leaders")
    row = page.headline
    assert row.cost.value is not None and row.places.value is not None
    places_from_cost = float(row.cost.value) / 1500.0
    assert places_from_cost == float(row.places.value)


def test_impact_never_shows_a_true_small_count_or_free_text(settings: Settings, db: Database) -> None:
    world = make_world(db, places=30, people=3)
    with db.session() as s:
        for i in world.people:
            who = s.get(Participant, i)
            assert who is not None
            service.book(s, world.workshop_cohort, who, actor="t")
    page = impact.dashboard(settings, db, programme="soldering")
    text = page.model_dump_json() + impact.impact_csv(page)
    assert page.headline.participants.display in ("0–5", "5")  # 3 true people: rounded
    assert page.headline.cost_per_participant.value is None  # 7 or fewer: suppressed
    for row in page.feedback:
        assert row.reaction.value is None
    assert "Technician" not in text and "example.ac.uk" not in text


def test_consent_withdrawal_deletes_the_link_and_hashes_the_staff_id(
    settings: Settings, db: Database
) -> None:
    world = make_world(db)
    key = store.load_or_create_key(settings.key_file)
    with db.session() as s:
        who = s.get(Participant, world.people[0])
        assert who is not None
        link = followup.give_consent(
            s, who, followup.ConsentIn(ukprn="10007789", staff_id="S-123"), key, actor="t"
        )
        assert "S-123" not in link.person_id
    with db.session() as s:
        who = s.get(Participant, world.people[0])
        assert who is not None
        assert followup.withdraw_consent(s, who, actor="t")
    with db.session() as s:
        assert s.get(WorkforceLink, world.people[0]) is None


# --- CSV import across programmes -----------------------------------------------------------
def test_import_for_one_programme_cannot_write_another(db: Database) -> None:
    make_world(db)
    rows = "programme,cohort,email,name,ukprn,status\nleaders,Cohort 1,x@uni.ac.uk,X,10007789,confirmed\n"
    with pytest.raises(errors.Invalid, match="do not manage"):
        exchange.import_tables(db, {"bookings.csv": rows}, actor="m", only=["soldering"])
    with db.session() as s:
        assert s.query(Participant).filter_by(email="x@uni.ac.uk").first() is None


# Audit finding, fixed: a booking import for programme A renames (and re-employs) any participant
# platform-wide by naming their e-mail address: the manager of 'soldering' changes the name and
# UKPRN of a person known only through 'leaders' (or of an account holder), which then shows on that
# person's leaders credential, certificate and register; an import should add people and bookings,
# not rewrite people held by other programmes or accounts
def test_import_for_one_programme_does_not_rename_others_participants(db: Database) -> None:
    world = make_world(db)
    rows = (
        "programme,cohort,email,name,ukprn,status\n"
        "soldering,March,tech0@example.ac.uk,Someone Else,10000001,confirmed\n"
    )
    exchange.import_tables(db, {"bookings.csv": rows}, actor="m", only=["soldering"])
    with db.session() as s:
        who = s.get(Participant, world.people[0])
        assert who is not None
        assert (who.name, who.ukprn) == ("Technician 0", "10007789")


def test_import_refuses_a_booking_that_overfills_a_cohort(db: Database) -> None:
    make_world(db, places=1)
    rows = (
        "programme,cohort,email,name,ukprn,status\n"
        "soldering,March,a1@uni.ac.uk,A,10007789,confirmed\n"
        "soldering,March,a2@uni.ac.uk,B,10007789,confirmed\n"
    )
    with pytest.raises(errors.Invalid, match=r"(?i)place|capacity"):
        exchange.import_tables(db, {"bookings.csv": rows}, actor="m", only=["soldering"])
    with db.session() as s:
        assert s.query(Participant).filter(Participant.email.like("a_@uni.ac.uk")).count() == 0


def test_export_neutralises_formulas_and_reimport_changes_nothing(db: Database) -> None:
    make_world(db)
    with db.session() as s:
        who = service.save_participant(
            s, service.ParticipantIn(email="f@uni.ac.uk", name='=HYPERLINK("http://x","y")'), actor="t"
        )
        service.book(s, 2, who, actor="t")
    files = exchange.export_tables(db, only=["soldering"])
    assert "\n=HYPERLINK" not in files["bookings.csv"] and ",=HYPERLINK" not in files["bookings.csv"]
    report = exchange.import_tables(db, files, actor="t", only=["soldering"])
    assert not report.changed
    with db.session() as s:
        found = s.query(Participant).filter_by(email="f@uni.ac.uk").one()
        assert found.name == '=HYPERLINK("http://x","y")'


# --- mail headers ---------------------------------------------------------------------------
def test_a_name_cannot_carry_a_header() -> None:
    for name in ("Eve\r\nBcc: all@uni.ac.uk", "Eve\nX: y", "Eve\u2028Bcc: a@b"):
        with pytest.raises(ValidationError):
            service.ParticipantIn(email="eve@uni.ac.uk", name=name)
    with pytest.raises(ValidationError):
        service.ParticipantIn(email="eve@uni.ac.uk\r\nBcc: a@b", name="Eve")
