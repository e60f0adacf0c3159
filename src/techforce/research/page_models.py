"""The research pages' data, typed: what each study page shows and its /api twin returns.
Nothing here knows about HTTP; research/pages.py fills these from the store."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Notice(BaseModel):
    """What a page says after a change (``message``) or why a change was refused (``error``,
    with ``failed`` naming the form and ``values`` what was typed, so it can be shown again)."""

    message: str = ""
    error: str = ""
    failed: str = ""
    values: dict[str, Any] = Field(default_factory=dict)


class StudyRow(BaseModel):
    guid: str
    name: str
    kind: str
    right: str  # the reader's right in the study: owner | coder | viewer
    participants: int
    sources: int
    codes: int
    codings: int  # the reader's own codings (blind coding: nobody counts others' here)
    href: str


class StudiesPage(Notice):
    title: str = "Studies"
    studies: list[StudyRow]
    can_create: bool
    kinds: list[str]


class TopicView(BaseModel):
    topic: str
    questions: list[str]


class MemberView(BaseModel):
    username: str
    right: str


class ConsentView(BaseModel):
    may_quote: bool
    may_archive: bool
    may_name: bool
    note: str
    recorded_by: str
    recorded_at: str


class ParticipantView(BaseModel):
    id: int
    pseudonym: str
    participant_type: str
    institution: str
    attributes: dict[str, str]
    consent: ConsentView | None  # the record in force; None: no consent recorded (nothing may be quoted)


class SourceRow(BaseModel):
    id: int
    name: str
    kind: str
    format: str
    participant: str | None
    case_id: int | None
    characters: int
    turns: int
    href: str


class StudyPage(Notice):
    title: str
    guid: str
    name: str
    kind: str
    description: str
    right: str
    owner: bool
    protocol: list[TopicView]
    members: list[MemberView]
    participants: list[ParticipantView]
    sources: list[SourceRow]
    rights: list[str]
    links: dict[str, str]  # codebook, review, analysis, matrix


class CodeView(BaseModel):
    id: int
    name: str
    path: str  # names from the root, joined with " / "
    parent_id: int | None
    depth: int
    colour: str
    shortcut: str
    definition: str
    inclusion: str
    exclusion: str
    examples: str
    codings: int = 0  # codings of this code the reader may see (on the codebook page)


class TurnView(BaseModel):
    """One turn: ``text`` is source.text[start:end] (code points)."""

    speaker: str | None
    start: int
    end: int
    begins_at: str  # "0:01:23", or "" when the transcript has no times
    ends_at: str
    text: str


class CodingView(BaseModel):
    id: int
    code_id: int
    code: str
    colour: str
    coder: str
    layer: str
    start: int
    end: int
    text: str  # the coded text, shortened for the list
    removable: bool


class MemoView(BaseModel):
    id: int
    title: str
    text: str
    author: str
    coding_id: int | None
    code_id: int | None
    updated_at: str
    mine: bool


class LayerChoice(BaseModel):
    value: str  # "coder:<username>" or "consensus"
    label: str


class SourcePage(Notice):
    """The coding view of one source. Offsets are code points into the source's text."""

    title: str
    study: str
    study_name: str
    id: int
    name: str
    participant: str | None
    characters: int
    turns: list[TurnView]
    codes: list[CodeView]
    codings: list[CodingView]
    memos: list[MemoView]
    layer: str
    layers: list[LayerChoice]  # what the reader may switch to (empty: a coder sees only their own)
    can_code: bool  # the reader codes in this view (their own layer is shown)
    api: str  # where codings are posted


class VersionView(BaseModel):
    number: int
    note: str
    codes: int
    created_by: str
    created_at: str


class CodeCodings(BaseModel):
    """A code's codings, for splitting it."""

    code_id: int
    codings: list[CodingView]


class CodebookPage(Notice):
    title: str
    study: str
    study_name: str
    owner: bool
    codes: list[CodeView]
    versions: list[VersionView]
    splits: list[CodeCodings]  # owners only: each code's codings with their text


class AgreementRow(BaseModel):
    code_id: int
    code: str
    units: int
    kappa: float | None
    alpha: float | None
    percent: float | None
    coded_by: dict[str, int]
    notes: list[str]


class DisagreementView(BaseModel):
    code_id: int
    code: str
    colour: str
    source_id: int
    source: str
    start: int
    end: int
    text: str
    applied_by: list[str]
    not_applied_by: list[str]
    resolved: str  # "" (open), "applied" or "not applied": what the consensus layer holds now


class ReviewPage(Notice):
    title: str
    study: str
    study_name: str
    owner: bool
    all_coders: list[str]
    coders: list[str]  # the coders compared
    coded_only: bool
    kappa: float | None
    alpha: float | None
    percent: float | None
    notes: list[str]
    codes: list[AgreementRow]
    disagreements: list[DisagreementView]
