"""Calendar feeds of programme sessions (iCalendar, RFC 5545): a programme's, a cohort's and a
person's own (the sessions of their confirmed places), which people subscribe to in Outlook,
Google or Apple calendars. A person's feed sits at a private address holding a random token;
only a SHA-256 of the token is stored, and a new token replaces (and stops) the old one.

Text that people typed (titles, places, names) is only ever a property value: icalendar
escapes it, and control characters are dropped first, so a title cannot add properties."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.audit import utcnow
from techforce.programmes import events, service
from techforce.programmes.models import Booking, Cohort, FeedToken, Participant, Session
from techforce.settings import Settings

PRODID = "-//techforce//programmes//EN"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite gives stored times back without their zone: they are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: str) -> str:
    """User text as a property value: line breaks kept (escaped by icalendar), other control
    characters dropped (RFC 5545 TEXT holds none)."""
    return CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def programme_url(settings: Settings, slug: str) -> str:
    return f"{settings.public_url.rstrip('/')}/programmes/{slug}"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(name))
    return cal


def _event(session: Session, settings: Settings, stamp: datetime) -> Event:
    """One session as a VEVENT; its UID stays the same and its SEQUENCE goes up on change."""
    cohort = session.cohort
    owner = cohort.programme
    mode = "online" if session.mode == "online" else "in person"
    about = [f"Facilitator: {session.facilitator}"] if session.facilitator else []
    about += [f"Mode: {mode}", f"Cohort: {cohort.name}", programme_url(settings, owner.slug)]
    event = Event()
    event.add("uid", session.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", utc(session.starts_at))
    event.add("dtend", utc(session.ends_at))
    event.add("summary", _text(f"{owner.title} — {session.title}"))
    event.add(
        "location", _text(session.location) or ("Online" if session.mode == "online" else "To be confirmed")
    )
    event.add("description", _text("\n".join(about)))
    event.add("sequence", session.sequence)
    event.add("url", programme_url(settings, owner.slug))
    return event


def _feed(name: str, sessions: Iterable[Session], settings: Settings) -> bytes:
    cal = _calendar(name)
    stamp = utcnow().replace(microsecond=0)
    for session in sorted(sessions, key=lambda s: (utc(s.starts_at), s.id)):
        cal.add_component(_event(session, settings, stamp))
    return bytes(cal.to_ical())


def session_ics(session: Session, settings: Settings) -> bytes:
    """One session as a calendar file (a reminder's attachment)."""
    owner = session.cohort.programme
    return _feed(f"{owner.title} — {session.cohort.name}", [session], settings)


def programme_feed(db: Db, slug: str, settings: Settings) -> bytes:
    """Every session of every cohort of programme ``slug`` (errors.NotFound if there is none)."""
    owner = service.programme(db, slug)
    sessions = [s for c in owner.cohorts for s in c.sessions]
    return _feed(owner.title, sessions, settings)


def cohort_feed(db: Db, cohort_id: int, settings: Settings) -> bytes:
    """The sessions of cohort ``cohort_id`` (errors.NotFound if there is none)."""
    found = service.cohort_by_id(db, cohort_id)
    return _feed(f"{found.programme.title} — {found.name}", found.sessions, settings)


def person_feed(db: Db, participant_id: int, settings: Settings) -> bytes:
    """The sessions of the cohorts a person holds a confirmed place on; a cancelled booking's
    sessions drop out of the feed."""
    who = db.get(Participant, participant_id)
    if who is None:
        raise errors.NotFound(f"no participant {participant_id}")
    sessions = db.scalars(
        select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .join(Booking, Booking.cohort_id == Cohort.id)
        .where(Booking.participant_id == participant_id, Booking.status == "confirmed")
    )
    return _feed(f"{who.name}: programme sessions", sessions, settings)


# ---------------------------------------------------------------- private feed tokens


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(db: Db, participant: Participant, *, actor: str) -> str:
    """A new private feed token for ``participant``, returned once; only its hash is kept. It
    replaces any earlier token, whose address stops working."""
    token = secrets.token_urlsafe(32)
    row = db.get(FeedToken, participant.id)
    if row is None:
        db.add(FeedToken(participant_id=participant.id, token_hash=_hash(token)))
    else:
        row.token_hash, row.created_at = _hash(token), utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=events.FEED_NEW,
        target=f"participant:{participant.id}",
        payload={"replaced": row is not None},
    )
    return token


def revoke_feed_token(db: Db, participant: Participant, *, actor: str) -> bool:
    """Stop ``participant``'s private feed address; False if they had none."""
    row = db.get(FeedToken, participant.id)
    if row is None:
        return False
    db.delete(row)
    db.flush()
    audit.record(db, actor=actor, action=events.FEED_REVOKE, target=f"participant:{participant.id}")
    return True


def participant_for_token(db: Db, token: str) -> Participant | None:
    """The owner of a private feed token, or None. Looked up by the token's hash, so nothing
    compares the secret itself and timing reveals nothing about stored tokens."""
    if not TOKEN_SHAPE.match(token):
        return None
    row = db.scalar(select(FeedToken).where(FeedToken.token_hash == _hash(token)))
    return None if row is None else db.get(Participant, row.participant_id)


def feed_url(settings: Settings, token: str) -> str:
    """The private address of a person's feed."""
    return f"{settings.public_url.rstrip('/')}/programmes/feeds/{token}.ics"
