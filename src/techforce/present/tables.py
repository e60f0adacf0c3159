"""Tables as text, shared by the CLI and the web app's downloads."""

from __future__ import annotations

import csv
import io
from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with a single quote;
    numbers (negative ones included) and every other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV (RFC 4180: CRLF line ends, so that a field with
    a CR or LF in it is quoted) with a header; empty text for no rows. Text cells that would
    start a formula are neutralised (header included)."""
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = list(rows[0])
    writer.writerow([neutralise(str(c)) for c in columns])
    writer.writerows([neutralise(row.get(c)) for c in columns] for row in rows)
    return buffer.getvalue()
