"""Tables of the research capability: studies and their members, protocol, participants
(cases) with attributes and consent records, sources (transcripts, survey answers) with their
normalised text, survey variables and values, codebook versions and hierarchical codes, each
coder's codings, memos, model suggestions, quote decisions and case studies.

Offsets (``start``, ``end``) are Unicode code points into a source's stored (NFC) text, as
REFI-QDA counts them. Every row carries a GUID so a study exported as .qdpx and imported
again keeps its identities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from techforce.audit import utcnow
from techforce.db import Base, UTCDateTime


def new_guid() -> str:
    return str(uuid.uuid4())


class Study(Base):
    """An interview, focus-group or survey study. Only its members see it."""

    __tablename__ = "research_study"
    # GUIDs of the rows below are unique per study, not across studies: the same .qdpx may be
    # imported into two studies and keep its identities in both

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # interview | focus-group | survey
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"topic": str, "questions": [str, ...]}, ...]
    protocol: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    members: Mapped[list[Member]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Member(Base):
    """A user's right in a study: owner (everything, members too), coder (codes, memos,
    resolves nothing), viewer (reads)."""

    __tablename__ = "research_member"

    study_id: Mapped[int] = mapped_column(
        ForeignKey("research_study.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    right: Mapped[str] = mapped_column(String(10))  # owner | coder | viewer


class Case(Base):
    """A participant (interviewee, focus-group member or survey respondent) under a pseudonym."""

    __tablename__ = "research_case"
    __table_args__ = (
        UniqueConstraint("study_id", "pseudonym"),
        UniqueConstraint("study_id", "guid", name="uq_research_case_guid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    pseudonym: Mapped[str] = mapped_column(String(100))
    participant_type: Mapped[str] = mapped_column(String(100), default="")
    institution: Mapped[str] = mapped_column(String(200), default="")  # UKPRN or name
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consents: Mapped[list[Consent]] = relationship(
        cascade="all, delete-orphan", order_by="Consent.id", lazy="selectin"
    )


class Consent(Base):
    """A consent record; the latest one for a case is in force. Kept as history."""

    __tablename__ = "research_consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("research_case.id", ondelete="CASCADE"), index=True)
    may_quote: Mapped[bool] = mapped_column(Boolean, default=False)
    may_archive: Mapped[bool] = mapped_column(Boolean, default=False)
    may_name: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Source(Base):
    """A text to code: a transcript or a survey respondent's free-text answer."""

    __tablename__ = "research_source"
    __table_args__ = (
        UniqueConstraint("study_id", "name"),
        UniqueConstraint("study_id", "guid", name="uq_research_source_guid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="transcript")  # transcript | answer | document
    format: Mapped[str] = mapped_column(String(10), default="txt")  # txt | docx | vtt | srt | qdpx | survey
    text: Mapped[str] = mapped_column(Text)
    # [[speaker, start, end, begins_at, ends_at], ...]
    turns: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("research_case.id", ondelete="SET NULL"), index=True
    )
    item: Mapped[str] = mapped_column(String(200), default="")  # the survey question, for answers
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Variable(Base):
    """A survey item (Likert, choice, number) or any case variable, with its scale."""

    __tablename__ = "research_variable"
    __table_args__ = (
        UniqueConstraint("study_id", "name"),
        UniqueConstraint("study_id", "guid", name="uq_research_variable_guid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))  # likert | choice | number | text | attribute
    scale: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Value(Base):
    """A case's value of a variable (a respondent's answer)."""

    __tablename__ = "research_value"

    case_id: Mapped[int] = mapped_column(ForeignKey("research_case.id", ondelete="CASCADE"), primary_key=True)
    variable_id: Mapped[int] = mapped_column(
        ForeignKey("research_variable.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[str] = mapped_column(String(2000))


class Code(Base):
    """A code in the study's codebook; ``parent_id`` makes the hierarchy. A code merged into
    another is ``retired`` (kept so older codebook versions and the audit log still name it)."""

    __tablename__ = "research_code"
    __table_args__ = (UniqueConstraint("study_id", "guid", name="uq_research_code_guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("research_code.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str] = mapped_column(String(7), default="#888888")
    definition: Mapped[str] = mapped_column(Text, default="")
    inclusion: Mapped[str] = mapped_column(Text, default="")
    exclusion: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[str] = mapped_column(Text, default="")
    shortcut: Mapped[str] = mapped_column(String(1), default="")  # a key in the coding view
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class CodebookVersion(Base):
    """A saved version of the codebook (the whole tree as JSON), numbered per study."""

    __tablename__ = "research_codebook_version"
    __table_args__ = (UniqueConstraint("study_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(1000), default="")
    codes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coding(Base):
    """A code applied to ``source.text[start:end]`` by one coder; ``layer`` is ``coder`` for a
    coder's own coding or ``consensus`` for the resolved coding agreed in review."""

    __tablename__ = "research_coding"
    __table_args__ = (UniqueConstraint("study_id", "guid", name="uq_research_coding_guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    source_id: Mapped[int] = mapped_column(ForeignKey("research_source.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("research_code.id", ondelete="CASCADE"), index=True)
    # the REFI-QDA selection this coding belongs to: one selection may carry several codes
    selection: Mapped[str] = mapped_column(String(36), default=new_guid)
    coder: Mapped[str] = mapped_column(String(100), index=True)
    layer: Mapped[str] = mapped_column(String(10), default="coder")  # coder | consensus
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Memo(Base):
    """A researcher's note on a study, a source, a code, a case or one coding."""

    __tablename__ = "research_memo"
    __table_args__ = (UniqueConstraint("study_id", "guid", name="uq_research_memo_guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    author: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("research_source.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("research_code.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("research_case.id", ondelete="CASCADE"))
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("research_coding.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suggestion(Base):
    """A segment a model proposed for a code; a person accepts (it becomes their coding) or
    rejects it. Model name, version and score are kept for provenance."""

    __tablename__ = "research_suggestion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("research_code.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("research_source.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | accepted | rejected
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("research_coding.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuoteDecision(Base):
    """What a person decided for a quote (a coding's text) after the safety check: publish
    as is, publish with a coarser attribution, or block. Reports and exports read it."""

    __tablename__ = "research_quote_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    coding_id: Mapped[int] = mapped_column(ForeignKey("research_coding.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[str] = mapped_column(String(10))  # publish | coarsen | block
    attribution: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseStudy(Base):
    """A write-up about one provider, with quotes that passed the safety check."""

    __tablename__ = "research_case_study"
    __table_args__ = (UniqueConstraint("study_id", "guid", name="uq_research_case_study_guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("research_study.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    title: Mapped[str] = mapped_column(String(300))
    ukprn: Mapped[str] = mapped_column(String(8), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | final
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    quotes: Mapped[list[CaseStudyQuote]] = relationship(
        cascade="all, delete-orphan", order_by="CaseStudyQuote.position", lazy="selectin"
    )


class CaseStudyQuote(Base):
    """A quote placed in a case study; it refers to a quote decision that is not ``block``."""

    __tablename__ = "research_case_study_quote"

    case_study_id: Mapped[int] = mapped_column(
        ForeignKey("research_case_study.id", ondelete="CASCADE"), primary_key=True
    )
    coding_id: Mapped[int] = mapped_column(
        ForeignKey("research_coding.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
