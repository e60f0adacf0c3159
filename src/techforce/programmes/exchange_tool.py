"""Importing the bookings of one cohort from an event-booking tool's CSV export (an Eventbrite
attendee report, say), with a column mapping: which of the tool's columns holds the e-mail
address, the name (or first and last name), the UKPRN or organisation, the status and when the
place was booked, and what each of the tool's statuses means here.

The rows are checked and written as bookings.csv rows are (see techforce.programmes.exchange):
all or nothing, one problem per bad row, statuses as given, no cohort over its capacity. An
organisation is looked up among the providers techforce knows; one it cannot place leaves the
UKPRN empty (a warning, not an error). "Checked In" means present at the cohort's session when
the cohort has exactly one session."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from techforce import errors
from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.exchange_apply import ImportReport, run
from techforce.programmes.exchange_io import BadFile, Row, file_problem, records, too_many
from techforce.programmes.exchange_values import BOOKING_STATUSES
from techforce.workforce.models import Provider
from techforce.workforce.problems import Problem

CHECKED_IN = "checked-in"  # confirmed, and present at the cohort's one session
STATUSES = {
    "attending": "confirmed",
    "checked in": CHECKED_IN,
    "checked-in": CHECKED_IN,
    "attended": CHECKED_IN,
    "not attending": "cancelled",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "refunded": "cancelled",
    "transferred": "cancelled",
    "deleted": "cancelled",
    "booked": "confirmed",
    "registered": "confirmed",
    "waitlist": "waitlisted",
    "waiting list": "waitlisted",
    **{s: s for s in BOOKING_STATUSES},
}
MEANINGS = (*BOOKING_STATUSES, CHECKED_IN)


@dataclass(frozen=True)
class Mapping:
    """Which of the tool's columns holds each of our fields (empty: none), and what the tool's
    statuses mean (tool status, any case -> confirmed, waitlisted, applied, cancelled,
    declined or checked-in)."""

    email: str = ""
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    ukprn: str = ""
    organisation: str = ""
    status: str = ""
    booked_at: str = ""
    statuses: dict[str, str] = field(default_factory=lambda: dict(STATUSES))

    def columns(self) -> dict[str, str]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "statuses" and getattr(self, f.name)
        }


FIELDS = tuple(f.name for f in fields(Mapping) if f.name != "statuses")
PRESETS = {
    "eventbrite": Mapping(
        email="Email",
        first_name="First Name",
        last_name="Last Name",
        organisation="Company",
        status="Attendee Status",
        booked_at="Order Date",
    ),
}


def mapping_from(
    preset: str | None = None, document: str | None = None, pairs: Sequence[str] = ()
) -> Mapping:
    """A mapping: the preset (eventbrite), then a mapping document (JSON, or YAML-style
    ``field: Column`` lines), then ``field=Column`` pairs; a later one wins. A tool status is
    given as ``statuses.<Tool status>`` (``statuses.Going=confirmed``), or under "statuses" in JSON."""
    if preset is not None and preset not in PRESETS:
        raise errors.Invalid(f"--preset: there is no preset {preset!r}; the presets are {', '.join(PRESETS)}")
    chosen = PRESETS[preset] if preset else Mapping()
    given: list[tuple[str, str]] = []
    if document is not None:
        given += _document(document)
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep:
            raise errors.Invalid(
                f"--map {pair!r}: write field=Column, for example --map email='E-mail address'"
            )
        given.append((name.strip(), column.strip()))
    changes: dict[str, Any] = {}
    statuses = dict(chosen.statuses)
    for name, column in given:
        if name.startswith("statuses."):
            meaning = column.lower()
            if meaning not in MEANINGS:
                raise errors.Invalid(f"mapping {name}: {column!r} is not a status; use {', '.join(MEANINGS)}")
            statuses[name.removeprefix("statuses.").strip().lower()] = meaning
        elif name in FIELDS:
            changes[name] = column
        else:
            raise errors.Invalid(
                f"mapping: there is no field {name!r}; map {', '.join(FIELDS)} or statuses.<status>"
            )
    return replace(chosen, statuses=statuses, **changes)


def _document(text: str) -> list[tuple[str, str]]:
    if text.lstrip().startswith("{"):
        try:
            found = json.loads(text)
        except json.JSONDecodeError as exc:
            raise errors.Invalid(f"the mapping is not valid JSON (line {exc.lineno}): {exc.msg}") from None
        if not isinstance(found, dict):
            raise errors.Invalid('the mapping must be a JSON object such as {"email": "E-mail"}')
        statuses = found.pop("statuses", {}) or {}
        pairs = [(str(k), str(v)) for k, v in found.items()]
        return pairs + [(f"statuses.{k}", str(v)) for k, v in dict(statuses).items()]
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, column = line.partition(":")
        if not sep:
            raise errors.Invalid(
                f"mapping line {number}: write field: Column, for example email: E-mail address"
            )
        pairs.append((name.strip(), column.strip().strip("'\"")))
    return pairs


# ---------------------------------------------------------------- import


def import_booking_tool(
    db: Database,
    data: bytes | str,
    mapping: Mapping,
    *,
    programme: str,
    cohort: str,
    actor: str,
    dry_run: bool = False,
    file: str = "bookings.csv",
    only: Collection[str] | None = None,
) -> ImportReport:
    """Import a booking tool's export as bookings of cohort ``cohort`` of ``programme``.
    Raises InputError (an errors.Invalid) and writes nothing if any row is bad."""
    if not mapping.email:
        raise errors.Invalid("the mapping has no email column: map email=<the tool's e-mail column>")
    if not (mapping.name or mapping.first_name or mapping.last_name):
        raise errors.Invalid("the mapping has no name: map name=<column>, or first_name and last_name")
    if only is not None and programme not in only:
        raise errors.Forbidden(
            f"you do not manage programme {programme!r}: ask one of its managers to import"
        )
    report = ImportReport(dry_run=dry_run, files={file: "bookings"})
    with db.session() as s:
        held = service.cohort(s, programme, cohort)
        uids = [x.uid for x in held.sessions]
        providers = _providers([(u, n) for u, n in s.execute(select(Provider.ukprn, Provider.name))])
    tool = _Tool(file, mapping, (programme, cohort), providers, uids)
    try:
        tool.read(data)
    except BadFile as bad:
        tool.problems.append(bad.problem)
    report.warnings.extend(tool.warnings())
    tables = {"bookings": tool.bookings, "attendance": tool.marks}
    return run(db, report, tool.problems, actor=actor, dry_run=dry_run, only=only, fill=tables.get)


@dataclass
class _Tool:
    """A booking tool's file read into bookings.csv and attendance.csv rows of one cohort."""

    file: str
    mapping: Mapping
    key: tuple[str, str]
    providers: dict[str, list[str]]
    uids: list[str]
    bookings: list[Row] = field(default_factory=list)
    marks: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unplaced: dict[str, int] = field(default_factory=dict)  # organisation -> its first row
    checked_in: list[int] = field(default_factory=list)  # rows checked in where no one session is known

    def read(self, data: bytes | str) -> None:
        header, found = records(self.file, data)
        index = {h.lower(): i for i, h in enumerate(header)}
        wanted = self.mapping.columns()
        missing = [f"{c!r} (for {name})" for name, c in wanted.items() if c.lower() not in index]
        if missing:
            raise BadFile(
                file_problem(
                    self.file,
                    f"the file has no column {', '.join(missing)}",
                    "map the field to one of the file's columns: " + ", ".join(repr(h) for h in header),
                    rule="header",
                )
            )
        for line, cells in found:
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                self.problems.append(too_many(self.file, line, len(cells), len(header)))
                continue
            try:
                self.take(
                    line, {name: _cell(cells, index[column.lower()]) for name, column in wanted.items()}
                )
            except _Refused as refused:
                self.problems.append(refused.problem)

    def take(self, line: int, got: dict[str, str]) -> None:
        mapping, (slug, name) = self.mapping, self.key
        ours = {"programme": slug, "cohort": name, "email": got.get("email", "")}
        ours["name"] = got.get("name") or " ".join(
            filter(None, (got.get("first_name"), got.get("last_name")))
        )
        ukprn = got.get("ukprn") or _ukprn(got.get("organisation", ""), self.providers)
        if ukprn:
            ours["ukprn"] = ukprn
        elif got.get("organisation"):
            self.unplaced.setdefault(got["organisation"], line)
        status = mapping.statuses.get(got.get("status", "").lower(), "") if mapping.status else "confirmed"
        if not status:
            raise _Refused(_unknown_status(self.file, line, mapping, got.get("status", "")))
        ours["status"] = "confirmed" if status == CHECKED_IN else status
        if mapping.booked_at and got.get("booked_at"):
            when = _when(got["booked_at"])
            if when is None:
                raise _Refused(_bad_time(self.file, line, mapping.booked_at, got["booked_at"]))
            ours["queued_at"] = when
        labels = {
            "email": mapping.email,
            "status": mapping.status,
            "ukprn": mapping.ukprn or mapping.organisation,
        }
        labels |= {"name": mapping.name or mapping.first_name, "queued_at": mapping.booked_at}
        self.bookings.append(Row(self.file, line, ours, labels))
        if status == CHECKED_IN and len(self.uids) == 1:
            mark = {"programme": slug, "cohort": name, "session_uid": self.uids[0], "status": "present"}
            self.marks.append(Row(self.file, line, {**mark, "email": ours["email"]}, labels))
        elif status == CHECKED_IN:
            self.checked_in.append(line)

    def warnings(self) -> list[Problem]:
        return _warnings(self.file, self.unplaced, self.checked_in, self.key, len(self.uids))


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _cell(cells: list[str], at: int) -> str:
    return cells[at].strip() if at < len(cells) else ""


def _fold(name: str) -> str:
    name = name.lower().replace("&", " and ")
    name = re.sub(r"[^a-z0-9]+", " ", name).strip()
    return name.removeprefix("the ")


def _providers(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Folded provider name -> the UKPRNs of that name."""
    found: dict[str, list[str]] = {}
    for ukprn, name in rows:
        if name:
            found.setdefault(_fold(name), []).append(ukprn)
    return found


def _ukprn(organisation: str, providers: dict[str, list[str]]) -> str:
    if re.fullmatch(r"1\d{7}", organisation):
        return organisation
    matches = providers.get(_fold(organisation), []) if organisation else []
    return matches[0] if len(matches) == 1 else ""


def _when(text: str) -> str | None:
    """A booking time as ISO text with its offset (a time without one is read as UTC)."""
    for parse in (
        datetime.fromisoformat,
        lambda t: datetime.strptime(t, "%d/%m/%Y %H:%M:%S"),
        lambda t: datetime.strptime(t, "%d/%m/%Y %H:%M"),
        lambda t: datetime.strptime(t, "%d/%m/%Y"),
    ):
        try:
            found = parse(text)
        except ValueError:
            continue
        return (found if found.tzinfo else found.replace(tzinfo=UTC)).isoformat()
    return None


def _unknown_status(file: str, line: int, mapping: Mapping, value: str) -> Problem:
    known = sorted({k for k in mapping.statuses if k not in BOOKING_STATUSES})
    return Problem(
        rule="value",
        file=file,
        line=line,
        field=mapping.status,
        value=value,
        message=f"{value!r} is not a status this mapping knows" if value else "the status is empty",
        fix=f"use one of {', '.join(known)}, or map it: --map 'statuses.{value or 'Status'}=confirmed'",
    )


def _bad_time(file: str, line: int, column: str, value: str) -> Problem:
    return Problem(
        rule="value",
        file=file,
        line=line,
        field=column,
        value=value,
        message=f"{value!r} is not a date and time",
        fix="give it as 2026-03-02 09:30:00 (with its UTC offset where known) or 02/03/2026 09:30",
    )


def _warnings(
    file: str, unplaced: dict[str, int], checked_in: list[int], key: tuple[str, str], sessions: int
) -> list[Problem]:
    found = [
        Problem(
            rule="organisation",
            severity="warning",
            file=file,
            line=line,
            field="organisation",
            value=name,
            message=f"{name!r} is not the name of one provider techforce knows: the UKPRN is left empty",
            fix="load the providers (techforce workforce providers FILE), or map a UKPRN column",
        )
        for name, line in unplaced.items()
    ]
    if checked_in:
        found.append(
            Problem(
                rule="checked-in",
                severity="warning",
                file=file,
                line=checked_in[0],
                message=f"{len(checked_in)} checked in, but cohort {key[1]!r} has {sessions} sessions, not one: "
                "no attendance was recorded",
                fix="mark the register of each session (attendance.csv or the register page)",
            )
        )
    return found
