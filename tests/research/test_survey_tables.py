"""Survey distributions through the disclosure gate: small groups, perturbation, zeros, stamps."""

from __future__ import annotations

import json
import random

import pytest

from techforce.disclosure import KEY_MODULUS, RULE_SETS, DisclosureError, round_count
from techforce.errors import Invalid
from techforce.research.survey_tables import ALL, item_table, record_key
from techforce.research.surveys import Item, Respondent, Survey

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
KEY = b"study-7-disclosure-key"
RULES = RULE_SETS["hesa-standard"]


def survey(groups: dict[str, int], *, seed: int = 1) -> Survey:
    """Respondents per institution; nobody strongly disagrees (a true zero in every row)."""
    rng = random.Random(seed)
    people = []
    for inst, n in groups.items():
        for i in range(n):
            point = rng.choice([2, 3, 4, 5, None]) if i else 4
            people.append(Respondent(f"{inst}-{i}", {"inst": inst}, {"Q1": point}, {"Why": "free text"}))
    items = [
        Item("id", "id"),
        Item("inst", "attribute"),
        Item("Q1", "likert", AGREE, "The induction was useful"),
        Item("Why", "free_text"),
    ]
    return Survey(people, items)


def expected(people: list[Respondent]) -> float:
    key = sum(record_key(KEY, r.id) for r in people) % KEY_MODULUS
    return RULES.perturb(float(len(people)), key) or 0.0


def test_small_groups_are_combined_and_suppressed_unnamed() -> None:
    table = item_table(survey({"Leeds": 40, "York": 2, "Hull": 3}), "Q1", "inst", key=KEY, rules=RULES)
    labels = [r[0] for r in table.rows]
    assert labels[0] == ALL and labels[1] == "Leeds"
    assert labels[2].startswith("Smaller groups combined")
    assert not any("York" in str(v) or "Hull" in str(v) for row in table.rows for v in row)
    assert set(table.rows[2][1:-1]) == {".."}
    assert all(c.suppressed for c in table.cells[2])


def test_small_groups_combined_can_be_shown_when_enough() -> None:
    groups = {"Leeds": 40} | {f"Inst{i}": 3 for i in range(12)}  # 36 people in small groups
    table = item_table(survey(groups), "Q1", "inst", key=KEY, rules=RULES)
    assert [r[0] for r in table.rows][2].startswith("Smaller groups combined")
    assert isinstance(table.rows[2][1], int) and table.rows[2][1] >= 30


def test_counts_are_perturbed_with_record_keys_then_rounded() -> None:
    data = survey({"Leeds": 40, "York": 30})
    table = item_table(data, "Q1", "inst", key=KEY, rules=RULES)
    leeds = [r for r in data.respondents if r.attributes["inst"] == "Leeds" and r.likert["Q1"] is not None]
    assert table.rows[1][0] == "Leeds"
    assert table.rows[1][1] == round_count(expected(leeds))
    agree = [r for r in leeds if r.likert["Q1"] == 4]
    assert table.cells[1][7].value == round_count(expected(agree))  # answered, then (n, %) per point
    shown = sum(
        int(c.value) for c in table.cells[1][1::2] if isinstance(c.value, int)
    )  # the row's shown counts
    assert table.cells[1][8].value == int(100 * table.cells[1][7].value / shown + 0.5)  # whole %, from shown
    for row in table.rows:
        counts = [row[1], *row[2:-1:2]]
        assert all(not isinstance(v, int) or v % 5 == 0 for v in counts)


def test_same_respondents_same_answer_in_any_order() -> None:
    data = survey({"Leeds": 40, "York": 30})
    first = item_table(data, "Q1", "inst", key=KEY, rules=RULES)
    shuffled = Survey(list(reversed(data.respondents)), data.items)
    assert item_table(shuffled, "Q1", "inst", key=KEY, rules=RULES).rows == first.rows
    assert item_table(data, "Q1", "inst", key=KEY, rules=RULES) == first


def test_a_true_zero_stays_zero() -> None:
    table = item_table(survey({"Leeds": 40, "York": 30}), "Q1", "inst", key=KEY, rules=RULES)
    for row in table.cells:
        strongly_disagree, share = row[1], row[2]
        assert strongly_disagree.value == 0 and share.suppressed  # a range has no percentage
    assert table.rows[1][2] == RULES.zero_range  # shown as the range a zero stands for


def test_stamp_on_table_and_rows() -> None:
    table = item_table(survey({"Leeds": 40}), "Q1", key=KEY, rules=RULES)
    assert table.protected and table.rules == RULES.stamp == "hesa-standard@v2+ckm-3"
    assert table.columns[-1] == "rules" and {r[-1] for r in table.rows} == {RULES.stamp}
    assert table.title == "The induction was useful"
    assert table.as_dict()["cells"][0][0]["reason"].startswith("rounded")


def test_full_access_gets_true_counts() -> None:
    data = survey({"Leeds": 40, "York": 2})
    table = item_table(data, "Q1", "inst", key=KEY, rules=RULES, full_access=True)
    york = [r for r in data.respondents if r.attributes["inst"] == "York" and r.likert["Q1"] is not None]
    assert [r[0] for r in table.rows] == [ALL, "Leeds", "York"]
    assert table.rows[2][1] == len(york) and isinstance(table.rows[2][1], int)
    assert json.loads(json.dumps(table.as_dict()))["rules"] == "unrounded"
    assert not table.protected and table.rules == "unrounded"


def test_unrounded_rules_refused_for_protected_viewers() -> None:
    with pytest.raises(DisclosureError, match="full access"):
        item_table(survey({"Leeds": 40}), "Q1", key=KEY, rules=RULE_SETS["unrounded"])


def test_record_keys() -> None:
    a = record_key(KEY, "R1")
    assert 0 <= a < KEY_MODULUS and a == record_key(KEY, "R1")
    assert a != record_key(KEY, "R1", scope="survey-2") and a != record_key(b"other", "R1")
    with pytest.raises(Invalid, match="secret key"):
        record_key(b"", "R1")


def test_wrong_columns() -> None:
    data = survey({"Leeds": 40})
    with pytest.raises(Invalid, match="not a Likert item"):
        item_table(data, "Why", key=KEY, rules=RULES)
    with pytest.raises(Invalid, match="not an attribute"):
        item_table(data, "Q1", "Why", key=KEY, rules=RULES)
    with pytest.raises(Invalid, match="no column"):
        item_table(data, "Q9", key=KEY, rules=RULES)
