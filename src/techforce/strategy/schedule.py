"""When a Technician Commitment signatory's submissions fall due, and where each one stands.

The Technician Commitment guidance says a signatory submits a self-assessment and action
plan 12–18 months after signing, then reports in stages: Stage 2 at about three years and
Stage 3 with a 36-month action plan. The guidance gives windows, not exact dates, so this
product reads it as follows (every date counted in whole calendar months from the day of
signing):

- ``first-submission`` (self-assessment and action plan): window opens 12 months after
  signing, due 18 months after;
- ``stage-2``: opens 30 months after signing, due 36 months after (about three years);
- ``stage-3``: due 36 months after the Stage 2 due date (72 months after signing, the end
  of a 36-month plan), opening six months before, at 66 months.

A month is added as on a calendar: the same day of the month, or the month's last day where
that month is shorter (signed 31 August + 6 months is 28 or 29 February; signed 29 February
2020 + 12 months is 28 February 2021, + 48 months is 29 February 2024).

Pure functions: no database, no clock (``today`` is always passed in).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from techforce.errors import Invalid

FIRST_SUBMISSION = "first-submission"
STAGE_2 = "stage-2"
STAGE_3 = "stage-3"
KINDS = (FIRST_SUBMISSION, STAGE_2, STAGE_3)

# (kind, label, months after signing the window opens, months after signing it is due)
_PLAN: tuple[tuple[str, str, int, int], ...] = (
    (FIRST_SUBMISSION, "Self-assessment and action plan", 12, 18),
    (STAGE_2, "Stage 2 submission", 30, 36),
    (STAGE_3, "Stage 3 submission (36-month action plan)", 66, 72),
)

DUE_SOON_DAYS = 60  # a submission not yet in is "due soon" from this many days before its due date

NOT_YET_OPEN = "not-yet-open"
OPEN = "open"
DUE_SOON = "due-soon"
OVERDUE = "overdue"
SUBMITTED = "submitted"
SUBMITTED_LATE = "submitted-late"
STATES = (NOT_YET_OPEN, OPEN, DUE_SOON, OVERDUE, SUBMITTED, SUBMITTED_LATE)


@dataclass(frozen=True)
class Milestone:
    """One submission a signatory owes: its kind (one of KINDS), a label for people, the day
    its window opens (None where there is no window) and the day it is due."""

    kind: str
    label: str
    opens: date | None
    due: date


@dataclass(frozen=True)
class Due:
    """Where a milestone stands on a given day: its state (one of STATES) and, once
    submitted, the day it was submitted."""

    milestone: Milestone
    state: str
    submitted_on: date | None


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months (n may be negative), clamped to the month's last day
    (the same reading as dateutil's relativedelta; done with the standard library so this
    module needs no third-party package)."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def milestones(signed: date) -> list[Milestone]:
    """The submissions a signatory who signed on ``signed`` owes, earliest first."""
    return [
        Milestone(kind=kind, label=label, opens=add_months(signed, opens), due=add_months(signed, due))
        for kind, label, opens, due in _PLAN
    ]


def cohort(signed: date) -> str:
    """The cohort a signatory belongs to: the calendar year it signed, e.g. "2021"."""
    return str(signed.year)


def _check(signed: date, submitted: dict[str, date]) -> None:
    problems = []
    for kind, on in submitted.items():
        if kind not in KINDS:
            problems.append(f"submission kind {kind!r} is not one of {', '.join(KINDS)}")
        elif on < signed:
            problems.append(
                f"{kind} submitted on {on.isoformat()}, before the Commitment was signed on "
                f"{signed.isoformat()}; check the submission date"
            )
    if problems:
        raise Invalid("; ".join(problems), problems)


def _state(m: Milestone, submitted_on: date | None, today: date) -> str:
    if submitted_on is not None:
        return SUBMITTED if submitted_on <= m.due else SUBMITTED_LATE
    if m.opens is not None and today < m.opens:
        return NOT_YET_OPEN
    if today > m.due:
        return OVERDUE
    if today >= m.due - timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return OPEN


def standing(signed: date, submitted: dict[str, date], today: date) -> list[Due]:
    """Each milestone of a signatory who signed on ``signed`` as it stands on ``today``.

    ``submitted`` maps a milestone kind to the day it was submitted. A submission is
    "submitted" on or before its due day and "submitted-late" after it. One not yet in is
    "not-yet-open" before its window, "open" in it, "due-soon" from DUE_SOON_DAYS days
    before its due day up to and including that day, and "overdue" from the day after.
    An unknown kind, or a submission dated before signing, is Invalid."""
    _check(signed, submitted)
    return [
        Due(m, _state(m, submitted.get(m.kind), today), submitted.get(m.kind)) for m in milestones(signed)
    ]


def next_due(signed: date, submitted: dict[str, date], today: date) -> Due | None:
    """The first milestone not yet submitted, as it stands on ``today``; None once all are in."""
    for due in standing(signed, submitted, today):
        if due.submitted_on is None:
            return due
    return None
