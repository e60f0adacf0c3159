"""`techforce research index|suggest|search`: assisted coding from the command line (optional
extra ``techforce[nlp]``). Build a study's index with a progress bar (minutes on a CPU for a
large study; only new or changed sources are embedded again), propose passages for a code to
a coder (stored as that coder's open suggestions, decided on the web), and search by meaning."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from techforce.cli.output import Column, Format, FormatOption, emit, progress
from techforce.research import suggesting

SNIPPET = 160


def register(app: typer.Typer) -> None:
    app.command("index")(index_command)
    app.command("suggest")(suggest_command)
    app.command("search")(search_command)


def index_command(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID (see `techforce research studies`)."),
) -> None:
    """Build or bring up to date the study's assisted-coding index (the model runs on the
    device TECHFORCE_NLP_DEVICE names; auto: a GPU when there is one)."""
    settings = ctx.obj.settings
    columns = (TextColumn("[bold]Embedding passages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with progress(ctx.obj.console, *columns) as bars:
        task = bars.add_task("embed", total=None)

        def advance(done: int, total: int) -> None:
            bars.update(task, completed=done, total=total)

        state = suggesting.build_index(
            ctx.obj.db, study, data_dir=settings.data_dir, device=settings.nlp_device, progress=advance
        )
    typer.echo(
        f"Index: {state.units:,} passages from {state.current} of {state.sources} sources "
        f"({state.model} {state.version})"
    )


def suggest_command(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    code: int = typer.Argument(..., help="The code's id (see the study's codebook page or JSON)."),
    coder: str = typer.Option(..., help="The coder the suggestions are for (they decide them on the web)."),
    top: int = typer.Option(suggesting.TOP_K, min=1, max=200, help="How many passages to propose."),
) -> None:
    """Propose passages for a code to a coder, from the code's definition and examples and the
    passages that coder has coded with it; stored as their open suggestions."""
    settings = ctx.obj.settings
    with progress(ctx.obj.console) as bars:
        step = bars.add_task("Finding passages", total=None)
        stored = suggesting.suggest_code(
            ctx.obj.db,
            study,
            code,
            actor=coder,
            data_dir=settings.data_dir,
            device=settings.nlp_device,
            top_k=top,
        )
        bars.update(step, total=1, completed=1)
    typer.echo(
        f"{stored} suggestions stored for {coder}: they accept or reject them on the study's Assisted coding page"
    )


def search_command(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    top: int = typer.Option(10, min=1, max=200, help="How many passages to show."),
    fmt: Format = FormatOption,
) -> None:
    """The passages of a study closest in meaning to the query, best first."""
    settings = ctx.obj.settings
    found = suggesting.search(
        ctx.obj.db, study, query, data_dir=settings.data_dir, device=settings.nlp_device, top_k=top
    )
    rows = [
        {
            "score": f.score,
            "source": f.source,
            "at": f"{f.start}-{f.end}",
            "passage": f.text if len(f.text) <= SNIPPET else f.text[: SNIPPET - 1] + "…",
        }
        for f in found
    ]
    emit(
        rows,
        fmt,
        title=f"Passages about {query!r}",
        console=ctx.obj.console,
        columns=[Column("score", number=True), Column("source"), Column("at"), Column("passage", wrap=True)],
    )
