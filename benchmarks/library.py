"""Library benchmarks, each printed against a raw baseline measured in the same run.

1. indexing: ``10,000 x scale`` resources (the demo library's metadata from library.synth,
   with a text of seven sentences from its topic's phrase bank, or a video's transcript; no
   files) written one by one through ``service.save_resource`` (validated, slug checked,
   words stemmed, search row written so the FTS5 triggers or the GIN index follow, audience
   rows, audit event), committed every ``--batch``; documents/s, against a bare
   ``executemany`` INSERT of the same stemmed words into a scratch full-text index of the
   same shape (an FTS5 table; a table with the same GIN expression) in the same run.
2. queries: ``--queries`` realistic queries (1 to 3 consecutive words of the phrase banks'
   sentences, and each topic's known query), each through ``search.search(s, q,
   allowed=<public>)`` (keyword: match, visibility, facets, ranking, snippets) and through
   the bare full-text query (SQLite: ``MATCH ... ORDER BY bm25 LIMIT 20``; PostgreSQL:
   ``weighted_document @@ to_tsquery ... ORDER BY ts_rank_cd DESC LIMIT 20`` over library_search), alternately,
   each in its own session, after one warm-up pass; p50/p95 and the ratios.
3. hybrid (``--hybrid``; needs the ``nlp`` extra and a ``search.search`` that ranks by meaning:
   an ``embedder`` or ``mode`` argument; SQLite only, or ``--hybrid-on both``): every resource
   embedded (``semantic.embed_missing``, documents/s, against a bare ``Embedder.encode`` of up
   to 512 of the same documents), then the same queries ranked by keyword and meaning fused,
   against the bare FTS query and against keyword search (measured before). On 2 CPU cores embedding
   runs at a few documents/s: use a small ``--scale`` (0.05) or ``--device cuda``.

On SQLite, then on a throwaway PostgreSQL cluster when the binaries exist (as programmes.py).

    python benchmarks/library.py [--scale 1.0] [--queries 200] [--batch 500]
                                 [--measure 1000] [--only sqlite|postgresql]
                                 [--hybrid] [--hybrid-on sqlite|both] [--device cpu|cuda|auto]
"""

from __future__ import annotations

import argparse
import functools
import inspect
import random
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # programmes.py: the throwaway cluster

from sqlalchemy import select, text

from programmes import postgres
from techforce.db import Database
from techforce.library import records, search, service, words
from techforce.library import synth_text as bank
from techforce.library.models import Audience, Resource, SearchText
from techforce.library.synth import DemoResource, synth_library
from techforce.settings import Settings

PUBLIC = frozenset({records.PUBLIC})
TOPICS = {t.key: t for t in bank.TOPICS}
STOP = set(
    words.terms("a an and are as at be by for from has have in into is it its of on or the to with").split()
)
SQLITE_BARE = text(
    "SELECT rowid FROM library_fts WHERE library_fts MATCH :match ORDER BY bm25(library_fts) LIMIT 20"
)
PG_BARE = text(
    "SELECT resource_id FROM library_search, to_tsquery('simple', :match) AS q "
    "WHERE weighted_document @@ q ORDER BY ts_rank_cd(weighted_document, q) DESC LIMIT 20"
)


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- the library


def _text(demo: DemoResource, rng: random.Random) -> str:
    """A video's transcript, or seven sentences of the resource's topic and the general bank."""
    if demo.resource.text:
        return demo.resource.text
    topic = TOPICS[demo.resource.extra["topic"]]
    own = rng.sample(topic.sentences, k=min(4, len(topic.sentences)))
    return " ".join([*own, *rng.sample(bank.GENERAL, k=3)])


def resources(count: int) -> list[tuple[service.ResourceIn, str]]:
    """``count`` resources as a curator would give them (checked), with their slugs."""
    rng = random.Random(7)
    made = []
    for demo in synth_library(count=count, with_files=False):
        r = demo.resource
        data = service.checked(
            r.slug,
            slug=r.slug,
            title=r.title,
            kind=r.kind,
            summary=r.summary,
            authors=list(r.authors),
            organisation=r.organisation,
            published=r.published,
            licence=r.licence,
            pillars=list(r.pillars),
            audience=list(r.audience),
            keywords=list(r.keywords),
            url=r.url or f"https://resources.example.org/{r.slug}",
            transcript=_text(demo, rng),
        )
        made.append((data, r.slug))
    return made


def index(db: Database, data_dir: Path, made: list[tuple[service.ResourceIn, str]], batch: int) -> float:
    """Seconds to write every resource through service.save_resource (commits included)."""
    began = time.perf_counter()
    for lo in range(0, len(made), batch):
        with db.session() as s:
            for data, _slug in made[lo : lo + batch]:
                service.save_resource(s, data, actor="bench", data_dir=data_dir)
    return time.perf_counter() - began


@functools.cache
def _stem(folded: str) -> str:
    return str(words._stemmer().stemWord(folded))


def fast_terms(text_: str) -> str:
    """words.terms with each word's stem remembered (the bulk fill; checked equal to it)."""
    found = []
    for match in words.WORD.finditer(text_):
        folded = unicodedata.normalize("NFKC", match.group()).casefold()
        folded = folded.split("'")[0].split("\u2019")[0]
        if folded:
            found.append(_stem(folded))
    return " ".join(found)


def _fields(d: service.ResourceIn, terms: Callable[[str], str]) -> dict[str, str]:
    """The three search fields, as service._index makes them."""
    meta = " ".join(
        [d.summary.strip(), *d.keywords, *d.authors, d.organisation.strip(), records.KIND_LABELS[d.kind]]
    )
    return {
        "title": terms(" ".join(d.title.split())),
        "meta": terms(meta),
        "body": terms(d.transcript),
    }


def bulk(db: Database, made: list[tuple[service.ResourceIn, str]], batch: int) -> float:
    """Seconds to write the resources, their audience and search rows directly (no audit
    event, stems remembered): the rest of a large library, as save_resource would leave it."""
    for d, _slug in made[:50]:
        assert _fields(d, fast_terms) == _fields(d, words.terms), d.title
    began = time.perf_counter()
    for lo in range(0, len(made), batch):
        with db.session() as s:
            chunk = made[lo : lo + batch]
            rows = [
                Resource(
                    slug=slug,
                    title=" ".join(d.title.split()),
                    kind=d.kind,
                    summary=d.summary.strip(),
                    authors=d.authors,
                    organisation=d.organisation.strip(),
                    published=d.published,
                    licence=d.licence.strip(),
                    pillars=d.pillars,
                    keywords=d.keywords,
                    url=d.url,
                    created_by="bench",
                )
                for d, slug in chunk
            ]
            s.add_all(rows)
            s.flush()
            for row, (d, _slug) in zip(rows, chunk, strict=True):
                f = _fields(d, fast_terms)
                s.add(
                    SearchText(
                        resource_id=row.id,
                        text=d.transcript,
                        title_terms=f["title"],
                        meta_terms=f["meta"],
                        text_terms=f["body"],
                    )
                )
                s.add_all(Audience(resource_id=row.id, who=w) for w in d.audience)
    return time.perf_counter() - began


def _terms(made: list[tuple[service.ResourceIn, str]]) -> list[dict[str, Any]]:
    return [{"id": n, **_fields(d, words.terms)} for n, (d, _slug) in enumerate(made, start=1)]


def bare_index(db: Database, rows: list[dict[str, Any]], batch: int) -> float:
    """Seconds to INSERT the stemmed words into a scratch full-text index of the same shape."""
    sqlite = db.engine.dialect.name == "sqlite"
    with db.session() as s:
        if sqlite:
            s.execute(
                text("CREATE VIRTUAL TABLE bench_fts USING fts5(title, meta, body, tokenize='unicode61')")
            )
        else:
            s.execute(  # the same stored weighted document and GIN index as library_search (0009)
                text(
                    "CREATE TABLE bench_search (id integer PRIMARY KEY, title text, meta text, body text, "
                    "doc tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple', title), 'A') || "
                    "setweight(to_tsvector('simple', meta), 'B') || to_tsvector('simple', body)) STORED)"
                )
            )
            s.execute(text("CREATE INDEX bench_search_doc ON bench_search USING gin (doc)"))
    insert = (
        "INSERT INTO bench_fts(rowid, title, meta, body) VALUES (:id, :title, :meta, :body)"
        if sqlite
        else "INSERT INTO bench_search(id, title, meta, body) VALUES (:id, :title, :meta, :body)"
    )
    began = time.perf_counter()
    for lo in range(0, len(rows), batch):
        with db.session() as s:
            s.execute(text(insert), rows[lo : lo + batch])
    took = time.perf_counter() - began
    with db.session() as s:
        s.execute(text("DROP TABLE bench_fts" if sqlite else "DROP TABLE bench_search"))
    return took


# ---------------------------------------------------------------- queries


def queries(count: int, seed: int = 11) -> list[str]:
    """Each topic's known query, then 1 to 3 consecutive words of the banks' sentences."""
    rng = random.Random(seed)
    found = [t.query for t in bank.TOPICS][:count]
    sentences = [s for t in bank.TOPICS for s in t.sentences] + list(bank.GENERAL)
    while len(found) < count:
        said = re.findall(r"[A-Za-z][A-Za-z'-]+", rng.choice(sentences))
        size = rng.choice((1, 2, 2, 3))
        at = rng.randrange(max(1, len(said) - size + 1))
        picked = said[at : at + size]
        if picked and not all(words.terms(w) in STOP for w in picked):
            found.append(" ".join(picked).lower())
    return found


def _bare(db: Database, query: str) -> list[int]:
    stems = [t for t in words.query_terms(query) if t.isalnum()]
    if not stems:
        return []
    with db.session() as s:
        if db.engine.dialect.name == "sqlite":
            rows = s.execute(SQLITE_BARE, {"match": " ".join(f'"{t}"' for t in stems)})
        else:
            rows = s.execute(PG_BARE, {"match": " & ".join(stems)})
        return [int(r[0]) for r in rows]


def _ours(db: Database, query: str, **options: Any) -> int:
    with db.session() as s:
        return search.search(s, query, allowed=PUBLIC, **options).total


def latency(
    db: Database, asked: list[str], ours: Callable[[str], Any], bare: Callable[[str], Any]
) -> tuple[list[float], list[float], list[Any]]:
    """Each query through ``ours`` and ``bare`` alternately (after one warm-up pass): seconds,
    and what ``ours`` returned in the warm-up."""
    answers = []
    for q in asked:
        answers.append(ours(q))
        bare(q)
    mine, raw = [], []
    for q in asked:
        began = time.perf_counter()
        ours(q)
        mine.append(time.perf_counter() - began)
        began = time.perf_counter()
        bare(q)
        raw.append(time.perf_counter() - began)
    return mine, raw, answers


def _line(label: str, mine: list[float], raw: list[float]) -> str:
    p50, p95, b50, b95 = (1000 * _pct(v, q) for v in (mine, raw) for q in (0.5, 0.95))
    return (
        f"  {label:<34} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms | bare FTS p50 {b50:6.2f} ms  "
        f"p95 {b95:6.2f} ms | {p50 / b50:5.1f}x p50, {p95 / b95:5.1f}x p95"
    )


# ---------------------------------------------------------------- hybrid


def hybrid_ready() -> bool:
    """search.search can rank by meaning (a ``mode`` or an ``embedder`` argument) and the
    nlp extra is installed."""
    from techforce import embeddings

    return bool({"mode", "embedder"} & _parameters()) and embeddings.available()


def _parameters() -> set[str]:
    return set(inspect.signature(search.search).parameters)


def hybrid(db: Database, asked: list[str], sample: int, device: str, key: list[float]) -> None:
    """Every resource embedded (documents/s, against a bare encode of ``sample`` of the same
    documents), then the queries ranked by keyword and meaning fused."""
    from techforce.embeddings import Embedder
    from techforce.library import semantic

    embedder = Embedder(device=device)
    embedder.load()
    with db.session() as s:
        rows = list(s.scalars(select(Resource).order_by(Resource.id).limit(sample)))
        texts = dict(s.execute(select(SearchText.resource_id, SearchText.text)).all())
        documents = [semantic.document(r, texts.get(r.id, "")) for r in rows]
    began = time.perf_counter()
    embedder.encode(documents)
    bare = (time.perf_counter() - began) / len(documents)
    began = time.perf_counter()
    with db.session() as s:
        made = semantic.embed_missing(s, embedder)
    took = time.perf_counter() - began
    print(
        f"  embedding {made:,} resources (semantic.embed_missing, {embedder.device}): {took:.1f} s, "
        f"{made / took:,.1f} documents/s; bare encode of {len(documents)} of the same documents "
        f"{1 / bare:,.1f} documents/s ({took / made / bare:.2f}x the time)"
    )
    options: dict[str, Any] = {"embedder": embedder} if "embedder" in _parameters() else {}
    if "mode" in _parameters():
        options["mode"] = "hybrid"
    with db.session() as s:
        shown = search.search(s, asked[0], allowed=PUBLIC, **options)
        print(f"  results say mode={getattr(shown, 'mode', '?')!r}")
    mine, raw, _ = latency(db, asked, lambda q: _ours(db, q, **options), lambda q: _bare(db, q))
    print(_line(f"search.search, hybrid ({len(asked)} q)", mine, raw))
    print(
        f"  hybrid over keyword (same queries, measured before embedding): p50 {_pct(mine, 0.5) / _pct(key, 0.5):.2f}x, "
        f"p95 {_pct(mine, 0.95) / _pct(key, 0.95):.2f}x (keyword p50 {1000 * _pct(key, 0.5):.1f} ms)"
    )


# ---------------------------------------------------------------- one database


def run(settings: Settings, label: str, args: argparse.Namespace, with_hybrid: bool) -> None:
    count = max(20, int(10_000 * args.scale))
    measured = min(count, args.measure)
    db = Database(settings)
    db.migrate()
    made = resources(count)
    took = index(db, settings.data_dir, made[:measured], args.batch)
    filled = bulk(db, made[measured:], args.batch) if count > measured else 0.0
    stem_began = time.perf_counter()
    rows = _terms(made[:measured])
    stemming = time.perf_counter() - stem_began
    raw = bare_index(db, rows, args.batch)
    print(
        f"{label}: indexing the first {measured:,} resources through service.save_resource: "
        f"{took:.1f} s, {measured / took:,.0f} documents/s\n"
        f"  bare INSERT of their stemmed words into a scratch full-text index: {raw:.2f} s, "
        f"{measured / raw:,.0f} documents/s ({took / raw:.0f}x the time); "
        f"stemming them alone (words.terms) {stemming:.2f} s ({stemming / took:.0%} of save_resource)\n"
        f"  the other {count - measured:,} written in bulk (same rows, no audit) in {filled:.1f} s"
    )
    asked = queries(args.queries)
    mine, bare, totals = latency(db, asked, lambda q: _ours(db, q), lambda q: _bare(db, q))
    hits = sorted(totals)
    print(
        _line(f"search.search, keyword ({len(asked)} q)", mine, bare)
        + f"\n  public matches per query over {count:,} resources: median {hits[len(hits) // 2]:,}, "
        f"p95 {_pct(hits, 0.95):,}, max {hits[-1]:,}"
    )
    if with_hybrid:
        hybrid(db, asked, min(count, 512), args.device, mine)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="10,000 resources x scale")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500, help="resources per transaction")
    parser.add_argument(
        "--measure", type=int, default=1000, help="resources written through save_resource (the rest in bulk)"
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--hybrid", action="store_true", help="also embed every resource and time hybrid search"
    )
    parser.add_argument("--hybrid-on", choices=("sqlite", "both"), default="sqlite")
    parser.add_argument("--device", default="cpu", help="for the embedder: cpu, cuda or auto")
    args = parser.parse_args()
    with_hybrid = args.hybrid and hybrid_ready()
    if args.hybrid and not with_hybrid:
        print("hybrid: skipped (search.search cannot rank by meaning yet, or the nlp extra is missing)")
    root = Path(tempfile.mkdtemp(prefix="techforce-bench-library-"))
    try:
        if args.only in (None, "sqlite"):
            run(Settings(data_dir=root / "sqlite", user="bench"), "SQLite", args, with_hybrid)
        if args.only in (None, "postgresql"):
            with postgres() as url:
                if url is None:
                    print("PostgreSQL: skipped (no binaries at /usr/lib/postgresql/15/bin)")
                else:
                    settings = Settings(data_dir=root / "pg", database_url=url, user="bench")
                    run(settings, "PostgreSQL", args, with_hybrid and args.hybrid_on == "both")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
