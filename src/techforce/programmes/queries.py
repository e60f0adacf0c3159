"""Read-side queries of the programmes capability for its pages: the catalogue with places
taken and waiting per cohort, a person's bookings with their place in the queue, and what
goes with a booking (credential, feedback, outcomes). Nothing here changes the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from techforce.programmes.models import (
    Attendance,
    Booking,
    Cohort,
    Credential,
    Feedback,
    FeedToken,
    Outcome,
    Participant,
    Programme,
    WorkforceLink,
)


@dataclass(frozen=True)
class Places:
    """A cohort's places: confirmed, on the waiting list, and applications awaiting a decision."""

    confirmed: int = 0
    waiting: int = 0
    applied: int = 0


def programmes(db: Db) -> list[Programme]:
    """Every programme with its cohorts and their sessions, by title."""
    return list(
        db.scalars(
            select(Programme)
            .options(selectinload(Programme.cohorts).selectinload(Cohort.sessions))
            .order_by(Programme.title, Programme.id)
        )
    )


def places(db: Db, cohort_ids: Iterable[int]) -> dict[int, Places]:
    """Places taken, waiting and applied for, per cohort (cohorts without bookings: zeros)."""
    ids = list(cohort_ids)
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        rows = db.execute(
            select(Booking.cohort_id, Booking.status, func.count())
            .where(Booking.cohort_id.in_(ids), Booking.status.in_(("confirmed", "waitlisted", "applied")))
            .group_by(Booking.cohort_id, Booking.status)
        )
        for cohort_id, status, count in rows:
            counts[cohort_id][status] = int(count)
    return {
        i: Places(c.get("confirmed", 0), c.get("waitlisted", 0), c.get("applied", 0))
        for i, c in counts.items()
    }


def bookings_of(db: Db, participant_id: int) -> list[Booking]:
    """A participant's bookings and applications, the latest cohorts first."""
    return list(
        db.scalars(
            select(Booking)
            .join(Cohort, Cohort.id == Booking.cohort_id)
            .where(Booking.participant_id == participant_id)
            .options(selectinload(Booking.cohort).selectinload(Cohort.sessions))
            .order_by(Cohort.starts_on.desc(), Booking.id.desc())
        )
    )


def booking_in_cohorts(db: Db, participant_id: int, cohort_ids: Iterable[int]) -> dict[int, Booking]:
    """The participant's booking on each of these cohorts that they have one on."""
    ids = list(cohort_ids)
    if not ids:
        return {}
    found = db.scalars(
        select(Booking).where(Booking.participant_id == participant_id, Booking.cohort_id.in_(ids))
    )
    return {b.cohort_id: b for b in found}


def queue_position(db: Db, booking: Booking) -> int | None:
    """Where a waitlisted booking stands in its cohort's queue (1 = next to be offered a place)."""
    if booking.status != "waitlisted":
        return None
    ahead = db.scalar(
        select(func.count()).where(
            Booking.cohort_id == booking.cohort_id,
            Booking.status == "waitlisted",
            (Booking.queued_at < booking.queued_at)
            | ((Booking.queued_at == booking.queued_at) & (Booking.id < booking.id)),
        )
    )
    return int(ahead or 0) + 1


def credentials(db: Db, booking_ids: Iterable[int]) -> dict[int, Credential]:
    ids = list(booking_ids)
    if not ids:
        return {}
    return {c.booking_id: c for c in db.scalars(select(Credential).where(Credential.booking_id.in_(ids)))}


def credential_of(db: Db, booking_id: int) -> Credential | None:
    return db.scalar(select(Credential).where(Credential.booking_id == booking_id))


def feedback_given(db: Db, booking_ids: Iterable[int]) -> set[int]:
    ids = list(booking_ids)
    if not ids:
        return set()
    return set(db.scalars(select(Feedback.booking_id).where(Feedback.booking_id.in_(ids))))


def outcomes_given(db: Db, booking_ids: Iterable[int]) -> dict[int, list[int]]:
    """Months (6, 12) with outcomes recorded, per booking."""
    ids = list(booking_ids)
    out: dict[int, list[int]] = {}
    if ids:
        for booking_id, months in db.execute(
            select(Outcome.booking_id, Outcome.months)
            .where(Outcome.booking_id.in_(ids))
            .order_by(Outcome.months)
        ):
            out.setdefault(booking_id, []).append(int(months))
    return out


def attended(db: Db, booking_ids: Iterable[int]) -> set[int]:
    """The bookings marked present at one session or more (a certificate of attendance is theirs)."""
    ids = list(booking_ids)
    if not ids:
        return set()
    found = select(Attendance.booking_id).where(
        Attendance.booking_id.in_(ids), Attendance.status == "present"
    )
    return set(db.scalars(found.distinct()))


def feedback_of(db: Db, booking_id: int) -> Feedback | None:
    return db.get(Feedback, booking_id)


def outcome_of(db: Db, booking_id: int, months: int) -> Outcome | None:
    return db.get(Outcome, (booking_id, months))


def has_feed(db: Db, participant: Participant) -> bool:
    return db.get(FeedToken, participant.id) is not None


def link_of(db: Db, participant: Participant) -> WorkforceLink | None:
    return db.get(WorkforceLink, participant.id)
