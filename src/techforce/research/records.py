"""The records research analysis works on, and the table every analysis returns.

The study's service reads cases, codes and coded segments from the store and hands them to
the pure functions in :mod:`techforce.research.analysis`, :mod:`~techforce.research.quotes`
and :mod:`~techforce.research.survey_tables`; nothing here touches a database. A
:class:`Table` has ``columns`` and ``rows`` of plain values, so the web pages (HTML and JSON),
the CLI and the exports (:mod:`techforce.research.export`) all show the same thing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from techforce.errors import Invalid

Value = str | int | float | None
BUILT_IN = ("participant_type", "institution")


@dataclass(frozen=True)
class CaseRecord:
    """One participant (case) of a study, with their consents.

    ``may_quote``: their words may be quoted in outputs; ``may_archive``: their data may go
    to an archive; ``may_name``: they agreed to be named instead of shown by pseudonym."""

    id: int
    pseudonym: str
    participant_type: str
    institution: str
    attributes: Mapping[str, str]
    may_quote: bool
    may_archive: bool
    may_name: bool


@dataclass(frozen=True)
class SegmentRecord:
    """One coded segment: ``text`` is ``source[start:end]`` (code points, end exclusive),
    coded with ``code_id`` (its path in the codebook, root first) by ``coder``. ``case_id``
    is None when the source is not linked to a case (e.g. a field note)."""

    id: int
    source_id: int
    source_name: str
    case_id: int | None
    code_id: int
    code_path: tuple[str, ...]
    start: int
    end: int
    text: str
    coder: str


@dataclass(frozen=True)
class CodeRecord:
    """A code of the codebook, so that codes nobody has used yet still get a row."""

    id: int
    path: tuple[str, ...]

    @property
    def label(self) -> str:
        return code_label(self.path)


@dataclass(frozen=True)
class Table:
    """A result as ``columns`` and ``rows`` of plain values, with ``notes`` that say how to
    read it (what was left out and why). ``as_dict`` is the JSON twin of the HTML table."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    notes: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, Value]]:
        """Rows as dicts keyed by column (columns are unique by construction)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "notes": list(self.notes),
        }


def code_label(path: Sequence[str]) -> str:
    """A code's path as people read it: ``Careers > Promotion``."""
    return " > ".join(path)


def attribute_names(cases: Iterable[CaseRecord]) -> list[str]:
    """The attributes a study's cases can be grouped or described by: the built-in fields,
    then every free attribute any case has, sorted."""
    free = sorted({name for c in cases for name in c.attributes} - set(BUILT_IN))
    return [*BUILT_IN, *free]


def check_attribute(name: str, cases: Sequence[CaseRecord], *, extra: Sequence[str] = ()) -> None:
    """Invalid unless ``name`` is a built-in field, a free attribute of some case, or one of
    ``extra``; the message lists the choices."""
    choices = [*extra, *attribute_names(cases)]
    if name not in choices:
        raise Invalid(
            f"There is no participant attribute {name!r} in this study; choose one of: {', '.join(choices)}.",
            [{"field": "by", "value": name, "choices": choices}],
        )


def attribute_value(case: CaseRecord, name: str) -> str:
    """The case's value of a built-in field or free attribute ('' when not recorded)."""
    if name == "participant_type":
        return case.participant_type
    if name == "institution":
        return case.institution
    return case.attributes.get(name, "")


def unique_columns(names: Iterable[str]) -> tuple[str, ...]:
    """Column names made unique (a repeat gets `` (2)``, `` (3)``...), so rows as dicts,
    CSV and JSON never lose a column."""
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate.casefold())
        out.append(candidate)
    return tuple(out)
