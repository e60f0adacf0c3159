"""Cell values of the programmes exchange: parsing typed cells (whole numbers, pounds, yes/no,
lists, dates, times with their offset), checking a record against the service's own input
models, and the fix that each column's problems name."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from techforce.programmes.exchange_io import Row

M = TypeVar("M", bound=BaseModel)

BOOKING_STATUSES = ("confirmed", "waitlisted", "applied", "cancelled", "declined")
TIME_EXAMPLE = "2026-03-02T09:30:00+00:00"
FIX = {
    "slug": "use lower-case letters, digits and hyphens (for example soldering-basics)",
    "programme": "give the slug of a programme in programmes.csv or already held",
    "cohort": "give the name of a cohort in cohorts.csv or already held",
    "title": "give a title of at most 200 characters",
    "kind": "use cohort, executive, workshop or course",
    "sessions.kind": "give a kind of session of at most 30 characters (for example session, workshop)",
    "capacity": "give a whole number of places from 1 to 100000",
    "cost_gbp": "give pounds with at most two decimals, for example 1500.00",
    "pillars": "separate them with '; ' and use visibility, recognition, career-development or sustainability",
    "selective": "write yes or no",
    "requires_project": "write yes or no",
    "min_attendance_pct": "give a whole number from 0 to 100",
    "managers": "give user names separated by '; '",
    "starts_on": "give the date as YYYY-MM-DD (or DD/MM/YYYY)",
    "ends_on": "give the last day on or after the first, as YYYY-MM-DD (or DD/MM/YYYY)",
    "starts_at": f"give the date and time with its UTC offset, for example {TIME_EXAMPLE}",
    "ends_at": f"give an end after the start, with its UTC offset, for example {TIME_EXAMPLE}",
    "queued_at": f"give the date and time with its UTC offset, for example {TIME_EXAMPLE}, or leave it empty",
    "mode": "use in-person or online",
    "uid": "give at most 64 characters, or leave it empty to add a new session",
    "email": "give an e-mail address such as name@example.ac.uk",
    "name": "give the person's name (at most 200 characters)",
    "ukprn": "give the 8-digit UKPRN, starting with 1, or leave it empty",
    "status": "use " + ", ".join(BOOKING_STATUSES),
    "attendance.status": "use present, absent or excused",
    "statement": "shorten it to at most 10,000 characters",
    "decision_reason": "shorten it to at most 2,000 characters",
}
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0", ""}
MONEY = re.compile(r"^£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


class Bad(Exception):
    """A row's problem: the field, what is wrong and the fix."""

    def __init__(self, field: str, message: str, fix: str | None = None, *, rule: str = "value") -> None:
        super().__init__(message)
        self.field, self.message, self.rule = field, message, rule
        self.fix = fix or FIX.get(field, "correct the value")


def fix_for(table: str, field: str) -> str:
    return FIX.get(f"{table}.{field}") or FIX.get(field, "correct the value")


def required(row: Row, column: str, what: str) -> str:
    value = row.get(column)
    if not value:
        raise Bad(column, f"{column} is empty", f"give the {what}", rule="required")
    return value


def whole(row: Row, column: str) -> int | None:
    text = row.get(column).replace(",", "")
    if not text:
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise Bad(column, f"{column} is not a whole number")
    return int(text)


def pence(row: Row, column: str) -> int:
    text = row.get(column).replace(" ", "")
    if not text:
        return 0
    if not MONEY.match(text):
        raise Bad(column, f"{column} is not an amount in pounds")
    try:
        return int(Decimal(text.lstrip("£").replace(",", "")) * 100)
    except InvalidOperation:
        raise Bad(column, f"{column} is not an amount in pounds") from None


def pounds(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


def yes_no(row: Row, column: str) -> bool:
    text = row.get(column).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise Bad(column, f"{column} is neither yes nor no")


def listed(row: Row, column: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in row.get(column).split(";") if p.strip()))


def day(row: Row, column: str) -> date | None:
    text = row.get(column)
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise Bad(column, f"{column} is not a date")


def moment(row: Row, column: str) -> datetime | None:
    """A date and time with its UTC offset, as UTC."""
    text = row.get(column)
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise Bad(column, f"{column} is not a date and time") from None
    if found.tzinfo is None:
        raise Bad(column, f"{column} has no UTC offset")
    return found.astimezone(UTC)


def utc(value: datetime) -> datetime:
    """A stored time as UTC (SQLite gives times back without their zone; they are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def checked(model: type[M], values: dict[str, Any], *, table: str, whole_field: str, what: str) -> M:
    """``values`` checked by the service's input model: the first problem as Bad, named by
    its column (``whole_field`` for a rule about the whole record)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else whole_field
        field = {"cost_pence": "cost_gbp", "name": "cohort" if table == "cohorts" else "name"}.get(
            field, field
        )
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "missing":
            message = f"{field} is empty: a new {what} needs one"
        elif field in values and first["loc"]:
            message = f"{field}: {message}"
        raise Bad(field, message, fix_for(table, field)) from None
