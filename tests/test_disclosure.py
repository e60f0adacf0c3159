import pytest

from techforce.disclosure import RULE_SETS, DisclosureError, protect, round_count, rule_set

HESA = RULE_SETS["hesa-standard"]


@pytest.mark.parametrize(("value", "expected"), [(2, 0), (3, 5), (22, 20), (3286, 3285), (2.5, 5),
                                                 (0, 0), (7.5, 10), (2.4999999999, 5), (12.49, 10)])
def test_hesa_rounding_examples(value: float, expected: int) -> None:
    assert round_count(value) == expected


def test_counts_carry_the_reason_they_were_rounded() -> None:
    cell = protect(2, "people", HESA)
    assert cell.value == 0 and cell.display == "0"
    assert "below 2.5" in cell.reason
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
