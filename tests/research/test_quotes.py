"""Quote safety: consent, the k rule at k-1 / k / k+1, coarsening and decisions."""

from __future__ import annotations

import pytest

from techforce.errors import Invalid, Refused
from techforce.research.quotes import Attribution, Decision, Verdict, check_quote, coarsen, decide
from techforce.research.records import CaseRecord

FULL = ("participant_type", "institution", "sex")
REGIONS = {"institution": {"Leeds": "Yorkshire", "York": "Yorkshire"}}


def case(id: int, ptype: str, inst: str, sex: str, *, quote: bool = True, name: bool = False) -> CaseRecord:
    attrs = {"sex": sex} if sex else {}
    return CaseRecord(id, f"P{id:02}", ptype, inst, attrs, quote, True, name)


# Technician x Leeds x F: cases 1, 2, 3 and 9 (9 refused quotation, but is still in the study).
CASES = [
    case(1, "Technician", "Leeds", "F"),
    case(2, "Technician", "Leeds", "F"),
    case(3, "Technician", "Leeds", "F"),
    case(4, "Technician", "Leeds", "M"),
    case(5, "Technician", "York", "F"),
    case(6, "Technician", "York", "F"),
    case(7, "Manager", "York", "M"),
    case(8, "Manager", "York", "M"),
    case(9, "Technician", "Leeds", "F", quote=False),
]


@pytest.mark.parametrize(("k", "verdict"), [(3, Verdict.SAFE), (4, Verdict.SAFE), (5, Verdict.RISK)])
def test_k_rule_around_the_matching_count(k: int, verdict: Verdict) -> None:
    check = check_quote(CASES[0], CASES, attribution=FULL, k=k)
    assert check.attribution.matching == 4
    assert check.attribution.text == "Technician, Leeds, F"
    assert check.verdict is verdict
    assert bool(check.proposals) is (verdict is Verdict.RISK)


def test_no_consent_is_refused_whatever_the_attribution() -> None:
    check = check_quote(CASES[8], CASES, attribution=(), k=1)
    assert check.verdict is Verdict.REFUSED
    assert "not consented" in check.reasons[0]
    assert check.proposals == ()
    with pytest.raises(Refused, match="not consented"):
        decide(check, Decision.PUBLISH)
    with pytest.raises(Refused):
        decide(check, Decision.COARSEN, Attribution((), (), (), 9))
    blocked = decide(check, Decision.BLOCK)
    assert not blocked.publish and blocked.attribution is None


def test_coarsening_drops_the_most_identifying_field_until_k() -> None:
    # P04 is the only male technician at Leeds; "M" is the rarest value (3 cases), so sex goes.
    check = check_quote(CASES[3], CASES, attribution=FULL, k=3)
    assert check.verdict is Verdict.RISK and check.attribution.matching == 1
    assert [p.text for p in check.proposals] == ["Technician, Leeds"]
    assert check.proposals[0].matching == 5 >= 3
    chosen = decide(check, Decision.COARSEN, check.proposals[0])
    assert chosen.publish and chosen.attribution == check.proposals[0]


def test_coarsening_generalises_institution_to_a_broader_group_first() -> None:
    check = check_quote(CASES[4], CASES, attribution=("participant_type", "institution"), k=3, groups=REGIONS)
    assert check.attribution.matching == 2
    best = check.proposals[0]
    assert best.values == ("Technician", "Yorkshire") and best.generalised == ("institution",)
    assert best.matching == 7
    texts = [p.text for p in check.proposals]
    assert set(texts) == {"Technician, Yorkshire", "York", "Technician"}
    assert all(p.matching >= 3 for p in check.proposals)


def test_one_label_for_every_institution() -> None:
    proposals = coarsen(
        CASES[4],
        CASES,
        attribution=("participant_type", "institution"),
        k=3,
        groups={"institution": "a UK provider"},
    )
    assert proposals[0].text == "Technician, a UK provider" and proposals[0].matching == 7


def test_coarsening_reaches_k_through_several_steps() -> None:
    # k = 8: no single change is enough. Leeds (5 cases) is the rarest value: generalised to
    # Yorkshire (6 match); then F (6) goes (7 match); then Technician (7) goes: Yorkshire (9).
    proposals = coarsen(CASES[0], CASES, attribution=FULL, k=8, groups=REGIONS)
    assert [(p.text, p.generalised, p.matching) for p in proposals] == [("Yorkshire", ("institution",), 9)]


def test_study_smaller_than_k_has_no_safe_attribution() -> None:
    check = check_quote(CASES[0], CASES, attribution=FULL, k=20)
    assert check.verdict is Verdict.RISK and check.proposals == ()
    assert "block" in check.reasons[-1]


def test_publish_as_is_only_when_safe() -> None:
    risky = check_quote(CASES[3], CASES, attribution=FULL, k=3)
    with pytest.raises(Refused, match="at risk"):
        decide(risky, Decision.PUBLISH)
    with pytest.raises(Invalid, match="proposed"):
        decide(risky, Decision.COARSEN, Attribution(("sex",), (), ("M",), 3))
    with pytest.raises(Invalid):
        decide(risky, Decision.COARSEN)
    safe = check_quote(CASES[0], CASES, attribution=FULL, k=2)
    done = decide(safe, Decision.PUBLISH)
    assert done.publish and done.attribution == safe.attribution and done.speaker == "P01"


def test_blank_attribute_is_left_out_and_may_name_reported() -> None:
    cases = [*CASES, case(10, "Technician", "Leeds", "", name=True)]
    check = check_quote(cases[-1], cases, attribution=FULL, k=3)
    assert check.attribution.fields == ("participant_type", "institution")
    assert any("left out: sex" in r for r in check.reasons)
    assert check.may_name and check.speaker == "P10"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attribution": ("age",), "k": 2}, "choose one of"),
        ({"attribution": ("sex", "sex"), "k": 2}, "repeats"),
        ({"attribution": ("sex",), "k": 0}, "at least 1"),
    ],
)
def test_bad_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        check_quote(CASES[0], CASES, **kwargs)  # type: ignore[arg-type]


def test_case_outside_the_study() -> None:
    with pytest.raises(Invalid, match="not one of the study's cases"):
        check_quote(case(99, "Technician", "Leeds", "F"), CASES, attribution=FULL, k=2)
