"""Notification e-mails: composing each kind, delivering the queued ones (by SMTP when
smtp_host is set, else as .eml files in the outbox folder), and queueing the ones that fall
due with time: session reminders and requests for feedback after a cohort's last session.

Delivery claims each row (pending -> sending) before sending, so two runs at once never send
one message twice; a message that could not be sent goes back to pending with the error in
its detail and is tried again on the next run (none is lost). A message the server refuses
for good (or that cannot be composed) is marked failed. A run that dies after claiming leaves
rows in "sending"; a later run takes them back after STALE."""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, or_, select, text, update
from sqlalchemy.orm import Session as Db

from techforce import audit
from techforce.audit import utcnow
from techforce.db import Database
from techforce.programmes import events, notices
from techforce.programmes.calendar import programme_url, session_ics, utc
from techforce.programmes.models import Booking, Notification, Session
from techforce.settings import Settings

STALE = timedelta(minutes=30)  # a claim older than this was left by a run that died
MAX_TRIES = 10  # then a message that keeps failing is marked failed
FEEDBACK_DAYS = 30  # feedback is asked for cohorts that ended within this many days
LOCK_KEY = 0x7465636866  # "techf": the advisory lock of queue_due
FLAT = re.compile(r"[\x00-\x1f\x7f]+")


class Undeliverable(Exception):
    """A message that cannot be composed or that the server refuses for good."""


@dataclass(frozen=True)
class Delivery:
    """What one delivery run did: ``failed`` counts messages not delivered this run (back in
    the queue for a retry, or marked failed for good)."""

    sent: int
    failed: int
    channel: str  # smtp | outbox
    where: str  # the server (host:port) or the outbox folder


def _flat(value: str) -> str:
    """Header text on one line: line breaks and control characters become one space."""
    return FLAT.sub(" ", value).strip()


# ---------------------------------------------------------------- composing


UK = ZoneInfo("Europe/London")


def _when(session: Session) -> str:
    """The session's time in UK time, as the pages show it, with its zone (GMT or BST)."""
    start, end = utc(session.starts_at).astimezone(UK), utc(session.ends_at).astimezone(UK)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if end.date() == start.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M} {end:%Z}"
    return f"{day} {start:%H:%M} {start:%Z} to {end:%A} {end.day} {end:%B %Y} {end:%H:%M} {end:%Z}"


def _place(session: Session) -> str:
    if session.mode == "online":
        return "Online" + (f" ({session.location})" if session.location else "")
    return session.location or "to be confirmed"


SUBJECTS = {
    "applied": "Application received",
    "confirmed": "Place confirmed",
    "waitlisted": "On the waiting list",
    "promoted": "A place is now yours",
    "declined": "Application not successful",
    "cancelled": "Booking cancelled",
    "reminder": "Reminder",
    "feedback": "How was it? Your feedback",
    "credential": "Your credential",
}


def _body(kind: str, booking: Booking, session: Session | None, settings: Settings) -> list[str]:
    base = settings.public_url.rstrip("/")
    mine = f"{base}/programmes/me"
    cohort = booking.cohort
    what = f"{cohort.programme.title}, {cohort.name}"
    starts = f"{cohort.starts_on.day} {cohort.starts_on:%B %Y}"
    lines = {
        "applied": [f"We have received your application to {what}.", "You will hear when it is decided."],
        "confirmed": [f"Your place on {what} is confirmed. It starts on {starts}."],
        "waitlisted": [
            f"{what} is full, so you are on its waiting list.",
            "If a place comes free it is offered in the order people joined, and we will tell you.",
        ],
        "promoted": [f"A place came free on {what} and it is now yours. It starts on {starts}."],
        "declined": [f"Your application to {what} was not successful this time."]
        + ([f"The reason given: {booking.decision_reason}"] if booking.decision_reason else []),
        "cancelled": [f"Your booking on {what} is cancelled."],
        "feedback": [
            f"Thank you for taking part in {what}. Please tell us how it went (two minutes):",
            f"{mine}/bookings/{booking.id}/feedback",
        ],
        "credential": [
            f"You completed {what} and a credential has been issued to you. See and download it here:",
            f"{mine}/bookings/{booking.id}/credential",
        ],
    }.get(kind, [])
    if kind == "reminder":
        if session is None:
            raise Undeliverable("the reminder's session no longer exists")
        lines = [
            f"A reminder: {session.title} ({what}) is coming up.",
            f"When: {_when(session)}",
            f"Where: {_place(session)}",
        ] + ([f"Facilitator: {session.facilitator}"] if session.facilitator else [])
        lines.append("The attached calendar file adds it to your calendar.")
    return [
        f"Dear {booking.participant.name},",
        "",
        *lines,
        "",
        f"The programme: {programme_url(settings, cohort.programme.slug)}",
        f"Your bookings: {mine}",
        "",
        f"— {settings.issuer_name}",
    ]


def compose(db: Db, notification: Notification, settings: Settings) -> EmailMessage:
    """The plain-text e-mail for a queued notification: its subject names the programme and
    cohort, it comes from ``mail_from`` to the participant, links to the deployment's pages
    and, for a reminder, carries the session as a calendar file. Header values are flattened
    to one line, so no name or title can add a header. Undeliverable if it cannot be made."""
    if notification.kind not in notices.KINDS:
        raise Undeliverable(f"unknown notification kind {notification.kind!r}")
    if notification.kind == "notice":
        return _notice(notification, settings)
    booking = db.get(Booking, notification.booking_id) if notification.booking_id else None
    if booking is None:
        raise Undeliverable(f"booking {notification.booking_id} no longer exists")
    session = db.get(Session, notification.session_id) if notification.session_id else None
    cohort = booking.cohort
    subject = f"{SUBJECTS[notification.kind]}: {cohort.programme.title}, {cohort.name}"
    if session is not None and notification.kind == "reminder":
        subject = f"{SUBJECTS['reminder']}: {session.title} ({cohort.programme.title}, {cohort.name})"
    message = EmailMessage(policy=DEFAULT_POLICY)
    try:
        message["Subject"] = _flat(subject)
        message["From"] = Address(_flat(settings.issuer_name), addr_spec=_flat(settings.mail_from))
        message["To"] = Address(_flat(booking.participant.name), addr_spec=_flat(notification.recipient))
    except (ValueError, IndexError) as exc:  # an address the e-mail rules cannot hold
        raise Undeliverable(f"bad address: {exc}") from None
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(f"n{notification.id}", domain=_domain(settings.mail_from))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(_body(notification.kind, booking, session, settings)) + "\n")
    if session is not None and notification.kind == "reminder":
        message.add_attachment(
            session_ics(session, settings),
            maintype="text",
            subtype="calendar",
            filename="session.ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    return message


def _notice(notification: Notification, settings: Settings) -> EmailMessage:
    """A message another capability composed: subject and lines from its detail."""
    detail = notification.detail or {}
    message = EmailMessage(policy=DEFAULT_POLICY)
    try:
        message["Subject"] = _flat(str(detail.get("subject", "")))
        message["From"] = Address(_flat(settings.issuer_name), addr_spec=_flat(settings.mail_from))
        message["To"] = Address(_flat(str(detail.get("name", ""))), addr_spec=_flat(notification.recipient))
    except (ValueError, IndexError) as exc:
        raise Undeliverable(f"bad address: {exc}") from None
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(f"n{notification.id}", domain=_domain(settings.mail_from))
    message["Auto-Submitted"] = "auto-generated"
    lines = [str(line) for line in detail.get("lines", [])]
    message.set_content("\n".join([*lines, "", f"— {settings.issuer_name}"]) + "\n")
    return message


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2]
    return domain if re.fullmatch(r"[A-Za-z0-9.-]{1,253}", domain) else "localhost"


# ---------------------------------------------------------------- delivering


def _claim(db: Database, limit: int) -> list[int]:
    """Take up to ``limit`` pending rows (and rows a dead run left in "sending"), in id order.
    Each row is claimed by an UPDATE that only changes a row still waiting, so a row another
    run took first is skipped."""
    now = utcnow()
    waiting = or_(
        Notification.status == "pending",
        (Notification.status == "sending") & (Notification.sent_at < now - STALE),
    )
    with db.session() as s:
        ids = list(s.scalars(select(Notification.id).where(waiting).order_by(Notification.id).limit(limit)))
    claimed = []
    for row_id in ids:
        with db.session() as s:
            done = s.execute(
                update(Notification)
                .where(Notification.id == row_id, waiting)
                .values(status="sending", sent_at=now)
            )
            if cast(CursorResult[Any], done).rowcount == 1:
                claimed.append(row_id)
    return claimed


def _finish(
    db: Database, row_id: int, *, channel: str, subject: str, error: str = "", final: bool = False
) -> None:
    """Record the outcome of one message: sent, back to pending for a retry, or failed."""
    with db.session() as s:
        row = s.get(Notification, row_id)
        if row is None:  # its booking was deleted meanwhile
            return
        if subject:
            row.subject = subject[:300]
        if not error:
            row.status, row.channel, row.sent_at = "sent", channel, utcnow()
            row.detail = {k: v for k, v in (row.detail or {}).items() if k != "error"}
            return
        tries = int((row.detail or {}).get("tries", 0)) + 1
        kept = {k: v for k, v in (row.detail or {}).items() if k in ("name", "subject", "lines")}
        row.detail = {**kept, "error": error[:500], "tries": tries, "at": utcnow().isoformat()}
        row.sent_at = None
        row.status = "failed" if final or tries >= MAX_TRIES else "pending"


def _write_outbox(folder: Path, name: str, data: bytes) -> None:
    """Write one message file owner-only and atomically (a temporary file, fsync, rename)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, folder / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _smtp(settings: Settings) -> Iterator[smtplib.SMTP]:
    """One SMTP connection for the whole run: STARTTLS when asked, login when a user is set."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as server:
        server.ehlo()
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        yield server


def _send_smtp(server: smtplib.SMTP, settings: Settings, message: EmailMessage, recipient: str) -> str:
    """Send one message; '' when sent, else the error. Undeliverable when refused for good."""
    try:
        server.send_message(message, from_addr=settings.mail_from, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise Undeliverable(f"the server refused the recipient ({codes[0]})") from None
        return f"the server deferred the recipient ({codes[0] if codes else '?'})"
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused):
            raise Undeliverable(f"the server refused the message ({exc.smtp_code})") from None
        return f"the server said {exc.smtp_code}"
    return ""


def deliver_pending(settings: Settings, db: Database, *, limit: int = 500) -> Delivery:
    """Send the queued notifications, oldest first: by SMTP (one connection) when smtp_host is
    set, else as ``<id>-<kind>.eml`` files (0600) in the outbox folder (0700)."""
    channel = "smtp" if settings.smtp_host else "outbox"
    where = f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else str(settings.outbox_dir)
    claimed = _claim(db, limit)
    if not claimed:
        return Delivery(0, 0, channel, where)
    if channel == "outbox":
        sent = _run(db, settings, claimed, channel, lambda row, msg: _to_outbox(settings, row, msg))
        return Delivery(sent, len(claimed) - sent, channel, where)
    try:
        with _smtp(settings) as server:
            sent = _run(
                db,
                settings,
                claimed,
                channel,
                lambda row, msg: _send_smtp(server, settings, msg, row.recipient),
            )
    except (OSError, smtplib.SMTPException) as exc:  # no connection, TLS or login failed
        note = f"could not reach the SMTP server {where}: {type(exc).__name__}: {exc}"
        for row_id in claimed:
            with db.session() as s:
                state = s.scalar(select(Notification.status).where(Notification.id == row_id))
            if state == "sending":
                _finish(db, row_id, channel=channel, subject="", error=note)
        with db.session() as s:
            sent = (
                s.scalar(
                    select(func.count()).where(Notification.id.in_(claimed), Notification.status == "sent")
                )
                or 0
            )
    return Delivery(sent, len(claimed) - sent, channel, where)


def _to_outbox(settings: Settings, row: Notification, message: EmailMessage) -> str:
    try:
        _write_outbox(settings.outbox_dir, f"{row.id}-{row.kind}.eml", message.as_bytes())
    except OSError as exc:
        return f"could not write to the outbox {settings.outbox_dir}: {exc.strerror or exc}"
    return ""


def _run(
    db: Database,
    settings: Settings,
    claimed: list[int],
    channel: str,
    send: Callable[[Notification, EmailMessage], str],
) -> int:
    """Compose and send each claimed row, recording each outcome as it happens. A lost SMTP
    connection stops the run (the exception goes up); the rest go back to pending."""
    sent = 0
    for row_id in claimed:
        with db.session() as s:
            row = s.get(Notification, row_id)
            if row is None:
                continue
            try:
                message = compose(s, row, settings)
            except Undeliverable as exc:
                _finish(db, row_id, channel=channel, subject="", error=str(exc), final=True)
                continue
        subject = str(message["Subject"])
        try:
            error = send(row, message)
        except Undeliverable as exc:
            _finish(db, row_id, channel=channel, subject=subject, error=str(exc), final=True)
            continue
        _finish(db, row_id, channel=channel, subject=subject, error=error)
        sent += not error
    return sent


# ---------------------------------------------------------------- queueing what falls due


def _one_run_at_a_time(db: Db) -> None:
    """Serialise queue_due runs, so that two at once cannot queue the same reminder twice: a
    transaction-scoped advisory lock on PostgreSQL, the write lock (a no-op UPDATE) on SQLite."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    else:
        db.execute(update(Notification).where(Notification.id == -1).values(status=Notification.status))


def queue_due(db: Db, settings: Settings, now: datetime) -> int:
    """Queue reminders of the sessions starting within ``reminder_hours`` of ``now`` to every
    confirmed place on their cohorts, and a feedback request to every confirmed place on a
    cohort whose last session ended before ``now`` (within FEEDBACK_DAYS). Each is queued
    once, however often this runs; returns how many were queued now."""
    now = utc(now)
    _one_run_at_a_time(db)
    soon = db.scalars(
        select(Session)
        .where(Session.starts_at > now, Session.starts_at <= now + timedelta(hours=settings.reminder_hours))
        .order_by(Session.starts_at, Session.id)
    )
    reminders = 0
    for session in list(soon):
        for booking in _confirmed(db, session.cohort_id):
            reminders += notices.queue(db, "reminder", booking, session) is not None
    last = (
        select(Session.cohort_id, func.max(Session.ends_at).label("ended"))
        .group_by(Session.cohort_id)
        .subquery()
    )
    ended = db.scalars(
        select(last.c.cohort_id)
        .where(last.c.ended < now, last.c.ended >= now - timedelta(days=FEEDBACK_DAYS))
        .order_by(last.c.cohort_id)
    )
    feedback = 0
    for cohort_id in list(ended):
        for booking in _confirmed(db, cohort_id):
            feedback += notices.queue(db, "feedback", booking) is not None
    audit.record(
        db,
        actor=settings.user,
        action=events.NOTIFY,
        target="due",
        payload={"now": now.isoformat(), "reminders": reminders, "feedback": feedback},
    )
    return reminders + feedback


def _confirmed(db: Db, cohort_id: int) -> list[Booking]:
    return list(
        db.scalars(
            select(Booking)
            .where(Booking.cohort_id == cohort_id, Booking.status == "confirmed")
            .order_by(Booking.id)
        )
    )
