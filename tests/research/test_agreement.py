"""Intercoder agreement on character units, checked against figures computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from techforce.errors import Invalid
from techforce.research.agreement import (
    Coding,
    Resolution,
    Segment,
    agreement,
    cohen_kappa,
    consensus,
    disagreements,
    krippendorff_alpha,
    presence,
)


def c(coder: str, start: int, end: int, code: str = "x", source: str = "s") -> Coding:
    return Coding(coder=coder, code=code, source=source, start=start, end=end)


LEN20 = {"s": 20}


def test_kappa_and_alpha_match_hand_computation_with_overlapping_codings() -> None:
    # 20 characters. A codes 0-8 -> ones at 0..7 (8 chars).
    # B codes 0-4, 2-5 (overlap counts once) and 6-12 -> ones at 0..4 and 6..11 (11 chars).
    # Both 1: 0..4, 6, 7 = 7.  Both 0: 12..19 = 8.
    #   char 5: A=1, B=0; chars 8..11: A=0, B=1  -> 5 disagreeing characters.
    # po = 15/20 = 0.75;  pA = 8/20 = 0.4;  pB = 11/20 = 0.55
    # pe = 0.4*0.55 + 0.6*0.45 = 0.22 + 0.27 = 0.49
    # kappa = (0.75 - 0.49) / (1 - 0.49) = 0.26 / 0.51 = 0.50980...
    # Alpha (coincidences, 2 values per unit): o11 = 2*7 = 14, o00 = 2*8 = 16, o01 = o10 = 5;
    # n = 40, n1 = 19, n0 = 21; Do = 10/40 = 0.25; De = 2*19*21/(40*39) = 798/1560
    # alpha = 1 - 0.25 * 1560/798 = 408/798 = 0.51128...
    codings = [c("A", 0, 8), c("B", 0, 5), c("B", 2, 5), c("B", 6, 12)]
    vecs = presence(codings, LEN20, "x", ["A", "B"])
    assert int(vecs["A"].sum()) == 8 and int(vecs["B"].sum()) == 11
    assert cohen_kappa(vecs["A"], vecs["B"]) == pytest.approx(0.26 / 0.51)
    report = agreement(codings, LEN20)
    (x,) = report.codes
    assert x.kappa == pytest.approx(0.26 / 0.51)
    assert x.alpha == pytest.approx(408 / 798)
    assert x.percent == pytest.approx(0.75)
    assert x.coded_by == {"A": 8, "B": 11}
    assert x.coded_any == 12 and x.units == 20


def test_coded_units_only_gives_the_stricter_figure() -> None:
    # A 0-10, B 2-12 on 20 characters.
    # All units: both 1 on 2..9 (8), both 0 on 12..19 (8): po = 16/20 = 0.8,
    #   pA = pB = 0.5, pe = 0.5, kappa = (0.8 - 0.5)/0.5 = 0.6.
    # Coded only (0..11, 12 units): po = 8/12, pA = pB = 10/12,
    #   pe = (100 + 4)/144 = 104/144, kappa = (96 - 104)/(144 - 104) = -0.2.
    codings = [c("A", 0, 10), c("B", 2, 12)]
    assert agreement(codings, LEN20).codes[0].kappa == pytest.approx(0.6)
    strict = agreement(codings, LEN20, coded_only=True)
    assert strict.coded_only and strict.codes[0].units == 12
    assert strict.codes[0].kappa == pytest.approx(-0.2)
    assert strict.codes[0].percent == pytest.approx(8 / 12)


def test_overall_is_mean_weighted_by_characters_coded() -> None:
    # Code x as above: kappa 0.6, coded by anyone on 12 characters.
    # Code y: both coders 15-20 -> perfect, kappa 1.0, 5 characters.
    # Overall kappa = (0.6*12 + 1.0*5) / 17 = 12.2 / 17.
    codings = [c("A", 0, 10), c("B", 2, 12), c("A", 15, 20, "y"), c("B", 15, 20, "y")]
    report = agreement(codings, LEN20)
    assert [r.code for r in report.codes] == ["x", "y"]
    assert report.codes[1].kappa == pytest.approx(1.0)
    assert report.codes[1].alpha == pytest.approx(1.0)
    assert report.kappa == pytest.approx(12.2 / 17)
    assert report.percent == pytest.approx((0.8 * 12 + 1.0 * 5) / 17)


def test_perfect_agreement_is_one_across_sources() -> None:
    lengths = {"t1": 30, "t2": 12}
    codings = [c(k, s, e, source=src) for k in ("A", "B", "C") for src, s, e in [("t1", 3, 9), ("t2", 0, 4)]]
    report = agreement(codings, lengths)
    assert report.kappa is None  # three coders: no kappa
    assert report.alpha == pytest.approx(1.0)
    assert report.codes[0].percent == 1.0
    assert report.codes[0].units == 42


def test_independent_random_coding_is_near_zero() -> None:
    rng = np.random.default_rng(11)
    a = (rng.random(20000) < 0.3).astype(np.int8)
    b = (rng.random(20000) < 0.3).astype(np.int8)
    kappa = cohen_kappa(a, b)
    assert kappa is not None and abs(kappa) < 0.05
    alpha = krippendorff_alpha(np.vstack([a, b]))
    assert alpha is not None and abs(alpha) < 0.05


def test_alpha_tiny_nominal_matrix_by_hand() -> None:
    # Units (A, B): (1,1) (1,0) (0,0) (0,0) (1,1).
    # o11 = 4, o00 = 4, o01 = o10 = 1; n = 10, n0 = n1 = 5.
    # Do = 2/10 = 0.2; De = 2*5*5/(10*9) = 50/90; alpha = 1 - 0.2*90/50 = 0.64.
    assert krippendorff_alpha([[1, 1, 0, 0, 1], [1, 0, 0, 0, 1]]) == pytest.approx(0.64)


def test_alpha_krippendorff_textbook_example_with_missing_data() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers,
    # 12 units, missing values; nominal alpha = 0.743.
    nan = math.nan
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    alpha = krippendorff_alpha(data)
    assert alpha is not None and round(alpha, 3) == 0.743


def test_undefined_figures_are_none_and_explained() -> None:
    zeros = np.zeros(10, dtype=np.int8)
    assert cohen_kappa(zeros, zeros) is None
    assert cohen_kappa(zeros + 1, zeros + 1) is None
    assert krippendorff_alpha([[1, 1], [1, 1]]) is None
    # One coder all-present, the other all-absent: defined, pe = 0, po = 0 -> kappa 0.
    assert cohen_kappa(zeros + 1, zeros) == 0.0
    codings = [c("A", 0, 5), c("B", 0, 5)]
    report = agreement(codings, LEN20, codes=["x", "unused"])
    unused = report.codes[1]
    assert unused.kappa is None and unused.alpha is None and unused.percent == 1.0
    assert any("never applied" in n for n in unused.notes)
    assert any("alpha undefined" in n for n in unused.notes)
    assert report.kappa == pytest.approx(1.0)  # the unused code carries no weight


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_kappa_is_symmetric_in_the_coders(pairs: list[tuple[bool, bool]]) -> None:
    a = np.array([p[0] for p in pairs], dtype=np.int8)
    b = np.array([p[1] for p in pairs], dtype=np.int8)
    ab, ba = cohen_kappa(a, b), cohen_kappa(b, a)
    if ab is None:
        assert ba is None
    else:
        assert ba == pytest.approx(ab)


def test_disagreements_are_the_exact_maximal_runs() -> None:
    lengths = {"s": 10, "t": 10}
    codings = [c("A", 0, 5), c("B", 3, 8), c("A", 0, 4, source="t"), c("B", 4, 8, source="t")]
    segs = disagreements(codings, lengths, "x", ["A", "B"])
    assert segs == [
        Segment("x", "s", 0, 3, ("A",), ("B",)),
        Segment("x", "s", 5, 8, ("B",), ("A",)),
        # adjacent runs split where the set of coders who applied the code changes
        Segment("x", "t", 0, 4, ("A",), ("B",)),
        Segment("x", "t", 4, 8, ("B",), ("A",)),
    ]
    assert disagreements(codings, lengths, "other", ["A", "B"]) == []


def test_consensus_from_resolved_segments() -> None:
    lengths = {"s": 10}
    codings = [c("A", 0, 5), c("B", 3, 8), c("A", 8, 10, "y"), c("B", 8, 10, "y")]
    first, second = disagreements(codings, lengths, "x", ["A", "B"])
    out = consensus(codings, [Resolution(first, apply=True), Resolution(second, apply=False)])
    assert out == [
        Coding("consensus", "x", "s", 0, 5),  # accepted 0-3 joins the agreed 3-5
        Coding("consensus", "y", "s", 8, 10),
    ]
    # Unresolved segments stay out; agreed characters stay in.
    assert consensus(codings, []) == [
        Coding("consensus", "x", "s", 3, 5),
        Coding("consensus", "y", "s", 8, 10),
    ]


@pytest.mark.parametrize(
    ("coding", "words"),
    [
        (c("A", 0, 21), "outside the source"),
        (c("A", -1, 3), "outside the source"),
        (c("A", 5, 5), "must be before end"),
        (c("A", 0, 3, source="nope"), "unknown source"),
    ],
)
def test_bad_offsets_are_refused(coding: Coding, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        agreement([coding, c("B", 0, 3)], LEN20)
    with pytest.raises(Invalid, match=words):
        presence([coding], LEN20, "x", ["A"])


def test_bad_requests_are_refused_with_what_is_needed() -> None:
    with pytest.raises(Invalid, match="at least two coders"):
        agreement([c("A", 0, 3)], LEN20)
    with pytest.raises(Invalid, match="at least two coders"):
        disagreements([c("A", 0, 3)], LEN20, "x", ["A"])
    with pytest.raises(Invalid, match="more than once"):
        agreement([c("A", 0, 3)], LEN20, coders=["A", "A"])
    with pytest.raises(Invalid, match="unit='character'"):
        agreement([c("A", 0, 3), c("B", 0, 3)], LEN20, unit="word")
    with pytest.raises(Invalid, match="same units"):
        cohen_kappa(np.zeros(3, dtype=np.int8), np.zeros(4, dtype=np.int8))
    with pytest.raises(Invalid, match="at least two coders"):
        krippendorff_alpha([[1, 0, 1]])
