"""Validation problems: each names file, line or element path, field, value, rule and fix."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from techforce import errors

Severity = Literal["error", "warning"]
COLUMNS = ("severity", "rule", "file", "line", "path", "field", "value", "message", "fix")


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One problem found in the input; a whole-file problem leaves line, path, field and
    value at their defaults."""

    rule: str
    file: str
    message: str
    fix: str
    severity: Severity = "error"
    line: int | None = None
    path: str = ""
    field: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, object]:
        found = asdict(self)
        return {name: found[name] for name in COLUMNS}

    def describe(self) -> str:
        where = f"{self.file}"
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f" {self.path}"
        value = f" = {self.value!r}" if self.value else ""
        return f"{where}: {self.field}{value}: {self.message} [{self.rule}] Fix: {self.fix}"


class InputError(errors.Invalid):
    """Bad input: nothing was written. Carries the problems found: every one, or for a rule
    broken by very many rows the first of them; ``error_count`` is the true number of errors
    (every row that breaks a rule) and ``listed_errors`` how many are listed."""

    def __init__(
        self, problems: list[Problem], *, error_count: int | None = None, listed_errors: int | None = None
    ) -> None:
        found = [p for p in problems if p.severity == "error"]
        self.listed_errors = len(found) if listed_errors is None else listed_errors
        self.error_count = max(self.listed_errors, len(found) if error_count is None else error_count)
        first = found[0].describe() if found else "unknown problem"
        super().__init__(f"{first}{self._more()}; nothing was written", problems)

    def _more(self) -> str:
        if self.error_count <= 1:
            return ""
        listed = f"; first {self.listed_errors:,} listed" if self.listed_errors < self.error_count else ""
        return f" (and {self.error_count - 1:,} more errors{listed})"

    def summary(self) -> str:
        """The true error count and, when not all are listed, how many are."""
        count = f"{self.error_count:,} error{'s' if self.error_count != 1 else ''}"
        if self.listed_errors < self.error_count:
            count += f" (first {self.listed_errors:,} listed)"
        return count


REPORT_SUFFIXES = (".csv", ".json")


def report_path_problem(path: Path) -> str | None:
    """Why a report cannot be written to ``path`` (checked before any work), or None."""
    if path.suffix.lower() not in REPORT_SUFFIXES:
        return f"the report file must end in .csv or .json, not {path.name!r}"
    parent = path.parent
    if not parent.is_dir():
        return f"the report's folder {str(parent)!r} does not exist; create it or choose another path"
    if path.is_dir():
        return f"{str(path)!r} is a folder; give a file name ending in .csv or .json"
    return None


def write_report(problems: list[Problem], path: Path) -> None:
    """Write every problem to a .csv or .json report."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps([p.as_dict() for p in problems], indent=2), encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(p.as_dict() for p in problems)
    else:
        raise ValueError(f"report file must end in .csv or .json, not {path.name!r}")
