"""Web latency under load, with the full synthetic sector loaded (see benchmarks/README.md).

1. load: N concurrent clients on loopback against the overview, provider profile and
   explorer pages; p50/p95 latency and throughput, against a static file served by the same
   server in the same run.
2. fairness: one client (B) requests the same normal pages, alone and then while another
   client (A) switches definitions: first core/broad on the overview and explorer pages (the
   computation cache keeps both), then user-added definitions, more than the cache holds, on
   explorer pages never asked before, so that every one of A's requests builds a computation.
   B's p95 with A busy over B's p95 alone is the ratio (target: within 1.5x); a control phase
   where A requests normal pages too separates the cost of a second client from that of A's
   cache misses.

    python benchmarks/web.py [clients=20] [seconds=10] [scale=1.0] [workers=1]
                             [--only load|fairness] [--definitions N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from techforce.accounts import service
from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import definitions, peer_groups, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.indicators import CATALOGUE
from techforce.workforce.ingest import ingest
from techforce.workforce.service import MAX_CACHED_COMPUTATIONS

PASSWORD = "copper walrus lantern orbit"  # passes the account password rules
# SOC prefixes a user might add to the core definition (domain.md section 2, "broad").
CONTROL = "normal pages"  # A's control phase: the same cached pages as B
EXTRA_SOC2010 = ["3217", "3218", "6139", "522", "524", "542", "321", "341", "352", "354", "214", "215"]


def _load_sector(
    root: Path, scale: float, extra_definitions: int
) -> tuple[Settings, str, str, list[str], list[str]]:
    """Ingest the sector; returns the settings, a consortium member, the consortium, every
    provider with a return and the names of ``extra_definitions`` user-added definitions."""
    sector = synth.generate(synth.SynthConfig().scaled(scale))
    for year in sector.years:
        output.write_csv(sector, root / "sector", year)
    providers_csv, groups_csv = output.write_metadata(sector, root / "sector")
    settings = Settings(data_dir=root / "data", user="bench")
    db = Database(settings)
    db.migrate()
    for year in sector.years:
        ingest(settings, db, [root / "sector" / str(year) / "csv"])
    core = definitions.get("core")
    names = []
    with db.session() as session:
        peer_groups.import_providers(session, providers_csv, actor="bench")
        peer_groups.import_csv(session, groups_csv, actor="bench")
        service.create_user(session, "bench", "sector-analyst", actor="bench", password=PASSWORD)
        member = peer_groups.members(session, sector.consortium)[0]
        for k in range(extra_definitions):
            body = core.model_dump(exclude={"builtin", "version"})
            extra = EXTRA_SOC2010[k % len(EXTRA_SOC2010)]
            body.update(
                name=f"bench-{k}",
                title=f"Core and SOC {extra}",
                description="A user-added variant of core (benchmark)",
                soc2010=[*core.soc2010, extra],
            )
            path = root / f"bench-{k}.json"
            path.write_text(json.dumps(body), encoding="utf-8")
            names.append(definitions.add(session, path, actor="bench").name)
        _files, returned = store.catalogue_inputs(session, settings)
    db.dispose()
    return settings, member, sector.consortium, sorted({u for u, _ in returned}), names


async def _signed_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=200))
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no login form"
    response = await client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code in (200, 303), response.status_code
    return client


async def _load(
    port: int, cookie: str, urls: list[str], clients: int, seconds: float
) -> tuple[list[float], int]:
    """``clients`` keep-alive connections, each sending GETs back to back for ``seconds``.
    A bare asyncio HTTP/1.1 client: the load generator shares the 2 cores with the server,
    so it must cost as little as possible."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        while time.perf_counter() < stop:
            path = urls[i % len(urls)]
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            errors += not head.startswith(b"HTTP/1.1 200")
            i += 1
        writer.close()

    await asyncio.gather(*(worker(k) for k in range(clients)))
    return latencies, errors


def _report(name: str, latencies: list[float], errors: int, seconds: float) -> tuple[float, float]:
    if len(latencies) < 2:  # quantiles need two; a phase of one slow request reports that one
        latencies = latencies * 2 or [float("nan")] * 2
    q = statistics.quantiles(latencies, n=100)
    p50, p95 = q[49] * 1000, q[94] * 1000
    print(
        f"{name:<24} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {len(latencies) / seconds:7.1f} req/s  "
        f"errors {errors}"
    )
    return p50, p95


async def _session(port: int, pages: list[str]) -> str:
    """Sign in and warm the indicator and page caches; returns the session cookie."""
    client = await _signed_in(f"http://127.0.0.1:{port}")
    for url in pages:
        assert (await client.get(url)).status_code == 200, url
    cookie = f"tf_session={client.cookies.get('tf_session')}"
    await client.aclose()
    return cookie


async def _bench(port: int, pages: list[str], clients: int, seconds: float) -> None:
    cookie = await _session(port, pages)
    static_lat, static_err = await _load(port, cookie, ["/static/app.css"], clients, seconds)
    page_lat, page_err = await _load(port, cookie, pages, clients, seconds)
    _, static_p95 = _report("static", static_lat, static_err, seconds)
    _, page_p95 = _report("pages", page_lat, page_err, seconds)
    print(
        f"pages p95 {page_p95:.1f} ms at {clients} clients (target < 150 ms); "
        f"{page_p95 / static_p95:.1f}x the static-file p95"
    )


async def _fairness(port: int, pages: list[str], switching: dict[str, list[str]], seconds: float) -> None:
    """B (one client, normal pages) alone, then beside A in each of ``switching``'s phases."""
    cookie = await _session(port, pages)
    alone, alone_err = await _load(port, cookie, pages, 1, seconds)
    _, alone_p95 = _report("B alone", alone, alone_err, seconds)
    ratios = {}
    for phase, urls in switching.items():
        (b_lat, b_err), (a_lat, a_err) = await asyncio.gather(
            _load(port, cookie, pages, 1, seconds), _load(port, cookie, urls, 1, seconds)
        )
        _report(f"  A {phase}", a_lat, a_err, seconds)
        _, p95 = _report(f"  B beside A {phase}", b_lat, b_err, seconds)
        ratios[phase] = p95 / alone_p95
    shown = ", ".join(f"{phase} {ratio:.2f}x" for phase, ratio in ratios.items())
    print(f"B p95 beside A / B p95 alone (target <= 1.5x): {shown}")
    control = ratios[CONTROL]
    shown = ", ".join(
        f"{phase} {ratio / control:.2f}x" for phase, ratio in ratios.items() if phase != CONTROL
    )
    print(f"B p95 beside A switching / beside A on {CONTROL} (the cost of A's cache misses alone): {shown}")


def _switching(definition_names: list[str], providers: list[str], pages: list[str]) -> dict[str, list[str]]:
    """A's request sequences: a control (the normal pages), core/broad on the overview and
    explorer, and user-added definitions in turn on explorer pages not yet built (a new
    indicator and provider each time), more definitions than the computation cache holds."""
    pairs = [(page, d) for page in ("overview?", "explore?indicator=tech.by_age&") for d in ("core", "broad")]
    core_broad = [f"/workforce/{page}definition={d}" for page, d in pairs]
    indicators = [i.id for i in CATALOGUE]
    fresh = [
        f"/workforce/explore?indicator={indicators[k % len(indicators)]}&scope=provider:"
        f"{providers[k % len(providers)]}&definition={definition_names[k % len(definition_names)]}"
        for k in range(len(indicators) * len(providers))
    ]
    return {CONTROL: pages, "core/broad": core_broad, "new definitions": fresh}


def main(
    clients: int = 20,
    seconds: float = 10.0,
    scale: float = 1.0,
    workers: int = 1,
    only: str | None = None,
    extra_definitions: int = MAX_CACHED_COMPUTATIONS + 2,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="techforce-webbench-"))
    started = time.perf_counter()
    settings, member, group, providers, names = _load_sector(
        root, scale, extra_definitions if only != "load" else 0
    )
    print(
        f"sector at scale {scale}: {len(providers)} providers, ingested in {time.perf_counter() - started:.0f} s"
    )
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, "TECHFORCE_DATA_DIR": str(settings.data_dir)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "techforce.web.app:from_environment",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        quoted = group.replace(" ", "%20")
        pages = [
            "/workforce/overview",
            f"/workforce/providers/{member}?group={quoted}",
            f"/workforce/explore?indicator=tech.by_age&scope=group:{quoted}",
        ]
        if only in (None, "load"):
            print(
                f"load: {clients} clients, {seconds:.0f} s each, {workers} worker(s), pages: {', '.join(pages)}"
            )
            asyncio.run(_bench(port, pages, clients, seconds))
        if only in (None, "fairness"):
            switching = _switching(names or ["core", "broad"], providers, pages)
            print(
                f"fairness: B (1 client) on the same pages, {seconds:.0f} s a phase; A switches among "
                f"{len(names)} user-added definitions (the computation cache holds {MAX_CACHED_COMPUTATIONS})"
            )
            asyncio.run(_fairness(port, pages, switching, seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("clients", type=int, nargs="?", default=20)
    parser.add_argument("seconds", type=float, nargs="?", default=10.0)
    parser.add_argument("scale", type=float, nargs="?", default=1.0)
    parser.add_argument("workers", type=int, nargs="?", default=1)
    parser.add_argument("--only", choices=["load", "fairness"], help="run one scenario (default: both)")
    parser.add_argument(
        "--definitions",
        type=int,
        default=MAX_CACHED_COMPUTATIONS + 2,
        help="user-added definitions A switches among (more than the computation cache holds)",
    )
    args = parser.parse_args()
    main(args.clients, args.seconds, args.scale, args.workers, args.only, args.definitions)
