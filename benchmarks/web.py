"""Web latency under load: N concurrent clients on loopback against the overview, provider
profile and explorer pages, with the full synthetic sector loaded; p50/p95 latency and
throughput, reported against a static file served by the same server in the same run.

    python benchmarks/web.py [clients=20] [seconds=10] [scale=1.0] [workers=1]
"""

from __future__ import annotations

import asyncio
import os
import re
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
from techforce.workforce import peer_groups, synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest

PASSWORD = "benchmark password 1"


def _load_sector(root: Path, scale: float) -> tuple[Settings, str, str]:
    sector = synth.generate(synth.SynthConfig().scaled(scale))
    for year in sector.years:
        output.write_csv(sector, root / "sector", year)
    providers_csv, groups_csv = output.write_metadata(sector, root / "sector")
    settings = Settings(data_dir=root / "data", user="bench")
    db = Database(settings)
    db.migrate()
    for year in sector.years:
        ingest(settings, db, [root / "sector" / str(year) / "csv"])
    with db.session() as session:
        peer_groups.import_providers(session, providers_csv, actor="bench")
        peer_groups.import_csv(session, groups_csv, actor="bench")
        service.create_user(session, "bench", "sector-analyst", actor="bench", password=PASSWORD)
        member = peer_groups.members(session, sector.consortium)[0]
    db.dispose()
    return settings, member, sector.consortium


async def _signed_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=200))
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no login form"
    response = await client.post("/login", data={"username": "bench", "password": PASSWORD,
                                                 "csrf_token": token.group(1)})  # fmt: skip
    assert response.status_code in (200, 303), response.status_code
    return client


async def _load(port: int, cookie: str, urls: list[str], clients: int, seconds: float) -> tuple[list[float], int]:
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
    q = statistics.quantiles(latencies, n=100)
    p50, p95 = q[49] * 1000, q[94] * 1000
    print(f"{name:<9} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {len(latencies) / seconds:7.1f} req/s  "
          f"errors {errors}")  # fmt: skip
    return p50, p95


async def _bench(port: int, pages: list[str], clients: int, seconds: float) -> None:
    client = await _signed_in(f"http://127.0.0.1:{port}")
    for url in pages:  # warm the indicator and page caches
        assert (await client.get(url)).status_code == 200, url
    cookie = f"tf_session={client.cookies.get('tf_session')}"
    await client.aclose()
    static_lat, static_err = await _load(port, cookie, ["/static/app.css"], clients, seconds)
    page_lat, page_err = await _load(port, cookie, pages, clients, seconds)
    _, static_p95 = _report("static", static_lat, static_err, seconds)
    _, page_p95 = _report("pages", page_lat, page_err, seconds)
    print(f"pages p95 {page_p95:.1f} ms at {clients} clients (target < 150 ms); "
          f"{page_p95 / static_p95:.1f}x the static-file p95")


def main(clients: int = 20, seconds: float = 10.0, scale: float = 1.0, workers: int = 1) -> None:
    root = Path(tempfile.mkdtemp(prefix="techforce-webbench-"))
    settings, member, group = _load_sector(root, scale)
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, "TECHFORCE_DATA_DIR": str(settings.data_dir)}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "techforce.web.app:from_environment",
                               "--port", str(port), "--workers", str(workers), "--log-level", "warning"], env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        quoted = group.replace(" ", "%20")
        pages = ["/workforce/overview", f"/workforce/providers/{member}?group={quoted}",
                 f"/workforce/explore?indicator=tech.by_age&scope=group:{quoted}"]
        print(f"{clients} clients, {seconds:.0f} s each, {workers} worker(s), pages: {', '.join(pages)}")
        asyncio.run(_bench(port, pages, clients, seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    main(int(args[0]) if args else 20, args[1] if len(args) > 1 else 10.0,
         args[2] if len(args) > 2 else 1.0, int(args[3]) if len(args) > 3 else 1)
