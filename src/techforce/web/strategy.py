"""Strategy pages: recommendation sets (here, with their import), a provider's commitments,
self-assessments and action plans with linked evidence (strategy_plan.py, strategy_actions.py),
peer review (strategy_reviews.py) and the sector view. Every page has its JSON twin under
/api; every route is behind a guard; every form posts with the CSRF token and redirects after
a change (303), or shows the page again with the reason when the change is refused."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from techforce import errors
from techforce.strategy import pages, permissions, recsets, review_pages, sector, service
from techforce.strategy.page_models import RecommendationPage, RecommendationsPage, SectorPage
from techforce.web import strategy_actions, strategy_files, strategy_plan, strategy_reviews
from techforce.web.deps import Ctx
from techforce.web.pages import render
from techforce.web.security import content_disposition
from techforce.web.strategy_common import Analyst, Id, Importer, Reader, allowed, read_upload, redirect
from techforce.web.strategy_extras import workforce

router = APIRouter()
router.include_router(strategy_reviews.router)
router.include_router(strategy_plan.router)
router.include_router(strategy_files.router)  # before the actions: actions/import is not an action id
router.include_router(strategy_actions.router)

RECS = "strategy/recommendations.html.j2"
DONE = {"imported": "Recommendation set stored."}
Line = Annotated[str, Form(max_length=2000)]


def _recommendations(ctx: Ctx) -> RecommendationsPage:
    with ctx.db.session() as s:
        return pages.recommendations_page(
            s, allowed=allowed(ctx), can_import=ctx.principal.can(permissions.MANAGE_RECOMMENDATIONS)
        )


@router.get("/api/strategy/recommendations", tags=["strategy"])
def recommendations_json(ctx: Reader) -> RecommendationsPage:
    """Every recommendation set: recommendations with addressees, theme, pillars and the
    library resources that support each (those you may see)."""
    return _recommendations(ctx)


@router.get("/strategy/recommendations", include_in_schema=False)
def recommendations(request: Request, ctx: Reader, done: str = "") -> Response:
    data = _recommendations(ctx).model_copy(update={"message": DONE.get(done, "")})
    return render(request, RECS, data, ctx)


def _recommendation(ctx: Ctx, rec_id: int) -> RecommendationPage:
    with ctx.db.session() as s:
        return pages.recommendation_page(s, rec_id, allowed=allowed(ctx))


@router.get("/api/strategy/recommendations/{rec_id}", tags=["strategy"])
def recommendation_json(ctx: Reader, rec_id: Id) -> RecommendationPage:
    """One recommendation with its set, source and supporting resources."""
    return _recommendation(ctx, rec_id)


@router.get("/strategy/recommendations/{rec_id}", include_in_schema=False)
def recommendation(request: Request, ctx: Reader, rec_id: Id) -> Response:
    return render(request, "strategy/recommendation.html.j2", _recommendation(ctx, rec_id), ctx)


class ImportedSet(BaseModel):
    id: int
    slug: str
    version: str
    recommendations: int


def _set_form(
    set_id: Annotated[str, Form(max_length=80)] = "",
    title: Line = "",
    publisher: Line = "",
    published: Annotated[str, Form(max_length=10)] = "",
    version: Annotated[str, Form(max_length=20)] = "1",
    citation: Line = "",
    url: Line = "",
) -> dict[str, str]:
    return {
        "set_id": set_id, "title": title, "publisher": publisher, "published": published,
        "version": version or "1", "citation": citation, "url": url,
    }  # fmt: skip


SetForm = Annotated[dict[str, str], Depends(_set_form)]
Upload = Annotated[UploadFile | None, File()]


async def _import(ctx: Ctx, file: UploadFile | None, fields: dict[str, str]) -> ImportedSet:
    upload = await read_upload(ctx, file)
    if upload is None:
        raise errors.Invalid("no file was chosen: choose a YAML or CSV recommendation set")
    data, name, _type = upload
    suffix = PurePath(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        rs = recsets.read_yaml(data, name)
    elif suffix == ".csv":
        if not fields["set_id"] or not fields["title"] or not fields["published"]:
            raise errors.Invalid(
                f"{name}: a CSV holds only the recommendations: give the set's id, title and date published"
            )
        rs = recsets.read_csv(data, name, **fields)
    else:
        raise errors.Invalid(f"{name} is not a .yaml, .yml or .csv file: export the set as one of those")
    with ctx.db.session() as s:
        row = service.install_set(s, rs, ctx.principal.username)
        return ImportedSet(
            id=row.id, slug=row.slug, version=row.version, recommendations=len(rs.recommendations)
        )


@router.post("/api/strategy/recommendations/import", tags=["strategy"], status_code=201)
async def import_json(ctx: Importer, fields: SetForm, file: Upload = None) -> ImportedSet:
    """Store a recommendation set from YAML (the shipped sets' format) or CSV (multipart:
    ``file``; for CSV also ``set_id``, ``title``, ``publisher``, ``published``, ``version``,
    ``citation``, ``url``). The same set and version again changes nothing; different content
    under a stored version is refused."""
    return await _import(ctx, file, fields)


@router.post("/strategy/recommendations/import", include_in_schema=False)
async def import_page(request: Request, ctx: Importer, fields: SetForm, file: Upload = None) -> Response:
    try:
        await _import(ctx, file, fields)
    except errors.TechforceError as exc:
        data = _recommendations(ctx).model_copy(
            update={"error": exc.message, "failed": "import", "values": fields}
        )
        return render(request, RECS, data, ctx, status_code=exc.http_status)
    return redirect("/strategy/recommendations", "imported")


# ---------------------------------------------------------------- the sector view


def _sector(ctx: Ctx) -> SectorPage:
    with ctx.db.session() as s:
        return review_pages.sector_page(s, workforce(ctx), date.today())


@router.get("/api/strategy/sector", tags=["strategy"])
def sector_json(ctx: Analyst) -> SectorPage:
    """Adoption of each recommendation across providers, Technician Commitment stage
    compliance per cohort, and pledges to appoint a strategic lead against the staff data;
    counts of providers pass the disclosure gate."""
    return _sector(ctx)


@router.get("/strategy/sector", include_in_schema=False)
def sector_page(request: Request, ctx: Analyst) -> Response:
    return render(request, "strategy/sector.html.j2", _sector(ctx), ctx)


@router.get("/strategy/sector.csv", tags=["strategy"])
def sector_csv(ctx: Analyst) -> Response:
    """Every published cell of the sector view, one a line, with how it was protected."""
    with ctx.db.session() as s:
        text = sector.sector_csv(sector.sector_view(s, workforce(ctx), date.today()))
    return Response(
        text.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition("strategy-sector.csv")},
    )
