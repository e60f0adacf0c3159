"""Programme managers' pages: programmes, cohorts and sessions, applications and bookings
(here), registers, completion and credentials (programmes_runs.py), CSV exchange and the
impact dashboard (programmes_impact.py). Each page has its JSON twin under /api; every form
posts with the CSRF token and redirects after a change (303), or shows the page again with
the reason when the change is refused. Included in techforce.web.programmes' router."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from techforce import errors
from techforce.programmes import manage_pages as mp
from techforce.programmes import permissions, service
from techforce.programmes.models import Programme
from techforce.web import programmes_exchange, programmes_impact, programmes_runs
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.programmes_forms import checked_slug, invalid, notice, programmes_service, redirect

router = APIRouter()
router.include_router(programmes_impact.router)  # /programmes/impact before any /programmes/{programme}
router.include_router(programmes_runs.router)
router.include_router(programmes_exchange.router)

Creator = Annotated[Ctx, Depends(guard(permissions.CREATE_PROGRAMME))]
Runner = Annotated[Ctx, Depends(guard(permissions.MANAGE_PROGRAMME))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Slug = Annotated[str, Path(min_length=1, max_length=80)]
Text = Annotated[str, Form()]  # lengths are checked by the models, with a message per field

DONE = {
    "created": "Programme created: you manage it.",
    "saved": "Programme saved.",
    "cohort": "Cohort saved.",
    "session": "Session saved.",
    "approved": "Application approved.",
    "declined": "Application declined.",
    "cancelled": "Booking cancelled; a freed place went to the first on the waiting list.",
}


# ---------------------------------------------------------------- create a programme


class ProgrammeFields(BaseModel):
    """The programme form as typed (text), before it is checked."""

    slug: str = ""
    title: str = ""
    kind: str = ""
    description: str = ""
    audience: str = ""
    eligibility: str = ""
    capacity: str = ""
    cost: str = "0"
    pillars: list[str] = Field(default_factory=list)
    selective: bool = False
    min_attendance_pct: str = "80"
    requires_project: bool = False


def _pence(text: str) -> int:
    try:
        value = Decimal(text.strip().lstrip("£").replace(",", "") or "0")
    except InvalidOperation:
        raise errors.Invalid(
            f"cost: {text[:40]!r} is not an amount in pounds; give e.g. 1500 or 1500.50"
        ) from None
    if not value.is_finite() or value < 0 or value > 10**7 or value != value.quantize(Decimal("0.01")):
        raise errors.Invalid("cost: give pounds and pence from 0 to 10,000,000 (e.g. 1500.50)")
    return int(value * 100)


def _whole(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise errors.Invalid(f"{field}: {text[:40]!r} is not a whole number") from None


def programme_in(form: ProgrammeFields) -> service.ProgrammeIn:
    """The checked programme from the form, or errors.Invalid naming each field to fix."""
    try:
        return service.ProgrammeIn.model_validate(
            {
                **form.model_dump(exclude={"cost", "capacity", "min_attendance_pct"}),
                "capacity": _whole(form.capacity, "capacity"),
                "cost_pence": _pence(form.cost),
                "min_attendance_pct": _whole(form.min_attendance_pct, "min_attendance_pct"),
            }
        )
    except ValidationError as exc:
        raise invalid(exc) from None


def _posted(
    title: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    description: Text = "",
    audience: Text = "",
    eligibility: Text = "",
    capacity: Annotated[str, Form()] = "",
    cost: Annotated[str, Form()] = "0",
    pillars: Annotated[list[str] | None, Form()] = None,
    selective: Annotated[str, Form()] = "",
    min_attendance_pct: Annotated[str, Form()] = "80",
    requires_project: Annotated[str, Form()] = "",
) -> ProgrammeFields:
    """The programme form as posted (new or edit; the slug comes from the form or the path)."""
    return ProgrammeFields(
        slug="",
        title=title.strip(),
        kind=kind,
        description=description,
        audience=audience.strip(),
        eligibility=eligibility.strip(),
        capacity=capacity,
        cost=cost,
        pillars=pillars or [],
        selective=bool(selective),
        min_attendance_pct=min_attendance_pct,
        requires_project=bool(requires_project),
    )


Posted = Annotated[ProgrammeFields, Depends(_posted)]


@router.get("/api/programmes/new", tags=["programmes"])
def new_programme_json(ctx: Creator) -> mp.ProgrammeForm:
    """What a new programme needs: its kinds, Technician Commitment pillars and help per field."""
    return mp.programme_form()


@router.get("/programmes/new", include_in_schema=False)
def new_programme_page(request: Request, ctx: Creator) -> Response:
    return render(request, "programmes/manage_new.html.j2", mp.programme_form(), ctx)


def _create(ctx: Ctx, data: service.ProgrammeIn) -> mp.ProgrammeView:
    with ctx.db.session() as db:
        if db.scalar(select(Programme.id).where(Programme.slug == data.slug)) is not None:
            raise errors.Refused(
                f"slug: a programme {data.slug!r} exists already; choose another slug", status=409
            )
        return mp.programme_view(service.save_programme(db, data, actor=ctx.principal.username))


@router.post("/api/programmes/new", tags=["programmes"], status_code=201)
def create_programme_json(ctx: Creator, data: service.ProgrammeIn) -> mp.ProgrammeView:
    """Create a programme (send the X-CSRF-Token header); you become its manager. 409 if the
    slug is taken."""
    return _create(ctx, data)


@router.post("/programmes/new", include_in_schema=False)
def create_programme_page(
    request: Request,
    ctx: Creator,
    posted: Posted,
    slug: Annotated[str, Form()] = "",
) -> Response:
    fields = posted.model_copy(update={"slug": slug.strip()})
    try:
        created = _create(ctx, programme_in(fields))
    except errors.TechforceError as exc:
        page = mp.programme_form().model_copy(
            update={"error": exc.message, "failed": "programme", "values": fields.model_dump()}
        )
        return render(request, "programmes/manage_new.html.j2", page, ctx, status_code=exc.http_status)
    return redirect(f"/programmes/{created.slug}/manage", "created")


# ---------------------------------------------------------------- the management page


def _page(ctx: Ctx, programme: str, **notice: Any) -> mp.ManagePage:
    with ctx.db.session() as db:
        return mp.manage_page(db, checked_slug(programme)).model_copy(update=notice)


@router.get("/api/programmes/{programme}/manage", tags=["programmes"])
def manage_json(ctx: Runner, programme: Slug) -> mp.ManagePage:
    """A programme as its managers see it: its fields, cohorts with sessions (times in UTC
    and as shown in Europe/London) and bookings (the waiting list in order), and the
    applications waiting for a decision."""
    return _page(ctx, programme)


@router.get("/programmes/{programme}/manage", include_in_schema=False)
def manage_page(request: Request, ctx: Runner, programme: Slug, done: str = "") -> Response:
    return render(
        request, "programmes/manage_programme.html.j2", _page(ctx, programme, message=notice(DONE, done)), ctx
    )


def _refused(
    request: Request, ctx: Ctx, programme: str, exc: errors.TechforceError, form: str, values: dict[str, Any]
) -> Response:
    """The management page again, with why the change was refused and what was typed."""
    page = _page(ctx, programme, error=exc.message, failed=form, values=values)
    return render(request, "programmes/manage_programme.html.j2", page, ctx, status_code=exc.http_status)


def _edit(ctx: Ctx, programme: str, data: service.ProgrammeIn) -> mp.ProgrammeView:
    with ctx.db.session() as db:
        service.programme(db, checked_slug(programme))
        if data.slug != programme:
            raise errors.Invalid(f"slug: a programme's slug cannot change; give {programme!r}")
        return mp.programme_view(service.save_programme(db, data, actor=ctx.principal.username))


@router.post("/api/programmes/{programme}/manage", tags=["programmes"])
def edit_programme_json(ctx: Runner, programme: Slug, data: service.ProgrammeIn) -> mp.ProgrammeView:
    """Change a programme (its slug stays as it is; send the X-CSRF-Token header)."""
    return _edit(ctx, programme, data)


@router.post("/programmes/{programme}/manage", include_in_schema=False)
def edit_programme_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    posted: Posted,
) -> Response:
    fields = posted.model_copy(update={"slug": programme})
    try:
        _edit(ctx, programme, programme_in(fields))
    except errors.TechforceError as exc:
        return _refused(request, ctx, programme, exc, "programme", fields.model_dump())
    return redirect(f"/programmes/{programme}/manage", "saved")


# ---------------------------------------------------------------- cohorts


def _cohort_in(name: str, starts_on: str, ends_on: str, capacity: str) -> service.CohortIn:
    try:
        return service.CohortIn.model_validate(
            {
                "name": name.strip(),
                "starts_on": starts_on,
                "ends_on": ends_on,
                "capacity": _whole(capacity, "capacity") if capacity.strip() else None,
            }
        )
    except ValidationError as exc:
        raise invalid(exc) from None


class CohortSaved(BaseModel):
    id: int
    name: str
    starts_on: str
    ends_on: str
    capacity: int


def _save_cohort(ctx: Ctx, programme: str, data: service.CohortIn, cohort: int | None) -> CohortSaved:
    with ctx.db.session() as db:
        slug = checked_slug(programme)
        if cohort is None:
            owner = service.programme(db, slug)
            if any(c.name == data.name for c in owner.cohorts):
                raise errors.Refused(
                    f"name: programme {slug!r} already has a cohort {data.name!r}; edit it or choose another name",
                    status=409,
                )
            row = service.save_cohort(db, slug, data, actor=ctx.principal.username)
        else:
            row = mp.edit_cohort(db, slug, cohort, data, actor=ctx.principal.username)
        saved = CohortSaved(
            id=row.id,
            name=row.name,
            starts_on=row.starts_on.isoformat(),
            ends_on=row.ends_on.isoformat(),
            capacity=row.capacity,
        )
    programmes_service(ctx).deliver_soon()  # a larger capacity promotes from the waiting list
    return saved


@router.post("/api/programmes/{programme}/cohorts", tags=["programmes"], status_code=201)
def add_cohort_json(ctx: Runner, programme: Slug, data: service.CohortIn) -> CohortSaved:
    """Add a cohort (capacity: the programme's when left out). 409 if the name is taken."""
    return _save_cohort(ctx, programme, data, None)


@router.post("/api/programmes/{programme}/cohorts/{cohort}", tags=["programmes"])
def edit_cohort_json(ctx: Runner, programme: Slug, cohort: Id, data: service.CohortIn) -> CohortSaved:
    """Change a cohort: name, dates, capacity (a larger one promotes from the waiting list; one
    below the confirmed places is refused, 409)."""
    return _save_cohort(ctx, programme, data, cohort)


def _cohort_page(
    request: Request,
    ctx: Ctx,
    programme: str,
    cohort: int | None,
    name: str,
    starts_on: str,
    ends_on: str,
    capacity: str,
) -> Response:
    form = "cohort-new" if cohort is None else f"cohort-{cohort}"
    try:
        _save_cohort(ctx, programme, _cohort_in(name, starts_on, ends_on, capacity), cohort)
    except errors.TechforceError as exc:
        values = {"name": name, "starts_on": starts_on, "ends_on": ends_on, "capacity": capacity}
        return _refused(request, ctx, programme, exc, form, values)
    return redirect(f"/programmes/{programme}/manage", "cohort", "cohorts")


Short = Annotated[str, Form()]


@router.post("/programmes/{programme}/cohorts", include_in_schema=False)
def add_cohort_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    name: Short = "",
    starts_on: Short = "",
    ends_on: Short = "",
    capacity: Short = "",
) -> Response:
    return _cohort_page(request, ctx, programme, None, name, starts_on, ends_on, capacity)


@router.post("/programmes/{programme}/cohorts/{cohort}", include_in_schema=False)
def edit_cohort_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    cohort: Id,
    name: Short = "",
    starts_on: Short = "",
    ends_on: Short = "",
    capacity: Short = "",
) -> Response:
    return _cohort_page(request, ctx, programme, cohort, name, starts_on, ends_on, capacity)


# ---------------------------------------------------------------- sessions


def _save_session(
    ctx: Ctx, programme: str, cohort: int, data: service.SessionIn, session: int | None
) -> mp.SessionView:
    for field, moment in (("starts_at", data.starts_at), ("ends_at", data.ends_at)):
        if not 1900 <= moment.year <= 2200 or not 1900 <= moment.astimezone(UTC).year <= 2200:
            raise errors.Invalid(f"{field}: give a time between the years 1900 and 2200")
    with ctx.db.session() as db:
        slug = checked_slug(programme)
        row = service.cohort_by_id(db, cohort, slug)
        uid = mp.session_in(db, slug, cohort, session).uid if session is not None else None
        return mp.session_view(service.save_session(db, row, data, actor=ctx.principal.username, uid=uid))


@router.post("/api/programmes/{programme}/cohorts/{cohort}/sessions", tags=["programmes"], status_code=201)
def add_session_json(ctx: Runner, programme: Slug, cohort: Id, data: service.SessionIn) -> mp.SessionView:
    """Add a session to a cohort: times with their UTC offset."""
    return _save_session(ctx, programme, cohort, data, None)


@router.post("/api/programmes/{programme}/cohorts/{cohort}/sessions/{session}", tags=["programmes"])
def edit_session_json(
    ctx: Runner, programme: Slug, cohort: Id, session: Id, data: service.SessionIn
) -> mp.SessionView:
    """Change a session (its iCalendar SEQUENCE goes up, so calendars update it)."""
    return _save_session(ctx, programme, cohort, data, session)


class SessionFields(BaseModel):
    title: str = ""
    kind: str = "session"
    starts: str = ""  # Europe/London wall-clock time, as a datetime-local field gives it
    ends: str = ""
    mode: str = "in-person"
    location: str = ""
    facilitator: str = ""


def session_in(form: SessionFields) -> service.SessionIn:
    """The checked session from the form: local UK times become UTC."""
    starts = mp.from_local(form.starts, "starts")
    ends = mp.from_local(form.ends, "ends")
    try:
        return service.SessionIn.model_validate(
            {
                **form.model_dump(exclude={"starts", "ends"}),
                "kind": form.kind.strip() or "session",
                "starts_at": starts,
                "ends_at": ends,
            }
        )
    except ValidationError as exc:
        raise invalid(exc) from None


def _session_page(
    request: Request, ctx: Ctx, programme: str, cohort: int, session: int | None, form: SessionFields
) -> Response:
    name = f"session-new-{cohort}" if session is None else f"session-{session}"
    try:
        _save_session(ctx, programme, cohort, session_in(form), session)
    except errors.TechforceError as exc:
        return _refused(request, ctx, programme, exc, name, form.model_dump())
    return redirect(f"/programmes/{programme}/manage", "session", f"cohort-{cohort}")


def _session_fields(
    title: str, kind: str, starts: str, ends: str, mode: str, location: str, facilitator: str
) -> SessionFields:
    return SessionFields(
        title=title.strip(),
        kind=kind.strip(),
        starts=starts,
        ends=ends,
        mode=mode,
        location=location.strip(),
        facilitator=facilitator.strip(),
    )


@router.post("/programmes/{programme}/cohorts/{cohort}/sessions", include_in_schema=False)
def add_session_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    cohort: Id,
    title: Short = "",
    kind: Short = "session",
    starts: Short = "",
    ends: Short = "",
    mode: Short = "in-person",
    location: Short = "",
    facilitator: Short = "",
) -> Response:
    form = _session_fields(title, kind, starts, ends, mode, location, facilitator)
    return _session_page(request, ctx, programme, cohort, None, form)


@router.post("/programmes/{programme}/cohorts/{cohort}/sessions/{session}", include_in_schema=False)
def edit_session_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    cohort: Id,
    session: Id,
    title: Short = "",
    kind: Short = "session",
    starts: Short = "",
    ends: Short = "",
    mode: Short = "in-person",
    location: Short = "",
    facilitator: Short = "",
) -> Response:
    form = _session_fields(title, kind, starts, ends, mode, location, facilitator)
    return _session_page(request, ctx, programme, cohort, session, form)


# ---------------------------------------------------------------- applications and bookings


class Decision(BaseModel):
    approve: bool
    reason: str = Field(max_length=2000)


class BookingChanged(BaseModel):
    id: int
    cohort_id: int
    status: str
    promoted: list[int] = Field(default_factory=list)  # bookings promoted from the waiting list


def _decide(ctx: Ctx, programme: str, booking: int, data: Decision) -> BookingChanged:
    with ctx.db.session() as db:
        row = service.managed_booking(db, booking, checked_slug(programme))
        service.decide(db, row, approve=data.approve, reason=data.reason, actor=ctx.principal.username)
        changed = BookingChanged(id=row.id, cohort_id=row.cohort_id, status=row.status)
    programmes_service(ctx).deliver_soon()
    return changed


def _cancel(ctx: Ctx, programme: str, booking: int) -> BookingChanged:
    with ctx.db.session() as db:
        row = service.managed_booking(db, booking, checked_slug(programme))
        promoted = service.cancel(db, row, actor=ctx.principal.username)
        changed = BookingChanged(
            id=row.id, cohort_id=row.cohort_id, status=row.status, promoted=[b.id for b in promoted]
        )
    programmes_service(ctx).deliver_soon()
    return changed


@router.post("/api/programmes/{programme}/bookings/{booking}/decide", tags=["programmes"])
def decide_json(ctx: Runner, programme: Slug, booking: Id, data: Decision) -> BookingChanged:
    """Approve or decline an application with the reason (required, recorded). An approved
    application takes a free place or joins the waiting list."""
    return _decide(ctx, programme, booking, data)


@router.post("/programmes/{programme}/bookings/{booking}/decide", include_in_schema=False)
def decide_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    booking: Id,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        if decision not in ("approve", "decline"):
            raise errors.Invalid("decision: press Approve or Decline")
        if len(reason) > 2000:
            raise errors.Invalid("reason: at most 2,000 characters; shorten it")
        _decide(ctx, programme, booking, Decision(approve=decision == "approve", reason=reason))
    except errors.TechforceError as exc:
        return _refused(request, ctx, programme, exc, f"decide-{booking}", {"reason": reason})
    return redirect(
        f"/programmes/{programme}/manage", "approved" if decision == "approve" else "declined", "applications"
    )


@router.post("/api/programmes/{programme}/bookings/{booking}/cancel", tags=["programmes"])
def cancel_json(ctx: Runner, programme: Slug, booking: Id) -> BookingChanged:
    """Cancel a booking or application on the participant's behalf; the freed place goes to
    the first on the waiting list (``promoted``)."""
    return _cancel(ctx, programme, booking)


@router.post("/programmes/{programme}/bookings/{booking}/cancel", include_in_schema=False)
def cancel_page(request: Request, ctx: Runner, programme: Slug, booking: Id) -> Response:
    try:
        changed = _cancel(ctx, programme, booking)
    except errors.TechforceError as exc:
        return _refused(request, ctx, programme, exc, f"cancel-{booking}", {})
    return redirect(f"/programmes/{programme}/manage", "cancelled", f"cohort-{changed.cohort_id}")
