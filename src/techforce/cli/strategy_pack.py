"""`techforce strategy pack UKPRN`: a provider's Technician Commitment self-assessment pack as
HTML, PDF or Word, assembled from the stored submission with every evidence item's value of
today, so nothing is re-keyed.

The command line acts as the operator: it sees every library resource and, unless
``--published`` is given, the provider's true workforce figures (as its own leads do). Each
pack written is recorded in the audit log under the --user (or TECHFORCE_USER) name."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from techforce import audit, errors
from techforce.cli.output import progress, write_private
from techforce.strategy import events, pack_data, records
from techforce.strategy.service import check_ukprn
from techforce.workforce.service import Workforce


def pack_command(
    ctx: typer.Context,
    ukprn: str = typer.Argument(..., help="The provider's UKPRN."),
    stage: str = typer.Option(
        "first-submission", "--stage", help=f"The submission: {', '.join(records.STAGES)}."
    ),
    fmt: str = typer.Option("pdf", "--format", "-f", help="html, pdf or docx (Word, for reviewers to edit)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="The file to write (default: self-assessment-UKPRN-STAGE.FORMAT here)."
    ),
    published: bool = typer.Option(
        False,
        "--published",
        help="Workforce figures as published (perturbed, rounded, small ones hidden) rather than the "
        "provider's true values: for a pack shared outside the provider.",
    ),
) -> None:
    """Write a provider's self-assessment pack for a stage: each pillar's narrative, maturity and
    evidence with its current value and date, the status of each recommendation, the action plan
    with milestones, the date signed and charts of the provider's technical workforce."""
    check_ukprn(ukprn)
    if fmt not in pack_data.FORMATS:
        raise errors.Invalid(f"--format {fmt!r} is not one of {', '.join(pack_data.FORMATS)}")
    settings, db = ctx.obj.settings, ctx.obj.db
    wf = Workforce(settings, db)
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn())
    with progress(ctx.obj.console, *columns) as bars:
        step = bars.add_task(f"Assembling the pack of {ukprn}", total=None)
        with db.session() as s:
            built = pack_data.build_pack(
                s, wf, ukprn, stage, names=wf.names(), allowed=None, true_values=not published
            )
        bars.update(step, description=f"Laying out the {fmt.upper()}")
        data, _media, filename = pack_data.render(built, fmt)
        target = out if out is not None else Path.cwd() / filename
        write_private(target, data)
        with db.session() as s:
            audit.record(
                s,
                actor=settings.user,
                action=events.PACK,
                target=f"{ukprn}:{stage}",
                payload={"format": fmt, "true_values": not published},
            )
    typer.echo(f"Wrote {target} ({len(data):,} bytes)")


def register(app: typer.Typer) -> None:
    app.command("pack")(pack_command)
