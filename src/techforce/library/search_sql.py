"""Keyword search done by the database: match, audience, facet filters, facet counts, ranking
and the page in one statement, so a word that matches most of the library costs one pass over
its matches (no list of ids goes back and forth, no row is read into Python but the page's).

One statement per try. ``hit`` (materialised once) is every match the viewer may see, with
the facet columns; ``kept`` those with the chosen facet values. The statement returns rows
``(part, value, n, score)``: the facet counts over ``hit`` (``kind``, ``pillar``, ``year``,
``organisation``; a resource counts once per pillar), the number of matches (``matched``,
before the facet filters: the all-words-then-any-word fallback is decided on it, so a
private text never decides it), the number ``kept`` (``total``), and the page's ids in order
(``page``, with their scores). The order is search.py's: the score rounded to 9 decimals,
higher first, then newest first (no date last), then the id.

Only fixed SQL fragments are joined here; every value (the match expression of stems,
audience rows, facet values, limit, offset) is a bound parameter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Date, Integer, String, TextClause, bindparam, column, text
from sqlalchemy.orm import Session as Db

# The document and rank expressions are those of search.py and of the GIN index (migration 0007).
# the stored weighted tsvector (migration 0009: title A, metadata B, text) and its GIN index
PG_DOCUMENT = "s.weighted_document"
PG_RANK = "ts_rank_cd(s.weighted_document, q)"
COLUMNS = "r.id AS id, r.kind AS kind, r.pillars AS pillars, r.published AS published, r.organisation AS organisation"
VISIBLE = "EXISTS (SELECT 1 FROM library_audience a WHERE a.resource_id = r.id AND a.who IN :who)"


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL, as SQL fragments."""

    match: str  # FROM of the matches (library_resource as r)
    match_where: str  # and their condition
    score: str  # relevance, higher is better
    pillars: str  # hit's pillars as a table ``hp`` of one column ``value``
    year: str  # the year hit was published, an integer or NULL
    order: str  # ORDER BY of the page
    null_score: str
    day: str  # kept's date published, the earliest date for none (search.py's order)
    text: str = "TEXT"


SQLITE = Dialect(
    match=(
        "(SELECT rowid AS rid, bm25(library_fts, 10.0, 3.0, 1.0) AS rank "
        "FROM library_fts WHERE library_fts MATCH :match) AS m "
        "JOIN library_resource r ON r.id = m.rid"
    ),
    match_where="",
    score="-m.rank",  # bm25: lower is better
    pillars="json_each(hit.pillars) AS hp",
    year="CAST(substr(hit.published, 1, 4) AS INTEGER)",
    order="round(kept.score, 9) DESC, coalesce(kept.published, '0001-01-01') DESC, kept.id",
    null_score="NULL",
    day="coalesce(kept.published, '0001-01-01')",
)
POSTGRESQL = Dialect(
    match=(
        "library_search s JOIN library_resource r ON r.id = s.resource_id, to_tsquery('simple', :match) AS q"
    ),
    match_where=f"{PG_DOCUMENT} @@ q",
    score=PG_RANK,
    pillars="json_array_elements_text(hit.pillars) AS hp(value)",
    year="CAST(extract(year FROM hit.published) AS integer)",
    # ts_rank_cd is a real: rounded as the driver reads it (its shortest text), as before
    order=(
        "round(CAST(CAST(kept.score AS text) AS numeric), 9) DESC, "
        "coalesce(kept.published, DATE '0001-01-01') DESC, kept.id"
    ),
    null_score="CAST(NULL AS real)",
    day="coalesce(kept.published, DATE '0001-01-01')",
    text="text",
)


@dataclass(frozen=True)
class Chosen:
    """The facet values chosen (search.Filters): a resource must have one of each facet's."""

    kinds: Sequence[str] = ()
    pillars: Sequence[str] = ()
    years: Sequence[int] = ()
    organisations: Sequence[str] = ()


@dataclass(frozen=True)
class Found:
    """One try's answer: the page (id, score) in order, how many the filters kept, how many
    visible resources matched before the filters, and the raw facet counts."""

    page: list[tuple[int, float]]
    total: int
    matched: int
    counts: dict[str, Counter[str]]


def _dialect(s: Db) -> Dialect:
    return SQLITE if s.get_bind().dialect.name == "sqlite" else POSTGRESQL


def _hit(d: Dialect, matching: bool, audience: bool) -> str:
    """The SELECT of ``hit``: visible matches (or visible resources) with the facet columns."""
    if matching:
        body = f"SELECT {COLUMNS}, {d.score} AS score FROM {d.match}"
        conditions = [d.match_where] if d.match_where else []
    else:
        body = f"SELECT {COLUMNS}, {d.null_score} AS score FROM library_resource r"
        conditions = []
    if audience:
        conditions.append(VISIBLE)
    return body + (" WHERE " + " AND ".join(conditions) if conditions else "")


def _kept(d: Dialect, f: Chosen) -> tuple[str, dict[str, Any]]:
    """The WHERE of ``kept`` over ``hit`` (the chosen facet values) and its parameters."""
    where: list[str] = ["1 = 1"]
    params: dict[str, Any] = {}
    if f.kinds:
        where.append("hit.kind IN :kinds")
        params["kinds"] = sorted(set(f.kinds))
    if f.pillars:
        where.append(f"EXISTS (SELECT 1 FROM {d.pillars} WHERE hp.value IN :pillars)")
        params["pillars"] = sorted(set(f.pillars))
    if f.years:  # a year no date can have (1 to 9999) matches nothing, as in Python
        years = sorted({int(y) for y in f.years if 1 <= int(y) <= 9999})
        where.append(f"{d.year} IN :years" if years else "1 = 0")
        if years:
            params["years"] = years
    if f.organisations:
        where.append("hit.organisation IN :orgs")
        params["orgs"] = sorted(set(f.organisations))
    return " AND ".join(where), params


PARTS = (
    "SELECT 'kind' AS part, hit.kind AS value, count(*) AS n, {null} AS score FROM hit GROUP BY hit.kind",
    "SELECT 'pillar', hp.value, count(DISTINCT hit.id), {null} FROM hit, {pillars} GROUP BY hp.value",
    "SELECT 'year', CAST({year} AS {text}), count(*), {null} FROM hit "
    "WHERE hit.published IS NOT NULL GROUP BY {year}",
    "SELECT 'organisation', hit.organisation, count(*), {null} FROM hit "
    "WHERE hit.organisation <> '' GROUP BY hit.organisation",
    "SELECT 'matched', NULL, count(*), {null} FROM hit",
    "SELECT 'total', NULL, count(*), {null} FROM kept",
)
PAGE = (
    "SELECT * FROM (SELECT 'page', CAST(kept.id AS {text}), CAST(NULL AS bigint), kept.score FROM kept "
    "ORDER BY {order} LIMIT :limit OFFSET :offset) AS shown"
)


def _statement(s: Db, match: str | None, allowed: frozenset[str] | None, f: Chosen, tail: str) -> TextClause:
    """``WITH hit, kept`` then ``tail``, with every value bound."""
    d = _dialect(s)
    where, params = _kept(d, f)
    if allowed is not None:
        params["who"] = sorted(allowed)
    if match is not None:
        params["match"] = match
    tail = tail.format(
        null=d.null_score, pillars=d.pillars, year=d.year, text=d.text, order=d.order, day=d.day
    )
    sql = text(
        f"WITH hit AS MATERIALIZED ({_hit(d, match is not None, allowed is not None)}), "
        f"kept AS MATERIALIZED (SELECT hit.id, hit.score, hit.published FROM hit WHERE {where})"
        + ("" if tail.startswith(",") else " ")
        + tail
    )
    lists: list[BindParameter[Any]] = [
        bindparam(k, value=v, expanding=True) for k, v in params.items() if isinstance(v, list)
    ]
    return sql.bindparams(*lists, **{k: v for k, v in params.items() if not isinstance(v, list)})


def run(
    s: Db,
    match: str | None,
    *,
    allowed: frozenset[str] | None,
    filters: Chosen,
    limit: int = 20,
    offset: int = 0,
) -> Found:
    """Matches of ``match`` (a MATCH or to_tsquery expression of stems; None: every resource)
    visible to ``allowed`` (None: all), counted, filtered and, with a match, paged (a plain
    listing's page is ordered by search.py: see :func:`listing`)."""
    tail = " UNION ALL ".join(PARTS + ((PAGE,) if match is not None else ()))
    sql = _statement(s, match, allowed, filters, tail)
    if match is not None:
        sql = sql.bindparams(limit=limit, offset=offset)
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("kind", "pillar", "year", "organisation")}
    page: list[tuple[int, float]] = []
    total = matched = 0
    for part, value, n, score in s.execute(sql):
        if part == "page":
            page.append((int(value), float(score)))
        elif part == "total":
            total = int(n)
        elif part == "matched":
            matched = int(n)
        else:
            counts[part][str(value)] += int(n)
    return Found(page, total, matched, counts)


# The days a listing's page falls on: resources per day published, newest first, with how
# many come before each day; only the rows of those days are read and ordered in Python.
DAYS = (
    ", days AS (SELECT {day} AS day, count(*) AS n FROM kept GROUP BY {day}), "
    "upto AS (SELECT day, n, CAST(sum(n) OVER (ORDER BY day DESC) AS bigint) AS through FROM days) "
    "SELECT r.id, r.published, r.title, upto.through - upto.n AS before "
    "FROM upto JOIN kept ON {day} = upto.day JOIN library_resource r ON r.id = kept.id "
    "WHERE upto.through > :offset AND upto.through - upto.n < :end"
)


def listing(
    s: Db, *, allowed: frozenset[str] | None, filters: Chosen, limit: int, offset: int
) -> tuple[int, list[Any]]:
    """For a page of every resource ``allowed`` may see with the chosen facet values, newest
    first: how many come before the first day the page falls on, and (id, published, title)
    of the resources of the days it falls on, for search.py to order within a day (by title
    case-folded the Python way, then id)."""
    typed = (
        _statement(s, None, allowed, filters, DAYS)
        .bindparams(offset=offset, end=offset + limit)
        .columns(
            column("id", Integer),
            column("published", Date),
            column("title", String),
            column("before", Integer),
        )
    )
    rows = list(s.execute(typed))
    return (min(r.before for r in rows) if rows else offset), rows
