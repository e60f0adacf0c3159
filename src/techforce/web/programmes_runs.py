"""Running a cohort: a session's attendance register (a page a facilitator fills in on a
phone), the cohort's completion page (progress against the rule, final projects, confirmed
completions) and its credentials (issue to every completer, revoke one with a reason).
Each page has its JSON twin under /api. Included in programmes_manage's router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from techforce import errors
from techforce.programmes import credentials, permissions, service
from techforce.programmes import manage_pages as mp
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.programmes_forms import checked_slug, notice, programmes_service, redirect

router = APIRouter()

Runner = Annotated[Ctx, Depends(guard(permissions.MANAGE_PROGRAMME))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Slug = Annotated[str, Path(min_length=1, max_length=80)]
CredentialId = Annotated[str, Path(min_length=1, max_length=64)]
BookingId = Annotated[int, Field(ge=1, le=2**31 - 1)]
REGISTER = "programmes/manage_register.html.j2"
COMPLETION = "programmes/manage_completion.html.j2"

DONE = {
    "register": "Register saved: {n} marks recorded.",
    "projects": "Final projects saved: {n} changed.",
    "confirmed": "Completions confirmed: {n} new completers.",
    "issued": "Credentials issued: {n} new.",
    "revoked": "Credential revoked.",
}


# ---------------------------------------------------------------- the register


def _register(ctx: Ctx, programme: str, cohort: int, session: int, **notice: object) -> mp.RegisterPage:
    with ctx.db.session() as db:
        return mp.register_page(db, checked_slug(programme), cohort, session).model_copy(update=notice)


class Marks(BaseModel):
    """A register: booking id -> present, absent or excused (unlisted people stay as they are)."""

    marks: dict[BookingId, str] = Field(max_length=5000)


class MarksSaved(BaseModel):
    recorded: int
    page: mp.RegisterPage  # the register as saved


def _record(ctx: Ctx, programme: str, cohort: int, session: int, marks: dict[int, str]) -> int:
    with ctx.db.session() as db:
        where = mp.session_in(db, checked_slug(programme), cohort, session)
        return service.record_attendance(db, where, marks, actor=ctx.principal.username)


@router.get("/api/programmes/{programme}/cohorts/{cohort}/sessions/{session}/register", tags=["programmes"])
def register_json(ctx: Runner, programme: Slug, cohort: Id, session: Id) -> mp.RegisterPage:
    """A session's register: each confirmed participant and their mark so far ('' unmarked)."""
    return _register(ctx, programme, cohort, session)


@router.get("/programmes/{programme}/cohorts/{cohort}/sessions/{session}/register", include_in_schema=False)
def register_page(
    request: Request, ctx: Runner, programme: Slug, cohort: Id, session: Id, done: str = "", n: str = ""
) -> Response:
    page = _register(
        ctx,
        programme,
        cohort,
        session,
        message=notice(DONE, done, int(n) if n.isdigit() and len(n) < 7 else 0),
    )
    return render(request, REGISTER, page, ctx)


@router.post("/api/programmes/{programme}/cohorts/{cohort}/sessions/{session}/register", tags=["programmes"])
def register_save_json(ctx: Runner, programme: Slug, cohort: Id, session: Id, data: Marks) -> MarksSaved:
    """Record or correct register marks (send the X-CSRF-Token header). Every mark is checked
    before any is written: a booking not confirmed on the cohort, or an unknown mark, is a 422."""
    recorded = _record(ctx, programme, cohort, session, data.marks)
    return MarksSaved(recorded=recorded, page=_register(ctx, programme, cohort, session))


def _marks_of(items: list[tuple[str, object]]) -> dict[int, str]:
    """The register form's marks: fields mark-<booking id> = present | absent | excused."""
    marks: dict[int, str] = {}
    for key, value in items:
        if not key.startswith("mark-") or not isinstance(value, str) or not value:
            continue
        number = key.removeprefix("mark-")
        if not number.isdigit() or len(number) > 10:
            raise errors.Invalid(f"{key[:40]}: not a booking on this register; reload the page")
        marks[int(number)] = value
    return marks


def _register_saved(
    request: Request, ctx: Ctx, programme: str, cohort: int, session: int, marks: dict[int, str]
) -> Response:
    try:
        if not marks:
            raise errors.Invalid("nothing to save: choose present, absent or excused for someone first")
        recorded = _record(ctx, programme, cohort, session, marks)
    except errors.TechforceError as exc:
        page = _register(
            ctx,
            programme,
            cohort,
            session,
            error=exc.message,
            failed="register",
            values={str(k): v for k, v in marks.items()},
        )
        return render(request, REGISTER, page, ctx, status_code=exc.http_status)
    path = f"/programmes/{programme}/cohorts/{cohort}/sessions/{session}/register"
    return redirect(path, "register", count=recorded)


@router.post("/programmes/{programme}/cohorts/{cohort}/sessions/{session}/register", include_in_schema=False)
async def register_save_page(
    request: Request, ctx: Runner, programme: Slug, cohort: Id, session: Id
) -> Response:
    """The register form (radio buttons named per booking, so read from the form itself)."""
    form = await request.form()
    try:
        marks = _marks_of(list(form.multi_items()))
    except errors.Invalid as exc:
        page = await run_in_threadpool(_register, ctx, programme, cohort, session, error=exc.message)
        return render(request, REGISTER, page, ctx, status_code=422)
    return await run_in_threadpool(_register_saved, request, ctx, programme, cohort, session, marks)


# ---------------------------------------------------------------- completion


def _completion(ctx: Ctx, programme: str, cohort: int, **notice: object) -> mp.CompletionPage:
    with ctx.db.session() as db:
        return mp.completion_page(db, checked_slug(programme), cohort).model_copy(update=notice)


@router.get("/api/programmes/{programme}/cohorts/{cohort}/completion", tags=["programmes"])
def completion_json(ctx: Runner, programme: Slug, cohort: Id) -> mp.CompletionPage:
    """Each confirmed participant against the completion rule (sessions, present, %, final
    project, started, complete, confirmed, credential); starters and completers apart."""
    return _completion(ctx, programme, cohort)


@router.get("/programmes/{programme}/cohorts/{cohort}/completion", include_in_schema=False)
def completion_page(
    request: Request, ctx: Runner, programme: Slug, cohort: Id, done: str = "", n: str = ""
) -> Response:
    return render(
        request,
        COMPLETION,
        _completion(
            ctx, programme, cohort, message=notice(DONE, done, int(n) if n.isdigit() and len(n) < 7 else 0)
        ),
        ctx,
    )


def _completion_refused(
    request: Request,
    ctx: Ctx,
    programme: str,
    cohort: int,
    exc: errors.TechforceError,
    form: str,
    values: dict[str, Any] | None = None,
) -> Response:
    page = _completion(ctx, programme, cohort, error=exc.message, failed=form, values=values or {})
    return render(request, COMPLETION, page, ctx, status_code=exc.http_status)


class Projects(BaseModel):
    """Final projects: booking id -> done or not (unlisted bookings stay as they are)."""

    done: dict[BookingId, bool] = Field(max_length=5000)


class Changed(BaseModel):
    changed: int  # how many were recorded, confirmed, issued or revoked
    completion: mp.CompletionPage


def _projects(ctx: Ctx, programme: str, cohort: int, done: dict[int, bool]) -> int:
    changed = 0
    with ctx.db.session() as db:
        slug = checked_slug(programme)
        service.cohort_by_id(db, cohort, slug)
        for booking_id, value in sorted(done.items()):
            booking = service.managed_booking(db, booking_id, slug)
            if booking.cohort_id != cohort or booking.status != "confirmed":
                raise errors.Invalid(
                    f"booking {booking_id}: not a confirmed place on cohort {cohort}; reload the page"
                )
            if booking.project_done != value:
                service.record_project(db, booking, done=value, actor=ctx.principal.username)
                changed += 1
    return changed


@router.post("/api/programmes/{programme}/cohorts/{cohort}/completion/projects", tags=["programmes"])
def projects_json(ctx: Runner, programme: Slug, cohort: Id, data: Projects) -> Changed:
    """Record whether each participant did the final project."""
    changed = _projects(ctx, programme, cohort, data.done)
    return Changed(changed=changed, completion=_completion(ctx, programme, cohort))


@router.post("/programmes/{programme}/cohorts/{cohort}/completion/projects", include_in_schema=False)
def projects_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    cohort: Id,
    listed: Annotated[list[str] | None, Form()] = None,
    done: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The projects form: ``listed`` names every booking shown, ``done`` those ticked."""
    try:
        ids = [int(v) for v in listed or [] if v.isdigit() and len(v) <= 10]
        ticked = {int(v) for v in done or [] if v.isdigit() and len(v) <= 10}
        changed = _projects(ctx, programme, cohort, {i: i in ticked for i in ids})
    except errors.TechforceError as exc:
        return _completion_refused(request, ctx, programme, cohort, exc, "projects")
    return redirect(f"/programmes/{programme}/cohorts/{cohort}/completion", "projects", count=changed)


def _confirm(ctx: Ctx, programme: str, cohort: int) -> int:
    with ctx.db.session() as db:
        row = service.cohort_by_id(db, cohort, checked_slug(programme))
        return len(service.confirm_completions(db, row, actor=ctx.principal.username))


@router.post("/api/programmes/{programme}/cohorts/{cohort}/completion/confirm", tags=["programmes"])
def confirm_json(ctx: Runner, programme: Slug, cohort: Id) -> Changed:
    """Confirm completions: stamp everyone who meets the rule now (and unstamp anyone who no
    longer does, after a corrected register). ``changed``: the new completers."""
    changed = _confirm(ctx, programme, cohort)
    return Changed(changed=changed, completion=_completion(ctx, programme, cohort))


@router.post("/programmes/{programme}/cohorts/{cohort}/completion/confirm", include_in_schema=False)
def confirm_page(request: Request, ctx: Runner, programme: Slug, cohort: Id) -> Response:
    try:
        changed = _confirm(ctx, programme, cohort)
    except errors.TechforceError as exc:
        return _completion_refused(request, ctx, programme, cohort, exc, "confirm")
    return redirect(f"/programmes/{programme}/cohorts/{cohort}/completion", "confirmed", count=changed)


# ---------------------------------------------------------------- credentials


def _issue(ctx: Ctx, programme: str, cohort: int) -> int:
    with ctx.db.session() as db:
        row = service.cohort_by_id(db, cohort, checked_slug(programme))
        issued = credentials.issue_all(db, row, ctx.settings, actor=ctx.principal.username)
    programmes_service(ctx).deliver_soon()  # each participant is told where to download theirs
    return len(issued)


@router.post("/api/programmes/{programme}/cohorts/{cohort}/credentials", tags=["programmes"])
def issue_json(ctx: Runner, programme: Slug, cohort: Id) -> Changed:
    """Issue an Open Badges 3.0 credential to every confirmed completer who has none yet."""
    changed = _issue(ctx, programme, cohort)
    return Changed(changed=changed, completion=_completion(ctx, programme, cohort))


@router.post("/programmes/{programme}/cohorts/{cohort}/credentials", include_in_schema=False)
def issue_page(request: Request, ctx: Runner, programme: Slug, cohort: Id) -> Response:
    try:
        changed = _issue(ctx, programme, cohort)
    except errors.TechforceError as exc:
        return _completion_refused(request, ctx, programme, cohort, exc, "issue")
    return redirect(f"/programmes/{programme}/cohorts/{cohort}/completion", "issued", count=changed)


class Revocation(BaseModel):
    reason: str = Field(max_length=500)


def _revoke(ctx: Ctx, programme: str, cohort: int, credential: str, reason: str) -> None:
    with ctx.db.session() as db:
        found = mp.credential_in(db, checked_slug(programme), cohort, credential)
        credentials.revoke(db, found.id, reason, actor=ctx.principal.username)


@router.post(
    "/api/programmes/{programme}/cohorts/{cohort}/credentials/{credential}/revoke", tags=["programmes"]
)
def revoke_json(
    ctx: Runner, programme: Slug, cohort: Id, credential: CredentialId, data: Revocation
) -> Changed:
    """Revoke a credential with the reason (required; shown to whoever checks it)."""
    _revoke(ctx, programme, cohort, credential, data.reason)
    return Changed(changed=1, completion=_completion(ctx, programme, cohort))


@router.post(
    "/programmes/{programme}/cohorts/{cohort}/credentials/{credential}/revoke", include_in_schema=False
)
def revoke_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    cohort: Id,
    credential: CredentialId,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        _revoke(ctx, programme, cohort, credential, reason)
    except errors.TechforceError as exc:
        values = {"reason": reason[:500]}
        return _completion_refused(request, ctx, programme, cohort, exc, f"revoke-{credential}", values)
    return redirect(f"/programmes/{programme}/cohorts/{cohort}/completion", "revoked")
