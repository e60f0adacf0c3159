"""REFI-QDA (QDA-XML 1.0) exchange: a coded qualitative project and its codebook as plain,
typed data, so that researchers can move work between techforce and QDA tools (QualCoder,
ATLAS.ti, MAXQDA, NVivo) without losing codes, codings or memos.

This module holds the data (frozen dataclasses the store maps to and from), the codebook
file (.qdc, a ``CodeBook`` root in ``urn:QDA-XML:codebook:1.0``), the codebook as CSV for
spreadsheets, and the XML helpers shared with :mod:`techforce.research.qdpx` (the whole
project as a .qdpx archive). Nothing here touches the database.

The standard's ``Code`` has a single ``Description``. We keep a code's definition, inclusion
and exclusion criteria and examples in it as labelled sections::

    Definition: what the code means
    Include: when to apply it
    Exclude: when not to
    Examples: "a quotation"

A description from another tool without these labels becomes the definition. A code with
only a definition is written as plain text, so other tools show it as it is.

GUIDs are read in their canonical form (lower case, no braces), which is the same GUID.
XML files are parsed without DTDs, entities or network access, and any DOCTYPE is refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from lxml import etree

from techforce.errors import Invalid, Refused
from techforce.present.tables import FORMULA_START, to_csv
from techforce.research.refi_xml import (
    CODEBOOK_NS,
    PROJECT_NS,
    Problems,
    canonical_color,
    canonical_guid,
    check_root,
    child_text,
    children,
    new_guid,
    parse_xml,
    sub,
    text_child,
    validate,
    xml_text,
)

MAX_XML_BYTES = 50 * 1024 * 1024
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 20_000

VariableType = Literal["Text", "Boolean", "Integer", "Float", "Date", "DateTime"]
VARIABLE_TYPES: tuple[VariableType, ...] = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
VariableValue = str | bool | int | float | date | datetime


@dataclass(frozen=True)
class User:
    """Someone who made codes, codings or notes in the project."""

    guid: str
    name: str = ""


@dataclass(frozen=True)
class Code:
    """A code and its sub-codes; ``color`` is ``#rrggbb`` or None."""

    guid: str
    name: str
    color: str | None = None
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: str = ""
    is_codable: bool = True
    children: tuple[Code, ...] = ()
    note_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coding:
    """One code applied to a selection (the standard's ``Coding`` with its ``CodeRef``)."""

    guid: str
    code_guid: str
    creating_user: str | None = None
    created: datetime | None = None


@dataclass(frozen=True)
class Selection:
    """A span of a text source: ``text[start:end]``, counted in Unicode code points."""

    guid: str
    start: int
    end: int
    name: str = ""
    creating_user: str | None = None
    created: datetime | None = None
    codings: tuple[Coding, ...] = ()
    note_refs: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class TextSource:
    """A plain-text document (a transcript, say) with its coded selections."""

    guid: str
    name: str
    text: str
    selections: tuple[Selection, ...] = ()
    creating_user: str | None = None
    created: datetime | None = None
    note_refs: tuple[str, ...] = ()
    description: str = ""
    values: Mapping[str, VariableValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Variable:
    """An attribute of cases or sources (age band, site...)."""

    guid: str
    name: str
    type_of_variable: VariableType = "Text"
    description: str = ""


@dataclass(frozen=True)
class Case:
    """A case (a participant, a site) with its variable values and sources."""

    guid: str
    name: str = ""
    description: str = ""
    values: Mapping[str, VariableValue] = field(default_factory=dict)
    source_guids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A memo: plain text, referred to from codes, sources, selections or the project."""

    guid: str
    name: str
    text: str
    creating_user: str | None = None
    created: datetime | None = None


@dataclass(frozen=True)
class Project:
    """A whole QDA project; ``warnings`` says what an import left out (sets, graphs...)."""

    name: str
    origin: str = ""
    users: tuple[User, ...] = ()
    codes: tuple[Code, ...] = ()
    sources: tuple[TextSource, ...] = ()
    cases: tuple[Case, ...] = ()
    variables: tuple[Variable, ...] = ()
    notes: tuple[Note, ...] = ()
    created_by: str | None = None
    created: datetime | None = None
    description: str = ""
    note_refs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def walk_codes(
    codes: Iterable[Code], parents: tuple[Code, ...] = ()
) -> Iterator[tuple[tuple[Code, ...], Code]]:
    """Every code, depth first, with its ancestors (outermost first)."""
    for code in codes:
        yield parents, code
        yield from walk_codes(code.children, (*parents, code))


# ---------------------------------------------------------------- code descriptions

_LABELS = (
    ("definition", "Definition"),
    ("inclusion", "Include"),
    ("exclusion", "Exclude"),
    ("examples", "Examples"),
)
_READ_LABELS = {
    "definition": "definition",
    "include": "inclusion",
    "inclusion": "inclusion",
    "exclude": "exclusion",
    "exclusion": "exclusion",
    "example": "examples",
    "examples": "examples",
}
_LABEL_LINE = re.compile(
    r"(definition|include|inclusion|exclude|exclusion|examples?)\s*:[ \t]?(.*)", re.I | re.S
)


def describe_code(code: Code) -> str:
    """The ``Description`` text for a code: its definition alone when that is all it has,
    else labelled sections (continuation lines that look like a label are escaped with ``\\``)."""
    parts = {key: getattr(code, key) for key, _ in _LABELS}
    first_line = next((line for line in code.definition.split("\n") if line.strip()), "")
    others = any(parts[key] for key in ("inclusion", "exclusion", "examples"))
    if not others and not _LABEL_LINE.match(first_line):
        return code.definition
    sections = []
    for key, label in _LABELS:
        if not parts[key]:
            continue
        head, *rest = parts[key].split("\n")
        escaped = ["\\" + line if _LABEL_LINE.match(line) or line.startswith("\\") else line for line in rest]
        sections.append("\n".join([f"{label}: {head}", *escaped]))
    return "\n\n".join(sections)


def parse_description(text: str) -> dict[str, str]:
    """Definition, inclusion, exclusion and examples from a ``Description``."""
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    if not _LABEL_LINE.match(first.strip()):
        return {"definition": text.strip(), "inclusion": "", "exclusion": "", "examples": ""}
    found: dict[str, list[str]] = {"definition": [], "inclusion": [], "exclusion": [], "examples": []}
    current: list[str] | None = None
    for line in lines:
        label = _LABEL_LINE.match(line.strip()) if not line.startswith("\\") else None
        if label:
            current = found[_READ_LABELS[label.group(1).lower()]]
            if current:
                current.append("")
            current.append(label.group(2))
        elif current is not None:
            current.append(line[1:] if line.startswith("\\") else line)
    return {key: "\n".join(value).strip() for key, value in found.items()}


# ---------------------------------------------------------------- codes as XML


def write_code(parent: etree._Element, ns: str, code: Code) -> None:
    """A ``Code`` element (and its sub-codes); note references only in a project."""
    element = sub(
        parent,
        ns,
        "Code",
        {
            "guid": code.guid,
            "name": code.name,
            "isCodable": "true" if code.is_codable else "false",
            "color": code.color,
        },
    )
    text_child(element, ns, "Description", describe_code(code))
    if ns == PROJECT_NS:
        for ref in code.note_refs:
            sub(element, ns, "NoteRef", {"targetGUID": ref})
    for child in code.children:
        write_code(element, ns, child)


def read_code(element: etree._Element, ns: str, problems: Problems) -> Code:
    """A ``Code`` element as a Code; what is wrong goes to ``problems``."""
    name = element.get("name")
    guid = canonical_guid(element.get("guid"))
    where = f"Code {name!r}" if name else f"Code on line {element.sourceline}"
    if guid is None:
        problems.add(where, "guid", f"{element.get('guid')!r} is not a GUID", "give every code a GUID")
    if not name:
        problems.add(where, "name", "the code has no name", "name the code in the QDA tool and export again")
    color = element.get("color")
    if color is not None and canonical_color(color) is None:
        problems.add(where, "color", f"{color!r} is not a colour", "use #rrggbb or leave the colour out")
    codable = (element.get("isCodable") or "true").strip().lower() not in ("false", "0")
    described = parse_description(child_text(element, ns, "Description"))
    return Code(
        guid=guid or "",
        name=name or "",
        color=canonical_color(color),
        is_codable=codable,
        children=tuple(read_code(c, ns, problems) for c in children(element, ns, "Code")),
        note_refs=tuple(read_refs(element, ns, "NoteRef", problems, where)),
        **described,
    )


def read_refs(element: etree._Element, ns: str, tag: str, problems: Problems, where: str) -> list[str]:
    """The target GUIDs of ``tag`` children (NoteRef, SourceRef...)."""
    found = []
    for ref in children(element, ns, tag):
        guid = canonical_guid(ref.get("targetGUID"))
        if guid is None:
            problems.add(
                where, f"{tag} targetGUID", f"{ref.get('targetGUID')!r} is not a GUID", "refer by GUID"
            )
        else:
            found.append(guid)
    return found


# ---------------------------------------------------------------- codebook (.qdc)


def write_codebook(codes: Iterable[Code], *, origin: str) -> bytes:
    """The codes as a REFI-QDA codebook (.qdc, UTF-8 XML), valid against Codebook.xsd."""
    namespaces: Any = {None: CODEBOOK_NS}
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": xml_text(origin)}, nsmap=namespaces)
    holder = sub(root, CODEBOOK_NS, "Codes")
    for code in codes:
        write_code(holder, CODEBOOK_NS, code)
    if not len(holder):
        raise Invalid("The codebook has no codes; the standard needs at least one. Fix: add a code first.")
    errors = validate(root, "Codebook")
    if errors:
        raise Invalid(f"The codebook does not meet the REFI-QDA schema ({errors[0]}); nothing was exported.")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_codebook(data: bytes, filename: str, *, max_bytes: int = MAX_XML_BYTES) -> tuple[Code, ...]:
    """Codes from a REFI-QDA codebook (.qdc); a project.qde's codebook is read too.
    Refuses DOCTYPEs, other roots, codes without GUID or name, duplicate GUIDs."""
    if len(data) > max_bytes:
        raise Refused(f"{filename}: {len(data):,} bytes is more than {max_bytes:,}. Fix: split the codebook.")
    root = parse_xml(data, filename)
    problems = Problems(filename)
    if root.tag == f"{{{PROJECT_NS}}}Project":
        holder = root.find(f"{{{PROJECT_NS}}}CodeBook/{{{PROJECT_NS}}}Codes")
        ns = PROJECT_NS
    else:
        check_root(root, CODEBOOK_NS, "CodeBook", filename)
        holder = root.find(f"{{{CODEBOOK_NS}}}Codes")
        ns = CODEBOOK_NS
    codes = (
        tuple(read_code(c, ns, problems) for c in children(holder, ns, "Code")) if holder is not None else ()
    )
    if not codes:
        problems.add("CodeBook", "Codes", "the codebook has no codes", "export a codebook with codes in it")
    seen: set[str] = set()
    for _, code in walk_codes(codes):
        if code.guid and code.guid in seen:
            problems.add(
                f"Code {code.name!r}",
                "guid",
                f"GUID {code.guid} is used twice",
                "give each code its own GUID",
            )
        seen.add(code.guid)
    problems.raise_if_any()
    return codes


# ---------------------------------------------------------------- codebook as CSV

CSV_COLUMNS = (
    "path",
    "name",
    "colour",
    "definition",
    "inclusion",
    "exclusion",
    "examples",
    "codable",
    "guid",
)
_PATH_SEP = " / "


def codebook_csv(codes: Iterable[Code]) -> str:
    """The codebook as CSV, one code a row, parents first. ``path`` is the names from the
    top code down joined by `` / ``; formula-like cells are neutralised."""
    rows = []
    for parents, code in walk_codes(codes):
        rows.append(
            {
                "path": _PATH_SEP.join([p.name for p in parents] + [code.name]),
                "name": code.name,
                "colour": code.color or "",
                "definition": code.definition,
                "inclusion": code.inclusion,
                "exclusion": code.exclusion,
                "examples": code.examples,
                "codable": "yes" if code.is_codable else "no",
                "guid": code.guid,
            }
        )
    return to_csv(rows) if rows else ",".join(CSV_COLUMNS) + "\r\n"


def _cell(value: str | None) -> str:
    """A cell as written, without the quote that neutralised a formula on export."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_START:
        return text[1:]
    return text


@dataclass
class _Row:
    number: int
    path: str
    code: Code


def read_codebook_csv(data: bytes, filename: str) -> tuple[Code, ...]:
    """Codes from a codebook CSV (as :func:`codebook_csv` writes it; only ``name`` is
    required). A code's parent is the row whose path is its path without its own name.
    Every bad row is listed (row, field, fix); nothing is returned unless all are good."""
    if len(data) > MAX_CSV_BYTES:
        raise Refused(
            f"{filename}: the file is larger than {MAX_CSV_BYTES:,} bytes. Fix: split the codebook."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(f"{filename}: is not UTF-8 text. Fix: save it as 'CSV UTF-8'.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower().replace("color", "colour") for h in next(reader, [])]
    problems = Problems(filename)
    if "name" not in header:
        problems.add(
            "header", "name", "there is no 'name' column", f"use the columns {', '.join(CSV_COLUMNS)}", row=1
        )
        problems.raise_if_any()
    rows: list[_Row] = []
    for number, values in enumerate(reader, start=2):
        if number > MAX_CSV_ROWS + 1:
            raise Refused(f"{filename}: more than {MAX_CSV_ROWS:,} codes. Fix: split the codebook.")
        if not any(v.strip() for v in values):
            continue
        cells = {h: _cell(values[i]) if i < len(values) else "" for i, h in enumerate(header)}
        row = _csv_row(cells, number, problems)
        if row is not None:
            rows.append(row)
    codes = _build_tree(rows, problems)
    problems.raise_if_any()
    return codes


def _csv_row(cells: dict[str, str], number: int, problems: Problems) -> _Row | None:
    name = cells.get("name", "")
    if not name:
        problems.add("", "name", "the code has no name", "give every code a name", row=number)
        return None
    colour = cells.get("colour", "")
    if colour and canonical_color(colour) is None:
        problems.add(
            name, "colour", f"{colour!r} is not a colour", "use #rrggbb or leave it empty", row=number
        )
    guid = cells.get("guid", "")
    if guid and canonical_guid(guid) is None:
        problems.add(
            f"code {name!r}", "guid", f"{guid!r} is not a GUID", "leave it empty for a new GUID", row=number
        )
    codable = cells.get("codable", "").lower()
    if codable not in ("", "yes", "no", "true", "false", "1", "0"):
        problems.add(
            f"code {name!r}", "codable", f"{codable!r} is not yes or no", "write yes or no", row=number
        )
    path = cells.get("path", "") or name
    if path != name and not path.endswith(_PATH_SEP + name):
        problems.add(
            name, "path", f"the path {path!r} does not end with the name", "end it with ' / name'", row=number
        )
    code = Code(
        guid=canonical_guid(guid) or new_guid(),
        name=name,
        color=canonical_color(colour),
        definition=cells.get("definition", ""),
        inclusion=cells.get("inclusion", ""),
        exclusion=cells.get("exclusion", ""),
        examples=cells.get("examples", ""),
        is_codable=codable not in ("no", "false", "0"),
    )
    return _Row(number, path, code)


def _build_tree(rows: list[_Row], problems: Problems) -> tuple[Code, ...]:
    """The code tree from rows in any order: a row's parent is the row with its path
    minus its own name."""
    by_path: dict[str, _Row] = {}
    guids: set[str] = set()
    for row in rows:
        if row.path in by_path:
            problems.add(f"code {row.code.name!r}", "path", f"{row.path!r} is also on row {by_path[row.path].number}",
                         "give each code its own path", row=row.number)  # fmt: skip
            continue
        if row.code.guid in guids:
            problems.add(
                f"code {row.code.name!r}",
                "guid",
                "the GUID is used twice",
                "give each code its own GUID",
                row=row.number,
            )
        guids.add(row.code.guid)
        by_path[row.path] = row
    kids: dict[str, list[str]] = {}
    tops: list[str] = []
    for path, row in by_path.items():
        parent = path[: -len(_PATH_SEP + row.code.name)] if path != row.code.name else ""
        if parent and parent not in by_path:
            problems.add(f"code {row.code.name!r}", "path", f"no code has the path {parent!r}",
                         "add a row for the parent code", row=row.number)  # fmt: skip
        (kids.setdefault(parent, []) if parent else tops).append(path)

    def build(path: str) -> Code:
        row = by_path[path]
        sub_codes = tuple(build(p) for p in kids.get(path, []))
        return replace(row.code, children=sub_codes)

    return tuple(build(p) for p in tops)
