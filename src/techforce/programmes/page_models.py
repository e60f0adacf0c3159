"""Typed page data of the participant-facing programme pages (built by programmes/pages.py):
what each page and its JSON twin return. Times are UTC; ``when`` texts are in London time."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from techforce.programmes.followup import FeedbackIn, OutcomeIn


class Choice(BaseModel):
    code: str
    label: str


class DetailsChoices(BaseModel):
    """Codes offered for the optional self-described details (HESA codes)."""

    sex: list[Choice]
    ethnicity: list[Choice]
    level: list[Choice]


class Details(BaseModel):
    """A participant's own details, as they gave them."""

    name: str
    email: str
    ukprn: str
    sex: str
    ethnicity: str
    level: str


class SessionView(BaseModel):
    id: int
    title: str
    kind: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    when: str = Field(description="Date and time in Europe/London time")
    mode: str
    location: str
    facilitator: str


class MyPlace(BaseModel):
    booking_id: int
    status: str
    status_label: str
    position: int | None = Field(default=None, description="Place in the waiting-list queue")


class CohortView(BaseModel):
    id: int
    name: str
    starts_on: date
    ends_on: date
    dates: str
    capacity: int
    confirmed: int
    places_left: int
    waiting: int
    availability: str
    open: bool = Field(description="Still taking bookings (not ended)")
    calendar: str
    sessions: list[SessionView]
    mine: MyPlace | None = None


class ProgrammeSummary(BaseModel):
    slug: str
    title: str
    kind: str
    kind_label: str
    audience: str
    pillars: list[str]
    selective: bool
    cost: str
    cost_pence: int
    next_cohort: str | None
    next_dates: str | None
    availability: str


class CataloguePage(BaseModel):
    title: str = "Development programmes"
    programmes: list[ProgrammeSummary]
    kinds: list[Choice]
    pillars: list[str]
    kind: str
    pillar: str
    total: int


class RelatedLink(BaseModel):
    """Something elsewhere in the platform that supports the programme (a library resource)."""

    title: str
    href: str
    note: str = ""


class ProgrammePage(BaseModel):
    title: str
    slug: str
    kind: str
    kind_label: str
    description: str
    audience: str
    eligibility: str
    cost: str
    cost_pence: int
    pillars: list[str]
    selective: bool
    completion_rule: str
    calendar: str
    cohorts: list[CohortView]
    username: str
    manage: str | None = Field(default=None, description="Where you manage this programme, if you run it")
    details: Details | None = Field(description="Your details, once you have booked or saved them")
    choices: DetailsChoices
    related: list[RelatedLink] = Field(default_factory=list, description="Library resources that support it")
    error: str = ""


class CredentialView(BaseModel):
    id: str
    issued_at: datetime
    revoked: bool
    revoked_reason: str


class BookingView(BaseModel):
    id: int
    programme: str
    programme_title: str
    cohort_id: int
    cohort: str
    dates: str
    status: str
    status_label: str
    position: int | None
    statement: str
    decision_reason: str
    can_cancel: bool
    feedback_open: bool
    feedback_given: bool
    outcomes_open: bool
    outcomes_given: list[int]
    completed: bool
    attended: bool = Field(description="Present at one session or more: a certificate of attendance")
    credential: CredentialView | None
    sessions: list[SessionView]


class FeedView(BaseModel):
    active: bool
    url: str | None = Field(default=None, description="Shown once, right after it is made")


class ConsentView(BaseModel):
    linked: bool
    ukprn: str = ""
    consented_at: datetime | None = None


class BookingsPage(BaseModel):
    title: str
    username: str
    details: Details | None
    choices: DetailsChoices
    bookings: list[BookingView]
    confirm_cancel: BookingView | None = None
    feed: FeedView
    consent: ConsentView
    message: str = ""
    error: str = ""


class FeedbackPage(BaseModel):
    title: str
    username: str
    booking: BookingView
    current: FeedbackIn | None
    error: str = ""


class OutcomesPage(BaseModel):
    title: str
    username: str
    booking: BookingView
    months: int
    current: OutcomeIn | None
    registrations: list[str]
    error: str = ""


class CheckView(BaseModel):
    name: str
    passed: bool
    detail: str


class VerifyPage(BaseModel):
    """A credential checked: valid or not, why, each check in the order it ran, and what the
    credential says (only when the signature is the issuer's)."""

    title: str = "Check a credential"
    submitted: bool = False
    valid: bool | None = None
    reason: str = ""
    revoked: bool = False
    checks: list[CheckView] = Field(default_factory=list)
    achievement: str = ""
    recipient: str = ""
    issuer: str = ""
    issued: str = ""
    error: str = ""
