"""Peer position: median, quartiles, rank, and disclosure control of each published figure."""

from __future__ import annotations

import pytest

from techforce.disclosure import RULE_SETS
from techforce.workforce import definitions
from techforce.workforce.indicators import Computation
from techforce.workforce.peer_groups import PeerGroupError, position


def _comp(rules: str = "hesa-standard") -> Computation:
    # tech.aged_55_plus rows: (ukprn, year, category, 100 x numerator, denominator, n)
    shares = {"A": (30, 100), "B": (20, 100), "C": (10, 50), "D": (5, 10), "E": (40, 200)}
    rows = {
        "tech.aged_55_plus": [(u, 2022, "all", 100.0 * num, float(den), None) for u, (num, den) in shares.items()],
        "tech.headcount": [(u, 2022, "all", float(den), None, float(den)) for u, (_n, den) in shares.items()],
        "tech.by_age": [],
    }
    returned = {(u, 2022): True for u in shares}
    return Computation(definitions.get(None), RULE_SETS[rules], rows, returned)  # type: ignore[arg-type]


def test_rank_median_and_quartile_of_a_count() -> None:
    pos = position(_comp(), "tech.headcount", 2022, "A", "group", ["A", "B", "C", "D", "E"])
    assert (pos.rank, pos.of) == (2, 5)  # 200, 100, 100, 50, 10: A is joint second
    assert pos.median.display == "100" and pos.value.display == "100"
    assert pos.quartile == "top quartile"  # inclusive quartiles: Q1 50, median 100, Q3 100
    low = position(_comp(), "tech.headcount", 2022, "D", "group", ["A", "B", "C", "D", "E"])
    assert (low.rank, low.quartile, low.value.display) == (5, "bottom quartile", "10")


def test_small_population_percentage_is_suppressed_and_left_out_of_group_statistics() -> None:
    comp = _comp()
    small = position(comp, "tech.aged_55_plus", 2022, "D", "group", ["A", "B", "C", "D", "E"])
    assert small.value.display == ".." and "suppressed" in small.value.reason  # 5 of 10 people
    assert small.rank is None and small.of == 4 and small.quartile == "no data"
    # D's 50% is not in the statistics: median of 30, 20, 20, 20 (A, B, C, E) is 20.0%
    assert small.median.display == "20.0%"
    shown = position(comp, "tech.aged_55_plus", 2022, "E", "group", ["A", "B", "C", "D", "E"])
    assert shown.value.display == "20.0%" and shown.of == 4


def test_unrounded_rules_keep_every_provider() -> None:
    pos = position(_comp("unrounded"), "tech.aged_55_plus", 2022, "D", "group", ["A", "B", "C", "D", "E"])
    assert pos.value.value == pytest.approx(50.0) and pos.rank == 1 and pos.of == 5


def test_breakdowns_have_no_single_position() -> None:
    with pytest.raises(PeerGroupError):
        position(_comp(), "tech.by_age", 2022, "A", "group", ["A"])
