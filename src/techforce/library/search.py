"""Keyword search of the library with relevance ranking, highlighted snippets and facets.

Both databases match on the same stemmed words (words.py): SQLite through FTS5 ranked by
BM25, PostgreSQL through a stored weighted ``tsvector`` ('simple') ranked by ``ts_rank_cd``; a title
weighs most, then the summary, keywords, authors and organisation, then the text. Every
query word must match (AND); when that finds nothing, any word may (OR), and the result
says so. Only resources the viewer may see are matched, counted or shown: the facets count
the visible matches, so a private resource never shows even as a number.

Snippets are cut from the stored text in Python (the same on both databases): the window
with the most query words, returned as segments so a template escapes them and marks hits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.embeddings import Embedder
from techforce.library import search_sql, semantic, words
from techforce.library.models import Audience, Link, Resource, SearchText
from techforce.library.records import PUBLIC

SNIPPET_WORDS = 32
SNIPPET_CHARS = 20_000  # of a resource's text read for its snippet
MAX_LIMIT = 100
MAX_OFFSET = 10**9  # offset + limit stays a 32-bit integer
SQLITE_MATCH = text(
    "SELECT rowid, bm25(library_fts, 10.0, 3.0, 1.0) FROM library_fts WHERE library_fts MATCH :match"
)
# The stored weighted document with its GIN index (migration 0009): title (A), metadata (B)
# and text (D, the default).
PG_MATCH = text(
    "SELECT resource_id, ts_rank_cd(weighted_document, q) "
    "FROM library_search, to_tsquery('simple', :match) AS q WHERE weighted_document @@ q"
)


@dataclass(frozen=True)
class Filters:
    """Facet choices: a resource must have one of the chosen values of each facet."""

    kinds: tuple[str, ...] = ()
    pillars: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    organisations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    resource: Resource
    score: float
    snippet: tuple[tuple[str, bool], ...]  # (text, is a query word)


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    any_word: bool = False  # no resource had every word: these have some of them
    mode: str = "keyword"  # or "hybrid": keyword and meaning fused


def _matches(s: Db, stems: Sequence[str], any_word: bool) -> dict[int, float]:
    """Resource id -> relevance (higher is better) for resources matching ``stems``."""
    if s.get_bind().dialect.name == "sqlite":
        joined = (" OR " if any_word else " ").join(f'"{t}"' for t in stems)  # stems are \w+: no quotes
        rows = s.execute(SQLITE_MATCH, {"match": joined})
        return {int(i): -float(rank) for i, rank in rows}  # bm25: lower is better
    joined = (" | " if any_word else " & ").join(stems)
    rows = s.execute(PG_MATCH.bindparams(bindparam("match")), {"match": joined})
    return {int(i): float(rank) for i, rank in rows}


def _pg_safe(stems: Iterable[str]) -> list[str]:
    """Stems as to_tsquery lexemes: letters and digits only (a stem never holds an operator)."""
    return [t for t in stems if t.isalnum()]


_Row = tuple[Any, ...]


def visible(query: Select[*_Row], allowed: frozenset[str] | None) -> Select[*_Row]:
    """Limit a query over resources to those with an audience row in ``allowed`` (None: all)."""
    if allowed is None:
        return query
    seen = select(Audience.resource_id).where(Audience.who.in_(sorted(allowed)))
    return query.where(Resource.id.in_(seen))


FACET_COLUMNS = (
    Resource.id,
    Resource.kind,
    Resource.pillars,
    Resource.published,
    Resource.organisation,
    Resource.title,
)


def _keep(r: Any, f: Filters) -> bool:
    """Whether a resource (or a row of :data:`FACET_COLUMNS`) has the chosen facet values."""
    year = r.published.year if r.published else None
    return (
        (not f.kinds or r.kind in f.kinds)
        and (not f.pillars or bool(set(r.pillars) & set(f.pillars)))
        and (not f.years or year in f.years)
        and (not f.organisations or r.organisation in f.organisations)
    )


def facets(rows: Iterable[Any]) -> dict[str, list[tuple[str, int]]]:
    """Counts of each facet's values over ``rows``, most first (years newest first)."""
    kinds: Counter[str] = Counter()
    pillars: Counter[str] = Counter()
    years: Counter[str] = Counter()
    orgs: Counter[str] = Counter()
    for r in rows:
        kinds[r.kind] += 1
        pillars.update(set(r.pillars))
        if r.published:
            years[str(r.published.year)] += 1
        if r.organisation:
            orgs[r.organisation] += 1
    return {
        "kind": _by_count(kinds),
        "pillar": _by_count(pillars),
        "year": sorted(years.items(), reverse=True),
        "organisation": _by_count(orgs),
    }


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def snippet(text_: str, stems: Sequence[str], size: int = SNIPPET_WORDS) -> tuple[tuple[str, bool], ...]:
    """The window of about ``size`` words of ``text_`` holding the most query words, as
    (text, is a hit) segments; the text's start when no word is found. Only the first
    :data:`SNIPPET_CHARS` characters are read, so a long text costs no more than a short one."""
    text_ = text_[:SNIPPET_CHARS]
    found = [(m.start(), m.end(), t) for m in words.WORD.finditer(text_) if (t := words.stem(m.group()))]
    if not found:
        return ()
    wanted = set(stems)
    hits = [i for i, (_, _, stem) in enumerate(found) if stem in wanted]
    best, most, lo = 0, 0, 0
    for hi, first_hit in enumerate(hits):  # the densest window, in one pass (two pointers)
        while hits[lo] <= first_hit - size:
            lo += 1
        if hi - lo + 1 > most:
            best, most = hits[lo], hi - lo + 1
    first = max(0, best - 4)
    last = min(len(found), first + size) - 1
    segments: list[tuple[str, bool]] = []
    at = found[first][0]
    for i in range(first, last + 1):
        start, end, stem = found[i]
        if stem in wanted:
            if start > at:
                segments.append((text_[at:start], False))
            segments.append((text_[start:end], True))
            at = end
    segments.append((text_[at : found[last][1]], False))
    if first > 0:
        segments.insert(0, ("… ", False))
    if last < len(found) - 1:
        segments.append((" …", False))
    return tuple((t, h) for t, h in segments if t)


def _seen(scores: dict[int, float], seen: set[int] | None) -> dict[int, float]:
    return scores if seen is None else {i: v for i, v in scores.items() if i in seen}


def _newest(r: Any) -> int:
    return -(r.published or date.min).toordinal()


def search(
    s: Db,
    query: str,
    *,
    allowed: frozenset[str] | None,
    filters: Filters = Filters(),
    limit: int = 20,
    offset: int = 0,
    embedder: Embedder | None = None,
) -> Results:
    """Resources matching ``query`` visible to ``allowed`` (permissions.audience_of), best
    first; an empty query lists them newest first. With an ``embedder`` (the nlp extra) and
    embedded resources, the ranking is hybrid: keyword and meaning fused (semantic.py)."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = min(max(0, offset), MAX_OFFSET)  # past every result: an empty page, never an overflow
    stems = _pg_safe(words.query_terms(query))
    if embedder is not None and query.strip() and semantic.has_vectors(s, embedder):
        return _hybrid(s, query, stems, allowed, filters, limit, offset, embedder)
    if not stems:
        return _listing(s, query, allowed, filters, limit, offset)
    found = _keyword(s, stems, False, allowed, filters, limit, offset)
    any_word = False
    if not found.matched and len(stems) > 1:  # visible matches only: a private text never decides
        found, any_word = _keyword(s, stems, True, allowed, filters, limit, offset), True
    scores = {i: score or 0.0 for i, score in found.page}
    hits = _hits(s, [i for i, _ in found.page], scores, stems)
    return Results(query, hits, found.total, _facets(found.counts), any_word)


def _keyword(
    s: Db,
    stems: Sequence[str],
    any_word: bool,
    allowed: frozenset[str] | None,
    f: Filters,
    limit: int,
    offset: int,
) -> search_sql.Found:
    if s.get_bind().dialect.name == "sqlite":
        match = (" OR " if any_word else " ").join(f'"{t}"' for t in stems)  # stems are \w+: no quotes
    else:
        match = (" | " if any_word else " & ").join(stems)
    return search_sql.run(s, match, allowed=allowed, filters=_chosen(f), limit=limit, offset=offset)


def _chosen(f: Filters) -> search_sql.Chosen:
    return search_sql.Chosen(f.kinds, f.pillars, f.years, f.organisations)


def _listing(
    s: Db, query: str, allowed: frozenset[str] | None, f: Filters, limit: int, offset: int
) -> Results:
    """Every resource the viewer may see (with the chosen facet values), newest first."""
    found = search_sql.run(s, None, allowed=allowed, filters=_chosen(f))
    before, rows = search_sql.listing(s, allowed=allowed, filters=_chosen(f), limit=limit, offset=offset)
    rows.sort(key=lambda r: (_newest(r), r.title.casefold(), r.id))  # titles as Python folds them
    wanted = [r.id for r in rows[offset - before : offset - before + limit]]
    return Results(query, _hits(s, wanted, {}, []), found.total, _facets(found.counts))


def _hits(s: Db, ids: Sequence[int], scores: dict[int, float], stems: Sequence[str]) -> list[Hit]:
    """The whole rows of ``ids``, in that order, with their snippets: one query, reading only
    the start of each text."""
    start = func.substr(SearchText.text, 1, SNIPPET_CHARS)
    rows = s.execute(
        select(Resource, start)
        .outerjoin(SearchText, SearchText.resource_id == Resource.id)
        .where(Resource.id.in_(list(ids)))
    )
    whole: dict[int, tuple[Resource, str | None]] = {r.id: (r, t) for r, t in rows}
    return [
        Hit(r, round(scores.get(i, 0.0), 6), snippet(t or r.summary, stems))
        for i in ids
        for r, t in (whole[i],)
    ]


def _facets(counts: dict[str, Counter[str]]) -> dict[str, list[tuple[str, int]]]:
    """search_sql's counts ordered as :func:`facets` orders them."""
    return {
        "kind": _by_count(counts["kind"]),
        "pillar": _by_count(counts["pillar"]),
        "year": sorted(counts["year"].items(), reverse=True),
        "organisation": _by_count(counts["organisation"]),
    }


def _hybrid(
    s: Db,
    query: str,
    stems: Sequence[str],
    allowed: frozenset[str] | None,
    filters: Filters,
    limit: int,
    offset: int,
    embedder: Embedder,
) -> Results:
    """Keyword and meaning fused (reciprocal rank fusion) over what the viewer may see."""
    any_word = False
    scores: dict[int, float] | None = None
    seen: set[int] | None = None if allowed is None else set(s.scalars(visible(select(Resource.id), allowed)))
    if stems:  # matches among what the viewer may see, so a private text never decides the fallback
        scores = _seen(_matches(s, stems, any_word=False), seen)
        if not scores and len(stems) > 1:
            scores, any_word = _seen(_matches(s, stems, any_word=True), seen), True
    meaning = semantic.similar(s, embedder, query, among=seen)
    base = visible(select(*FACET_COLUMNS), allowed)
    if scores is not None or meaning:
        ids = set(scores or ()) | {i for i, _ in meaning}
        base = base.where(Resource.id.in_(list(ids))) if ids else base.where(Resource.id.is_(None))
    rows: list[Any] = list(s.execute(base))
    shown = [r for r in rows if _keep(r, filters)]
    if meaning:
        kept = {r.id for r in shown}
        by_words = sorted(
            (i for i in scores or () if i in kept), key=lambda i: (-round((scores or {})[i], 9), i)
        )
        scores = semantic.fuse([by_words, [i for i, _ in meaning if i in kept]])
    ranked = scores or {}
    if scores is not None:
        shown.sort(key=lambda r: (-round(ranked.get(r.id, 0.0), 9), _newest(r), r.id))
    else:
        shown.sort(key=lambda r: (_newest(r), r.title.casefold(), r.id))
    hits = _hits(s, [r.id for r in shown[offset : offset + limit]], ranked, stems)
    return Results(query, hits, len(shown), facets(rows), any_word, "hybrid" if meaning else "keyword")


# Words too common to say what a resource is about ("more like this" leaves them out).
STOP = frozenset(
    words.terms(
        "a an and are as at be by for from has have how in into is it its of on or our that the "
        "their them they this to was we what when where which who why will with your you guide "
        "report technician technicians technical"
    ).split()
)
MORE_WORDS = 16


def visible_resource(s: Db, slug: str, allowed: frozenset[str] | None) -> Resource:
    """The resource ``slug`` if ``allowed`` may see it; else the same NotFound as for none."""
    found: Resource | None = s.scalar(visible(select(Resource).where(Resource.slug == slug), allowed))
    if found is None:
        raise errors.NotFound(f"there is no resource {slug[:120]!r}")
    return found


def public_ids(s: Db, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are public (a badge on lists seen by signed-in users)."""
    if not ids:
        return set()
    rows = s.scalars(
        select(Audience.resource_id).where(Audience.resource_id.in_(list(ids)), Audience.who == PUBLIC)
    )
    return set(rows)


def more_like(
    s: Db, row: Resource, *, allowed: frozenset[str] | None, limit: int = 5, embedder: Embedder | None = None
) -> list[Resource]:
    """Resources closest in meaning to ``row`` (with an ``embedder`` and vectors), else those
    sharing the most telling words of its title, keywords and summary."""
    if embedder is not None and semantic.has_vectors(s, embedder):
        seen = set(s.scalars(visible(select(Resource.id), allowed)))
        near = semantic.neighbours(s, embedder, row.id, among=seen, limit=limit)
        if near:
            by_id = {
                r.id: r for r in s.scalars(select(Resource).where(Resource.id.in_([i for i, _ in near])))
            }
            return [by_id[i] for i, _ in near if i in by_id]
    source = " ".join([row.title, *row.keywords, row.summary])
    stems = [t for t in _pg_safe(words.query_terms(source)) if t not in STOP and len(t) > 2][:MORE_WORDS]
    if not stems:
        return []
    scores = _matches(s, stems, any_word=True)
    scores.pop(row.id, None)
    if not scores:
        return []
    found: list[Resource] = list(
        s.scalars(visible(select(Resource).where(Resource.id.in_(list(scores))), allowed))
    )
    found.sort(key=lambda r: (-round(scores[r.id], 9), r.id))
    return found[:limit]


def linked(s: Db, target: str, *, allowed: frozenset[str] | None, limit: int = 20) -> list[Resource]:
    """Resources ``allowed`` may see that support ``target`` (``programme:<slug>``,
    ``recommendation:<id>``, ``action:<id>``), newest first."""
    query = visible(
        select(Resource).join(Link, Link.resource_id == Resource.id).where(Link.target == target), allowed
    )
    rows: list[Resource] = list(s.scalars(query))
    rows.sort(key=lambda r: (_newest(r), r.title.casefold()))
    return rows[:limit]
