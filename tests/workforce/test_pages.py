"""Page data on both databases, and its cache following the data version."""

from __future__ import annotations

from pathlib import Path

from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import pages, peer_groups, service
from techforce.workforce.ingest import ingest


def test_pages_follow_the_data(settings: Settings, db: Database, small_files: Path) -> None:
    wf = service.Workforce(settings, db)
    ingest(settings, db, [small_files / "2022" / "csv"])
    first = pages.overview(wf)
    assert first.title == "Sector overview 2022/23" and first.headline[0].display != ".."
    assert pages.overview(wf) is first  # cached
    members = [p["ukprn"] for p in first.providers[:5]]
    with db.session() as session:
        peer_groups.save(session, "Five", members, actor="test")
    wf.invalidate()
    assert pages.overview(wf) is not first  # a new data version
    explored = pages.explore(wf, "tech.by_age", scope="group:Five")
    assert explored.rows and all(r.year == "2022/23" for r in explored.rows)
    ingest(settings, db, [small_files / "2023" / "csv"])
    wf.invalidate()
    assert pages.overview(wf).title == "Sector overview 2023/24"
    header, rows = pages.snapshot_rows(wf, members[0], 2023)
    assert header[:3] == ["ukprn", "year", "person_id"] and rows and all(r[0] == members[0] for r in rows)
