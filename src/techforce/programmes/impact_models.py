"""The shapes of the impact dashboard's data (techforce.programmes.impact builds them): the web
page renders them, its JSON twin returns them and the CSV download flattens them, so every
figure a reader sees comes from one object. Every figure about people is a published Cell
(perturbed, rounded or suppressed, with the reason); counts of sessions and cohorts and sums
of money are not about people and are shown as they are. Frozen: pages are cached and shared."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from techforce.workforce.page_models import Cell, Chart


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Option(Model):
    value: str
    label: str


class HeadlineRow(Model):
    """What was delivered for a selection: a programme, an academic year or everything chosen."""

    label: str
    programme: str | None  # the programme's slug; None: every programme in the selection
    year: str | None  # academic year label (2023/24); None: every year in the selection
    cohorts: int  # runs of a programme: not about people, shown as is
    sessions: int  # sessions delivered (started before the page was built)
    places: Cell  # confirmed places (bookings)
    participants: Cell  # unique people with a confirmed place
    starters: Cell  # present at one session or more
    completers: Cell  # met their programme's completion rule
    providers: Cell  # providers their participants came from
    cost: Cell  # delivery cost: cost per place x confirmed places (perturbed), money
    cost_per_participant: Cell


class FeedbackRow(Model):
    """Kirkpatrick levels 1-2 from the built-in survey, per programme and for the selection."""

    label: str
    programme: str | None
    responses: Cell
    reaction: Cell  # mean, 1-5
    recommend: Cell  # % who would recommend it
    before: Cell  # mean self-rating before, 1-5
    after: Cell  # mean self-rating after, 1-5
    gain: Cell  # mean of after - before


class OutcomeRow(Model):
    """Kirkpatrick levels 3-4 as participants report them, ``months`` after the programme:
    percentages of those who reported."""

    months: int
    reported: Cell
    promoted: Cell
    role_changed: Cell
    grade_changed: Cell
    registration: Cell  # a new professional registration (RSciTech, CSci, EngTech, ...)
    leadership_role: Cell
    committee_seat: Cell


class ProfileRow(Model):
    """One category of participants' profile beside the technical workforce's, in percent."""

    dimension: str  # Sex | Ethnicity | Level
    category: str
    participants: Cell
    workforce: Cell


class Matched(Model):
    """Participants who consented to a link with their staff record against non-participant
    technical staff matched exactly on provider (or its peer group), level, age band and sex."""

    outcome: str
    base_years: list[str]
    participants: Cell  # participants matched
    unmatched: Cell  # linked participants with no record in a base year and a later year, or no match
    controls: Cell  # non-participants in the matched strata
    participants_rate: Cell
    comparison_rate: Cell
    difference: Cell  # percentage points
    method: str
    limits: str


class Meta(Model):
    disclosure: str  # the rule set's stamp
    disclosure_method: str
    definition: str | None  # the workforce definition of "technical" (profile and comparison)
    workforce_year: str | None  # the staff data year the profile compares with
    data_version: int | None
    notes: list[str]


class ImpactPage(Model):
    title: str
    programme: str | None
    programme_title: str | None
    year: str | None
    programmes: list[Option]  # the choices of programme
    years: list[Option]  # the choices of academic year (value: 2023, label: 2023/24)
    meta: Meta
    headline: HeadlineRow
    by_programme: list[HeadlineRow]
    by_year: list[HeadlineRow]
    feedback: list[FeedbackRow]
    outcomes: list[OutcomeRow]
    profile: list[ProfileRow]
    matched: Matched
    charts: list[Chart]
