"""Calendar feeds: a programme's, a cohort's and a person's sessions as iCalendar that calendar
apps read back; private feed tokens; typed text that tries to add properties."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from techforce import errors
from techforce.audit import AuditEvent
from techforce.cli.main import app
from techforce.db import Database
from techforce.programmes import calendar, events, service
from techforce.programmes.calendar import utc
from techforce.programmes.models import Booking, FeedToken, Session
from techforce.settings import Settings
from tests.programmes.conftest import World, make_world, person

SETTINGS = Settings(public_url="https://tf.example.ac.uk")


def _events(data: bytes) -> list[dict[str, object]]:
    parsed = Calendar.from_ical(data)
    return [
        {
            "uid": str(e["uid"]),
            "start": e.decoded("dtstart"),
            "end": e.decoded("dtend"),
            "summary": str(e["summary"]),
            "location": str(e["location"]),
            "sequence": int(e["sequence"]),
            "url": str(e["url"]),
        }
        for e in parsed.walk("VEVENT")
    ]


def _book(world: World, i: int, cohort: int) -> Booking:
    with world.db.session() as s:
        who = s.merge(person(world.db, world.people[i]))
        return service.book(s, cohort, who, actor=f"tech{i}")


def test_a_programme_feed_reads_back_with_its_sessions_uids_and_times(world: World) -> None:
    with world.db.session() as s:
        data = calendar.programme_feed(s, "leaders", SETTINGS)
        stored = [s.get(Session, i) for i in world.sessions]
        expected = [(x.uid, utc(x.starts_at), utc(x.ends_at), x.title) for x in stored if x is not None]
    parsed = Calendar.from_ical(data)
    assert str(parsed["prodid"]) == calendar.PRODID and str(parsed["version"]) == "2.0"
    assert str(parsed["method"]) == "PUBLISH" and str(parsed["calscale"]) == "GREGORIAN"
    assert str(parsed["x-wr-calname"]) == "Leadership for women in technical roles"
    got = _events(data)
    assert [(e["uid"], e["start"], e["end"]) for e in got] == [u[:3] for u in expected]
    assert got[0]["summary"] == "Leadership for women in technical roles — You as Leader"
    assert got[0]["location"] == "Leeds" and got[0]["sequence"] == 0
    assert got[0]["url"] == "https://tf.example.ac.uk/programmes/leaders"
    assert all(e["start"].tzinfo is not None and e["start"].utcoffset() == timedelta(0) for e in got)  # type: ignore[union-attr]
    assert b"DTSTART:" in data and b"Z\r\n" in data  # UTC times, CRLF lines


def test_a_changed_session_keeps_its_uid_and_raises_its_sequence(world: World) -> None:
    with world.db.session() as s:
        first = s.get(Session, world.sessions[0])
        assert first is not None
        later = utc(first.starts_at) + timedelta(hours=1)
        service.save_session(
            s,
            first.cohort,
            service.SessionIn(
                title="You as Leader", starts_at=later, ends_at=later + timedelta(hours=6), mode="online"
            ),
            actor="manager",
            uid=first.uid,
        )
        uid = first.uid
    with world.db.session() as s:
        got = {e["uid"]: e for e in _events(calendar.cohort_feed(s, world.leadership_cohort, SETTINGS))}
    assert got[uid]["sequence"] == 1 and got[uid]["start"] == later
    assert got[uid]["location"] == "Online"


def test_a_cohort_feed_holds_only_that_cohort_and_an_unknown_one_is_not_found(world: World) -> None:
    with world.db.session() as s:
        shop = _events(calendar.cohort_feed(s, world.workshop_cohort, SETTINGS))
        assert [e["summary"] for e in shop] == ["Soldering basics — Soldering"]
        with pytest.raises(errors.NotFound):
            calendar.cohort_feed(s, 99999, SETTINGS)
        with pytest.raises(errors.NotFound):
            calendar.programme_feed(s, "nope", SETTINGS)


def test_a_persons_feed_shows_only_confirmed_places_and_drops_a_cancelled_one(world: World) -> None:
    for i in range(3):
        _book(world, i, world.workshop_cohort)
    waiting = _book(world, 3, world.workshop_cohort)
    assert waiting.status == "waitlisted"
    with world.db.session() as s:
        assert len(_events(calendar.person_feed(s, world.people[0], SETTINGS))) == 1
        assert _events(calendar.person_feed(s, world.people[3], SETTINGS)) == []  # waiting list only
        assert _events(calendar.person_feed(s, world.people[5], SETTINGS)) == []  # no booking
    with world.db.session() as s:
        mine = s.scalar(select(Booking).where(Booking.participant_id == world.people[0]))
        assert mine is not None
        service.cancel(s, mine, actor="tech0")  # tech3 takes the place
    with world.db.session() as s:
        assert _events(calendar.person_feed(s, world.people[0], SETTINGS)) == []
        assert len(_events(calendar.person_feed(s, world.people[3], SETTINGS))) == 1
        with pytest.raises(errors.NotFound):
            calendar.person_feed(s, 99999, SETTINGS)


def test_a_new_token_replaces_the_old_one_and_revoking_stops_it(world: World) -> None:
    with world.db.session() as s:
        who = s.merge(person(world.db, world.people[0]))
        first = calendar.new_feed_token(s, who, actor="tech0")
    with world.db.session() as s:
        found = calendar.participant_for_token(s, first)
        assert found is not None and found.id == world.people[0]
        stored = s.scalars(select(FeedToken.token_hash)).all()
        assert first not in stored and len(stored[0]) == 64  # only a hash is kept
        second = calendar.new_feed_token(s, found, actor="tech0")
    assert second != first
    assert calendar.feed_url(SETTINGS, second) == f"https://tf.example.ac.uk/programmes/feeds/{second}.ics"
    with world.db.session() as s:
        assert calendar.participant_for_token(s, first) is None  # replaced: stops working
        assert calendar.participant_for_token(s, second) is not None
        assert calendar.participant_for_token(s, "") is None
        assert calendar.participant_for_token(s, second + "x") is None
        assert calendar.participant_for_token(s, "'; DROP TABLE x; --" * 3) is None
        who = s.merge(person(world.db, world.people[0]))
        assert calendar.revoke_feed_token(s, who, actor="tech0") is True
    with world.db.session() as s:
        assert calendar.participant_for_token(s, second) is None
        who = s.merge(person(world.db, world.people[0]))
        assert calendar.revoke_feed_token(s, who, actor="tech0") is False
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count(events.FEED_NEW) == 2 and actions.count(events.FEED_REVOKE) == 1


def test_typed_text_cannot_add_properties_or_events(world: World) -> None:
    hostile = "Evil\r\nATTENDEE:mailto:x@evil.example\r\nEND:VEVENT\nBEGIN:VEVENT;a,b\rX-Y:1\x07\x1b"
    with world.db.session() as s:
        cohort = service.cohort_by_id(s, world.workshop_cohort)
        start = utc(cohort.sessions[0].starts_at) + timedelta(days=1)
        row = service.save_session(
            s,
            cohort,
            service.SessionIn(title="Evil", starts_at=start, ends_at=start + timedelta(hours=1)),
            actor="manager",
        )
        # The service refuses line breaks and control characters (test_bookings); the feed must
        # hold even for text stored some other way (an older row, a direct write).
        row.title, row.location = hostile, "Room 1; Floor 2, \nX-Z:2"
        row.facilitator = "Dr A\r\nORGANIZER:mailto:a@b"
    with world.db.session() as s:
        data = calendar.cohort_feed(s, world.workshop_cohort, SETTINGS)
    parsed = Calendar.from_ical(data)
    found = list(parsed.walk("VEVENT"))
    assert len(found) == 2
    for event in found:
        assert set(event.keys()) == {
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SUMMARY",
            "LOCATION",
            "DESCRIPTION",
            "SEQUENCE",
            "URL",
        }
    evil = found[1]
    assert (
        str(evil["summary"])
        == "Soldering basics — Evil\nATTENDEE:mailto:x@evil.example\nEND:VEVENT\nBEGIN:VEVENT;a,b\nX-Y:1"
    )
    assert str(evil["location"]) == "Room 1; Floor 2, \nX-Z:2"
    assert "Facilitator: Dr A\nORGANIZER:mailto:a@b" in str(evil["description"])
    lines = data.split(b"\r\n")
    assert not any(line.startswith((b"ATTENDEE", b"ORGANIZER", b"X-Y", b"X-Z")) for line in lines)
    assert b"\x07" not in data and b"\x1b" not in data


def test_the_cli_writes_a_calendar_file_and_gives_a_private_address(
    sqlite_settings: Settings, sqlite_db: Database
) -> None:
    world = make_world(sqlite_db)
    runner = CliRunner()
    base = ["--data-dir", str(sqlite_settings.data_dir)]
    out = sqlite_settings.data_dir.parent / "cohort.ics"
    result = runner.invoke(
        app, [*base, "programmes", "calendar", "leaders", "--cohort", "Cohort 1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(_events(Path(out).read_bytes())) == 5
    result = runner.invoke(app, [*base, "programmes", "calendar", "soldering"])
    assert result.exit_code == 0 and b"BEGIN:VCALENDAR" in result.stdout_bytes
    result = runner.invoke(app, [*base, "programmes", "calendar", "leaders", "--cohort", "Nope"])
    assert result.exit_code == 2 and "no cohort 'Nope'" in result.output
    result = runner.invoke(app, [*base, "programmes", "feed-token", "tech1"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    assert "/programmes/feeds/" in url and url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with world.db.session() as s:
        found = calendar.participant_for_token(s, token)
        assert found is not None and found.username == "tech1"
    result = runner.invoke(app, [*base, "programmes", "feed-token", "tech1", "--revoke"])
    assert result.exit_code == 0 and "Revoked" in result.output
    with world.db.session() as s:
        assert calendar.participant_for_token(s, token) is None
    result = runner.invoke(app, [*base, "programmes", "feed-token", "nobody"])
    assert result.exit_code == 2 and "no participant" in result.output
