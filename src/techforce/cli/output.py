"""Shared output for every command that prints data: --format table|csv|json.

``csv`` and ``json`` print the rows as they are: raw values under stable keys, for machines
(keys may be added, never renamed or removed). A table is for people: a command may give it
other rows (provider names, code labels, formatted numbers) and its columns; it fits the
terminal without splitting a word (long text wraps between words, short columns never wrap,
numbers are right-aligned), and its notes go below it."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from techforce import errors
from techforce.present.tables import to_csv


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format: table, csv or json.")

SHORT = 12  # a column whose cells are all at most this long never wraps
FOLD_LEAST = 8  # where words cannot fit whole, no column is folded narrower than this


@dataclass(frozen=True)
class Column:
    """One column of a table for people."""

    key: str
    header: str | None = None  # default: the key, "_" read as a space
    number: bool = False  # right-aligned, never wrapped
    wrap: bool | None = None  # None: wrap only when a cell is longer than SHORT
    min_width: int | None = None

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.key.replace("_", " ")


def number(value: float | int) -> str:
    """A number as the web shows it: thousands separators, no ".0" on a whole number."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def cell_text(value: Any) -> str:
    """A raw value as a table cell: numbers formatted, booleans yes/no, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    return str(value)


def _columns(rows: Sequence[dict[str, Any]]) -> list[Column]:
    """Columns inferred from the rows: numbers right-aligned, short text never wrapped."""
    if not rows:
        return [Column("(no rows)")]
    found = []
    for key in rows[0]:
        values = [r.get(key) for r in rows if r.get(key) is not None]
        numeric = bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        found.append(Column(key, number=numeric))
    return found


def _widths(texts: list[list[str]], headers: list[str], wrap: list[bool], room: int) -> list[int]:
    """Column widths that fit ``room`` without splitting a word where that can be done: every
    column starts at its widest cell; wrapping columns give up width in proportion to their
    slack, never below their longest word (a column that never wraps keeps its widest cell)."""
    columns = list(zip(headers, *texts, strict=True)) if texts else [(h,) for h in headers]
    widest = [max(cell_len(line) for cell in cells for line in cell.split("\n")) for cells in columns]
    longest_word = [
        max((cell_len(w) for cell in cells for w in cell.split()), default=0) for cells in columns
    ]
    widths = [max(w, 1) for w in widest]
    least = [max(1, longest_word[i]) if wrap[i] else widths[i] for i in range(len(widths))]
    slack = [w - m for w, m in zip(widths, least, strict=True)]
    excess = min(sum(widths) - room, sum(slack))
    if excess > 0:
        cuts = [excess * s // sum(slack) for s in slack]
        for i in sorted(range(len(cuts)), key=lambda i: -slack[i]):
            if sum(cuts) < excess and cuts[i] < slack[i]:
                cuts[i] += 1
        widths = [w - c for w, c in zip(widths, cuts, strict=True)]
    # Where even the longest words do not fit, only the widest columns fold their words.
    while sum(widths) > room and max(widths) > FOLD_LEAST:
        widths[widths.index(max(widths))] -= 1
    return widths


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column] | None = None,
    *,
    title: str = "",
    sections: Sequence[int] = (),
    width: int = 80,
) -> Table:
    """A Rich table of ``rows`` (cells are plain Text, never markup: they may hold user data)
    that fits ``width`` columns without splitting words wherever the longest words fit.
    ``sections``: indexes of rows after which a gap separates groups of rows."""
    chosen = list(columns) if columns is not None else _columns(rows)
    shown = Table(
        title=Text(title) if title else None,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
    )
    texts = [[cell_text(r.get(c.key)) for c in chosen] for r in rows]
    wraps = []
    for i, column in enumerate(chosen):
        longest = max((len(t[i]) for t in texts), default=0)
        default = not column.number and longest > SHORT
        wraps.append(column.wrap if column.wrap is not None else default)
    gaps = 3 * (len(chosen) - 1)  # padding and a divider between columns, none at the edges
    widths = _widths(texts, [c.title for c in chosen], wraps, width - gaps)
    for column, wrap, size in zip(chosen, wraps, widths, strict=True):
        shown.add_column(
            Text(column.title),
            justify="right" if column.number else "left",
            no_wrap=not wrap,
            overflow="fold",  # only a word longer than the whole column is ever cut
            width=max(size, column.min_width or 0),
        )
    for i, cells in enumerate(texts):
        shown.add_row(*(Text(t) for t in cells), end_section=i in set(sections))
    return shown


def emit(
    rows: list[dict[str, Any]],
    fmt: Format,
    *,
    title: str = "",
    meta: dict[str, Any] | None = None,
    console: Console | None = None,
    columns: Sequence[Column] | None = None,
    table_rows: Sequence[dict[str, Any]] | None = None,
    sections: Sequence[int] = (),
    notes: Sequence[str] = (),
) -> None:
    """Print ``rows``; ``meta`` (definition, rule set, population notes) goes with every format.
    A table shows ``table_rows`` (default ``rows``) in ``columns``, then ``notes`` and meta."""
    if fmt is Format.json:
        typer.echo(json.dumps({"title": title, "meta": meta or {}, "rows": rows}, indent=2, default=str))
        return
    if fmt is Format.csv:
        typer.echo(to_csv(rows) or "\n", nl=False)
        return
    console = console or Console()
    shown = table_rows if table_rows is not None else rows
    console.print(table(shown, columns, title=title, sections=sections, width=console.width))
    for note in notes:
        console.print(Text(note, style="dim"), highlight=False)
    for key, value in (meta or {}).items():
        console.print(Text(f"{key}: {value}", style="dim"), highlight=False)


@contextmanager
def progress(console: Console, *columns: ProgressColumn) -> Iterator[Progress]:
    """Progress bars for long work, on ``console`` (stderr), drawn only on a terminal and
    gone when done, so that what a command prints (its --format json too) stays clean."""
    chosen = columns or (TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*chosen, console=console, transient=True, disable=not console.is_terminal) as bars:
        yield bars


def write_private(out: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only (exports are about people or plans): into a new
    0600 file beside ``out``, then put in its place, so a file there before ends 0600 too and a
    failed write leaves it whole. A link or a folder at ``out`` is refused, not followed."""
    if out.is_symlink():
        raise errors.Refused(f"{out} is a symbolic link: give the path of an ordinary file, not a link.")
    if out.is_dir():
        raise errors.Refused(f"{out} is a folder: give a file name inside it, e.g. {out / 'export'}.")
    if not out.parent.is_dir():
        raise errors.Invalid(f"{out}: the folder {out.parent} does not exist: create it or choose another.")
    try:
        fd, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as error:
        raise errors.Refused(
            f"{out}: cannot write in {out.parent} ({error.strerror}): choose a folder you may write to."
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp makes it 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
