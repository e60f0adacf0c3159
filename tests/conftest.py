"""Shared fixtures: real engines only. SQLite in a temp folder and a throwaway PostgreSQL
cluster (initdb + pg_ctl) that this session starts and stops; a small synthetic sector."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import synth
from techforce.workforce import synth_output as output

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(
            "PostgreSQL 15 binaries not found at /usr/lib/postgresql/15/bin (apt-get install postgresql-15)"
        )
    root = Path(tempfile.mkdtemp(prefix="techforce-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh store, once on SQLite and once on PostgreSQL."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
    return Settings(data_dir=tmp_path / "data", database_url=url, user="tester")


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", user="tester")


def _migrated(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    yield from _migrated(settings)


@pytest.fixture
def sqlite_db(sqlite_settings: Settings) -> Iterator[Database]:
    yield from _migrated(sqlite_settings)


# scaled() scales the consortium's technical FTE too; the small sector keeps its full 2,100 so
# that its eight consortium providers give the pages and ACRO cells of ten people and more.
SMALL = dataclasses.replace(
    synth.SynthConfig(seed=7, providers=24, returners=14, leaders=6).scaled(0.01), consortium_fte=2100.0
)


@pytest.fixture(scope="session")
def small_sector() -> synth.Sector:
    return synth.generate(SMALL)


@pytest.fixture(scope="session")
def small_files(small_sector: synth.Sector, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sector written in both shapes, both years."""
    out = tmp_path_factory.mktemp("sector")
    for year in small_sector.years:
        output.write_csv(small_sector, out, year)
        output.write_xml(small_sector, out, year)
    output.write_metadata(small_sector, out)
    return out
