"""The participant-facing programme pages' data, built from the store: the catalogue, a
programme with its cohorts and sessions, a person's bookings (with their feed and consent),
the feedback and outcomes forms, and the public verify page. Each web page and its JSON twin
return the same object (the models are in page_models.py, re-exported here); nothing here
knows about HTTP. Times are stored in UTC and shown in Europe/London time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.audit import utcnow
from techforce.programmes import queries, service
from techforce.programmes.followup import REGISTRATIONS, FeedbackIn, OutcomeIn
from techforce.programmes.models import Booking, Cohort, Participant, Programme, Session
from techforce.programmes.page_models import (
    BookingsPage,
    BookingView,
    CataloguePage,
    CheckView,
    Choice,
    CohortView,
    ConsentView,
    CredentialView,
    Details,
    DetailsChoices,
    FeedbackPage,
    FeedView,
    MyPlace,
    OutcomesPage,
    ProgrammePage,
    ProgrammeSummary,
    SessionView,
    VerifyPage,
)
from techforce.workforce import codes

__all__ = [
    "BookingView",
    "BookingsPage",
    "CataloguePage",
    "CheckView",
    "Choice",
    "CohortView",
    "ConsentView",
    "CredentialView",
    "Details",
    "DetailsChoices",
    "FeedView",
    "FeedbackPage",
    "MyPlace",
    "OutcomesPage",
    "ProgrammePage",
    "ProgrammeSummary",
    "SessionView",
    "VerifyPage",
]  # the page models (page_models.py), re-exported for the routers

LONDON = ZoneInfo("Europe/London")
KIND_LABELS = {
    "cohort": "Cohort programme",
    "executive": "Executive programme",
    "workshop": "Workshop",
    "course": "Course",
}
STATUS_LABELS = {
    "applied": "Application received: awaiting a decision",
    "confirmed": "Place confirmed",
    "waitlisted": "On the waiting list",
    "cancelled": "Cancelled",
    "declined": "Application declined",
}
DONE = {  # the outcome of a form, named in the redirect (?done=...) so no user text is echoed
    "booked": "Done: your booking is below.",
    "cancelled": "Your booking is cancelled. If anyone was waiting, the place has gone to them.",
    "details": "Your details are saved.",
    "feedback": "Thank you: your feedback is saved.",
    "outcomes": "Thank you: your outcomes are saved.",
    "consent": "Your programme record is now linked to your staff record. You can withdraw at any time below.",
    "withdrawn": "The link to your staff record is deleted.",
    "feed-revoked": "Your private calendar address no longer works.",
}


def _utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite gives stored times back without their zone: they are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def london(moment: datetime) -> datetime:
    return _utc(moment).astimezone(LONDON)


def when(start: datetime, end: datetime) -> str:
    """'Mon 2 Mar 2026, 09:30–16:30' in London time (the end's date too if another day)."""
    a, b = london(start), london(end)
    text = f"{a:%a} {a.day} {a:%b %Y}, {a:%H:%M}–"
    return text + (f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a} {b.day} {b:%b %Y}, {b:%H:%M}")


def dates(first: date, last: date) -> str:
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    return f"{first.day} {first:%b %Y} to {last.day} {last:%b %Y}"


def cost(pence: int) -> str:
    if pence == 0:
        return "No charge"
    pounds, rest = divmod(pence, 100)
    return f"£{pounds:,}" + (f".{rest:02d}" if rest else "") + " per place"


# ---------------------------------------------------------------- builders


def choices() -> DetailsChoices:
    seen: dict[str, str] = {}
    for code, label in codes.ETHNIC.items():
        seen.setdefault(label, code)
    return DetailsChoices(
        sex=[Choice(code=c, label=label) for c, label in codes.SEXID.items()],
        ethnicity=[Choice(code=c, label=label) for label, c in seen.items()],
        level=[Choice(code=c, label=f"{c}: {label}") for c, label in codes.LEVELS.items()],
    )


def details(who: Participant | None) -> Details | None:
    if who is None:
        return None
    return Details(
        name=who.name, email=who.email, ukprn=who.ukprn, sex=who.sex, ethnicity=who.ethnicity, level=who.level
    )


def session_view(s: Session) -> SessionView:
    return SessionView(
        id=s.id,
        title=s.title,
        kind=s.kind,
        starts_at=_utc(s.starts_at),
        ends_at=_utc(s.ends_at),
        when=when(s.starts_at, s.ends_at),
        mode=s.mode,
        location=s.location,
        facilitator=s.facilitator,
    )


def availability(owner: Programme, cohort: Cohort, places: queries.Places) -> str:
    left = cohort.capacity - places.confirmed
    if cohort.ends_on < utcnow().date():
        return "Ended"
    if left > 0:
        text = f"{left} place{'s' if left != 1 else ''} left"
        return text + (" (apply)" if owner.selective else "")
    return f"Full: waiting list ({places.waiting} waiting)"


def _place(db: Db, booking: Booking | None) -> MyPlace | None:
    if booking is None:
        return None
    return MyPlace(
        booking_id=booking.id,
        status=booking.status,
        status_label=STATUS_LABELS.get(booking.status, booking.status),
        position=queries.queue_position(db, booking),
    )


def catalogue_page(db: Db, *, kind: str = "", pillar: str = "") -> CataloguePage:
    """Every programme (``kind``, ``pillar``: only those of that kind or with that pillar),
    with its next cohort still open and that cohort's places."""
    if kind and kind not in service.KINDS:
        raise errors.Invalid(
            f"kind: {kind!r} is not a kind of programme; use one of {', '.join(service.KINDS)}"
        )
    if pillar and pillar not in service.PILLARS:
        raise errors.Invalid(f"pillar: {pillar!r} is not a pillar; use one of {', '.join(service.PILLARS)}")
    everything = queries.programmes(db)
    shown = [p for p in everything if (not kind or p.kind == kind) and (not pillar or pillar in p.pillars)]
    today = utcnow().date()
    upcoming = {p.id: next((c for c in p.cohorts if c.ends_on >= today), None) for p in shown}
    counts = queries.places(db, [c.id for c in upcoming.values() if c is not None])
    rows = []
    for p in shown:
        nxt = upcoming[p.id]
        rows.append(
            ProgrammeSummary(
                slug=p.slug,
                title=p.title,
                kind=p.kind,
                kind_label=KIND_LABELS.get(p.kind, p.kind),
                audience=p.audience,
                pillars=list(p.pillars),
                selective=p.selective,
                cost=cost(p.cost_pence),
                cost_pence=p.cost_pence,
                next_cohort=nxt.name if nxt else None,
                next_dates=dates(nxt.starts_on, nxt.ends_on) if nxt else None,
                availability=availability(p, nxt, counts[nxt.id]) if nxt else "No dates yet",
            )
        )
    return CataloguePage(
        programmes=rows,
        kinds=[Choice(code=k, label=KIND_LABELS[k]) for k in service.KINDS],
        pillars=list(service.PILLARS),
        kind=kind,
        pillar=pillar,
        total=len(everything),
    )


def programme_page(db: Db, slug: str, *, username: str) -> ProgrammePage:
    """A programme with its cohorts, their sessions and places, and ``username``'s own place on each."""
    owner = service.programme(db, slug)
    who = service.participant_for_user(db, username)
    counts = queries.places(db, [c.id for c in owner.cohorts])
    mine = queries.booking_in_cohorts(db, who.id, counts) if who else {}
    today = utcnow().date()
    cohorts = []
    for c in owner.cohorts:
        got = counts[c.id]
        cohorts.append(
            CohortView(
                id=c.id,
                name=c.name,
                starts_on=c.starts_on,
                ends_on=c.ends_on,
                dates=dates(c.starts_on, c.ends_on),
                capacity=c.capacity,
                confirmed=got.confirmed,
                places_left=max(0, c.capacity - got.confirmed),
                waiting=got.waiting,
                availability=availability(owner, c, got),
                open=c.ends_on >= today,
                calendar=f"/programmes/{owner.slug}/cohorts/{c.id}/calendar.ics",
                sessions=[session_view(s) for s in c.sessions],
                mine=_place(db, mine.get(c.id)),
            )
        )
    return ProgrammePage(
        title=owner.title,
        slug=owner.slug,
        kind=owner.kind,
        kind_label=KIND_LABELS.get(owner.kind, owner.kind),
        description=owner.description,
        audience=owner.audience,
        eligibility=owner.eligibility,
        cost=cost(owner.cost_pence),
        cost_pence=owner.cost_pence,
        pillars=list(owner.pillars),
        selective=owner.selective,
        completion_rule=service.rule_text(owner),
        calendar=f"/programmes/{owner.slug}/calendar.ics",
        cohorts=cohorts,
        username=username,
        details=details(who),
        choices=choices(),
    )


def booking_view(db: Db, booking: Booking) -> BookingView:
    """One booking as its owner sees it."""
    return _booking_views(db, [booking])[0]


def _booking_views(db: Db, bookings: list[Booking]) -> list[BookingView]:
    ids = [b.id for b in bookings]
    creds = queries.credentials(db, ids)
    given = queries.feedback_given(db, ids)
    outcomes = queries.outcomes_given(db, ids)
    present = queries.attended(db, ids)
    now = utcnow()
    out = []
    for b in bookings:
        cohort = b.cohort
        started = bool(cohort.sessions) and _utc(cohort.sessions[0].starts_at) <= now
        cred = creds.get(b.id)
        out.append(
            BookingView(
                id=b.id,
                programme=cohort.programme.slug,
                programme_title=cohort.programme.title,
                cohort_id=cohort.id,
                cohort=cohort.name,
                dates=dates(cohort.starts_on, cohort.ends_on),
                status=b.status,
                status_label=STATUS_LABELS.get(b.status, b.status),
                position=queries.queue_position(db, b),
                statement=b.statement,
                decision_reason=b.decision_reason,
                can_cancel=b.status in service.ACTIVE and cohort.ends_on >= now.date(),
                feedback_open=b.status == "confirmed" and started,
                feedback_given=b.id in given,
                outcomes_open=b.status == "confirmed" and started,
                outcomes_given=outcomes.get(b.id, []),
                completed=b.completed_at is not None,
                attended=b.status == "confirmed" and b.id in present,
                credential=None
                if cred is None
                else CredentialView(
                    id=cred.id,
                    issued_at=_utc(cred.issued_at),
                    revoked=cred.revoked_at is not None,
                    revoked_reason=cred.revoked_reason,
                ),
                sessions=[session_view(s) for s in cohort.sessions],
            )
        )
    return out


def bookings_page(
    db: Db,
    username: str,
    *,
    cancel: int | None = None,
    done: str = "",
    feed_url: str | None = None,
    error: str = "",
    own: bool = True,
) -> BookingsPage:
    """``username``'s bookings and applications, their private calendar feed and their consent
    to link their staff record. ``cancel``: ask to confirm cancelling that booking (theirs)."""
    who = service.participant_for_user(db, username)
    bookings = queries.bookings_of(db, who.id) if who else []
    views = _booking_views(db, bookings)
    confirm = None
    if cancel is not None:
        confirm = next((v for v in views if v.id == cancel and v.can_cancel), None)
        if confirm is None:
            raise errors.NotFound(f"you have no booking {cancel} that can be cancelled")
    link = queries.link_of(db, who) if who else None
    return BookingsPage(
        title="My bookings" if own else f"Bookings of {username}",
        username=username,
        details=details(who),
        choices=choices(),
        bookings=views,
        confirm_cancel=confirm,
        feed=FeedView(active=bool(who and queries.has_feed(db, who)) or feed_url is not None, url=feed_url),
        consent=ConsentView(
            linked=link is not None,
            ukprn=link.ukprn if link else "",
            consented_at=_utc(link.consented_at) if link else None,
        ),
        message=DONE.get(done, ""),
        error=error,
    )


def feedback_page(db: Db, booking: Booking, username: str, *, error: str = "") -> FeedbackPage:
    found = queries.feedback_of(db, booking.id)
    current = (
        None
        if found is None
        else FeedbackIn(
            reaction=found.reaction,
            recommend=found.recommend,
            before=found.before,
            after=found.after,
            comment=found.comment,
        )
    )
    view = booking_view(db, booking)
    return FeedbackPage(
        title=f"Feedback: {view.programme_title}",
        username=username,
        booking=view,
        current=current,
        error=error,
    )


def outcomes_page(db: Db, booking: Booking, username: str, months: int, *, error: str = "") -> OutcomesPage:
    if months not in (6, 12):
        raise errors.Invalid(f"months: {months} is not a follow-up point; use 6 or 12")
    found = queries.outcome_of(db, booking.id, months)
    current = (
        None
        if found is None
        else OutcomeIn(
            months=6 if months == 6 else 12,
            promoted=found.promoted,
            role_changed=found.role_changed,
            grade_changed=found.grade_changed,
            registrations=list(found.registrations),
            leadership_role=found.leadership_role,
            committee_seat=found.committee_seat,
        )
    )
    view = booking_view(db, booking)
    return OutcomesPage(
        title=f"Outcomes after {months} months: {view.programme_title}",
        username=username,
        booking=view,
        months=months,
        current=current,
        registrations=list(REGISTRATIONS),
        error=error,
    )


# ---------------------------------------------------------------- the public verify page


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _recipient(subject: dict[str, object]) -> str:
    """The recipient's name: an identifier of type "name" given in plain text (not hashed)."""
    ids = subject.get("identifier")
    for one in ids if isinstance(ids, list) else []:
        if isinstance(one, dict) and one.get("identityType") == "name" and one.get("hashed") is False:
            return _text(one.get("identityHash"))
    return _text(subject.get("name"))


def verify_page(found: object) -> VerifyPage:
    """The verify page for a result of credentials.verify (valid, reason, revoked, checks, credential)."""
    content = getattr(found, "credential", None) or {}
    subject = content.get("credentialSubject") if isinstance(content, dict) else None
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    issuer = content.get("issuer") if isinstance(content, dict) else None
    return VerifyPage(
        submitted=True,
        valid=bool(getattr(found, "valid", False)),
        reason=_text(getattr(found, "reason", "")),
        revoked=bool(getattr(found, "revoked", False)),
        checks=[
            CheckView(name=c.name, passed=c.passed, detail=c.detail)
            for c in getattr(found, "checks", []) or []
        ],
        achievement=_text(achievement.get("name")) if isinstance(achievement, dict) else "",
        recipient=_recipient(subject),
        issuer=_text(issuer.get("name")) if isinstance(issuer, dict) else _text(issuer),
        issued=_text(content.get("validFrom")) if isinstance(content, dict) else "",
    )
