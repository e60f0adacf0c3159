"""Reading and writing the CSV files of the programmes exchange: the five tables, their
columns and keys, decoding (UTF-8, with or without a byte order mark; CRLF or LF), the size
limit, and the reversible formula guard.

The formula guard: a text cell that a spreadsheet would run as a formula (it starts with
= + - @, a tab or a carriage return) is written with a single quote in front, so that it never
opens as a formula; so is a cell that starts with a quote followed by one of those or another
quote. Reading removes one leading quote from such a cell, and only from such a cell, so every
text survives a round trip exactly ("=SUM()" in a title is read back as "=SUM()")."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from techforce.present.tables import FORMULA_START, to_csv
from techforce.workforce.problems import Problem

MAX_BYTES = 50 * 1024 * 1024  # a larger file is refused before it is read

TABLES: dict[str, tuple[str, ...]] = {
    "programmes": (
        "slug",
        "title",
        "kind",
        "description",
        "audience",
        "eligibility",
        "capacity",
        "cost_gbp",
        "pillars",
        "selective",
        "min_attendance_pct",
        "requires_project",
        "managers",
    ),
    "cohorts": ("programme", "cohort", "starts_on", "ends_on", "capacity"),
    "sessions": (
        "uid",
        "programme",
        "cohort",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "mode",
        "location",
        "facilitator",
    ),
    "bookings": (
        "programme",
        "cohort",
        "email",
        "name",
        "ukprn",
        "status",
        "statement",
        "decision_reason",
        "queued_at",
    ),
    "attendance": ("programme", "cohort", "session_uid", "email", "status"),
}
# Columns every file of a table must have: the natural key (and the mark it is about).
REQUIRED: dict[str, tuple[str, ...]] = {
    "programmes": ("slug",),
    "cohorts": ("programme", "cohort"),
    "sessions": ("uid", "programme", "cohort"),
    "bookings": ("programme", "cohort", "email"),
    "attendance": ("programme", "cohort", "session_uid", "email", "status"),
}
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)') and import it again"


class BadFile(Exception):
    """A whole file cannot be read: its problem says which file and the fix."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


@dataclass(frozen=True)
class Row:
    """One data row of a file: ``line`` is its row number as a spreadsheet shows it (the
    header is row 1); ``cells`` holds the row's text under each column the file has."""

    file: str
    line: int
    cells: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)  # field -> the file's own column name

    def has(self, column: str) -> bool:
        return column in self.cells

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def problem(self, column: str, message: str, fix: str, *, rule: str = "value") -> Problem:
        value = self.cells.get(column, "")
        return Problem(
            rule=rule,
            file=self.file,
            line=self.line,
            field=self.labels.get(column, column),
            value=value if len(value) <= 200 else value[:200] + "…",
            message=message,
            fix=fix,
        )


def file_problem(file: str, message: str, fix: str, *, rule: str = "file", field: str = "") -> Problem:
    return Problem(rule=rule, file=file, message=message, fix=fix, field=field, line=1 if field else None)


# ---------------------------------------------------------------- the formula guard


def _risky(value: str) -> bool:
    return value.startswith(FORMULA_START) or (value.startswith("'") and value[1:2] in ("'", *FORMULA_START))


def escape(value: Any) -> Any:
    """A text cell as written: with a quote in front where a spreadsheet could read a formula."""
    if isinstance(value, str) and value and _risky(value):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """A cell as read: the quote that ``escape`` put in front removed (see the module's docstring)."""
    if value.startswith("'") and _risky(value[1:]):
        return value[1:]
    return value


def write_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text with a header (CRLF line ends), every text cell guarded."""
    if not rows:
        return ",".join(columns) + "\r\n"
    return to_csv([{c: escape(row.get(c, "")) for c in columns} for row in rows])


# ---------------------------------------------------------------- reading


def decode(file: str, data: bytes | str) -> str:
    """The text of a file: at most MAX_BYTES, UTF-8 (a byte order mark is dropped)."""
    if isinstance(data, str):
        size = len(data.encode("utf-8", "surrogatepass"))
        text = data.removeprefix("\ufeff")
    else:
        size = len(data)
        text = ""
    if size > MAX_BYTES:
        raise BadFile(
            file_problem(
                file,
                f"the file is {size / 1024 / 1024:,.1f} MB; the most is {MAX_BYTES // 1024 // 1024} MB",
                "split it into smaller files (for example one per programme) and import each",
                rule="size",
            )
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadFile(
                file_problem(
                    file,
                    f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start:,})",
                    SAVE_AS_UTF8,
                    rule="encoding",
                )
            ) from None
    if "\x00" in text:
        raise BadFile(
            file_problem(
                file, "the file holds NUL bytes: it is not a CSV text file", SAVE_AS_UTF8, rule="encoding"
            )
        )
    return text


def records(file: str, data: bytes | str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (names trimmed) and the non-blank records, each with its spreadsheet row number."""
    text = decode(file, data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        rows = [(i + 2, cells) for i, cells in enumerate(reader) if any(c.strip() for c in cells)]
    except csv.Error as exc:
        raise BadFile(
            file_problem(
                file,
                f"the file is not valid CSV near row {reader.line_num}: {exc}",
                "check the quotes on that row (a quote inside a cell is written twice) or export it again",
                rule="csv",
            )
        ) from None
    if not any(header):
        raise BadFile(
            file_problem(file, "the file is empty: it has no header row", "export it again", rule="header")
        )
    seen: set[str] = set()
    for name in header:
        if name.lower() in seen:
            raise BadFile(
                file_problem(
                    file, f"the column {name!r} appears twice", "keep one of them", rule="header", field=name
                )
            )
        seen.add(name.lower())
    return header, rows


def table_of(file: str, header: list[str]) -> str | None:
    """Which table a file holds: from its name (bookings.csv, 2026-bookings.csv) or else from
    its header (the table whose key columns are all there and that knows the most of its columns)."""
    stem = PurePath(file).stem.lower()
    by_name = [t for t in TABLES if t in stem or (t.endswith("s") and t[:-1] in stem)]
    if len(by_name) == 1:
        return by_name[0]
    names = {h.lower() for h in header}
    fits = [t for t in TABLES if set(REQUIRED[t]) <= names]
    fits.sort(key=lambda t: (-len(names & set(TABLES[t])), len(TABLES[t])))
    return fits[0] if fits else None


def rows_of(table: str, file: str, data: bytes | str) -> tuple[list[Row], list[Problem]]:
    """The rows of one of the five tables and a problem for each row with more cells than the
    header (BadFile when a key column is missing or an unknown one is there)."""
    header, found = records(file, data)
    columns = [h.lower() for h in header]
    unknown = [h for h in header if h.lower() not in TABLES[table]]
    if unknown:
        raise BadFile(
            file_problem(
                file,
                f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)} "
                f"in a {table} file",
                f"remove or rename {'them' if len(unknown) > 1 else 'it'}; the columns are "
                + ", ".join(TABLES[table]),
                rule="header",
                field=unknown[0],
            )
        )
    missing = [c for c in REQUIRED[table] if c not in columns]
    if missing:
        raise BadFile(
            file_problem(
                file,
                f"the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"{'are' if len(missing) > 1 else 'is'} missing from a {table} file",
                "add it to the header row (row 1); see an export for the layout",
                rule="header",
                field=missing[0],
            )
        )
    rows, problems = [], []
    for line, cells in found:
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            problems.append(too_many(file, line, len(cells), len(columns)))
            continue
        cells += [""] * (len(columns) - len(cells))  # a spreadsheet may leave trailing empty cells out
        rows.append(Row(file, line, {c: unescape(v) for c, v in zip(columns, cells, strict=False)}))
    return rows, problems


def too_many(file: str, line: int, cells: int, columns: int) -> Problem:
    return Problem(
        rule="csv",
        file=file,
        line=line,
        message=f"the row has {cells} cells; the header has {columns} columns",
        fix="remove the extra cells, or put quotes around a cell that holds a comma",
    )
