"""Checking an import before anything is written: every row of every file, against the rules
of the service's input models, the rows before it (duplicates, references to programmes,
cohorts, sessions and bookings earlier in the import) and what the store already holds. A bad
row gives one problem; a good row gives a plan of what to write, with what is held now so that
an unchanged row is left alone.

Rows for a programme, cohort or session whose own row was bad are not checked further: the
import fails on that row already, and its fix may change them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Db

from techforce.programmes.exchange_io import Row
from techforce.programmes.exchange_values import (
    BOOKING_STATUSES,
    Bad,
    checked,
    day,
    fix_for,
    listed,
    moment,
    pence,
    required,
    utc,
    whole,
    yes_no,
)
from techforce.programmes.models import Attendance, Booking, Cohort, Participant, Programme, Session
from techforce.programmes.service import MARKS, CohortIn, ParticipantIn, ProgrammeIn, SessionIn
from techforce.workforce.problems import Problem

Key = tuple[str, str]  # programme slug, cohort name


@dataclass
class ProgrammePlan:
    row: Row
    data: ProgrammeIn
    managers: list[str] | None  # None: the column is not in the file (keep them)
    held: Programme | None


@dataclass
class CohortPlan:
    row: Row
    slug: str
    data: CohortIn  # its capacity resolved
    held: Cohort | None


@dataclass
class SessionPlan:
    row: Row
    cohort: Key
    uid: str  # empty: a new session with a new uid
    data: SessionIn
    held: Session | None


@dataclass
class PersonPlan:
    row: Row
    data: ParticipantIn
    held: Participant | None


@dataclass
class BookingPlan:
    row: Row
    cohort: Key
    email: str  # lower case
    status: str
    statement: str
    decision_reason: str
    queued_at: datetime | None  # None: kept, or now for a new booking
    held: Booking | None


@dataclass
class MarkPlan:
    row: Row
    cohort: Key
    uid: str
    email: str
    status: str
    booking: Booking | None  # the booking held (None: imported with it)
    held: Attendance | None


@dataclass
class Plan:
    programmes: dict[str, ProgrammePlan] = field(default_factory=dict)
    cohorts: dict[Key, CohortPlan] = field(default_factory=dict)
    sessions: list[SessionPlan] = field(default_factory=list)
    people: dict[str, PersonPlan] = field(default_factory=dict)
    bookings: dict[tuple[str, str, str], BookingPlan] = field(default_factory=dict)
    marks: dict[tuple[str, str], MarkPlan] = field(default_factory=dict)


class Check:
    """Checks rows table by table (programmes, cohorts, sessions, bookings, attendance) into
    ``plan``, collecting one problem per bad row in ``problems``. ``only``: the programme slugs
    the importer may change (None: any)."""

    def __init__(self, db: Db, *, only: Collection[str] | None = None) -> None:
        self.db, self.only = db, only
        self.plan = Plan()
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.seen: dict[tuple[str, Any], int] = {}
        self.broken: set[tuple[str, Any]] = set()  # keys of bad rows: what refers to them is skipped
        self.held_programmes = {p.slug: p for p in db.scalars(select(Programme))}
        self.held_cohorts: dict[Key, Cohort] = {
            (slug, c.name): c
            for c, slug in db.execute(
                select(Cohort, Programme.slug).join(Programme, Programme.id == Cohort.programme_id)
            )
        }
        self.held_sessions: dict[str, tuple[Session, Key]] = {
            s.uid: (s, (slug, name))
            for s, slug, name in db.execute(
                select(Session, Programme.slug, Cohort.name)
                .join(Cohort, Cohort.id == Session.cohort_id)
                .join(Programme, Programme.id == Cohort.programme_id)
            )
        }
        self.held_people: dict[str, Participant] = {}
        self.held_bookings: dict[int, dict[str, Booking]] = {}
        self.held_marks: dict[int, dict[int, Attendance]] = {}

    # ------------------------------------------------------------ common

    def each(self, rows: Iterable[Row], check: Any) -> None:
        for row in rows:
            try:
                check(row)
            except Bad as bad:
                self.problems.append(row.problem(bad.field, bad.message, bad.fix, rule=bad.rule))
            except _Skip:
                continue

    def once(self, table: str, key: Any, row: Row, column: str, what: str, noun: str) -> None:
        """Refuse a second row with the same key in the import."""
        first = self.seen.setdefault((table, key), row.line)
        if first != row.line:
            raise Bad(
                column,
                f"{what} is also on row {first} of this {table} file",
                f"keep one row per {noun}: remove or merge this one",
                rule="duplicate",
            )

    def allowed(self, slug: str, column: str = "programme") -> None:
        if self.only is not None and slug not in self.only:
            raise Bad(
                column,
                f"you do not manage programme {slug!r}",
                "remove its rows, or ask one of its managers to import them",
                rule="forbidden",
            )

    def programme_of(self, row: Row) -> str:
        slug = required(row, "programme", "slug of the programme")
        if ("programme", slug) in self.broken:
            raise _Skip
        if slug not in self.held_programmes and slug not in self.plan.programmes:
            raise Bad("programme", f"there is no programme {slug!r}", rule="reference")
        self.allowed(slug)
        return slug

    def cohort_of(self, row: Row) -> Key:
        key = (self.programme_of(row), required(row, "cohort", "name of the cohort"))
        if ("cohort", key) in self.broken:
            raise _Skip
        if key not in self.held_cohorts and key not in self.plan.cohorts:
            raise Bad("cohort", f"programme {key[0]!r} has no cohort {key[1]!r}", rule="reference")
        return key

    def capacity_of(self, slug: str) -> int:
        planned = self.plan.programmes.get(slug)
        return planned.data.capacity if planned else self.held_programmes[slug].capacity

    # ------------------------------------------------------------ programmes, cohorts, sessions

    def programmes(self, rows: list[Row]) -> None:
        self.each(rows, self._programme)

    def _programme(self, row: Row) -> None:
        slug = required(row, "slug", "programme's slug")
        try:
            self.once("programmes", slug, row, "slug", f"programme {slug!r}", "programme")
            self.allowed(slug, "slug")
            held = self.held_programmes.get(slug)
            values: dict[str, Any] = {n: getattr(held, n) for n in ProgrammeIn.model_fields} if held else {}
            values["slug"] = slug
            for name in ("title", "kind", "description", "audience", "eligibility"):
                if row.has(name):
                    values[name] = row.get(name) if name == "kind" else row.cells[name]
            for name in ("capacity", "min_attendance_pct"):
                if row.has(name):
                    values[name] = whole(row, name)
            if row.has("cost_gbp"):
                values["cost_pence"] = pence(row, "cost_gbp")
            if row.has("pillars"):
                values["pillars"] = listed(row, "pillars")
            for name in ("selective", "requires_project"):
                if row.has(name):
                    values[name] = yes_no(row, name)
            data = checked(ProgrammeIn, values, table="programmes", whole_field="slug", what="programme")
        except Bad:
            self.broken.add(("programme", slug))
            raise
        managers = listed(row, "managers") if row.has("managers") else None
        self.plan.programmes[slug] = ProgrammePlan(row, data, managers, held)

    def cohorts(self, rows: list[Row]) -> None:
        self.each(rows, self._cohort)

    def _cohort(self, row: Row) -> None:
        slug = self.programme_of(row)
        key = (slug, required(row, "cohort", "name of the cohort"))
        try:
            self.once("cohorts", key, row, "cohort", f"cohort {key[1]!r} of {slug!r}", "cohort")
            held = self.held_cohorts.get(key)
            values: dict[str, Any] = {"name": key[1]}
            if held:
                values.update(starts_on=held.starts_on, ends_on=held.ends_on, capacity=held.capacity)
            for name in ("starts_on", "ends_on"):
                if row.has(name) and (when := day(row, name)) is not None:
                    values[name] = when
            if row.has("capacity"):
                values["capacity"] = whole(row, "capacity")
            data = checked(CohortIn, values, table="cohorts", whole_field="ends_on", what="cohort")
        except Bad:
            self.broken.add(("cohort", key))
            raise
        data.capacity = data.capacity or self.capacity_of(slug)
        self.plan.cohorts[key] = CohortPlan(row, slug, data, held)

    def sessions(self, rows: list[Row]) -> None:
        self.each(rows, self._session)

    def _session(self, row: Row) -> None:
        uid = row.get("uid")
        try:
            if uid:
                self.once("sessions", uid, row, "uid", f"session {uid!r}", "session")
            if len(uid) > 64:
                raise Bad("uid", f"uid is {len(uid)} characters long; the most is 64")
            key = self.cohort_of(row)
            held, where = self.held_sessions.get(uid, (None, key))
            if where != key:
                raise Bad(
                    "cohort",
                    f"session {uid!r} belongs to cohort {where[1]!r} of {where[0]!r}",
                    "a session cannot move to another cohort: give its own cohort, or leave uid empty "
                    "to add a new session",
                    rule="reference",
                )
            names = ("title", "kind", "starts_at", "ends_at", "mode", "location", "facilitator")
            values: dict[str, Any] = {n: getattr(held, n) for n in names} if held else {}
            for name in ("starts_at", "ends_at"):
                if name in values:
                    values[name] = utc(values[name])
                if row.has(name) and (when := moment(row, name)) is not None:
                    values[name] = when
            for name in ("title", "kind", "mode", "location", "facilitator"):
                if row.has(name):
                    values[name] = row.get(name) if name in ("kind", "mode") else row.cells[name]
            if held is None:
                values.setdefault("kind", "session")
                values["kind"] = values["kind"] or "session"
            data = checked(SessionIn, values, table="sessions", whole_field="ends_at", what="session")
        except Bad:
            if uid:
                self.broken.add(("session", uid))
            raise
        self.plan.sessions.append(SessionPlan(row, key, uid, data, held))

    # ------------------------------------------------------------ bookings and attendance

    def load_people(self, rows: list[Row]) -> None:
        """The participants and bookings held for the e-mail addresses in ``rows``."""
        emails = sorted({row.get("email").lower() for row in rows if row.get("email")})
        for start in range(0, len(emails), 500):
            chunk = emails[start : start + 500]
            for person in self.db.scalars(
                select(Participant).where(func.lower(Participant.email).in_(chunk))
            ):
                self.held_people[person.email.lower()] = person

    def held_booking(self, key: Key, email: str) -> Booking | None:
        cohort_row = self.held_cohorts.get(key)
        if cohort_row is None:
            return None
        if cohort_row.id not in self.held_bookings:
            # The cohort's lock (as booking takes it) before its places are counted.
            self.db.execute(update(Cohort).where(Cohort.id == cohort_row.id).values(capacity=Cohort.capacity))
            self.held_bookings[cohort_row.id] = {
                b.participant.email.lower(): b
                for b in self.db.scalars(select(Booking).where(Booking.cohort_id == cohort_row.id))
            }
        return self.held_bookings[cohort_row.id].get(email)

    def bookings(self, rows: list[Row]) -> None:
        self.load_people(rows)
        self.each(rows, self._booking)

    def _booking(self, row: Row) -> None:
        key = self.cohort_of(row)
        email = required(row, "email", "person's e-mail address")
        self.once("bookings", (*key, email.lower()), row, "email", f"{email}'s booking", "person and cohort")
        person = self._person(row, email)
        held = self.held_booking(key, email.lower())
        status = row.get("status").lower() or (held.status if held else "")
        if status not in BOOKING_STATUSES:
            message = f"{status!r} is not a booking status" if status else "status is empty"
            raise Bad("status", message, fix_for("bookings", "status"))
        texts = {"statement": 10_000, "decision_reason": 2_000}
        for name, most in texts.items():
            if len(row.cells.get(name, "")) > most:
                raise Bad(name, f"{name} is {len(row.cells[name]):,} characters long; the most is {most:,}")
        queued = moment(row, "queued_at") if row.has("queued_at") else None
        self.plan.people.setdefault(person.data.email.lower(), person)
        self.plan.bookings[(*key, email.lower())] = BookingPlan(
            row,
            key,
            email.lower(),
            status,
            row.cells["statement"] if row.has("statement") else (held.statement if held else ""),
            row.cells["decision_reason"]
            if row.has("decision_reason")
            else (held.decision_reason if held else ""),
            queued,
            held,
        )

    def _person(self, row: Row, email: str) -> PersonPlan:
        """The participant a booking row names: the same name and UKPRN on every row of one address."""
        held = self.held_people.get(email.lower())
        earlier = self.plan.people.get(email.lower())
        values: dict[str, Any] = {"email": held.email if held else email}
        if held:
            values.update(
                name=held.name, ukprn=held.ukprn, sex=held.sex, ethnicity=held.ethnicity, level=held.level
            )
        for name in ("name", "ukprn"):
            if row.has(name) and (row.get(name) or name == "ukprn"):
                values[name] = row.get(name)
                if earlier and values[name] != getattr(earlier.data, name):
                    raise Bad(
                        name,
                        f"{email} has the {name} {getattr(earlier.data, name)!r} on row {earlier.row.line}",
                        "give one name and UKPRN for each e-mail address",
                        rule="conflict",
                    )
        data = checked(ParticipantIn, values, table="bookings", whole_field="email", what="person")
        return earlier or PersonPlan(row, data, held)

    def check_capacity(self) -> None:
        """No cohort confirms more places than it has: the first row over is refused."""
        capacity = {k: p.data.capacity or 0 for k, p in self.plan.cohorts.items()}
        rows: dict[Key, list[BookingPlan]] = {}
        for plan in self.plan.bookings.values():
            rows.setdefault(plan.cohort, []).append(plan)
        for key in dict.fromkeys([*rows, *capacity]):
            most = capacity.get(key) or self.held_cohorts[key].capacity
            self.held_booking(key, "")
            mentioned = {p.email for p in rows.get(key, [])}
            held = self.held_bookings.get(self.held_cohorts[key].id, {}) if key in self.held_cohorts else {}
            taken = sum(1 for e, b in held.items() if b.status == "confirmed" and e not in mentioned)
            for plan in rows.get(key, []):
                taken += plan.status == "confirmed"
                if taken > most:
                    self.problems.append(
                        plan.row.problem(
                            "status",
                            f"this confirms place {taken} on cohort {key[1]!r} of {key[0]!r}, which has {most}",
                            "make it waitlisted or cancelled, or raise the cohort's capacity in cohorts.csv",
                            rule="capacity",
                        )
                    )
                    break
            else:
                if taken > most and key in self.plan.cohorts:
                    cohort_plan = self.plan.cohorts[key]
                    self.problems.append(
                        cohort_plan.row.problem(
                            "capacity",
                            f"cohort {key[1]!r} has {taken} confirmed places; a capacity of {most} is smaller",
                            "cancel bookings first (in bookings.csv) or give a capacity of at least that",
                            rule="capacity",
                        )
                    )

    def attendance(self, rows: list[Row]) -> None:
        self.load_people([r for r in rows if r.get("email").lower() not in self.held_people])
        self.each(rows, self._mark)

    def _mark(self, row: Row) -> None:
        key = self.cohort_of(row)
        uid = required(row, "session_uid", "uid of the session (see sessions.csv)")
        email = required(row, "email", "person's e-mail address").lower()
        self.once(
            "attendance",
            (uid, email),
            row,
            "email",
            f"{email}'s mark for session {uid!r}",
            "person and session",
        )
        status = row.get("status").lower()
        if status not in MARKS:
            message = f"{status!r} is not a mark" if status else "status is empty"
            raise Bad("status", message, fix_for("attendance", "status"))
        if ("session", uid) in self.broken:
            raise _Skip
        where = self._session_cohort(uid)
        if where is None:
            raise Bad(
                "session_uid",
                f"there is no session {uid!r}",
                "give a uid from sessions.csv",
                rule="reference",
            )
        if where != key:
            raise Bad(
                "session_uid",
                f"session {uid!r} is in cohort {where[1]!r} of {where[0]!r}",
                "give the session's own programme and cohort",
                rule="reference",
            )
        planned = self.plan.bookings.get((*key, email))
        held = self.held_booking(key, email)
        booking_status = planned.status if planned else (held.status if held else None)
        if booking_status != "confirmed":
            raise Bad(
                "email",
                f"{email} has {'no booking' if booking_status is None else 'a ' + booking_status + ' booking'} "
                f"on cohort {key[1]!r}",
                "only confirmed places have a register: confirm the booking in bookings.csv, or remove this row",
                rule="reference",
            )
        mark = None
        if held is not None and uid in self.held_sessions:
            session_id = self.held_sessions[uid][0].id
            if session_id not in self.held_marks:
                self.held_marks[session_id] = {
                    a.booking_id: a
                    for a in self.db.scalars(select(Attendance).where(Attendance.session_id == session_id))
                }
            mark = self.held_marks[session_id].get(held.id)
        self.plan.marks[(uid, email)] = MarkPlan(row, key, uid, email, status, held, mark)

    def _session_cohort(self, uid: str) -> Key | None:
        if uid in self.held_sessions:
            return self.held_sessions[uid][1]
        return next((p.cohort for p in self.plan.sessions if p.uid == uid), None)


class _Skip(Exception):
    """A row that refers to a bad row: not checked further."""
