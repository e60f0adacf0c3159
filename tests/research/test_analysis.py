"""Analysis of coded segments: frequencies, the code x case matrix, co-occurrence, quotes.

Hand-computed on a tiny study: three cases (P01 technician at Leeds, P02 technician at York
who refused quotation, P03 manager at Leeds), a field note without a case, three codes."""

from __future__ import annotations

import pytest

from techforce.errors import Invalid
from techforce.research.analysis import (
    CaseRecord,
    CodeRecord,
    SegmentRecord,
    code_case_matrix,
    cooccurrence,
    frequencies,
    quote_table,
)

CAREERS = CodeRecord(1, ("Careers",))
PROMOTION = CodeRecord(2, ("Careers", "Promotion"))
TRAINING = CodeRecord(3, ("Training",))
CODES = [CAREERS, PROMOTION, TRAINING]


def case(id: int, pseudonym: str, ptype: str, inst: str, sex: str, *, quote: bool = True) -> CaseRecord:
    return CaseRecord(id, pseudonym, ptype, inst, {"sex": sex}, quote, True, False)


CASES = [
    case(1, "P01", "Technician", "Leeds", "F"),
    case(2, "P02", "Technician", "York", "M", quote=False),
    case(3, "P03", "Manager", "Leeds", "F"),
]
SOURCE = {10: (1, "int1.txt"), 11: (2, "int2.txt"), 12: (None, "notes.txt"), 13: (3, "int3.txt")}


def seg(
    id: int, source: int, code: CodeRecord, start: int, end: int, coder: str, text: str = ""
) -> SegmentRecord:
    case_id, name = SOURCE[source]
    return SegmentRecord(
        id, source, name, case_id, code.id, code.path, start, end, text or f"text {id}", coder
    )


SEGMENTS = [
    seg(1, 10, CAREERS, 0, 10, "ann"),
    seg(2, 10, PROMOTION, 5, 15, "ann"),  # overlaps 1
    seg(3, 10, TRAINING, 15, 20, "bob"),  # touches 2 (starts where 2 ends): no overlap
    seg(4, 11, CAREERS, 0, 5, "ann"),
    seg(5, 11, CAREERS, 10, 20, "bob"),
    seg(6, 11, TRAINING, 12, 14, "bob"),  # inside 5, same coder
    seg(7, 12, TRAINING, 0, 4, "ann"),  # a field note: no case
    seg(8, 13, PROMOTION, 0, 30, "ann"),
    seg(9, 13, TRAINING, 5, 6, "bob"),  # inside 8, other coder
]


def test_frequencies_by_case() -> None:
    table = frequencies(SEGMENTS, CASES)
    assert table.columns == ("code", "segments", "cases", "P01", "P02", "P03", "(no case)")
    assert table.rows == (
        ("Careers", 3, 2, 1, 2, 0, 0),
        ("Careers > Promotion", 2, 2, 1, 0, 1, 0),
        ("Training", 4, 3, 1, 1, 1, 1),
    )


def test_frequencies_by_built_in_and_free_attribute() -> None:
    by_inst = frequencies(SEGMENTS, CASES, by="institution")
    assert by_inst.columns == ("code", "segments", "cases", "Leeds (n=2)", "York (n=1)")
    assert by_inst.rows == (
        ("Careers", 3, 2, 1, 1),
        ("Careers > Promotion", 2, 2, 2, 0),
        ("Training", 4, 3, 2, 1),
    )
    by_sex = frequencies(SEGMENTS, CASES, by="sex")
    assert by_sex.columns[3:] == ("F (n=2)", "M (n=1)")
    assert by_sex.rows[0] == ("Careers", 3, 2, 1, 1)


def test_frequencies_unknown_attribute_lists_the_choices() -> None:
    with pytest.raises(Invalid) as caught:
        frequencies(SEGMENTS, CASES, by="age")
    assert "'age'" in caught.value.message
    for choice in ("case", "participant_type", "institution", "sex"):
        assert choice in caught.value.message


def test_segment_of_an_unknown_case_is_refused() -> None:
    stray = SegmentRecord(99, 10, "int1.txt", 42, 1, ("Careers",), 0, 3, "abc", "ann")
    with pytest.raises(Invalid, match="case 42"):
        frequencies([*SEGMENTS, stray], CASES)


def test_matrix_counts_and_presence() -> None:
    counts = code_case_matrix(SEGMENTS, CASES, CODES, mode="counts")
    assert counts.columns == ("code", "P01", "P02", "P03")
    assert counts.rows == (
        ("Careers", 1, 2, 0),
        ("Careers > Promotion", 1, 0, 1),
        ("Training", 1, 1, 1),
    )
    assert any("1 segment(s)" in n for n in counts.notes)  # the field note
    presence = code_case_matrix(SEGMENTS, CASES, CODES, mode="presence")
    assert presence.rows[0] == ("Careers", 1, 1, 0)


def test_matrix_keeps_unused_codes_in_the_given_order() -> None:
    unused = CodeRecord(4, ("Wellbeing",))
    table = code_case_matrix(SEGMENTS, CASES, [unused, TRAINING], mode="counts")
    assert table.rows == (("Wellbeing", 0, 0, 0), ("Training", 1, 1, 1))


def test_matrix_summaries_join_in_source_order_and_truncate() -> None:
    table = code_case_matrix(SEGMENTS, CASES, CODES, mode="summaries")
    assert table.rows[0] == ("Careers", "text 1", "text 4 | text 5", "")
    long = "word " * 100  # 500 characters
    many = [seg(20 + i, 10, CAREERS, 30 + i * 10, 35 + i * 10, "ann", long) for i in range(10)]
    cell = code_case_matrix(many, CASES, [CAREERS], mode="summaries").rows[0][1]
    assert isinstance(cell, str)
    first = cell.split(" | ")[0]
    assert first.endswith("…") and len(first) <= 201 and first.startswith("word word")
    assert cell.endswith("more)") and len(cell) < 1100


def test_matrix_unknown_mode() -> None:
    with pytest.raises(Invalid, match="counts, presence, summaries"):
        code_case_matrix(SEGMENTS, CASES, CODES, mode="heatmap")  # type: ignore[arg-type]


def test_cooccurrence_overlap_not_adjacency_any_coder() -> None:
    table = cooccurrence(SEGMENTS, CODES)
    assert table.columns == ("code", "Careers", "Careers > Promotion", "Training")
    assert table.rows == (
        ("Careers", 3, 1, 1),  # 1x2 overlap; 5x6 overlap
        ("Careers > Promotion", 1, 2, 1),  # 2-3 only touch; 8x9 by two coders counts
        ("Training", 1, 1, 4),
    )


def test_cooccurrence_same_coder_only() -> None:
    table = cooccurrence(SEGMENTS, CODES, same_coder=True)
    assert table.rows[1] == ("Careers > Promotion", 1, 2, 0)  # 8 (ann) x 9 (bob) no longer counts
    assert table.rows[0] == ("Careers", 3, 1, 1)


def test_cooccurrence_adjacent_segments_do_not_cooccur() -> None:
    a = seg(30, 10, CAREERS, 0, 10, "ann")
    b = seg(31, 10, TRAINING, 10, 20, "ann")
    c = seg(32, 11, TRAINING, 0, 10, "ann")  # same offsets, other source
    assert cooccurrence([a, b, c], [CAREERS, TRAINING]).rows == (("Careers", 1, 0), ("Training", 0, 2))
    d = seg(33, 10, TRAINING, 9, 20, "ann")  # one shared character
    assert cooccurrence([a, d], [CAREERS, TRAINING]).rows[0] == ("Careers", 1, 1)


def test_quote_table_withholds_refusals_and_flags_risk() -> None:
    table = quote_table(SEGMENTS, CASES, k=2, attribution=("participant_type", "institution"))
    speakers = {r[1] for r in table.rows}
    assert speakers == {"P01", "P03"}  # P02 refused quotation; the field note has no case
    assert any("4 segment(s)" in n and "not shown" in n for n in table.notes)
    row = next(r for r in table.rows if r[0] == "text 1")
    assert row[1:5] == ("P01", "Technician, Leeds", "Careers", "risk")
    assert row[6] in {"Leeds", "Technician"}
    safe = quote_table(SEGMENTS, CASES, k=1, attribution=("participant_type", "institution"))
    assert {r[4] for r in safe.rows} == {"safe"}
    shown = quote_table(SEGMENTS, CASES, k=1, attribution=("institution",), include_refused=True)
    assert {r[4] for r in shown.rows if r[0] in {"text 4", "text 7"}} == {"refused"}


def test_quote_table_marks_who_may_be_named() -> None:
    named = [CaseRecord(1, "P01", "Technician", "Leeds", {}, True, True, True)]
    table = quote_table([SEGMENTS[0]], named, k=1, attribution=("institution",))
    assert table.rows[0][1] == "P01 (may be named)"
