"""Queueing notifications in the transaction of the change they report (a transactional
outbox): a rolled-back change queues nothing, a committed one is never lost. mail.py composes
and delivers them (SMTP when configured, else the outbox folder)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce.audit import utcnow
from techforce.programmes.models import Booking, Notification, Session

KINDS = (
    "applied",  # an application received
    "confirmed",  # a place confirmed
    "waitlisted",  # on the waiting list
    "promoted",  # from the waiting list to a place
    "declined",  # an application declined
    "cancelled",  # a booking cancelled
    "reminder",  # a session soon
    "feedback",  # a request for feedback after the cohort's last session
    "credential",  # a credential issued
    "notice",  # a message another capability composed (a strategy due date), not about a booking
)


def queue(db: Db, kind: str, booking: Booking, about: Session | None = None) -> Notification | None:
    """Queue a ``kind`` message to the booking's participant. Reminders and feedback requests
    are keyed by booking and session, so queueing one again does nothing (returns None)."""
    if kind not in KINDS or kind == "notice":
        raise ValueError(f"unknown notification kind {kind!r}")
    if kind in ("reminder", "feedback"):
        key = f"{kind}:{booking.id}:{about.id if about else 0}"
        if db.scalar(select(Notification.id).where(Notification.key == key)) is not None:
            return None
    else:
        key = f"{kind}:{booking.id}:{utcnow().isoformat()}"
    row = Notification(
        key=key,
        kind=kind,
        booking_id=booking.id,
        session_id=about.id if about else 0,
        recipient=booking.participant.email,
    )
    db.add(row)
    return row


def queue_notice(db: Db, key: str, recipient: str, name: str, subject: str, lines: list[str]) -> Notification | None:
    """Queue a message another capability composed (the channel it shares: SMTP or the
    outbox, with retries). ``key`` makes it idempotent: queueing the same key again does
    nothing (returns None), so a reminder run daily sends each reminder once."""
    key = f"notice:{key}"[:200]
    if db.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return None
    row = Notification(
        key=key,
        kind="notice",
        booking_id=None,
        session_id=0,
        recipient=recipient,
        detail={"name": name, "subject": subject, "lines": lines},
    )
    db.add(row)
    return row
