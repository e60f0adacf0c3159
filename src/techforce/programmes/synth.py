"""Demo programmes consistent with the synthetic workforce: five academic years (ending with
the newest year of staff data) of one-off workshops and short courses across the providers
(close to 6,000 sessions at scale 1, with waiting lists, cancellations, no-shows, registers
and feedback), a six-month leadership programme for women in technical roles (about 1,000
participants in cohorts of about 30 from 60 and more providers, selective, 80% attendance
plus a final project, with outcomes at 6 and 12 months and consented links to staff records)
and an annual executive programme whose first cohort is 22.

Participants are real synthetic technicians: drawn from the staff data held (the year before
the newest), so their sex, ethnic group and level are their records' and a consented link is
their record's ``own_id``. Without staff data, from a sector folder's PERSON.csv files; without
either, invented people with no links. Deterministic for a seed and the same staff data.

Written with bulk inserts in one transaction with one audit event (events.IMPORT)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.db import Database
from techforce.programmes import events, service, synth_plan
from techforce.programmes.impact_data import academic_year
from techforce.programmes.impact_staff import open_staff
from techforce.programmes.models import (
    Attendance,
    Booking,
    Cohort,
    Feedback,
    Manager,
    Outcome,
    Participant,
    Programme,
    Session,
    WorkforceLink,
)
from techforce.programmes.synth_plan import EXECUTIVE, LEADERSHIP, Plan, Pool
from techforce.settings import Settings
from techforce.workforce import codes, definitions, store


@dataclass
class SynthSummary:
    """What the demo holds (true counts: it is made-up data, for the operator who made it)."""

    years: list[str] = field(default_factory=list)
    programmes: int = 0
    cohorts: int = 0
    sessions: int = 0
    participants: int = 0
    bookings: int = 0
    leadership_cohorts: int = 0
    leadership_participants: int = 0
    leadership_starters: int = 0
    leadership_completers: int = 0
    leadership_providers: int = 0
    executive_first_cohort: int = 0
    links: int = 0
    upcoming: int = 0  # sessions in the weeks ahead, open to book

    def headline(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """The headline in two lines of at most 80 characters."""
        return (
            f"Programmes: {self.sessions:,} sessions, {self.leadership_participants:,} leadership "
            f"participants from {self.leadership_providers} providers\n"
            f"Executive programme: first cohort of {self.executive_first_cohort}; "
            f"{self.upcoming} sessions open to book"
        )


def generate(
    settings: Settings,
    db: Database,
    *,
    seed: int = 1,
    scale: float = 1.0,
    sector_dir: Path | None = None,
    actor: str | None = None,
) -> SynthSummary:
    """Write the demo programmes (refused when they are there already)."""
    if not 0 < scale <= 10:
        raise errors.Invalid(f"--scale: {scale} is out of range; give a number above 0 and at most 10")
    who = actor or settings.user
    with db.session() as s:
        if s.scalar(select(Programme.id).where(Programme.slug == LEADERSHIP)) is not None:
            raise errors.Refused(
                f"the demo programmes are there already (programme {LEADERSHIP!r}); "
                "use a fresh data folder to make them again",
                status=409,
            )
        pool, last = _pool(s, settings, sector_dir)
        names = _provider_names(s)
        plan = synth_plan.make(np.random.default_rng(seed), pool, last, scale, names)
        summary = _write(s, plan, pool, who)
        summary.upcoming = _upcoming(s, plan, who, date.today())
        audit.record(s, actor=who, action=events.IMPORT, target="demo", payload=summary.headline())
    return summary


# ---------------------------------------------------------------- who takes part


def _pool(s: Db, settings: Settings, sector_dir: Path | None) -> tuple[Pool, int]:
    """The technicians participants are drawn from, and the newest year of staff data."""
    files, returned = store.catalogue_inputs(s, settings)
    if files:
        years = sorted({y for _, y in returned})
        base = years[-2] if len(years) > 1 else years[-1]
        chosen, _ = store.catalogue_inputs(s, settings, years=[base])
        return _from_snapshots(chosen, base, definitions.get(None, s).technical_sql()), years[-1]
    if sector_dir is not None:
        found = sorted(int(p.name) for p in sector_dir.glob("[12][0-9][0-9][0-9]") if (p / "csv").is_dir())
        if found:
            key = store.load_or_create_key(settings.key_file)
            base = found[-2] if len(found) > 1 else found[-1]
            return _from_sector(sector_dir / str(base) / "csv", key), found[-1]
    last = academic_year(date.today()) - 1
    return synth_plan.invented_pool(2000), last


def _from_snapshots(files: list[Path], year: int, technical: str) -> Pool:
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        open_staff(con, files, technical)
        rows = con.execute(
            """SELECT ukprn, own_id, coalesce(any_value(sex), ''), coalesce(any_value(ethnic), ''),
                      min(rank), any_value(age)
               FROM staff WHERE year = ? AND technical AND own_id IS NOT NULL
               GROUP BY ukprn, own_id ORDER BY ukprn, own_id""",
            [year],
        ).fetchall()
    finally:
        con.close()
    levels = list(codes.LEVELS)
    return Pool(
        ukprn=[r[0] for r in rows],
        own_id=[r[1] for r in rows],
        sex=[r[2] for r in rows],
        ethnic=[r[3] for r in rows],
        level=[levels[int(r[4]) - 1] if r[4] else "" for r in rows],
        age=[int(r[5] or 40) for r in rows],
    )


def _from_sector(folder: Path, key: bytes) -> Pool:
    """Non-academic staff from a sector folder's returns (a close stand-in for technicians
    before the data are ingested); links are the pseudonyms of their own staff ids."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        rows = con.execute(
            """SELECT p.UKPRN, p.OWNSTAFFID, p.SEXID, p.ETHNIC, min(c.LEVELS)
               FROM read_csv(?, all_varchar = true) p
               JOIN read_csv(?, all_varchar = true) c USING (PERSONKEY)
               WHERE c.ACEMPFUN = '4' AND c.LEVELS IN ('I0', 'J0', 'K0', 'L0', 'M0', 'N0')
                 AND coalesce(p.OWNSTAFFID, '') <> ''
               GROUP BY ALL ORDER BY 1, 2""",
            [str(folder / "*" / "PERSON.csv"), str(folder / "*" / "CONTRACT.csv")],
        ).fetchall()
    finally:
        con.close()
    return Pool(
        ukprn=[r[0] for r in rows],
        own_id=[store.own_pseudonym(key, r[0], r[1]) for r in rows],
        sex=[r[2] or "" for r in rows],
        ethnic=[r[3] or "" for r in rows],
        level=[r[4] or "" for r in rows],
        age=[40] * len(rows),
    )


def _provider_names(s: Db) -> dict[str, str]:
    from techforce.workforce.models import Provider

    return {p.ukprn: p.name for p in s.scalars(select(Provider)) if p.name}


# ---------------------------------------------------------------- writing


def _ids(s: Db, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in bulk with new ids (returned, in order). PostgreSQL hands out the ids
    from the table's sequence; on SQLite they follow the largest id, and a writer that took
    one meanwhile makes the insert fail (the transaction rolls back, nothing is written)."""
    if not rows:
        return []
    n = len(rows)
    if s.get_bind().dialect.name == "postgresql":
        found = s.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": model.__tablename__, "n": n},
        )
        ids = sorted(int(r[0]) for r in found)
    else:
        start = int(s.scalar(select(func.max(model.id))) or 0)
        ids = list(range(start + 1, start + n + 1))
    s.connection().execute(
        insert(model.__table__), [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]
    )
    return ids


def _bulk(s: Db, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        s.connection().execute(insert(model.__table__), rows)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def _write(s: Db, plan: Plan, pool: Pool, actor: str) -> SynthSummary:
    prog_ids = _ids(s, Programme, [p.row() for p in plan.programmes])
    _bulk(s, Manager, [{"programme_id": i, "username": actor} for i in prog_ids])
    cohort_ids = _ids(
        s,
        Cohort,
        [
            {
                "programme_id": prog_ids[c.programme],
                "name": c.name,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "capacity": c.capacity,
            }
            for c in plan.cohorts
        ],
    )
    session_rows, session_of = [], []
    for ci, c in enumerate(plan.cohorts):
        for k, (title, kind, day, start, hours, mode) in enumerate(c.sessions):
            begins = _at(day, start[0], start[1])
            session_rows.append(
                {
                    "uid": f"demo-{plan.seed_tag}-{ci}-{k}@techforce",
                    "cohort_id": cohort_ids[ci],
                    "title": title,
                    "kind": kind,
                    "starts_at": begins,
                    "ends_at": begins + timedelta(hours=hours),
                    "mode": mode,
                    "location": c.location,
                    "facilitator": c.facilitator,
                }
            )
            session_of.append((ci, k))
    session_ids = _ids(s, Session, session_rows)
    by_cohort: dict[int, list[int]] = {}
    for sid, (ci, _k) in zip(session_ids, session_of, strict=True):
        by_cohort.setdefault(ci, []).append(sid)
    people = sorted({b.person for c in plan.cohorts for b in c.bookings})
    person_ids = dict(
        zip(people, _ids(s, Participant, [_participant(pool, i, plan) for i in people]), strict=True)
    )
    summary = _bookings(s, plan, cohort_ids, by_cohort, person_ids)
    links = [
        {"participant_id": person_ids[i], "ukprn": pool.ukprn[i], "person_id": pool.own_id[i]}
        for i in sorted(plan.consented)
        if i in person_ids and pool.own_id[i]
    ]
    _bulk(s, WorkforceLink, links)
    summary.programmes, summary.cohorts, summary.sessions = len(prog_ids), len(cohort_ids), len(session_ids)
    summary.participants, summary.links = len(person_ids), len(links)
    summary.years = [codes.year_label(y) for y in plan.years]
    summary.executive_first_cohort = plan.executive_first
    return summary


MODULES = ("You as Leader", "Culture & Context", "Influencing & Negotiating", "Confidence & Empowerment")


def _weekday(day: date) -> date:
    """``day``, or the Monday after it when it falls at a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _upcoming(s: Db, plan: Plan, actor: str, today: date) -> int:
    """Cohorts to book in the weeks after ``today`` (the portfolio itself lies in the staff data's
    years, so a demo would otherwise have nothing open): the leadership programme's next
    cohort taking applications, the executive programme's next, and a run of each of eight
    workshops, two of them full with a waiting list. Returns the sessions added."""
    shops = [p for p in plan.programmes if p.kind == "workshop"][:8]
    everyone = list(s.scalars(select(Participant.id).order_by(Participant.id)))
    people = everyone[:: max(1, len(everyone) // 80)][:80]  # spread over the providers, not the first one's
    added = 0
    for k, spec in enumerate([*(p for p in plan.programmes if p.slug in (LEADERSHIP, EXECUTIVE)), *shops]):
        begins = _weekday(today + timedelta(days=14 + 7 * k if spec.kind == "workshop" else 75 + 30 * k))
        titles = [spec.title] if spec.kind == "workshop" else [*MODULES, "Final project presentations"]
        days = [_weekday(begins + timedelta(days=30 * m)) for m in range(len(titles))]
        cohort = service.save_cohort(
            s,
            spec.slug,
            service.CohortIn(name=f"{begins:%B %Y}", starts_on=begins, ends_on=days[-1]),
            actor=actor,
        )
        online = k % 3 == 0
        for title, day in zip(titles, days, strict=True):
            at = _at(day, 9, 30)
            data = service.SessionIn(
                title=title,
                starts_at=at,
                ends_at=at + timedelta(hours=3 if len(titles) == 1 else 7),
                mode="online" if online else "in-person",
                location="" if online else "Leeds",
                facilitator="A. Okafor",
            )
            service.save_session(s, cohort, data, actor=actor)
            added += 1
        taken = cohort.capacity + 2 if spec.kind == "workshop" and k % 4 == 2 else cohort.capacity // 2
        rows = [
            {
                "cohort_id": cohort.id,
                "participant_id": pid,
                "status": "applied"
                if spec.selective
                else ("confirmed" if n < cohort.capacity else "waitlisted"),
                "statement": "I would like to take part" if spec.selective else "",
                "queued_at": _at(today - timedelta(days=10 - n % 10), 10),
            }
            for n, pid in enumerate(people[k : k + min(taken, len(people) - k)])
        ]
        _bulk(s, Booking, rows)
    return added


def _participant(pool: Pool, i: int, plan: Plan) -> dict[str, Any]:
    ukprn = pool.ukprn[i]
    return {
        "email": f"tech{i:06d}.{plan.seed_tag}@{ukprn}.example.ac.uk",
        "name": f"Technician {i:06d}",
        "ukprn": ukprn,
        "sex": pool.sex[i],
        "ethnicity": pool.ethnic[i],
        "level": pool.level[i],
    }


def _bookings(
    s: Db, plan: Plan, cohort_ids: list[int], sessions: dict[int, list[int]], person_ids: dict[int, int]
) -> SynthSummary:
    """Bookings, then the registers, feedback and outcomes of the confirmed places."""
    rows, marks_of = [], []
    for ci, c in enumerate(plan.cohorts):
        for b in c.bookings:
            rows.append(
                {
                    "cohort_id": cohort_ids[ci],
                    "participant_id": person_ids[b.person],
                    "status": b.status,
                    "statement": b.statement,
                    "decision_reason": b.reason,
                    "decided_by": "demo" if b.reason else "",
                    "queued_at": _at(c.starts_on - timedelta(days=b.days_before), 10),
                    "created_at": _at(c.starts_on - timedelta(days=b.days_before), 10),
                    "cancelled_at": _at(c.starts_on - timedelta(days=3), 12)
                    if b.status == "cancelled"
                    else None,
                    "project_done": b.project,
                    "completed_at": _at(c.ends_on, 17) if b.complete else None,
                }
            )
            marks_of.append((ci, b))
    booking_ids = _ids(s, Booking, rows)
    attendance, feedback, outcomes = [], [], []
    out = SynthSummary(bookings=len(booking_ids))
    lead_people: set[int] = set()
    lead_providers: set[str] = set()
    for bid, (ci, b) in zip(booking_ids, marks_of, strict=True):
        c = plan.cohorts[ci]
        for sid, mark in zip(sessions.get(ci, []), b.marks, strict=False):
            attendance.append({"booking_id": bid, "session_id": sid, "status": mark, "recorded_by": "demo"})
        if b.feedback is not None:
            reaction, recommend, before, after = b.feedback
            feedback.append(
                {
                    "booking_id": bid,
                    "reaction": reaction,
                    "recommend": recommend,
                    "before": before,
                    "after": after,
                }
            )
        outcomes += [{"booking_id": bid, **o} for o in b.outcomes]
        if c.leadership and b.status == "confirmed":
            lead_people.add(b.person)
            lead_providers.add(plan.pool_ukprn[b.person])
            out.leadership_starters += "present" in b.marks
            out.leadership_completers += b.complete
    _bulk(s, Attendance, attendance)
    _bulk(s, Feedback, feedback)
    _bulk(s, Outcome, outcomes)
    out.leadership_cohorts = sum(1 for c in plan.cohorts if c.leadership)
    out.leadership_participants, out.leadership_providers = len(lead_people), len(lead_providers)
    return out
