"""Search by meaning (optional extra ``techforce[nlp]``): each resource's title, summary,
keywords and the start of its text embedded once by the local all-MiniLM-L6-v2 model
(techforce.embeddings; no download at run time), kept in ``library_embedding`` with the
model's name and version, and compared with a query by cosine similarity.

Hybrid ranking fuses the keyword ranking and the semantic one by reciprocal rank fusion
(RRF: each list gives ``1 / (k + rank)``, k = 60), so a resource that both find rises, and
one that only the meaning finds still appears. Without the extra, or before resources are
embedded, search is keyword search (search.py) and says so.

The vectors are read from the store once per change of the library (a process cache keyed
by the number of embeddings and the latest change), not on every query."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as Db

from techforce.embeddings import Embedder
from techforce.library.models import Embedding, Resource, SearchText

TEXT_CHARS = 2000  # of a resource's text, after its title, summary and keywords
RRF_K = 60
MIN_SIMILARITY = 0.25  # a resource less similar than this is not "found by meaning"
BATCH = 64


def document(row: Resource, text: str) -> str:
    """What is embedded for a resource."""
    parts = [row.title, row.summary, ", ".join(row.keywords), text[:TEXT_CHARS]]
    return "\n".join(p for p in parts if p)


def embed_missing(s: Db, embedder: Embedder, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Embed every resource with no vector from ``embedder``'s model and version (new or
    changed resources, or all of them after a model change); how many were embedded."""
    current = select(Embedding.resource_id).where(
        Embedding.model == embedder.name, Embedding.version == embedder.version
    )
    todo = list(
        s.execute(select(Resource.id).where(Resource.id.not_in(current)).order_by(Resource.id)).scalars()
    )
    for lo in range(0, len(todo), BATCH):
        ids = todo[lo : lo + BATCH]
        rows = {r.id: r for r in s.scalars(select(Resource).where(Resource.id.in_(ids)))}
        texts = dict(
            s.execute(
                select(SearchText.resource_id, SearchText.text).where(SearchText.resource_id.in_(ids))
            ).all()
        )
        matrix = embedder.encode([document(rows[i], texts.get(i, "")) for i in ids])
        s.execute(delete(Embedding).where(Embedding.resource_id.in_(ids)))
        s.add_all(
            Embedding(
                resource_id=i,
                model=embedder.name,
                version=embedder.version,
                vector=matrix[n].astype("<f4").tobytes(),
            )
            for n, i in enumerate(ids)
        )
        s.flush()
        if progress is not None:
            progress(min(lo + BATCH, len(todo)), len(todo))
    return len(todo)


@dataclass(frozen=True)
class _Vectors:
    ids: NDArray[np.int64]
    matrix: NDArray[np.float32]


_CACHE: dict[tuple[str, str, str], tuple[tuple[int, str], _Vectors]] = {}
_LOCK = threading.Lock()


def _vectors(s: Db, embedder: Embedder) -> _Vectors:
    """Every resource's vector by ``embedder``'s model, read once per change of the library."""
    model = (str(s.get_bind().engine.url), embedder.name, embedder.version)
    stamp_row = s.execute(
        select(func.count(Embedding.resource_id), func.max(Resource.updated_at))
        .select_from(Embedding)
        .join(Resource, Resource.id == Embedding.resource_id)
        .where(Embedding.model == embedder.name, Embedding.version == embedder.version)
    ).one()
    stamp = (int(stamp_row[0] or 0), str(stamp_row[1]))
    with _LOCK:
        held = _CACHE.get(model)
        if held is not None and held[0] == stamp:
            return held[1]
    rows = s.execute(
        select(Embedding.resource_id, Embedding.vector)
        .where(Embedding.model == embedder.name, Embedding.version == embedder.version)
        .order_by(Embedding.resource_id)
    ).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    matrix = (
        np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1).astype(np.float32)
        if rows
        else np.zeros((0, 0), dtype=np.float32)
    )
    found = _Vectors(ids, matrix)
    with _LOCK:
        _CACHE[model] = (stamp, found)
    return found


def has_vectors(s: Db, embedder: Embedder) -> bool:
    return len(_vectors(s, embedder).ids) > 0


def similar(
    s: Db, embedder: Embedder, query: str, *, among: set[int] | None = None, limit: int = 200
) -> list[tuple[int, float]]:
    """Resources closest in meaning to ``query`` (of ``among``, when given), best first, with
    their cosine similarity; those under :data:`MIN_SIMILARITY` are left out."""
    held = _vectors(s, embedder)
    if not len(held.ids) or not query.strip():
        return []
    scores = held.matrix @ embedder.encode([query.strip()[:2000]])[0]
    return _best(held, scores, among, limit)


def neighbours(
    s: Db, embedder: Embedder, resource_id: int, *, among: set[int] | None, limit: int
) -> list[tuple[int, float]]:
    """Resources closest in meaning to resource ``resource_id`` (more like this)."""
    held = _vectors(s, embedder)
    where = np.flatnonzero(held.ids == resource_id)
    if not len(where):
        return []
    scores = held.matrix @ held.matrix[where[0]]
    return [(i, v) for i, v in _best(held, scores, among, limit + 1) if i != resource_id][:limit]


def _best(
    held: _Vectors, scores: NDArray[np.float32], among: set[int] | None, limit: int
) -> list[tuple[int, float]]:
    keep = scores >= MIN_SIMILARITY
    if among is not None:
        keep &= np.isin(held.ids, np.fromiter(among, dtype=np.int64, count=len(among)))
    rows = np.flatnonzero(keep)
    order = rows[np.lexsort((held.ids[rows], -scores[rows]))][:limit]
    return [(int(held.ids[r]), float(scores[r])) for r in order]


def fuse(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion of ranked id lists: id -> sum of 1 / (k + rank)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, rid in enumerate(ranking, start=1):
            fused[rid] = fused.get(rid, 0.0) + 1.0 / (k + rank)
    return fused
