"""Workforce pages and their JSON twins. Each handler asks the library for the page's data
(techforce.workforce.pages) and either returns it (/api/...) or renders it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, BeforeValidator

from techforce import audit
from techforce.accounts.access import Permission
from techforce.present.tables import to_csv
from techforce.web.deps import InFull, Viewer
from techforce.web.pages import render
from techforce.web.security import content_disposition
from techforce.web.workforce_common import in_full as _in_full
from techforce.web.workforce_common import wf as _wf
from techforce.web.workforce_manage import router as manage_router
from techforce.workforce import events, finding, pages
from techforce.workforce.page_models import DefinitionsPage, ExplorePage, OverviewPage, ProfilePage
from techforce.workforce.service import NoData

router = APIRouter()


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


# "All years" in a form sends year= (empty): that means no year chosen, not a bad number.
Year = Annotated[int | None, BeforeValidator(_blank_is_none)]


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    """A CSV download: formula cells neutralised (to_csv), the file name encoded (RFC 6266)."""
    return Response(
        to_csv(rows), media_type="text/csv", headers={"Content-Disposition": content_disposition(filename)}
    )


# --- sector overview -------------------------------------------------------------------
@router.get("/api/workforce/overview", tags=["workforce"])
def overview_json(ctx: Viewer, year: Year = None, definition: str | None = None) -> OverviewPage:
    """Sector headline indicators, strategic technical leadership share, providers, trend."""
    return pages.overview(_wf(ctx), year=year, definition=definition)


@router.get("/workforce/overview", include_in_schema=False)
def overview_page(
    request: Request, ctx: Viewer, year: Year = None, definition: str | None = None
) -> Response:
    try:
        data = overview_json(ctx, year, definition)
    except NoData as exc:  # a new deployment: say what to do, not "404"
        return render(
            request,
            "empty.html.j2",
            {
                "title": "No staff returns yet",
                "message": str(exc),
                "can_upload": ctx.principal.can_any(Permission.UPLOAD),
            },
            ctx,
        )
    return render(request, "overview.html.j2", data, ctx, shared=True)


# --- provider profile ------------------------------------------------------------------
@router.get("/api/workforce/providers/{ukprn}", tags=["workforce"])
def profile_json(
    ctx: Viewer, ukprn: str, group: str | None = None, year: Year = None, definition: str | None = None
) -> ProfilePage:
    """Every indicator for one provider against a peer group and the sector. Unrounded only
    for a lead of that provider; everyone else sees disclosure-controlled figures."""
    return pages.profile(
        _wf(ctx), ukprn, group=group, year=year, definition=definition, in_full=_in_full(ctx, ukprn)
    )


@router.get("/workforce/providers/{ukprn}", include_in_schema=False)
def profile_page(
    request: Request,
    ctx: Viewer,
    ukprn: str,
    group: str | None = None,
    year: Year = None,
    definition: str | None = None,
) -> Response:
    data = profile_json(ctx, ukprn, group or None, year, definition)
    return render(request, "profile.html.j2", data, ctx, shared=True)


@router.get("/workforce/providers/{ukprn}/rows.csv", tags=["workforce"])
def provider_rows(ctx: InFull, ukprn: str, year: Year = None) -> Response:
    """Row-level (pseudonymised) snapshot rows of your own provider, as CSV. Audited."""
    header, rows = pages.snapshot_rows(_wf(ctx), ukprn, year)
    with ctx.db.session() as session:
        audit.record(
            session,
            actor=ctx.principal.username,
            action=events.ROWS_DOWNLOAD,
            target=f"{ukprn}/{year or 'latest'}",
            payload={"address": ctx.address},  # no row count: administrators see no true counts
        )
    return _csv([dict(zip(header, r, strict=True)) for r in rows], f"techforce-{ukprn}-rows.csv")


# --- explorer --------------------------------------------------------------------------
@router.get("/api/workforce/explore", tags=["workforce"])
def explore_json(
    ctx: Viewer,
    indicator: str = "tech.by_age",
    scope: str = "sector",
    year: Year = None,
    definition: str | None = None,
) -> ExplorePage:
    """One indicator by its breakdown for the sector, a peer group (group:NAME) or a provider
    (provider:UKPRN)."""
    ukprn = scope.removeprefix("provider:") if scope.startswith("provider:") else None
    in_full = ukprn is not None and _in_full(ctx, ukprn)
    return pages.explore(_wf(ctx), indicator, scope=scope, year=year, definition=definition, in_full=in_full)


@router.get("/workforce/explore", include_in_schema=False)
def explore_page(
    request: Request,
    ctx: Viewer,
    indicator: str = "tech.by_age",
    scope: str = "sector",
    year: Year = None,
    definition: str | None = None,
) -> Response:
    data = explore_json(ctx, indicator, scope, year, definition)
    template = "explore_result.html.j2" if request.headers.get("hx-request") else "explore.html.j2"
    return render(request, template, data, ctx, shared=template == "explore.html.j2")


@router.get("/workforce/explore.csv", tags=["workforce"])
def explore_csv(
    ctx: Viewer,
    indicator: str = "tech.by_age",
    scope: str = "sector",
    year: Year = None,
    definition: str | None = None,
) -> Response:
    """The explorer's table as CSV: the rows shown for the same indicator, population, year
    and definition, each saying what it is (the same published figures)."""
    data = explore_json(ctx, indicator, scope, year, definition)
    rows = [
        {
            "indicator": data.indicator.title,
            "population": data.population,
            **r.model_dump(),
            "unit": data.indicator.unit,
            "definition": data.meta.definition,
            "disclosure rules": data.meta.disclosure,
        }
        for r in data.rows
    ]
    when = data.year.replace("/", "-").replace(" ", "-")
    return _csv(rows, f"techforce-{indicator}-{scope.replace(':', '-')}-{when}.csv")


# --- finding a provider ----------------------------------------------------------------
class FoundProvider(BaseModel):
    ukprn: str
    provider: str


class FindResult(BaseModel):
    query: str
    matches: list[FoundProvider]


@router.get("/api/workforce/find", tags=["workforce"])
def find_json(ctx: Viewer, q: str = "") -> FindResult:
    """Providers whose UKPRN starts with, or whose name contains, ``q`` (best first, at most 10)."""
    found = finding.search_providers(_wf(ctx).names(), q[:200])
    return FindResult(query=q, matches=[FoundProvider(ukprn=u, provider=n) for u, n in found])


@router.get("/workforce/find", include_in_schema=False)
def find_page(request: Request, ctx: Viewer, q: str = "") -> Response:
    """One match (a UKPRN, or "Name (UKPRN)" from the suggestions): its profile. Several: a
    list to choose from. None: the nearest names."""
    names = _wf(ctx).names()
    typed = q.strip()[:200]
    picked = typed.rsplit("(", 1)[-1].rstrip(")").strip() if typed.endswith(")") else typed
    if picked in names:
        return RedirectResponse(f"/workforce/providers/{picked}", status_code=303)
    found = finding.search_providers(names, typed, limit=None)
    if len(found) == 1:
        return RedirectResponse(f"/workforce/providers/{found[0][0]}", status_code=303)
    near = [] if found or not typed else finding.nearest_providers(names, typed)
    data = {
        "title": f"Providers matching {typed!r}" if typed else "Find a provider",
        "query": typed,
        "matches": [{"ukprn": u, "provider": n} for u, n in found[:50]],
        "more": max(0, len(found) - 50),
        "nearest": [{"ukprn": u, "provider": names.get(u, u)} for u in near],
    }
    return render(request, "find.html.j2", data, ctx, status_code=200 if found or not typed else 404)


# --- definitions and peer groups -------------------------------------------------------
@router.get("/api/workforce/definitions", tags=["workforce"])
def definitions_json(ctx: Viewer) -> DefinitionsPage:
    """Definitions of technical staff and strategic technical leaders, and the indicators."""
    return pages.definitions_page(_wf(ctx))


@router.get("/workforce/definitions", include_in_schema=False)
def definitions_page(request: Request, ctx: Viewer) -> Response:
    return render(request, "definitions.html.j2", definitions_json(ctx), ctx)


router.include_router(manage_router)
