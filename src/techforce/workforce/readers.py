"""Readers for the two real shapes of a HESA Staff return.

* Submission XML: ``StaffRecord > Institution > Person > Contract > Activity``, fields as
  elements named by their HESA abbreviations (repeated fields repeat the element).
* Data-supply CSV tables: CORE PERSON / CORE CONTRACT / CORE ACTIVITY linked by PERSONKEY
  and CONTRACTKEY. The three files of one return sit in one folder; a file's role comes
  from its name (``*PERSON*``, ``*CONTRACT*``, ``*ACTIVITY*``).

Both are loaded, as text, into the same three DuckDB tables (``person_raw``,
``contract_raw``, ``activity_raw``) so that one set of vectorised SQL rules validates
everything. Every row keeps its file, line and (XML) element path for error messages.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from lxml import etree

from techforce.workforce.problems import InputError, Problem

PERSON_FIELDS = ("UKPRN", "RECID", "PERSONKEY", "STAFFID", "OWNSTAFFID", "BIRTHDTE", "SEXID",
                 "ETHNIC", "DISABLE")  # fmt: skip
CONTRACT_FIELDS = ("PERSONKEY", "CONTRACTKEY", "CONTID", "TERMS", "MOEMP", "ACEMPFUN", "LEVELS",
                   "CONFTE", "STARTCON", "ENDCON", "SALREF", "SPOINT")  # fmt: skip
ACTIVITY_FIELDS = ("CONTRACTKEY", "ACTIVITYKEY", "ACTSOC", "ACTSOC2020", "CCENTRE", "CCPROP")
META = ("_file", "_line", "_path", "_set")
TABLE_FIELDS = {"person": PERSON_FIELDS, "contract": CONTRACT_FIELDS, "activity": ACTIVITY_FIELDS}

# Columns a data-supply CSV table must have; the rest of its FIELDS are optional.
CSV_REQUIRED = {
    "person": ("UKPRN", "PERSONKEY", "STAFFID", "BIRTHDTE", "SEXID", "ETHNIC"),
    "contract": ("PERSONKEY", "CONTRACTKEY", "CONTID", "TERMS", "MOEMP", "CONFTE"),
    "activity": ("CONTRACTKEY", "CCENTRE", "CCPROP"),
}
DISABLE_SEPARATOR = ";"


def raw_schema(table: str) -> pa.Schema:
    return pa.schema(
        [("_file", pa.string()), ("_line", pa.int64()), ("_path", pa.string()),
         ("_set", pa.string())] + [(name, pa.string()) for name in TABLE_FIELDS[table]]
    )  # fmt: skip


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, fields in TABLE_FIELDS.items():
        columns = ", ".join(f'"{name}" VARCHAR' for name in fields)
        con.execute(
            f"CREATE TABLE {table}_raw (_file VARCHAR, _line BIGINT, _path VARCHAR, "
            f"_set VARCHAR, {columns})"
        )


def _problem(file: Path, line: int | None, rule: str, message: str, fix: str,
             *, path: str = "", fieldname: str = "", value: str = "",
             severity: str = "error") -> Problem:  # fmt: skip
    return Problem(severity, rule, str(file), line, path, fieldname, value, message, fix)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- XML


def _check_xml_prolog(path: Path) -> None:
    """Refuse DOCTYPE declarations outright (XXE, billion laughs) and empty files."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if not head.strip():
        raise InputError([_problem(path, None, "file.empty", "the file is empty",
                                   "export the Staff return again; the file has no content")])
    start = head.find(b"<StaffRecord")
    prolog = head if start < 0 else head[:start]
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        line = prolog[: prolog.upper().find(b"<!")].count(b"\n") + 1
        raise InputError([_problem(
            path, line, "xml.doctype",
            "the file declares a DOCTYPE or entities, which a HESA Staff return never has "
            "(refused: entity expansion and external entities are unsafe)",
            "remove the <!DOCTYPE ...> block and any <!ENTITY ...> declarations")])


@dataclass
class _XmlColumns:
    person: dict[str, list[object]] = field(default_factory=dict)
    contract: dict[str, list[object]] = field(default_factory=dict)
    activity: dict[str, list[object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table in ("person", "contract", "activity"):
            getattr(self, table).update({name: [] for name in META + TABLE_FIELDS[table]})

    def add(self, table: str, meta: tuple[object, ...], values: dict[str, str | None]) -> None:
        columns = getattr(self, table)
        for name, item in zip(META, meta, strict=True):
            columns[name].append(item)
        for name in TABLE_FIELDS[table]:
            columns[name].append(values.get(name))

    def to_arrow(self, table: str) -> pa.Table:
        return pa.table(getattr(self, table), schema=raw_schema(table))


def _line(elem: etree._Element) -> int | None:
    line = elem.sourceline
    return line if isinstance(line, int) else None


def _text(elem: etree._Element) -> str | None:
    text = elem.text
    return text.strip() if text is not None else None


class _XmlReader:
    """Stream one submission XML with iterparse, clearing each Person once read."""

    def __init__(self, path: Path, warnings: list[Problem]) -> None:
        self.path = path
        self.file = str(path)
        self.warnings = warnings
        self.columns = _XmlColumns()
        self.seen_unknown: set[str] = set()
        self.institution_fields: tuple[str | None, str | None] = (None, None)

    def _unknown(self, elem: etree._Element, where: str) -> None:
        tag = str(elem.tag)
        if tag not in self.seen_unknown:
            self.seen_unknown.add(tag)
            self.warnings.append(_problem(
                self.path, _line(elem), "xml.unknown_element",
                f"element <{tag}> is not a field techforce reads; it was ignored",
                "nothing to do unless you expected this field to be used",
                path=where, fieldname=tag, severity="warning"))

    def read(self, on_progress: Callable[[int], None] | None) -> _XmlColumns:
        _check_xml_prolog(self.path)
        context = etree.iterparse(
            str(self.path), events=("end",), tag=("Person", "Institution"),
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            remove_comments=True, remove_pis=True)  # fmt: skip
        institution, person_no, last_bytes = 1, 0, 0
        try:
            for _event, elem in context:
                if elem.tag == "Institution":
                    institution, person_no = institution + 1, 0
                    elem.clear()
                    continue
                person_no += 1
                self._person(elem, institution, person_no)
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
                if on_progress is not None and person_no % 2000 == 0:
                    position = _tell(context)
                    on_progress(position - last_bytes)
                    last_bytes = position
        except etree.XMLSyntaxError as exc:
            raise InputError([_xml_syntax_problem(self.path, exc)]) from None
        root = context.root
        if root is None or root.tag != "StaffRecord":
            found = "nothing" if root is None else f"<{root.tag}>"
            raise InputError([_problem(
                self.path, 1, "xml.root", f"the root element is {found}, not <StaffRecord>",
                "supply a HESA Staff record submission file (root element StaffRecord)")])
        if on_progress is not None:
            on_progress(self.path.stat().st_size - last_bytes)
        return self.columns

    def _person(self, person: etree._Element, institution: int, number: int) -> None:
        if number == 1:  # read before earlier siblings (RECID, UKPRN) are cleared away
            inst = person.getparent()
            found = inst is not None and inst.tag == "Institution"
            self.institution_fields = (
                (inst.findtext("UKPRN"), inst.findtext("RECID")) if found and inst is not None else (None, None))
        ukprn, recid = self.institution_fields
        pkey = f"{institution}.{number}"
        where = f"/StaffRecord/Institution[{institution}]/Person[{number}]"
        values: dict[str, str | None] = {"UKPRN": ukprn, "RECID": recid, "PERSONKEY": pkey}
        disable: list[str] = []
        contract_no = 0
        for child in person:
            tag = child.tag
            if tag == "Contract":
                contract_no += 1
                self._contract(child, pkey, f"{where}/Contract[{contract_no}]", contract_no)
            elif tag == "DISABLE":
                disable.append(_text(child) or "")
            elif tag in PERSON_FIELDS and tag not in ("UKPRN", "RECID", "PERSONKEY"):
                values[str(tag)] = _text(child)
            elif isinstance(tag, str):
                self._unknown(child, where)
        values["DISABLE"] = DISABLE_SEPARATOR.join(disable) if disable else None
        self.columns.add("person", (self.file, _line(person), where, self.file), values)

    def _contract(self, contract: etree._Element, pkey: str, where: str, number: int) -> None:
        ckey = f"{pkey}.{number}"
        values: dict[str, str | None] = {"PERSONKEY": pkey, "CONTRACTKEY": ckey}
        activity_no = 0
        for child in contract:
            tag = child.tag
            if tag == "Activity":
                activity_no += 1
                akey = f"{ckey}.{activity_no}"
                avalues: dict[str, str | None] = {"CONTRACTKEY": ckey, "ACTIVITYKEY": akey}
                for item in child:
                    if item.tag in ACTIVITY_FIELDS:
                        avalues[str(item.tag)] = _text(item)
                    elif isinstance(item.tag, str):
                        self._unknown(item, f"{where}/Activity[{activity_no}]")
                meta = (self.file, _line(child), f"{where}/Activity[{activity_no}]", self.file)
                self.columns.add("activity", meta, avalues)
            elif tag in CONTRACT_FIELDS:
                values[str(tag)] = _text(child)
            elif isinstance(tag, str):
                self._unknown(child, where)
        self.columns.add("contract", (self.file, _line(contract), where, self.file), values)


def _tell(context: object) -> int:
    source = getattr(context, "_source", None)
    try:
        return int(source.tell()) if source is not None else 0
    except (OSError, ValueError):
        return 0


def _xml_syntax_problem(path: Path, exc: etree.XMLSyntaxError) -> Problem:
    message = str(exc.msg or exc)
    lowered = message.lower()
    if "utf-8" in lowered or "encoding" in lowered or "bytes" in lowered:
        return _problem(path, exc.lineno, "file.encoding",
                        f"the file is not valid UTF-8 text ({message})",
                        "save the file as UTF-8 (in Excel or your HR system export choose UTF-8)")
    if "document is empty" in lowered or "start tag expected" in lowered:
        return _problem(path, exc.lineno, "file.empty", "the file has no XML content",
                        "export the Staff return again; the file holds no StaffRecord")
    if "premature end" in lowered or "end of data" in lowered or "not closed" in lowered:
        return _problem(path, exc.lineno, "xml.truncated",
                        f"the XML stops before the document is complete ({message})",
                        "the file was cut short; copy or export it again in full")
    return _problem(path, exc.lineno, "xml.syntax", f"the XML is not well formed ({message})",
                    "fix the XML at this line, or export the file again")


def load_xml(con: duckdb.DuckDBPyConnection, path: Path, warnings: list[Problem],
             on_progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
    columns = _XmlReader(path, warnings).read(on_progress)
    for table in TABLE_FIELDS:
        arrow = columns.to_arrow(table)  # noqa: F841  (read by DuckDB's replacement scan)
        con.execute(f"INSERT INTO {table}_raw SELECT * FROM arrow")


# --------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CsvSet:
    """The CORE PERSON / CONTRACT / ACTIVITY tables of one data supply, in one folder."""

    folder: Path
    person: Path
    contract: Path
    activity: Path

    def files(self) -> dict[str, Path]:
        return {"person": self.person, "contract": self.contract, "activity": self.activity}


def csv_role(path: Path) -> str | None:
    name = path.stem.upper()
    for role in ("PERSON", "CONTRACT", "ACTIVITY"):
        if role in name:
            return role.lower()
    return None


def group_csv_sets(paths: list[Path]) -> list[CsvSet]:
    by_folder: dict[Path, dict[str, Path]] = {}
    problems: list[Problem] = []
    for path in paths:
        role = csv_role(path)
        if role is None:
            problems.append(_problem(
                path, None, "csv.role",
                "cannot tell which table this is from its name",
                "name data-supply tables so they contain PERSON, CONTRACT or ACTIVITY"))
            continue
        roles = by_folder.setdefault(path.parent, {})
        if role in roles:
            problems.append(_problem(
                path, None, "csv.duplicate_table",
                f"a second {role.upper()} table in folder {path.parent} (first: {roles[role].name})",
                "keep one set of PERSON/CONTRACT/ACTIVITY tables per folder"))
        roles[role] = path
    sets = []
    for folder, roles in sorted(by_folder.items()):
        missing = [r.upper() for r in ("person", "contract", "activity") if r not in roles]
        if missing:
            problems.append(_problem(
                folder, None, "csv.missing_table",
                f"the data supply in this folder lacks its {', '.join(missing)} table",
                "put the PERSON, CONTRACT and ACTIVITY tables of one return in one folder"))
            continue
        sets.append(CsvSet(folder, roles["person"], roles["contract"], roles["activity"]))
    if problems:
        raise InputError(problems)
    return sets


def _csv_header(path: Path, role: str, warnings: list[Problem]) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise InputError([_problem(path, 1, "file.empty", "the file is empty (no header row)",
                                   "export the data-supply table again with its header row")])
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    try:
        header = first.decode("utf-8").strip("\r\n")
    except UnicodeDecodeError:
        raise InputError([_problem(path, 1, "file.encoding", "the header row is not UTF-8",
                                   "save the file as CSV UTF-8")]) from None
    columns = [c.strip().strip('"').upper() for c in header.split(",")]
    missing = [c for c in CSV_REQUIRED[role] if c not in columns]
    problems = [
        _problem(path, 1, "csv.missing_column", f"required column {c} is missing from the header",
                 f"add a {c} column to the {role.upper()} table (HESA field abbreviation)",
                 fieldname=c)
        for c in missing
    ]
    duplicated = {c for c in columns if columns.count(c) > 1}
    problems += [
        _problem(path, 1, "csv.duplicate_column", f"column {c} appears more than once",
                 "keep one column per field", fieldname=c)
        for c in sorted(duplicated)
    ]
    if problems:
        raise InputError(problems)
    known = set(TABLE_FIELDS[role])
    for c in columns:
        if c not in known and not (role == "person" and c.startswith("DISABLE")):
            warnings.append(_problem(
                path, 1, "csv.extra_column", f"column {c} is not a field techforce reads; ignored",
                "nothing to do unless you expected this column to be used", fieldname=c,
                severity="warning"))
    return columns


def _encoding_problem(path: Path) -> Problem:
    """Locate the first line that is not UTF-8 (error path only)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                snippet = line[max(0, exc.start - 10) : exc.end + 10].decode("latin-1")
                return _problem(path, number, "file.encoding",
                                f"the file is not UTF-8 text (byte 0x{line[exc.start]:02x} near "
                                f"{snippet.strip()!r})",
                                "save the file as 'CSV UTF-8' (Excel) or re-export it as UTF-8")
    return _problem(path, None, "csv.unreadable", "DuckDB could not read the file as CSV",
                    "check that the file is a comma-separated table with one header row")


def load_csv_sets(con: duckdb.DuckDBPyConnection, sets: list[CsvSet], warnings: list[Problem],
                  on_progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
    for role in ("person", "contract", "activity"):
        files = [s.files()[role] for s in sets]
        headers = {f: _csv_header(f, role, warnings) for f in files}
        _load_csv_role(con, role, files, headers)
        if on_progress is not None:
            on_progress(sum(f.stat().st_size for f in files))


def _select_list(role: str, available: set[str]) -> str:
    parts = []
    for name in TABLE_FIELDS[role]:
        if name == "DISABLE" and role == "person":
            repeated = sorted(c for c in available if c.startswith("DISABLE"))
            items = ", ".join(f'"{c}"' for c in repeated)
            parts.append(f"NULLIF(concat_ws('{DISABLE_SEPARATOR}', {items}), '')" if repeated
                         else "NULL")  # fmt: skip
        elif name in available:
            parts.append(f'"{name}"')
        else:
            parts.append("NULL")
    return ", ".join(parts)


CSV_READ = ("read_csv(?, columns=?, header=true, auto_detect=false, delim=',', quote='\"', "
            "escape='\"', filename='_filename', strict_mode=true)")


def _load_csv_role(con: duckdb.DuckDBPyConnection, role: str, files: list[Path],
                   headers: dict[Path, list[str]]) -> None:  # fmt: skip
    """Read the files of one role, grouped by identical header, with the columns given to
    DuckDB (all text, no type sniffing: the validation rules check every value).

    Rows load in any order and without line numbers (the fast path for a clean return);
    each read is recorded in ``_csv_reads`` so that number_csv_lines can redo it in order."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _csv_reads "
                "(role VARCHAR, header VARCHAR[], files VARCHAR[])")
    groups: dict[tuple[str, ...], list[Path]] = {}
    for f in files:
        groups.setdefault(tuple(headers[f]), []).append(f)
    for header, group in groups.items():
        names = [str(f) for f in group]
        try:
            con.execute(f"INSERT INTO {role}_raw SELECT _filename, NULL, NULL, "
                        f"parse_dirpath(_filename), {_select_list(role, set(header))} "
                        f"FROM {CSV_READ}", [names, dict.fromkeys(header, "VARCHAR")])
        except duckdb.Error as exc:
            raise InputError([_csv_read_problem(group, exc)]) from None
        con.execute("INSERT INTO _csv_reads VALUES (?, ?, ?)", [role, list(header), names])


def number_csv_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Give CSV rows their file line numbers (header = line 1). Only the error path needs
    them, so the CSV reads are redone here with insertion order preserved, where a row's
    line is its offset from its file's first row."""
    if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = '_csv_reads'").fetchall():
        return
    reads = con.execute("SELECT role, header, files FROM _csv_reads").fetchall()
    con.execute("SET preserve_insertion_order = true")
    for role, header, files in reads:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv AS SELECT * FROM {CSV_READ}",
                    [files, dict.fromkeys(header, "VARCHAR")])
        con.execute(f"DELETE FROM {role}_raw WHERE _path IS NULL AND list_contains(?, _file)",
                    [files])
        con.execute(f"""
            INSERT INTO {role}_raw
            SELECT _filename, rowid - first_row + 2, NULL, parse_dirpath(_filename),
                   {_select_list(role, set(header))}
            FROM _csv JOIN (SELECT _filename AS f, min(rowid) AS first_row FROM _csv GROUP BY 1)
              ON f = _filename""")
    con.execute("DROP TABLE _csv; DROP TABLE _csv_reads")


def _csv_read_problem(files: list[Path], exc: duckdb.Error) -> Problem:
    text = str(exc)
    bad = next((f for f in files if f"file = {f}" in text), files[0])
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return _encoding_problem(bad)
    line = None
    for token in text.split():
        if token.isdigit() and "Line:" in text:
            line = int(token)
            break
    first = text.splitlines()[0] if text else "unreadable"
    return _problem(bad, line, "csv.malformed", f"the CSV cannot be read: {first}",
                    "check the row for unbalanced quotes or a wrong number of commas")
