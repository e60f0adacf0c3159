"""Load the demo library (library/synth.py: about a hundred resources of every kind, with real
files) into the store, each resource through the same checks, extraction and audit as one a
curator adds, so the catalogue, search, exports and OAI-PMH have something to show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.library import service, synth
from techforce.library.models import Resource


def load_demo(
    s: Db,
    *,
    data_dir: Path,
    actor: str,
    programmes: Sequence[str] = (),
    count: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Add ``count`` demo resources (some linked to the ``programmes`` given); how many.
    Refused when the demo is already loaded (its first resource exists)."""
    if not 1 <= count <= 1000:
        raise errors.Invalid(f"count: {count} is out of range; give 1 to 1000.")
    demo = synth.synth_library(count=count, programmes=programmes)
    first = demo[0].resource.slug
    if s.scalar(select(Resource.id).where(Resource.slug == first)) is not None:
        raise errors.Refused(
            f"the demo library is already loaded (resource {first!r} exists): "
            "load it once, into a fresh data folder."
        )
    for done, item in enumerate(demo, 1):
        r = item.resource
        data = service.checked(
            f"demo resource {r.slug}",
            title=r.title,
            kind=r.kind,
            slug=r.slug,
            summary=r.summary,
            authors=list(r.authors),
            organisation=r.organisation,
            published=r.published,
            licence=r.licence,
            pillars=list(r.pillars),
            audience=list(r.audience),
            keywords=list(r.keywords),
            url=r.url,
            links=list(r.links),
            transcript=r.text if item.data is None else "",
        )
        file = (item.data, item.filename) if item.data is not None and item.filename else None
        service.save_resource(s, data, actor=actor, data_dir=data_dir, file=file)
        if progress:
            progress(done, len(demo))
    return len(demo)
