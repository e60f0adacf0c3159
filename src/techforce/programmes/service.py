"""Changes to programmes, cohorts, sessions and bookings. Every change is audited in the same
transaction and raises one of the four base errors on bad input; notifications are queued in
that transaction too (notices.queue) and delivered after it commits.

The last place: a booking first takes the cohort's row lock (an UPDATE that changes nothing:
a row lock on PostgreSQL, the database write lock on SQLite, taken before anything is read),
then counts the confirmed places. Two people booking the last place at once are served one
after the other: exactly one is confirmed, the other waitlisted."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.audit import utcnow
from techforce.programmes import events, notices
from techforce.programmes.models import (
    Attendance,
    Booking,
    Cohort,
    Manager,
    Participant,
    Programme,
    Session,
)

KINDS = ("cohort", "executive", "workshop", "course")
PILLARS = ("visibility", "recognition", "career-development", "sustainability")
MODES = ("in-person", "online")
MARKS = ("present", "absent", "excused")
ACTIVE = ("applied", "confirmed", "waitlisted")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
RESERVED = frozenset({"new", "me", "verify", "impact", "people", "feeds", "credentials", "api", "static"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]")


def _prose(value: str) -> str:
    """Text of several lines: no control characters but line breaks and tabs (a database
    cannot hold NUL, and none belongs in a title, a statement or an e-mail)."""
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"holds the control character U+{ord(bad.group()):04X}: remove it")
    return value


def _line(value: str) -> str:
    """Text of one line (a title, a name, a place): no control characters or line breaks."""
    _prose(value)
    if _LINE_BREAKS.search(value):
        raise ValueError("holds a line break or tab: write it on one line")
    return value.strip()


Line = Annotated[str, AfterValidator(_line)]
Prose = Annotated[str, AfterValidator(_prose)]


class ProgrammeIn(BaseModel):
    slug: str = Field(min_length=1, max_length=80)
    title: Line = Field(min_length=1, max_length=200)
    kind: Literal["cohort", "executive", "workshop", "course"]
    description: Prose = Field(default="", max_length=20000)
    audience: Line = Field(default="", max_length=500)
    eligibility: Prose = Field(default="", max_length=1000)
    capacity: int = Field(ge=1, le=100000)
    cost_pence: int = Field(default=0, ge=0, le=10**9)
    pillars: list[Literal["visibility", "recognition", "career-development", "sustainability"]] = Field(
        default_factory=list
    )
    selective: bool = False
    min_attendance_pct: int = Field(default=80, ge=0, le=100)
    requires_project: bool = False

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lower-case letters, digits and hyphens, starting with a letter or digit")
        if value in RESERVED:
            raise ValueError(f"{value!r} names a page of its own: choose another, e.g. {value}-programme")
        return value


class CohortIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    capacity: int | None = Field(default=None, ge=1, le=100000)

    @model_validator(mode="after")
    def _order(self) -> CohortIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on: give the last day on or after the first")
        return self


class SessionIn(BaseModel):
    title: Line = Field(min_length=1, max_length=200)
    kind: Line = Field(default="session", max_length=30)
    starts_at: datetime
    ends_at: datetime
    mode: Literal["in-person", "online"] = "in-person"
    location: Line = Field(default="", max_length=300)
    facilitator: Line = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _times(self) -> SessionIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("give times with their UTC offset (e.g. 2026-03-02T09:30:00+00:00)")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at is not after starts_at: a session must end after it starts")
        return self


class ParticipantIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> object:
        """One record per mailbox: addresses are compared and kept in lower case."""
        return value.strip().lower() if isinstance(value, str) else value

    name: Line = Field(min_length=1, max_length=200)
    ukprn: str = Field(default="", pattern=r"^(|1\d{7})$")
    sex: str = Field(default="", max_length=2)
    ethnicity: str = Field(default="", max_length=4)
    level: str = Field(default="", max_length=4)
    username: str | None = Field(default=None, max_length=100)


# ---------------------------------------------------------------- programmes, cohorts, sessions


def programme(db: Db, slug: str) -> Programme:
    found = db.scalar(select(Programme).where(Programme.slug == slug))
    if found is None:
        raise errors.NotFound(f"no programme {slug!r}: see `techforce programmes list` for their slugs")
    return found


def save_programme(db: Db, data: ProgrammeIn, *, actor: str, managers: list[str] | None = None) -> Programme:
    """Create the programme ``data.slug`` or change it; ``managers`` (default: the actor, on
    creation) run it."""
    found = db.scalar(select(Programme).where(Programme.slug == data.slug))
    fields = data.model_dump()
    if found is None:
        found = Programme(**fields)
        db.add(found)
        names = managers if managers is not None else [actor]
    else:
        for name, value in fields.items():
            setattr(found, name, value)
        names = managers or []
    have = {m.username for m in found.managers}
    found.managers.extend(Manager(username=n) for n in dict.fromkeys(names) if n not in have)
    db.flush()
    audit.record(db, actor=actor, action=events.PROGRAMME_SAVE, target=data.slug, payload=fields)
    return found


def cohort(db: Db, slug: str, name: str) -> Cohort:
    found = db.scalar(select(Cohort).join(Programme).where(Programme.slug == slug, Cohort.name == name))
    if found is None:
        raise errors.NotFound(f"programme {slug!r} has no cohort {name!r}")
    return found


def cohort_by_id(db: Db, cohort_id: int, slug: str | None = None) -> Cohort:
    """The cohort ``cohort_id`` (of programme ``slug``, when given: another programme's is not found)."""
    found = db.get(Cohort, cohort_id)
    if found is None or (slug is not None and found.programme.slug != slug):
        raise errors.NotFound(f"no cohort {cohort_id}" + (f" in programme {slug!r}" if slug else ""))
    return found


def save_cohort(db: Db, slug: str, data: CohortIn, *, actor: str) -> Cohort:
    """Create the cohort ``data.name`` of programme ``slug`` or change it. A larger capacity
    promotes people from the waiting list; a smaller one than the places already confirmed is
    refused."""
    owner = programme(db, slug)
    found = db.scalar(select(Cohort).where(Cohort.programme_id == owner.id, Cohort.name == data.name))
    capacity = data.capacity or owner.capacity
    if found is None:
        found = Cohort(
            programme=owner, name=data.name, starts_on=data.starts_on, ends_on=data.ends_on, capacity=capacity
        )
        db.add(found)
        db.flush()
    else:
        _lock(db, found.id)
        taken = _confirmed(db, found.id)
        if capacity < taken:
            raise errors.Refused(
                f"cohort {data.name!r} has {taken} confirmed places; a capacity of {capacity} is "
                "smaller: cancel bookings first or give a capacity of at least that",
                status=409,
            )
        found.starts_on, found.ends_on, found.capacity = data.starts_on, data.ends_on, capacity
        _fill(db, found, actor=actor)
    audit.record(
        db,
        actor=actor,
        action=events.COHORT_SAVE,
        target=f"{slug}/{data.name}",
        payload={**data.model_dump(mode="json"), "capacity": capacity},
    )
    return found


def save_session(
    db: Db, cohort_row: Cohort, data: SessionIn, *, actor: str, uid: str | None = None
) -> Session:
    """Add a session to a cohort, or change the one with ``uid`` (its iCalendar SEQUENCE goes up)."""
    found = db.scalar(select(Session).where(Session.uid == uid)) if uid else None
    if found is not None and found.cohort_id != cohort_row.id:
        raise errors.Refused(f"session {uid} belongs to another cohort; leave its uid out to add a new one")
    fields = data.model_dump()
    if found is None:
        found = Session(uid=uid or f"{uuid.uuid4()}@techforce", cohort=cohort_row, **fields)
        db.add(found)
    else:
        for name, value in fields.items():
            setattr(found, name, value)
        found.sequence += 1
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=events.SESSION_SAVE,
        target=found.uid,
        payload={"cohort": cohort_row.id, **data.model_dump(mode="json")},
    )
    return found


def session_by_id(db: Db, session_id: int, slug: str | None = None) -> Session:
    found = db.get(Session, session_id)
    if found is None or (slug is not None and found.cohort.programme.slug != slug):
        raise errors.NotFound(f"no session {session_id}" + (f" in programme {slug!r}" if slug else ""))
    return found


# ---------------------------------------------------------------- participants


def participant_for_user(db: Db, username: str) -> Participant | None:
    return db.scalar(select(Participant).where(Participant.username == username))


def save_participant(db: Db, data: ParticipantIn, *, actor: str) -> Participant:
    """Create or bring up to date a participant record.

    With a ``username`` (a person keeping their own details): that account's record. An
    e-mail address already on any other record is refused (409): a record imported from a
    booking tool is linked to an account by a programme manager, never claimed by typing its
    address. Without one (a manager, an import): the record with this address; one that
    belongs to an account is returned unchanged (its holder keeps their own details)."""
    by_email = db.scalar(select(Participant).where(func.lower(Participant.email) == data.email))
    if data.username:
        found = participant_for_user(db, data.username)
        if by_email is not None and by_email is not found:
            raise errors.Refused(
                f"the e-mail address {data.email} is already on another participant's record: give "
                "your own address, or ask a programme manager to link that record to your account",
                status=409,
            )
    else:
        found = by_email
        if found is not None and found.username is not None:
            return found
    fields = data.model_dump(exclude_none=True)
    if found is None:
        found = Participant(**fields)
        db.add(found)
    else:
        for name, value in fields.items():
            setattr(found, name, value)
    db.flush()
    return found


# ---------------------------------------------------------------- bookings


def _lock(db: Db, cohort_id: int) -> None:
    """Take the cohort's lock before reading its places (see the module's docstring)."""
    db.execute(update(Cohort).where(Cohort.id == cohort_id).values(capacity=Cohort.capacity))


def _confirmed(db: Db, cohort_id: int) -> int:
    return int(
        db.scalar(select(func.count()).where(Booking.cohort_id == cohort_id, Booking.status == "confirmed"))
        or 0
    )


def _fill(db: Db, cohort_row: Cohort, *, actor: str) -> list[Booking]:
    """Promote people from the waiting list, first come first served, while places are free."""
    free = cohort_row.capacity - _confirmed(db, cohort_row.id)
    if free <= 0:
        return []
    queue = list(
        db.scalars(
            select(Booking)
            .where(Booking.cohort_id == cohort_row.id, Booking.status == "waitlisted")
            .order_by(Booking.queued_at, Booking.id)
            .limit(free)
        )
    )
    for booking in queue:
        booking.status = "confirmed"
        audit.record(db, actor=actor, action=events.BOOKING_PROMOTE, target=str(booking.id))
        notices.queue(db, "promoted", booking)
    return queue


def book(db: Db, cohort_id: int, who: Participant, *, actor: str, statement: str = "") -> Booking:
    """Book ``who`` a place on the cohort: confirmed while places are free, else waitlisted;
    on a selective programme, an application waiting for a decision (with its statement)."""
    _lock(db, cohort_id)
    found = db.get(Cohort, cohort_id)
    if found is None:
        raise errors.NotFound(f"no cohort {cohort_id}")
    owner = found.programme
    if found.ends_on < utcnow().date():
        raise errors.Refused(f"cohort {found.name!r} of {owner.title!r} has ended: choose a later one")
    if owner.selective and not statement.strip():
        raise errors.Invalid(
            f"{owner.title} is selective: write an application statement saying why you are applying"
        )
    if len(statement) > 10000:
        raise errors.Invalid("statement: at most 10,000 characters; shorten it")
    try:
        _prose(statement)
    except ValueError as exc:
        raise errors.Invalid(f"statement: {exc}") from None
    booking = db.scalar(
        select(Booking).where(Booking.cohort_id == cohort_id, Booking.participant_id == who.id)
    )
    if booking is not None and booking.status in ACTIVE:
        raise errors.Refused(
            f"{who.name} already has a booking on {owner.title}, {found.name} ({booking.status})", status=409
        )
    if owner.selective:
        status, action = "applied", events.BOOKING_APPLY
    elif _confirmed(db, cohort_id) < found.capacity:
        status, action = "confirmed", events.BOOKING_CONFIRM
    else:
        status, action = "waitlisted", events.BOOKING_WAITLIST
    if booking is None:
        booking = Booking(cohort=found, participant=who)
        db.add(booking)
    booking.status, booking.statement, booking.queued_at, booking.cancelled_at = (
        status,
        statement,
        utcnow(),
        None,
    )
    booking.decision_reason = booking.decided_by = ""
    db.flush()
    audit.record(db, actor=actor, action=action, target=str(booking.id), payload={"cohort": cohort_id})
    notices.queue(db, booking.status, booking)
    return booking


def booking_by_id(db: Db, booking_id: int) -> Booking:
    found = db.get(Booking, booking_id)
    if found is None:
        raise errors.NotFound(f"no booking {booking_id}")
    return found


def own_booking(db: Db, booking_id: int, username: str) -> Booking:
    """Booking ``booking_id`` if it is ``username``'s; anyone else's is not found (not forbidden:
    its existence is not theirs to learn)."""
    found = db.get(Booking, booking_id)
    if found is None or found.participant.username != username:
        raise errors.NotFound(f"you have no booking {booking_id}")
    return found


def managed_booking(db: Db, booking_id: int, slug: str) -> Booking:
    found = db.get(Booking, booking_id)
    if found is None or found.cohort.programme.slug != slug:
        raise errors.NotFound(f"programme {slug!r} has no booking {booking_id}")
    return found


def cancel(db: Db, booking: Booking, *, actor: str) -> list[Booking]:
    """Cancel a booking or application; a freed place goes to the first on the waiting list.
    Returns the bookings promoted."""
    _lock(db, booking.cohort_id)
    db.refresh(booking)
    if booking.status not in ACTIVE:
        raise errors.Refused(f"booking {booking.id} is already {booking.status}", status=409)
    booking.status, booking.cancelled_at, booking.completed_at = "cancelled", utcnow(), None
    db.flush()
    audit.record(db, actor=actor, action=events.BOOKING_CANCEL, target=str(booking.id))
    notices.queue(db, "cancelled", booking)
    return _fill(db, booking.cohort, actor=actor)


def decide(db: Db, booking: Booking, *, approve: bool, reason: str, actor: str) -> Booking:
    """Approve or decline an application, with the reason recorded. An approved application
    takes a free place, or joins the waiting list when the cohort is full."""
    reason = reason.strip()
    if not reason:
        raise errors.Invalid("reason: say why the application is approved or declined (it is recorded)")
    if len(reason) > 2000:
        raise errors.Invalid("reason: at most 2,000 characters; shorten it")
    try:
        _prose(reason)
    except ValueError as exc:
        raise errors.Invalid(f"reason: {exc}") from None
    _lock(db, booking.cohort_id)
    db.refresh(booking)
    if booking.status != "applied":
        raise errors.Refused(
            f"booking {booking.id} is {booking.status}, not an application to decide", status=409
        )
    if not approve:
        booking.status = "declined"
    elif _confirmed(db, booking.cohort_id) < booking.cohort.capacity:
        booking.status = "confirmed"
    else:
        booking.status, booking.queued_at = "waitlisted", utcnow()
    booking.decision_reason, booking.decided_by = reason, actor
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=events.BOOKING_DECIDE,
        target=str(booking.id),
        payload={"approve": approve, "reason": reason, "status": booking.status},
    )
    notices.queue(db, booking.status, booking)
    return booking


# ---------------------------------------------------------------- attendance and completion


def record_attendance(db: Db, where: Session, marks: dict[int, str], *, actor: str) -> int:
    """Mark the register of session ``where``: booking id -> present, absent (a no-show) or
    excused. Every mark is checked before any is written; returns how many were recorded."""
    problems = []
    bookings = {
        b.id: b
        for b in db.scalars(
            select(Booking).where(Booking.cohort_id == where.cohort_id, Booking.status == "confirmed")
        )
    }
    for booking_id, mark in marks.items():
        if booking_id not in bookings:
            problems.append(f"booking {booking_id}: not a confirmed place on this session's cohort")
        elif mark not in MARKS:
            problems.append(f"booking {booking_id}: {mark!r} is not a mark; use present, absent or excused")
    if problems:
        raise errors.Invalid("the register was not saved: " + "; ".join(problems[:20]), problems)
    existing = {
        a.booking_id: a for a in db.scalars(select(Attendance).where(Attendance.session_id == where.id))
    }
    for booking_id, mark in marks.items():
        row = existing.get(booking_id)
        if row is None:
            db.add(Attendance(booking_id=booking_id, session_id=where.id, status=mark, recorded_by=actor))
        else:
            row.status, row.recorded_by, row.recorded_at = mark, actor, utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=events.ATTENDANCE_RECORD,
        target=where.uid,
        payload={"marks": {str(k): v for k, v in sorted(marks.items())}},
    )
    return len(marks)


def record_project(db: Db, booking: Booking, *, done: bool, actor: str) -> None:
    booking.project_done = done
    audit.record(
        db, actor=actor, action=events.PROJECT_RECORD, target=str(booking.id), payload={"done": done}
    )


class Progress(BaseModel):
    """Where a confirmed participant stands against the programme's completion rule."""

    booking_id: int
    sessions: int
    present: int
    absent: int
    excused: int
    attendance_pct: float
    project_done: bool
    started: bool  # present at one session or more
    complete: bool  # meets the rule: attendance and, where required, the final project
    rule: str


def rule_text(owner: Programme) -> str:
    text = f"present at {owner.min_attendance_pct}% of sessions or more"
    return text + (" and the final project done" if owner.requires_project else "")


def progress(db: Db, cohort_row: Cohort) -> list[Progress]:
    """Each confirmed participant's attendance and completion: a starter was present at one
    session or more; a completer was present at at least the programme's share of the cohort's
    sessions (excused absences are not attendance) and, where the programme asks, did the
    final project."""
    owner = cohort_row.programme
    sessions = len(cohort_row.sessions)
    marks: dict[int, dict[str, int]] = {}
    rows = db.execute(
        select(Attendance.booking_id, Attendance.status, func.count())
        .join(Session, Session.id == Attendance.session_id)
        .where(Session.cohort_id == cohort_row.id)
        .group_by(Attendance.booking_id, Attendance.status)
    )
    for booking_id, status, count in rows:
        marks.setdefault(booking_id, {})[status] = int(count)
    out = []
    for booking in db.scalars(
        select(Booking)
        .where(Booking.cohort_id == cohort_row.id, Booking.status == "confirmed")
        .order_by(Booking.id)
    ):
        got = marks.get(booking.id, {})
        present = got.get("present", 0)
        pct = 100.0 * present / sessions if sessions else 0.0
        complete = (
            sessions > 0
            and pct >= owner.min_attendance_pct
            and (booking.project_done or not owner.requires_project)
        )
        out.append(
            Progress(
                booking_id=booking.id,
                sessions=sessions,
                present=present,
                absent=got.get("absent", 0),
                excused=got.get("excused", 0),
                attendance_pct=round(pct, 1),
                project_done=booking.project_done,
                started=present > 0,
                complete=complete,
                rule=rule_text(owner),
            )
        )
    return out


def confirm_completions(db: Db, cohort_row: Cohort, *, actor: str) -> list[Booking]:
    """Stamp ``completed_at`` on every participant who now meets the completion rule (and clear
    it from anyone who no longer does, after a register was corrected). Returns the new completers."""
    state = {p.booking_id: p.complete for p in progress(db, cohort_row)}
    new = []
    for booking in db.scalars(select(Booking).where(Booking.id.in_(state))):
        if state[booking.id] and booking.completed_at is None:
            booking.completed_at = utcnow()
            new.append(booking)
            audit.record(db, actor=actor, action=events.COMPLETION, target=str(booking.id))
        elif not state[booking.id] and booking.completed_at is not None:
            booking.completed_at = None
            audit.record(
                db, actor=actor, action=events.COMPLETION, target=str(booking.id), payload={"undone": True}
            )
    return new
