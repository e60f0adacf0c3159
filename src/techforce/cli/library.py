"""`techforce library add|search|list|remove|export|import|export-site|export-bag|demo`: the
resource library from the command line.

The command line acts as an operator on the server: it sees every resource, private ones
included, and records each change in the audit log under the --user (or TECHFORCE_USER)
name. The static site and the BagIt package hold public resources only: they are made to be
published, and to outlive the server."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.cli.output import Column, Format, FormatOption, emit, progress
from techforce.library import bag, events, exchange, extract, records, search, service, site
from techforce.library.demo import load_demo
from techforce.library.models import Resource
from techforce.programmes.models import Programme
from techforce.workforce.problems import InputError

app = typer.Typer(
    help="The resource library: add, search, export and import resources, and export them to outlive the server.",
    no_args_is_help=True,
)

LIST_FIX = "list the resources and their slugs with `techforce library list`"
SHOWN_PROBLEMS = 50


def _read(path: Path, what: str, limit: int = extract.MAX_BYTES) -> bytes:
    """The file's bytes, or Invalid naming the file and the fix."""
    if not path.is_file():
        raise errors.Invalid(f"{path}: no such file: give the path of {what}.")
    if path.stat().st_size > limit:
        raise errors.Refused(
            f"{path}: the file is larger than {limit // 1024 // 1024} MB: split it, or save it smaller."
        )
    return path.read_bytes()


def _published(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise errors.Invalid(
            f"--published {value!r}: not a date: write it as YYYY-MM-DD, e.g. 2024-03-31."
        ) from None


@contextmanager
def _steps(console: Console, description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for work that reports (done, total)."""
    with progress(console) as bars:
        task = bars.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bars.update(task, completed=done, total=total)

        yield advance


@app.command("add")
def add(
    ctx: typer.Context,
    file_or_url: str = typer.Argument(
        ..., help="The resource's file (PDF, Word, HTML, text, CSV) or web address."
    ),
    title: str = typer.Option(..., "--title", help="The resource's title."),
    kind: str = typer.Option(..., "--kind", help=f"One of: {', '.join(records.KINDS)}."),
    summary: str = typer.Option("", "--summary", help="A sentence or two about it."),
    author: list[str] = typer.Option([], "--author", help="An author (repeat for more)."),
    organisation: str = typer.Option("", "--organisation", help="The organisation that published it."),
    published: str | None = typer.Option(None, "--published", help="Publication date, YYYY-MM-DD."),
    licence: str = typer.Option("", "--licence", help="An SPDX id or licence URL, e.g. CC-BY-4.0."),
    pillar: list[str] = typer.Option(
        [], "--pillar", help=f"A Technician Commitment pillar: {', '.join(records.PILLARS)}."
    ),
    audience: list[str] = typer.Option(
        [], "--audience", help="Who may see it: public (default), signed-in, role:<role>, provider:<UKPRN>."
    ),
    keyword: list[str] = typer.Option([], "--keyword", help="A keyword (repeat for more)."),
    link: list[str] = typer.Option(
        [], "--link", help="What it supports: recommendation:<id>, action:<id>, programme:<slug>."
    ),
    transcript: Path | None = typer.Option(None, "--transcript", help="A text file: a video's transcript."),
    slug: str = typer.Option("", "--slug", help="Its address (default: from the title)."),
) -> None:
    """Add a resource: a file (its text is extracted for search first; a bad file stores nothing) or a link."""
    is_url = file_or_url.startswith(("https://", "http://"))
    file: tuple[bytes, str] | None = None
    if not is_url:
        path = Path(file_or_url)
        file = (_read(path, "the resource's file, or give its web address (https://...)"), path.name)
    text = ""
    if transcript is not None:
        try:
            text = _read(transcript, "the transcript (a UTF-8 text file)").decode("utf-8-sig")
        except UnicodeDecodeError:
            raise errors.Invalid(
                f"{transcript}: the transcript is not UTF-8 text: save it as UTF-8."
            ) from None
    data = service.checked(
        "the resource",
        title=title,
        kind=kind,
        slug=slug,
        summary=summary,
        authors=author,
        organisation=organisation,
        published=_published(published),
        licence=licence,
        pillars=pillar,
        audience=audience or [records.PUBLIC],
        keywords=keyword,
        url=file_or_url if is_url else "",
        links=link,
        transcript=text,
    )
    with ctx.obj.db.session() as s:
        row = service.save_resource(
            s, data, actor=ctx.obj.settings.user, data_dir=ctx.obj.settings.data_dir, file=file
        )
        added = row.slug
    typer.echo(f"Added {added}")


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Words to find (every word must match; failing that, any)."),
    kind: list[str] = typer.Option([], "--kind", help="Only this kind (repeat for more)."),
    pillar: list[str] = typer.Option([], "--pillar", help="Only this pillar (repeat for more)."),
    year: list[int] = typer.Option([], "--year", help="Only published in this year (repeat for more)."),
    organisation: list[str] = typer.Option([], "--organisation", help="Only from this organisation."),
    limit: int = typer.Option(20, "--limit", min=1, max=search.MAX_LIMIT, help="How many to show."),
    fmt: Format = FormatOption,
) -> None:
    """Search every resource (private ones too), best first, with a snippet of each."""
    filters = search.Filters(tuple(kind), tuple(pillar), tuple(year), tuple(organisation))
    with ctx.obj.db.session() as s:
        found = search.search(s, query, allowed=None, filters=filters, limit=limit)
        rows = [
            {
                "score": h.score,
                "slug": h.resource.slug,
                "title": h.resource.title,
                "kind": h.resource.kind,
                "year": h.resource.published.year if h.resource.published else None,
                "snippet": "".join(t for t, _ in h.snippet),
            }
            for h in found.hits
        ]
        snippets = [h.snippet for h in found.hits]
    notes = [f"{len(rows)} of {found.total} matching resources"]
    if found.any_word:
        notes.append("No resource has every word: these have some of them.")
    if fmt is not Format.table:
        emit(
            rows,
            fmt,
            title=f"Library search: {query}",
            meta={"total": found.total, "any_word": found.any_word},
        )
        return
    console = Console()
    console.print(_hits_table(rows, snippets, query))
    for note in notes:
        console.print(Text(note, style="dim"), highlight=False)


def _hits_table(
    rows: list[dict[str, Any]], snippets: list[tuple[tuple[str, bool], ...]], query: str
) -> Table:
    """Search hits for people: the query's words in bold in each snippet (plain Text, never
    markup: titles and snippets are user data)."""
    shown = Table(
        title=Text(f"Library search: {query}"), box=box.SIMPLE_HEAD, show_edge=False, title_justify="left"
    )
    shown.add_column("score", justify="right", no_wrap=True)
    shown.add_column("resource", ratio=2)
    shown.add_column("kind", no_wrap=True)
    shown.add_column("year", no_wrap=True)
    shown.add_column("snippet", ratio=3)
    for row, snippet in zip(rows, snippets, strict=True):
        text = Text()
        for part, hit in snippet:
            text.append(part, style="bold" if hit else "")
        shown.add_row(
            Text(f"{row['score']:.3f}"),
            Text(f"{row['title']}\n{row['slug']}"),
            Text(row["kind"]),
            Text(str(row["year"] or "")),
            text,
            end_section=True,
        )
    return shown


@app.command("list")
def list_command(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List every resource: slug, title, kind, year, audience and file."""
    with ctx.obj.db.session() as s:
        rows = [
            {
                "slug": r.slug,
                "title": r.title,
                "kind": r.kind,
                "year": r.published.year if r.published else None,
                "audience": "; ".join(service.audience(s, r.id)),
                "file": r.file_name or "",
                "url": r.url,
            }
            for r in s.scalars(select(Resource).order_by(Resource.slug))
        ]
    columns = [
        Column("slug", wrap=True),
        Column("title", wrap=True),
        Column("kind", wrap=False),
        Column("year", wrap=False),
        Column("audience", wrap=True),
        Column("file", header="file", wrap=True),
    ]
    shown = [r | {"file": r["file"] or "(a link)"} for r in rows]
    emit(rows, fmt, title="Library resources", console=Console(), columns=columns, table_rows=shown)


@app.command("remove")
def remove(ctx: typer.Context, slug: str = typer.Argument(..., help="The resource's slug.")) -> None:
    """Remove a resource (its file is kept while another resource holds the same bytes)."""
    with ctx.obj.db.session() as s:
        try:
            service.remove_resource(s, slug, actor=ctx.obj.settings.user)
        except errors.NotFound:
            raise errors.NotFound(f"there is no resource {slug!r}: {LIST_FIX}.") from None
    typer.echo(f"Removed {slug}")


@app.command("export")
def export(
    ctx: typer.Context,
    out_dir: Path = typer.Argument(..., help="A new or empty folder, or a previous export (replaced)."),
    public_only: bool = typer.Option(
        False, "--public-only", help="Only public resources (default: every one)."
    ),
) -> None:
    """Export resources as resources.csv and a files/ folder, the format `import` reads."""
    settings = ctx.obj.settings
    allowed = frozenset({records.PUBLIC}) if public_only else None
    with _steps(ctx.obj.console, "Exporting the library") as step, ctx.obj.db.session() as s:
        path = exchange.export_csv(
            s, out_dir, data_dir=settings.data_dir, allowed=allowed, actor=settings.user, progress=step
        )
    with path.open(encoding="utf-8", newline="") as handle:
        count = sum(1 for _ in csv.DictReader(handle))
    typer.echo(f"Exported {count} resources to {path} and {path.parent / 'files'}")


@app.command("import")
def import_command(
    ctx: typer.Context,
    csv_file: Path = typer.Argument(..., metavar="CSV", help="A resources.csv (see `export`)."),
) -> None:
    """Import resources from a CSV in the export's format (files relative to its folder).
    Every row is checked first: one bad row and nothing is written."""
    settings = ctx.obj.settings
    try:
        with _steps(ctx.obj.console, f"Importing {csv_file.name}") as step, ctx.obj.db.session() as s:
            done = exchange.import_csv(
                s, csv_file, data_dir=settings.data_dir, actor=settings.user, progress=step
            )
    except InputError as exc:
        for problem in exc.problems[:SHOWN_PROBLEMS]:
            ctx.obj.console.print(Text(problem.describe()), highlight=False, soft_wrap=True)
        raise
    typer.echo(f"Imported {csv_file.name}: {done.line()}")


def _public_records(
    s: Db, data_dir: Path
) -> tuple[list[records.Resource], Callable[[records.StoredFile], Path]]:
    rows = s.scalars(select(Resource).order_by(Resource.slug))
    found = [service.record(s, r, with_text=True) for r in rows]
    return [r for r in found if r.public], lambda f: service.file_path(data_dir, f.sha256)


@app.command("export-site")
def export_site(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="A new or empty folder, or a previous site export (replaced)."),
    title: str = typer.Option("Technician resource library", "--title", help="The site's title."),
    base_url: str = typer.Option("", "--base-url", help="Where the site will be published (optional)."),
) -> None:
    """Write the public resources as a static website that works without the server (even from a folder)."""
    settings = ctx.obj.settings
    with _steps(ctx.obj.console, "Writing the site") as step, ctx.obj.db.session() as s:
        public, files = _public_records(s, settings.data_dir)
        made = site.export_site(public, out, files=files, title=title, base_url=base_url, progress=step)
        audit.record(
            s, actor=settings.user, action=events.EXPORT, target="site", payload={"resources": made.written}
        )
    typer.echo(
        f"Wrote {made.written} public resources ({made.files} files) to {made.out}; open {made.out / 'index.html'}"
    )


@app.command("export-bag")
def export_bag(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="A new or empty folder, or a previous bag (replaced)."),
    base_url: str = typer.Option(
        "", "--base-url", help="The catalogue's address, for identifiers (optional)."
    ),
    organisation: str = typer.Option(
        "", "--organisation", help="Who deposits the bag (default: the issuer name)."
    ),
) -> None:
    """Write the public resources as a BagIt package (checksummed, with Dublin Core) for an archive."""
    settings = ctx.obj.settings
    with _steps(ctx.obj.console, "Writing the bag") as step, ctx.obj.db.session() as s:
        public, files = _public_records(s, settings.data_dir)
        made = bag.export_bag(
            public, out, files=files, base_url=base_url, organisation=organisation or settings.issuer_name
        )
        step(1, 1)
        audit.record(
            s, actor=settings.user, action=events.EXPORT, target="bag", payload={"resources": len(public)}
        )
    typer.echo(f"Wrote a BagIt bag of {len(public)} public resources to {made}")


@app.command("demo")
def demo(
    ctx: typer.Context,
    count: int = typer.Option(100, "--count", help="How many demo resources (1 to 1000)."),
) -> None:
    """Load the demo library: resources of every kind with real files, some linked to the programmes."""
    settings = ctx.obj.settings
    with _steps(ctx.obj.console, "Loading the demo library") as step, ctx.obj.db.session() as s:
        programmes = list(s.scalars(select(Programme.slug).order_by(Programme.slug)))
        loaded = load_demo(
            s,
            data_dir=settings.data_dir,
            actor=settings.user,
            programmes=programmes,
            count=count,
            progress=step,
        )
    typer.echo(f'Loaded {loaded} demo resources; try `techforce library search "technician careers"`')


from techforce.cli import library_semantic as _library_semantic  # noqa: E402

_library_semantic.register(app)
