"""An ingest killed with SIGKILL at random points leaves the store exactly as before:
the same catalogue rows pointing at the same, unchanged files."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import store
from techforce.workforce.ingest import ingest


def _state(settings: Settings) -> list[tuple[str, int, str, str]]:
    db = Database(settings)
    with db.session() as session:
        state = [
            (s.ukprn, s.year, s.id, store.sha256_file(p)) for s, p in store.snapshot_files(session, settings)
        ]
    db.dispose()
    return state


def test_sigkill_during_reingest_leaves_store_as_before(tmp_path: Path, small_files: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", user="crash")
    db = Database(settings)
    db.migrate()
    ingest(settings, db, [small_files / "2022" / "csv"])
    db.dispose()
    before = _state(settings)
    assert len(before) == 24
    rng = random.Random(20221201)
    env = {**os.environ, "TECHFORCE_DATA_DIR": str(settings.data_dir)}
    command = [
        sys.executable,
        "-m",
        "techforce.cli",
        "workforce",
        "ingest",
        str(small_files / "2022" / "xml"),
    ]
    outcomes = []
    for _ in range(12):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 3.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = _state(settings)
        if after == before:
            outcomes.append("before")
        else:  # the commit happened: every snapshot replaced, none half-way
            assert [a[:2] for a in after] == [b[:2] for b in before]
            assert all(a[2] != b[2] for a, b in zip(after, before, strict=True))
            outcomes.append("after")
            before = after
    assert "before" in outcomes
    # Whatever the kill left behind is unreferenced and collected; the catalogue is untouched.
    db = Database(settings)
    with store.store_lock(settings), db.session() as session:
        store.collect_garbage(session, settings)
    db.dispose()
    assert _state(settings) == before
    assert sorted(settings.snapshot_dir.rglob("*.parquet")) == sorted(
        settings.data_dir / f"snapshots/{y}/{u}/{i}.parquet" for u, y, i, _ in before
    )
