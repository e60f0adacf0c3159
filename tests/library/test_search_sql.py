"""Keyword search as the database does it (search_sql.py), on SQLite and PostgreSQL: the page,
its order, the total, the facet counts and the any-word fallback agree with the plain
definition (every visible match read and counted in Python, ranked by relevance, then newest,
then id) for every viewer, facet choice and page; pages join up without gaps or repeats;
resources with the same words are ordered newest first; a private resource is never counted
for an outsider; and query text that looks like SQL or search syntax is only words."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from techforce.db import Database
from techforce.library import records, search, service, words
from techforce.library.models import Resource

VOCABULARY = [
    "apprentice",
    "mentoring",
    "workshop",
    "succession",
    "registration",
    "laboratory",
    "career",
    "pay",
    "recognition",
    "visibility",
    "sustainability",
    "funding",
    "skills",
    "data",
    "survey",
    "toolkit",
    "network",
    "leadership",
]
ORGS = ("University of Leeds", "University of York", "Midlands Technical Consortium", "")
AUDIENCES = (["public"], ["public"], ["public"], ["signed-in"], ["provider:10007792"], ["role:technician"])
VIEWERS: dict[str, frozenset[str] | None] = {
    "outsider": frozenset({records.PUBLIC}),
    "technician": frozenset({records.PUBLIC, records.SIGNED_IN, "role:technician"}),
    "lead": frozenset({records.PUBLIC, records.SIGNED_IN, "role:provider-lead", "provider:10007792"}),
    "curator": None,
}
F = search.Filters
FILTERS = (
    F(),
    F(kinds=("report", "guide")),
    F(pillars=("recognition",)),
    F(pillars=("visibility", "sustainability"), years=(2022, 2024)),
    F(organisations=("University of Leeds",)),
    F(kinds=("video",), organisations=("Midlands Technical Consortium", "University of York")),
)
QUERIES = ("", "apprentice", "workshop succession", "mentoring pay data", "skill network zebra", "zebra")


def _resources() -> Iterator[service.ResourceIn]:
    rng = random.Random(12)
    for n in range(48):
        body = " ".join(rng.choices(VOCABULARY, k=rng.randint(3, 25)))
        twin = n % 8 == 0  # the same words and date as the one before: a tie broken by id
        yield service.checked(
            f"r{n}",
            slug=f"r{n}",
            title=" ".join(rng.sample(VOCABULARY, k=2)) if not twin else "twin workshop apprentice",
            kind=rng.choice(records.KINDS) if not twin else "report",
            summary=body[:80] if not twin else "the same",
            organisation=rng.choice(ORGS) if not twin else "University of York",
            published=None
            if n % 7 == 3
            else date(2020 + n % 6, 1 + n % 12, 1)
            if not twin
            else date(2023, 5, 1),
            pillars=rng.sample(records.PILLARS, k=rng.randint(0, 3)) if not twin else ["visibility"],
            audience=rng.choice(AUDIENCES),
            transcript=body if not twin else "twin",
            url=f"https://example.org/r{n}",
        )


@pytest.fixture
def library(db: Database, tmp_path: Path) -> Database:
    with db.session() as s:
        for data in _resources():
            service.save_resource(s, data, actor="curator", data_dir=tmp_path)
    return db


def _plain(s: Any, query: str, allowed: frozenset[str] | None, f: search.Filters) -> search.Results:
    """The definition: every visible match read, filtered, counted and ordered in Python."""
    stems = search._pg_safe(words.query_terms(query))
    rows = list(s.execute(search.visible(select(*search.FACET_COLUMNS), allowed)))
    scores: dict[int, float] | None = None
    any_word = False
    if stems:
        seen = {r.id for r in rows}
        scores = {i: v for i, v in search._matches(s, stems, any_word=False).items() if i in seen}
        if not scores and len(stems) > 1:
            scores, any_word = {i: v for i, v in search._matches(s, stems, True).items() if i in seen}, True
        rows = [r for r in rows if r.id in scores]
    shown = [r for r in rows if search._keep(r, f)]
    ranked = scores or {}
    if scores is None:
        shown.sort(key=lambda r: (search._newest(r), r.title.casefold(), r.id))
    else:
        shown.sort(key=lambda r: (-round(ranked[r.id], 9), search._newest(r), r.id))
    whole = {r.id: r for r in s.scalars(select(Resource))}
    hits = [search.Hit(whole[r.id], round(ranked.get(r.id, 0.0), 6), ()) for r in shown]
    return search.Results(query, hits, len(shown), search.facets(rows), any_word)


def _same(got: search.Results, want: search.Results, offset: int, limit: int) -> None:
    assert (got.total, got.any_word, got.facets) == (want.total, want.any_word, want.facets)
    page = want.hits[offset : offset + limit]
    assert [(h.resource.slug, h.score) for h in got.hits] == [(h.resource.slug, h.score) for h in page]


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_the_database_agrees_with_the_plain_definition(library: Database, viewer: str) -> None:
    allowed = VIEWERS[viewer]
    with library.session() as s:
        for query in QUERIES:
            for f in FILTERS:
                want = _plain(s, query, allowed, f)
                for offset, limit in ((0, 20), (3, 5), (40, 20)):
                    got = search.search(s, query, allowed=allowed, filters=f, limit=limit, offset=offset)
                    _same(got, want, offset, limit)


def test_pages_join_up_without_gaps_or_repeats(library: Database) -> None:
    with library.session() as s:
        whole = search.search(s, "apprentice workshop", allowed=None, limit=100)
        pages = [
            search.search(s, "apprentice workshop", allowed=None, limit=4, offset=o) for o in range(0, 48, 4)
        ]
    joined = [h.resource.slug for p in pages for h in p.hits]
    assert joined == [h.resource.slug for h in whole.hits] and len(set(joined)) == len(joined)
    assert {p.total for p in pages} == {whole.total}


def test_resources_with_the_same_words_are_newest_first_then_oldest_added(library: Database) -> None:
    with library.session() as s:
        found = search.search(s, "twin", allowed=None)
        rows = {r.slug: r for r in s.scalars(select(Resource))}
    twins = [h.resource.slug for h in found.hits]
    assert len(twins) >= 5 and len({h.score for h in found.hits}) == 1
    assert rows["r24"].published is None  # the same words, no date: last
    assert twins == sorted(twins, key=lambda slug: (rows[slug].published is None, rows[slug].id))


def test_private_resources_are_never_counted_for_outsiders(library: Database) -> None:
    with library.session() as s:
        outsider = search.search(s, "", allowed=VIEWERS["outsider"])
        curator = search.search(s, "", allowed=None)
        public = s.scalars(search.visible(select(Resource.id), VIEWERS["outsider"])).all()
    assert outsider.total == len(public) < curator.total == 48
    assert sum(n for _, n in outsider.facets["kind"]) == len(public)
    assert sum(n for _, n in curator.facets["kind"]) == 48


def test_facets_count_every_match_whatever_the_filter(library: Database) -> None:
    with library.session() as s:
        everything = search.search(s, "apprentice", allowed=None)
        reports = search.search(s, "apprentice", allowed=None, filters=F(kinds=("report",)))
    assert reports.facets == everything.facets
    assert reports.total == dict(everything.facets["kind"]).get("report", 0)
    assert all(h.resource.kind == "report" for h in reports.hits)


def test_a_filter_that_keeps_nothing_does_not_switch_to_any_word(library: Database) -> None:
    with library.session() as s:
        found = search.search(s, "workshop apprentice", allowed=None, filters=F(years=(1999,)))
    assert found.total == 0 and not found.hits and not found.any_word and found.facets["kind"]


@pytest.mark.parametrize(
    "query",
    [
        '"; DROP TABLE library_resource; --',
        "apprentice OR NOT workshop",
        "NEAR(apprentice pay)",
        "work* -pay ^title:x",
        "' OR 1=1 --",
    ],
)
def test_query_syntax_is_only_words(library: Database, query: str) -> None:
    with library.session() as s:
        found = search.search(s, query, allowed=VIEWERS["outsider"])
        assert s.scalar(select(Resource.id).limit(1)) is not None
    assert found.total >= 0


def test_a_page_or_year_past_any_number_is_empty_not_an_error(library: Database) -> None:
    with library.session() as s:
        far = search.search(s, "apprentice", allowed=None, offset=10**30)
        listed = search.search(s, "", allowed=None, offset=10**30)
        no_year = search.search(s, "", allowed=None, filters=F(years=(10**30, 0, -5)))
        some = search.search(s, "", allowed=None, filters=F(years=(10**30, 2021)))
    assert far.hits == [] and far.total > 0 and listed.hits == [] and listed.total == 48
    assert no_year.total == 0 and no_year.hits == [] and no_year.facets["kind"]
    assert some.total > 0 and all(
        h.resource.published and h.resource.published.year == 2021 for h in some.hits
    )


def test_a_listing_pages_through_one_day_by_title_as_python_folds_it(
    library: Database, tmp_path: Path
) -> None:
    titles = ["beta", "Alpha", "alpha two", "Éclair", "ZULU", "straße", "Strasse"]
    with library.session() as s:
        for n, title in enumerate(titles):
            data = service.checked(
                f"day{n}",
                slug=f"day{n}",
                title=title,
                kind="guide",
                published=date(2030, 1, 1),
                url="https://example.org/d",
            )
            service.save_resource(s, data, actor="curator", data_dir=tmp_path)
    with library.session() as s:
        pages = [search.search(s, "", allowed=None, limit=2, offset=o).hits for o in range(0, 8, 2)]
    shown = [h.resource.title for page in pages for h in page][: len(titles)]
    assert shown == sorted(titles, key=str.casefold)  # ties on title: the first added first
