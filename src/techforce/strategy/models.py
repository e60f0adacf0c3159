"""Tables of the strategy capability (``strategy_*``).

Ids are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL): the history, the
audit log and library links name actions and submissions by id, so a new action must never
inherit a removed one's.

Recommendation sets (shipped and imported) with their recommendations; Technician
Commitment signatories; pledges of a provider against recommendations; submissions (the
self-assessment and action plan of one stage) with a narrative and maturity per pillar,
the status of each recommendation, actions with milestones and linked recommendations,
evidence linked to a pillar or an action, peer-review invitations and comments; and the
history of every change, field by field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from techforce.audit import utcnow
from techforce.db import Base, UTCDateTime


class RecommendationSet(Base):
    """A versioned set of recommendations (a report's, or one a user imported)."""

    __tablename__ = "strategy_recommendation_set"
    __table_args__ = (UniqueConstraint("slug", "version"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str] = mapped_column(String(300), default="")
    published: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")  # the citation
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    wording: Mapped[str] = mapped_column(String(200), default="")  # verbatim | paraphrase
    note: Mapped[str] = mapped_column(Text, default="")
    shipped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="set", order_by="Recommendation.position", cascade="all, delete-orphan"
    )


class Recommendation(Base):
    """One recommendation: addressees, theme and Technician Commitment pillars."""

    __tablename__ = "strategy_recommendation"
    __table_args__ = (UniqueConstraint("set_id", "code"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("strategy_recommendation_set.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    addressees: Mapped[list[str]] = mapped_column(JSON, default=list)
    theme: Mapped[str] = mapped_column(String(200), default="")
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)

    set: Mapped[RecommendationSet] = relationship(back_populates="recommendations")


class Signatory(Base):
    """A provider that signed the Technician Commitment, and when."""

    __tablename__ = "strategy_signatory"

    ukprn: Mapped[str] = mapped_column(String(8), primary_key=True)
    signed: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(320), default="")  # the e-mail address reminders go to
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Pledge(Base):
    """A provider's commitment to act on a recommendation, and how far it got."""

    __tablename__ = "strategy_pledge"
    __table_args__ = (UniqueConstraint("ukprn", "recommendation_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ukprn: Mapped[str] = mapped_column(String(8), index=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_recommendation.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pledged")
    pledged_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Submission(Base):
    """The self-assessment and action plan of one provider for one stage."""

    __tablename__ = "strategy_submission"
    __table_args__ = (UniqueConstraint("ukprn", "stage"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ukprn: Mapped[str] = mapped_column(String(8), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | submitted
    submitted_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pillars: Mapped[list[PillarAssessment]] = relationship(cascade="all, delete-orphan")
    statuses: Mapped[list[RecommendationStatus]] = relationship(cascade="all, delete-orphan")
    actions: Mapped[list[Action]] = relationship(
        back_populates="submission", order_by="Action.position", cascade="all, delete-orphan"
    )


class PillarAssessment(Base):
    """A pillar's narrative and maturity rating in a self-assessment."""

    __tablename__ = "strategy_pillar"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_submission.id", ondelete="CASCADE"), primary_key=True
    )
    pillar: Mapped[str] = mapped_column(String(30), primary_key=True)
    narrative: Mapped[str] = mapped_column(Text, default="")
    maturity: Mapped[int] = mapped_column(Integer, default=0)


class RecommendationStatus(Base):
    """Where a provider stands on a recommendation, as its self-assessment says."""

    __tablename__ = "strategy_recommendation_status"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_submission.id", ondelete="CASCADE"), primary_key=True
    )
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), default="not-started")
    note: Mapped[str] = mapped_column(Text, default="")


class Action(Base):
    """An action of a plan: objective, pillar, owner, deadline, status and % progress."""

    __tablename__ = "strategy_action"
    __table_args__ = (UniqueConstraint("submission_id", "ref"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_submission.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    ref: Mapped[str] = mapped_column(String(20))  # the plan's own number, e.g. A3
    objective: Mapped[str] = mapped_column(Text)
    pillar: Mapped[str] = mapped_column(String(30))
    owner: Mapped[str] = mapped_column(String(100))  # a username
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="not-started")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    supporting: Mapped[str] = mapped_column(Text, default="")  # supporting actions and outputs
    recommendations: Mapped[list[int]] = mapped_column(JSON, default=list)  # recommendation ids
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="actions")
    milestones: Mapped[list[Milestone]] = relationship(order_by="Milestone.due", cascade="all, delete-orphan")


class Milestone(Base):
    __tablename__ = "strategy_milestone"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("strategy_action.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due: Mapped[date] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Evidence(Base):
    """Evidence linked to a pillar of a submission (``pillar`` set) or to an action
    (``action_id`` set): a live indicator (``ref`` its id), a programme (its slug), a library
    resource (its slug) or an uploaded file (``ref`` its sha256, stored content-addressed)."""

    __tablename__ = "strategy_evidence"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_submission.id", ondelete="CASCADE"), index=True
    )
    pillar: Mapped[str] = mapped_column(String(30), default="")
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy_action.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(300), default="")
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(Integer)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    """A reviewer from another provider invited to read and comment on a submitted plan."""

    __tablename__ = "strategy_review"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_submission.id", ondelete="CASCADE"), index=True
    )
    reviewer: Mapped[str] = mapped_column(String(100), index=True)
    invited_by: Mapped[str] = mapped_column(String(100))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    """A reviewer's comment on a submission (``about``: a pillar, an action's ref, or empty)."""

    __tablename__ = "strategy_comment"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_submission.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(100))
    about: Mapped[str] = mapped_column(String(60), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Change(Base):
    """One field of one change: who, when, what it was and what it became. ``target`` is
    ``action:<id>``, ``pillar:<submission id>:<pillar>``, ``status:<submission id>:<rec id>``,
    ``pledge:<ukprn>:<rec id>``, ``signatory:<ukprn>`` or ``submission:<id>``; ``batch``
    groups the fields changed together."""

    __tablename__ = "strategy_change"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ukprn: Mapped[str] = mapped_column(String(8), index=True)
    target: Mapped[str] = mapped_column(String(80), index=True)
    batch: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
