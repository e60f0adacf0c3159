"""Page data of the library (typed, nothing about HTTP): the catalogue with search and
facets, one resource with its links and "more like this", and the curator's form. The same
objects are the JSON twins. ``allowed`` is what the viewer may see (permissions.audience_of):
the public catalogue passes the public audience, so it can never show a private resource."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session as Db

from techforce.embeddings import Embedder
from techforce.library import records, search, service
from techforce.library.models import Resource

PAGE_SIZE = 20


class Notice(BaseModel):
    message: str = ""
    error: str = ""
    failed: str = ""
    values: dict[str, Any] = Field(default_factory=dict)


class Segment(BaseModel):
    text: str
    hit: bool


class ResourceRow(BaseModel):
    slug: str
    title: str
    kind: str
    kind_label: str
    year: int | None
    organisation: str
    pillars: list[str]
    public: bool
    href: str
    score: float = 0.0
    snippet: list[Segment] = []


class FacetValue(BaseModel):
    value: str
    label: str
    count: int
    chosen: bool
    href: str  # the catalogue with this value toggled


class Facet(BaseModel):
    name: str
    label: str
    values: list[FacetValue]


class CataloguePage(Notice):
    title: str = "Resource library"
    public_only: bool
    can_curate: bool
    query: str
    total: int
    any_word: bool
    mode: str  # "keyword", or "hybrid" (words and meaning, with the nlp extra)
    page: int
    pages: int
    rows: list[ResourceRow]
    facets: list[Facet]
    previous: str = ""
    next: str = ""


class ResourcePage(Notice):
    title: str
    slug: str
    kind: str
    kind_label: str
    summary: str
    authors: list[str]
    organisation: str
    published: date | None
    licence: str
    pillars: list[str]
    audience: list[str]
    keywords: list[str]
    url: str
    file: str  # the download's address, or ""
    file_name: str
    file_size: int
    file_type: str
    links: list[str]
    text_excerpt: str
    can_curate: bool
    more_like_this: list[ResourceRow]


FACETS = (
    ("kind", "Type"),
    ("pillar", "Technician Commitment pillar"),
    ("year", "Year"),
    ("organisation", "Organisation"),
)


def _label(facet: str, value: str) -> str:
    if facet == "kind":
        return records.KIND_LABELS.get(value, value)
    if facet == "pillar":
        return value.replace("-", " ").capitalize()
    return value


def row_of(r: Resource, base: str, *, public: bool, hit: search.Hit | None = None) -> ResourceRow:
    return ResourceRow(
        slug=r.slug,
        title=r.title,
        kind=r.kind,
        kind_label=records.KIND_LABELS.get(r.kind, r.kind),
        year=r.published.year if r.published else None,
        organisation=r.organisation,
        pillars=list(r.pillars),
        public=public,
        href=f"{base}/{r.slug}",
        score=hit.score if hit else 0.0,
        snippet=[Segment(text=t, hit=h) for t, h in hit.snippet] if hit else [],
    )


def catalogue_page(
    s: Db,
    *,
    base: str,
    allowed: frozenset[str] | None,
    query: str = "",
    chosen: dict[str, list[str]] | None = None,
    page: int = 1,
    can_curate: bool = False,
    embedder: Embedder | None = None,
) -> CataloguePage:
    """The catalogue at ``base`` (``/library`` or ``/library/catalogue``)."""
    chosen = {k: v for k, v in (chosen or {}).items() if v}
    years = tuple(int(y) for y in chosen.get("year", []) if y.isdigit())
    filters = search.Filters(
        kinds=tuple(chosen.get("kind", [])),
        pillars=tuple(chosen.get("pillar", [])),
        years=years,
        organisations=tuple(chosen.get("organisation", [])),
    )
    page = max(1, page)
    found = search.search(
        s,
        query,
        allowed=allowed,
        filters=filters,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        embedder=embedder,
    )
    public_ids = search.public_ids(s, [h.resource.id for h in found.hits])

    def href(params: dict[str, list[str]], page_no: int = 1) -> str:
        pairs = [("q", query)] if query else []
        pairs += [(k, v) for k, values in params.items() for v in values]
        if page_no > 1:
            pairs.append(("page", str(page_no)))
        return f"{base}?{urlencode(pairs)}" if pairs else base

    facets = []
    for name, label in FACETS:
        values = []
        for value, count in found.facets.get(name, []):
            picked = value in chosen.get(name, [])
            toggled = {k: list(v) for k, v in chosen.items()}
            toggled[name] = (
                [v for v in toggled.get(name, []) if v != value]
                if picked
                else [*toggled.get(name, []), value]
            )
            values.append(
                FacetValue(
                    value=value, label=_label(name, value), count=count, chosen=picked, href=href(toggled)
                )
            )
        facets.append(Facet(name=name, label=label, values=values))
    pages = max(1, -(-found.total // PAGE_SIZE))
    return CataloguePage(
        public_only=allowed == frozenset({records.PUBLIC}),
        can_curate=can_curate,
        query=query,
        total=found.total,
        any_word=found.any_word,
        mode=found.mode,
        page=page,
        pages=pages,
        rows=[row_of(h.resource, base, public=h.resource.id in public_ids, hit=h) for h in found.hits],
        facets=facets,
        previous=href(chosen, page - 1) if page > 1 else "",
        next=href(chosen, page + 1) if page < pages else "",
    )


def resource_page(
    s: Db,
    slug: str,
    *,
    base: str,
    allowed: frozenset[str] | None,
    can_curate: bool = False,
    embedder: Embedder | None = None,
) -> ResourcePage:
    """One resource, if ``allowed`` may see it (else the same NotFound as a missing one)."""
    row = search.visible_resource(s, slug, allowed)
    rec = service.record(s, row, with_text=True)
    similar = search.more_like(s, row, allowed=allowed, embedder=embedder)
    public_ids = search.public_ids(s, [r.id for r in similar])
    excerpt = rec.text[:1500] + ("…" if len(rec.text) > 1500 else "")
    return ResourcePage(
        title=rec.title,
        slug=rec.slug,
        kind=rec.kind,
        kind_label=records.KIND_LABELS.get(rec.kind, rec.kind),
        summary=rec.summary,
        authors=list(rec.authors),
        organisation=rec.organisation,
        published=rec.published,
        licence=rec.licence,
        pillars=list(rec.pillars),
        audience=list(rec.audience) if can_curate else [],
        keywords=list(rec.keywords),
        url=rec.url,
        file=f"{base}/{rec.slug}/file" if rec.file else "",
        file_name=rec.file.filename if rec.file else "",
        file_size=rec.file.size if rec.file else 0,
        file_type=rec.file.media_type if rec.file else "",
        links=list(rec.links) if allowed != frozenset({records.PUBLIC}) else [],  # not to the public
        text_excerpt=excerpt,
        can_curate=can_curate,
        more_like_this=[row_of(r, base, public=r.id in public_ids) for r in similar],
    )
