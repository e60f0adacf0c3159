"""The rows the impact dashboard is built from, read from the relational store in a handful
of queries (no per-cohort round trips), with each confirmed place's standing against its
programme's completion rule (as service.progress decides it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session as Db

from techforce.programmes.models import (
    Attendance,
    Booking,
    Cohort,
    Feedback,
    Outcome,
    Participant,
    Programme,
    Session,
    WorkforceLink,
)
from techforce.workforce import store


def academic_year(day: date) -> int:
    """The academic (and HESA reporting) year a day falls in, August to July: 2023 is 2023/24."""
    return day.year if day.month >= 8 else day.year - 1


def participant_key(key: bytes, participant_id: int) -> int:
    """A participant's record key for disclosure control (uniform on [0, 2**32))."""
    return int(store.pseudonym(key, f"participant/{participant_id}")[:8], 16)


@dataclass(frozen=True)
class Place:
    """A confirmed place with where its holder stands against the completion rule."""

    booking_id: int
    programme_id: int
    year: int
    starts_on: date
    participant_id: int
    started: bool
    complete: bool


@dataclass
class Data:
    now: datetime
    programmes: dict[int, Programme] = field(default_factory=dict)
    cohorts: dict[int, tuple[int, int, int, int]] = field(
        default_factory=dict
    )  # id -> prog, year, all, delivered
    places: list[Place] = field(default_factory=list)
    people: dict[int, tuple[str, str, str, str]] = field(
        default_factory=dict
    )  # id -> ukprn, sex, ethnic, level
    feedback: dict[int, tuple[int, bool, int, int]] = field(default_factory=dict)
    outcomes: list[tuple[int, int, tuple[bool, ...]]] = field(default_factory=list)
    links: dict[int, tuple[str, str]] = field(default_factory=dict)
    next_start: datetime | None = None


def load(db: Db, now: datetime) -> Data:
    """Everything the page counts, in a handful of queries (no per-cohort round trips)."""
    out = Data(now=now)
    out.programmes = {p.id: p for p in db.scalars(select(Programme))}
    counts = {
        cid: (int(n), int(done or 0))
        for cid, n, done in db.execute(
            select(
                Session.cohort_id, func.count(), func.sum(case((Session.starts_at < now, 1), else_=0))
            ).group_by(Session.cohort_id)
        )
    }
    starts: dict[int, tuple[int, date]] = {}
    for cid, pid, starts_on in db.execute(select(Cohort.id, Cohort.programme_id, Cohort.starts_on)):
        n, done = counts.get(cid, (0, 0))
        out.cohorts[cid] = (pid, academic_year(starts_on), n, done)
        starts[cid] = (pid, starts_on)
    out.next_start = db.scalar(select(func.min(Session.starts_at)).where(Session.starts_at >= now))
    present = (
        select(Attendance.booking_id, func.count().label("n"))
        .where(Attendance.status == "present")
        .group_by(Attendance.booking_id)
        .subquery()
    )
    rows = db.execute(
        select(Booking.id, Booking.cohort_id, Booking.participant_id, Booking.project_done, present.c.n)
        .outerjoin(present, present.c.booking_id == Booking.id)
        .where(Booking.status == "confirmed")
    )
    rules = {p.id: (p.min_attendance_pct, p.requires_project) for p in out.programmes.values()}
    for bid, cid, person, project, n in rows:
        pid, starts_on = starts[cid]
        least, needs_project = rules[pid]
        sessions, attended = out.cohorts[cid][2], int(n or 0)
        pct = 100.0 * attended / sessions if sessions else 0.0
        complete = sessions > 0 and pct >= least and (project or not needs_project)
        out.places.append(
            Place(bid, pid, out.cohorts[cid][1], starts_on, person, attended > 0, bool(complete))
        )
    wanted = {p.participant_id for p in out.places}
    for pid, ukprn, sex, ethnic, level in db.execute(
        select(Participant.id, Participant.ukprn, Participant.sex, Participant.ethnicity, Participant.level)
    ):
        if pid in wanted:
            out.people[pid] = (ukprn, sex, ethnic, level)
    _answers(db, out)
    out.links = {
        pid: (u, person)
        for pid, u, person in db.execute(
            select(WorkforceLink.participant_id, WorkforceLink.ukprn, WorkforceLink.person_id)
        )
    }
    return out


def _answers(db: Db, out: Data) -> None:
    """Feedback and outcomes, by booking."""
    for bid, reaction, recommend, before, after in db.execute(
        select(Feedback.booking_id, Feedback.reaction, Feedback.recommend, Feedback.before, Feedback.after)
    ):
        out.feedback[bid] = (reaction, bool(recommend), before, after)
    for row in db.execute(
        select(
            Outcome.booking_id,
            Outcome.months,
            Outcome.promoted,
            Outcome.role_changed,
            Outcome.grade_changed,
            Outcome.registrations,
            Outcome.leadership_role,
            Outcome.committee_seat,
        )
    ):
        bid, months, *flags = row
        flags[3] = bool(flags[3])  # registrations: a new one is any at all
        out.outcomes.append((bid, int(months), tuple(bool(f) for f in flags)))
