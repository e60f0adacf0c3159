"""Programmes benchmarks, each printed against a raw baseline measured in the same run.

1. race: ``clients`` threads (each its own connection and session) book the last places of
   one cohort at once through service.book, ``rounds`` times (a fresh cohort each round with
   ``clients // 5`` places left); bookings/s and p50/p95 latency, against the same number of
   bare INSERTs by the same threads through the same engine. Asserts no double booking
   (confirmed == capacity, the rest waitlisted). On SQLite, and on PostgreSQL when the
   binaries at /usr/lib/postgresql/15/bin exist (a throwaway cluster, as the tests start).
2. dashboard: the impact dashboard over the full five-year demo (the synthetic sector
   ingested, then the demo programmes), cold, with the staff data already read, and cached,
   against a bare SQL aggregate of the same rows (sessions, confirmed places and distinct
   participants by programme and academic year).

    python benchmarks/programmes.py [scale=1.0] [--clients 50] [--rounds 10] [--only race|dashboard]
                                    [--app-pool]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    case,
    create_engine,
    event,
    extract,
    func,
    insert,
    select,
)
from sqlalchemy.orm import sessionmaker

from techforce.db import Database, _sqlite_pragmas
from techforce.programmes import impact, service
from techforce.programmes import synth as programmes_synth
from techforce.programmes.models import Booking, Cohort, Participant, Session
from techforce.settings import Settings
from techforce.workforce import peer_groups, synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- PostgreSQL, as tests/conftest.py


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway cluster's URL (None without the binaries), stopped and removed after."""
    if not (PG_BIN / "initdb").exists():
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="techforce-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    data = root / "data"
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
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


# ---------------------------------------------------------------- 1. the last-place race


def _setup(db: Database, clients: int, rounds: int) -> tuple[list[int], list[list[int]], int]:
    """``rounds`` cohorts, each with ``clients // 5`` places left, and ``clients`` new people
    per round. Returns cohort ids, participant ids per round, and the places per cohort."""
    left = max(1, clients // 5)
    start = date.today() + timedelta(days=60)
    with db.session() as s:
        service.save_programme(
            s,
            service.ProgrammeIn(slug="race", title="Last places", kind="workshop", capacity=left + 10),
            actor="b",
        )
        filler = [
            service.save_participant(
                s, service.ParticipantIn(email=f"filler{k}@bench.example", name=f"Filler {k}"), actor="b"
            )
            for k in range(10)
        ]
        cohorts, people = [], []
        for r in range(rounds):
            cohort = service.save_cohort(
                s, "race", service.CohortIn(name=f"Round {r}", starts_on=start, ends_on=start), actor="b"
            )
            for who in filler:  # 10 places taken already
                service.book(s, cohort.id, who, actor="b")
            cohorts.append(cohort.id)
            people.append(
                [
                    service.save_participant(
                        s,
                        service.ParticipantIn(email=f"r{r}c{c}@bench.example", name=f"Client {c}"),
                        actor="b",
                    ).id
                    for c in range(clients)
                ]
            )
    return cohorts, people, left + 10


def _race(work: Callable[[int], None], clients: int) -> tuple[float, list[float]]:
    """``clients`` threads released at once, each doing ``work(its number)``; wall time and
    each call's latency."""
    gate = threading.Barrier(clients + 1)
    latencies: list[float] = [0.0] * clients
    failures: list[BaseException] = []

    def client(k: int) -> None:
        gate.wait()
        began = time.perf_counter()
        try:
            work(k)
        except BaseException as exc:  # reported after the round
            failures.append(exc)
        latencies[k] = time.perf_counter() - began

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    if failures:
        raise failures[0]
    return wall, latencies


def _wide(settings: Settings, clients: int) -> Database:
    """The deployment's Database with a connection pool as large as the clients, so that every
    client holds its own connection at once (the default pool holds 5 + 10)."""
    db = Database(settings)
    db.migrate()
    db.engine.dispose()
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 30}, pool_size=clients)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, hide_parameters=True, pool_size=clients, max_overflow=10)
    db.engine, db._sessions = engine, sessionmaker(engine, expire_on_commit=False)
    return db


def race(settings: Settings, label: str, clients: int, rounds: int, *, app_pool: bool = False) -> None:
    if app_pool:
        db = Database(settings)
        db.migrate()
    else:
        db = _wide(settings, clients)
    cohorts, people, capacity = _setup(db, clients, rounds)
    book_wall, book_lat = 0.0, []
    for cohort_id, round_people in zip(cohorts, people, strict=True):

        def book(k: int, cohort_id: int = cohort_id, round_people: list[int] = round_people) -> None:
            with db.session() as s:
                who = s.get(Participant, round_people[k])
                assert who is not None
                service.book(s, cohort_id, who, actor="client")

        wall, lat = _race(book, clients)
        book_wall, book_lat = book_wall + wall, book_lat + lat
        with db.session() as s:
            confirmed = s.scalar(
                select(func.count()).where(Booking.cohort_id == cohort_id, Booking.status == "confirmed")
            )
            waiting = s.scalar(
                select(func.count()).where(Booking.cohort_id == cohort_id, Booking.status == "waitlisted")
            )
        assert confirmed == capacity, f"double booking: {confirmed} confirmed on {capacity} places"
        assert waiting == clients - (capacity - 10), f"{waiting} waitlisted"
    scratch = Table(
        "bench_bare", MetaData(), Column("id", Integer, primary_key=True), Column("who", String(50))
    )
    scratch.create(db.engine, checkfirst=True)
    bare_wall, bare_lat = 0.0, []
    for r in range(rounds):

        def bare(k: int, r: int = r) -> None:
            with db.engine.begin() as conn:
                conn.execute(insert(scratch).values(who=f"r{r}c{k}"))

        wall, lat = _race(bare, clients)
        bare_wall, bare_lat = bare_wall + wall, bare_lat + lat
    n = clients * rounds
    ours, raw = n / book_wall, n / bare_wall
    print(
        f"race [{label}]: {clients} clients x {rounds} rounds, {capacity - 10} last places each: no double booking\n"
        f"  service.book  {ours:8.1f} bookings/s  p50 {1000 * statistics.median(book_lat):7.1f} ms  "
        f"p95 {1000 * _pct(book_lat, 0.95):7.1f} ms\n"
        f"  bare INSERT   {raw:8.1f} rows/s      p50 {1000 * statistics.median(bare_lat):7.1f} ms  "
        f"p95 {1000 * _pct(bare_lat, 0.95):7.1f} ms\n"
        f"  ratio: throughput {raw / ours:.1f}x lower, p95 {_pct(book_lat, 0.95) / _pct(bare_lat, 0.95):.1f}x"
    )
    db.dispose()


# ---------------------------------------------------------------- 2. the dashboard


def _bare_aggregate(db: Database) -> int:
    """Sessions, confirmed places and distinct participants by programme and academic year."""
    year = extract("year", Cohort.starts_on) - case((extract("month", Cohort.starts_on) < 8, 1), else_=0)
    with db.session() as s:
        sessions = s.execute(
            select(Cohort.programme_id, year, func.count(Session.id))
            .join(Session, Session.cohort_id == Cohort.id)
            .group_by(Cohort.programme_id, year)
        ).all()
        places = s.execute(
            select(
                Cohort.programme_id,
                year,
                func.count(Booking.id),
                func.count(func.distinct(Booking.participant_id)),
            )
            .join(Booking, Booking.cohort_id == Cohort.id)
            .where(Booking.status == "confirmed")
            .group_by(Cohort.programme_id, year)
        ).all()
    return len(sessions) + len(places)


def dashboard(root: Path, scale: float) -> None:
    sector = synth.generate(synth.SynthConfig().scaled(scale))
    for year in sector.years:
        output.write_csv(sector, root / "sector", year)
    providers_csv, groups_csv = output.write_metadata(sector, root / "sector")
    settings = Settings(data_dir=root / "data", user="bench")
    db = Database(settings)
    db.migrate()
    for year in sector.years:
        ingest(settings, db, [root / "sector" / str(year) / "csv"])
    with db.session() as s:
        peer_groups.import_providers(s, providers_csv, actor="bench")
        peer_groups.import_csv(s, groups_csv, actor="bench")
    made, summary = _timed(lambda: programmes_synth.generate(settings, db, scale=scale), 1)
    print(f"demo programmes written in {made:.2f} s: " + summary.line().replace("\n", "; "))
    raw, _ = _timed(lambda: _bare_aggregate(db))
    cold, page = _timed(lambda: impact.dashboard(settings, db))
    cache = impact.Impact(settings, db)
    staff_read, view = _timed(cache.staff, 1)
    warm, _ = _timed(lambda: impact.build(settings, db, staff=view))
    cache.dashboard()
    cached, _ = _timed(cache.dashboard)
    print(
        f"dashboard over {page.headline.sessions:,} sessions, {page.headline.places.display} places "
        f"(best of 3):\n"
        f"  bare SQL aggregate (sessions, places, participants by programme and year)  {1000 * raw:8.1f} ms\n"
        f"  dashboard, cold (reads the staff data too)   {1000 * cold:8.1f} ms  {cold / raw:6.1f}x\n"
        f"  reading the staff data alone                 {1000 * staff_read:8.1f} ms\n"
        f"  dashboard, staff data already read           {1000 * warm:8.1f} ms  {warm / raw:6.1f}x\n"
        f"  dashboard, cached page (Impact)              {1000 * cached:8.3f} ms  {cached / raw:6.3f}x"
    )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scale", nargs="?", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", choices=("race", "dashboard"))
    parser.add_argument(
        "--app-pool",
        action="store_true",
        help="race through the app's own pool (5 + 10) instead of one per client",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="techforce-bench-programmes-"))
    try:
        if args.only in (None, "race"):
            pool = args.app_pool
            race(
                Settings(data_dir=root / "race", user="bench"),
                "SQLite",
                args.clients,
                args.rounds,
                app_pool=pool,
            )
            with postgres() as url:
                if url is None:
                    print("race [PostgreSQL]: skipped (no binaries at /usr/lib/postgresql/15/bin)")
                else:
                    settings = Settings(data_dir=root / "race-pg", database_url=url, user="bench")
                    race(settings, "PostgreSQL", args.clients, args.rounds, app_pool=pool)
        if args.only in (None, "dashboard"):
            dashboard(root, args.scale)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
