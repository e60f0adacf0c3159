"""Benchmarks, each printed as a ratio against a raw baseline measured in the same run.

1. Validated CSV ingest of a full synthetic sector year vs bare DuckDB read_csv -> Parquet.
2. XML ingest throughput vs a bare lxml iterparse of the same files.
3. The whole indicator catalogue for the sector (one year) vs one raw scan; peak memory.
"""

from __future__ import annotations

import gc
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from lxml import etree

from techforce.db import Database
from techforce.disclosure import RULE_SETS
from techforce.settings import Settings
from techforce.workforce import definitions, indicators, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest


def _timed(fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    """Best of ``repeat`` wall-clock runs (the usual way to take noise out of a timing)."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def _fresh(root: Path, name: str) -> tuple[Settings, Database]:
    """An empty store, so that every timed ingest does the same work."""
    data = root / name
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data_dir=data, user="bench")
    db = Database(settings)
    db.migrate()
    return settings, db


def main(scale: float = 1.0, xml_providers: int = 40, repeat: int = 3) -> None:
    root = Path(tempfile.mkdtemp(prefix="techforce-bench-"))
    sector = synth.generate(synth.SynthConfig(years=1).scaled(scale))
    output.write_csv(sector, root, 2022)
    big = {p.ukprn for p in sector.providers[:xml_providers]}
    output.write_xml(sector, root, 2022, ukprns=big)
    csv_dir = root / "2022" / "csv"
    contracts = len(sector.years[2022].contracts["cid"])
    del sector
    gc.collect()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")

    def baseline() -> None:
        for role in ("PERSON", "CONTRACT", "ACTIVITY"):
            con.execute(
                f"COPY (SELECT * FROM read_csv('{csv_dir}/*/{role}.csv', filename=true)) "
                f"TO '{root}/base_{role}.parquet' (FORMAT parquet)"
            )

    raw, _ = _timed(baseline, repeat)

    def csv_ingest() -> tuple[Settings, Database]:
        settings, db = _fresh(root, "data")
        ingest(settings, db, [csv_dir])
        return settings, db

    ours, (settings, db) = _timed(csv_ingest, repeat)
    print(
        f"csv ingest: {contracts:,} contracts  techforce {ours:.2f}s  raw duckdb {raw:.2f}s  "
        f"ratio {ours / raw:.2f}x (target <= 2x; best of {repeat})"
    )

    xml_files = sorted((root / "2022" / "xml").glob("*.xml"))
    size = sum(f.stat().st_size for f in xml_files) / 1e6

    def bare_lxml() -> None:
        for f in xml_files:
            for _, elem in etree.iterparse(str(f), events=("end",), tag="Person"):
                elem.clear()

    raw_xml, _ = _timed(bare_lxml, repeat)
    ours_xml, _ = _timed(lambda: ingest(*_fresh(root, "xmldata"), xml_files), repeat)
    print(
        f"xml ingest: {size:.0f} MB  techforce {size / ours_xml:.1f} MB/s  bare iterparse "
        f"{size / raw_xml:.1f} MB/s  ratio {ours_xml / raw_xml:.2f}x the time"
    )

    with db.session() as session:
        files, returned = store.catalogue_inputs(session, settings)
    scan, _ = _timed(
        lambda: con.execute(
            f"SELECT count(*), sum(fpe) FROM read_parquet({[str(f) for f in files]})"
        ).fetchall(),
        repeat,
    )
    full, _ = _timed(
        lambda: indicators.compute(files, returned, definitions.get(None), RULE_SETS["hesa-standard"]), repeat
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"indicators: {len(indicators.CATALOGUE)} indicators, whole sector  {full:.2f}s (target < 1s)  "
        f"one raw scan {scan:.3f}s  ratio {full / scan:.1f}x  peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
