"""The plan of the demo programmes (synth.py writes it): which programmes, cohorts, sessions,
bookings, register marks, feedback and outcomes, drawn with numpy from a seed. No database
here, so the plan is the same for the same seed and pool of technicians."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

LEADERSHIP = "leadership-women-technical"
EXECUTIVE = "executive-technical-leadership"
MODULES = ("You as Leader", "Culture & Context", "Influencing & Negotiating", "Confidence & Empowerment")
EXEC_SESSIONS = (
    "Strategy and the institution",
    "Finance and resources",
    "Leading change",
    "Influence at board level",
    "Data for decisions",
    "Executive showcase",
)
REGISTRATIONS = ("RSciTech", "RSci", "CSci", "EngTech", "IEng", "CEng", "AFHEA", "FHEA")
FACILITATORS = ("A. Okafor", "B. Lindqvist", "C. Murray", "D. Patel", "E. Rossi", "F. Nakamura", "G. Evans")
# title, kind, pillars, cost per place (pence), capacity range, sessions range, weight
SHORT = (
    ("Laboratory health and safety", "workshop", ["sustainability"], 4500, (15, 25), (1, 1), 8),
    ("Soldering and electronics basics", "workshop", ["career-development"], 6000, (8, 14), (1, 1), 5),
    ("Python for technicians", "course", ["career-development"], 12000, (12, 20), (3, 5), 6),
    ("Introduction to 3D printing", "workshop", ["career-development"], 7000, (8, 12), (1, 1), 5),
    ("Mass spectrometry essentials", "course", ["career-development"], 15000, (8, 14), (2, 3), 3),
    ("Microscopy: sample preparation", "workshop", ["career-development"], 8000, (8, 12), (1, 1), 4),
    ("Cell culture good practice", "workshop", ["career-development"], 6500, (10, 16), (1, 1), 4),
    ("Workshop machining: lathe and mill", "course", ["career-development"], 14000, (6, 10), (2, 4), 3),
    ("Research data management", "workshop", ["career-development"], 3500, (15, 30), (1, 1), 5),
    ("Presenting your technical work", "workshop", ["visibility"], 4000, (12, 20), (1, 1), 4),
    (
        "Writing for publication as a technician",
        "workshop",
        ["visibility", "recognition"],
        4000,
        (12, 20),
        (1, 1),
        3,
    ),
    ("Professional registration: RSciTech and RSci", "workshop", ["recognition"], 3000, (15, 30), (1, 1), 5),
    ("Preparing your HEA fellowship", "course", ["recognition"], 9000, (10, 16), (2, 3), 3),
    ("Mentoring skills", "course", ["career-development"], 8000, (10, 16), (2, 3), 4),
    ("Managing a technical team", "course", ["career-development"], 16000, (10, 16), (3, 4), 3),
    ("Equipment procurement and sharing", "workshop", ["sustainability"], 3500, (15, 25), (1, 1), 3),
    ("Green labs: sustainable practice", "workshop", ["sustainability"], 3000, (15, 30), (1, 1), 4),
    ("Radiation protection supervisor", "course", ["sustainability"], 18000, (8, 12), (2, 2), 2),
    ("First aid at work", "course", ["sustainability"], 11000, (10, 12), (3, 3), 4),
    ("Teaching in laboratory classes", "workshop", ["recognition"], 4500, (12, 20), (1, 1), 4),
    ("Digital fabrication and laser cutting", "workshop", ["career-development"], 7000, (8, 12), (1, 1), 3),
    ("Statistics for experimental design", "course", ["career-development"], 12000, (12, 20), (3, 4), 3),
    (
        "Career conversations for technicians",
        "workshop",
        ["career-development", "visibility"],
        2500,
        (15, 30),
        (1, 1),
        4,
    ),
    ("Public engagement for technicians", "workshop", ["visibility"], 3500, (12, 20), (1, 1), 3),
)


@dataclass
class Pool:
    """Technicians participants are drawn from (index = person): provider, the pseudonym of
    their own staff id (None without one), sex, ethnic and LEVELS codes, age."""

    ukprn: list[str]
    own_id: list[str | None]
    sex: list[str]
    ethnic: list[str]
    level: list[str]
    age: list[int]

    def __len__(self) -> int:
        return len(self.ukprn)


@dataclass
class ProgrammeSpec:
    slug: str
    title: str
    kind: str
    pillars: list[str]
    cost_pence: int
    capacity: int
    selective: bool = False
    min_attendance_pct: int = 80
    requires_project: bool = False
    description: str = ""
    audience: str = "Technicians, technical specialists and technical managers"
    eligibility: str = ""

    def row(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BookingPlan:
    person: int
    status: str
    days_before: int
    statement: str = ""
    reason: str = ""
    marks: list[str] = field(default_factory=list)
    project: bool = False
    complete: bool = False
    feedback: tuple[int, bool, int, int] | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CohortPlan:
    programme: int
    name: str
    starts_on: date
    ends_on: date
    capacity: int
    location: str
    facilitator: str
    mode: str
    sessions: list[tuple[str, str, date, tuple[int, int], float, str]] = field(default_factory=list)
    bookings: list[BookingPlan] = field(default_factory=list)
    leadership: bool = False


@dataclass
class Plan:
    years: list[int]
    seed_tag: str
    pool_ukprn: list[str]
    programmes: list[ProgrammeSpec] = field(default_factory=list)
    cohorts: list[CohortPlan] = field(default_factory=list)
    consented: set[int] = field(default_factory=set)
    executive_first: int = 0


def invented_pool(n: int, seed: int = 0) -> Pool:
    """Made-up technicians at 40 made-up providers, with no staff records to link to."""
    rng = np.random.default_rng(seed)
    return Pool(
        ukprn=[f"199{k:05d}" for k in rng.integers(1, 41, n)],
        own_id=[None] * n,
        sex=[str(s) for s in rng.choice(["1", "2"], n, p=[0.5, 0.5])],
        ethnic=[
            str(e)
            for e in rng.choice(["10", "15", "31", "41", "80", "98"], n, p=[0.7, 0.05, 0.06, 0.1, 0.04, 0.05])
        ],
        level=[
            str(v)
            for v in rng.choice(["I0", "J0", "K0", "L0", "M0", "N0"], n, p=[0.04, 0.12, 0.3, 0.3, 0.18, 0.06])
        ],
        age=[int(a) for a in rng.integers(20, 66, n)],
    )


def make(rng: np.random.Generator, pool: Pool, last_year: int, scale: float, names: dict[str, str]) -> Plan:
    years = list(range(last_year - 4, last_year + 1))
    plan = Plan(years=years, seed_tag=f"{int(rng.integers(0, 10**6)):06d}", pool_ukprn=pool.ukprn)
    if not len(pool):
        return plan
    _leadership(plan, rng, pool, scale, names)
    _executive(plan, rng, pool)
    budget = round(5950 * scale) - sum(len(c.sessions) for c in plan.cohorts)
    _short(plan, rng, pool, max(0, budget), names)
    return plan


def _where(rng: np.random.Generator, ukprn: str, names: dict[str, str]) -> tuple[str, str]:
    if rng.random() < 0.3:
        return "Online", "online"
    return names.get(ukprn) or f"Provider {ukprn}", "in-person"


def _marks(
    rng: np.random.Generator, n: int, p: tuple[float, float, float], dropout: float = 0.0
) -> list[str]:
    marks = [str(m) for m in rng.choice(["present", "absent", "excused"], n, p=list(p))]
    if n > 2 and rng.random() < dropout:
        marks[2:] = ["absent"] * (n - 2)
    return marks


def _feedback(rng: np.random.Generator) -> tuple[int, bool, int, int]:
    before = int(rng.choice([1, 2, 3, 4], p=[0.15, 0.4, 0.35, 0.1]))
    after = min(5, before + int(rng.choice([0, 1, 2], p=[0.2, 0.55, 0.25])))
    return int(rng.choice([3, 4, 5], p=[0.15, 0.45, 0.4])), bool(rng.random() < 0.9), before, after


def _outcomes(rng: np.random.Generator) -> list[dict[str, Any]]:
    out = []
    for months, p, scale in ((6, 0.6, 1.0), (12, 0.45, 1.8)):
        if rng.random() >= p:
            continue
        regs = [str(rng.choice(REGISTRATIONS))] if rng.random() < 0.12 * scale else []
        out.append(
            {
                "months": months,
                "promoted": bool(rng.random() < 0.08 * scale),
                "role_changed": bool(rng.random() < 0.18 * scale),
                "grade_changed": bool(rng.random() < 0.08 * scale),
                "registrations": regs,
                "leadership_role": bool(rng.random() < 0.14 * scale),
                "committee_seat": bool(rng.random() < 0.11 * scale),
            }
        )
    return out


def _spread(rng: np.random.Generator, candidates: np.ndarray, pool: Pool, k: int) -> np.ndarray:
    """``k`` people from ``candidates``, providers' numbers evened out (weight 1/sqrt of a
    provider's candidates), so that a programme reaches many providers."""
    if k >= len(candidates):
        return rng.permutation(candidates)
    ukprns = np.array([pool.ukprn[i] for i in candidates])
    _, inverse, counts = np.unique(ukprns, return_inverse=True, return_counts=True)
    weight = 1.0 / np.sqrt(counts[inverse])
    return rng.choice(candidates, size=k, replace=False, p=weight / weight.sum())


def _complete(marks: list[str], pct: int, project: bool, requires_project: bool) -> bool:
    """The programme's completion rule, as service.progress applies it."""
    n = len(marks)
    return n > 0 and 100.0 * marks.count("present") / n >= pct and (project or not requires_project)


def _leadership(
    plan: Plan, rng: np.random.Generator, pool: Pool, scale: float, names: dict[str, str]
) -> None:
    """Cohorts of about 30 women in technical roles, spread over the five years."""
    spec = _leadership_spec()
    plan.programmes.append(spec)
    index = len(plan.programmes) - 1
    women = np.array([i for i in range(len(pool)) if pool.sex[i] == "2"], dtype=int)
    wanted = min(max(1, round(1000 * scale)), int(0.6 * len(women)))
    if wanted < 1:
        return
    chosen = _spread(rng, women, pool, wanted)
    declined = rng.permutation(np.setdiff1d(women, chosen))[: round(0.25 * wanted)]
    k = max(1, round(wanted / 30))
    year_of = [4 if k == 1 else round(j * 4 / (k - 1)) for j in range(k)]  # first and last years too
    per_year = [year_of.count(y) for y in range(5)]
    for j, (members, others) in enumerate(
        zip(np.array_split(chosen, k), np.array_split(declined, k), strict=True)
    ):
        y = year_of[j]
        nth = j - sum(per_year[:y])
        start = date(plan.years[y], 9, 20) + timedelta(days=nth * (240 // max(1, per_year[y])))
        where, _mode = _where(rng, pool.ukprn[int(members[0])], names)
        cohort = CohortPlan(
            index,
            f"Cohort {j + 1}",
            start,
            start + timedelta(days=182),
            max(30, len(members)),
            where if where != "Online" else "Birmingham",
            FACILITATORS[j % len(FACILITATORS)],
            "in-person",
            leadership=True,
            sessions=_leadership_sessions(start),
        )
        for person in members:
            cohort.bookings.append(_selected(rng, int(person), spec, len(cohort.sessions), leader=True))
            if pool.own_id[int(person)] and rng.random() < 0.65:
                plan.consented.add(int(person))
        for person in others:
            cohort.bookings.append(
                BookingPlan(
                    int(person),
                    "declined",
                    int(rng.integers(40, 90)),
                    "I want to lead my team well.",
                    "Places were offered to balance providers and roles; please apply again next year.",
                )
            )
        plan.cohorts.append(cohort)


def _leadership_spec() -> ProgrammeSpec:
    return ProgrammeSpec(
        slug=LEADERSHIP,
        title="Leadership programme for women in technical roles",
        kind="cohort",
        pillars=["career-development", "visibility"],
        cost_pence=150000,
        capacity=30,
        selective=True,
        requires_project=True,
        description="Six months: four modules (" + "; ".join(MODULES) + "), action learning sets and a "
        "final project. Completion: present at 80% of sessions and the final project done.",
        audience="Women in technical roles",
        eligibility="Women (and those who identify as women) in technical roles at a UK provider",
    )


def _leadership_sessions(start: date) -> list[tuple[str, str, date, tuple[int, int], float, str]]:
    """Four module days six weeks apart, three online action learning sets between them, and
    the final project presentations at week 24."""
    sessions = [
        (title, "module", start + timedelta(weeks=6 * w), (9, 30), 7.0, "in-person")
        for w, title in enumerate(MODULES)
    ]
    sessions += [
        ("Action learning set", "action-learning", start + timedelta(weeks=w), (13, 0), 3.0, "online")
        for w in (3, 9, 15)
    ]
    sessions.append(
        ("Final project presentations", "project", start + timedelta(weeks=24), (9, 30), 5.0, "in-person")
    )
    return sorted(sessions, key=lambda t: t[2])


def _selected(
    rng: np.random.Generator, person: int, spec: ProgrammeSpec, sessions: int, *, leader: bool
) -> BookingPlan:
    """An approved application: register marks, the final project, feedback and outcomes."""
    marks = _marks(rng, sessions, (0.93, 0.03, 0.04), dropout=0.05)
    project = spec.requires_project and marks.count("present") >= 0.8 * sessions and rng.random() < 0.92
    done = _complete(marks, spec.min_attendance_pct, project, spec.requires_project)
    return BookingPlan(
        person,
        "confirmed",
        int(rng.integers(40, 90)),
        "I want to grow as a leader of technical services." if leader else "I lead a technical service.",
        "Meets the criteria; a strong statement.",
        marks=marks,
        project=project,
        complete=done,
        feedback=_feedback(rng) if "present" in marks and rng.random() < 0.7 else None,
        outcomes=_outcomes(rng) if done else [],
    )


def _executive(plan: Plan, rng: np.random.Generator, pool: Pool) -> None:
    """One cohort a year; the first has 22 participants."""
    spec = ProgrammeSpec(
        slug=EXECUTIVE,
        title="Executive programme in strategic technical leadership",
        kind="executive",
        pillars=["career-development", "recognition"],
        cost_pence=400000,
        capacity=26,
        selective=True,
        description="An annual programme for heads of technical services: six residential days.",
        audience="Heads of technical services and senior technical managers",
    )
    plan.programmes.append(spec)
    index = len(plan.programmes) - 1
    senior = np.array([i for i in range(len(pool)) if pool.level[i] in ("I0", "J0", "K0")], dtype=int)
    if len(senior) < 30:
        senior = np.arange(len(pool))
    order = rng.permutation(senior)
    used = 0
    for y, year in enumerate(plan.years):
        size = 22 if y == 0 else int(rng.integers(22, 27))
        members = order[used : used + size]
        used += size
        if not len(members):
            break
        plan.executive_first = plan.executive_first or len(members)
        start = date(year, 10, 7)
        cohort = CohortPlan(
            index,
            f"{year}/{(year + 1) % 100:02d}",
            start,
            start + timedelta(days=150),
            26,
            "Leeds",
            FACILITATORS[y % len(FACILITATORS)],
            "in-person",
        )
        for w, title in enumerate(EXEC_SESSIONS):
            cohort.sessions.append(
                (title, "module", start + timedelta(weeks=4 * w), (9, 0), 8.0, "in-person")
            )
        for person in members:
            cohort.bookings.append(_selected(rng, int(person), spec, len(cohort.sessions), leader=False))
            if pool.own_id[int(person)] and rng.random() < 0.65:
                plan.consented.add(int(person))
        plan.cohorts.append(cohort)


def _short(plan: Plan, rng: np.random.Generator, pool: Pool, budget: int, names: dict[str, str]) -> None:
    """Workshops and short courses until ``budget`` sessions, hosted across the providers."""
    first = len(plan.programmes)
    for title, kind, pillars, cost, cap, _n, _w in SHORT:
        slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")
        while "--" in slug:
            slug = slug.replace("--", "-")
        plan.programmes.append(
            ProgrammeSpec(
                slug[:80],
                title,
                kind,
                list(pillars),
                cost,
                cap[1],
                min_attendance_pct=100 if kind == "workshop" else 75,
            )
        )
    weights = np.array([w for *_, w in SHORT], dtype=float)
    engaged = rng.permutation(len(pool))[: max(30, int(0.5 * len(pool)))]
    hosts = sorted(set(pool.ukprn))
    local: dict[str, list[int]] = {}
    for i in engaged:
        local.setdefault(pool.ukprn[int(i)], []).append(int(i))
    runs: dict[int, int] = {}
    while budget > 0:
        which = int(rng.choice(len(SHORT), p=weights / weights.sum()))
        title, kind, _p, _c, (lo, hi), (s_lo, s_hi), _w = SHORT[which]
        year = plan.years[int(rng.integers(0, 5))]
        start = date(year, 9, 1) + timedelta(days=int(rng.integers(0, 300)))
        sessions = min(budget, int(rng.integers(s_lo, s_hi + 1)))
        host = hosts[int(rng.integers(0, len(hosts)))]
        where, mode = _where(rng, host, names)
        runs[which] = runs.get(which, 0) + 1
        cohort = CohortPlan(
            first + which,
            f"{title[:40]} {start.isoformat()} #{runs[which]}",
            start,
            start + timedelta(weeks=sessions - 1),
            int(rng.integers(lo, hi + 1)),
            where,
            FACILITATORS[int(rng.integers(0, len(FACILITATORS)))],
            mode,
        )
        for k in range(sessions):
            long = kind == "course" or rng.random() < 0.5
            cohort.sessions.append(
                (
                    title if sessions == 1 else f"{title}: part {k + 1}",
                    kind,
                    start + timedelta(weeks=k),
                    (9, 30) if long else (13, 30),
                    6.0 if long else 3.0,
                    mode,
                )
            )
        _book(rng, cohort, plan.programmes[first + which], engaged, local.get(host, []))
        plan.cohorts.append(cohort)
        budget -= sessions


def _book(
    rng: np.random.Generator, cohort: CohortPlan, spec: ProgrammeSpec, engaged: np.ndarray, local: Any
) -> None:
    """Requests (a few more than places sometimes: a waiting list), cancellations that promote
    the first waiting, no-shows and excused absences, feedback from some who came."""
    wanted = min(len(engaged), max(1, int(rng.poisson(cohort.capacity * rng.uniform(0.6, 1.15)))))
    near = rng.permutation(np.array(local, dtype=int))[: int(0.6 * wanted)]
    far = rng.choice(engaged, size=min(len(engaged), wanted * 2), replace=False)
    people = list(dict.fromkeys([int(i) for i in near] + [int(i) for i in far]))[:wanted]
    status = ["confirmed" if j < cohort.capacity else "waitlisted" for j in range(len(people))]
    waiting = [j for j, s in enumerate(status) if s == "waitlisted"]
    for j in range(min(cohort.capacity, len(people))):
        if rng.random() < 0.07:
            status[j] = "cancelled"
            if waiting:
                status[waiting.pop(0)] = "confirmed"
    n = len(cohort.sessions)
    for j, person in enumerate(people):
        booking = BookingPlan(person, status[j], int(rng.integers(3, 60)))
        if status[j] == "confirmed":
            booking.marks = _marks(rng, n, (0.87, 0.09, 0.04))
            booking.complete = _complete(booking.marks, spec.min_attendance_pct, False, False)
            if "present" in booking.marks and rng.random() < 0.4:
                booking.feedback = _feedback(rng)
        cohort.bookings.append(booking)
