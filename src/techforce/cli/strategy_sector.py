"""`techforce strategy sector | demo`: the sector view for analysts (adoption of each
recommendation, Technician Commitment stage compliance, pledges to appoint a strategic lead
against the staff data; counts of providers through the disclosure gate) and the demo
commitments of the synthetic providers."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

import typer

from techforce import errors
from techforce.cli.output import Column, Format, FormatOption, emit, progress
from techforce.strategy import demo, sector
from techforce.workforce.service import Workforce

ADOPTION = [
    Column("set", wrap=False),
    Column("code"),
    Column("recommendation", wrap=True),
    Column("pledged", number=True),
    Column("in_progress", "in progress", number=True),
    Column("done", number=True),
    Column("providers", number=True),
    Column("done_share", "% done", number=True),
]
COMPLIANCE = [
    Column("stage", wrap=True),
    Column("cohort"),
    Column("signatories", number=True),
    Column("on_time", "on time", number=True),
    Column("late", number=True),
    Column("overdue", number=True),
    Column("not_yet_due", "not yet due", number=True),
    Column("due", number=True),
    Column("on_time_share", "% on time", number=True),
]
LEADERS = [
    Column("year"),
    Column("group", wrap=True),
    Column("returned", "with a staff return", number=True),
    Column("with_leader", "showing a leader", number=True),
    Column("share", "%", number=True),
]


def _day(value: str | None, option: str) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise errors.Invalid(
            f"{option} {value!r} is not a date: give it as YYYY-MM-DD, e.g. 2025-09-30"
        ) from None


TodayOption = typer.Option(None, "--today", help="The day to report as on (YYYY-MM-DD; default today).")


def show(ctx: typer.Context, today: str | None = TodayOption, fmt: Format = FormatOption) -> None:
    """The sector view: how many providers pledged, are acting on or have done each
    recommendation; how Technician Commitment signatories stand on each stage, by signing
    cohort; and, year by year, how many providers that pledged to appoint a strategic
    technical lead show one in their staff return, against those that did not pledge. Counts
    of fewer than 5 providers are hidden (..), others rounded to the nearest 5; percentages come
    from the rounded counts."""
    day = _day(today, "--today")
    wf = Workforce(ctx.obj.settings, ctx.obj.db)
    with ctx.obj.db.session() as s:
        view = sector.sector_view(s, wf, day)
    if fmt is Format.csv:
        typer.echo(sector.sector_csv(view), nl=False)
        return
    found = sector.tables(view)
    meta = {"as on": view.today.isoformat(), "disclosure": view.disclosure}
    if fmt is Format.json:
        payload: dict[str, Any] = {"title": "Sector view", "meta": meta, "tables": asdict(view)}
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    emit(found["adoption"], fmt, title="Adoption of each recommendation (providers)", columns=ADOPTION)
    emit(
        found["compliance"],
        fmt,
        title="Technician Commitment stage compliance (signatories)",
        columns=COMPLIANCE,
    )
    emit(
        found["leaders"],
        fmt,
        title="Pledges to appoint a strategic technical lead against the staff data",
        columns=LEADERS,
        notes=view.notes,
        meta=meta,
    )


def make_demo(
    ctx: typer.Context,
    today: str | None = TodayOption,
    owner: str = typer.Option("admin", help="The account that owns the demo actions (the demo's admin)."),
    seed: int = typer.Option(2017, help="Seed: the same seed, providers and day give the same commitments."),
) -> None:
    """Load the demo commitments for the providers in the workforce store (run `techforce
    demo` first): signatories across cohorts 2017-2025, pledges, submissions and action plans
    with their history, some overdue. A second run changes nothing."""
    day = _day(today, "--today")
    wf = Workforce(ctx.obj.settings, ctx.obj.db)
    with progress(ctx.obj.console) as bars:
        step = bars.add_task("Loading the demo commitments", total=None)
        with ctx.obj.db.session() as s:
            summary = demo.load_demo(s, wf, ctx.obj.settings.user, day, owner=owner, seed=seed)
        bars.update(step, total=1, completed=1)
    typer.echo(summary.line())


def register(app: typer.Typer) -> None:
    app.command("sector")(show)
    app.command("demo")(make_demo)
