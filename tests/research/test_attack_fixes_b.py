"""Audit findings, played as attacks: differencing a survey table's small groups out of the
total (secondary suppression), and blind coding leaking through error messages (another
coder's coding, memo or suggestion must look exactly like one that does not exist).

The survey attacker is a viewer who knows the published method (rule set, perturbation
table): for every column they take "All respondents" less every group shown; that residual
must never stand for one suppressed row alone."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.disclosure import RULE_SETS
from techforce.research import analysis_pages, coding, service
from techforce.research.coding import MemoIn
from techforce.research.models import Coding, Suggestion
from techforce.research.service import StudyIn
from techforce.research.survey_tables import ALL, SurveyTable, item_table
from techforce.research.surveys import Item, Respondent, Survey
from tests.research.conftest import CODER_A, CODER_B, OWNER, VIEWER, StudyWorld

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
KEY = b"audit-b-disclosure-key"
RULES = RULE_SETS["hesa-standard"]
MISSING = 987_654


def survey(groups: dict[str, int], *, seed: int) -> Survey:
    rng = random.Random(seed)
    people = [
        Respondent(f"{inst}-{i}", {"inst": inst}, {"Q1": rng.choice([1, 2, 3, 4, 5])}, {})
        for inst, n in groups.items()
        for i in range(n)
    ]
    items = [Item("id", "id"), Item("inst", "attribute"), Item("Q1", "likert", AGREE, "Useful")]
    return Survey(people, items)


def residuals(table: SurveyTable) -> dict[int, tuple[float | None, int]]:
    """The attack: per count column, All less every group shown, and how many rows (groups or
    the combined row) that residual stands for (the rows whose cell in that column is hidden)."""
    count_columns = [1, *range(2, len(table.columns) - 1, 2)]  # answered, then n per scale point
    out: dict[int, tuple[float | None, int]] = {}
    for col in count_columns:
        total = table.cells[0][col - 1]
        rest = [row[col - 1] for row in table.cells[1:]]
        hidden = sum(1 for c in rest if c.suppressed)
        if total.suppressed or not isinstance(total.value, int | float):
            out[col] = (None, hidden)
            continue
        shown = sum(float(c.value) for c in rest if isinstance(c.value, int | float))
        out[col] = (float(total.value) - shown, hidden)
    return out


CASES = [
    {"Leeds": 40, "York": 30, "Hull": 2},  # one small group: the combined row is that group
    {"Leeds": 40, "York": 2, "Hull": 3},  # one group shown, two small ones
    {"Leeds": 60, "York": 45, "Hull": 28, "Selby": 1},
]


@pytest.mark.parametrize("groups", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_total_less_the_groups_shown_never_reveals_one_hidden_row(
    groups: dict[str, int], seed: int
) -> None:
    data = survey(groups, seed=seed)
    table = item_table(data, "Q1", "inst", key=KEY, rules=RULES)
    small = [r for r in data.respondents if groups[r.attributes["inst"]] < 10]
    assert table.rows[0][0] == ALL and any(c.suppressed for c in table.cells[-1])
    for col, (residual, hidden) in residuals(table).items():
        # the residual is the sum of at least two hidden rows (or there is no total to subtract from)
        assert residual is None or hidden >= 2, (col, table.rows)
    residual, _ = residuals(table)[1]
    if residual is not None:  # answered: the estimate is nowhere near the small groups' size
        assert abs(residual - len(small)) > 10, (residual, len(small), table.rows)
    names = {r.attributes["inst"] for r in small}
    assert not any(str(v) in names for row in table.rows for v in row)


def test_a_large_enough_combined_row_suppresses_nothing_more() -> None:
    groups = {"Leeds": 40} | {f"Inst{i}": 3 for i in range(12)}
    table = item_table(survey(groups, seed=1), "Q1", "inst", key=KEY, rules=RULES)
    assert not any(c.suppressed for row in table.cells for c in row[:1])
    assert isinstance(table.rows[1][1], int) and table.rows[1][0] == "Leeds"


def test_secondary_suppression_says_why() -> None:
    table = item_table(survey(CASES[0], seed=1), "Q1", "inst", key=KEY, rules=RULES)
    reasons = {c.reason for row in table.cells for c in row if c.suppressed}
    assert any("worked out from the total" in r for r in reasons)
    assert any("fewer than 22.5" in r for r in reasons)
    assert [r[0] for r in table.rows][:3] == [ALL, "Leeds", "York"]  # named, but York's figures hidden
    assert set(table.rows[2][1:-1]) == {RULES.marker}
    assert isinstance(table.rows[1][1], int)  # the larger group stays shown


def test_owners_full_access_keeps_every_true_count() -> None:
    data = survey(CASES[0], seed=1)
    table = item_table(data, "Q1", "inst", key=KEY, rules=RULES, full_access=True)
    assert [r[0] for r in table.rows] == [ALL, "Hull", "Leeds", "York"]
    assert [r[1] for r in table.rows] == [72, 2, 40, 30]
    assert not any(c.suppressed for row in table.cells for c in row)


def test_a_viewer_of_a_stored_survey_cannot_difference_the_small_group(study: StudyWorld) -> None:
    lines = ["id,institution,The induction was useful"]
    lines += [f"L{n:02},Leeds,{AGREE[n % 5]}" for n in range(40)]
    lines += [f"Y{n:02},York,{AGREE[(n * 3) % 5]}" for n in range(30)]
    lines += ["H01,Hull,Agree", "H02,Hull,Strongly disagree"]
    with study.db.session() as s:
        st = service.create_study(s, StudyIn(name="Induction survey", kind="survey"), actor=OWNER)
        service.set_member(s, st.guid, VIEWER, "viewer", actor=OWNER)
        service.import_survey(
            s, st.guid, "\n".join(lines).encode(), "survey.csv", actor=OWNER, institution_column="institution"
        )
        guid = st.guid
    with study.db.session() as s:
        page = analysis_pages.survey_page(s, guid, VIEWER, key=KEY, rules=RULES, by="institution")
        rows = page.table.rows
        assert page.protected and "Hull" not in {str(r[0]) for r in rows}
        hidden = [r for r in rows if r[1] == RULES.marker]
        assert len(hidden) >= 2, rows  # the combined row and one more: All less the rest is two rows
        true = analysis_pages.survey_page(
            s, guid, OWNER, key=KEY, rules=RULES, by="institution", counts="true"
        ).table.rows
        assert {str(r[0]): r[1] for r in true} == {ALL: 72, "Hull": 2, "Leeds": 40, "York": 30}


# ---------------------------------------------------------------- blind coding: error messages


def _message(exc: pytest.ExceptionInfo[errors.TechforceError], number: int) -> tuple[type, str]:
    return type(exc.value), re.sub(rf"\b{number}\b", "N", exc.value.message)


def test_removing_another_coders_coding_looks_like_a_missing_one(study: StudyWorld) -> None:
    with study.db.session() as s:
        st = service.study(s, study.guid)
        theirs = coding.codings_of(s, st.id, coder=CODER_A)[0].id
    with study.db.session() as s, pytest.raises(errors.TechforceError) as other:
        coding.remove_coding(s, study.guid, theirs, actor=CODER_B)
    with study.db.session() as s, pytest.raises(errors.TechforceError) as missing:
        coding.remove_coding(s, study.guid, MISSING, actor=CODER_B)
    assert _message(other, theirs) == _message(missing, MISSING)
    assert isinstance(other.value, errors.NotFound) and CODER_A not in other.value.message
    with study.db.session() as s:  # nothing removed; the owner still may
        assert s.get(Coding, theirs) is not None
        coding.remove_coding(s, study.guid, theirs, actor=OWNER, owner=True)
    with study.db.session() as s:
        assert s.get(Coding, theirs) is None


def test_a_consensus_coding_is_missing_to_a_coder(study: StudyWorld) -> None:
    with study.db.session() as s:
        coding.resolve(s, study.guid, study.codes["Support"], study.sources[1], 0, 5, True, actor=OWNER)
    with study.db.session() as s:
        st = service.study(s, study.guid)
        agreed = coding.codings_of(s, st.id, layer=coding.CONSENSUS)[0].id
    with study.db.session() as s, pytest.raises(errors.TechforceError) as other:
        coding.remove_coding(s, study.guid, agreed, actor=CODER_A)
    with study.db.session() as s, pytest.raises(errors.TechforceError) as missing:
        coding.remove_coding(s, study.guid, MISSING, actor=CODER_A)
    assert _message(other, agreed) == _message(missing, MISSING)


def test_a_memo_on_another_coders_coding_looks_like_a_missing_coding(study: StudyWorld) -> None:
    with study.db.session() as s:
        st = service.study(s, study.guid)
        theirs = coding.codings_of(s, st.id, coder=CODER_A)[0].id
        mine = coding.codings_of(s, st.id, coder=CODER_B)[0].id
    with study.db.session() as s, pytest.raises(errors.TechforceError) as other:
        coding.save_memo(s, study.guid, MemoIn(text="peek", coding_id=theirs), actor=CODER_B)
    with study.db.session() as s, pytest.raises(errors.TechforceError) as missing:
        coding.save_memo(s, study.guid, MemoIn(text="peek", coding_id=MISSING), actor=CODER_B)
    assert _message(other, theirs) == _message(missing, MISSING)
    assert isinstance(other.value, errors.NotFound)
    with study.db.session() as s:  # on one's own coding, and an owner on any: written
        assert coding.save_memo(s, study.guid, MemoIn(text="mine", coding_id=mine), actor=CODER_B).id
        assert coding.save_memo(s, study.guid, MemoIn(text="x", coding_id=theirs), actor=OWNER, owner=True).id


def test_another_authors_memo_looks_like_a_missing_one(study: StudyWorld) -> None:
    with study.db.session() as s:
        memo = coding.save_memo(
            s, study.guid, MemoIn(text="colin's", source_id=study.sources[0]), actor=CODER_A
        )
        memo_id = memo.id
    for act in (
        lambda s, n: coding.remove_memo(s, study.guid, n, actor=CODER_B),
        lambda s, n: coding.save_memo(s, study.guid, MemoIn(text="edit"), actor=CODER_B, memo_id=n),
    ):
        with study.db.session() as s, pytest.raises(errors.TechforceError) as other:
            act(s, memo_id)
        with study.db.session() as s, pytest.raises(errors.TechforceError) as missing:
            act(s, MISSING)
        assert _message(other, memo_id) == _message(missing, MISSING)
        assert CODER_A not in other.value.message
    with study.db.session() as s, pytest.raises(errors.Forbidden, match=f"{CODER_A}'s"):  # owners: unchanged
        coding.remove_memo(s, study.guid, memo_id, actor=OWNER, owner=True)


def _suggest(study: StudyWorld, actor: str) -> list[int]:
    with study.db.session() as s:
        coding.store_suggestions(
            s,
            study.guid,
            study.codes["Support"],
            [
                coding.Proposed(study.sources[0], 0, 20, 0.61, "all-MiniLM-L6-v2", "0.1.0"),
                coding.Proposed(study.sources[0], 30, 60, 0.55, "all-MiniLM-L6-v2", "0.1.0"),
            ],
            actor=actor,
        )
        return list(s.scalars(select(Suggestion.id).where(Suggestion.requested_by == actor)))


def test_another_coders_suggestion_looks_like_a_missing_one(study: StudyWorld) -> None:
    first, second = _suggest(study, CODER_A)
    with study.db.session() as s:
        coding.decide_suggestion(s, study.guid, first, True, actor=CODER_A)
    for number, accept in ((first, True), (second, True), (second, False)):  # decided and open ones
        with study.db.session() as s, pytest.raises(errors.TechforceError) as other:
            coding.decide_suggestion(s, study.guid, number, accept, actor=CODER_B)
        with study.db.session() as s, pytest.raises(errors.TechforceError) as missing:
            coding.decide_suggestion(s, study.guid, MISSING, accept, actor=CODER_B)
        assert _message(other, number) == _message(missing, MISSING)
        assert isinstance(other.value, errors.NotFound) and CODER_A not in other.value.message
    with study.db.session() as s:  # coder B made no coding from colin's suggestion
        st = service.study(s, study.guid)
        assert all(c.start != 30 for c in coding.codings_of(s, st.id, coder=CODER_B))
        row = s.get(Suggestion, second)
        assert row is not None and row.status == "open"
    with study.db.session() as s, pytest.raises(errors.Refused, match=f"accepted by {CODER_A}"):
        coding.decide_suggestion(s, study.guid, first, False, actor=CODER_A)  # one's own: named
    with study.db.session() as s, pytest.raises(errors.Refused, match=f"accepted by {CODER_A}"):
        coding.decide_suggestion(s, study.guid, first, False, actor=OWNER, owner=True)  # owners: unchanged
    with study.db.session() as s:
        assert coding.decide_suggestion(s, study.guid, second, False, actor=OWNER, owner=True) is None
    with study.db.session() as s, pytest.raises(errors.Refused) as decided:
        coding.decide_suggestion(s, study.guid, second, True, actor=CODER_A)
    assert OWNER not in decided.value.message  # decided by someone else: not named to a coder
