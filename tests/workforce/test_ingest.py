"""Ingest of both real shapes into the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import store
from techforce.workforce.ingest import ingest
from techforce.workforce.models import Snapshot


def _parquet(settings: Settings, db: Database) -> list[Path]:
    with db.session() as session:
        return [p for _, p in store.snapshot_files(session, settings)]


def test_csv_and_xml_ingest_give_identical_snapshots(
    settings: Settings, db: Database, small_files: Path
) -> None:
    csv_result = ingest(settings, db, [small_files / "2022" / "csv"])
    assert len(csv_result.snapshots) == 24
    con = duckdb.connect()
    csv_rows = con.execute(
        f"SELECT * EXCLUDE (contract_id) FROM read_parquet({[str(p) for p in _parquet(settings, db)]}) "
        "ORDER BY ALL"
    ).fetchall()
    xml_result = ingest(settings, db, [small_files / "2022" / "xml"])
    assert all(s.replaced for s in xml_result.snapshots)
    xml_rows = con.execute(
        f"SELECT * EXCLUDE (contract_id) FROM read_parquet({[str(p) for p in _parquet(settings, db)]}) "
        "ORDER BY ALL"
    ).fetchall()
    assert csv_rows == xml_rows
    with db.session() as session:
        snapshots = list(session.scalars(select(Snapshot)))
        assert {s.source_format for s in snapshots} == {"xml"}
        assert all(len(s.source_files[0]["sha256"]) == 64 for s in snapshots)
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions.count("workforce.snapshot.add") == 24
    assert actions.count("workforce.snapshot.replace") == 24


def test_snapshots_hold_no_staff_ids_or_birth_dates(
    settings: Settings, db: Database, small_files: Path
) -> None:
    ingest(settings, db, [small_files / "2022" / "csv"])
    con = duckdb.connect()
    files = [str(p) for p in _parquet(settings, db)]
    columns = [d[0] for d in con.execute(f"SELECT * FROM read_parquet({files}) LIMIT 0").description]
    assert not {"staffid", "birthdte", "ownstaffid", "contid"} & {c.lower() for c in columns}
    with next((small_files / "2022" / "csv").rglob("PERSON.csv")).open() as handle:
        staff_id = next(csv.DictReader(handle))["STAFFID"]
    key = store.load_or_create_key(settings.key_file)
    ids = {r[0] for r in con.execute(f"SELECT person_id FROM read_parquet({files})").fetchall()}
    assert staff_id not in ids
    assert store.pseudonym(key, staff_id) in ids  # keyed HMAC, same in SQL and Python
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600


def test_key_readable_by_others_is_refused(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path
) -> None:
    store.load_or_create_key(sqlite_settings.key_file)
    sqlite_settings.key_file.chmod(0o644)
    with pytest.raises(store.KeyFileError, match="chmod 600"):
        ingest(sqlite_settings, sqlite_db, [small_files / "2022" / "csv"])


def test_two_years_and_age_at_31_august(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path
) -> None:
    result = ingest(sqlite_settings, sqlite_db, [small_files / "2022" / "csv", small_files / "2023" / "xml"])
    assert {s.year for s in result.snapshots} == {2022, 2023}
    con = duckdb.connect()
    files = [str(p) for p in _parquet(sqlite_settings, sqlite_db)]
    schemes = dict(
        con.execute(f"SELECT year, any_value(soc_scheme) FROM read_parquet({files}) GROUP BY 1").fetchall()
    )
    assert schemes == {2022: "SOC2010", 2023: "SOC2020"}
    # The same people, a year older, link across years through their pseudonym.
    linked = con.execute(f"""SELECT count(*) FROM (SELECT DISTINCT person_id, age FROM read_parquet({files}) WHERE year = 2022) a
        JOIN (SELECT DISTINCT person_id, age FROM read_parquet({files}) WHERE year = 2023) b USING (person_id)
        WHERE b.age = a.age + 1""").fetchone()
    assert linked is not None and linked[0] > 100
