"""A synthetic national technician survey as a CSV export (demo content for the research
capability; read it with :func:`techforce.research.surveys.read_survey`).

One row per respondent: an id, institution (UKPRN), region, role family, sex, age band and
grade, ten statements on a five-point agree scale and two free-text questions. Answers
lean plausibly on the attributes: higher grades agree more that they have a career route,
women less that promotion is fair, technicians at providers with a strategic technical lead
more that they are represented, older staff less that they will be here in three years.
About 3% of Likert answers are blank. Deterministic from the seed.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence

from techforce.errors import Invalid
from techforce.research import synth_text as text

SURVEY_INSTITUTIONS = 45  # read_survey guesses "attribute" for at most 50 distinct values
AGREE = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
GRADES = tuple(range(3, 10))
BLANK = 0.03


def seeded(*parts: object) -> random.Random:
    """A generator fixed by ``parts`` (seed, purpose, key): demo content, never secrets."""
    return random.Random(":".join(str(p) for p in parts))  # noqa: S311 - not for security


def provider_profile(ukprn: str, seed: int) -> tuple[str, str, float, bool]:
    """A provider's region, mission group, size weight and whether it has a strategic technical
    lead: fixed by UKPRN and seed, so the interview study and the survey agree."""
    rng = seeded(seed, "provider", ukprn)
    region = rng.choice(text.REGIONS)
    group = rng.choice(text.MISSION_GROUPS)
    return region, group, rng.lognormvariate(0.0, 0.8), rng.random() < 0.45


def _point(score: float) -> str:
    """A latent score (about -2..2) to a point on the agree scale."""
    cuts = (-1.3, -0.45, 0.35, 1.25)
    return AGREE[sum(score > c for c in cuts)]


def _person(rng: random.Random) -> tuple[str, str, str, int]:
    family = rng.choices(text.ROLE_FAMILIES, weights=(40, 14, 14, 6, 5, 9, 7, 5))[0]
    women = {"Workshop and engineering": 0.12, "IT and digital": 0.25, "Animal care": 0.6}.get(family, 0.45)
    sex = "F" if rng.random() < women else "M"
    age = rng.choices(range(len(text.AGE_BANDS)), weights=(6, 20, 22, 22, 24, 6))[0]
    grade = min(9, max(3, round(rng.gauss(4.2 + 0.45 * age, 1.1))))
    return family, sex, text.AGE_BANDS[age], grade


def _likert(rng: random.Random, sex: str, age: str, grade: int, lead: bool, mood: float) -> list[str]:
    older = age in ("55–64", "65+")
    lean = {
        "voice": 0.45 if lead else -0.1,
        "career": 0.18 * (grade - 5) - (0.35 if sex == "F" else 0.0),
        "development": 0.25 if lead else 0.0,
        "workload": -0.3 if grade >= 7 else 0.1,
        "general": -0.9 if older else 0.2,
    }
    base = {"voice": -0.1, "career": -0.35, "development": 0.05, "workload": -0.1, "general": 0.4}
    out = []
    for _, kind in text.SURVEY_ITEMS:
        if rng.random() < BLANK:
            out.append("")
            continue
        out.append(_point(base[kind] + lean[kind] + 0.6 * mood + rng.gauss(0.0, 0.75)))
    return out


def _free(rng: random.Random, sex: str, grade: int) -> tuple[str, str]:
    change = ""
    if rng.random() < 0.42 + (0.08 if sex == "F" else 0.0) + 0.02 * (grade - 5):
        change = f"{rng.choice(text.WANTS)} {rng.choice(text.REASONS)}."
    other = ""
    if rng.random() < 0.18:
        picks = rng.sample(text.OTHERS, rng.choice((1, 1, 2)))
        other = " ".join(picks)
    return change, other


def synth_survey(providers: Sequence[tuple[str, str]], *, respondents: int = 1800, seed: int = 2024) -> bytes:
    """A national technician survey export (UTF-8 CSV) with ``respondents`` rows from up to 45
    of ``providers`` ((UKPRN, name) pairs), bigger providers answering more."""
    ukprns = sorted({u for u, _ in providers})
    if not ukprns:
        raise Invalid("The survey needs at least one provider (UKPRN, name); got none.")
    if respondents < 1:
        raise Invalid(f"respondents must be at least 1; got {respondents}.")
    rng = seeded(seed, "survey")
    chosen = sorted(rng.sample(ukprns, min(SURVEY_INSTITUTIONS, len(ukprns))))
    profiles = {u: provider_profile(u, seed) for u in chosen}
    mood = {u: rng.gauss(0.0, 0.3) for u in chosen}
    weights = [profiles[u][2] for u in chosen]
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    items = [statement for statement, _ in text.SURVEY_ITEMS]
    header = ["respondent_id", "institution", "region", "role_family", "sex", "age_band", "grade"]
    out.writerow([*header, *items, text.FREE_CHANGE, text.FREE_OTHER])
    for number in range(1, respondents + 1):
        ukprn = rng.choices(chosen, weights=weights)[0]
        region, _, _, lead = profiles[ukprn]
        family, sex, age, grade = _person(rng)
        feeling = mood[ukprn] + rng.gauss(0.0, 0.5)
        answers = _likert(rng, sex, age, grade, lead, feeling)
        change, other = _free(rng, sex, grade)
        row = [f"R{number:05d}", ukprn, region, family, sex, age, f"Grade {grade}"]
        out.writerow([*row, *answers, change, other])
    return buffer.getvalue().encode("utf-8")
