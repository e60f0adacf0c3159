"""Tables as text, shared by the CLI and the web app's downloads."""

from __future__ import annotations

import csv
import io
from typing import Any


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV with a header; empty text for no rows."""
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
