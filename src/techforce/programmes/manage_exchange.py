"""Page data for a programme's CSV exchange page: what the five files hold, the booking-tool
presets and mapping fields, and the result of an import or a dry run (counts per table, and
every problem with its file, row, field and fix). No HTTP."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from techforce import errors
from techforce.programmes import exchange_tool
from techforce.programmes.exchange import TABLES, ImportReport
from techforce.programmes.manage_pages import Notice
from techforce.programmes.models import Programme
from techforce.workforce.problems import InputError


class ImportResult(BaseModel):
    """An import or dry run: ``accepted`` False when a bad row refused it (nothing written)."""

    dry_run: bool
    accepted: bool
    changed: bool  # the import wrote (or, dry, would write) something
    summary: str
    counts: list[dict[str, Any]]  # table, created, changed, unchanged
    files: dict[str, str]  # file name -> the table it held
    problems: list[dict[str, Any]]  # severity, rule, file, line, path, field, value, message, fix
    error_count: int = 0


class ExchangePage(Notice):
    title: str
    programme: str
    programme_title: str
    tables: dict[str, list[str]]  # file (without .csv) -> its columns
    cohorts: list[str]  # the programme's cohorts, for a booking tool's import
    presets: dict[str, dict[str, str]]  # preset -> our field -> the tool's column
    fields: list[str]  # the fields a mapping may name
    meanings: list[str]  # what a tool's status may mean here
    max_bytes: int
    result: ImportResult | None = None
    mapping: str = ""  # the mapping document typed, shown again
    preset: str = ""
    cohort: str = ""


def exchange_page(owner: Programme, max_bytes: int) -> ExchangePage:
    return ExchangePage(
        title=f"CSV import and export: {owner.title}",
        programme=owner.slug,
        programme_title=owner.title,
        tables={name: list(columns) for name, columns in TABLES.items()},
        cohorts=[c.name for c in owner.cohorts],
        presets={name: m.columns() for name, m in exchange_tool.PRESETS.items()},
        fields=list(exchange_tool.FIELDS),
        meanings=list(exchange_tool.MEANINGS),
        max_bytes=max_bytes,
    )


def accepted(report: ImportReport) -> ImportResult:
    counts = report.rows()
    made = sum(r["created"] for r in counts)
    changed = sum(r["changed"] for r in counts)
    verb = "would create" if report.dry_run else "created"
    summary = (
        f"{'Dry run: nothing was written. ' if report.dry_run else ''}The import {verb} {made:,} rows "
        f"and {'would change' if report.dry_run else 'changed'} {changed:,}."
        if report.changed
        else "Nothing to change: every row matches what is held."
    )
    return ImportResult(
        dry_run=report.dry_run,
        accepted=True,
        changed=report.changed,
        summary=summary,
        counts=counts,
        files=dict(report.files),
        problems=[p.as_dict() for p in report.warnings],
    )


def refused(exc: errors.Invalid, *, dry_run: bool) -> ImportResult:
    """A refused import: every problem listed (for InputError, with the true error count)."""
    problems = [p.as_dict() if hasattr(p, "as_dict") else {"message": str(p)} for p in exc.problems]
    if not problems:
        problems = [{"severity": "error", "message": exc.message, "fix": ""}]
    count = exc.error_count if isinstance(exc, InputError) else len(problems)
    return ImportResult(
        dry_run=dry_run,
        accepted=False,
        changed=False,
        summary=f"Refused: {count:,} error{'s' if count != 1 else ''}; nothing was written. Fix the rows below and try again.",
        counts=[],
        files={},
        problems=problems,
        error_count=count,
    )


class ExportFiles(BaseModel):
    """The five CSV files of a programme, by file name."""

    programme: str
    files: dict[str, str] = Field(default_factory=dict)
