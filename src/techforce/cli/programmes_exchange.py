"""`techforce programmes export|import|import-bookings`: bulk CSV exchange of programmes,
cohorts, sessions, bookings and attendance, and bookings from an event-booking tool's export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import typer
from rich.progress import BarColumn, DownloadColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from techforce import audit
from techforce.cli.output import Column, Format, FormatOption, emit, progress
from techforce.programmes import events, exchange
from techforce.workforce.problems import InputError, Problem

PROBLEM_COLUMNS = [
    Column("file", wrap=True),
    Column("row", number=True),
    Column("field", wrap=True),
    Column("value", wrap=True),
    Column("problem", wrap=True),
    Column("fix", wrap=True),
]
SHOWN = 200  # problems printed; --format csv or json prints every one


def _read(ctx: typer.Context, paths: list[Path]) -> dict[str, bytes]:
    """The files' bytes, by name, with a progress bar (a file over the limit is not read)."""
    for path in paths:
        if not path.is_file():
            _fail(ctx, f"{path}: no such file; give the path of a CSV file")
    total = sum(p.stat().st_size for p in paths)
    found: dict[str, bytes] = {}
    columns = (TextColumn("[bold]Reading"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with progress(ctx.obj.console, *columns) as bars:
        task = bars.add_task("read", total=total)
        for path in paths:
            if path.name in found:
                _fail(ctx, f"two files are called {path.name}: import them one at a time")
            size = path.stat().st_size
            if size > exchange.MAX_BYTES:
                _fail(
                    ctx,
                    f"{path}: the file is {size / 1024 / 1024:,.1f} MB; the most is "
                    f"{exchange.MAX_BYTES // 1024 // 1024} MB: split it into smaller files and import each",
                )
            found[path.name] = path.read_bytes()
            bars.advance(task, path.stat().st_size)
    return found


def _fail(ctx: typer.Context, message: str) -> NoReturn:
    ctx.obj.console.print(
        Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True
    )
    raise typer.Exit(2)


def _problems(ctx: typer.Context, exc: InputError, fmt: Format) -> NoReturn:
    """Every problem as a table (or CSV/JSON on stdout), then exit 2: nothing was written."""
    rows = [_row(p) for p in exc.problems]
    shown = rows if fmt is not Format.table else rows[:SHOWN]
    emit(
        shown,
        fmt,
        title=f"Nothing was imported: {exc.summary()}",
        columns=PROBLEM_COLUMNS,
        console=ctx.obj.console,
        notes=[f"... {len(rows) - SHOWN:,} more: use --format csv"] if len(shown) < len(rows) else [],
    )
    raise typer.Exit(2)


def _row(p: Problem) -> dict[str, object]:
    return {
        "severity": p.severity,
        "file": p.file,
        "row": p.line,
        "field": p.field,
        "value": p.value,
        "problem": p.message,
        "fix": p.fix,
    }


def _report(ctx: typer.Context, report: exchange.ImportReport, fmt: Format) -> None:
    for warning in report.warnings:
        ctx.obj.console.print(
            Text(f"warning: {warning.describe()}", style="yellow"), highlight=False, soft_wrap=True
        )
    what = "Would import (dry run: nothing written)" if report.dry_run else "Imported"
    emit(report.rows(), fmt, title=f"{what}: {', '.join(f'{f} as {t}' for f, t in report.files.items())}")


def _run_import(
    ctx: typer.Context, fmt: Format, work: Callable[[], exchange.ImportReport]
) -> exchange.ImportReport:
    columns = (SpinnerColumn(), TextColumn("[bold]Checking and importing"), TimeElapsedColumn())
    try:
        with progress(ctx.obj.console, *columns) as bars:
            bars.add_task("import", total=None)
            report = work()
    except InputError as exc:
        _problems(ctx, exc, fmt)
    return report


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        ctx: typer.Context,
        out: Path = typer.Argument(..., help="A folder for the five CSV files, or a file ending in .zip."),
        programme: list[str] = typer.Option(
            [], "--programme", "-p", help="Only this programme (slug); repeat."
        ),
    ) -> None:
        """Export programmes, cohorts, sessions, bookings and attendance as five CSV files
        (UTF-8; formula cells guarded). Importing them again changes nothing."""
        if out.exists() and not out.is_dir() and out.suffix.lower() != ".zip":
            _fail(ctx, f"{out} is a file: give a folder, or a file name ending in .zip")
        written = exchange.export(ctx.obj.db, out, only=programme or None)
        with ctx.obj.db.session() as session:  # the files hold names and e-mail addresses
            audit.record(
                session,
                actor=ctx.obj.settings.user,
                action=events.EXPORT,
                target=",".join(programme) or "all",
                payload={"to": str(out)},
            )
        for path in written:
            ctx.obj.console.print(Text(f"wrote {path}"), highlight=False, soft_wrap=True)

    @app.command("import")
    def import_command(
        ctx: typer.Context,
        files: list[Path] = typer.Argument(
            ...,
            help="CSV files: programmes, cohorts, sessions, bookings, attendance (known by name or header).",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check and count, but write nothing."),
        fmt: Format = FormatOption,
    ) -> None:
        """Import the CSV files an export writes (edited or not). Every row is checked first:
        one bad row means nothing is written, and each is listed with its fix (exit 2)."""
        found = _read(ctx, files)
        user = ctx.obj.settings.user
        db = ctx.obj.db
        report = _run_import(ctx, fmt, lambda: exchange.import_tables(db, found, actor=user, dry_run=dry_run))
        _report(ctx, report, fmt)

    @app.command("import-bookings")
    def import_bookings_command(
        ctx: typer.Context,
        file: Path = typer.Argument(..., help="The booking tool's CSV export (an attendee report)."),
        programme: str = typer.Option(..., "--programme", help="The programme's slug."),
        cohort: str = typer.Option(..., "--cohort", help="The cohort's name."),
        preset: str | None = typer.Option(None, "--preset", help="A built-in mapping: eventbrite."),
        mapping_file: Path | None = typer.Option(
            None, "--mapping", help="A mapping file: JSON, or 'field: Column' lines."
        ),
        pairs: list[str] = typer.Option(
            [],
            "--map",
            help="field=Column (email, name, first_name, last_name, ukprn, organisation, "
            "status, booked_at) or statuses.<Tool status>=<our status>; repeat.",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check and count, but write nothing."),
        fmt: Format = FormatOption,
    ) -> None:
        """Import a cohort's bookings from an event-booking tool's export, with a column mapping.
        Organisations are matched to providers' UKPRNs where they can be; "Checked In" marks the
        person present when the cohort has one session. All or nothing, as `import`."""
        document = None
        if mapping_file is not None:
            if not mapping_file.is_file():
                _fail(ctx, f"--mapping {mapping_file}: no such file")
            document = mapping_file.read_text(encoding="utf-8-sig")
        if preset is None and document is None and not pairs:
            _fail(ctx, "give a mapping: --preset eventbrite, --mapping FILE or --map field=Column")
        mapping = exchange.mapping_from(preset, document, pairs)
        found = _read(ctx, [file])
        user, db = ctx.obj.settings.user, ctx.obj.db

        def work() -> exchange.ImportReport:
            return exchange.import_booking_tool(
                db,
                found[file.name],
                mapping,
                programme=programme,
                cohort=cohort,
                actor=user,
                dry_run=dry_run,
                file=file.name,
            )

        _report(ctx, _run_import(ctx, fmt, work), fmt)
