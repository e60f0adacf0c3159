import random

import pytest

from techforce.disclosure import (
    KEY_MODULUS,
    PTABLE,
    RULE_SETS,
    DisclosureError,
    protect,
    round_count,
    rule_set,
)

HESA = RULE_SETS["hesa-standard"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2, 0), (3, 5), (22, 20), (3286, 3285), (2.5, 5), (0, 0), (7.5, 10), (2.4999999999, 5), (12.49, 10)],
)
def test_hesa_rounding_examples(value: float, expected: int) -> None:
    assert round_count(value) == expected


def test_counts_carry_the_reason_they_were_rounded() -> None:
    cell = protect(2, "people", HESA)
    assert cell.value == 0 and cell.display == "0–5"  # the true counts a published 0 can stand for
    assert (
        protect(2, "people", HESA.model_copy(update={"cell_key": False})).display == "0–2"
    )  # rounding alone
    assert "rounded to nearest 5" in cell.reason and "cell key" in cell.reason
    assert protect(3286, "people", HESA).display == "3,285"


def test_percentages_suppressed_below_22_5_people() -> None:
    assert protect(0.5, "percent", HESA, population=22).display == ".."
    assert protect(0.5, "percent", HESA, population=22).suppressed
    shown = protect(45.0, "percent", HESA, population=22.5)
    assert shown.display == "45.0%" and not shown.suppressed


def test_older_rule_set_suppresses_percentages_up_to_52() -> None:
    legacy = RULE_SETS["hesa-legacy"]
    assert protect(50.0, "percent", legacy, population=52).suppressed
    assert not protect(50.0, "percent", legacy, population=53).suppressed


def test_averages_suppressed_for_seven_or_fewer_people() -> None:
    assert protect(41.2, "average", HESA, people=7).display == ".."
    assert protect(41.2, "average", HESA, people=8).display == "41.2"


def test_money_is_not_rounded_and_provider_counts_are_not_rounded() -> None:
    assert protect(31234.0, "money", HESA).display == "£31,234"
    assert protect(54, "providers", HESA).display == "54"


def test_unrounded_output_needs_permission() -> None:
    with pytest.raises(DisclosureError, match="TECHFORCE_ALLOW_UNROUNDED"):
        rule_set("unrounded")
    rules = rule_set("unrounded", allow_unrounded=True)
    assert protect(3, "people", rules).display == "3"


def test_unknown_rule_set_is_named() -> None:
    with pytest.raises(DisclosureError, match="hesa-standard"):
        rule_set("nope")


@pytest.mark.parametrize("count", [1, 2, 3, 4, 10, 500])
def test_perturbation_rows_are_unbiased_bounded_and_never_negative(count: int) -> None:
    row = PTABLE.changes(count)
    assert sum(p for _, p in row) == pytest.approx(1.0)
    assert sum(c * p for c, p in row) == pytest.approx(0.0)  # published values are unbiased
    assert all(abs(c) <= PTABLE.max_change and count + c >= 0 for c, _ in row)


def test_zeros_stay_zero_and_the_same_cell_always_gets_the_same_answer() -> None:
    rng = random.Random(1)
    keys = [rng.randrange(KEY_MODULUS) for _ in range(2000)]
    assert {HESA.perturb(0, k) for k in keys} == {0}
    assert [HESA.perturb(40, k) for k in keys] == [HESA.perturb(40, k) for k in keys]
    changes = [HESA.perturb(40, k) - 40 for k in keys]  # type: ignore[operator]
    share_unchanged = changes.count(0) / len(changes)
    assert 0.35 < share_unchanged < 0.45 and min(changes) == -3 and max(changes) == 3
    assert abs(sum(changes) / len(changes)) < 0.1


def test_small_counts_are_never_pinned_by_their_published_value() -> None:
    """Every published value can come from at least two true counts (0 from 0, 1 or 2)."""
    for published in range(0, 12):
        sources = {c for c in range(0, 20) for d, p in PTABLE.changes(c) if p > 0 and c + d == published}
        assert len(sources) >= 2, published


def test_unrounded_rules_never_perturb() -> None:
    rules = RULE_SETS["unrounded"]
    assert rules.perturb(7, 123) == 7


def test_percentage_notes_never_carry_the_population() -> None:
    cell = protect(45.0, "percent", HESA, population=467.0)
    assert "467" not in cell.reason and "22.5" in cell.reason
