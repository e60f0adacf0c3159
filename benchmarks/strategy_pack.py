"""Self-assessment pack benchmark: generating the pack of the largest provider of a synthetic
sector, against rendering its charts alone, in the same run.

A synthetic sector (two years, ``--scale`` of the full one) is ingested into a fresh SQLite
store; the provider with the most technical staff signs the Technician Commitment and gets a
full first submission: a narrative on every pillar, a status for every shipped recommendation
and pledges against the STL six, ``--actions`` actions with three milestones each, every
evidence indicator on the pillars and one indicator on each action. Then, best of
``--repeat`` each (the workforce computation built once first, as the service caches it):

- charts alone: ``pack_data.provider_charts`` (Vega-Lite specs, SVG and PNG by vl-convert);
- the pack: ``pack_data.build_pack`` (store reads, evidence resolved, the same charts) and
  ``pack_data.render`` as HTML, PDF (WeasyPrint) and DOCX (python-docx);

with the ratio of each to the charts alone. Peak memory per task (Linux): the resident set's
growth while it runs (its high-water mark reset first through ``/proc/self/clear_refs``, so
native allocations of vl-convert and WeasyPrint count and one task's peak never hides
another's), and the Python heap's peak (``tracemalloc``, in a second run).

    python benchmarks/strategy_pack.py [--scale 0.25] [--actions 24] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.settings import Settings
from techforce.strategy import evidence, pack_data, records, service
from techforce.workforce import synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest
from techforce.workforce.service import Workforce

STAGE = "first-submission"
NARRATIVE = (
    "Technicians are named in the institution's research strategy and sit on its research "
    "committee. A Head of Technical Services reports to the Pro-Vice-Chancellor for Research. "
) * 12


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best of ``repeat`` runs after one untimed warm-up (vl-convert starts its JavaScript
    runtime and WeasyPrint loads its fonts on first use)."""
    fn()
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def _hwm_mb() -> float:
    """The resident set's high-water mark (VmHWM), in MB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def _peaks(fn: Callable[[], Any]) -> tuple[float, float]:
    """MB: the resident set's growth while ``fn`` runs (the high-water mark reset first, so native
    allocations of vl-convert and WeasyPrint count and an earlier task's peak does not), and
    the Python heap's peak (tracemalloc, in a second run: it slows the work)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set
    start = _hwm_mb()
    fn()
    rss = _hwm_mb() - start
    gc.collect()
    tracemalloc.start()
    fn()
    heap = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return rss, heap


def _sector(root: Path, scale: float) -> tuple[Database, Workforce]:
    sector = synth.generate(synth.SynthConfig().scaled(scale))
    for year in sector.years:
        output.write_csv(sector, root, year)
    output.write_metadata(sector, root)
    settings = Settings(data_dir=root / "data", user="bench")
    db = Database(settings)
    db.migrate()
    ingest(settings, db, [root / str(year) / "csv" for year in sector.years])
    return db, Workforce(settings, db)


def _submission(db: Database, ukprn: str, actions: int) -> None:
    """A full first submission for ``ukprn``, as a busy provider would write it."""
    with db.session() as s:
        accounts.create_user(
            s, "lead", "provider-lead", [ukprn], actor="bench", password="correct horse battery staple 9"
        )
        stored = service.install_shipped(s, "bench")
        recs = [r for rs in stored for r in rs.recommendations]
        service.sign(s, ukprn, date(2023, 3, 1), "lead")
        for rec in recs[:6]:
            service.pledge(s, ukprn, rec.id, "in-progress", "lead")
        sub = service.submission(s, ukprn, STAGE, "lead")
        for i, pillar in enumerate(records.PILLARS):
            service.save_pillar(s, sub, pillar, "lead", narrative=NARRATIVE, maturity=i % 5)
        for i, rec in enumerate(recs):
            service.set_status(s, sub, rec.id, records.REC_STATUSES[i % 4], "lead", note=f"Note {i}")
        choices = [i for i, _ in evidence.indicator_choices()]
        for i, ind in enumerate(choices):
            service.attach(s, sub, "indicator", ind, "lead", pillar=records.PILLARS[i % 4])
        today = date.today()
        for i in range(actions):
            action = service.save_action(
                s,
                sub,
                service.ActionIn(
                    objective=f"Objective {i}: " + NARRATIVE[:300],
                    pillar=records.PILLARS[i % 4],
                    owner="lead",
                    deadline=today + timedelta(days=30 * (i + 1)),
                    status=records.ACTION_STATUSES[i % 5],
                    progress=(i * 13) % 101,
                    supporting="Supporting outputs",
                    recommendations=[recs[i % len(recs)].id, recs[(i + 3) % len(recs)].id],
                    milestones=[
                        service.MilestoneIn(f"Milestone {i}.{k}", today + timedelta(days=10 * k), k == 1)
                        for k in range(1, 4)
                    ],
                ),
                "lead",
            )
            service.attach(s, sub, "indicator", choices[i % len(choices)], "lead", action_id=action.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--actions", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="techforce-bench-pack-"))
    try:
        started = time.perf_counter()
        db, wf = _sector(root, args.scale)
        made = time.perf_counter() - started
        started = time.perf_counter()
        comp = wf.computation()
        cold = time.perf_counter() - started
        latest = max(y for _, y in comp.returned)
        sizes = comp.provider_values("tech.headcount", latest)
        ukprn = max(sizes, key=lambda u: sizes[u])
        names = wf.names()
        name = names.get(ukprn, ukprn)
        _submission(db, ukprn, args.actions)
        print(
            f"sector at scale {args.scale}: {len(comp.returned)} provider-years, made and ingested in "
            f"{made:.1f} s; computation (cold, then cached) {cold:.2f} s; largest provider {ukprn} "
            f"({sizes[ukprn]:,.0f} technical staff in {latest}); {args.actions} actions"
        )

        def charts_alone() -> Any:
            return pack_data.provider_charts(comp, ukprn, name, true_values=True)

        def build() -> Any:
            with db.session() as s:
                return pack_data.build_pack(s, wf, ukprn, STAGE, names=names, allowed=None, true_values=True)

        def whole(fmt: str) -> Callable[[], bytes]:
            return lambda: pack_data.render(build(), fmt)[0]

        base, drawn = _timed(charts_alone, args.repeat)
        built_s, built = _timed(build, args.repeat)
        print(f"charts alone: {len(drawn)} charts  {base * 1000:.0f} ms (best of {args.repeat})")
        print(
            f"pack data (store reads, {sum(len(p.evidence) for p in built.pillars)} pillar evidence, "
            f"charts): {built_s * 1000:.0f} ms  ratio {built_s / base:.2f}x the charts alone"
        )
        tasks: dict[str, Callable[[], Any]] = {"charts alone": charts_alone}
        for fmt in ("html", "pdf", "docx"):
            took, data = _timed(whole(fmt), args.repeat)
            tasks[f"pack {fmt}"] = whole(fmt)
            print(
                f"pack {fmt}: {took * 1000:.0f} ms, {len(data) / 1024:.0f} KB  "
                f"ratio {took / base:.1f}x the charts alone"
            )
        for label, task in tasks.items():
            rss, heap = _peaks(task)
            print(f"peak memory, {label}: resident set +{rss:.0f} MB, Python heap {heap:.1f} MB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
