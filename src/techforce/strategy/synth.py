"""The demo commitments of the synthetic providers, planned without a database: which providers
signed the Technician Commitment and when (cohorts 2017 to 2025), their pledges against the
Strategic Technical Leadership and TALENT Commission recommendations, their submissions per
stage (a narrative and maturity rating per pillar), and action plans of 5 to 12 actions with
milestones, progress and the updates that got them there, some overdue.

Pledges to appoint a strategic technical lead are chosen from the staff data, so the sector
view's "commitments against the data" tells a story: providers whose returns show a leader
mostly pledged (and most report the pledge done, confirmed by a later return); providers
without one pledged less often, and their pledges are still open.

Deterministic: the same providers, staff data, seed and day give the same plan."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from techforce.strategy import records, schedule

COHORTS = tuple(range(2017, 2026))
COHORT_WEIGHTS = (16, 10, 9, 8, 8, 9, 10, 11, 9)  # the 2017 launch, then a steady flow
SIGN_SHARE = 0.7  # most providers sign
TALENT_PUBLISHED = date(2022, 2, 1)
STL_PUBLISHED = date(2024, 11, 15)
LEAD_CODES = {"stl-2024": "STL-1", "talent-commission-2022": "TC-1"}


@dataclass(frozen=True)
class Update:
    """A change of an action's status and progress on a day (its history)."""

    on: date
    status: str
    progress: int


@dataclass
class PlannedMilestone:
    title: str
    due: date
    done: bool


@dataclass
class PlannedAction:
    ref: str
    objective: str
    pillar: str
    deadline: date
    status: str
    progress: int
    supporting: str
    recommendations: list[tuple[str, str]]  # (set slug, code)
    milestones: list[PlannedMilestone]
    created: date
    updates: list[Update]
    evidence: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, ref, label)


@dataclass
class PlannedSubmission:
    stage: str
    started: date
    submitted_on: date | None  # None: a draft
    pillars: dict[str, tuple[str, int]]  # pillar -> (narrative, maturity)
    statuses: dict[tuple[str, str], str]  # (set slug, code) -> status
    actions: list[PlannedAction]
    evidence: list[tuple[str, str, str, str]]  # (pillar, kind, ref, label)


@dataclass
class PlannedPledge:
    set_slug: str
    code: str
    status: str
    pledged_on: date
    done_on: date | None
    note: str = ""


@dataclass
class ProviderPlan:
    ukprn: str
    name: str
    signed: date | None
    pledges: list[PlannedPledge]
    submissions: list[PlannedSubmission]


@dataclass(frozen=True)
class Sources:
    """What the plan draws on: the providers (UKPRN -> name), whether each year's staff return
    shows a strategic technical leader, the recommendation codes of each set, and the demo
    programmes' and library resources' slugs (with their pillars) to link as evidence."""

    providers: Mapping[str, str]
    has_leader: Mapping[int, Mapping[str, bool]]
    recommendations: Mapping[str, Sequence[str]]
    programmes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    resources: Mapping[str, Sequence[str]] = field(default_factory=dict)


# ---------------------------------------------------------------- words

_OPENINGS = {
    "visibility": [
        "Technicians are named on {n} of our research outputs this year, up from a handful when we signed.",
        "Our technical community now has its own intranet pages and a termly showcase.",
        "A technician sits on the research and innovation committee and reports back to the network.",
        "We publish a directory of technical staff and the facilities and skills they look after.",
    ],
    "recognition": [
        "{n} technicians gained professional registration (RSciTech, RSci or EngTech) since our last submission.",
        "Technical staff are now eligible for the annual staff awards in their own category.",
        "We fund registration fees with the Science Council and Engineering Council.",
        "Technicians who teach can apply for HEA fellowship with a mentor.",
    ],
    "career-development": [
        "Every technician has a development review; {n}% took part in training last year.",
        "We mapped technical roles onto job families with progression beyond grade 7.",
        "Places on the Herschel programme for women in technical leadership are funded each year.",
        "Protected learning time of five days a year is written into technical job descriptions.",
    ],
    "sustainability": [
        "About {n}% of our technical staff are 55 or over; we hold a succession plan for single points of failure.",
        "We recruit {n} technical apprentices a year and track where they go.",
        "Technical workforce data are reported to the executive board each year.",
        "Technicians are costed into grant applications through the research office.",
    ],
}
_NEXT = [
    "The next step is to make this consistent across faculties.",
    "Practice still varies between departments; the action plan addresses that.",
    "We will evaluate the change with the technical network next year.",
    "Senior leaders have agreed to review progress twice a year.",
    "Uptake is lower among part-time and fixed-term staff, which we will look at.",
]
_OBJECTIVES = {
    "visibility": [
        "Credit technicians on research outputs and in grant reports",
        "Hold an annual technical showcase open to the whole institution",
        "Publish a directory of technical staff, skills and facilities",
        "Give the technical network a seat on the research committee",
        "Feature technical staff in institutional communications each term",
    ],
    "recognition": [
        "Fund professional registration for technical staff",
        "Add a technical category to the staff awards",
        "Support technicians who teach to gain HEA fellowship",
        "Recognise technical contributions in promotion criteria",
        "Report registrations and awards to the executive board",
    ],
    "career-development": [
        "Introduce protected learning time for all technicians",
        "Map technical roles onto job families with routes beyond grade 7",
        "Fund places on leadership programmes for technical staff",
        "Run a mentoring scheme for early-career technicians",
        "Make development reviews universal for technical staff",
    ],
    "sustainability": [
        "Build a succession plan for single points of failure in skills",
        "Grow the technical apprenticeship scheme",
        "Report technical workforce data to the executive board annually",
        "Cost technical staff time into grant applications",
        "Appoint a strategic lead for technical staff and skills",
    ],
}
_SUPPORTING = [
    "Working group of technicians and managers; paper to the executive board.",
    "Pilot in two faculties, then roll out.",
    "Budget agreed with HR; guidance published on the intranet.",
    "Survey of technical staff before and after.",
    "Led by the technical network with the people and culture team.",
]
_MILESTONE_TITLES = [
    "Proposal agreed",
    "Pilot complete",
    "Guidance published",
    "First report to the board",
    "Review with the technical network",
    "Roll-out across faculties",
]
_PILLAR_INDICATORS = {  # live workforce indicators that can be evidence (strategy.evidence)
    "visibility": ("tech.headcount", "Technical staff (headcount)"),
    "recognition": ("leadership.leaders", "Strategic technical leaders (headcount)"),
    "career-development": ("tech.women_in_leadership", "Women in technical leadership"),
    "sustainability": ("tech.aged_55_plus", "Technical staff aged 55 and over"),
}
LEAD_EVIDENCE = ("indicator", "leadership.has_leader", "Has a strategic technical leader")


def _narrative(rng: random.Random, pillar: str) -> str:
    first, second = rng.sample(_OPENINGS[pillar], 2)
    parts = [first.format(n=rng.randint(6, 40)), second.format(n=rng.randint(6, 40)), rng.choice(_NEXT)]
    return " ".join(parts)


# ---------------------------------------------------------------- dates


def _day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _signed(rng: random.Random, today: date) -> date | None:
    cohorts = [c for c in COHORTS if date(c, 1, 1) <= today]
    if not cohorts:
        return None
    year = rng.choices(cohorts, weights=COHORT_WEIGHTS[: len(cohorts)])[0]
    return _day_between(rng, date(year, 1, 1), min(date(year, 12, 31), today))


# ---------------------------------------------------------------- actions


def _trajectory(rng: random.Random, created: date, deadline: date, today: date) -> list[Update]:
    """The updates an action had up to today, ending in its current status and progress."""
    end = min(today, deadline + timedelta(days=120))
    if end <= created:
        return []
    elapsed = (min(today, deadline) - created).days / max(1, (deadline - created).days)
    if today > deadline:
        final_status = rng.choices(["done", "in-progress", "blocked", "dropped"], [70, 20, 6, 4])[0]
    elif rng.random() < 0.1:
        final_status = "done"
    else:
        final_status = "in-progress" if elapsed > 0.1 or rng.random() < 0.5 else "not-started"
    final = {
        "done": 100,
        "dropped": rng.randint(0, 40),
        "not-started": 0,
    }.get(final_status, max(5, min(95, int(elapsed * 100 * rng.uniform(0.5, 1.1)) // 5 * 5)))
    if final_status == "not-started":
        return []
    steps = rng.randint(1, 3)
    days = sorted({_day_between(rng, created + timedelta(days=14), end) for _ in range(steps)})
    updates = []
    for i, on in enumerate(days, 1):
        last = i == len(days)
        progress = final if last else max(5, final * i // (len(days) + 1) // 5 * 5)
        status = final_status if last else "in-progress"
        updates.append(Update(on, status, progress))
    return updates


def _action(
    rng: random.Random,
    n: int,
    pillar: str,
    objective: str,
    created: date,
    today: date,
    recs: list[tuple[str, str]],
) -> PlannedAction:
    deadline = created + timedelta(days=rng.randint(180, 1000))
    updates = _trajectory(rng, created, deadline, today)
    status, progress = (updates[-1].status, updates[-1].progress) if updates else ("not-started", 0)
    count = rng.randint(1, 3)
    titles = rng.sample(_MILESTONE_TITLES, count)
    milestones = []
    for i, title in enumerate(titles, 1):
        due = created + (deadline - created) * i // count
        done = status == "done" or (due < today and rng.random() < progress / 100 + 0.2)
        milestones.append(PlannedMilestone(title, due, done))
    return PlannedAction(
        ref=f"A{n}",
        objective=objective,
        pillar=pillar,
        deadline=deadline,
        status=status,
        progress=progress,
        supporting=rng.choice(_SUPPORTING),
        recommendations=recs,
        milestones=milestones,
        created=created,
        updates=updates,
    )


def _related(rng: random.Random, pillar: str, src: Sources, objective: str) -> list[tuple[str, str]]:
    if "strategic lead" in objective:
        return [
            (slug, code) for slug, code in LEAD_CODES.items() if code in src.recommendations.get(slug, ())
        ]
    picks = []
    for slug, codes in sorted(src.recommendations.items()):
        if codes and rng.random() < 0.5:
            picks.append((slug, rng.choice(list(codes))))
    return picks


def _plan_actions(
    rng: random.Random, src: Sources, started: date, written_by: date, today: date, wants_lead: bool
) -> list[PlannedAction]:
    """5 to 12 actions written between ``started`` and ``written_by``, progressing to today."""
    count = rng.randint(5, 12)
    choices = [(p, o) for p in records.PILLARS for o in _OBJECTIVES[p]]
    lead = ("sustainability", _OBJECTIVES["sustainability"][-1])
    choices.remove(lead)
    picked = rng.sample(choices, count - 1 if wants_lead else count)
    if wants_lead:
        picked.insert(0, lead)
    actions = []
    for n, (pillar, objective) in enumerate(picked, 1):
        created = min(written_by, started + timedelta(days=rng.randint(0, 45)))
        action = _action(rng, n, pillar, objective, created, today, _related(rng, pillar, src, objective))
        if "strategic lead" in objective:
            action.evidence.append(LEAD_EVIDENCE)
        programmes = [slug for slug, pillars in src.programmes.items() if pillar in pillars]
        if programmes and rng.random() < 0.4:
            slug = rng.choice(sorted(programmes))
            action.evidence.append(("programme", slug, f"Programme: {slug}"))
        actions.append(action)
    return actions


# ---------------------------------------------------------------- submissions


def _evidence(rng: random.Random, src: Sources) -> list[tuple[str, str, str, str]]:
    found = []
    for pillar in records.PILLARS:
        indicator, label = _PILLAR_INDICATORS[pillar]
        found.append((pillar, "indicator", indicator, label))
        resources = sorted(slug for slug, pillars in src.resources.items() if pillar in pillars)
        if resources:
            slug = rng.choice(resources)
            found.append((pillar, "resource", slug, f"Library: {slug}"))
    return found


def _submission(
    rng: random.Random, src: Sources, stage: str, m: schedule.Milestone, today: date, wants_lead: bool
) -> PlannedSubmission | None:
    opens = m.opens or m.due
    if today < opens:
        return None
    fate = rng.choices(["on-time", "late", "missing"], [72, 16, 12])[0]
    submitted_on: date | None = None
    if fate == "on-time":
        submitted_on = _day_between(rng, opens, m.due)
    elif fate == "late":
        submitted_on = m.due + timedelta(days=rng.randint(10, 200))
    if submitted_on is not None and submitted_on > today:
        submitted_on = None  # still being written
    if submitted_on is None and (fate == "missing" and rng.random() < 0.5):
        return None  # nothing started yet: overdue, or not begun, with no draft
    started = opens - timedelta(days=rng.randint(30, 120))
    maturity_base = {"first-submission": 1, "stage-2": 2, "stage-3": 3}[stage]
    pillars = {
        p: (_narrative(rng, p), max(1, min(4, maturity_base + rng.choice((-1, 0, 0, 1)))))
        for p in records.PILLARS
    }
    statuses = {}
    for slug, codes in sorted(src.recommendations.items()):
        for code in codes:
            statuses[(slug, code)] = rng.choices(records.REC_STATUSES, [3, 2, 3, 2])[0]
    actions = _plan_actions(rng, src, started, submitted_on or today, today, wants_lead)
    return PlannedSubmission(stage, started, submitted_on, pillars, statuses, actions, _evidence(rng, src))


# ---------------------------------------------------------------- pledges


def _lead_story(src: Sources, ukprn: str) -> str:
    """How the staff data read for a provider: 'gained' (no leader, then one), 'has',
    'none' (returns, never a leader) or 'unknown' (no staff return)."""
    seen = [src.has_leader[y][ukprn] for y in sorted(src.has_leader) if ukprn in src.has_leader[y]]
    if not seen:
        return "unknown"
    if seen[-1] and not seen[0]:
        return "gained"
    return "has" if seen[-1] else "none"


def _pledge_on(rng: random.Random, slug: str, signed: date | None, today: date) -> date:
    start = TALENT_PUBLISHED if slug.startswith("talent") else STL_PUBLISHED
    if signed is not None and signed > start:
        start = signed
    return _day_between(rng, start, min(today, start + timedelta(days=400)))


def _pledges(
    rng: random.Random, src: Sources, ukprn: str, signed: date | None, today: date
) -> list[PlannedPledge]:
    story = _lead_story(src, ukprn)
    chance = {"gained": 0.95, "has": 0.7, "none": 0.3, "unknown": 0.2}[story]
    out = []
    lead_slug = "talent-commission-2022" if story in ("gained", "none") or rng.random() < 0.5 else "stl-2024"
    if lead_slug in src.recommendations and rng.random() < chance:
        on = _pledge_on(rng, lead_slug, signed, today)
        if on <= today:
            if story in ("gained", "has"):
                status, done = "done", _day_between(rng, on, today)
            else:
                status, done = rng.choices(["pledged", "in-progress", "withdrawn"], [5, 4, 1])[0], None
            out.append(PlannedPledge(lead_slug, LEAD_CODES[lead_slug], status, on, done))
    for slug, codes in sorted(src.recommendations.items()):
        others = [c for c in codes if c != LEAD_CODES.get(slug)]
        if signed is None and rng.random() < 0.7:
            continue
        for code in rng.sample(others, min(len(others), rng.randint(0, 4))):
            on = _pledge_on(rng, slug, signed, today)
            if on > today:
                continue
            age = (today - on).days
            weights = [max(1, 6 - age // 200), 4, min(6, age // 150), 1]
            status = rng.choices(records.PLEDGE_STATUSES, weights)[0]
            done = _day_between(rng, on, today) if status == "done" else None
            out.append(PlannedPledge(slug, code, status, on, done))
    return out


# ---------------------------------------------------------------- the plan


def plan(src: Sources, today: date, *, seed: int = 2017) -> list[ProviderPlan]:
    """The demo commitments of every provider in ``src``, as they stand on ``today``."""
    out = []
    for ukprn in sorted(src.providers):
        rng = random.Random(f"{seed}:{ukprn}")  # noqa: S311 - demo content, not for security
        signed = _signed(rng, today) if rng.random() < SIGN_SHARE else None
        pledges = _pledges(rng, src, ukprn, signed, today)
        wants_lead = any(p.code in LEAD_CODES.values() and p.status != "done" for p in pledges)
        submissions = []
        if signed is not None:
            for m in schedule.milestones(signed):
                found = _submission(rng, src, m.kind, m, today, wants_lead)
                if found is None:
                    break  # a later stage does not come before an earlier one
                submissions.append(found)
                if found.submitted_on is None:
                    break
        out.append(ProviderPlan(ukprn, src.providers[ukprn], signed, pledges, submissions))
    return out
