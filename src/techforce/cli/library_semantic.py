"""`techforce library embed|gc`: make the library searchable by meaning (optional extra
``techforce[nlp]``): every resource added or changed since is embedded by the local model,
with a progress bar. The web app embeds a resource when a curator saves it; this command is
for resources added by the command line, an import or the demo."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from techforce.cli.output import progress
from techforce.embeddings import Embedder
from techforce.library import semantic, service


def register(app: typer.Typer) -> None:
    app.command("embed")(embed_command)
    app.command("gc")(gc_command)


def gc_command(ctx: typer.Context) -> None:
    """Delete stored files that no resource holds any more (removed or replaced resources)."""
    with ctx.obj.db.session() as s:
        removed = service.collect_garbage(s, ctx.obj.settings.data_dir, actor=ctx.obj.settings.user)
    typer.echo(f"{removed} stored files no resource holds were deleted")


def embed_command(ctx: typer.Context) -> None:
    """Embed the resources not yet searchable by meaning (the model runs on the device
    TECHFORCE_NLP_DEVICE names)."""
    model = Embedder(device=ctx.obj.settings.nlp_device)
    columns = (
        TextColumn("[bold]Embedding resources"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with progress(ctx.obj.console, *columns) as bars, ctx.obj.db.session() as s:
        task = bars.add_task("embed", total=None)
        done = semantic.embed_missing(
            s, model, progress=lambda n, total: bars.update(task, completed=n, total=total)
        )
    typer.echo(f"{done} resources embedded with {model.name} {model.version} on {model.device}")
