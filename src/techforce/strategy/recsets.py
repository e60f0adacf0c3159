"""Recommendation sets as data: a report's recommendations (the Strategic Technical Leadership
report's six, the TALENT Commission's sixteen) or a set a user imports from CSV or YAML, each
recommendation with its addressees, theme and Technician Commitment pillars.

The shipped sets are versioned YAML files in ``strategy/data`` with their sources; every set
must satisfy ``data/recommendation-set.schema.json``. Imports are checked in full before
anything is returned: every problem found (file, row, field and the fix) is raised together as
one :class:`techforce.errors.Invalid`, so a user fixes a file in one go. A YAML file is read with
PyYAML's safe loader (plain data only), without aliases, and within size limits, so a crafted
file cannot run code or exhaust memory. CSV written here neutralises formula cells and reads
back to the same set."""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources
from typing import Any, ClassVar

import yaml  # type: ignore[import-untyped, unused-ignore]

from techforce import errors
from techforce.present.tables import FORMULA_START
from techforce.present.tables import to_csv as table_csv
from techforce.strategy import recset_checks as checks
from techforce.strategy.records import ADDRESSEES, PILLARS
from techforce.strategy.recset_checks import Place, Problem, Problems

__all__ = [
    "ADDRESSEES",
    "CSV_COLUMNS",
    "PILLARS",
    "Problem",
    "Recommendation",
    "RecommendationSet",
    "Source",
    "as_dict",
    "read_csv",
    "read_yaml",
    "schema",
    "shipped",
    "shipped_set",
    "to_csv",
    "to_yaml",
]

CSV_COLUMNS = ("code", "title", "text", "addressees", "theme", "pillars")
SET_FIELDS = (
    "id",
    "version",
    "title",
    "publisher",
    "published",
    "source",
    "wording",
    "note",
    "recommendations",
)
MAX_BYTES = 2 * 1024 * 1024
MAX_RECOMMENDATIONS = 500
SHIPPED = ("stl-2024.yaml", "talent-commission-2022.yaml")
SCHEMA_FILE = "recommendation-set.schema.json"


@dataclass(frozen=True)
class Source:
    """Where a set comes from: a citation, and the address of the report when it is known."""

    citation: str
    url: str = ""


@dataclass(frozen=True)
class Recommendation:
    """One recommendation; ``code`` is unique in its set (compared without case)."""

    code: str
    title: str
    text: str
    addressees: tuple[str, ...]
    theme: str
    pillars: tuple[str, ...]


@dataclass(frozen=True)
class RecommendationSet:
    """A versioned set of recommendations; ``wording`` says whether the texts are the source's
    own words (``verbatim``) or a ``paraphrase``; ``note`` says what a reader should know."""

    id: str
    version: int
    title: str
    publisher: str
    published: date
    source: Source
    recommendations: tuple[Recommendation, ...]
    wording: str = ""
    note: str = ""

    def recommendation(self, code: str) -> Recommendation:
        """The recommendation with this code (any case); NotFound names the codes there are."""
        for rec in self.recommendations:
            if rec.code.casefold() == code.casefold():
                return rec
        codes = ", ".join(r.code for r in self.recommendations)
        raise errors.NotFound(
            f"{self.id} v{self.version} has no recommendation {code!r}; its codes are {codes}"
        )


# ---------------------------------------------------------------- reading


def _decode(data: bytes, p: Problems) -> str:
    if len(data) > MAX_BYTES:
        raise p.fail(
            f"the file is {len(data):,} bytes, over the limit of {MAX_BYTES:,}",
            f"split it into sets of at most {MAX_RECOMMENDATIONS} recommendations",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise p.fail(
            f"the file is not UTF-8 text (byte {exc.start} cannot be read)",
            "save it as UTF-8 (in a spreadsheet: CSV UTF-8)",
        ) from None


def _recommendation(raw: Mapping[Any, Any], at: Place) -> Recommendation:
    at.unknown(raw, CSV_COLUMNS, "a recommendation")
    return Recommendation(
        code=at.code(raw.get("code")),
        title=at.text(raw.get("title"), "title"),
        text=at.text(raw.get("text"), "text"),
        addressees=at.terms(raw.get("addressees"), "addressees", ADDRESSEES),
        theme=at.text(raw.get("theme"), "theme", required=False),
        pillars=at.terms(raw.get("pillars"), "pillars", PILLARS),
    )


def _finish(
    doc: Mapping[str, Any], recs: list[tuple[Place, Recommendation]], p: Problems
) -> RecommendationSet:
    """The set, once the set's own fields are checked too; every problem raised at once."""
    checks.unique_codes((at, rec.code) for at, rec in recs)
    at = p.at()
    citation, url = checks.source(doc.get("source"), at)
    result = RecommendationSet(
        id=checks.slug(doc.get("id"), at),
        version=checks.version(doc.get("version"), at),
        title=at.text(doc.get("title"), "title"),
        publisher=at.text(doc.get("publisher"), "publisher"),
        published=checks.published(doc.get("published"), at),
        source=Source(citation=citation, url=url),
        recommendations=tuple(rec for _, rec in recs),
        wording=checks.wording(doc.get("wording"), at),
        note=at.text(doc.get("note"), "note", required=False),
    )
    p.raise_if_any()
    return result


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (plain data, never Python objects) that refuses aliases, so a
    crafted file cannot make a small document expand into a huge one, and that keeps dates as
    text, so an impossible date is reported with its field rather than as a parser crash."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(f"line {mark.line + 1}: aliases (*name) are not allowed")
        return super().compose_node(parent, index)


def _parse_yaml(text: str, p: Problems) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (_Loader is a SafeLoader)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise p.fail(
            f"the file is not valid YAML ({first})",
            "fix the YAML syntax; write each value out in full, without anchors and aliases",
        ) from None
    except RecursionError:
        raise p.fail(
            "the YAML is nested too deeply", "a set is a mapping with one list of recommendations"
        ) from None


def read_yaml(data: bytes, name: str) -> RecommendationSet:
    """A recommendation set from a YAML file (the format of the shipped sets and of
    :func:`to_yaml`); every problem is raised at once as Invalid, recommendations counted
    from 1."""
    p = Problems(name)
    doc = _parse_yaml(_decode(data, p), p)
    if not isinstance(doc, dict):
        raise p.fail(
            "the file does not hold a recommendation set", f"write a mapping with {', '.join(SET_FIELDS)}"
        )
    p.at().unknown(doc, SET_FIELDS, "a recommendation set")
    raw_recs = doc.get("recommendations")
    if not isinstance(raw_recs, list) or not raw_recs:
        p.at().add(
            "recommendations",
            "is missing, empty or not a list",
            "list the recommendations under recommendations:",
        )
        raw_recs = []
    if len(raw_recs) > MAX_RECOMMENDATIONS:
        raise p.fail(
            f"has {len(raw_recs)} recommendations, over the limit of {MAX_RECOMMENDATIONS}",
            "split the set into smaller sets",
            "recommendations",
        )
    recs: list[tuple[Place, Recommendation]] = []
    for index, raw in enumerate(raw_recs, start=1):
        at = p.at(f"recommendation {index}", index)
        if isinstance(raw, dict):
            recs.append((at, _recommendation(raw, at)))
        else:
            at.add("recommendations", "is not a mapping", "give each recommendation code:, title:, text:, …")
    return _finish(doc, recs, p)


def _risky(value: str) -> bool:
    return value.startswith(FORMULA_START) or (value.startswith("'") and value[1:2] in ("'", *FORMULA_START))


def _escape(value: str) -> str:
    """A cell as written: a quote in front where a spreadsheet could read a formula (and in
    front of text that already starts with such a quote, so that reading it back is exact)."""
    return "'" + value if value and _risky(value) else value


def _unescape(value: str) -> str:
    """A cell as read: the quote that :func:`_escape` put in front removed."""
    return value[1:] if value.startswith("'") and _risky(value[1:]) else value


def _csv_rows(text: str, p: Problems) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) for each non-blank row; a bad header stops here."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().casefold() for h in next(reader, [])]
        rows = [(number, row) for number, row in enumerate(reader, start=2) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise p.fail(
            f"the CSV cannot be read ({exc})", "save the file again as CSV (comma separated, UTF-8)"
        ) from None
    first = p.at("row 1", 1)
    first.unknown(header, CSV_COLUMNS, "the CSV (a column)")
    for column in CSV_COLUMNS:
        if column not in header:
            first.add(column, "column is missing", f"use the header {','.join(CSV_COLUMNS)}")
    if len(rows) > MAX_RECOMMENDATIONS:
        p.at().add(
            "recommendations", f"{len(rows)} rows, over the limit of {MAX_RECOMMENDATIONS}", "split the set"
        )
    if not rows:
        p.at().add(
            "recommendations", "the file has no rows", "add one row per recommendation below the header"
        )
    p.raise_if_any()
    found: list[tuple[int, dict[str, str]]] = []
    for number, row in rows:
        if len(row) != len(header):
            at = p.at(f"row {number}", number)
            at.add(
                "",
                f"has {len(row)} cells where the header has {len(header)}",
                "quote cells that hold commas and close every quote",
            )
            continue
        found.append((number, {h: _unescape(c) for h, c in zip(header, row, strict=True)}))
    return found


def read_csv(
    data: bytes,
    name: str,
    *,
    set_id: str,
    title: str,
    publisher: str,
    published: date | str,
    version: int | str = 1,
    citation: str = "",
    url: str = "",
    wording: str = "",
    note: str = "",
) -> RecommendationSet:
    """A recommendation set from CSV with the columns code,title,text,addressees,theme,pillars
    (lists separated by ';'; the format :func:`to_csv` writes); the set's own fields are given
    by the caller (a form). Every problem is raised at once as Invalid, rows numbered as a
    spreadsheet shows them (the header is row 1)."""
    p = Problems(name)
    rows = _csv_rows(_decode(data, p), p)
    recs = [(p.at(f"row {n}", n), row) for n, row in rows]
    doc = {
        "id": set_id,
        "version": version,
        "title": title,
        "publisher": publisher,
        "published": published,
        "source": {"citation": citation, "url": url},
        "wording": wording,
        "note": note,
    }
    return _finish(doc, [(at, _recommendation(row, at)) for at, row in recs], p)


# ---------------------------------------------------------------- writing


def as_dict(rs: RecommendationSet) -> dict[str, Any]:
    """The set as plain data in the shipped files' shape (it satisfies :func:`schema`)."""
    source = {"citation": rs.source.citation, **({"url": rs.source.url} if rs.source.url else {})}
    found: dict[str, Any] = {
        "id": rs.id,
        "version": rs.version,
        "title": rs.title,
        "publisher": rs.publisher,
        "published": rs.published.isoformat(),
        "source": source,
    }
    if rs.wording:
        found["wording"] = rs.wording
    if rs.note:
        found["note"] = rs.note
    found["recommendations"] = [
        {**asdict(r), "addressees": list(r.addressees), "pillars": list(r.pillars)}
        for r in rs.recommendations
    ]
    return found


def to_yaml(rs: RecommendationSet) -> str:
    """The set as YAML that :func:`read_yaml` reads back to the same set."""
    text: str = yaml.safe_dump(as_dict(rs), sort_keys=False, allow_unicode=True, width=100)
    return text


def to_csv(rs: RecommendationSet) -> str:
    """The recommendations as CSV (the import format); cells a spreadsheet would run as a
    formula are guarded with a leading quote, which :func:`read_csv` removes again."""
    rows = [
        {
            "code": _escape(r.code),
            "title": _escape(r.title),
            "text": _escape(r.text),
            "addressees": ";".join(r.addressees),
            "theme": _escape(r.theme),
            "pillars": ";".join(r.pillars),
        }
        for r in rs.recommendations
    ]
    return table_csv(rows) if rows else ",".join(CSV_COLUMNS) + "\r\n"


# ---------------------------------------------------------------- shipped sets


def _data(file: str) -> bytes:
    return resources.files("techforce.strategy").joinpath("data", file).read_bytes()


@functools.cache
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a recommendation set as :func:`as_dict` writes it."""
    found: dict[str, Any] = json.loads(_data(SCHEMA_FILE))
    return found


@functools.cache
def _shipped() -> tuple[RecommendationSet, ...]:
    return tuple(read_yaml(_data(file), f"techforce/strategy/data/{file}") for file in SHIPPED)


def shipped() -> list[RecommendationSet]:
    """The recommendation sets that come with techforce, newest report first."""
    return sorted(_shipped(), key=lambda rs: rs.published, reverse=True)


def shipped_set(set_id: str) -> RecommendationSet:
    """One shipped set by its id; NotFound names the ids there are."""
    for rs in _shipped():
        if rs.id == set_id:
            return rs
    ids = ", ".join(r.id for r in _shipped())
    raise errors.NotFound(f"no recommendation set {set_id!r}; the shipped sets are {ids}")
