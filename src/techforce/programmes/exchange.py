"""Bulk CSV export and import of programmes, cohorts, sessions, bookings and attendance.

Five files, one per table, each row found by a natural key, so that an export imported again
changes nothing:

- programmes.csv: slug; title, kind, description, audience, eligibility, capacity (places per
  cohort), cost_gbp (pounds, two decimals), pillars and managers ("; " between them),
  selective and requires_project (yes/no), min_attendance_pct.
- cohorts.csv: programme (slug), cohort (name); starts_on, ends_on (YYYY-MM-DD), capacity.
- sessions.csv: uid (its iCalendar UID; empty for a new session); programme, cohort, title,
  kind, starts_at and ends_at (with their UTC offset), mode, location, facilitator.
- bookings.csv: programme, cohort, email; the person's name and UKPRN (participants have no
  file of their own: one name and UKPRN per address), status, statement, decision_reason,
  queued_at (the place in the waiting list).
- attendance.csv: programme, cohort, session_uid, email, status (present, absent, excused).

Importing checks every row of every file first and writes nothing if any row is bad: each bad
row gives one problem naming the file, the row (as a spreadsheet numbers it: the header is row
1), the field, the value and the fix. A good import is written in one transaction through the
service's own functions (and audited as they audit). A row that matches what is held is left
alone: no change, no audit event. A column left out of a file keeps what is held; an import
never deletes (cancel a booking with its status). Bookings take the status given (the waiting
list is not re-run and nobody is sent a message), but no cohort may confirm more places than it
has. A cohort whose capacity changes is saved as the pages save it (a larger one promotes people
from the waiting list) unless the import also has bookings for it: then the file's statuses stand.
A new programme with no managers given is run by the importer."""

from __future__ import annotations

import io
import os
import zipfile
from collections import abc
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce.db import Database
from techforce.programmes.exchange_apply import Counts, ImportReport, run
from techforce.programmes.exchange_io import (
    MAX_BYTES,
    TABLES,
    BadFile,
    file_problem,
    records,
    rows_of,
    table_of,
    write_csv,
)
from techforce.programmes.exchange_tool import PRESETS, Mapping, import_booking_tool, mapping_from
from techforce.programmes.exchange_values import pounds, utc
from techforce.programmes.models import Attendance, Booking, Cohort, Participant, Programme, Session
from techforce.workforce.problems import InputError, Problem

__all__ = [
    "MAX_BYTES",
    "PRESETS",
    "TABLES",
    "Counts",
    "ImportReport",
    "InputError",
    "Mapping",
    "Problem",
    "export",
    "export_tables",
    "import_booking_tool",
    "import_tables",
    "mapping_from",
    "read_tables",
]

# ---------------------------------------------------------------- export


def export_tables(db: Database, *, only: abc.Collection[str] | None = None) -> dict[str, str]:
    """The five files as CSV text (UTF-8, a header row, CRLF line ends, formula cells guarded),
    by file name; ``only``: just these programme slugs. Rows are in a fixed order (by
    programme slug, cohort start, session start, e-mail address), so the same data gives the
    same text on any store."""
    with db.session() as s:
        tables = _export_rows(s, only)
    return {f"{name}.csv": write_csv(TABLES[name], rows) for name, rows in tables.items()}


def export(db: Database, target: Path, *, only: abc.Collection[str] | None = None) -> list[Path]:
    """Write the five files into the folder ``target`` (created if need be), or into one zip
    file when ``target`` ends in .zip. The files hold personal data: new ones are readable by
    their owner only."""
    files = export_tables(db, only=only)
    if target.suffix.lower() == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text.encode("utf-8"))
        _write_private(target, buffer.getvalue())
        return [target]
    if not target.exists():
        target.mkdir(parents=True, mode=0o700)
    written = []
    for name, text in files.items():
        _write_private(target / name, text.encode("utf-8"))
        written.append(target / name)
    return written


def _write_private(path: Path, data: bytes) -> None:
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(data)


def _export_rows(s: Db, only: abc.Collection[str] | None) -> dict[str, list[dict[str, Any]]]:
    found = _Held(s, only)
    return {
        "programmes": found.programmes(),
        "cohorts": found.cohorts(),
        "sessions": found.sessions(),
        "bookings": found.bookings(),
        "attendance": found.attendance(),
    }


class _Held:
    """What the store holds (of the programmes ``only``, or all), as rows of the five tables
    in their fixed order."""

    def __init__(self, s: Db, only: abc.Collection[str] | None) -> None:
        self.all = [p for p in s.scalars(select(Programme)) if only is None or p.slug in only]
        slugs = {p.slug for p in self.all}
        query = select(Cohort, Programme.slug).join(Programme, Programme.id == Cohort.programme_id)
        self.cohort = {c.id: (slug, c) for c, slug in s.execute(query) if slug in slugs}
        self.session = {x.id: x for x in s.scalars(select(Session)) if x.cohort_id in self.cohort}
        people = select(Booking, Participant).join(Participant, Participant.id == Booking.participant_id)
        self.booking = [(b, p) for b, p in s.execute(people) if b.cohort_id in self.cohort]
        self.email = {b.id: p.email for b, p in self.booking}
        self.marks = [
            a
            for a in s.scalars(select(Attendance))
            if a.session_id in self.session and a.booking_id in self.email
        ]

    def cohort_order(self, cohort_id: int) -> tuple[str, str, str]:
        slug, c = self.cohort[cohort_id]
        return slug, c.starts_on.isoformat(), c.name

    def session_order(self, session_id: int) -> tuple[str, ...]:
        x = self.session[session_id]
        return (*self.cohort_order(x.cohort_id), utc(x.starts_at).isoformat(), x.uid)

    def where(self, cohort_id: int) -> dict[str, str]:
        slug, c = self.cohort[cohort_id]
        return {"programme": slug, "cohort": c.name}

    def programmes(self) -> list[dict[str, Any]]:
        return [
            {
                "slug": p.slug,
                "title": p.title,
                "kind": p.kind,
                "description": p.description,
                "audience": p.audience,
                "eligibility": p.eligibility,
                "capacity": p.capacity,
                "cost_gbp": pounds(p.cost_pence),
                "pillars": "; ".join(p.pillars or []),
                "selective": "yes" if p.selective else "no",
                "min_attendance_pct": p.min_attendance_pct,
                "requires_project": "yes" if p.requires_project else "no",
                "managers": "; ".join(sorted(m.username for m in p.managers)),
            }
            for p in sorted(self.all, key=lambda p: p.slug)
        ]

    def cohorts(self) -> list[dict[str, Any]]:
        return [
            {
                **self.where(cohort_id),
                "starts_on": c.starts_on.isoformat(),
                "ends_on": c.ends_on.isoformat(),
                "capacity": c.capacity,
            }
            for cohort_id, (_, c) in sorted(self.cohort.items(), key=lambda i: self.cohort_order(i[0]))
        ]

    def sessions(self) -> list[dict[str, Any]]:
        return [
            {
                "uid": x.uid,
                **self.where(x.cohort_id),
                "title": x.title,
                "kind": x.kind,
                "starts_at": utc(x.starts_at).isoformat(),
                "ends_at": utc(x.ends_at).isoformat(),
                "mode": x.mode,
                "location": x.location,
                "facilitator": x.facilitator,
            }
            for x in sorted(self.session.values(), key=lambda x: self.session_order(x.id))
        ]

    def bookings(self) -> list[dict[str, Any]]:
        return [
            {
                **self.where(b.cohort_id),
                "email": p.email,
                "name": p.name,
                "ukprn": p.ukprn,
                "status": b.status,
                "statement": b.statement,
                "decision_reason": b.decision_reason,
                "queued_at": utc(b.queued_at).isoformat(),
            }
            for b, p in sorted(
                self.booking, key=lambda bp: (*self.cohort_order(bp[0].cohort_id), bp[1].email.lower())
            )
        ]

    def attendance(self) -> list[dict[str, Any]]:
        return [
            {
                **self.where(self.session[a.session_id].cohort_id),
                "session_uid": self.session[a.session_id].uid,
                "email": self.email[a.booking_id],
                "status": a.status,
            }
            for a in sorted(
                self.marks,
                key=lambda a: (*self.session_order(a.session_id), self.email[a.booking_id].lower()),
            )
        ]


# ---------------------------------------------------------------- import


def import_tables(
    db: Database,
    files: abc.Mapping[str, bytes | str],
    *,
    actor: str,
    dry_run: bool = False,
    only: abc.Collection[str] | None = None,
) -> ImportReport:
    """Import files of the five tables (file name -> content; the table is known by the file's
    name or else its header). Raises InputError (an errors.Invalid) listing one problem per bad
    row, and writes nothing, if any row is bad; else writes every change in one transaction,
    or with ``dry_run`` only reports what it would write. ``only``: the programme slugs the
    importer may change (None: any)."""
    report = ImportReport(dry_run=dry_run)
    tables, problems = read_tables(files, report)
    return run(db, report, problems, actor=actor, dry_run=dry_run, only=only, fill=tables.get)


def read_tables(
    files: abc.Mapping[str, bytes | str], report: ImportReport
) -> tuple[dict[str, list[Any]], list[Problem]]:
    """Each file's rows under its table; a problem for a file that cannot be read or placed."""
    tables: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for name, data in files.items():
        try:
            header, _ = records(name, data)
            table = table_of(name, header)
            if table is None:
                raise BadFile(
                    file_problem(
                        name,
                        "cannot tell which table the file holds",
                        "name it programmes.csv, cohorts.csv, sessions.csv, bookings.csv or attendance.csv "
                        "(a booking tool's export: use `techforce programmes import-bookings`)",
                        rule="table",
                    )
                )
            if table in report.files.values():
                other = next(f for f, t in report.files.items() if t == table)
                raise BadFile(
                    file_problem(name, f"{other} is the {table} file already", "import one file per table")
                )
            report.files[name] = table
            rows, row_problems = rows_of(table, name, data)
        except BadFile as bad:
            problems.append(bad.problem)
            continue
        problems.extend(row_problems)
        tables[table] = rows
    if not files:
        problems.append(
            file_problem("(none)", "no files were given", "give one or more of the five CSV files")
        )
    return tables, problems
