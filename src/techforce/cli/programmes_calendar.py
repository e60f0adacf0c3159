"""`techforce programmes notify | calendar | feed-token`: sending the queued e-mails (and the
reminders and feedback requests that have fallen due), writing a programme's or cohort's
calendar file, and a person's private calendar feed address."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.text import Text

from techforce import errors
from techforce.cli.output import Format, FormatOption, emit
from techforce.programmes import calendar, mail, service


def notify(
    ctx: typer.Context,
    now: str | None = typer.Option(
        None,
        "--now",
        help="Take this moment as now (ISO 8601, e.g. 2026-03-01T09:00:00+00:00; no offset means UTC).",
    ),
    fmt: Format = FormatOption,
) -> None:
    """Queue the session reminders and feedback requests that are due, then send every queued
    e-mail (by SMTP when TECHFORCE_SMTP_HOST is set, else into the outbox folder)."""
    moment = _moment(now)
    with ctx.obj.db.session() as s:
        queued = mail.queue_due(s, ctx.obj.settings, moment)
    done = mail.deliver_pending(ctx.obj.settings, ctx.obj.db)
    rows = [
        {
            "queued": queued,
            "sent": done.sent,
            "failed": done.failed,
            "channel": done.channel,
            "where": done.where,
        }
    ]
    notes = []
    if done.failed:
        notes.append("Messages not sent stay queued and are tried again on the next run.")
    emit(rows, fmt, title="Notifications", notes=notes)


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise errors.Invalid(
            f"--now: {text!r} is not an ISO 8601 time; write it like 2026-03-01T09:00:00+00:00"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def write_calendar(
    ctx: typer.Context,
    programme: str = typer.Argument(..., help="The programme's slug."),
    cohort: str | None = typer.Option(None, "--cohort", help="Only this cohort's sessions (its name)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the .ics file here (default: standard output)."
    ),
) -> None:
    """Write the sessions of a programme, or of one of its cohorts, as an iCalendar (.ics) file."""
    settings = ctx.obj.settings
    with ctx.obj.db.session() as s:
        if cohort is None:
            data = calendar.programme_feed(s, programme, settings)
        else:
            data = calendar.cohort_feed(s, service.cohort(s, programme, cohort).id, settings)
    if out is None:
        typer.echo(data, nl=False)
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise errors.Refused(f"could not write {out}: {exc.strerror or exc}; choose another --out") from None
    ctx.obj.console.print(Text(f"Wrote {out}"), highlight=False, soft_wrap=True)


def feed_token(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The participant's user name."),
    revoke: bool = typer.Option(False, "--revoke", help="Stop the person's private feed address instead."),
) -> None:
    """Give a person a new private calendar feed address (printed once: the old one stops), or
    revoke it."""
    actor = ctx.obj.settings.user
    with ctx.obj.db.session() as s:
        who = service.participant_for_user(s, username)
        if who is None:
            raise errors.NotFound(f"no participant has the user name {username!r}; check the spelling")
        if revoke:
            had = calendar.revoke_feed_token(s, who, actor=actor)
        else:
            token = calendar.new_feed_token(s, who, actor=actor)
    if revoke:
        typer.echo(f"Revoked {username}'s private feed." if had else f"{username} had no private feed.")
        return
    typer.echo(calendar.feed_url(ctx.obj.settings, token))
    ctx.obj.console.print(
        Text("Keep this address private: anyone holding it sees the sessions. It is shown only once."),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("notify")(notify)
    app.command("calendar")(write_calendar)
    app.command("feed-token")(feed_token)
