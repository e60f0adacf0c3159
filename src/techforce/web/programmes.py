"""Development programmes on the web: the catalogue, a person's bookings, feedback, outcomes
and consent, calendar feeds and the public credential verification page (managers' pages are
in programmes_manage.py, a person's own in programmes_people.py, the routes open without
signing in in programmes_public.py). Each page has its JSON twin under /api.

Order matters: fixed paths (/programmes/new, /programmes/me, /programmes/verify, ...) are
routed before /programmes/{programme}, so they are included first."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from techforce.library import permissions as library_permissions
from techforce.library import records
from techforce.library import search as library_search
from techforce.programmes import calendar, pages, permissions, service
from techforce.programmes.page_models import RelatedLink
from techforce.programmes.permissions import BOOK, VIEW_PROGRAMMES
from techforce.web import programmes_manage, programmes_people, programmes_public
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.security import content_disposition

router = APIRouter()
router.include_router(programmes_manage.router)
router.include_router(programmes_public.router)
router.include_router(programmes_people.router)
Reader = Annotated[Ctx, Depends(guard(VIEW_PROGRAMMES))]
Booker = Annotated[Ctx, Depends(guard(BOOK))]


def _mine(ctx: Ctx, api: bool) -> RedirectResponse:
    base = "/api" if api else ""
    return RedirectResponse(
        f"{base}/programmes/people/{quote(ctx.principal.username, safe='')}/bookings", status_code=303
    )


@router.get("/api/programmes/me", tags=["programmes"])
def me_json(ctx: Booker) -> RedirectResponse:
    """Your bookings: a redirect to /api/programmes/people/{your username}/bookings."""
    return _mine(ctx, True)


@router.get("/programmes/me", include_in_schema=False)
def me_page(ctx: Booker) -> RedirectResponse:
    return _mine(ctx, False)


@router.get("/api/programmes", tags=["programmes"])
def catalogue_json(ctx: Reader, kind: str = "", pillar: str = "") -> pages.CataloguePage:
    """Every programme with its next cohort's dates and places; ``kind`` and ``pillar`` filter."""
    with ctx.db.session() as session:
        return pages.catalogue_page(session, kind=kind, pillar=pillar)


@router.get("/programmes", include_in_schema=False)
def catalogue_page(request: Request, ctx: Reader, kind: str = "", pillar: str = "") -> Response:
    return render(request, "programmes/catalogue.html.j2", catalogue_json(ctx, kind, pillar), ctx)


@router.get("/programmes/{programme}/calendar.ics", tags=["programmes"])
def programme_calendar(ctx: Reader, programme: str) -> Response:
    """Every session of the programme as an iCalendar file."""
    with ctx.db.session() as session:
        body = calendar.programme_feed(session, programme, ctx.settings)
    return _ics(body, f"{programme}.ics")


@router.get("/programmes/{programme}/cohorts/{cohort}/calendar.ics", tags=["programmes"])
def cohort_calendar(ctx: Reader, programme: str, cohort: programmes_people.Id) -> Response:
    """The sessions of one cohort as an iCalendar file."""
    with ctx.db.session() as session:
        service.cohort_by_id(session, cohort, programme)  # another programme's cohort: not found
        body = calendar.cohort_feed(session, cohort, ctx.settings)
    return _ics(body, f"{programme}-cohort-{cohort}.ics")


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": content_disposition(filename)},
    )


@router.get("/api/programmes/{programme}", tags=["programmes"])
def programme_json(ctx: Reader, programme: str) -> pages.ProgrammePage:
    """A programme: description, audience, eligibility, cost, completion rule, and its cohorts
    with their sessions (times also in Europe/London), places and your own place on each."""
    with ctx.db.session() as session:
        page = pages.programme_page(session, programme, username=ctx.principal.username)
        allowed = library_permissions.audience_of(ctx.principal)
        page.related = [
            RelatedLink(
                title=r.title, href=f"/library/{r.slug}", note=records.KIND_LABELS.get(r.kind, r.kind)
            )
            for r in library_search.linked(session, f"programme:{programme}", allowed=allowed)
        ]
    if ctx.principal.can(permissions.MANAGE_PROGRAMME, programme, ctx.db):
        page.manage = f"/programmes/{programme}/manage"
    return page


@router.get("/programmes/{programme}", include_in_schema=False)
def programme_page(request: Request, ctx: Reader, programme: str) -> Response:
    return render(request, "programmes/programme.html.j2", programme_json(ctx, programme), ctx)
