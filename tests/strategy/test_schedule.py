"""Technician Commitment due dates: across cohorts, leap years and month ends, and where each
submission stands on the days its state changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techforce.errors import Invalid
from techforce.strategy import schedule
from techforce.strategy.schedule import (
    DUE_SOON,
    FIRST_SUBMISSION,
    NOT_YET_OPEN,
    OPEN,
    OVERDUE,
    STAGE_2,
    STAGE_3,
    SUBMITTED,
    SUBMITTED_LATE,
    add_months,
    cohort,
    milestones,
    next_due,
    standing,
)


def _dates(signed: date) -> dict[str, tuple[date | None, date]]:
    return {m.kind: (m.opens, m.due) for m in milestones(signed)}


@pytest.mark.parametrize("year", range(2017, 2026))
def test_each_cohort_owes_three_submissions_at_18_36_and_72_months(year: int) -> None:
    signed = date(year, 5, 14)
    got = _dates(signed)
    assert got == {
        FIRST_SUBMISSION: (date(year + 1, 5, 14), date(year + 1, 11, 14)),
        STAGE_2: (date(year + 2, 11, 14), date(year + 3, 5, 14)),
        STAGE_3: (date(year + 5, 11, 14), date(year + 6, 5, 14)),
    }
    assert cohort(signed) == str(year)
    assert [m.kind for m in milestones(signed)] == [FIRST_SUBMISSION, STAGE_2, STAGE_3]
    assert all(m.label for m in milestones(signed))


@pytest.mark.parametrize(
    ("signed", "first_opens", "first_due", "stage2_due", "stage3_due"),
    [
        # 29 February: a month without that day clamps to its last day, a leap year keeps it
        (date(2016, 2, 29), date(2017, 2, 28), date(2017, 8, 29), date(2019, 2, 28), date(2022, 2, 28)),
        (date(2020, 2, 29), date(2021, 2, 28), date(2021, 8, 29), date(2023, 2, 28), date(2026, 2, 28)),
        (date(2024, 2, 29), date(2025, 2, 28), date(2025, 8, 29), date(2027, 2, 28), date(2030, 2, 28)),
        # 31 August: 18 months on is February (28 or 29), the stages are back in August
        (date(2018, 8, 31), date(2019, 8, 31), date(2020, 2, 29), date(2021, 8, 31), date(2024, 8, 31)),
        (date(2019, 8, 31), date(2020, 8, 31), date(2021, 2, 28), date(2022, 8, 31), date(2025, 8, 31)),
        # 31 January: 18 months on is 31 July
        (date(2023, 1, 31), date(2024, 1, 31), date(2024, 7, 31), date(2026, 1, 31), date(2029, 1, 31)),
    ],
)
def test_leap_days_and_month_ends_clamp_to_the_months_last_day(
    signed: date, first_opens: date, first_due: date, stage2_due: date, stage3_due: date
) -> None:
    got = _dates(signed)
    assert got[FIRST_SUBMISSION] == (first_opens, first_due)
    assert got[STAGE_2][1] == stage2_due
    assert got[STAGE_3][1] == stage3_due


def test_add_months_clamps_and_returns_to_the_leap_day() -> None:
    assert add_months(date(2020, 2, 29), 12) == date(2021, 2, 28)
    assert add_months(date(2020, 2, 29), 48) == date(2024, 2, 29)
    assert add_months(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2024, 5, 1), 0) == date(2024, 5, 1)


SIGNED = date(2021, 3, 15)
FIRST = milestones(SIGNED)[0]  # opens 2022-03-15, due 2022-09-15


def _first_state(today: date, submitted: dict[str, date] | None = None) -> str:
    return standing(SIGNED, submitted or {}, today)[0].state


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (FIRST.opens - timedelta(days=1), NOT_YET_OPEN),  # type: ignore[operator]
        (FIRST.opens, OPEN),
        (FIRST.due - timedelta(days=61), OPEN),
        (FIRST.due - timedelta(days=60), DUE_SOON),
        (FIRST.due, DUE_SOON),  # the due day itself is not overdue
        (FIRST.due + timedelta(days=1), OVERDUE),
        (FIRST.due + timedelta(days=800), OVERDUE),
    ],
)
def test_each_state_starts_on_its_boundary_day(today: date, state: str) -> None:
    assert FIRST.opens == date(2022, 3, 15)
    assert FIRST.due == date(2022, 9, 15)
    assert _first_state(today) == state


def test_submitted_on_the_due_day_is_on_time_and_the_day_after_is_late() -> None:
    later = date(2030, 1, 1)
    assert _first_state(later, {FIRST_SUBMISSION: FIRST.due}) == SUBMITTED
    assert _first_state(later, {FIRST_SUBMISSION: FIRST.due + timedelta(days=1)}) == SUBMITTED_LATE
    # early, before the window opens, still counts as submitted
    assert _first_state(later, {FIRST_SUBMISSION: date(2021, 6, 1)}) == SUBMITTED


def test_standing_reports_every_milestone_with_its_submission_day() -> None:
    on = {FIRST_SUBMISSION: date(2022, 10, 3)}
    rows = standing(SIGNED, on, date(2024, 3, 1))
    assert [(d.milestone.kind, d.state, d.submitted_on) for d in rows] == [
        (FIRST_SUBMISSION, SUBMITTED_LATE, date(2022, 10, 3)),
        (STAGE_2, DUE_SOON, None),  # due 2024-03-15
        (STAGE_3, NOT_YET_OPEN, None),
    ]


def test_next_due_is_the_first_not_submitted_and_none_once_all_are_in() -> None:
    today = date(2025, 1, 1)
    first = next_due(SIGNED, {}, today)
    assert first is not None and first.milestone.kind == FIRST_SUBMISSION and first.state == OVERDUE
    second = next_due(SIGNED, {FIRST_SUBMISSION: date(2022, 9, 1)}, today)
    assert second is not None and second.milestone.kind == STAGE_2 and second.state == OVERDUE
    every = {m.kind: m.due for m in milestones(SIGNED)}
    assert next_due(SIGNED, every, today) is None


def test_unknown_kinds_and_submissions_before_signing_are_refused() -> None:
    with pytest.raises(Invalid, match="'stage-4' is not one of"):
        standing(SIGNED, {"stage-4": date(2024, 1, 1)}, date(2024, 1, 1))
    with pytest.raises(Invalid, match="before the Commitment was signed on 2021-03-15"):
        next_due(SIGNED, {STAGE_2: date(2020, 1, 1)}, date(2024, 1, 1))


def test_the_docstring_states_this_products_reading_of_the_guidance() -> None:
    doc = schedule.__doc__ or ""
    for phrase in ("12–18 months", "about three years", "36-month", "this\nproduct reads it"):
        assert phrase in doc


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_due_dates_strictly_increase_and_each_window_opens_before_it_is_due(signed: date) -> None:
    ms = milestones(signed)
    dues = [m.due for m in ms]
    assert signed < dues[0] < dues[1] < dues[2]
    for m in ms:
        assert m.opens is not None and signed < m.opens < m.due
        # a window is long enough for "due soon" to come after it opens
        assert m.opens < m.due - timedelta(days=schedule.DUE_SOON_DAYS)
    assert ms[2].due == add_months(ms[1].due, 36)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=-400, max_value=3000),
)
def test_a_milestone_not_submitted_is_overdue_exactly_after_its_due_day(signed: date, offset: int) -> None:
    today = signed + timedelta(days=offset)
    for d in standing(signed, {}, today):
        assert (d.state == OVERDUE) == (today > d.milestone.due)
        assert (d.state == NOT_YET_OPEN) == (today < d.milestone.opens)  # type: ignore[operator]


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.integers(min_value=-1200, max_value=1200),
)
def test_add_months_reads_months_as_dateutil_does(d: date, n: int) -> None:
    relativedelta = pytest.importorskip("dateutil.relativedelta").relativedelta
    assert add_months(d, n) == d + relativedelta(months=n)
