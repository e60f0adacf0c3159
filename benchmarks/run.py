"""Benchmarks, each printed as a ratio against a raw baseline measured in the same run.

1. Validated CSV ingest of a full synthetic sector year vs bare DuckDB read_csv -> Parquet.
2. XML ingest throughput vs a bare lxml iterparse of the same files.
3. The whole indicator catalogue for the sector (one year) vs one raw scan; peak memory.
"""

from __future__ import annotations

import resource
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


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(scale: float = 1.0, xml_providers: int = 40) -> None:
    root = Path(tempfile.mkdtemp(prefix="techforce-bench-"))
    sector = synth.generate(synth.SynthConfig(years=1).scaled(scale))
    output.write_csv(sector, root, 2022)
    big = {p.ukprn for p in sector.providers[:xml_providers]}
    output.write_xml(sector, root, 2022, ukprns=big)
    csv_dir = root / "2022" / "csv"
    contracts = len(sector.years[2022].contracts["cid"])
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")

    def baseline() -> None:
        for role in ("PERSON", "CONTRACT", "ACTIVITY"):
            con.execute(f"COPY (SELECT * FROM read_csv('{csv_dir}/*/{role}.csv', filename=true)) "
                        f"TO '{root}/base_{role}.parquet' (FORMAT parquet)")

    raw, _ = _timed(baseline)
    settings = Settings(data_dir=root / "data", user="bench")
    db = Database(settings)
    db.migrate()
    ours, _ = _timed(lambda: ingest(settings, db, [csv_dir]))
    print(f"csv ingest: {contracts:,} contracts  techforce {ours:.2f}s  raw duckdb {raw:.2f}s  "
          f"ratio {ours / raw:.2f}x (target <= 2x)")

    xml_files = sorted((root / "2022" / "xml").glob("*.xml"))
    size = sum(f.stat().st_size for f in xml_files) / 1e6

    def bare_lxml() -> None:
        for f in xml_files:
            for _, elem in etree.iterparse(str(f), events=("end",), tag="Person"):
                elem.clear()

    raw_xml, _ = _timed(bare_lxml)
    xml_settings = Settings(data_dir=root / "xmldata", user="bench")
    xml_db = Database(xml_settings)
    xml_db.migrate()
    ours_xml, _ = _timed(lambda: ingest(xml_settings, xml_db, xml_files))
    print(f"xml ingest: {size:.0f} MB  techforce {size / ours_xml:.1f} MB/s  bare iterparse "
          f"{size / raw_xml:.1f} MB/s  ratio {ours_xml / raw_xml:.2f}x the time")

    with db.session() as session:
        files, returned = store.catalogue_inputs(session, settings)
    scan, _ = _timed(lambda: con.execute(f"SELECT count(*), sum(fpe) FROM read_parquet({[str(f) for f in files]})").fetchall())
    full, _ = _timed(lambda: indicators.compute(files, returned, definitions.get(None), RULE_SETS["hesa-standard"]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"indicators: {len(indicators.CATALOGUE)} indicators, whole sector  {full:.2f}s (target < 1s)  "
          f"one raw scan {scan:.3f}s  ratio {full / scan:.1f}x  peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
