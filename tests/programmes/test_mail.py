"""Notification e-mails: composed per kind, delivered to a real SMTP server or to the outbox
folder, kept for a retry when the server cannot be reached, never sent twice; reminders and
feedback requests queued once however often the job runs."""

from __future__ import annotations

import email.parser
import email.policy
import os
import socket
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from techforce.audit import AuditEvent
from techforce.cli.main import app
from techforce.db import Database
from techforce.programmes import events, mail, service
from techforce.programmes.calendar import utc
from techforce.programmes.models import Booking, Cohort, Notification, Participant, Session
from techforce.settings import Settings
from tests.programmes.conftest import World, make_world, person


class Inbox:
    """An aiosmtpd handler keeping every envelope it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse: set[str] = set()  # recipients refused for good (550)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[tuple[list[str], Any]]:
        parser = email.parser.BytesParser(policy=email.policy.default)
        return [(list(e.rcpt_tos), parser.parsebytes(e.content)) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _with(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"public_url": "https://tf.example.ac.uk", **changes})


def _book(world: World, i: int, cohort: int, statement: str = "") -> Booking:
    with world.db.session() as s:
        who = s.merge(person(world.db, world.people[i]))
        return service.book(s, cohort, who, actor=f"tech{i}", statement=statement)


def _statuses(db: Database) -> dict[str, int]:
    with db.session() as s:
        found: dict[str, int] = {}
        for status in s.scalars(select(Notification.status)):
            found[status] = found.get(status, 0) + 1
        return found


def _first_session(db: Database, cohort_id: int) -> Session:
    with db.session() as s:
        found = s.scalar(select(Session).where(Session.cohort_id == cohort_id).order_by(Session.starts_at))
        assert found is not None
        return found


def test_confirmed_and_promoted_messages_reach_a_real_smtp_server(
    sqlite_settings: Settings, sqlite_db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    world = make_world(sqlite_db, places=1)
    settings = _with(sqlite_settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    first = _book(world, 0, world.workshop_cohort)
    _book(world, 1, world.workshop_cohort)  # waitlisted
    with sqlite_db.session() as s:
        booking = s.get(Booking, first.id)
        assert booking is not None
        service.cancel(s, booking, actor="tech0")  # tech1 promoted
    done = mail.deliver_pending(settings, sqlite_db)
    assert (done.sent, done.failed, done.channel) == (4, 0, "smtp")
    got = {(to[0], m["Subject"]) for to, m in inbox.messages()}
    assert got == {
        ("tech0@example.ac.uk", "Place confirmed: Soldering basics, March"),
        ("tech1@example.ac.uk", "On the waiting list: Soldering basics, March"),
        ("tech0@example.ac.uk", "Booking cancelled: Soldering basics, March"),
        ("tech1@example.ac.uk", "A place is now yours: Soldering basics, March"),
    }
    _, promoted = next((to, m) for to, m in inbox.messages() if m["Subject"].startswith("A place"))
    assert promoted["To"] == "Technician 1 <tech1@example.ac.uk>"
    assert promoted["From"].addresses[0].addr_spec == "techforce@localhost"
    assert "https://tf.example.ac.uk/programmes/me" in promoted.get_content()
    assert _statuses(sqlite_db) == {"sent": 4}
    with sqlite_db.session() as s:
        rows = list(s.scalars(select(Notification)))
        assert {r.channel for r in rows} == {"smtp"} and all(r.sent_at is not None for r in rows)
    again = mail.deliver_pending(settings, sqlite_db)
    assert (again.sent, again.failed) == (0, 0) and len(inbox.envelopes) == 4  # never sent twice


def test_a_recipient_the_server_refuses_is_marked_failed_and_the_rest_are_sent(
    sqlite_settings: Settings, sqlite_db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.refuse.add("tech0@example.ac.uk")
    world = make_world(sqlite_db)
    settings = _with(sqlite_settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    for i in range(2):
        _book(world, i, world.workshop_cohort)
    done = mail.deliver_pending(settings, sqlite_db)
    assert (done.sent, done.failed) == (1, 1)
    assert [to for to, _ in inbox.messages()] == [["tech1@example.ac.uk"]]
    with sqlite_db.session() as s:
        refused = s.scalar(select(Notification).where(Notification.recipient == "tech0@example.ac.uk"))
        assert refused is not None and refused.status == "failed" and "550" in refused.detail["error"]
    assert mail.deliver_pending(settings, sqlite_db).sent == 0  # not retried


def test_a_reminder_names_the_time_and_place_and_carries_the_session(
    sqlite_settings: Settings, sqlite_db: Database, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    world = make_world(sqlite_db)
    settings = _with(sqlite_settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    _book(world, 2, world.workshop_cohort)
    mail.deliver_pending(settings, sqlite_db)
    inbox.envelopes.clear()
    session = _first_session(sqlite_db, world.workshop_cohort)
    with sqlite_db.session() as s:
        assert mail.queue_due(s, settings, utc(session.starts_at) - timedelta(hours=2)) == 1
    done = mail.deliver_pending(settings, sqlite_db)
    assert done.sent == 1
    [(to, message)] = inbox.messages()
    assert to == ["tech2@example.ac.uk"]
    assert message["Subject"] == "Reminder: Soldering (Soldering basics, March)"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    uk = utc(session.starts_at).astimezone(ZoneInfo("Europe/London"))  # as the pages show it
    assert f"{uk:%H:%M}–" in text and f" {uk:%Z}" in text and "Where: to be confirmed" in text
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "text/calendar" and attached.get_filename() == "session.ics"
    parsed = Calendar.from_ical(attached.get_content())
    [event] = list(parsed.walk("VEVENT"))
    assert str(event["uid"]) == session.uid and event.decoded("dtstart") == utc(session.starts_at)


def test_without_an_smtp_host_messages_go_to_the_outbox_owner_only(world: World, settings: Settings) -> None:
    settings = _with(settings)
    booked = _book(world, 0, world.workshop_cohort)
    done = mail.deliver_pending(settings, world.db)
    assert (done.sent, done.failed, done.channel, done.where) == (1, 0, "outbox", str(settings.outbox_dir))
    with world.db.session() as s:
        row = s.scalar(select(Notification))
        assert row is not None and row.status == "sent" and row.channel == "outbox"
        name = f"{row.id}-confirmed.eml"
    folder = settings.outbox_dir
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == [name]  # no temporary file left behind
    assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    with open(folder / name, "rb") as handle:
        message = email.parser.BytesParser(policy=email.policy.default).parse(handle)
    assert message["To"].addresses[0].addr_spec == "tech0@example.ac.uk"
    assert message["Subject"] == "Place confirmed: Soldering basics, March"
    assert "https://tf.example.ac.uk/programmes/soldering" in message.get_content()
    assert booked.status == "confirmed"


def test_an_unreachable_server_leaves_every_message_queued_for_a_retry(
    world: World, settings: Settings
) -> None:
    down = _with(settings, smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_starttls=False)
    for i in range(2):
        _book(world, i, world.workshop_cohort)
    done = mail.deliver_pending(down, world.db)
    assert (done.sent, done.failed, done.channel) == (0, 2, "smtp")
    assert _statuses(world.db) == {"pending": 2}
    with world.db.session() as s:
        rows = list(s.scalars(select(Notification)))
        assert all("could not reach the SMTP server" in r.detail["error"] for r in rows)
        assert all(r.detail["tries"] == 1 and r.sent_at is None and r.channel == "" for r in rows)
    later = mail.deliver_pending(_with(settings), world.db)  # the outbox takes them on the next run
    assert later.sent == 2 and _statuses(world.db) == {"sent": 2}


def test_a_claimed_message_is_not_sent_by_a_second_run(world: World, settings: Settings) -> None:
    settings = _with(settings)
    _book(world, 0, world.workshop_cohort)
    claimed = mail._claim(world.db, 500)  # a run that has claimed the row and not yet sent it
    assert len(claimed) == 1 and _statuses(world.db) == {"sending": 1}
    second = mail.deliver_pending(settings, world.db)
    assert (second.sent, second.failed) == (0, 0)
    assert not settings.outbox_dir.exists() or not any(settings.outbox_dir.iterdir())


def test_names_and_titles_with_line_breaks_add_no_headers(world: World, settings: Settings) -> None:
    settings = _with(settings)
    with world.db.session() as s:
        who = s.get(Participant, world.people[0])
        cohort = s.get(Cohort, world.workshop_cohort)
        assert who is not None and cohort is not None
        who.name = "Eve\r\nBcc: victim@example.com"
        cohort.programme.title = "Soldering\nX-Injected: yes\r\n\r\nbody"
    _book(world, 0, world.workshop_cohort)
    with world.db.session() as s:
        row = s.scalar(select(Notification))
        assert row is not None
        message = mail.compose(s, row, settings)
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(message.as_bytes())
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert parsed["Subject"] == "Place confirmed: Soldering X-Injected: yes body, March"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["tech0@example.ac.uk"]


def test_queue_due_queues_reminders_and_feedback_once(world: World, settings: Settings) -> None:
    settings = _with(settings)
    for i in range(2):
        _book(world, i, world.workshop_cohort)
    mail.deliver_pending(settings, world.db)
    session = _first_session(world.db, world.workshop_cohort)
    before = utc(session.starts_at) - timedelta(hours=1)
    with world.db.session() as s:
        assert mail.queue_due(s, settings, before) == 2
    with world.db.session() as s:
        assert mail.queue_due(s, settings, before) == 0  # run twice, queued once
        assert mail.queue_due(s, settings, utc(session.starts_at) - timedelta(hours=49)) == 0  # not due yet
    after = utc(session.ends_at) + timedelta(days=1)
    with world.db.session() as s:
        assert mail.queue_due(s, settings, after) == 2  # feedback requests
        assert mail.queue_due(s, settings, after) == 0
        assert mail.queue_due(s, settings, utc(session.ends_at) + timedelta(days=40)) == 0  # too long ago
    with world.db.session() as s:
        kinds = sorted(
            n.kind for n in s.scalars(select(Notification).where(Notification.status == "pending"))
        )
        audits = [e.payload for e in s.scalars(select(AuditEvent).where(AuditEvent.action == events.NOTIFY))]
    assert kinds == ["feedback", "feedback", "reminder", "reminder"]
    assert len(audits) == 6 and audits[0]["reminders"] == 2 and audits[3]["feedback"] == 2
    assert all("tech" not in str(a) for a in audits)  # counts, not names
    done = mail.deliver_pending(settings, world.db)
    assert done.sent == 4
    feedback = sorted(settings.outbox_dir.glob("*-feedback.eml"))[0]
    body = email.parser.BytesParser(policy=email.policy.default).parsebytes(feedback.read_bytes())
    assert "/programmes/me/bookings/" in body.get_content() and "/feedback" in body.get_content()


def test_a_cancelled_booking_gets_no_reminder(world: World, settings: Settings) -> None:
    booked = _book(world, 0, world.workshop_cohort)
    with world.db.session() as s:
        found = s.get(Booking, booked.id)
        assert found is not None
        service.cancel(s, found, actor="tech0")
    session = _first_session(world.db, world.workshop_cohort)
    with world.db.session() as s:
        assert mail.queue_due(s, settings, utc(session.starts_at) - timedelta(hours=1)) == 0


def test_the_notify_command_queues_delivers_and_says_where(
    sqlite_settings: Settings, sqlite_db: Database
) -> None:
    world = make_world(sqlite_db)
    _book(world, 0, world.workshop_cohort)
    session = _first_session(sqlite_db, world.workshop_cohort)
    at = (utc(session.starts_at) - timedelta(hours=3)).isoformat()
    runner = CliRunner()
    base = ["--data-dir", str(sqlite_settings.data_dir), "programmes", "notify"]
    result = runner.invoke(app, [*base, "--now", at, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"queued": 1' in result.stdout and '"sent": 2' in result.stdout
    assert str(sqlite_settings.outbox_dir) in result.stdout
    assert len(list(Path(sqlite_settings.outbox_dir).glob("*.eml"))) == 2
    result = runner.invoke(app, [*base, "--now", "next tuesday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output
    assert os.path.isdir(sqlite_settings.outbox_dir)
