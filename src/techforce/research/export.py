"""Analysis tables as files: an XLSX workbook (a sheet per table) and CSV.

Cells are written as values, never as formulas: a coded text such as ``=HYPERLINK(...)``
from a hostile transcript is stored as text (with Excel's quote prefix), so opening the
workbook runs nothing. CSV goes through :func:`techforce.present.tables.to_csv`, which
neutralises formula cells. Sheet names are made valid and unique (Excel allows 31
characters, none of ``[]:*?/\\``, no leading or trailing apostrophe, and not ``History``)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from typing import Any, Protocol

from techforce.errors import Invalid
from techforce.present.tables import neutralise
from techforce.present.tables import to_csv as rows_to_csv

MAX_CELL = 32_767  # Excel's limit on the characters of one cell
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
# Control characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class TableLike(Protocol):
    """Anything with ``columns`` and ``rows`` (and optionally ``notes``): the analysis and
    survey tables."""

    @property
    def columns(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Sequence[Sequence[Any]]: ...


def _text(value: Any) -> Any:
    """A cell value openpyxl can store: numbers as numbers, everything else as clean text."""
    if value is None or isinstance(value, bool):
        return value if value is None else str(value)
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    text = _ILLEGAL.sub("", str(value))
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid sheet name for ``name``, unique (case-insensitively) among ``taken``."""
    clean = _BAD_SHEET.sub("_", _ILLEGAL.sub("", name)).strip().strip("'").strip() or "Sheet"
    if clean.casefold() == "history":
        clean = "History_"
    candidate, n = clean[:31], 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def _put(ws: Any, row: int, column: int, value: Any, *, bold: bool = False) -> None:
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    cell = ws.cell(row=row, column=column)
    cell.value = _text(value)
    if isinstance(cell.value, str) and cell.data_type != "s":
        # openpyxl stores text starting "=" as a formula and "#N/A" as an error: keep it text
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)


def to_xlsx(tables: Sequence[tuple[str, TableLike]]) -> bytes:
    """A workbook with one sheet per (sheet name, table): a bold header row, the rows, then
    the table's notes (its rule set stamp among them) below a blank row."""
    if not tables:
        raise Invalid("Nothing to export: choose at least one table.")
    import openpyxl  # type: ignore[import-untyped]

    wb = openpyxl.Workbook()
    first = wb.active
    if first is not None:
        wb.remove(first)
    taken: set[str] = set()
    for name, table in tables:
        ws = wb.create_sheet(sheet_name(name, taken))
        for j, head in enumerate(table.columns, 1):
            _put(ws, 1, j, head, bold=True)
        for i, row in enumerate(table.rows, 2):
            for j, value in enumerate(row, 1):
                _put(ws, i, j, value)
        notes = list(getattr(table, "notes", ()))
        for i, note in enumerate(notes, len(table.rows) + 3):
            _put(ws, i, 1, note)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv(table: TableLike) -> str:
    """The table as CSV with a header (also when it has no rows); formula cells neutralised."""
    columns = list(table.columns)
    if not table.rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([neutralise(str(c)) for c in columns])
        return buffer.getvalue()
    if len(set(columns)) != len(columns):
        raise Invalid(f"The table repeats a column name ({', '.join(columns)}); columns must be unique.")
    return rows_to_csv([dict(zip(columns, row, strict=True)) for row in table.rows])
