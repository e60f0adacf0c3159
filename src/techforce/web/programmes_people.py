"""A person's own programme pages: booking and applying, their bookings with the waiting-list
position, cancelling (with a confirm step), feedback and outcomes forms, credential and
certificate downloads, their private calendar feed and the consent to link their staff
record. Every route is behind the BOOK permission (a ``self`` scope on ``username``); a
booking id that is not the person's is not found. Included in techforce.web.programmes."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from techforce import errors
from techforce.audit import utcnow
from techforce.programmes import calendar, followup, pages, queries, service
from techforce.programmes.models import Participant
from techforce.programmes.permissions import BOOK
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.security import content_disposition
from techforce.workforce import store

router = APIRouter()
Booker = Annotated[Ctx, Depends(guard(BOOK))]
M = TypeVar("M", bound=BaseModel)
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]  # a row id: larger numbers are 422s, never sent to SQL
BASE = "/programmes/people/{username}"


def valid(model: type[M], **fields: Any) -> M:
    """``model`` from form fields; a bad field is an Invalid naming the field and the fix."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()]
        raise errors.Invalid("; ".join(problems), problems) from None


def delivered(ctx: Ctx) -> None:
    """Send the notifications a committed change queued (in the background)."""
    found = ctx.services.get("programmes")
    if found is not None:
        found.deliver_soon()


def _home(username: str, done: str = "") -> str:
    return f"/programmes/people/{quote(username, safe='')}/bookings" + (f"?done={done}" if done else "")


def _me(session: Any, username: str) -> Participant:
    who = service.participant_for_user(session, username)
    if who is None:
        raise errors.Refused("you have no participant record yet: book a place or save your details first")
    return who


# ---------------------------------------------------------------- booking


class DetailsIn(BaseModel):
    """Your details, asked for the first time you book (name and e-mail; the rest optional)."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    ukprn: str = ""
    sex: str = ""
    ethnicity: str = ""
    level: str = ""


class BookingIn(BaseModel):
    cohort: int = Field(ge=1, le=MAX_ID)
    statement: str = Field(default="", max_length=10000)
    details: DetailsIn | None = None


def _save_details(session: Any, username: str, data: DetailsIn, actor: str) -> Participant:
    fields = data.model_dump()
    known = pages.choices()
    for name, options in (("sex", known.sex), ("ethnicity", known.ethnicity), ("level", known.level)):
        if fields[name] and fields[name] not in {c.code for c in options}:
            raise errors.Invalid(f"{name}: {fields[name]!r} is not one of the choices; choose from the list")
    person = valid(service.ParticipantIn, **{**fields, "username": username})
    return service.save_participant(session, person, actor=actor)


def _book(ctx: Ctx, username: str, data: BookingIn) -> int:
    with ctx.db.session() as session:
        who = service.participant_for_user(session, username)
        if data.details is not None:
            who = _save_details(session, username, data.details, ctx.principal.username)
        if who is None:
            raise errors.Invalid("name and email: give your name and e-mail address the first time you book")
        booking = service.book(
            session, data.cohort, who, actor=ctx.principal.username, statement=data.statement
        )
        booking_id = booking.id
    delivered(ctx)
    return booking_id


@router.post("/api" + BASE + "/bookings", tags=["programmes"], status_code=201)
def book_json(ctx: Booker, username: str, data: BookingIn) -> pages.BookingView:
    """Book a place on a cohort (or apply, for a selective programme, with a statement); send
    ``details`` the first time. Confirmed while places are free, else on the waiting list."""
    booking_id = _book(ctx, username, data)
    with ctx.db.session() as session:
        return pages.booking_view(session, service.own_booking(session, booking_id, username))


@router.post(BASE + "/bookings", include_in_schema=False)
def book_form(
    request: Request,
    ctx: Booker,
    username: str,
    cohort: Annotated[int, Form(ge=1, le=MAX_ID)],
    statement: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    ukprn: Annotated[str, Form()] = "",
    sex: Annotated[str, Form()] = "",
    ethnicity: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
) -> Response:
    """The Book / Apply form of a programme's page; a refusal shows that page with the reason."""
    given = {"name": name, "email": email, "ukprn": ukprn, "sex": sex, "ethnicity": ethnicity, "level": level}
    try:
        details = valid(DetailsIn, **given) if name or email else None
        _book(ctx, username, BookingIn(cohort=cohort, statement=statement, details=details))
    except errors.TechforceError as exc:
        with ctx.db.session() as session:
            slug = service.cohort_by_id(session, cohort).programme.slug
            data = pages.programme_page(session, slug, username=username)
        data.error = exc.message
        return render(request, "programmes/programme.html.j2", data, ctx, status_code=exc.http_status)
    return RedirectResponse(_home(username, "booked"), status_code=303)


# ---------------------------------------------------------------- my bookings


@router.get("/api" + BASE + "/bookings", tags=["programmes"])
def bookings_json(
    ctx: Booker, username: str, cancel: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, done: str = ""
) -> pages.BookingsPage:
    """A person's bookings and applications with their status and waiting-list position, their
    private calendar feed and their consent to link their staff record."""
    with ctx.db.session() as session:
        return pages.bookings_page(
            session, username, cancel=cancel, done=done, own=username == ctx.principal.username
        )


@router.get(BASE + "/bookings", include_in_schema=False)
def bookings_page(
    request: Request,
    ctx: Booker,
    username: str,
    cancel: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    done: str = "",
) -> Response:
    return render(request, "programmes/bookings.html.j2", bookings_json(ctx, username, cancel, done), ctx)


class Cancelled(BaseModel):
    booking: int
    status: str
    promoted: int = Field(description="People given a place from the waiting list")


def _cancel(ctx: Ctx, username: str, booking_id: int) -> Cancelled:
    with ctx.db.session() as session:
        booking = service.own_booking(session, booking_id, username)
        if booking.cohort.ends_on < utcnow().date():
            raise errors.Refused(f"booking {booking_id}'s cohort has ended: there is nothing to cancel")
        promoted = service.cancel(session, booking, actor=ctx.principal.username)
        result = Cancelled(booking=booking.id, status=booking.status, promoted=len(promoted))
    delivered(ctx)
    return result


@router.post("/api" + BASE + "/bookings/{booking}/cancel", tags=["programmes"])
def cancel_json(ctx: Booker, username: str, booking: Id) -> Cancelled:
    """Cancel a booking or application; a freed place goes to the first on the waiting list."""
    return _cancel(ctx, username, booking)


@router.post(BASE + "/bookings/{booking}/cancel", include_in_schema=False)
def cancel_form(ctx: Booker, username: str, booking: Id, confirm: Annotated[str, Form()] = "") -> Response:
    """Cancel when the form says confirm=yes; otherwise ask first."""
    if confirm != "yes":
        with ctx.db.session() as session:
            service.own_booking(session, booking, username)  # someone else's: not found
        return RedirectResponse(f"{_home(username)}?cancel={booking}#confirm", status_code=303)
    _cancel(ctx, username, booking)
    return RedirectResponse(_home(username, "cancelled"), status_code=303)


@router.post(BASE + "/details", include_in_schema=False)
def details_form(
    ctx: Booker,
    username: str,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    ukprn: Annotated[str, Form()] = "",
    sex: Annotated[str, Form()] = "",
    ethnicity: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
) -> Response:
    """Save your details (name, e-mail; optional employer, sex, ethnicity and grade)."""
    data = valid(DetailsIn, name=name, email=email, ukprn=ukprn, sex=sex, ethnicity=ethnicity, level=level)
    with ctx.db.session() as session:
        _save_details(session, username, data, ctx.principal.username)
    return RedirectResponse(_home(username, "details"), status_code=303)


@router.post("/api" + BASE + "/details", tags=["programmes"])
def details_json(ctx: Booker, username: str, data: DetailsIn) -> pages.Details:
    """Save your details (name, e-mail; optional employer, sex, ethnicity and grade)."""
    with ctx.db.session() as session:
        who = _save_details(session, username, data, ctx.principal.username)
        found = pages.details(who)
    assert found is not None
    return found


# ---------------------------------------------------------------- feedback and outcomes


@router.get("/api" + BASE + "/bookings/{booking}/feedback", tags=["programmes"])
def feedback_json(ctx: Booker, username: str, booking: Id) -> pages.FeedbackPage:
    """The feedback form of a booking, with the answers already given."""
    with ctx.db.session() as session:
        return pages.feedback_page(session, service.own_booking(session, booking, username), username)


@router.get(BASE + "/bookings/{booking}/feedback", include_in_schema=False)
def feedback_page(request: Request, ctx: Booker, username: str, booking: Id) -> Response:
    return render(request, "programmes/feedback.html.j2", feedback_json(ctx, username, booking), ctx)


def _feedback(ctx: Ctx, username: str, booking: int, data: followup.FeedbackIn) -> None:
    with ctx.db.session() as session:
        found = service.own_booking(session, booking, username)
        followup.submit_feedback(session, found, data, actor=ctx.principal.username)


@router.post("/api" + BASE + "/bookings/{booking}/feedback", tags=["programmes"])
def feedback_submit_json(
    ctx: Booker, username: str, booking: Id, data: followup.FeedbackIn
) -> pages.FeedbackPage:
    """Give (or change) your feedback: reaction, recommend, confidence before and after."""
    _feedback(ctx, username, booking, data)
    return feedback_json(ctx, username, booking)


@router.post(BASE + "/bookings/{booking}/feedback", include_in_schema=False)
def feedback_submit_form(
    request: Request,
    ctx: Booker,
    username: str,
    booking: Id,
    reaction: Annotated[str, Form()] = "",
    recommend: Annotated[str, Form()] = "",
    before: Annotated[str, Form()] = "",
    after: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    try:
        if recommend not in ("yes", "no"):
            raise errors.Invalid("recommend: answer yes or no")
        data = valid(
            followup.FeedbackIn,
            reaction=reaction or None,
            recommend=recommend == "yes",
            before=before or None,
            after=after or None,
            comment=comment,
        )
        _feedback(ctx, username, booking, data)
    except errors.TechforceError as exc:
        with ctx.db.session() as session:
            page = pages.feedback_page(
                session, service.own_booking(session, booking, username), username, error=exc.message
            )
        return render(request, "programmes/feedback.html.j2", page, ctx, status_code=exc.http_status)
    return RedirectResponse(_home(username, "feedback"), status_code=303)


@router.get("/api" + BASE + "/bookings/{booking}/outcomes", tags=["programmes"])
def outcomes_json(ctx: Booker, username: str, booking: Id, months: int = 6) -> pages.OutcomesPage:
    """The outcomes form (6 or 12 months after), with the answers already given."""
    with ctx.db.session() as session:
        found = service.own_booking(session, booking, username)
        return pages.outcomes_page(session, found, username, months)


@router.get(BASE + "/bookings/{booking}/outcomes", include_in_schema=False)
def outcomes_page(request: Request, ctx: Booker, username: str, booking: Id, months: int = 6) -> Response:
    return render(request, "programmes/outcomes.html.j2", outcomes_json(ctx, username, booking, months), ctx)


def _outcomes(ctx: Ctx, username: str, booking: int, data: followup.OutcomeIn) -> None:
    with ctx.db.session() as session:
        found = service.own_booking(session, booking, username)
        followup.record_outcome(session, found, data, actor=ctx.principal.username)


@router.post("/api" + BASE + "/bookings/{booking}/outcomes", tags=["programmes"])
def outcomes_submit_json(
    ctx: Booker, username: str, booking: Id, data: followup.OutcomeIn
) -> pages.OutcomesPage:
    """Record (or correct) what changed 6 or 12 months after."""
    _outcomes(ctx, username, booking, data)
    return outcomes_json(ctx, username, booking, data.months)


@router.post(BASE + "/bookings/{booking}/outcomes", include_in_schema=False)
def outcomes_submit_form(
    request: Request,
    ctx: Booker,
    username: str,
    booking: Id,
    months: Annotated[int, Form()] = 6,
    promoted: Annotated[str, Form()] = "",
    role_changed: Annotated[str, Form()] = "",
    grade_changed: Annotated[str, Form()] = "",
    leadership_role: Annotated[str, Form()] = "",
    committee_seat: Annotated[str, Form()] = "",
    registrations: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        data = valid(
            followup.OutcomeIn,
            months=months,
            promoted=bool(promoted),
            role_changed=bool(role_changed),
            grade_changed=bool(grade_changed),
            leadership_role=bool(leadership_role),
            committee_seat=bool(committee_seat),
            registrations=registrations or [],
        )
        _outcomes(ctx, username, booking, data)
    except errors.TechforceError as exc:
        with ctx.db.session() as session:
            found = service.own_booking(session, booking, username)
            page = pages.outcomes_page(
                session, found, username, months if months in (6, 12) else 6, error=exc.message
            )
        return render(request, "programmes/outcomes.html.j2", page, ctx, status_code=exc.http_status)
    return RedirectResponse(_home(username, "outcomes"), status_code=303)


# ---------------------------------------------------------------- credential downloads


def _issued(ctx: Ctx, username: str, booking: Id) -> tuple[str, str]:
    """(token, file stem) of the credential issued for this booking of the person's."""
    with ctx.db.session() as session:
        found = service.own_booking(session, booking, username)
        cred = queries.credential_of(session, found.id)
        if cred is None:
            raise errors.NotFound(f"booking {booking} has no credential: one is issued on completion")
        return cred.token, f"{found.cohort.programme.slug}-credential-{booking}"


def payload(token: str) -> dict[str, Any]:
    """The credential inside a VC-JWT (its payload; a ``vc`` claim if it wraps one). The token
    is the deployment's own, as issued; the verify page checks tokens from elsewhere."""
    parts = token.strip().split(".")
    if len(parts) != 3:  # a Data Integrity credential is stored as JSON already
        found: dict[str, Any] = json.loads(token)
        return found
    body: dict[str, Any] = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    inner = body.get("vc")
    return inner if isinstance(inner, dict) else body


@router.get(BASE + "/bookings/{booking}/credential.jwt", tags=["programmes"])
def credential_jwt(ctx: Booker, username: str, booking: Id) -> Response:
    """Your Open Badges 3.0 credential as issued (a VC-JWT signed by this deployment)."""
    token, stem = _issued(ctx, username, booking)
    return Response(
        token,
        media_type="application/vc+jwt",
        headers={"Content-Disposition": content_disposition(f"{stem}.jwt")},
    )


@router.get(BASE + "/bookings/{booking}/credential.json", tags=["programmes"])
def credential_json(ctx: Booker, username: str, booking: Id) -> Response:
    """Your credential's content (an OpenBadgeCredential) as JSON."""
    token, stem = _issued(ctx, username, booking)
    return Response(
        json.dumps(payload(token), indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": content_disposition(f"{stem}.json")},
    )


@router.get(BASE + "/bookings/{booking}/certificate.pdf", tags=["programmes"])
def certificate_pdf(ctx: Booker, username: str, booking: Id) -> Response:
    """Your certificate of attendance (PDF), once attendance is recorded on a register."""
    from techforce.programmes import certificate  # WeasyPrint loads only when asked for

    with ctx.db.session() as session:
        found = service.own_booking(session, booking, username)
        body = certificate.certificate_pdf(found, ctx.settings)
        stem = f"{found.cohort.programme.slug}-certificate-{booking}"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(f"{stem}.pdf")},
    )


# ---------------------------------------------------------------- private feed and consent


class FeedOut(BaseModel):
    active: bool
    url: str | None = Field(default=None, description="The new private address (shown only now)")


def _feed(ctx: Ctx, username: str, action: str) -> FeedOut:
    if action not in ("new", "revoke"):
        raise errors.Invalid(f"action: {action!r} is not new or revoke")
    with ctx.db.session() as session:
        who = _me(session, username)
        if action == "revoke":
            calendar.revoke_feed_token(session, who, actor=ctx.principal.username)
            return FeedOut(active=False)
        token = calendar.new_feed_token(session, who, actor=ctx.principal.username)
    return FeedOut(active=True, url=calendar.feed_url(ctx.settings, token))


class FeedIn(BaseModel):
    action: Literal["new", "revoke"]


@router.post("/api" + BASE + "/feed", tags=["programmes"])
def feed_json(ctx: Booker, username: str, data: FeedIn) -> FeedOut:
    """A new private calendar address (the old one stops working), or revoke it."""
    return _feed(ctx, username, data.action)


@router.post(BASE + "/feed", include_in_schema=False)
def feed_form(request: Request, ctx: Booker, username: str, action: Annotated[str, Form()] = "") -> Response:
    """New: the page with the new private address, shown this once (only its hash is kept)."""
    made = _feed(ctx, username, action)
    if made.url is None:
        return RedirectResponse(_home(username, "feed-revoked"), status_code=303)
    with ctx.db.session() as session:
        data = pages.bookings_page(
            session, username, feed_url=made.url, own=username == ctx.principal.username
        )
    return render(request, "programmes/bookings.html.j2", data, ctx)


def _consent(ctx: Ctx, username: str, data: followup.ConsentIn) -> pages.ConsentView:
    key = store.load_or_create_key(ctx.settings.key_file)
    with ctx.db.session() as session:
        link = followup.give_consent(session, _me(session, username), data, key, actor=ctx.principal.username)
        return pages.ConsentView(linked=True, ukprn=link.ukprn, consented_at=link.consented_at)


def _withdraw(ctx: Ctx, username: str) -> pages.ConsentView:
    with ctx.db.session() as session:
        followup.withdraw_consent(session, _me(session, username), actor=ctx.principal.username)
    return pages.ConsentView(linked=False)


@router.post("/api" + BASE + "/consent", tags=["programmes"])
def consent_json(ctx: Booker, username: str, data: followup.ConsentIn) -> pages.ConsentView:
    """Link your programme record to your pseudonymous staff record (employer UKPRN and your
    own staff id, kept only as a keyed hash)."""
    return _consent(ctx, username, data)


@router.post(BASE + "/consent", include_in_schema=False)
def consent_form(
    ctx: Booker, username: str, ukprn: Annotated[str, Form()] = "", staff_id: Annotated[str, Form()] = ""
) -> Response:
    _consent(ctx, username, valid(followup.ConsentIn, ukprn=ukprn.strip(), staff_id=staff_id))
    return RedirectResponse(_home(username, "consent") + "#consent", status_code=303)


@router.post("/api" + BASE + "/consent/withdraw", tags=["programmes"])
def withdraw_json(ctx: Booker, username: str) -> pages.ConsentView:
    """Withdraw consent: the link to your staff record is deleted."""
    return _withdraw(ctx, username)


@router.post(BASE + "/consent/withdraw", include_in_schema=False)
def withdraw_form(ctx: Booker, username: str) -> Response:
    _withdraw(ctx, username)
    return RedirectResponse(_home(username, "withdrawn") + "#consent", status_code=303)
