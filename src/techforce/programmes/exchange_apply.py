"""Writing a checked import: the report of what changed, the one transaction (rolled back
for a dry run) and each table's rows through the service, leaving a row that matches what is
held alone (no change, no audit event)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit
from techforce.db import Database
from techforce.programmes import events, service
from techforce.programmes.exchange_check import Check, Plan
from techforce.programmes.exchange_io import TABLES
from techforce.programmes.exchange_values import utc
from techforce.programmes.models import Booking, Cohort, Participant, Programme, Session
from techforce.workforce.problems import InputError, Problem

REPORTED = ("programmes", "cohorts", "sessions", "participants", "bookings", "attendance")


@dataclass
class Counts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What an import wrote (or, with ``dry_run``, would write): rows created, changed and
    left unchanged per table, the warnings, and which table each file held."""

    dry_run: bool
    counts: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in REPORTED})
    warnings: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.created or c.changed for c in self.counts.values())

    def rows(self) -> list[dict[str, Any]]:
        return [{"table": t, **vars(c)} for t, c in self.counts.items()]


def run(
    db: Database,
    report: ImportReport,
    problems: list[Problem],
    *,
    actor: str,
    dry_run: bool,
    only: Collection[str] | None,
    fill: Any,
) -> ImportReport:
    """Check the rows that ``fill(table)`` gives, table by table, then write them (see import_tables)."""
    try:
        with db.session() as s:
            check = Check(s, only=only)
            for table in TABLES:
                rows = fill(table)
                if rows:
                    getattr(check, table)(rows)
            check.check_capacity()
            found = problems + check.problems
            report.warnings.extend(check.warnings)
            if found:
                order = list(TABLES)
                found.sort(key=lambda p: (order.index(report.files.get(p.file, "programmes")), p.line or 0))
                raise InputError(found)
            apply(s, check.plan, report, actor=actor)
            if report.changed:
                audit.record(
                    s,
                    actor=actor,
                    action=events.IMPORT,
                    target="programmes/exchange",
                    payload={"files": report.files, "counts": {t: vars(c) for t, c in report.counts.items()}},
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


class _DryRun(Exception):
    """Rolls a dry run's transaction back."""


# ---------------------------------------------------------------- writing a checked plan


def apply(s: Db, plan: Plan, report: ImportReport, *, actor: str) -> None:
    """Write the plan through the service, leaving rows that match what is held alone."""
    _programmes(s, plan, report.counts["programmes"], actor)
    cohorts = _cohorts(s, plan, report.counts["cohorts"], actor)
    sessions = _sessions(s, plan, cohorts, report.counts["sessions"], actor)
    people = _people(s, plan, report.counts["participants"], actor)
    bookings = _bookings(s, plan, cohorts, people, report.counts["bookings"], actor)
    _marks(s, plan, sessions, bookings, report.counts["attendance"], actor)


def _programmes(s: Db, plan: Plan, counts: Counts, actor: str) -> None:
    for slug, p in plan.programmes.items():
        if p.held is None:
            service.save_programme(s, p.data, actor=actor, managers=p.managers or None)
            counts.created += 1
            continue
        same = all(getattr(p.held, n) == v for n, v in p.data.model_dump().items())
        have = {m.username for m in p.held.managers}
        wanted = have if p.managers is None else set(p.managers)
        if same and wanted == have:
            counts.unchanged += 1
            continue
        found = service.save_programme(s, p.data, actor=actor, managers=sorted(wanted - have))
        gone = [m for m in found.managers if m.username not in wanted]
        for manager in gone:
            found.managers.remove(manager)
        if gone:
            s.flush()
            audit.record(
                s,
                actor=actor,
                action=events.IMPORT,
                target=slug,
                payload={"table": "programmes", "managers_removed": sorted(m.username for m in gone)},
            )
        counts.changed += 1


def _cohorts(s: Db, plan: Plan, counts: Counts, actor: str) -> dict[tuple[str, str], Cohort]:
    """Every cohort the import refers to, by (slug, name), saved where it is new or changed."""
    booked = {b.cohort for b in plan.bookings.values()}
    found: dict[tuple[str, str], Cohort] = {
        (slug, c.name): c
        for c, slug in s.execute(
            select(Cohort, Programme.slug).join(Programme, Programme.id == Cohort.programme_id)
        )
    }
    for key, c in plan.cohorts.items():
        data, held = c.data, c.held
        if held is None:
            found[key] = service.save_cohort(s, c.slug, data, actor=actor)
            counts.created += 1
        elif (held.starts_on, held.ends_on, held.capacity) == (data.starts_on, data.ends_on, data.capacity):
            counts.unchanged += 1
        elif key not in booked:
            service.save_cohort(s, c.slug, data, actor=actor)
            counts.changed += 1
        else:  # the file's booking statuses stand: no promotions from the waiting list
            held.starts_on, held.ends_on, held.capacity = data.starts_on, data.ends_on, data.capacity or 0
            audit.record(
                s,
                actor=actor,
                action=events.COHORT_SAVE,
                target=f"{c.slug}/{data.name}",
                payload=data.model_dump(mode="json"),
            )
            counts.changed += 1
    return found


def _sessions(
    s: Db, plan: Plan, cohorts: dict[tuple[str, str], Cohort], counts: Counts, actor: str
) -> dict[str, Session]:
    found = {x.uid: x for x in s.scalars(select(Session))}
    for p in plan.sessions:
        if p.held is not None:
            held = {n: getattr(p.held, n) for n in service.SessionIn.model_fields}
            held["starts_at"], held["ends_at"] = utc(p.held.starts_at), utc(p.held.ends_at)
            if held == p.data.model_dump():
                counts.unchanged += 1
                continue
        row = service.save_session(s, cohorts[p.cohort], p.data, actor=actor, uid=p.uid or None)
        found[row.uid] = row
        if p.held is None:
            counts.created += 1
        else:
            counts.changed += 1
    return found


def _people(s: Db, plan: Plan, counts: Counts, actor: str) -> dict[str, Participant]:
    found: dict[str, Participant] = {}
    for email, p in plan.people.items():
        if p.held is not None and (p.held.name, p.held.ukprn) == (p.data.name, p.data.ukprn):
            counts.unchanged += 1
            found[email] = p.held
            continue
        before = None if p.held is None else {"name": p.held.name, "ukprn": p.held.ukprn}
        person = service.save_participant(s, p.data, actor=actor)
        found[email] = person
        audit.record(
            s,
            actor=actor,
            action=events.IMPORT,
            target=f"participant/{person.id}",
            payload={"table": "participants", "created": before is None, "was": before or {}},
        )
        if before is None:
            counts.created += 1
        else:
            counts.changed += 1
    return found


def _bookings(
    s: Db,
    plan: Plan,
    cohorts: dict[tuple[str, str], Cohort],
    people: dict[str, Participant],
    counts: Counts,
    actor: str,
) -> dict[tuple[str, str, str], Booking]:
    found: dict[tuple[str, str, str], Booking] = {}
    now = audit.utcnow()
    for key, p in plan.bookings.items():
        b = p.held
        wanted = (p.status, p.statement, p.decision_reason)
        queued = p.queued_at or (utc(b.queued_at) if b else now)
        if b is not None and (b.status, b.statement, b.decision_reason, utc(b.queued_at)) == (
            *wanted,
            queued,
        ):
            counts.unchanged += 1
            found[key] = b
            continue
        was = None if b is None else b.status
        if b is None:
            b = Booking(cohort=cohorts[p.cohort], participant=people[p.email])
            s.add(b)
        if p.decision_reason != b.decision_reason:
            b.decided_by = actor if p.decision_reason else ""
        b.status, b.statement, b.decision_reason, b.queued_at = (
            p.status,
            p.statement,
            p.decision_reason,
            queued,
        )
        if p.status == "cancelled" and b.cancelled_at is None:
            b.cancelled_at = now
        elif p.status != "cancelled":
            b.cancelled_at = None
        s.flush()
        audit.record(
            s,
            actor=actor,
            action=events.IMPORT,
            target=str(b.id),
            payload={"table": "bookings", "status": p.status, "was": was},
        )
        found[key] = b
        counts.created += was is None
        counts.changed += was is not None
    return found


def _marks(
    s: Db,
    plan: Plan,
    sessions: dict[str, Session],
    bookings: dict[tuple[str, str, str], Booking],
    counts: Counts,
    actor: str,
) -> None:
    by_session: dict[str, dict[int, str]] = {}
    for p in plan.marks.values():
        if p.held is not None and p.held.status == p.status:
            counts.unchanged += 1
            continue
        booking = bookings.get((*p.cohort, p.email)) or p.booking
        assert booking is not None  # checked: a confirmed booking is held or imported
        by_session.setdefault(p.uid, {})[booking.id] = p.status
        counts.created += p.held is None
        counts.changed += p.held is not None
    for uid, marks in by_session.items():
        service.record_attendance(s, sessions[uid], marks, actor=actor)
