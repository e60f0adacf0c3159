"""`techforce programmes list|show|add|cohort|session|book|cancel|decide|register|progress`:
the catalogue and a manager's everyday changes from the command line. Changes are recorded
in the audit log under the --user (or TECHFORCE_USER) name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy import func, select

from techforce import errors
from techforce.cli.output import Column, Format, FormatOption, emit
from techforce.programmes import service
from techforce.programmes.models import Booking, Cohort, Programme


def _invalid(exc: ValidationError) -> errors.Invalid:
    """A pydantic error as the message the shell prints: each field with what is wrong."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()]
    return errors.Invalid("; ".join(parts))


def _deliver(ctx: typer.Context) -> None:
    """Send the messages a change queued (by SMTP when configured, else to the outbox)."""
    from techforce.programmes import mail

    mail.deliver_pending(ctx.obj.settings, ctx.obj.db)


def _places(db: Any, cohort_id: int) -> dict[str, int]:
    rows = db.execute(
        select(Booking.status, func.count()).where(Booking.cohort_id == cohort_id).group_by(Booking.status)
    )
    return {status: int(n) for status, n in rows}


def list_programmes(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List the programmes: kind, cohorts, the next start and places left on it."""
    today = date.today()
    rows = []
    with ctx.obj.db.session() as s:
        for p in s.scalars(select(Programme).order_by(Programme.title)):
            upcoming = [c for c in p.cohorts if c.ends_on >= today]
            nxt = upcoming[0] if upcoming else None
            taken = _places(s, nxt.id).get("confirmed", 0) if nxt else 0
            rows.append(
                {
                    "slug": p.slug,
                    "title": p.title,
                    "kind": p.kind,
                    "cohorts": len(p.cohorts),
                    "next_cohort": nxt.name if nxt else "",
                    "starts_on": nxt.starts_on.isoformat() if nxt else "",
                    "places_left": max(nxt.capacity - taken, 0) if nxt else None,
                }
            )
    shown = [{**r, "programme": f"{r['title']}\n{r['slug']}"} for r in rows]  # the slug to type, below
    columns = [
        Column("programme", wrap=True),
        Column("kind", wrap=False),
        Column("starts_on", header="next start", wrap=False),
        Column("places_left", header="places left", number=True),
    ]
    emit(rows, fmt, title="Programmes", console=ctx.obj.console, columns=columns, table_rows=shown)


def show(ctx: typer.Context, programme: str, fmt: Format = FormatOption) -> None:
    """Show a programme's cohorts: dates, capacity, confirmed, waiting list, applications, sessions."""
    rows = []
    with ctx.obj.db.session() as s:
        found = service.programme(s, programme)
        for c in found.cohorts:
            places = _places(s, c.id)
            rows.append(
                {
                    "cohort_id": c.id,
                    "cohort": c.name,
                    "starts_on": c.starts_on.isoformat(),
                    "ends_on": c.ends_on.isoformat(),
                    "capacity": c.capacity,
                    "confirmed": places.get("confirmed", 0),
                    "waitlisted": places.get("waitlisted", 0),
                    "applied": places.get("applied", 0),
                    "sessions": len(c.sessions),
                }
            )
        title = f"{found.title} ({found.kind})"
    shown = [
        {
            "id": r["cohort_id"],
            "cohort": r["cohort"],
            "dates": f"{r['starts_on']} to {r['ends_on']}",
            "places": f"{r['confirmed']} of {r['capacity']}",
            "waiting": r["waitlisted"],
            "applied": r["applied"],
            "sessions": r["sessions"],
        }
        for r in rows
    ]
    columns = [
        Column("id", number=True),
        Column("cohort", wrap=True),
        Column("dates", wrap=True),
        Column("places", wrap=False),
        Column("waiting", number=True),
        Column("applied", number=True),
        Column("sessions", number=True),
    ]
    emit(
        rows,
        fmt,
        title=title,
        console=ctx.obj.console,
        columns=columns,
        table_rows=shown,
        notes=[f"Completion: {service.rule_text(found)}."],
    )


def add(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="Short name used in addresses, e.g. leaders-2026."),
    title: str = typer.Option(..., help="The programme's title."),
    kind: str = typer.Option(..., help="cohort, executive, workshop or course."),
    capacity: int = typer.Option(..., help="Places per cohort (each cohort may change it)."),
    cost: float = typer.Option(0.0, help="Delivery cost per place in pounds."),
    pillar: list[str] = typer.Option(
        [], help="Technician Commitment pillar (repeat): " + ", ".join(service.PILLARS)
    ),
    selective: bool = typer.Option(False, help="Applications need a manager's approval."),
    min_attendance: int = typer.Option(80, help="Share of sessions (%) a completer attended."),
    project: bool = typer.Option(False, help="Completion also needs the final project."),
    description: str = typer.Option("", help="What the programme is."),
    audience: str = typer.Option("", help="Who it is for."),
    eligibility: str = typer.Option("", help="Who may apply."),
    manager: list[str] = typer.Option([], help="User name of a manager (repeat); default: --user."),
) -> None:
    """Create a programme, or change the one with this slug."""
    try:
        data = service.ProgrammeIn(
            slug=slug,
            title=title,
            kind=kind,
            capacity=capacity,
            cost_pence=round(cost * 100),
            pillars=pillar,
            selective=selective,
            min_attendance_pct=min_attendance,
            requires_project=project,
            description=description,
            audience=audience,
            eligibility=eligibility,
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    user = ctx.obj.settings.user
    with ctx.obj.db.session() as s:
        service.save_programme(s, data, actor=user, managers=manager or None)
    ctx.obj.console.print(f"saved programme {slug}", highlight=False)


def cohort(
    ctx: typer.Context,
    programme: str = typer.Argument(..., help="The programme's slug."),
    name: str = typer.Argument(..., help="The cohort's name, e.g. 'Cohort 7' or '2026-03-02'."),
    starts: str = typer.Option(..., help="First day, YYYY-MM-DD."),
    ends: str = typer.Option(..., help="Last day, YYYY-MM-DD."),
    capacity: int | None = typer.Option(None, help="Places (default: the programme's)."),
) -> None:
    """Add a cohort to a programme, or change one (a larger capacity promotes from the waiting list)."""
    try:
        data = service.CohortIn(name=name, starts_on=starts, ends_on=ends, capacity=capacity)
    except ValidationError as exc:
        raise _invalid(exc) from None
    with ctx.obj.db.session() as s:
        found = service.save_cohort(s, programme, data, actor=ctx.obj.settings.user)
        cohort_id = found.id
    ctx.obj.console.print(f"saved cohort {name} (id {cohort_id})", highlight=False)


def session(
    ctx: typer.Context,
    programme: str = typer.Argument(..., help="The programme's slug."),
    cohort_name: str = typer.Argument(..., metavar="COHORT", help="The cohort's name."),
    title: str = typer.Option(..., help="The session's title."),
    starts: datetime = typer.Option(..., help="Start with its UTC offset, e.g. 2026-03-02T09:30+00:00."),
    ends: datetime = typer.Option(..., help="End with its UTC offset."),
    mode: str = typer.Option("in-person", help="in-person or online."),
    location: str = typer.Option("", help="Where (or the online link)."),
    facilitator: str = typer.Option("", help="Who leads it."),
    kind: str = typer.Option("session", help="module, action-learning, workshop, project..."),
    uid: str | None = typer.Option(None, help="Change the session with this iCalendar UID."),
) -> None:
    """Add a session to a cohort, or change one by its UID."""
    try:
        data = service.SessionIn(
            title=title,
            starts_at=starts,
            ends_at=ends,
            mode=mode,
            location=location,
            facilitator=facilitator,
            kind=kind,
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    with ctx.obj.db.session() as s:
        found = service.save_session(
            s, service.cohort(s, programme, cohort_name), data, actor=ctx.obj.settings.user, uid=uid
        )
        sid, suid = found.id, found.uid
    ctx.obj.console.print(f"saved session {sid} ({suid})", highlight=False)


def book(
    ctx: typer.Context,
    programme: str = typer.Argument(..., help="The programme's slug."),
    cohort_name: str = typer.Argument(..., metavar="COHORT", help="The cohort's name."),
    email: str = typer.Option(..., help="The participant's e-mail address."),
    name: str = typer.Option(..., help="The participant's name."),
    ukprn: str = typer.Option("", help="Their employer's UKPRN."),
    statement: str = typer.Option("", help="Application statement (selective programmes)."),
) -> None:
    """Book someone a place (or the waiting list, or an application on a selective programme)."""
    user = ctx.obj.settings.user
    try:
        who_in = service.ParticipantIn(email=email, name=name, ukprn=ukprn)
    except ValidationError as exc:
        raise _invalid(exc) from None
    with ctx.obj.db.session() as s:
        target = service.cohort(s, programme, cohort_name)
        who = service.save_participant(s, who_in, actor=user)
        booking = service.book(s, target.id, who, actor=user, statement=statement)
        booking_id, status = booking.id, booking.status
    _deliver(ctx)
    ctx.obj.console.print(f"booking {booking_id}: {status}", highlight=False)


def cancel(ctx: typer.Context, booking: int = typer.Argument(..., help="The booking's id.")) -> None:
    """Cancel a booking; a freed place goes to the first on the waiting list."""
    with ctx.obj.db.session() as s:
        promoted = service.cancel(s, service.booking_by_id(s, booking), actor=ctx.obj.settings.user)
        moved = [b.id for b in promoted]
    _deliver(ctx)
    note = f"; promoted booking {', '.join(map(str, moved))} from the waiting list" if moved else ""
    ctx.obj.console.print(f"cancelled booking {booking}{note}", highlight=False)


def decide(
    ctx: typer.Context,
    booking: int = typer.Argument(..., help="The application's booking id."),
    approve: bool = typer.Option(..., "--approve/--decline", help="Approve or decline."),
    reason: str = typer.Option(..., help="Why (recorded, and told to the applicant)."),
) -> None:
    """Approve or decline an application, with the reason recorded."""
    with ctx.obj.db.session() as s:
        found = service.decide(
            s, service.booking_by_id(s, booking), approve=approve, reason=reason, actor=ctx.obj.settings.user
        )
        status = found.status
    _deliver(ctx)
    ctx.obj.console.print(f"booking {booking}: {status}", highlight=False)


def register_marks(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., metavar="SESSION", help="The session's id."),
    marks: list[str] = typer.Argument(None, help="BOOKING=present|absent|excused, one per person."),
    everyone: str | None = typer.Option(
        None, "--all", help="Give every confirmed participant this mark first."
    ),
) -> None:
    """Record a session's register. Nothing is saved if any mark is wrong."""
    chosen: dict[int, str] = {}
    with ctx.obj.db.session() as s:
        where = service.session_by_id(s, session_id)
        if everyone:
            for b in s.scalars(
                select(Booking.id).where(Booking.cohort_id == where.cohort_id, Booking.status == "confirmed")
            ):
                chosen[b] = everyone
        for text in marks or []:
            booking_text, _, mark = text.partition("=")
            if not booking_text.isdigit() or not mark:
                raise errors.Invalid(
                    f"{text!r}: write each mark as BOOKING=present, BOOKING=absent or BOOKING=excused"
                )
            chosen[int(booking_text)] = mark
        if not chosen:
            raise errors.Invalid("no marks given: add BOOKING=MARK arguments or --all present")
        count = service.record_attendance(s, where, chosen, actor=ctx.obj.settings.user)
    ctx.obj.console.print(f"recorded {count} marks for session {session_id}", highlight=False)


def progress(
    ctx: typer.Context,
    programme: str = typer.Argument(..., help="The programme's slug."),
    cohort_name: str = typer.Argument(..., metavar="COHORT", help="The cohort's name."),
    confirm: bool = typer.Option(False, "--confirm", help="Stamp completion on everyone who meets the rule."),
    fmt: Format = FormatOption,
) -> None:
    """Attendance and completion per participant; starters and completers counted separately."""
    with ctx.obj.db.session() as s:
        found: Cohort = service.cohort(s, programme, cohort_name)
        if confirm:
            service.confirm_completions(s, found, actor=ctx.obj.settings.user)
        state = service.progress(s, found)
        names = {
            b.id: b.participant.name for b in s.scalars(select(Booking).where(Booking.cohort_id == found.id))
        }
        rule = service.rule_text(found.programme)
    rows = [
        {"booking": p.booking_id, "name": names[p.booking_id], **p.model_dump(exclude={"booking_id", "rule"})}
        for p in state
    ]
    starters, completers = sum(p.started for p in state), sum(p.complete for p in state)
    emit(
        rows,
        fmt,
        title=f"{programme} {cohort_name}: {starters} starters, {completers} completers",
        meta={"rule": rule, "starters": starters, "completers": completers},
        console=ctx.obj.console,
        columns=[
            Column("booking", number=True),
            Column("name"),
            Column("present", number=True),
            Column("attendance_pct", header="%", number=True),
            Column("project_done", header="project"),
            Column("started"),
            Column("complete"),
        ],
        notes=[f"Completion: {rule}."],
    )


def register(app: typer.Typer) -> None:
    app.command("list")(list_programmes)
    app.command("register")(register_marks)
    for command in (show, add, cohort, session, book, cancel, decide, progress):
        app.command()(command)
