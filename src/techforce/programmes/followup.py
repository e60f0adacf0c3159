"""After a programme: feedback (Kirkpatrick levels 1-2: reaction, and learning as a before and
after self-rating), outcomes at 6 and 12 months (levels 3-4), and the participant's consent to
link their pseudonymous staff record, so that later grade and LEVELS changes are read from the
staff data rather than self-reported. Withdrawing consent deletes the link."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.audit import utcnow
from techforce.programmes import events
from techforce.programmes.models import Booking, Feedback, Outcome, Participant, Session, WorkforceLink
from techforce.programmes.service import Prose
from techforce.workforce.store import own_pseudonym

REGISTRATIONS = ("RSciTech", "RSci", "CSci", "EngTech", "IEng", "CEng", "AFHEA", "FHEA", "SFHEA", "PFHEA")
Registration = Literal[
    "RSciTech", "RSci", "CSci", "EngTech", "IEng", "CEng", "AFHEA", "FHEA", "SFHEA", "PFHEA"
]


class FeedbackIn(BaseModel):
    reaction: int = Field(ge=1, le=5, description="How good was it overall? 1 (poor) to 5 (excellent)")
    recommend: bool = Field(description="Would you recommend it to a colleague?")
    before: int = Field(ge=1, le=5, description="Your confidence in the topics before: 1 (none) to 5 (high)")
    after: int = Field(ge=1, le=5, description="Your confidence in the topics now: 1 (none) to 5 (high)")
    comment: Prose = Field(default="", max_length=4000, description="Anything else (never published)")


class OutcomeIn(BaseModel):
    months: Literal[6, 12]
    promoted: bool = False
    role_changed: bool = False
    grade_changed: bool = False
    registrations: list[Registration] = Field(default_factory=list)
    leadership_role: bool = False
    committee_seat: bool = False


class ConsentIn(BaseModel):
    ukprn: str = Field(pattern=r"^1\d{7}$", description="Your employer's UKPRN")
    staff_id: str = Field(min_length=1, max_length=20, description="Your staff id as your HR system holds it")

    @field_validator("staff_id")
    @classmethod
    def _plain(cls, value: str) -> str:
        value = value.strip()
        if not value.isprintable() or not value:
            raise ValueError("give the staff id as printed on your payslip or HR record")
        return value


def _started(db: Db, booking: Booking) -> bool:
    """Has the booking's cohort had a session yet?"""
    first = db.scalar(
        select(Session.starts_at).where(Session.cohort_id == booking.cohort_id).order_by(Session.starts_at)
    )
    return first is not None and first <= utcnow()


def submit_feedback(db: Db, booking: Booking, data: FeedbackIn, *, actor: str) -> Feedback:
    """Record (or replace) a participant's feedback on their cohort; only for a confirmed place
    on a cohort that has begun."""
    if booking.status != "confirmed":
        raise errors.Refused(f"feedback is for confirmed places; booking {booking.id} is {booking.status}")
    if not _started(db, booking):
        raise errors.Refused("feedback opens once the first session has taken place")
    found = db.get(Feedback, booking.id)
    fields = data.model_dump()
    if found is None:
        found = Feedback(booking_id=booking.id, **fields)
        db.add(found)
    else:
        for name, value in fields.items():
            setattr(found, name, value)
        found.submitted_at = utcnow()
    audit.record(db, actor=actor, action=events.FEEDBACK_SUBMIT, target=str(booking.id))
    return found


def record_outcome(db: Db, booking: Booking, data: OutcomeIn, *, actor: str) -> Outcome:
    """Record (or correct) what changed ``months`` after the programme, for a confirmed place."""
    if booking.status != "confirmed":
        raise errors.Refused(f"outcomes are for confirmed places; booking {booking.id} is {booking.status}")
    ended = booking.cohort.ends_on
    if ended >= utcnow().date():
        raise errors.Refused(
            f"outcomes are recorded after the programme: this cohort ends on {ended:%d %B %Y}; "
            f"come back {data.months} months after that"
        )
    found = db.get(Outcome, (booking.id, data.months))
    fields = data.model_dump()
    if found is None:
        found = Outcome(booking_id=booking.id, **fields)
        db.add(found)
    else:
        for name, value in fields.items():
            setattr(found, name, value)
        found.recorded_at = utcnow()
    audit.record(
        db, actor=actor, action=events.OUTCOME_RECORD, target=str(booking.id), payload={"months": data.months}
    )
    return found


def give_consent(db: Db, who: Participant, data: ConsentIn, key: bytes, *, actor: str) -> WorkforceLink:
    """Link ``who`` to their pseudonymous staff record: the provider and the keyed hash of
    their own staff id, the ``own_id`` the staff data holds (the staff id itself is not kept)."""
    found = db.get(WorkforceLink, who.id)
    person_id = own_pseudonym(key, data.ukprn, data.staff_id)
    if found is None:
        found = WorkforceLink(participant_id=who.id, ukprn=data.ukprn, person_id=person_id)
        db.add(found)
    else:
        found.ukprn, found.person_id, found.consented_at = data.ukprn, person_id, utcnow()
    audit.record(
        db, actor=actor, action=events.CONSENT_GIVE, target=str(who.id), payload={"ukprn": data.ukprn}
    )
    return found


def withdraw_consent(db: Db, who: Participant, *, actor: str) -> bool:
    """Delete the link to the staff record; True if there was one. Impact figures computed
    afterwards no longer read this person's staff data."""
    found = db.get(WorkforceLink, who.id)
    if found is None:
        return False
    db.delete(found)
    audit.record(db, actor=actor, action=events.CONSENT_WITHDRAW, target=str(who.id))
    return True
