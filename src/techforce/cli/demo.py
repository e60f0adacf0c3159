"""`techforce demo`: the main job on the embedded default. Generates the synthetic sector,
ingests it through the real ingest path, prints the sector headline and one provider against
its peers, and writes a self-contained HTML summary."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from techforce import disclosure, embeddings, errors
from techforce.cli import research_demo, views
from techforce.cli.output import Column, Format, emit, progress
from techforce.cli.web import run_server
from techforce.embeddings import Embedder
from techforce.library import demo as library_demo
from techforce.library import semantic as library_semantic
from techforce.programmes import synth as programmes_synth
from techforce.programmes.models import Programme
from techforce.reports import summary
from techforce.research import demo as research_loader
from techforce.strategy import demo as strategy_demo
from techforce.workforce import aggregates, codes, definitions, indicators, peer_groups, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.finding import provider_label
from techforce.workforce.ingest import ingest
from techforce.workforce.models import Provider
from techforce.workforce.service import Workforce


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path(".techforce-demo"), help="Folder for the demo sector and data."),
    scale: float = typer.Option(
        1.0, help="Staff numbers relative to the real sector (1.0 = ~500k contracts)."
    ),
    serve: bool = typer.Option(True, help="Then create an admin account and serve the web app."),
    port: int = typer.Option(8000, help="Port for the web app."),
) -> None:
    """Generate the synthetic sector, ingest it, print the headline, write an HTML summary,
    then create an admin account with a one-time password and serve the web app."""
    console = ctx.obj.console
    settings = ctx.obj.settings.model_copy(update={"data_dir": out / "data"})
    ctx.obj.settings, ctx.obj._db = settings, None
    sector_dir = out / "sector"
    with progress(console) as bars:
        step = bars.add_task("Generating the synthetic sector", total=None)
        sector = synth.generate(synth.SynthConfig().scaled(scale))
        bars.update(step, total=1, completed=1)
        for year in sector.years:
            task = bars.add_task(f"Writing {codes.year_label(year)} returns", total=len(sector.providers))
            output.write_csv(sector, sector_dir, year, lambda n, t=task: bars.advance(t, n))  # type: ignore[misc]
            aggregates.write_open_data(sector, sector_dir, year)
        providers_csv, groups_csv = output.write_metadata(sector, sector_dir)
    db = ctx.obj.db
    paths = [sector_dir / str(y) / "csv" for y in sector.years]
    total = sum(f.stat().st_size for p in paths for f in p.rglob("*.csv"))
    columns = (TextColumn("[bold]Ingesting"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with progress(console, *columns) as bars:
        task = bars.add_task("ingest", total=total)
        for path in paths:
            ingest(settings, db, [path], on_progress=lambda n: bars.advance(task, n))
    year = max(sector.years)
    with progress(console) as bars:
        step = bars.add_task("Computing indicators", total=None)
        with db.session() as session:
            peer_groups.import_providers(session, providers_csv, actor=settings.user)
            peer_groups.import_csv(session, groups_csv, actor=settings.user)
            aggregates.load(session, settings, sector_dir / "open-data" / f"staff_by_occupation_{year}.csv")
            files, returned = store.catalogue_inputs(session, settings)
            members = peer_groups.members(session, sector.consortium)
            names = {p.ukprn: p.name for p in session.query(Provider)}
        rules = disclosure.rule_set(settings.disclosure_rules)
        comp = indicators.compute(files, returned, definitions.get(None), rules)
        bars.update(step, total=1, completed=1)
        step = bars.add_task("Writing the HTML summary", total=None)
        provider = members[0]
        headline_year = min(sector.years)
        context = summary.build(
            comp,
            year=headline_year,
            provider=provider,
            provider_name=names[provider],
            group=sector.consortium,
            group_members=members,
            names=names,
        )
        html = summary.write_html(context, out / "summary.html")
        (out / "summary.json").write_text(
            json.dumps(
                context
                | {"sections": [{k: v for k, v in s.items() if k != "svg"} for s in context["sections"]]},
                indent=2,
                default=str,
            )
        )
        bars.update(step, total=1, completed=1)
        step = bars.add_task("Generating the demo programmes", total=None)
        try:
            made = programmes_synth.generate(settings, db, scale=scale, sector_dir=sector_dir).line()
        except errors.Refused:  # a second demo into the same folder keeps the programmes it has
            made = "Programmes: the demo programmes from an earlier run are kept"
        bars.update(step, total=1, completed=1)
        step = bars.add_task("Loading the demo research study", total=None)
        try:
            studied = research_demo.load(db, owner=settings.user, actor=settings.user).line()
        except errors.Refused:  # a second demo into the same folder keeps the studies it has
            studied = "Research: the demo studies from an earlier run are kept"
        bars.update(step, total=1, completed=1)
        step = bars.add_task("Loading the demo library", total=None)
        with db.session() as session:
            slugs = list(session.scalars(select(Programme.slug).order_by(Programme.slug)))
            try:
                count = library_demo.load_demo(
                    session, data_dir=settings.data_dir, actor=settings.user, programmes=slugs
                )
                shelved = f"Library: {count} resources (public catalogue at /library/catalogue)"
                if embeddings.available():  # searchable by meaning too
                    library_semantic.embed_missing(session, Embedder(device=settings.nlp_device))
            except errors.Refused:  # a second demo into the same folder keeps its library
                shelved = "Library: the demo resources from an earlier run are kept"
        bars.update(step, total=1, completed=1)
        step = bars.add_task("Loading the demo commitments and action plans", total=None)
        with db.session() as session:  # after programmes and library: their slugs are evidence
            committed = strategy_demo.load_demo(
                session, Workforce(settings, db), settings.user, date.today(), computation=comp
            ).line()
        bars.update(step, total=1, completed=1)
    emit(
        [{"indicator": h["label"], "sector": h["display"]} for h in context["headline"]],
        Format.table,
        title=f"Sector headline {codes.year_label(headline_year)}",
        meta=context["meta"],
        columns=[Column("indicator", wrap=True), Column("sector", number=True)],
    )
    compared = next(s for s in context["sections"] if s.get("rows") and "quartile" in s["rows"][0])
    rows = compared["rows"]
    emit(
        rows,
        Format.table,
        title=f"{provider_label(names, provider)} against {sector.consortium}, "
        f"{codes.year_label(headline_year)}",
        **views.compare(rows).emit_args(),
    )
    typer.echo(made)
    typer.echo(studied)
    typer.echo(shelved)
    typer.echo(textwrap.fill(committed, width=78, subsequent_indent="  "))  # fits 80 columns
    typer.echo(f"HTML summary: {html.resolve()}")
    if serve:
        from techforce.accounts import service  # the web extra: only when serving

        with db.session() as session:
            exists = any(u.username == "admin" for u in service.list_users(session))
            password = (
                service.reset_password(session, "admin", actor=settings.user)
                if exists
                else service.create_user(session, "admin", "admin", actor=settings.user)[1]
            )
            research_loader.share(session, "admin", actor=settings.user)
        typer.echo(f"Sign in at http://127.0.0.1:{port}/ as admin with one-time password: {password}")
        run_server(settings, db, "127.0.0.1", port)
