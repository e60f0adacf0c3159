"""`techforce workforce ...`: ingest, validate, synth, definitions, indicators, peers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeElapsedColumn
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session

from techforce import disclosure, errors
from techforce.cli import views
from techforce.cli.output import Format, FormatOption, emit, progress
from techforce.workforce import aggregates, codes, definitions, indicators, peer_groups, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.finding import check_choice, provider_label, resolve_provider
from techforce.workforce.ingest import discover, ingest
from techforce.workforce.models import AggregateTable, PeerGroup, Snapshot
from techforce.workforce.problems import InputError, Problem, report_path_problem, write_report
from techforce.workforce.service import Workforce

app = typer.Typer(
    help="Know the workforce: HESA Staff returns, indicators and benchmarks.", no_args_is_help=True
)


T = TypeVar("T")


def _fail(ctx: typer.Context, message: str) -> NoReturn:
    """Exit 2 with the message, printed as plain text (it may hold user data)."""
    ctx.obj.console.print(
        Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True
    )
    raise typer.Exit(2)


def _names(ctx: typer.Context) -> dict[str, str]:
    """UKPRN -> provider name, for every provider techforce knows."""
    return Workforce(ctx.obj.settings, ctx.obj.db).names()


def _provider(ctx: typer.Context, typed: str) -> str:
    """The UKPRN for a UKPRN or a unique part of a provider's name (else exit 2, listing
    the nearest names or the matches)."""
    return resolve_provider(_names(ctx), typed)


def _held_years(ctx: typer.Context, ukprn: str | None = None) -> list[int]:
    query = select(Snapshot.year).distinct().order_by(Snapshot.year)
    if ukprn is not None:
        query = query.where(Snapshot.ukprn == ukprn)
    with ctx.obj.db.session() as session:
        return list(session.scalars(query))


def _listed_years(years: list[int]) -> str:
    return ", ".join(codes.year_label(y) for y in years) or "none"


def _years(ctx: typer.Context, texts: list[str], ukprn: str | None = None) -> list[int]:
    """The reporting years asked for (default: the latest held), each one held, for
    ``ukprn`` when given; a wrong or missing year exits 2 listing the years held."""
    held = _held_years(ctx)
    if not held:
        raise errors.NotFound(
            "no staff returns have been ingested yet: ingest returns first (`techforce workforce ingest`)"
        )
    chosen = []
    for text in texts:
        try:
            chosen.append(codes.parse_year(text))
        except ValueError as exc:
            raise errors.NotFound(f"{exc}; years held: {_listed_years(held)}") from None
    missing = [y for y in chosen if y not in held]
    if missing:
        raise errors.NotFound(f"no data for {_listed_years(missing)}; years held: {_listed_years(held)}")
    chosen = chosen or held[-1:]
    if ukprn is not None:
        own = _held_years(ctx, ukprn)
        label = provider_label(_names(ctx), ukprn)
        if not own:
            raise errors.NotFound(f"no return from {label} has been ingested; ingest it first")
        gaps = [y for y in chosen if y not in own]
        if gaps:
            raise errors.NotFound(
                f"no return from {label} for {_listed_years(gaps)}; its years: {_listed_years(own)}"
            )
    return chosen


def _group(ctx: typer.Context, typed: str) -> tuple[str, list[str]]:
    """A peer group's name and members (unknown: exit 2 with the nearest names)."""
    with ctx.obj.db.session() as session:
        known = list(session.scalars(select(PeerGroup.name).order_by(PeerGroup.name)))
        name = check_choice("peer group", typed, known)
        return name, peer_groups.members(session, name)


def _indicators(wanted: list[str], choices: list[str] | None = None, what: str = "indicator") -> list[str]:
    """Indicator ids, each one known (else exit 2 with the nearest ids and the list)."""
    known = choices or [i.id for i in indicators.CATALOGUE]
    return [check_choice(what, w, known) for w in wanted]


def _plain(ctx: typer.Context, text: str, style: str = "") -> None:
    """Print text that may hold user data (file names, values, column names) as plain text:
    never parsed as Rich markup, never highlighted, never wrapped inside a file name."""
    ctx.obj.console.print(Text(text, style=style), highlight=False, soft_wrap=True)


def _write_report(ctx: typer.Context, problems: list[Problem], report: Path) -> None:
    try:
        write_report(problems, report)
    except OSError as exc:
        _fail(ctx, f"could not write the report {report}: {exc.strerror or exc}")


@app.command("ingest")
def ingest_command(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ..., help="HESA Staff XML files, data-supply CSV tables, or folders of them."
    ),
    year: str | None = typer.Option(None, help="Reporting year (2022, 2022/23) when files have no RECID."),
    non_academic: str = typer.Option(
        "detect", help="Did the return include non-academic staff? detect|yes|no."
    ),
    report: Path | None = typer.Option(None, help="Write every problem found to this .csv or .json file."),
    strict: bool = typer.Option(False, help="Treat warnings as errors."),
    multi_provider: bool = typer.Option(
        False,
        "--multi-provider",
        help="The input is a multi-provider data supply: a file may hold several providers or years.",
    ),
    fmt: Format = FormatOption,
) -> None:
    """Validate and store returns: one immutable snapshot per provider and year.
    Any error means nothing is written (not even the data folder or the pseudonym key)."""
    flags: dict[str, bool | None] = {"detect": None, "yes": True, "no": False}
    if non_academic not in flags:
        _fail(ctx, "--non-academic must be detect, yes or no")
    if report is not None and (why := report_path_problem(report)) is not None:
        _fail(ctx, f"--report: {why}")
    try:
        reporting_year = codes.parse_year(year) if year is not None else None
    except ValueError as exc:
        _fail(ctx, f"--year: {exc}")
    try:
        xml, csv = discover(paths)
    except InputError as exc:
        _fail(ctx, str(exc))
    total = sum(p.stat().st_size for p in xml + csv)
    columns = (TextColumn("[bold]Reading"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    try:
        with progress(ctx.obj.console, *columns) as bars:
            task = bars.add_task("read", total=total)
            # The catalogue is opened (and a new data folder created) only for a valid return.
            result = ingest(
                ctx.obj.settings,
                lambda: ctx.obj.db,
                paths,
                year=reporting_year,
                non_academic=flags[non_academic],
                strict=strict,
                multi_provider=multi_provider,
                on_progress=lambda n: bars.advance(task, n),
            )
    except InputError as exc:
        shown = [p for p in exc.problems if p.severity == "error"] or exc.problems
        for problem in shown[:20]:
            _plain(ctx, problem.describe(), "red" if problem.severity == "error" else "yellow")
        if len(shown) > 20:
            _plain(ctx, f"... {len(shown) - 20:,} more listed (use --report FILE.csv)")
        if report:
            _write_report(ctx, exc.problems, report)
            _plain(ctx, f"all {len(exc.problems):,} listed problems written to {report}")
        if exc.error_count:
            _fail(ctx, f"{exc.summary()} found; nothing was written")
        _fail(ctx, f"{len(exc.problems):,} warning(s) refused with --strict; nothing was written")
    if report:
        _write_report(ctx, result.warnings, report)
    for warning in result.warnings[:10]:
        _plain(ctx, warning.describe(), "yellow")
    rows = [
        {
            "ukprn": s.ukprn,
            "year": codes.year_label(s.year),
            "persons": s.persons,
            "contracts": s.contracts,
            "activities": s.activities,
            "non_academic_returned": s.returned_non_academic,
            "action": "replaced" if s.replaced else "added",
        }
        for s in result.snapshots
    ]
    view = views.ingested(rows, _names(ctx) if fmt is Format.table and rows else {})
    emit(
        rows,
        fmt,
        title=f"Ingested {len(rows)} snapshot(s), {result.warning_count:,} warning(s)",
        meta={"note": "counts are the unrounded contents of your own files"},
        **view.emit_args(),
    )


@app.command("snapshots")
def snapshots_command(
    ctx: typer.Context,
    provider: str | None = typer.Option(None, help="Only this provider: a UKPRN or part of its name."),
    year: str | None = typer.Option(None, help="Only this reporting year (2022 or 2022/23)."),
    fmt: Format = FormatOption,
) -> None:
    """List the catalogue, by year: one snapshot per provider and year, with hashes and who
    ingested it."""
    ukprns = [_provider(ctx, provider)] if provider else None
    years = _years(ctx, [year]) if year else None
    with ctx.obj.db.session() as session:
        rows = [
            {
                "ukprn": s.ukprn,
                "year": codes.year_label(s.year),
                "persons": s.persons,
                "contracts": s.contracts,
                "non_academic": s.returned_non_academic,
                "basis": s.non_academic_basis,
                "sha256": s.parquet_sha256[:12],
                "by": s.ingested_by,
                "at": s.ingested_at.isoformat(timespec="seconds"),
            }
            for s, _ in store.snapshot_files(session, ctx.obj.settings, years=years, ukprns=ukprns)
        ]
    if fmt is not Format.table or not rows:
        emit(rows, fmt, title="Snapshots")
        return
    names = _names(ctx)
    for label, view in views.snapshots(rows, names).items():
        found = [r for r in rows if r["year"] == label]
        emit(found, fmt, title=views.snapshot_title(label, found), **view.emit_args())


@app.command("gc")
def gc_command(ctx: typer.Context) -> None:
    """Remove files left by an interrupted or replaced ingest (never a catalogued one)."""
    settings = ctx.obj.settings
    if not settings.data_dir.is_dir():  # nothing ingested yet: create nothing
        _plain(ctx, f"nothing to remove: there is no data folder at {settings.data_dir}")
        return
    with store.store_lock(settings), ctx.obj.db.session() as session:
        removed = store.collect_garbage(session, settings)
    _plain(ctx, f"removed {len(removed)} unreferenced file(s)")


@app.command("synth")
def synth_command(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="Folder to write the synthetic sector into."),
    seed: int = typer.Option(2022, help="Random seed: the same seed gives the same sector."),
    shape: str = typer.Option("both", "--shape", help="csv, xml or both."),
    scale: float = typer.Option(1.0, help="Multiply staff numbers (0.05 for a quick small sector)."),
    providers: int = typer.Option(223, help="Number of providers."),
) -> None:
    """Write a realistic synthetic sector: both file shapes, two years, metadata and truth."""
    if shape not in ("csv", "xml", "both"):
        _fail(ctx, "--shape must be csv, xml or both")
    if providers < 1:
        _fail(ctx, f"--providers must be at least 1, not {providers}")
    if scale <= 0:
        _fail(ctx, f"--scale must be above 0, not {scale}")
    cfg = synth.SynthConfig.for_providers(providers, seed=seed).scaled(scale)
    with progress(ctx.obj.console) as bars:
        task = bars.add_task("Generating the sector", total=None)
        sector = synth.generate(cfg)
        bars.update(task, total=1, completed=1)
        for year in sector.years:
            for kind, writer in (("csv", output.write_csv), ("xml", output.write_xml)):
                if shape in (kind, "both"):
                    task = bars.add_task(
                        f"Writing {codes.year_label(year)} {kind}", total=len(sector.providers)
                    )
                    writer(sector, out, year, lambda n, t=task: bars.advance(t, n))  # type: ignore[misc]
            aggregates.write_open_data(sector, out, year)
        task = bars.add_task("Writing metadata and truth", total=None)
        output.write_metadata(sector, out)
        output.write_truth(sector, out, definitions.get(None))
    _plain(ctx, f"synthetic sector written to {out}")


@app.command("definitions")
def definitions_command(
    ctx: typer.Context,
    show: str | None = typer.Option(None, help="Show one definition in full."),
    add: Path | None = typer.Option(None, help="Add your own definition from a JSON file."),
    fmt: Format = FormatOption,
) -> None:
    """List the definitions of "technical" and "strategic technical leader"."""
    with ctx.obj.db.session() as session:
        if add is not None:
            added = definitions.add(session, add, actor=ctx.obj.settings.user)
            _plain(ctx, f"added definition {added.stamp}")
        if show is not None:
            d = definitions.get(show, session)
            emit([{"field": k, "value": v} for k, v in d.model_dump().items()], fmt, title=d.stamp)
            return
        rows = [
            {
                "definition": d.stamp,
                "title": d.title,
                "builtin": d.builtin,
                "default": d.name == definitions.DEFAULT,
            }
            for d in definitions.all_definitions(session)
        ]
    emit(rows, fmt, title="Definitions")


@app.command("disclosure")
def disclosure_command(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """How published figures are protected: the rule set and its perturbation table."""
    rules = disclosure.rule_set(
        ctx.obj.settings.disclosure_rules, allow_unrounded=ctx.obj.settings.allow_unrounded
    )
    described = rules.describe()
    ptable = described.pop("perturbation") or {}
    rows = [{"item": k, "value": v} for k, v in described.items()]
    for count, row in (ptable.get("published_value_by_count") or {}).items():
        shown = ", ".join(f"{value} ({p})" for value, p in row)
        rows.append({"item": f"true count {count} is published as", "value": shown})
    emit(rows, fmt, title=f"Disclosure control {rules.stamp}")


def _computation(
    ctx: typer.Context,
    years: list[int] | None,
    definition: str | None,
    unrounded: bool,
    wanted: list[str] | None,
) -> indicators.Computation:
    settings = ctx.obj.settings
    rules = disclosure.rule_set(
        "unrounded" if unrounded else settings.disclosure_rules, allow_unrounded=settings.allow_unrounded
    )
    with ctx.obj.db.session() as session:
        chosen = definitions.get(definition, session)
        files, returned = store.catalogue_inputs(session, settings, years=years)
    if not files:
        _fail(ctx, "no snapshots for that year: ingest returns first (`techforce workforce ingest`)")
    return indicators.compute(files, returned, chosen, rules, wanted)


def _meta(comp: indicators.Computation) -> dict[str, object]:
    returning = sum(comp.returned.values())
    return {
        "definition": comp.definition.stamp,
        "disclosure": comp.rules.stamp,
        "population": f"non-academic indicators use only the {returning} provider-year(s) that "
        "returned non-academic staff",
    }


@app.command("indicators")
def indicators_command(
    ctx: typer.Context,
    list_: bool = typer.Option(False, "--list", help="List the indicator catalogue."),
    indicator: list[str] = typer.Option([], "--indicator", "-i", help="Indicator id(s); default all."),
    provider: str | None = typer.Option(None, help="A provider: its UKPRN or a unique part of its name."),
    group: str | None = typer.Option(None, "--peer-group", help="A peer group's name."),
    year: list[str] = typer.Option([], help="Reporting year(s); several for a trend. Default: latest."),
    definition: str | None = typer.Option(None, help="Definition name (see `definitions`)."),
    unrounded: bool = typer.Option(False, help="Unrounded figures (only if settings grant it)."),
    fmt: Format = FormatOption,
) -> None:
    """Compute indicators for the sector, a provider or a peer group, one year or a trend."""
    wanted = _indicators(indicator)
    if list_:
        listed = [i for i in indicators.CATALOGUE if not wanted or i.id in wanted]
        rows = [
            {
                "id": i.id,
                "title": i.title,
                "unit": i.unit,
                "breakdown": i.breakdown or "",
                "population": i.population,
                "definition": i.definition,
            }
            for i in listed
        ]
        emit(rows, fmt, title="Indicators", **views.catalogue(listed).emit_args())
        return
    if provider and group:
        raise errors.Refused("give --provider or --peer-group, not both")
    members, scope, label = None, "sector", "sector"
    if group:
        scope, members = _group(ctx, group)
        label = scope
    if provider:
        scope = _provider(ctx, provider)
        members, label = [scope], provider_label(_names(ctx), scope)
    years = _years(ctx, year, scope if provider else None)
    comp = _computation(ctx, years, definition, unrounded, wanted or None)
    rows = [r.as_dict() for ind in comp.rows for r in comp.results(ind, scope, members)]
    emit(
        rows,
        fmt,
        title=f"Indicators: {label}, {_listed_years(years)}",
        meta=_meta(comp),
        **views.indicators(rows).emit_args(),
    )


SINGLE_VALUED = [i.id for i in indicators.CATALOGUE if not i.breakdown and i.unit != "level"]


@app.command("compare")
def compare_command(
    ctx: typer.Context,
    provider: str = typer.Argument(..., help="The provider: its UKPRN or a unique part of its name."),
    group: str = typer.Option(..., "--peer-group", help="Peer group to compare against."),
    indicator: list[str] = typer.Option([], "--indicator", "-i", help="Indicator id(s)."),
    year: str | None = typer.Option(None, help="Reporting year; default latest."),
    definition: str | None = typer.Option(None, help="Definition name."),
    fmt: Format = FormatOption,
) -> None:
    """A provider against a peer group: value, median, quartiles, rank."""
    wanted = _indicators(indicator, SINGLE_VALUED, "single-valued indicator") or [
        i.id for i in indicators.CATALOGUE if not i.breakdown and i.unit in ("people", "percent")
    ]
    ukprn = _provider(ctx, provider)
    name, members = _group(ctx, group)
    chosen_year = _years(ctx, [year] if year else [], ukprn)[0]
    comp = _computation(ctx, [chosen_year], definition, False, wanted)
    rows = [peer_groups.position(comp, i, chosen_year, ukprn, name, members).as_dict() for i in wanted]
    label = provider_label(_names(ctx), ukprn)
    emit(
        rows,
        fmt,
        title=f"{label} against {name}, {codes.year_label(chosen_year)}",
        meta=_meta(comp),
        **views.compare(rows).emit_args(),
    )


peers = typer.Typer(help="Peer groups: named, overlapping sets of providers.", no_args_is_help=True)
app.add_typer(peers, name="peers")


@peers.command("list")
def peers_list(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="List each group's members by name."),
    fmt: Format = FormatOption,
) -> None:
    """List peer groups with their member counts (--full: their members)."""
    with ctx.obj.db.session() as session:
        rows = [
            {"group": g.name, "members": len(g.members), "ukprns": " ".join(m.ukprn for m in g.members)}
            for g in peer_groups.all_groups(session)
        ]
    names = _names(ctx) if full and fmt is Format.table else {}
    view = views.peer_groups(rows, names, full=full)
    if not full and rows:
        view.notes.append("--full lists each group's members")
    emit(rows, fmt, title="Peer groups", **view.emit_args())


@peers.command("add")
def peers_add(
    ctx: typer.Context,
    name: str,
    providers: list[str] = typer.Argument(
        ..., metavar="PROVIDERS...", help="Members: UKPRNs or unique parts of provider names."
    ),
    description: str = typer.Option("", help="What the group is."),
) -> None:
    """Create or replace a peer group with these providers."""
    least = ctx.obj.settings.min_peer_group_size
    known = _names(ctx)
    ukprns = [resolve_provider(known, p) for p in providers]
    _in_session(
        ctx,
        lambda s: peer_groups.save(
            s, name, ukprns, description=description, actor=ctx.obj.settings.user, min_members=least
        ),
    )
    _plain(ctx, f"peer group {name!r} saved with {len(set(ukprns))} member(s)")


def _in_session(ctx: typer.Context, action: Callable[[Session], T]) -> T:
    """Run one catalogue change in a transaction (a refused change exits 2 with its message,
    as every base error does; a file that cannot be read too)."""
    try:
        with ctx.obj.db.session() as session:
            return action(session)
    except OSError as exc:
        _fail(ctx, str(exc))


@peers.command("remove")
def peers_remove(ctx: typer.Context, name: str) -> None:
    """Delete a peer group."""
    with ctx.obj.db.session() as session:
        name = check_choice(
            "peer group", name, session.scalars(select(PeerGroup.name).order_by(PeerGroup.name))
        )
    _in_session(ctx, lambda s: peer_groups.remove(s, name, actor=ctx.obj.settings.user))
    _plain(ctx, f"peer group {name!r} removed")


@peers.command("import")
def peers_import(ctx: typer.Context, path: Path) -> None:
    """Import peer groups from a CSV with columns group, UKPRN."""
    least = ctx.obj.settings.min_peer_group_size
    counts = _in_session(
        ctx, lambda s: peer_groups.import_csv(s, path, actor=ctx.obj.settings.user, min_members=least)
    )
    _plain(ctx, f"imported {len(counts)} peer group(s)")


@app.command("providers")
def providers_import(
    ctx: typer.Context, path: Path = typer.Argument(..., help="CSV: UKPRN, HE provider, ...")
) -> None:
    """Import provider names, nations and regions."""
    count = _in_session(ctx, lambda s: peer_groups.import_providers(s, path, actor=ctx.obj.settings.user))
    _plain(ctx, f"imported {count} provider(s)")


agg = typer.Typer(help="Published open-data aggregate tables (HESA CSV).", no_args_is_help=True)
app.add_typer(agg, name="aggregates")


@agg.command("load")
def aggregates_load(
    ctx: typer.Context,
    path: Path,
    name: str | None = typer.Option(None, help="Name to store it under (default: file name)."),
) -> None:
    """Load a HESA open-data table (metadata lines, BOM and roll-up rows handled)."""
    with ctx.obj.db.session() as session:
        table = aggregates.load(session, ctx.obj.settings, path, name=name)
    _plain(ctx, f"loaded {table.rows} rows as {table.name!r}: {table.title}")


@agg.command("show")
def aggregates_show(
    ctx: typer.Context,
    name: str,
    where: list[str] = typer.Option([], help='Filter "Column=Value"; repeat for several.'),
    provider: str | None = typer.Option(None, help="Only this provider: a UKPRN or part of its name."),
    fmt: Format = FormatOption,
) -> None:
    """Per-provider totals of a loaded table (roll-up rows never double counted)."""
    bad = [w for w in where if "=" not in w]
    if bad:
        raise errors.Invalid(f"--where {bad[0]!r}: write it as Column=Value")
    filters = dict(w.split("=", 1) for w in where)
    with ctx.obj.db.session() as session:
        tables = session.scalars(select(AggregateTable.name).order_by(AggregateTable.name))
        name = check_choice("aggregate table", name, tables)
        rows = aggregates.totals(session, ctx.obj.settings, name, filters)
    if provider and rows:
        chosen = resolve_provider({r["ukprn"]: r["provider"] or r["ukprn"] for r in rows}, provider)
        rows = [r for r in rows if r["ukprn"] == chosen]
    shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "all"
    emit(
        rows,
        fmt,
        title=f"{name}: {shown}",
        meta={"note": "published figures, already rounded by HESA"},
        **views.aggregates(rows).emit_args(),
    )
