"""Audit findings, played as attacks (round d): survey percentages that undo the rounding,
differencing two survey tables grouped by different attributes, and coders reading other
coders' codings on a case study's page.

The survey attacker is a viewer who knows the published method (rule set, perturbation
table, how percentages are worked out) and reads protected tables only."""

from __future__ import annotations

import random

import pytest

from techforce import errors
from techforce.disclosure import RULE_SETS
from techforce.research import analysis_pages, quote_pages, quoting, service
from techforce.research.service import StudyIn
from techforce.research.survey_tables import ALL, SurveyTable, groupable, item_table
from techforce.research.surveys import Item, Respondent, Survey
from tests.research.conftest import CODER_A, CODER_B, OWNER, VIEWER, StudyWorld

SCALE = ["SD", "D", "N", "A", "SA"]
KEY = b"k" * 32
RULES = RULE_SETS["hesa-standard"]


# ---------------------------------------------------------------- 1: percentages undo the rounding


def _one_disagrees() -> Survey:
    """The auditor's t4 case: 40 respondents, exactly one strongly disagrees."""
    rng = random.Random(1)
    people = [
        Respondent(f"R{i}", {"site": "A" if i < 28 else "B"}, {"Q": 1 if i == 0 else rng.choice([3, 4, 5])})
        for i in range(40)
    ]
    return Survey(people, [Item("Q", "likert", SCALE, "I feel supported"), Item("site", "attribute")])


def _sizes_solving(percents: list[float]) -> list[int]:
    """The attack: the group sizes for which every percentage is a whole count's share."""
    return [
        size
        for size in range(20, 61)
        if all(abs(p * size / 100 - round(p * size / 100)) < 0.06 for p in percents)
    ]


def _check_shown(table: SurveyTable) -> None:
    """Every percentage is the whole percent of a shown count over the row's shown counts;
    a count shown as the zero range, or hidden, has no percentage."""
    for row in table.cells:
        counts = [row[1 + 2 * j] for j in range(len(SCALE))]
        total = sum(int(c.value) for c in counts if isinstance(c.value, int))
        for j, count in enumerate(counts):
            share = row[2 + 2 * j]
            if count.display == RULES.zero_range or count.suppressed:
                assert share.suppressed and share.display == RULES.marker
            elif not share.suppressed:
                assert isinstance(count.value, int)
                assert share.value == int(100 * count.value / total + 0.5)
                assert share.display == f"{share.value}%"


def test_percentages_come_from_the_shown_counts_in_whole_percent() -> None:
    table = item_table(_one_disagrees(), "Q", None, key=KEY, rules=RULES)
    row = table.rows[0]
    assert row[0] == ALL and row[2] == RULES.zero_range  # the one "Strongly disagree" is a range
    assert row[3] == RULES.marker  # ... with no percentage beside it to prove someone said it
    _check_shown(table)
    by_site = item_table(_one_disagrees(), "Q", "site", key=KEY, rules=RULES)
    _check_shown(by_site)


def test_the_group_size_cannot_be_solved_from_the_percentages() -> None:
    table = item_table(_one_disagrees(), "Q", None, key=KEY, rules=RULES)
    percents = [v for v in table.rows[0][3:-1:2] if isinstance(v, int | float)]
    assert percents and all(isinstance(p, int) for p in percents)
    # with whole percents of counts rounded to 5, many sizes fit: the attack no longer
    # narrows the perturbed size down to one (before the fix: only 37 fitted)
    assert len(_sizes_solving(percents)) != 1


def test_the_owner_still_sees_true_counts_and_percentages() -> None:
    full = item_table(_one_disagrees(), "Q", None, key=KEY, rules=RULES, full_access=True)
    assert full.rows[0][1:4] == (40, 1, 2.5)


def test_the_survey_chart_plots_the_shown_percentages() -> None:
    table = item_table(_one_disagrees(), "Q", None, key=KEY, rules=RULES)
    chart = analysis_pages._survey_chart(table.title, [ALL], table.cells, SCALE, "g" * 32)
    plotted = {r["answer"]: (r["percent"], r["shown"]) for r in chart.rows}
    assert plotted["SD"] == (None, RULES.marker)
    assert [plotted[p][0] for p in SCALE] == [table.cells[0][2 + 2 * j].value for j in range(len(SCALE))]
    assert all(isinstance(plotted[p][0], int) for p in ("N", "A", "SA"))  # whole percents, as in the table


# ---------------------------------------------------------------- 2: differencing across attributes


def _auditor_t12() -> Survey:
    """x: A (25), B (24), C (3); y: Y1 = A and C, Y2 = B. The 3 of C all strongly disagree."""
    rng = random.Random(7)
    people = []
    for i in range(52):
        group = "A" if i < 25 else ("B" if i < 49 else "C")
        answer = 1 if group == "C" else rng.choice([2, 3, 4, 5])
        attributes = {"x": group, "y": "Y2" if group == "B" else "Y1"}
        people.append(Respondent(f"R{i}", attributes, {"Q": answer}))
    items = [Item("Q", "likert", SCALE, "Q"), Item("x", "attribute"), Item("y", "attribute")]
    return Survey(people, items)


def test_a_second_attribute_that_would_isolate_a_small_group_is_refused() -> None:
    data = _auditor_t12()
    by_x = item_table(data, "Q", "x", key=KEY, rules=RULES)
    assert "C" not in [r[0] for r in by_x.rows]  # suppressed within the table, as before
    with pytest.raises(errors.Refused, match=r"'y'.*small groups would be disclosed"):
        item_table(data, "Q", "y", key=KEY, rules=RULES)
    assert groupable(data, "Q", key=KEY, rules=RULES) == ["x"]
    owner = item_table(data, "Q", "y", key=KEY, rules=RULES, full_access=True)  # owners may
    assert [r[0] for r in owner.rows] == [ALL, "Y1", "Y2"]


def test_groups_all_large_but_differing_by_a_few_are_refused_too() -> None:
    # x: A (25) | B+C (27); y: A+C (28) | B (24): every group is large, yet y=Y1 less x=A is C
    people = [
        Respondent(f"R{i}", {"x": "A" if i < 25 else "BC", "y": "Y2" if 25 <= i < 49 else "Y1"}, {"Q": 4})
        for i in range(52)
    ]
    data = Survey(people, [Item("Q", "likert", SCALE, "Q"), Item("x", "attribute"), Item("y", "attribute")])
    assert groupable(data, "Q", key=KEY, rules=RULES) == ["x"]
    with pytest.raises(errors.Refused, match="'y'"):
        item_table(data, "Q", "y", key=KEY, rules=RULES)


def test_attributes_whose_crossing_leaves_no_small_cell_are_all_offered() -> None:
    rng = random.Random(3)
    people = [
        Respondent(f"R{i}", {"site": "AB"[i % 2], "sex": "FM"[(i // 2) % 2]}, {"Q": rng.randint(1, 5)})
        for i in range(120)
    ]
    items = [Item("Q", "likert", SCALE, "Q"), Item("site", "attribute"), Item("sex", "attribute")]
    data = Survey(people, items)
    assert groupable(data, "Q", key=KEY, rules=RULES) == ["site", "sex"]
    assert [r[0] for r in item_table(data, "Q", "sex", key=KEY, rules=RULES).rows] == [ALL, "F", "M"]


def test_the_survey_page_offers_viewers_only_the_attributes_they_may_use(study: StudyWorld) -> None:
    db = study.db  # its users exist
    lines = ["id,x,y,I have a clear career route"]
    # A (50) and B (30) above the threshold whatever the noise; C: 3. B, the smaller, is hidden
    # with C in the table by x, so x reveals A and B+C; y (A+C, B) would then isolate C.
    for i in range(83):
        group = "A" if i < 50 else ("B" if i < 80 else "C")
        answer = "Strongly disagree" if group == "C" else ("Agree", "Disagree", "Strongly agree")[i % 3]
        lines.append(f"R{i:02},{group},{'Y2' if group == 'B' else 'Y1'},{answer}")
    with db.session() as s:
        st = service.create_study(s, StudyIn(name="Technician survey", kind="survey"), actor=OWNER)
        service.set_member(s, st.guid, VIEWER, "viewer", actor=OWNER)
        kinds = {"x": "attribute", "y": "attribute"}
        service.import_survey(s, st.guid, "\n".join(lines).encode(), "s.csv", actor=OWNER, kinds=kinds)
        guid = st.guid
    with db.session() as s:
        page = analysis_pages.survey_page(s, guid, VIEWER, key=KEY, rules=RULES)
        offered = [o.value for o in page.controls[1].options]
        assert "x" in offered and "y" not in offered  # the page adds the cases' attributes too
        with pytest.raises(errors.Refused, match="'y'"):
            analysis_pages.survey_page(s, guid, VIEWER, key=KEY, rules=RULES, by="y")
        full = analysis_pages.survey_page(s, guid, OWNER, key=KEY, rules=RULES, by="y", counts="true")
        assert {"x", "y"} <= {o.value for o in full.controls[1].options}
        assert [r[0] for r in full.table.rows] == [ALL, "Y1", "Y2"]


# ---------------------------------------------------------------- 3: case studies and blind coding

K = 2
BLIND = "[quote withheld while coding is blind]"


def test_coders_do_not_read_codings_on_a_case_study_page(study: StudyWorld) -> None:
    from techforce.research import coding

    with study.db.session() as s:
        st = service.study(s, study.guid)
        rows = coding.codings_of(s, st.id, source_id=study.sources[0], coder=CODER_A)
        ceiling = next(r.id for r in rows if r.code_id == study.codes["Careers/Grade ceiling"])
        quoting.decide_quote(s, study.guid, ceiling, "coarsen", {"institution": "10007792"}, actor=OWNER, k=K)
    with study.db.session() as s:
        made = quoting.save_case_study(
            s, study.guid, {"title": "Leeds", "ukprn": "10007792", "quotes": [ceiling]}, actor=OWNER, k=K
        )
        guid = made.guid

    def seen(who: str) -> tuple[int, str, str]:
        with study.db.session() as s:
            quote = quote_pages.case_study_page(s, study.guid, guid, who, k=K).quotes[0]
            return quote.coding_id, quote.text, quote.code

    text = "The grade ceiling at grade 8 stopped me for a decade."
    for coder in (CODER_B, CODER_A):  # another coder's coding, and (blind either way) their own
        coding_id, shown, code = seen(coder)
        assert (coding_id, shown) == (-1, BLIND) and "Grade ceiling" not in code
    assert seen(VIEWER)[:2] == (ceiling, text) and "Grade ceiling" in seen(VIEWER)[2]
    assert seen(OWNER)[:2] == (ceiling, text)
    with study.db.session() as s:  # the quotes page treats coders the same way
        assert quote_pages.quotes_page(s, study.guid, CODER_B, k=K).published.rows == []
