"""Page data for programme managers: the programme form, a programme's management page
(cohorts, sessions, bookings, applications), a session's attendance register and a cohort's
completion page. Typed models, nothing about HTTP: the web pages and their JSON twins show
the same objects. Times are stored in UTC and shown in Europe/London local time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.programmes import events, service
from techforce.programmes.models import Attendance, Booking, Cohort, Credential, Programme, Session

LONDON = ZoneInfo("Europe/London")
ORDER = {"confirmed": 0, "waitlisted": 1, "applied": 2, "cancelled": 3, "declined": 4}

KIND_HELP = {
    "cohort": "a cohort programme over months: modules, action learning sets, a final project",
    "executive": "an annual executive programme",
    "workshop": "a one-off workshop",
    "course": "a short course of a few sessions",
}
PILLAR_HELP = {
    "visibility": "Visibility: technicians' work seen and credited",
    "recognition": "Recognition: technicians' contribution recognised",
    "career-development": "Career development: routes to progress",
    "sustainability": "Sustainability: a technical workforce for the future",
}
FIELD_HELP = {
    "slug": "The short name in web addresses and the CLI: lower-case letters, digits and hyphens "
    "(e.g. leaders-2026). It cannot be changed later.",
    "title": "The name people see.",
    "kind": "The shape of the programme.",
    "description": "What the programme covers and how it runs.",
    "audience": "Who it is for (e.g. women in technical roles).",
    "eligibility": "Who may apply or book.",
    "capacity": "Places per cohort, unless a cohort gives its own.",
    "cost": "Delivery cost per place in pounds (e.g. 1500 or 1500.50); used for cost per participant.",
    "pillars": "The Technician Commitment pillars it serves.",
    "selective": "People apply with a statement and a manager approves or declines each application.",
    "min_attendance_pct": "To complete, a participant is present at this share of the cohort's sessions or more.",
    "requires_project": "To complete, a participant also does the final project.",
}


# ---------------------------------------------------------------- times


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives them back without a zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shown(moment: datetime | None) -> str:
    """A time as people in the UK read it: Mon 2 Mar 2026, 09:30 (Europe/London)."""
    if moment is None:
        return ""
    at = utc(moment).astimezone(LONDON)
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M}"


def local_input(moment: datetime) -> str:
    """A time for a datetime-local field, in Europe/London: 2026-03-02T09:30."""
    return f"{utc(moment).astimezone(LONDON):%Y-%m-%dT%H:%M}"


def from_local(text: str, field: str) -> datetime:
    """A Europe/London wall-clock time (2026-03-02T09:30) as UTC. A time the clocks skip
    (spring forward) is refused; one they repeat (autumn) is the first, in summer time."""
    value = text.strip()
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise errors.Invalid(
            f"{field}: {value[:40]!r} is not a date and time; give it as 2026-03-02T09:30 (UK time)"
        ) from None
    if naive.tzinfo is not None or not 1900 <= naive.year <= 2200:
        raise errors.Invalid(f"{field}: give a UK date and time between 1900 and 2200, e.g. 2026-03-02T09:30")
    at = naive.replace(tzinfo=LONDON, fold=0)
    back = at.astimezone(UTC).astimezone(LONDON)
    if back.replace(tzinfo=None) != naive:
        raise errors.Invalid(
            f"{field}: {value} does not exist in UK time (the clocks go forward then): give a time an hour later"
        )
    return at.astimezone(UTC)


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}" + (f".{pence % 100:02d}" if pence % 100 else "")


# ---------------------------------------------------------------- models


class Notice(BaseModel):
    """What just happened on a page: a message after a change, or why a change was refused
    (``failed`` names the form, ``values`` what was typed into it, to show it again)."""

    message: str = ""
    error: str = ""
    failed: str = ""
    values: dict[str, Any] = Field(default_factory=dict)


class Choice(BaseModel):
    value: str
    label: str


class ProgrammeForm(Notice):
    """What the programme form offers: kinds, pillars, modes and help text per field."""

    title: str
    kinds: list[Choice]
    pillars: list[Choice]
    modes: list[str]
    help: dict[str, str]


class ProgrammeView(BaseModel):
    slug: str
    title: str
    kind: str
    description: str
    audience: str
    eligibility: str
    capacity: int
    cost_pence: int
    cost: str
    pillars: list[str]
    selective: bool
    min_attendance_pct: int
    requires_project: bool
    rule: str
    managers: list[str]


class SessionView(BaseModel):
    id: int
    uid: str
    title: str
    kind: str
    starts_at: datetime  # UTC
    ends_at: datetime
    starts: str  # Europe/London, as shown
    ends: str
    starts_local: str  # for the form's datetime-local fields
    ends_local: str
    mode: str
    location: str
    facilitator: str
    marked: int  # register marks recorded


class BookingView(BaseModel):
    id: int
    cohort_id: int
    cohort: str
    participant: str
    email: str
    ukprn: str
    status: str
    queue_position: int | None  # 1 = next off the waiting list
    statement: str
    decision_reason: str
    decided_by: str
    booked: str


class CohortView(BaseModel):
    id: int
    name: str
    starts_on: str
    ends_on: str
    capacity: int
    confirmed: int
    waitlisted: int
    applied: int
    sessions: list[SessionView]
    bookings: list[BookingView]  # confirmed, the waiting list in order, applications, then the rest


class ManagePage(Notice):
    title: str
    programme: ProgrammeView
    cohorts: list[CohortView]
    applications: list[BookingView]  # awaiting a decision, oldest first
    form: ProgrammeForm


class RegisterRow(BaseModel):
    booking_id: int
    participant: str
    mark: str  # present | absent | excused | '' (not marked yet)


class RegisterPage(Notice):
    title: str
    programme: str
    programme_title: str
    cohort_id: int
    cohort: str
    session: SessionView
    marks: list[str]
    rows: list[RegisterRow]
    counts: dict[str, int]  # present, absent, excused, unmarked


class CredentialView(BaseModel):
    id: str
    issued: str
    issued_by: str
    revoked: str  # '' while valid
    revoked_reason: str


class CompletionRow(BaseModel):
    booking_id: int
    participant: str
    email: str
    sessions: int
    present: int
    absent: int
    excused: int
    attendance_pct: float
    project_done: bool
    started: bool
    complete: bool  # meets the rule now
    completed: str  # when completion was confirmed ('' not confirmed)
    credential: CredentialView | None


class CompletionPage(Notice):
    title: str
    programme: str
    programme_title: str
    cohort_id: int
    cohort: str
    rule: str
    requires_project: bool
    sessions: int
    participants: int  # confirmed places
    starters: int  # present at one session or more
    completers: int  # meet the rule now
    confirmed_completers: int  # completion confirmed (completed_at stamped)
    credentials_issued: int  # valid (not revoked)
    rows: list[CompletionRow]


# ---------------------------------------------------------------- builders


def programme_form() -> ProgrammeForm:
    return ProgrammeForm(
        title="New programme",
        kinds=[Choice(value=k, label=f"{k.capitalize()}: {KIND_HELP[k]}") for k in service.KINDS],
        pillars=[Choice(value=p, label=PILLAR_HELP[p]) for p in service.PILLARS],
        modes=list(service.MODES),
        help=FIELD_HELP,
    )


def programme_view(owner: Programme) -> ProgrammeView:
    return ProgrammeView(
        slug=owner.slug,
        title=owner.title,
        kind=owner.kind,
        description=owner.description,
        audience=owner.audience,
        eligibility=owner.eligibility,
        capacity=owner.capacity,
        cost_pence=owner.cost_pence,
        cost=pounds(owner.cost_pence),
        pillars=list(owner.pillars or []),
        selective=owner.selective,
        min_attendance_pct=owner.min_attendance_pct,
        requires_project=owner.requires_project,
        rule=service.rule_text(owner),
        managers=sorted(m.username for m in owner.managers),
    )


def session_view(row: Session, marked: int = 0) -> SessionView:
    return SessionView(
        id=row.id,
        uid=row.uid,
        title=row.title,
        kind=row.kind,
        starts_at=utc(row.starts_at),
        ends_at=utc(row.ends_at),
        starts=shown(row.starts_at),
        ends=shown(row.ends_at),
        starts_local=local_input(row.starts_at),
        ends_local=local_input(row.ends_at),
        mode=row.mode,
        location=row.location,
        facilitator=row.facilitator,
        marked=marked,
    )


def _booking_view(b: Booking, cohort_name: str, position: int | None) -> BookingView:
    return BookingView(
        id=b.id,
        cohort_id=b.cohort_id,
        cohort=cohort_name,
        participant=b.participant.name,
        email=b.participant.email,
        ukprn=b.participant.ukprn,
        status=b.status,
        queue_position=position,
        statement=b.statement,
        decision_reason=b.decision_reason,
        decided_by=b.decided_by,
        booked=shown(b.created_at),
    )


def _cohort_view(db: Db, row: Cohort) -> CohortView:
    bookings = list(db.scalars(select(Booking).where(Booking.cohort_id == row.id)))
    bookings.sort(key=lambda b: (ORDER.get(b.status, 9), utc(b.queued_at), b.id))
    waiting = [b.id for b in bookings if b.status == "waitlisted"]
    marked = dict(
        db.execute(
            select(Attendance.session_id, func.count())
            .join(Session, Session.id == Attendance.session_id)
            .where(Session.cohort_id == row.id)
            .group_by(Attendance.session_id)
        ).all()
    )
    count = {s: sum(b.status == s for b in bookings) for s in ("confirmed", "waitlisted", "applied")}
    return CohortView(
        id=row.id,
        name=row.name,
        starts_on=row.starts_on.isoformat(),
        ends_on=row.ends_on.isoformat(),
        capacity=row.capacity,
        confirmed=count["confirmed"],
        waitlisted=count["waitlisted"],
        applied=count["applied"],
        sessions=[session_view(s, int(marked.get(s.id, 0))) for s in row.sessions],
        bookings=[
            _booking_view(b, row.name, waiting.index(b.id) + 1 if b.id in waiting else None) for b in bookings
        ],
    )


def manage_page(db: Db, slug: str) -> ManagePage:
    """Everything a manager runs a programme from."""
    owner = service.programme(db, slug)
    cohorts = [_cohort_view(db, c) for c in owner.cohorts]
    applications = [b for c in cohorts for b in c.bookings if b.status == "applied"]
    return ManagePage(
        title=f"Manage {owner.title}",
        programme=programme_view(owner),
        cohorts=cohorts,
        applications=sorted(applications, key=lambda b: b.id),
        form=programme_form(),
    )


def session_in(db: Db, slug: str, cohort_id: int, session_id: int) -> Session:
    """Session ``session_id`` of cohort ``cohort_id`` of programme ``slug``; any other is not found."""
    found = service.session_by_id(db, session_id, slug)
    if found.cohort_id != cohort_id:
        raise errors.NotFound(f"cohort {cohort_id} of programme {slug!r} has no session {session_id}")
    return found


def register_page(db: Db, slug: str, cohort_id: int, session_id: int) -> RegisterPage:
    """A session's register: one row per confirmed participant, with the mark recorded so far."""
    where = session_in(db, slug, cohort_id, session_id)
    marks = dict(
        db.execute(
            select(Attendance.booking_id, Attendance.status).where(Attendance.session_id == where.id)
        ).all()
    )
    people = db.scalars(
        select(Booking)
        .where(Booking.cohort_id == cohort_id, Booking.status == "confirmed")
        .order_by(Booking.id)
    )
    rows = [
        RegisterRow(booking_id=b.id, participant=b.participant.name, mark=marks.get(b.id, "")) for b in people
    ]
    rows.sort(key=lambda r: (r.participant.casefold(), r.booking_id))
    counts = {m: sum(r.mark == m for r in rows) for m in service.MARKS}
    counts["unmarked"] = sum(not r.mark for r in rows)
    owner = where.cohort.programme
    return RegisterPage(
        title=f"Register: {where.title}",
        programme=owner.slug,
        programme_title=owner.title,
        cohort_id=cohort_id,
        cohort=where.cohort.name,
        session=session_view(where, len(marks)),
        marks=list(service.MARKS),
        rows=rows,
        counts=counts,
    )


def _credential(found: Credential | None) -> CredentialView | None:
    if found is None:
        return None
    return CredentialView(
        id=found.id,
        issued=shown(found.issued_at),
        issued_by=found.issued_by,
        revoked=shown(found.revoked_at),
        revoked_reason=found.revoked_reason,
    )


def completion_page(db: Db, slug: str, cohort_id: int) -> CompletionPage:
    """Each confirmed participant against the completion rule; starters and completers counted apart."""
    row = service.cohort_by_id(db, cohort_id, slug)
    progress = service.progress(db, row)
    bookings = {
        b.id: b for b in db.scalars(select(Booking).where(Booking.id.in_([p.booking_id for p in progress])))
    }
    issued = {
        c.booking_id: c
        for c in db.scalars(select(Credential).where(Credential.booking_id.in_(list(bookings))))
    }
    rows = [
        CompletionRow(
            **p.model_dump(exclude={"rule"}),
            participant=bookings[p.booking_id].participant.name,
            email=bookings[p.booking_id].participant.email,
            completed=shown(bookings[p.booking_id].completed_at),
            credential=_credential(issued.get(p.booking_id)),
        )
        for p in progress
    ]
    rows.sort(key=lambda r: (r.participant.casefold(), r.booking_id))
    owner = row.programme
    return CompletionPage(
        title=f"Completion: {owner.title}, {row.name}",
        programme=owner.slug,
        programme_title=owner.title,
        cohort_id=row.id,
        cohort=row.name,
        rule=service.rule_text(owner),
        requires_project=owner.requires_project,
        sessions=len(row.sessions),
        participants=len(rows),
        starters=sum(r.started for r in rows),
        completers=sum(r.complete for r in rows),
        confirmed_completers=sum(bool(r.completed) for r in rows),
        credentials_issued=sum(r.credential is not None and not r.credential.revoked for r in rows),
        rows=rows,
    )


def credential_in(db: Db, slug: str, cohort_id: int, credential_id: str) -> Credential:
    """Credential ``credential_id`` issued on cohort ``cohort_id`` of programme ``slug``; any other is not found."""
    found = db.get(Credential, credential_id)
    booking = db.get(Booking, found.booking_id) if found is not None else None
    if (
        found is None
        or booking is None
        or booking.cohort_id != cohort_id
        or booking.cohort.programme.slug != slug
    ):
        raise errors.NotFound(
            f"cohort {cohort_id} of programme {slug!r} has no credential {credential_id[:80]!r}"
        )
    return found


# ---------------------------------------------------------------- changes the service keys otherwise


def edit_cohort(db: Db, slug: str, cohort_id: int, data: service.CohortIn, *, actor: str) -> Cohort:
    """Change cohort ``cohort_id`` (service.save_cohort finds cohorts by name: a new name here
    renames this one, refused when another cohort of the programme has it)."""
    row = service.cohort_by_id(db, cohort_id, slug)
    if data.name != row.name:
        clash = db.scalar(
            select(Cohort).where(Cohort.programme_id == row.programme_id, Cohort.name == data.name)
        )
        if clash is not None:
            raise errors.Refused(
                f"programme {slug!r} already has a cohort {data.name!r}: choose another name", status=409
            )
        audit.record(
            db,
            actor=actor,
            action=events.COHORT_SAVE,
            target=f"{slug}/{data.name}",
            payload={"renamed_from": row.name},
        )
        row.name = data.name
        db.flush()
    return service.save_cohort(db, slug, data, actor=actor)
