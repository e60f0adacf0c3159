"""`techforce programmes impact | synth`: the impact dashboard (delivery, feedback, outcomes,
profile against the technical workforce, the matched comparison; every figure about people
disclosure-controlled) and the demo programmes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from techforce import errors
from techforce.cli.output import Column, Format, FormatOption, emit, progress
from techforce.programmes import impact, synth
from techforce.programmes.impact_models import HeadlineRow, ImpactPage
from techforce.workforce import codes

DELIVERY = [
    Column("label", "programme", wrap=True),
    Column("cohorts", number=True),
    Column("sessions", number=True),
    Column("places", number=True),
    Column("participants", "people", number=True),
    Column("starters", number=True),
    Column("completers", number=True),
]
REACH = [
    Column("label", "programme", wrap=True),
    Column("providers", number=True),
    Column("cost", number=True),
    Column("cost_per_participant", "per person", number=True),
]


def _shown(row: HeadlineRow) -> dict[str, Any]:
    out: dict[str, Any] = {"label": row.label}
    for key in impact.HEADLINE_MEASURES:
        value = getattr(row, key)
        out[key] = value if isinstance(value, int) else value.display
    return out


def show(
    ctx: typer.Context,
    programme: str | None = typer.Option(
        None, "--programme", "-p", help="A programme's slug (default: all)."
    ),
    year: str | None = typer.Option(None, "--year", help="An academic year, e.g. 2023/24 (default: all)."),
    fmt: Format = FormatOption,
) -> None:
    """The impact dashboard: sessions, places, participants, starters and completers, cost;
    feedback; outcomes at 6 and 12 months; participants' profile against the technical
    workforce; and the matched comparison with non-participants. Figures about people are
    perturbed, rounded or suppressed (the rule set is printed with them)."""
    chosen = None
    if year is not None:
        try:
            chosen = codes.parse_year(year)
        except ValueError as exc:
            raise errors.Invalid(f"--year: {exc}") from None
    page = impact.dashboard(ctx.obj.settings, ctx.obj.db, programme=programme, year=chosen)
    if fmt is Format.json:
        typer.echo(page.model_dump_json(indent=2))
        return
    if fmt is Format.csv:
        typer.echo(impact.impact_csv(page), nl=False)
        return
    _tables(page)


def _tables(page: ImpactPage) -> None:
    console = None  # tables go to stdout; ctx.obj.console is stderr, for progress
    heads = [*page.by_programme, page.headline]
    rows = [_shown(r) for r in heads]
    gap = [len(heads) - 2]
    emit(rows, Format.table, title=page.title, columns=DELIVERY, console=console, sections=gap)
    emit(rows, Format.table, title="Reach and cost", columns=REACH, console=console, sections=gap)
    years = [_shown(r) for r in page.by_year]
    emit(years, Format.table, title="By academic year", columns=DELIVERY, console=console)
    feedback = [
        {
            "programme": f.label,
            **{
                k: getattr(f, k).display
                for k in ("responses", "reaction", "recommend", "before", "after", "gain")
            },
        }
        for f in page.feedback
    ]
    emit(feedback, Format.table, title="Feedback (reaction and learning, 1-5)", console=console)
    outcomes = [
        {"months": o.months, **{k: getattr(o, k).display for k in impact.OUTCOME_MEASURES}}
        for o in page.outcomes
    ]
    emit(outcomes, Format.table, title="Outcomes reported (% of those who reported)", console=console)
    profile = [
        {
            "dimension": p.dimension,
            "category": p.category,
            "participants": p.participants.display,
            "technical_workforce": p.workforce.display,
        }
        for p in page.profile
    ]
    emit(
        profile,
        Format.table,
        title=f"Profile against the technical workforce ({page.meta.workforce_year or 'no staff data'})",
        console=console,
    )
    m = page.matched
    rows = [
        {"measure": k.replace("_", " "), "value": getattr(m, k).display}
        for k in (
            "participants",
            "unmatched",
            "controls",
            "participants_rate",
            "comparison_rate",
            "difference",
        )
    ]
    emit(
        rows,
        Format.table,
        title=f"Matched comparison: {m.outcome}",
        console=console,
        notes=[f"Method: {m.method}", f"Limits: {m.limits}"],
        meta={"disclosure": page.meta.disclosure, "definition": page.meta.definition or "none"},
    )


def make_demo(
    ctx: typer.Context,
    seed: int = typer.Option(1, help="Seed: the same seed and staff data give the same programmes."),
    scale: float = typer.Option(1.0, help="Size relative to the full demo (1.0: close to 6,000 sessions)."),
    sector: Path | None = typer.Option(
        None,
        "--sector",
        help="A synthetic sector folder to draw participants from when no staff data are ingested.",
    ),
) -> None:
    """Write the demo programmes: five years of workshops and courses, the leadership programme
    for women in technical roles and the executive programme, drawn from the staff data held."""
    summary = _generate(ctx, seed=seed, scale=scale, sector=sector)
    typer.echo(summary.line())


def _generate(ctx: typer.Context, *, seed: int, scale: float, sector: Path | None) -> synth.SynthSummary:
    console = ctx.obj.console
    with progress(console) as bars:
        step = bars.add_task("Generating the demo programmes", total=None)
        summary = synth.generate(ctx.obj.settings, ctx.obj.db, seed=seed, scale=scale, sector_dir=sector)
        bars.update(step, total=1, completed=1)
    return summary


def demo_programmes(ctx: typer.Context, sector: Path, scale: float) -> None:
    """For `techforce demo`: the demo programmes, then their headline line."""
    summary = _generate(ctx, seed=1, scale=scale, sector=sector)
    typer.echo(summary.line())


def register(app: typer.Typer) -> None:
    app.command("impact")(show)
    app.command("synth")(make_demo)
