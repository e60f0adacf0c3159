"""Typed page data of the strategy pages (built by strategy/pages.py): what each page and its
JSON twin return. Nothing here knows about HTTP; ``href`` fields are paths the pages link to,
built from checked parts (a UKPRN, a stage, an id)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class Notice(BaseModel):
    """What just happened on a page: a message after a change, or why a change was refused
    (``failed`` names the form, ``values`` what was typed into it, to show it again)."""

    message: str = ""
    error: str = ""
    failed: str = ""
    values: dict[str, Any] = Field(default_factory=dict)


class Choice(BaseModel):
    code: str
    label: str


class LinkedResource(BaseModel):
    """A library resource that supports a recommendation or an action (the viewer's audience only)."""

    slug: str
    title: str
    kind: str
    href: str


class RecommendationView(BaseModel):
    id: int
    code: str
    title: str
    text: str
    addressees: list[str]
    theme: str
    pillars: list[str]
    href: str
    resources: list[LinkedResource] = []


class SetView(BaseModel):
    id: int
    slug: str
    version: str
    title: str
    publisher: str
    published: date | None
    source: str
    source_url: str
    shipped: bool
    recommendations: list[RecommendationView]


class RecommendationsPage(Notice):
    title: str = "Recommendations"
    can_import: bool
    sets: list[SetView]


class RecommendationPage(Notice):
    title: str
    set_title: str
    set_slug: str
    set_version: str
    source: str
    source_url: str
    recommendation: RecommendationView


# ---------------------------------------------------------------- a provider


class MilestoneState(BaseModel):
    """A Technician Commitment submission the provider owes, as it stands today."""

    stage: str
    label: str
    opens: date | None
    due: date
    state: str  # schedule.STATES
    state_label: str
    submitted_on: date | None
    href: str


class PledgeView(BaseModel):
    recommendation_id: int
    code: str
    title: str
    set_title: str
    status: str
    pledged_on: date
    done_on: date | None
    note: str


class SubmissionSummary(BaseModel):
    id: int | None
    stage: str
    label: str
    status: str  # draft | submitted | not-started
    submitted_on: date | None
    actions: int
    href: str


class ProviderPage(Notice):
    title: str
    ukprn: str
    provider: str
    can_edit: bool
    signed: date | None
    contact: str
    cohort: str
    standing: list[MilestoneState]
    pledges: list[PledgeView]
    submissions: list[SubmissionSummary]
    recommendations: list[Choice]  # what a pledge may be made against ("<id>": "<set> <code> title")
    pledge_statuses: list[str]
    today: date


# ---------------------------------------------------------------- a submission


class EvidenceItem(BaseModel):
    """Evidence linked, not pasted: its current value and date where it has one."""

    id: int
    kind: str
    ref: str
    label: str
    value: str = ""
    as_of: str = ""
    detail: str = ""  # the definition, or what is wrong (ok False) and the fix
    ok: bool = True
    href: str = ""  # where to read it (a resource, a programme, a file download); "" if none
    file_name: str | None = None
    added_by: str
    added_at: datetime


class RecStatusView(BaseModel):
    recommendation_id: int
    code: str
    title: str
    status: str
    note: str


class PillarView(BaseModel):
    pillar: str
    label: str
    narrative: str
    maturity: int
    maturity_label: str
    evidence: list[EvidenceItem]


class MilestoneView(BaseModel):
    title: str
    due: date
    done: bool
    overdue: bool


class ActionRow(BaseModel):
    id: int
    ref: str
    objective: str
    pillar: str
    pillar_label: str
    owner: str
    deadline: date
    overdue: bool
    status: str
    progress: int
    supporting: str
    recommendations: list[Choice]
    milestones: list[MilestoneView]
    evidence: list[EvidenceItem]
    href: str


class ReviewerView(BaseModel):
    reviewer: str
    invited_by: str
    invited_at: datetime


class CommentView(BaseModel):
    author: str
    about: str
    body: str
    created_at: datetime


class Download(BaseModel):
    label: str
    href: str


class SubmissionPage(Notice):
    title: str
    ukprn: str
    provider: str
    stage: str
    stage_label: str
    submission_id: int | None
    status: str  # draft | submitted | not-started
    submitted_on: date | None
    can_edit: bool
    editable: bool  # can_edit and a draft
    base: str  # /strategy/providers/<ukprn>/<stage>
    pillars: list[PillarView]
    statuses: list[RecStatusView]
    actions: list[ActionRow]
    reviewers: list[ReviewerView]
    comments: list[CommentView]
    downloads: list[Download]
    can_import_actions: bool
    maturity: list[Choice]
    rec_statuses: list[str]
    evidence_kinds: list[str]
    recommendations: list[Choice]
    indicators: list[Choice] = []  # workforce indicators that can be evidence (id, title)


class ChangeView(BaseModel):
    """One change of a record: who, when, and each field before and after."""

    actor: str
    at: datetime
    fields: list[FieldChange]


class FieldChange(BaseModel):
    field: str
    before: str
    after: str


class ActionPage(Notice):
    title: str
    ukprn: str
    stage: str
    base: str
    action: ActionRow | None  # None: a new action
    editable: bool
    owners: list[str]
    pillars: list[Choice]
    statuses: list[str]
    recommendations: list[Choice]
    resources: list[LinkedResource]
    history: list[ChangeView]
    history_hidden: int = 0  # changes between the first and the newest shown that are left out
    indicators: list[Choice] = []


# ---------------------------------------------------------------- peer review


class Invitation(BaseModel):
    submission_id: int
    provider: str
    stage_label: str
    submitted_on: date | None
    invited_by: str
    invited_at: datetime
    href: str


class ReviewsPage(Notice):
    title: str = "Plans to review"
    invitations: list[Invitation]


class ReviewPage(Notice):
    """A submitted plan as a reviewer reads it: nothing links to the provider's own pages."""

    title: str
    submission_id: int
    provider: str
    stage_label: str
    submitted_on: date | None
    pillars: list[PillarView]
    statuses: list[RecStatusView]
    actions: list[ActionRow]
    comments: list[CommentView]
    abouts: list[Choice]  # what a comment may be about: the plan, a pillar, an action


class SectorPage(Notice):
    """The sector view: cells as published (a hidden one shows its marker), with the rule set."""

    title: str = "Sector commitments"
    today: date
    disclosure: str
    adoption: list[dict[str, Any]]
    compliance: list[dict[str, Any]]
    leaders: list[dict[str, Any]]
    notes: list[str]


ChangeView.model_rebuild()
