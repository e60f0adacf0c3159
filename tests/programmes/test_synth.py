"""The demo programmes: the promised shapes at a small scale, one audited import, links that
resolve to real staff records, the same demo for the same seed, and refusals that write nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from sqlalchemy import func, select

from techforce import errors
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.programmes import events, synth, synth_plan
from techforce.programmes.models import (
    Attendance,
    Booking,
    Cohort,
    Feedback,
    Participant,
    Programme,
    WorkforceLink,
)
from techforce.settings import Settings
from techforce.workforce import store
from techforce.workforce.ingest import ingest


def _confirmed(db: Database, slug: str) -> list[int]:
    """Confirmed places per cohort of programme ``slug``, in the order the cohorts start."""
    with db.session() as s:
        rows = s.execute(
            select(Cohort.starts_on, func.count(Booking.id))
            .join(Programme, Programme.id == Cohort.programme_id)
            .outerjoin(Booking, (Booking.cohort_id == Cohort.id) & (Booking.status == "confirmed"))
            .where(Programme.slug == slug)
            .group_by(Cohort.id, Cohort.starts_on)
            .order_by(Cohort.starts_on)
        )
        return [int(n) for _, n in rows]


def test_demo_shapes_without_staff_data(settings: Settings, db: Database) -> None:
    summary = synth.generate(settings, db, seed=2, scale=0.1)
    assert summary.sessions == round(5950 * 0.1)
    lead = _confirmed(db, synth_plan.LEADERSHIP)
    assert len(lead) == 4 and all(25 <= n <= 35 for n in lead[:3]) and sum(lead) == 100
    assert lead[3] == 0  # the next cohort, open for applications: none decided yet
    with db.session() as s:  # the demo has cohorts to book in the weeks ahead, two of them full
        upcoming = list(s.scalars(select(Cohort).where(Cohort.starts_on > date.today())))
        waiting = s.scalar(
            select(func.count()).where(
                Booking.status == "waitlisted", Booking.cohort_id.in_([c.id for c in upcoming])
            )
        )
    assert len(upcoming) == 10 and summary.upcoming >= 10 and waiting
    assert _confirmed(db, synth_plan.EXECUTIVE)[0] == 22 == summary.executive_first_cohort
    assert summary.leadership_completers < summary.leadership_starters <= summary.leadership_participants
    with db.session() as s:
        statuses = Counter(s.scalars(select(Booking.status)))
        marks = Counter(s.scalars(select(Attendance.status)))
        imports = list(s.scalars(select(AuditEvent).where(AuditEvent.action == events.IMPORT)))
        assert s.scalar(select(func.count()).select_from(Feedback))
        assert not s.scalar(select(func.count()).select_from(WorkforceLink))  # no staff data: no links
    assert {"confirmed", "waitlisted", "cancelled", "declined"} <= set(statuses)
    assert marks["present"] > marks["absent"] > 0 and marks["excused"] > 0
    assert len(imports) == 1 and imports[0].payload["sessions"] == summary.sessions
    assert len(summary.years) == 5


def test_session_count_scales() -> None:
    pool = synth_plan.invented_pool(3000)
    counts = []
    for scale in (0.05, 0.2, 1.0):
        plan = synth_plan.make(np.random.default_rng(1), pool, 2023, scale, {})
        counts.append(sum(len(c.sessions) for c in plan.cohorts))
    assert counts == [round(5950 * s) for s in (0.05, 0.2, 1.0)]
    full = synth_plan.make(np.random.default_rng(1), pool, 2023, 1.0, {})
    leaders = [c for c in full.cohorts if c.leadership]
    people = {b.person for c in leaders for b in c.bookings if b.status == "confirmed"}
    women = pool.sex.count("2")
    assert len(people) == int(0.6 * women) < 1000  # a small pool: at most 60% of its women
    assert all(pool.sex[i] == "2" for i in people) and 25 <= len(people) / len(leaders) <= 35


def test_a_second_run_and_a_bad_scale_are_refused(settings: Settings, db: Database) -> None:
    with pytest.raises(errors.Invalid, match="--scale"):
        synth.generate(settings, db, scale=0)
    with db.session() as s:
        assert not s.scalar(select(func.count()).select_from(Programme))
    synth.generate(settings, db, scale=0.02)
    with pytest.raises(errors.Refused, match="already"):
        synth.generate(settings, db, scale=0.02)


def test_links_resolve_to_staff_records(settings: Settings, db: Database, small_files: Path) -> None:
    ingest(settings, db, [small_files / "2022" / "csv", small_files / "2023" / "csv"])
    summary = synth.generate(settings, db, seed=5, scale=0.05)
    assert summary.links > 0 and summary.years[-1] == "2023/24"
    with db.session() as s:
        links = s.execute(
            select(WorkforceLink.ukprn, WorkforceLink.person_id, Participant.sex, Participant.level).join(
                Participant, Participant.id == WorkforceLink.participant_id
            )
        ).all()
        files, _ = store.catalogue_inputs(s, settings, years=[2022])
        women = set(
            s.scalars(
                select(Participant.sex)
                .join(Booking, Booking.participant_id == Participant.id)
                .join(Cohort, Cohort.id == Booking.cohort_id)
                .join(Programme, Programme.id == Cohort.programme_id)
                .where(Programme.slug == synth_plan.LEADERSHIP, Booking.status == "confirmed")
            )
        )
    assert women == {"2"}
    con = duckdb.connect()
    rows = con.execute(
        "SELECT DISTINCT ukprn, own_id, sex FROM read_parquet(?, union_by_name = true) WHERE own_id IS NOT NULL",
        [[str(f) for f in files]],
    ).fetchall()
    con.close()
    held = {(u, o): sex for u, o, sex in rows}
    assert len(links) == summary.links
    for ukprn, person_id, sex, level in links:
        assert held[(ukprn, person_id)] == sex  # the link is a real record, and its sex the record's
        assert level


def test_the_same_seed_gives_the_same_demo(tmp_path: Path) -> None:
    found = []
    for name in ("one", "two"):
        settings = Settings(data_dir=tmp_path / name, user="tester")
        db = Database(settings)
        db.migrate()
        summary = synth.generate(settings, db, seed=9, scale=0.03)
        with db.session() as s:
            names = list(s.scalars(select(Cohort.name).order_by(Cohort.id)))
        found.append((summary.headline(), names, _confirmed(db, synth_plan.LEADERSHIP)))
        db.dispose()
    assert found[0] == found[1]


def test_the_cli_makes_the_demo_and_shows_its_impact(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from techforce.cli.main import app

    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    made = runner.invoke(app, [*data, "programmes", "synth", "--scale", "0.02", "--seed", "4"])
    assert made.exit_code == 0, made.output
    assert "Programmes: 119 sessions" in made.output and "first cohort of 22" in made.output
    shown = runner.invoke(app, [*data, "programmes", "impact", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    page = json.loads(shown.output)
    assert page["headline"]["sessions"] == 119 and page["meta"]["disclosure"].startswith("hesa-standard")
    table = runner.invoke(app, [*data, "programmes", "impact", "-p", synth_plan.LEADERSHIP])
    assert table.exit_code == 0 and "Matched comparison" in table.output
    text = runner.invoke(app, [*data, "programmes", "impact", "--format", "csv"]).output
    assert text.startswith("section,row,measure")
    bad = runner.invoke(app, [*data, "programmes", "impact", "--year", "someday"])
    assert bad.exit_code == 2 and "--year" in bad.output
    again = runner.invoke(app, [*data, "programmes", "synth", "--scale", "0.02"])
    assert again.exit_code == 2 and "already" in again.output
