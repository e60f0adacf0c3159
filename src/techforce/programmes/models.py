"""Tables of the programmes capability: programmes, their cohorts (intakes) and sessions,
participants, bookings (with the waiting list), attendance, feedback, outcomes, the consented
link to a pseudonymous workforce record, credentials, private calendar feeds and the
notifications sent. Times are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from techforce.audit import utcnow
from techforce.db import Base, UTCDateTime


class Programme(Base):
    """A development programme: a cohort programme, an executive programme, a workshop or a
    course. ``selective`` programmes take applications that a manager approves or declines."""

    __tablename__ = "programmes_programme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # cohort | executive | workshop | course
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(500), default="")
    eligibility: Mapped[str] = mapped_column(String(1000), default="")
    capacity: Mapped[int] = mapped_column(Integer)  # default places per cohort
    cost_pence: Mapped[int] = mapped_column(Integer, default=0)  # delivery cost per place
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)  # Technician Commitment pillars
    selective: Mapped[bool] = mapped_column(Boolean, default=False)
    min_attendance_pct: Mapped[int] = mapped_column(Integer, default=80)
    requires_project: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cohorts: Mapped[list[Cohort]] = relationship(
        back_populates="programme", order_by="Cohort.starts_on", cascade="all, delete-orphan"
    )
    managers: Mapped[list[Manager]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Manager(Base):
    """A programme manager who runs this programme."""

    __tablename__ = "programmes_manager"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_programme.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(100), primary_key=True)


class Cohort(Base):
    """One intake or run of a programme: the unit people book a place on."""

    __tablename__ = "programmes_cohort"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_programme.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    programme: Mapped[Programme] = relationship(back_populates="cohorts")
    sessions: Mapped[list[Session]] = relationship(
        back_populates="cohort", order_by="Session.starts_at", cascade="all, delete-orphan"
    )


class Session(Base):
    """A session of a cohort: a module day, an action learning set, a workshop; in person or online."""

    __tablename__ = "programmes_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)  # stable iCalendar UID
    cohort_id: Mapped[int] = mapped_column(ForeignKey("programmes_cohort.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="session")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(10), default="in-person")  # in-person | online
    location: Mapped[str] = mapped_column(String(300), default="")
    facilitator: Mapped[str] = mapped_column(String(200), default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE, bumped on change
    cohort: Mapped[Cohort] = relationship(back_populates="sessions")


class Participant(Base):
    """A person who applies or books: an account holder (``username``) or someone imported
    from a booking tool. Sex, ethnicity and grade (LEVELS) are self-described on application,
    used only in disclosure-controlled profiles."""

    __tablename__ = "programmes_participant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ukprn: Mapped[str] = mapped_column(String(8), default="", index=True)
    sex: Mapped[str] = mapped_column(String(2), default="")  # HESA SEXID code, '' unknown
    ethnicity: Mapped[str] = mapped_column(String(4), default="")  # HESA ETHNIC code
    level: Mapped[str] = mapped_column(String(4), default="")  # LEVELS code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Booking(Base):
    """A participant's place on a cohort. ``status``: applied (awaiting a decision), confirmed,
    waitlisted (in ``queued_at`` order), cancelled, declined. One row per participant and
    cohort; booking again after cancelling re-uses it and joins the back of the queue."""

    __tablename__ = "programmes_booking"
    __table_args__ = (UniqueConstraint("cohort_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("programmes_cohort.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_participant.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), index=True)
    statement: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(String(2000), default="")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    project_done: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cohort: Mapped[Cohort] = relationship()
    participant: Mapped[Participant] = relationship(lazy="joined")


class Attendance(Base):
    """A register mark: present, absent (a no-show) or excused."""

    __tablename__ = "programmes_attendance"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_booking.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_session.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(10))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feedback(Base):
    """The short built-in survey after a cohort (Kirkpatrick levels 1 and 2): reaction
    (1-5), would recommend, and learning as a self-rating before and after (1-5)."""

    __tablename__ = "programmes_feedback"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_booking.id", ondelete="CASCADE"), primary_key=True
    )
    reaction: Mapped[int] = mapped_column(Integer)
    recommend: Mapped[bool] = mapped_column(Boolean)
    before: Mapped[int] = mapped_column(Integer)
    after: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")  # never published
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Outcome(Base):
    """What changed 6 or 12 months after (Kirkpatrick levels 3 and 4), as the participant reports it."""

    __tablename__ = "programmes_outcome"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_booking.id", ondelete="CASCADE"), primary_key=True
    )
    months: Mapped[int] = mapped_column(Integer, primary_key=True)  # 6 | 12
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    role_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    grade_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    registrations: Mapped[list[str]] = mapped_column(JSON, default=list)  # RSciTech, RSci, CSci, ...
    leadership_role: Mapped[bool] = mapped_column(Boolean, default=False)
    committee_seat: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkforceLink(Base):
    """A participant's consent to link to their pseudonymous staff record: the provider and
    HMAC(deployment key, own staff id), the same pseudonym the staff data holds. Withdrawing
    consent deletes the row."""

    __tablename__ = "programmes_workforce_link"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_participant.id", ondelete="CASCADE"), primary_key=True
    )
    ukprn: Mapped[str] = mapped_column(String(8))
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Credential(Base):
    """An Open Badges 3.0 credential issued on completion; ``status_index`` is its bit in the
    published status list."""

    __tablename__ = "programmes_credential"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # urn:uuid
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_booking.id", ondelete="CASCADE"), unique=True
    )
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(Text)  # the signed credential as issued
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")


class FeedToken(Base):
    """A person's private calendar feed; only a SHA-256 of the token is kept. Revoking deletes it."""

    __tablename__ = "programmes_feed_token"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("programmes_participant.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """A message to send, queued in the same transaction as the change it reports (so none is
    lost or sent for a change that rolled back), then delivered by SMTP or to the outbox.
    ``key`` is unique (kind, booking, session or moment): a reminder run twice queues one.
    Other capabilities send through the same channel with a ``notice`` (notices.queue_notice)."""

    __tablename__ = "programmes_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # confirmed | promoted | reminder | feedback | ...
    # None for a message another capability composed (kind "notice": subject and lines in detail)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes_booking.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(Integer, default=0)  # 0: not about one session
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending | sent | failed
    subject: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[str] = mapped_column(String(10), default="")  # smtp | outbox, once sent
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
