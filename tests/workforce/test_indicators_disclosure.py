"""Published figures: populations are sums of perturbed provider cells, percentages come from
perturbed counts, true values only when asked for, and the grade ceiling keeps academics."""

from __future__ import annotations

import pytest

from techforce.disclosure import RULE_SETS, round_count
from techforce.workforce import codes, definitions
from techforce.workforce.indicators import Computation, Row

HESA = RULE_SETS["hesa-standard"]
PROVIDERS = [f"1000000{i}" for i in range(6)]


def _comp(rows: dict[str, list[Row]], returned: dict[tuple[str, int], bool] | None = None) -> Computation:
    found = returned or {(u, 2022): True for u in PROVIDERS}
    return Computation(definitions.get(None), HESA, rows, found)


def test_a_population_is_the_sum_of_its_providers_perturbed_cells() -> None:
    rows = [Row(u, 2022, "all", 3.0 + i, None, 3.0 + i, 1_000_003 * (i + 1)) for i, u in enumerate(PROVIDERS)]
    comp = _comp({"leadership.leaders": rows})
    perturbed = [HESA.perturb(r.num, r.key) for r in rows]
    assert any(p != r.num for p, r in zip(perturbed, rows, strict=True))  # the cells really change
    total = comp.results("leadership.leaders", "sector", None)[0]
    assert total.cell.value == round_count(sum(p or 0 for p in perturbed))
    assert total.raw is None  # no true value rides along with a published figure
    group = comp.results("leadership.leaders", "g", PROVIDERS[:5])[0]
    assert group.cell.value == round_count(sum(p or 0 for p in perturbed[:5]))


def test_true_values_only_when_asked_for() -> None:
    rows = [Row(PROVIDERS[0], 2022, "all", 7.0, None, 7.0, 99)]
    comp = _comp({"leadership.leaders": rows})
    own = comp.results("leadership.leaders", PROVIDERS[0], [PROVIDERS[0]], true_values=True)[0]
    assert (own.cell.display, own.raw) == ("7", 7.0) and "unrounded" in own.cell.reason
    published = comp.results("leadership.leaders", PROVIDERS[0], [PROVIDERS[0]])[0]
    assert published.cell.value in (5, 10) and "cell key" in published.cell.reason


def test_percentages_come_from_perturbed_counts_and_hide_small_populations() -> None:
    # 9 of 40 aged 55+; the numerator's and denominator's people have their own cell keys
    rows = [Row(PROVIDERS[0], 2022, "all", 9.0, 40.0, None, 123_456_789, 987_654_321)]
    comp = _comp({"tech.aged_55_plus": rows})
    cell = comp.results("tech.aged_55_plus", "p", [PROVIDERS[0]])[0].cell
    expected = 100 * (HESA.perturb(9.0, 123_456_789) or 0) / (HESA.perturb(40.0, 987_654_321) or 1)
    assert cell.value == pytest.approx(round(expected, 1)) and cell.value != 22.5
    assert "40" not in cell.reason
    small = _comp({"tech.aged_55_plus": [Row(PROVIDERS[0], 2022, "all", 9.0, 20.0, None, 5, 6)]})
    assert small.results("tech.aged_55_plus", "p", [PROVIDERS[0]])[0].cell.display == ".."


def test_zero_cells_stay_zero_in_every_population() -> None:
    rows = [Row(u, 2022, "all", 0.0, None, 0.0, 4_000_000_000) for u in PROVIDERS]
    comp = _comp({"leadership.leaders": rows})
    cell = comp.results("leadership.leaders", "sector", None)[0].cell
    assert cell.value == 0 and cell.display == "0–5"  # the range a published zero stands for (ckm-3)


def test_grade_ceiling_keeps_academics_of_providers_that_opted_out() -> None:
    """Only non-academic indicators leave out providers that did not return non-academic
    staff; the ceiling for academic staff counts every provider."""
    rank = codes.LEVEL_RANK
    rows = [
        Row(PROVIDERS[0], 2022, "Academic", float(rank["F1"])),
        Row(PROVIDERS[0], 2022, "Technical", float(rank["I0"])),
        Row(PROVIDERS[1], 2022, "Academic", float(rank["A0"])),
    ]
    returned = {(PROVIDERS[0], 2022): True, (PROVIDERS[1], 2022): False}
    ceiling = {
        r.category: r.cell.display
        for r in _comp({"grade.ceiling": rows}, returned).results("grade.ceiling", "sector", None)
    }
    assert ceiling == {"Academic": "A0", "Technical": "I0"}


def test_breakdowns_list_every_category_and_hide_small_populations() -> None:
    big = [
        Row(PROVIDERS[0], 2022, "1 Under 25", 30.0, key=11),
        Row(PROVIDERS[0], 2022, "2 25-34", 12.0, key=12),
    ]
    tiny = [Row(PROVIDERS[1], 2022, "2 25-34", 2.0, key=13)]
    comp = _comp({"tech.by_age": big + tiny})
    shown = {r.category: r.cell.display for r in comp.results("tech.by_age", "p", [PROVIDERS[1]])}
    assert shown == {"Under 25": "..", "25-34": ".."}  # 2 people: no breakdown at all
    large = {r.category: r.cell for r in comp.results("tech.by_age", "p", [PROVIDERS[0]])}
    assert set(large) == {"Under 25", "25-34"} and all(c.value is not None for c in large.values())
    own = {
        r.category: r.cell.display for r in comp.results("tech.by_age", "p", [PROVIDERS[1]], true_values=True)
    }
    assert own == {"Under 25": "0", "25-34": "2"}  # the provider's own lead sees the truth, empty cells as 0


def _key_for(count: int, change: int) -> int:
    """A cell key that gives this change to this count (searching the key space)."""
    return next(k for k in range(0, 2**32, 2**20) if HESA.perturb(float(count), k) == count + change)


def test_suppression_follows_the_published_population_not_the_true_one() -> None:
    """The audit's threshold oracle: if a percentage were hidden exactly when the *true*
    population is below 22.5, a user who builds groups could ask "is the true total at least
    23?" of any set of providers and pin small counts. Suppression follows the perturbed
    population, which teaches nothing beyond published values."""
    true_22_published_25 = Row(PROVIDERS[0], 2022, "all", 5.0, 22.0, None, 1, _key_for(22, +3))
    true_23_published_20 = Row(PROVIDERS[1], 2022, "all", 5.0, 23.0, None, 1, _key_for(23, -3))
    comp = _comp({"tech.aged_55_plus": [true_22_published_25, true_23_published_20]})
    assert comp.results("tech.aged_55_plus", "a", [PROVIDERS[0]])[0].cell.display.endswith("%")
    assert comp.results("tech.aged_55_plus", "b", [PROVIDERS[1]])[0].cell.display == ".."
