"""`techforce strategy sets|import-set|export-set|sign|due|pledge|export-actions|import-actions|
remind`: recommendation sets, Technician Commitment signatories and their due dates, pledges,
action plans by CSV and reminders, from the command line.

The command line acts as an operator on the server and records each change in the audit log
under the --user (or TECHFORCE_USER) name. A provider is named by its UKPRN."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.text import Text
from sqlalchemy import select

from techforce import errors
from techforce.cli.output import Column, Format, FormatOption, emit, progress, write_private
from techforce.strategy import exchange, records, recsets, reminders, schedule, service
from techforce.strategy.models import RecommendationSet
from techforce.workforce.problems import InputError

SHOWN_PROBLEMS = 50
STAGE_HELP = f"The stage of the plan: {', '.join(records.STAGES)}."


def _day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option as a date; Invalid names the option, the value and the form."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise errors.Invalid(f"{option} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-03-31.")


def _read(path: Path, what: str, limit: int) -> bytes:
    """The file's bytes, or an error naming the file and the fix (nothing is read past ``limit``)."""
    if not path.is_file():
        raise errors.Invalid(f"{path}: no such file: give the path of {what}.")
    if path.stat().st_size > limit:
        raise errors.Refused(
            f"{path}: the file is larger than {limit // 1024 // 1024} MB: split it, or save it smaller."
        )
    return path.read_bytes()


def _show_problems(ctx: typer.Context, exc: InputError) -> None:
    for problem in exc.problems[:SHOWN_PROBLEMS]:
        ctx.obj.console.print(Text(problem.describe()), highlight=False, soft_wrap=True)
    if len(exc.problems) > SHOWN_PROBLEMS:
        ctx.obj.console.print(
            Text(f"… and {len(exc.problems) - SHOWN_PROBLEMS} more problems"), highlight=False
        )


# ---------------------------------------------------------------- recommendation sets


def sets_command(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List the stored recommendation sets (the shipped ones are stored first if missing)."""
    settings = ctx.obj.settings
    with ctx.obj.db.session() as s:
        service.install_shipped(s, settings.user)
        rows = [
            {
                "set": row.slug,
                "version": row.version,
                "title": row.title,
                "publisher": row.publisher,
                "published": row.published.isoformat() if row.published else "",
                "recommendations": len(row.recommendations),
                "shipped": row.shipped,
            }
            for row in service.sets(s)
        ]
    columns = [
        Column("set", wrap=False),
        Column("version", wrap=False),
        Column("title", wrap=True),
        Column("published", wrap=False),
        Column("recommendations", number=True),
        Column("shipped"),
    ]
    emit(
        rows,
        fmt,
        title="Recommendation sets",
        console=ctx.obj.console,
        columns=columns,
        notes=["Name a recommendation as SET/CODE, e.g. stl-2024/STL-1."],
    )


def import_set(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A set as YAML (.yaml/.yml) or its recommendations as CSV (.csv)."),
    set_id: str = typer.Option("", "--id", help="CSV only: the set's id, e.g. my-review-2025."),
    title: str = typer.Option("", "--title", help="CSV only: the set's title."),
    publisher: str = typer.Option("", "--publisher", help="CSV only: who published it."),
    published: str = typer.Option("", "--published", help="CSV only: when, YYYY-MM-DD."),
    version: int = typer.Option(1, "--version", help="CSV only: the set's version (default 1)."),
    citation: str = typer.Option("", "--citation", help="CSV only: the source to cite."),
    url: str = typer.Option("", "--url", help="CSV only: the source's address."),
) -> None:
    """Store a recommendation set from YAML or CSV; one problem and nothing is stored.

    YAML is the shipped sets' format; CSV has the columns code, title, text, addressees,
    theme, pillars, and the set's own fields come as options."""
    suffix = file.suffix.lower()
    data = _read(file, "a recommendation set (.yaml, .yml or .csv)", recsets.MAX_BYTES)
    if suffix in (".yaml", ".yml"):
        rs = recsets.read_yaml(data, file.name)
    elif suffix == ".csv":
        rs = recsets.read_csv(
            data,
            file.name,
            set_id=set_id,
            title=title,
            publisher=publisher,
            published=published,
            version=version,
            citation=citation,
            url=url,
        )
    else:
        raise errors.Invalid(f"{file.name}: a set is a .yaml, .yml or .csv file: save it as one of those.")
    with ctx.obj.db.session() as s:
        stored = service.install_set(s, rs, ctx.obj.settings.user)
        count = len(stored.recommendations)
    typer.echo(f"Stored {rs.id} version {rs.version}: {count} recommendations ({rs.title})")


def _stored_set(name: str) -> tuple[str, str | None]:
    slug, _, version = name.partition("@")
    return slug, version or None


def export_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="SET", help="The set's id (its newest version), or ID@VERSION."),
    out: Path = typer.Argument(
        ..., help="The file to write: .yaml/.yml (the whole set) or .csv (its recommendations)."
    ),
) -> None:
    """Write a stored recommendation set as YAML or CSV (by the file's suffix), the formats `import-set` reads."""
    suffix = out.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise errors.Invalid(f"{out.name}: write the set to a .yaml, .yml or .csv file.")
    slug, version = _stored_set(name)
    with ctx.obj.db.session() as s:
        service.install_shipped(s, ctx.obj.settings.user)
        query = select(RecommendationSet).where(RecommendationSet.slug == slug)
        if version is not None:
            query = query.where(RecommendationSet.version == version)
        row = s.scalars(query.order_by(RecommendationSet.id.desc())).first()
        if row is None:
            known = ", ".join(sorted({r.slug for r in service.sets(s)}))
            raise errors.NotFound(f"there is no recommendation set {name!r}; the sets are {known}")
        rs = exchange.stored_set(row)
    text = recsets.to_csv(rs) if suffix == ".csv" else recsets.to_yaml(rs)
    write_private(out, text.encode("utf-8"))
    typer.echo(f"Wrote {rs.id} version {rs.version} ({len(rs.recommendations)} recommendations) to {out}")


# ---------------------------------------------------------------- signatories, due dates, pledges


def sign(
    ctx: typer.Context,
    ukprn: str = typer.Argument(..., help="The provider's UKPRN."),
    signed: str = typer.Option(
        ..., "--date", help="The date it signed the Technician Commitment, YYYY-MM-DD."
    ),
    contact: str = typer.Option("", "--contact", help="The e-mail address reminders go to."),
) -> None:
    """Record (or correct) when a provider signed the Technician Commitment; prints its due dates."""
    day = _day(signed, "--date")
    assert day is not None
    with ctx.obj.db.session() as s:
        service.sign(s, ukprn, day, ctx.obj.settings.user, contact=contact)
    typer.echo(f"{ukprn} signed on {day.isoformat()} (cohort {schedule.cohort(day)})")
    for m in schedule.milestones(day):
        opens = f"window opens {m.opens.isoformat()}, " if m.opens else ""
        typer.echo(f"  {m.label}: {opens}due {m.due.isoformat()}")
    if not contact:
        typer.echo("No contact address: no reminders will be sent (add one with --contact).")


def due(
    ctx: typer.Context,
    provider: str | None = typer.Option(
        None, "--provider", help="One provider's UKPRN (default: every signatory)."
    ),
    today: str | None = typer.Option(
        None, "--today", help="The day to judge on, YYYY-MM-DD (default: today)."
    ),
    every: bool = typer.Option(False, "--all", help="Every milestone and its state, not only what is due."),
    fmt: Format = FormatOption,
) -> None:
    """What Technician Commitment submissions are due soon or overdue, per provider."""
    day = _day(today, "--today") or date.today()
    with ctx.obj.db.session() as s:
        found = reminders.due_list(s, day, provider, every_state=every)
    rows = [
        {
            "ukprn": p.ukprn,
            "provider": p.name or p.ukprn,
            "signed": p.signed.isoformat(),
            "milestone": d.milestone.kind,
            "label": d.milestone.label,
            "opens": d.milestone.opens.isoformat() if d.milestone.opens else "",
            "due": d.milestone.due.isoformat(),
            "state": d.state,
            "days_left": (d.milestone.due - day).days,
            "submitted_on": d.submitted_on.isoformat() if d.submitted_on else "",
            "contact": bool(p.contact),
        }
        for p in found
        for d in p.dues
    ]
    if provider is not None and not found:
        raise errors.NotFound(
            f"{provider} has not signed the Technician Commitment: record it with "
            f"`techforce strategy sign {provider} --date YYYY-MM-DD`"
        )
    columns = [
        Column("provider", wrap=True),
        Column("label", header="submission", wrap=True),
        Column("due", wrap=False),
        Column("state", wrap=False),
        Column("days_left", header="days left", number=True),
    ]
    emit(
        rows,
        fmt,
        title=f"Technician Commitment submissions due on {day.isoformat()}",
        console=ctx.obj.console,
        columns=columns,
        notes=[] if rows else ["Nothing is due soon or overdue."],
    )


def pledge(
    ctx: typer.Context,
    ukprn: str = typer.Argument(..., help="The provider's UKPRN."),
    rec: str = typer.Argument(
        ..., metavar="REC", help="The recommendation: SET/CODE (e.g. stl-2024/STL-1) or its id."
    ),
    status: str = typer.Option(..., "--status", help=f"One of: {', '.join(records.PLEDGE_STATUSES)}."),
    note: str = typer.Option("", "--note", help="A note on the pledge."),
) -> None:
    """Pledge a provider to act on a recommendation, or move its pledge on."""
    with ctx.obj.db.session() as s:
        service.install_shipped(s, ctx.obj.settings.user)
        found = service.find_recommendation(s, rec)
        row = service.pledge(s, ukprn, found.id, status, ctx.obj.settings.user, note=note)
        code, state = f"{found.set.slug}/{found.code}", row.status
    typer.echo(f"{ukprn}: {code} {state}")


# ---------------------------------------------------------------- action plans


def export_actions(
    ctx: typer.Context,
    ukprn: str = typer.Argument(..., help="The provider's UKPRN."),
    out: Path = typer.Argument(..., metavar="OUT.csv", help="The CSV file to write."),
    stage: str = typer.Option(records.STAGES[0], "--stage", help=STAGE_HELP),
) -> None:
    """Write a provider's action plan as CSV, the format `import-actions` reads.

    A plan without actions yet gives the header only: fill it in and import it."""
    with ctx.obj.db.session() as s:
        text = exchange.export_actions(s, ukprn, stage, ctx.obj.settings.user)
        sub = exchange.find_submission(s, ukprn, stage)
        count = len(sub.actions) if sub else 0
    write_private(out, text.encode("utf-8"))
    typer.echo(f"Wrote {count} actions of the {records.STAGE_LABELS[stage]} plan of {ukprn} to {out}")


def import_actions(
    ctx: typer.Context,
    ukprn: str = typer.Argument(..., help="The provider's UKPRN."),
    file: Path = typer.Argument(..., metavar="FILE.csv", help="An action plan CSV (see `export-actions`)."),
    stage: str = typer.Option(records.STAGES[0], "--stage", help=STAGE_HELP),
    remove_missing: bool = typer.Option(
        False,
        "--remove-missing",
        help="Remove the plan's actions the file does not name (default: leave them).",
    ),
) -> None:
    """Create and update a provider's actions from CSV; one bad row and nothing changes.

    A row's ref names the action it updates, a new ref adds one. Every row is checked first."""
    data = _read(file, "an action plan CSV (see `techforce strategy export-actions`)", exchange.MAX_BYTES)
    try:
        with ctx.obj.db.session() as s:
            done = exchange.import_actions(
                s, ukprn, stage, data, ctx.obj.settings.user, file=file.name, remove_missing=remove_missing
            )
    except InputError as exc:
        _show_problems(ctx, exc)
        raise
    counts = done.counts()
    typer.echo(
        f"Imported {file.name} into the {records.STAGE_LABELS[stage]} plan of {ukprn}: "
        + ", ".join(f"{n} {what}" for what, n in counts.items() if n or what != "removed")
    )


def remind(
    ctx: typer.Context,
    today: str | None = typer.Option(
        None, "--today", help="The day to judge on, YYYY-MM-DD (default: today)."
    ),
    send: bool = typer.Option(
        False, "--send", help="Deliver the queued messages now (else the web app's next run does)."
    ),
) -> None:
    """Queue reminders of submissions due soon or overdue to each signatory's contact (each once)."""
    day = _day(today, "--today") or date.today()
    settings = ctx.obj.settings
    with ctx.obj.db.session() as s:
        queued = reminders.queue_due(s, settings, day)
    typer.echo(f"Queued {queued} reminder{'s' if queued != 1 else ''} for {day.isoformat()}")
    if send:
        from techforce.programmes import mail

        with progress(ctx.obj.console) as bars:
            bars.add_task("Sending", total=None)
            sent = mail.deliver_pending(settings, ctx.obj.db)
        typer.echo(f"Sent {sent.sent}, failed {sent.failed} ({sent.channel}: {sent.where})")


def register(app: typer.Typer) -> None:
    """Add the commands to `techforce strategy`."""
    app.command("sets")(sets_command)
    app.command("import-set")(import_set)
    app.command("export-set")(export_set)
    app.command("sign")(sign)
    app.command("due")(due)
    app.command("pledge")(pledge)
    app.command("export-actions")(export_actions)
    app.command("import-actions")(import_actions)
    app.command("remind")(remind)
