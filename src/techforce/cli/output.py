"""Shared output for every command that prints data: --format table|csv|json."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from techforce.present.tables import to_csv


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format: table, csv or json.")


def emit(
    rows: list[dict[str, Any]],
    fmt: Format,
    *,
    title: str = "",
    meta: dict[str, Any] | None = None,
    console: Console | None = None,
) -> None:
    """Print rows; ``meta`` (definition, rule set, population notes) goes with every format."""
    console = console or Console()
    if fmt is Format.json:
        typer.echo(json.dumps({"title": title, "meta": meta or {}, "rows": rows}, indent=2, default=str))
        return
    if fmt is Format.csv:
        typer.echo(to_csv(rows) or "\n", nl=False)
        return
    # Cells, titles and notes may hold user data (names, values): Text, never Rich markup.
    table = Table(title=Text(title) if title else None, show_lines=False)
    for column in list(rows[0]) if rows else ["(no rows)"]:
        table.add_column(Text(str(column)), overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row.values()))
    console.print(table)
    for key, value in (meta or {}).items():
        console.print(Text(f"{key}: {value}", style="dim"), highlight=False)
