"""The impact dashboard of the programmes (page, JSON twin and CSV download), with a filter
by programme and academic year. Every figure comes from techforce.programmes.impact, which
puts it through the disclosure gate; this router computes none. Included in
programmes_manage's router."""

from __future__ import annotations

import threading
import weakref
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from techforce import errors
from techforce.programmes import permissions, service
from techforce.programmes.facade import Programmes
from techforce.programmes.impact import Impact, impact_csv
from techforce.programmes.impact_models import ImpactPage
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.programmes_forms import programmes_service
from techforce.web.security import content_disposition

router = APIRouter()

Viewer = Annotated[Ctx, Depends(guard(permissions.VIEW_IMPACT))]
Programme = Annotated[str, Query(max_length=80, description="a programme's slug; empty: every programme")]
Year = Annotated[
    str, Query(max_length=10, description="an academic year's first year (2023 for 2023/24); empty: all")
]

_held: weakref.WeakKeyDictionary[Programmes, Impact] = weakref.WeakKeyDictionary()
_held_lock = threading.Lock()


def _impact(ctx: Ctx) -> Impact:
    """The app's impact pages (cached per data version): the facade's, else one per app."""
    owner = programmes_service(ctx)
    found = getattr(owner, "impact", None)
    if isinstance(found, Impact):
        return found
    with _held_lock:
        if owner not in _held:
            _held[owner] = Impact(ctx.settings, ctx.db)
        return _held[owner]


def _page(ctx: Ctx, programme: str, year: str) -> ImpactPage:
    slug = programme.strip() or None
    if slug is not None and not service.SLUG.match(slug):
        raise errors.NotFound(f"no programme {slug[:80]!r}: choose one from the list")
    chosen = year.strip()
    if chosen and not (chosen.isdigit() and len(chosen) == 4):
        raise errors.Invalid(
            f"year: {chosen!r} is not an academic year; give its first year, e.g. 2023 for 2023/24"
        )
    return _impact(ctx).dashboard(programme=slug, year=int(chosen) if chosen else None)


@router.get("/api/programmes/impact", tags=["programmes"])
def impact_json(ctx: Viewer, programme: Programme = "", year: Year = "") -> ImpactPage:
    """What the programmes delivered, to whom, what participants said and what changed after:
    every figure about people disclosure-controlled (perturbed, rounded or suppressed, each
    with the reason), the rule set stamped in ``meta``; the matched comparison states its
    method and limits."""
    return _page(ctx, programme, year)


@router.get("/programmes/impact", include_in_schema=False)
def impact_page(request: Request, ctx: Viewer, programme: Programme = "", year: Year = "") -> Response:
    return render(request, "programmes/impact.html.j2", _page(ctx, programme, year), ctx, shared=True)


@router.get("/programmes/impact.csv", include_in_schema=False)
def impact_download(ctx: Viewer, programme: Programme = "", year: Year = "") -> Response:
    """The page as one CSV table (section, row, measure, value, shown, disclosure, rules)."""
    page = _page(ctx, programme, year)
    name = "-".join(p for p in ("techforce-impact", page.programme, (page.year or "").replace("/", "-")) if p)
    return Response(
        impact_csv(page),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition(f"{name}.csv")},
    )
