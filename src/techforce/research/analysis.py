"""Analysis of a study's coded segments: code frequencies, the code × case matrix, code
co-occurrence and the quote table (issue 11, items 5 and 6).

Pure functions over :class:`CaseRecord` and :class:`SegmentRecord` lists that the study's
service reads from the store; each returns a :class:`~techforce.research.records.Table`
(``columns``, ``rows``, ``notes``) that HTML, JSON, CSV and XLSX show alike.

These tables are for the study team, who may see every case. Verbatim text (matrix
summaries, quotes) is their working material; only :func:`quote_table` says what may leave
the team, through the consent and k rules of :mod:`techforce.research.quotes`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

from techforce.errors import Invalid
from techforce.research.quotes import Groups, Verdict, check_quote
from techforce.research.records import (
    CaseRecord,
    CodeRecord,
    SegmentRecord,
    Table,
    Value,
    attribute_value,
    check_attribute,
    code_label,
    unique_columns,
)

__all__ = [
    "CaseRecord",
    "CodeRecord",
    "SegmentRecord",
    "Table",
    "code_case_matrix",
    "cooccurrence",
    "frequencies",
    "quote_table",
]

Mode = Literal["counts", "presence", "summaries"]
MODES: tuple[str, ...] = ("counts", "presence", "summaries")
NO_CASE = "(no case)"
NOT_RECORDED = "(not recorded)"
QUOTE_CHARS = 200  # one text in a summary cell, at most
CELL_CHARS = 1000  # a summary cell, at most


def _codes(segments: Iterable[SegmentRecord]) -> list[CodeRecord]:
    found = {s.code_id: CodeRecord(s.code_id, s.code_path) for s in segments}
    return sorted(found.values(), key=lambda c: (c.path, c.id))


def _case_index(cases: Sequence[CaseRecord]) -> dict[int, CaseRecord]:
    index: dict[int, CaseRecord] = {}
    for case in cases:
        if case.id in index:
            raise Invalid(f"Case id {case.id} is listed twice ({case.pseudonym!r}); list each case once.")
        index[case.id] = case
    return index


def _check_segments(segments: Sequence[SegmentRecord], index: dict[int, CaseRecord]) -> None:
    for s in segments:
        if s.case_id is not None and s.case_id not in index:
            raise Invalid(
                f"Segment {s.id} (source {s.source_name!r}) belongs to case {s.case_id}, "
                "which is not among the study's cases; pass every case of the study."
            )
        if s.start >= s.end:
            raise Invalid(
                f"Segment {s.id} (source {s.source_name!r}) ends ({s.end}) before it starts ({s.start})."
            )


def frequencies(segments: Sequence[SegmentRecord], cases: Sequence[CaseRecord], *, by: str = "case") -> Table:
    """Per code: coded segments and distinct cases, then one column per group.

    ``by="case"``: a column per case (pseudonym) with that case's segments of the code.
    ``by=<attribute>`` (``participant_type``, ``institution`` or any free attribute): a
    column per value with the number of *distinct cases* of that value coded with the code;
    the header says how many cases have the value, e.g. ``Technician (n=4)``. Segments of
    sources without a case count in the totals, and under ``(no case)`` when by case."""
    index = _case_index(cases)
    check_attribute(by, cases, extra=("case",))
    _check_segments(segments, index)
    codes = _codes(segments)
    if by == "case":
        groups = [(c.pseudonym, {c.id}) for c in sorted(cases, key=lambda c: c.pseudonym)]
    else:
        members: dict[str, set[int]] = defaultdict(set)
        for case in cases:
            members[attribute_value(case, by) or NOT_RECORDED].add(case.id)
        groups = [(f"{v} (n={len(ids)})", ids) for v, ids in sorted(members.items())]
    uncased = by == "case" and any(s.case_id is None for s in segments)
    heads = ["code", "segments", "cases", *(g for g, _ in groups), *([NO_CASE] if uncased else [])]
    per_code: dict[int, list[SegmentRecord]] = defaultdict(list)
    for s in segments:
        per_code[s.code_id].append(s)
    rows: list[tuple[Value, ...]] = []
    for code in codes:
        mine = per_code[code.id]
        coded = {s.case_id for s in mine if s.case_id is not None}
        if by == "case":
            cells = [sum(1 for s in mine if s.case_id in ids) for _, ids in groups]
            cells += [sum(1 for s in mine if s.case_id is None)] if uncased else []
        else:
            cells = [len(coded & ids) for _, ids in groups]
        rows.append((code.label, len(mine), len(coded), *cells))
    what = "segments per case" if by == "case" else f"distinct cases per value of {by}"
    return Table(
        f"Code frequencies by {by}", unique_columns(heads), tuple(rows), (f"Group columns: {what}.",)
    )


def _summary(texts: list[str]) -> str:
    """Coded texts joined with `` | ``, each cut at a word to ~QUOTE_CHARS, the cell to
    ~CELL_CHARS, saying how many were left out."""
    parts: list[str] = []
    used = 0
    for n, text in enumerate(texts):
        one = " ".join(text.split())
        if len(one) > QUOTE_CHARS:
            one = one[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
        if parts and used + len(one) > CELL_CHARS:
            return " | ".join(parts) + f" | (+{len(texts) - n} more)"
        parts.append(one)
        used += len(one) + 3
    return " | ".join(parts)


def code_case_matrix(
    segments: Sequence[SegmentRecord],
    cases: Sequence[CaseRecord],
    codes: Sequence[CodeRecord],
    *,
    mode: Mode = "counts",
) -> Table:
    """Codes (rows, in the given order, unused codes included) by cases (columns, by
    pseudonym). ``counts``: the case's segments of the code; ``presence``: 1 if any, else 0;
    ``summaries``: the coded texts in source order, joined and truncated. Segments of codes
    not in ``codes`` and of sources without a case are left out (a note counts them)."""
    if mode not in MODES:
        raise Invalid(f"Matrix mode {mode!r} is unknown; choose one of: {', '.join(MODES)}.")
    index = _case_index(cases)
    _check_segments(segments, index)
    ordered = sorted(cases, key=lambda c: c.pseudonym)
    wanted = {c.id for c in codes}
    cell: dict[tuple[int, int], list[SegmentRecord]] = defaultdict(list)
    left_out = 0
    for s in sorted(segments, key=lambda s: (s.source_name, s.start, s.id)):
        if s.case_id is None or s.code_id not in wanted:
            left_out += 1
            continue
        cell[(s.code_id, s.case_id)].append(s)
    rows: list[tuple[Value, ...]] = []
    for code in codes:
        found = [cell.get((code.id, c.id), []) for c in ordered]
        if mode == "counts":
            values: list[Value] = [len(f) for f in found]
        elif mode == "presence":
            values = [1 if f else 0 for f in found]
        else:
            values = [_summary([s.text for s in f]) for f in found]
        rows.append((code.label, *values))
    notes = [f"Cells: {mode}."]
    if left_out:
        notes.append(f"{left_out} segment(s) of other codes or of sources without a case are not shown.")
    heads = unique_columns(["code", *(c.pseudonym for c in ordered)])
    return Table(f"Code × case matrix ({mode})", heads, tuple(rows), tuple(notes))


def _overlaps(segments: Sequence[SegmentRecord], same_coder: bool) -> dict[tuple[int, int], int]:
    """Pairs of segments of different codes in the same source whose character ranges share at
    least one character (``a.start < b.end and b.start < a.end``; touching is not
    overlapping), counted per unordered code pair."""
    by_source: dict[int, list[SegmentRecord]] = defaultdict(list)
    for s in segments:
        by_source[s.source_id].append(s)
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    for group in by_source.values():
        group.sort(key=lambda s: (s.start, s.end, s.id))
        active: list[SegmentRecord] = []
        for s in group:
            active = [a for a in active if a.end > s.start]
            for a in active:
                if a.code_id != s.code_id and (not same_coder or a.coder == s.coder):
                    key = (min(a.code_id, s.code_id), max(a.code_id, s.code_id))
                    pairs[key] += 1
            active.append(s)
    return pairs


def cooccurrence(
    segments: Sequence[SegmentRecord], codes: Sequence[CodeRecord], *, same_coder: bool = False
) -> Table:
    """A symmetric code × code table: a cell counts the pairs (segment of one code, segment of
    the other) that overlap in the same source by at least one character. Adjacent segments
    (one ends where the other starts) do not co-occur. By default the two segments may come
    from **any coders**: the question is whether the text carries both codes, whoever coded
    it, so two coders' overlapping segments count twice; ``same_coder=True`` counts only
    pairs coded by one coder. The diagonal is the code's number of segments."""
    wanted = {c.id for c in codes}
    mine = [s for s in segments if s.code_id in wanted]
    pairs = _overlaps(mine, same_coder)
    totals: dict[int, int] = defaultdict(int)
    for s in mine:
        totals[s.code_id] += 1
    rows: list[tuple[Value, ...]] = []
    for a in codes:
        cells = [
            totals[a.id] if a.id == b.id else pairs.get((min(a.id, b.id), max(a.id, b.id)), 0) for b in codes
        ]
        rows.append((a.label, *cells))
    who = "one coder" if same_coder else "any coders"
    notes = (
        f"A cell counts overlapping segment pairs in the same source ({who}); the diagonal counts segments.",
    )
    heads = unique_columns(["code", *(c.label for c in codes)])
    return Table("Code co-occurrence", heads, tuple(rows), notes)


def quote_table(
    segments: Sequence[SegmentRecord],
    cases: Sequence[CaseRecord],
    *,
    k: int,
    attribution: tuple[str, ...],
    groups: Groups | None = None,
    include_refused: bool = False,
) -> Table:
    """Each coded segment of a case as a candidate quote: the text, the speaker's pseudonym
    (``may be named`` when they agreed), the attribution as it would be shown, the code path
    and the verdict of :func:`techforce.research.quotes.check_quote` with its reasons and the
    first proposed safer attribution. Segments of cases that refused quotation, and of
    sources without a case (consent unknown), are left out unless ``include_refused``; a
    note counts them."""
    index = _case_index(cases)
    _check_segments(segments, index)
    checks = {c.id: check_quote(c, cases, attribution=attribution, k=k, groups=groups) for c in cases}
    rows: list[tuple[Value, ...]] = []
    withheld = 0
    for s in sorted(segments, key=lambda s: (s.code_path, s.source_name, s.start, s.id)):
        check = checks.get(s.case_id) if s.case_id is not None else None
        if check is None or check.verdict is Verdict.REFUSED:
            withheld += 1
            if not include_refused:
                continue
        if check is None:
            rows.append(
                (
                    s.text,
                    "",
                    "",
                    code_label(s.code_path),
                    Verdict.REFUSED.value,
                    "no case: consent unknown",
                    "",
                )
            )
            continue
        speaker = check.speaker + (" (may be named)" if check.may_name else "")
        safer = (check.proposals[0].text or "no attribution") if check.proposals else ""
        verdict, reasons = check.verdict.value, "; ".join(check.reasons)
        rows.append(
            (s.text, speaker, check.attribution.text, code_label(s.code_path), verdict, reasons, safer)
        )
    notes = [f"Attribution: {' × '.join(attribution) or 'none'}; k = {k}."]
    if withheld:
        shown = "shown, marked refused" if include_refused else "not shown"
        notes.append(f"{withheld} segment(s) without consent to quote (or without a case): {shown}.")
    heads = ("quote", "speaker", "attribution", "code", "verdict", "reasons", "safer attribution")
    return Table("Quotes", heads, tuple(rows), tuple(notes))
