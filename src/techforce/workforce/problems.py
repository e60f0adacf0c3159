"""Validation problems: each names file, line or element path, field, value, rule and fix."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]
COLUMNS = ("severity", "rule", "file", "line", "path", "field", "value", "message", "fix")


@dataclass(frozen=True)
class Problem:
    severity: Severity
    rule: str
    file: str
    line: int | None
    path: str
    field: str
    value: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        where = f"{self.file}"
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f" {self.path}"
        value = f" = {self.value!r}" if self.value else ""
        return f"{where}: {self.field}{value}: {self.message} [{self.rule}] Fix: {self.fix}"


class InputError(Exception):
    """Bad input: nothing was written. Carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0].describe() if errors else "unknown problem"
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}; nothing was written")


def write_report(problems: list[Problem], path: Path) -> None:
    """Write every problem to a .csv or .json report."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps([asdict(p) for p in problems], indent=2), encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(asdict(p) for p in problems)
    else:
        raise ValueError(f"report file must end in .csv or .json, not {path.name!r}")
