"""The library on the web. The public catalogue (``/library/catalogue``: search, facets,
resource pages, downloads) is open to everyone and shows public resources only; signed in,
``/library`` shows what the user's audience may see (a private resource outside it is a 404,
the same as a missing one); curators (admins, programme managers) add resources by dragging
a file onto the form, edit and remove them. Every page has a JSON twin under ``/api``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from techforce import embeddings, errors
from techforce.embeddings import Embedder
from techforce.library import oai, pages, permissions, records, search, semantic, service
from techforce.library.models import Resource
from techforce.library.pages import CataloguePage, ResourcePage
from techforce.web.deps import Ctx, Open, Public, SignedIn, guard
from techforce.web.pages import render
from techforce.web.security import content_disposition

router = APIRouter()
Reader = Annotated[Ctx, Depends(guard(permissions.VIEW_RESOURCE))]
Curator = Annotated[Ctx, Depends(guard(permissions.CURATE))]
Slug = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[a-z0-9-]+$")]
PUBLIC_BASE, BASE = "/library/catalogue", "/library"
MAX_FILE = 100 * 1024 * 1024
CATALOGUE, RESOURCE, EDIT = "library/catalogue.html.j2", "library/resource.html.j2", "library/edit.html.j2"
DONE = {"saved": "Resource saved.", "removed": "Resource removed."}
Query_ = Annotated[str, Query(max_length=500)]
Values = Annotated[list[str], Query(max_length=20)]


def _embedder(site: Open | Ctx) -> Embedder | None:
    """The local model when the nlp extra is installed (hybrid search), else None (keyword)."""
    return Embedder(device=site.settings.nlp_device) if embeddings.available() else None


def _catalogue(
    site: Open | Ctx,
    base: str,
    allowed: frozenset[str] | None,
    q: str,
    facets: dict[str, list[str]],
    page: int,
    curate: bool,
) -> CataloguePage:
    with site.db.session() as s:
        return pages.catalogue_page(
            s,
            base=base,
            allowed=allowed,
            query=q,
            chosen=facets,
            page=page,
            can_curate=curate,
            embedder=_embedder(site),
        )


def _facets(
    kind: list[str], pillar: list[str], year: list[str], organisation: list[str]
) -> dict[str, list[str]]:
    return {"kind": kind[:20], "pillar": pillar[:20], "year": year[:20], "organisation": organisation[:20]}


class CatalogueQuery(BaseModel):
    q: str = ""
    kind: list[str] = []
    pillar: list[str] = []
    year: list[str] = []
    organisation: list[str] = []
    page: int = 1


def catalogue_query(
    q: Query_ = "",
    kind: Values = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    pillar: Values = [],  # noqa: B006
    year: Values = [],  # noqa: B006
    organisation: Values = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> CatalogueQuery:
    return CatalogueQuery(q=q, kind=kind, pillar=pillar, year=year, organisation=organisation, page=page)


Searched = Annotated[CatalogueQuery, Depends(catalogue_query)]


def _facet_map(c: CatalogueQuery) -> dict[str, list[str]]:
    return _facets(c.kind, c.pillar, c.year, c.organisation)


# ---------------------------------------------------------------- the public catalogue


@router.get("/api/library/catalogue", tags=["library"])
async def public_catalogue_json(site: Public, c: Searched) -> CataloguePage:
    """Public resources matching ``q`` (every word; else any), with facet counts and filters
    (repeat ``kind``, ``pillar``, ``year``, ``organisation``); no sign-in needed."""
    return await run_in_threadpool(
        _catalogue, site, PUBLIC_BASE, permissions.audience_of(None), c.q, _facet_map(c), c.page, False
    )


@router.get("/library/catalogue", include_in_schema=False)
async def public_catalogue(request: Request, site: Public, c: Searched) -> Response:
    data = await run_in_threadpool(
        _catalogue, site, PUBLIC_BASE, permissions.audience_of(None), c.q, _facet_map(c), c.page, False
    )
    return render(request, CATALOGUE, data)


def _resource(
    site: Open | Ctx, slug: str, base: str, allowed: frozenset[str] | None, curate: bool
) -> ResourcePage:
    with site.db.session() as s:
        return pages.resource_page(
            s, slug, base=base, allowed=allowed, can_curate=curate, embedder=_embedder(site)
        )


@router.get("/api/library/catalogue/{slug}", tags=["library"])
def public_resource_json(site: Public, slug: Slug) -> ResourcePage:
    """A public resource: its metadata, file, links and resources like it."""
    return _resource(site, slug, PUBLIC_BASE, permissions.audience_of(None), False)


@router.get("/library/catalogue/{slug}", include_in_schema=False)
def public_resource(request: Request, site: Public, slug: Slug) -> Response:
    return render(request, RESOURCE, _resource(site, slug, PUBLIC_BASE, permissions.audience_of(None), False))


def _download(site: Open | Ctx, slug: str, allowed: frozenset[str] | None) -> Response:
    with site.db.session() as s:
        row = search.visible_resource(s, slug, allowed)
        digest, name, media = row.file_sha256, row.file_name or "file", row.file_type
    if not digest:
        raise errors.NotFound(f"the resource {slug!r} is held as a link, not a file")
    path = service.file_path(site.settings.data_dir, digest)
    if not path.is_file():
        raise errors.NotFound(f"the file of {slug!r} is missing from this server's data folder")
    suffix = PurePath(name).suffix.lower()
    return FileResponse(
        path,
        media_type=records.MEDIA_TYPES.get(suffix, media or "application/octet-stream"),
        headers={"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff"},
    )


@router.get("/library/catalogue/{slug}/file", tags=["library"])
def public_download(site: Public, slug: Slug) -> Response:
    """A public resource's file, as it was added."""
    return _download(site, slug, permissions.audience_of(None))


@router.get("/library/oai", tags=["library"])
def oai_pmh(request: Request, site: Public) -> Response:
    """OAI-PMH 2.0 (Dublin Core) for repository harvesters: Identify, ListMetadataFormats,
    ListSets, ListIdentifiers, ListRecords, GetRecord; public resources only."""
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    with site.db.session() as s:
        public = search.visible(select(Resource), permissions.audience_of(None))
        first = s.scalar(public.with_only_columns(func.min(Resource.created_at)))
        earliest = first.date() if first else date.today()
        verb = params.get("verb", [""])[0] if len(params.get("verb", [])) == 1 else ""
        listing = verb in ("ListRecords", "ListIdentifiers", "GetRecord", "ListSets", "ListMetadataFormats")
        found = service.records_of(s, list(s.scalars(public.order_by(Resource.id)))) if listing else []
    body = oai.respond(
        params,
        resources=found,
        base_url=site.settings.public_url.rstrip("/"),
        repository_name=f"{site.settings.issuer_name}: resource library",
        admin_email=site.settings.mail_from,
        earliest=earliest,
        now=datetime.now(UTC),
    )
    return Response(body, media_type="text/xml; charset=utf-8")


# ---------------------------------------------------------------- signed in


def _allowed(ctx: Ctx) -> frozenset[str] | None:
    return permissions.audience_of(ctx.principal)


def _curates(ctx: Ctx) -> bool:
    return ctx.principal.can(permissions.CURATE)


@router.get("/api/library", tags=["library"])
async def catalogue_json(ctx: SignedIn, c: Searched) -> CataloguePage:
    """The resources you may see (public ones and your audiences'), searched and filtered."""
    return await run_in_threadpool(
        _catalogue, ctx, BASE, _allowed(ctx), c.q, _facet_map(c), c.page, _curates(ctx)
    )


@router.get("/library", include_in_schema=False)
async def catalogue(request: Request, ctx: SignedIn, c: Searched, done: str = "") -> Response:
    data = await run_in_threadpool(
        _catalogue, ctx, BASE, _allowed(ctx), c.q, _facet_map(c), c.page, _curates(ctx)
    )
    return render(request, CATALOGUE, data.model_copy(update={"message": DONE.get(done, "")}), ctx)


# ---------------------------------------------------------------- curators: add and edit


class Saved(BaseModel):
    slug: str
    href: str


def _lines(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", "\n").splitlines() if p.strip()]


def _resource_in(values: dict[str, Any]) -> service.ResourceIn:
    return service.checked(
        "resource",
        title=values["title"],
        kind=values["kind"],
        slug=values.get("slug", ""),
        summary=values.get("summary", ""),
        authors=_lines(values.get("authors", "")),
        organisation=values.get("organisation", ""),
        published=values.get("published") or None,
        licence=values.get("licence", ""),
        pillars=values.get("pillars", []),
        audience=values.get("audience") or [records.PUBLIC],
        keywords=_lines(values.get("keywords", "")),
        url=values.get("url", ""),
        links=_lines(values.get("links", "")),
        transcript=values.get("transcript", ""),
    )


async def _upload(file: UploadFile | None) -> tuple[bytes, str] | None:
    if file is None or not file.filename:
        return None
    data = await file.read(MAX_FILE + 1)
    name = PurePath(file.filename.replace("\\", "/")).name[:255] or "upload"
    if len(data) > MAX_FILE:
        raise errors.Refused(f"{name}: the file is larger than {MAX_FILE // 2**20} MB", status=413)
    return data, name


def _save(ctx: Ctx, values: dict[str, Any], upload: tuple[bytes, str] | None, slug: str | None) -> str:
    data = _resource_in(values)
    with ctx.db.session() as s:
        row = service.save_resource(
            s, data, actor=ctx.principal.username, data_dir=ctx.settings.data_dir, file=upload, slug=slug
        )
        found = _embedder(ctx)
        if found is not None:  # searchable by meaning at once
            semantic.embed_missing(s, found)
        return row.slug


class EditPage(pages.Notice):
    title: str
    slug: str
    kinds: list[tuple[str, str]]
    pillars: list[str]
    audiences: list[str]


def _edit_page(ctx: Ctx, slug: str = "", **update: Any) -> EditPage:
    values: dict[str, Any] = {}
    if slug:
        with ctx.db.session() as s:
            rec = service.record(s, service.resource(s, slug), with_text=True)
        values = {
            "title": rec.title,
            "kind": rec.kind,
            "summary": rec.summary,
            "authors": "\n".join(rec.authors),
            "organisation": rec.organisation,
            "published": rec.published.isoformat() if rec.published else "",
            "licence": rec.licence,
            "pillars": list(rec.pillars),
            "audience": list(rec.audience),
            "keywords": "\n".join(rec.keywords),
            "url": rec.url,
            "links": "\n".join(rec.links),
            "transcript": rec.text if rec.kind == "video" else "",
            "file_name": rec.file.filename if rec.file else "",
        }
    page = EditPage(
        title=f"Edit {values['title']}" if slug else "Add a resource",
        slug=slug,
        kinds=[(k, records.KIND_LABELS[k]) for k in records.KINDS],
        pillars=list(records.PILLARS),
        audiences=[records.PUBLIC, records.SIGNED_IN, *sorted(service.ROLES)],
        values=values,
    )
    return page.model_copy(update=update)


@router.get("/library/new", include_in_schema=False)
def new_form(request: Request, ctx: Curator) -> Response:
    return render(request, EDIT, _edit_page(ctx), ctx)


Text = Annotated[str, Form(max_length=20_000)]
Many = Annotated[list[str], Form()]


def _resource_form(
    title: Annotated[str, Form(max_length=500)] = "",
    kind: Annotated[str, Form()] = "",
    address: Annotated[str, Form(max_length=120, alias="slug")] = "",
    summary: Text = "",
    authors: Text = "",
    organisation: Annotated[str, Form(max_length=300)] = "",
    published: Annotated[str, Form(max_length=10)] = "",
    licence: Annotated[str, Form(max_length=200)] = "",
    pillars: Many = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    audience: Many = [],  # noqa: B006
    keywords: Text = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    links: Text = "",
    transcript: Annotated[str, Form(max_length=service.MAX_TEXT)] = "",
) -> dict[str, Any]:
    """The resource form's fields (authors, keywords and links one a line or ";"-separated;
    ``pillars`` and ``audience`` repeated), as typed."""
    return {
        "title": title, "kind": kind, "slug": address, "summary": summary, "authors": authors,
        "organisation": organisation, "published": published, "licence": licence, "pillars": pillars,
        "audience": audience, "keywords": keywords, "url": url, "links": links, "transcript": transcript,
    }  # fmt: skip


ResourceForm = Annotated[dict[str, Any], Depends(_resource_form)]
Upload = Annotated[UploadFile | None, File()]


async def _submitted(
    request: Request, ctx: Ctx, slug: str | None, file: UploadFile | None, values: dict[str, Any]
) -> Response:
    try:
        upload = await _upload(file)
        saved = await run_in_threadpool(_save, ctx, values, upload, slug)
    except errors.TechforceError as exc:
        page = _edit_page(ctx, slug or "", error=exc.message, failed="resource")
        page = page.model_copy(update={"values": page.values | values})
        return render(request, EDIT, page, ctx, status_code=exc.http_status)
    return RedirectResponse(f"{BASE}/{saved}?done=saved", status_code=303)


@router.post("/library", include_in_schema=False)
async def add_page(request: Request, ctx: Curator, values: ResourceForm, file: Upload = None) -> Response:
    return await _submitted(request, ctx, None, file, values)


@router.post("/api/library", tags=["library"], status_code=201)
async def add_json(ctx: Curator, values: ResourceForm, file: Upload = None) -> Saved:
    """Add a resource (multipart: the fields, and ``file`` or ``url``); authors, keywords and
    links one a line (or separated by ";"); repeat ``pillars`` and ``audience``."""
    saved = await run_in_threadpool(_save, ctx, values, await _upload(file), None)
    return Saved(slug=saved, href=f"{BASE}/{saved}")


@router.get("/library/{slug}/edit", include_in_schema=False)
def edit_form(request: Request, ctx: Curator, slug: Slug) -> Response:
    return render(request, EDIT, _edit_page(ctx, slug), ctx)


@router.post("/library/{slug}", include_in_schema=False)
async def edit_page(
    request: Request, ctx: Curator, slug: Slug, values: ResourceForm, file: Upload = None
) -> Response:
    return await _submitted(request, ctx, slug, file, values | {"slug": ""})


@router.post("/library/{slug}/remove", include_in_schema=False)
def remove_page(ctx: Curator, slug: Slug) -> Response:
    with ctx.db.session() as s:
        service.remove_resource(s, slug, actor=ctx.principal.username)
    return RedirectResponse(f"{BASE}?done=removed", status_code=303)


class Removed(BaseModel):
    removed: str


@router.delete("/api/library/{slug}", tags=["library"])
def remove_json(ctx: Curator, slug: Slug) -> Removed:
    """Remove a resource."""
    with ctx.db.session() as s:
        service.remove_resource(s, slug, actor=ctx.principal.username)
    return Removed(removed=slug)


# ---------------------------------------------------------------- signed in: one resource


@router.get("/api/library/{slug}", tags=["library"])
def resource_json(ctx: Reader, slug: Slug) -> ResourcePage:
    """A resource you may see: metadata, file, links, resources like it."""
    return _resource(ctx, slug, BASE, _allowed(ctx), _curates(ctx))


@router.get("/library/{slug}", include_in_schema=False)
def resource_page(request: Request, ctx: Reader, slug: Slug, done: str = "") -> Response:
    data = _resource(ctx, slug, BASE, _allowed(ctx), _curates(ctx))
    return render(request, RESOURCE, data.model_copy(update={"message": DONE.get(done, "")}), ctx)


@router.get("/library/{slug}/file", tags=["library"])
def download(ctx: Reader, slug: Slug) -> Response:
    """A resource's file, as it was added."""
    return _download(ctx, slug, _allowed(ctx))
