"""Readers for the two real shapes of a HESA Staff return.

* Submission XML: ``StaffRecord > Institution > Person > Contract > Activity``, fields as
  elements named by their HESA abbreviations (repeated fields repeat the element).
* Data-supply CSV tables: CORE PERSON / CORE CONTRACT / CORE ACTIVITY linked by PERSONKEY
  and CONTRACTKEY. The three files of one return sit in one folder; a file's role comes
  from its name (``*PERSON*``, ``*CONTRACT*``, ``*ACTIVITY*``).

Both are loaded, as text, into the same three DuckDB tables (``person_raw``,
``contract_raw``, ``activity_raw``) so that one set of vectorised SQL rules validates
everything. Every row keeps its file, line and (XML) element path for error messages.

Nothing read from a file becomes SQL text: CSV columns are matched against the known field
lists and handed to DuckDB under positional names of our own (``c0``, ``c1``...), file
paths are bound parameters, and XML is parsed with DTDs and entities refused.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from lxml import etree

from techforce.workforce.problems import InputError, Problem, Severity

PERSON_FIELDS = (
    "UKPRN",
    "RECID",
    "PERSONKEY",
    "STAFFID",
    "OWNSTAFFID",
    "BIRTHDTE",
    "SEXID",
    "ETHNIC",
    "DISABLE",
)
CONTRACT_FIELDS = (
    "PERSONKEY",
    "CONTRACTKEY",
    "CONTID",
    "TERMS",
    "MOEMP",
    "ACEMPFUN",
    "LEVELS",
    "CONFTE",
    "STARTCON",
    "ENDCON",
    "SALREF",
    "SPOINT",
)
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


def locked_connection(
    read: list[str], write_dir: str | None = None, *, preserve_order: bool = False
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that installs and loads no extension, may read only the files in
    ``read`` and write only below ``write_dir``, with its configuration locked so that no
    later statement can widen that."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET preserve_insertion_order = {'true' if preserve_order else 'false'}")
        con.execute("SET allowed_paths = ?", [read])
        con.execute("SET allowed_directories = ?", [[write_dir] if write_dir else []])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def raw_schema(table: str) -> pa.Schema:
    return pa.schema(
        [("_file", pa.string()), ("_line", pa.int64()), ("_path", pa.string()), ("_set", pa.string())]
        + [(name, pa.string()) for name in TABLE_FIELDS[table]]
    )


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, fields in TABLE_FIELDS.items():
        columns = ", ".join(f'"{name}" VARCHAR' for name in fields)
        con.execute(
            f"CREATE TABLE {table}_raw (_file VARCHAR, _line BIGINT, _path VARCHAR, _set VARCHAR, {columns})"
        )


def _problem(
    file: Path,
    line: int | None,
    rule: str,
    message: str,
    fix: str,
    *,
    path: str = "",
    fieldname: str = "",
    value: str = "",
    severity: Severity = "error",
) -> Problem:
    return Problem(
        severity=severity,
        rule=rule,
        file=str(file),
        line=line,
        path=path,
        field=fieldname,
        value=value,
        message=message,
        fix=fix,
    )


# --------------------------------------------------------------------------- XML


def _doctype_problem(path: Path, what: str) -> InputError:
    return InputError(
        [
            _problem(
                path,
                None,
                "xml.doctype",
                f"the file declares {what}, which a HESA Staff return never has "
                "(refused: entity expansion and external entities are unsafe)",
                "remove the <!DOCTYPE ...> block and any <!ENTITY ...> declarations",
                fieldname="DOCTYPE",
            )
        ]
    )


def _refuse_doctype(path: Path, docinfo: etree.DocInfo) -> None:
    """Refuse any document type declaration the parser saw (internal subset, external DTD)."""
    declared = [getattr(docinfo, name, None) for name in ("doctype", "system_url", "public_id")]
    if any(declared) or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _doctype_problem(path, "a DOCTYPE (a document type definition or entities)")


_DTD_WORDS = ("doctype", "entity", "entities", "dtd", "amplification")


def _check_xml_prolog(path: Path) -> None:
    """Refuse DOCTYPE declarations outright (XXE, billion laughs) and empty files.

    The parser itself reads the prolog, whatever its encoding (UTF-16 with a BOM) or length
    (comments or whitespace of any size): parsing stops at the root element's start tag,
    by which point any DOCTYPE has been seen (and not loaded, expanded or fetched)."""
    if path.stat().st_size == 0:
        raise InputError(
            [
                _problem(
                    path,
                    None,
                    "file.empty",
                    "the file is empty",
                    "export the Staff return again; the file has no content",
                )
            ]
        )
    try:
        with path.open("rb") as handle:
            context = etree.iterparse(
                handle,
                events=("start",),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
                remove_comments=True,
                remove_pis=True,
            )
            for _event, elem in context:
                _refuse_doctype(path, elem.getroottree().docinfo)
                break
    except etree.XMLSyntaxError as exc:
        if any(word in str(exc.msg or exc).lower() for word in _DTD_WORDS):
            raise _doctype_problem(path, "a DOCTYPE or entities the parser could not accept") from None
        raise InputError([_xml_syntax_problem(path, exc)]) from None


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
    """The element's text, stripped; a blank element is a missing value."""
    text = elem.text
    if text is None:
        return None
    return text.strip() or None


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
            self.warnings.append(
                _problem(
                    self.path,
                    _line(elem),
                    "xml.unknown_element",
                    f"element <{tag}> is not a field techforce reads; it was ignored",
                    "nothing to do unless you expected this field to be used",
                    path=where,
                    fieldname=tag,
                    severity="warning",
                )
            )

    def read(self, on_progress: Callable[[int], None] | None) -> _XmlColumns:
        _check_xml_prolog(self.path)
        context = etree.iterparse(
            str(self.path),
            events=("end",),
            tag=("Person", "Institution"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
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
        if root is not None:
            _refuse_doctype(self.path, root.getroottree().docinfo)
        if root is None or root.tag != "StaffRecord":
            found = "nothing" if root is None else f"<{root.tag}>"
            raise InputError(
                [
                    _problem(
                        self.path,
                        1,
                        "xml.root",
                        f"the root element is {found}, not <StaffRecord>",
                        "supply a HESA Staff record submission file (root element StaffRecord)",
                    )
                ]
            )
        if on_progress is not None:
            on_progress(self.path.stat().st_size - last_bytes)
        return self.columns

    def _person(self, person: etree._Element, institution: int, number: int) -> None:
        if number == 1:  # read before earlier siblings (RECID, UKPRN) are cleared away
            inst = person.getparent()
            found = inst is not None and inst.tag == "Institution"
            self.institution_fields = (
                (inst.findtext("UKPRN"), inst.findtext("RECID"))
                if found and inst is not None
                else (None, None)
            )
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
                code = _text(child)
                if code is not None:
                    disable.append(code)
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
        return _problem(
            path,
            exc.lineno,
            "file.encoding",
            f"the file is not valid UTF-8 text ({message})",
            "save the file as UTF-8 (in Excel or your HR system export choose UTF-8)",
        )
    if "document is empty" in lowered or "start tag expected" in lowered:
        return _problem(
            path,
            exc.lineno,
            "file.empty",
            "the file has no XML content",
            "export the Staff return again; the file holds no StaffRecord",
        )
    cut = "premature end" in lowered or "end of data" in lowered or "not closed" in lowered
    if cut or (exc.lineno and exc.lineno >= _last_line(path)):  # an error on the last line: cut short
        return _problem(
            path,
            exc.lineno,
            "xml.truncated",
            f"the XML stops before the document is complete ({message})",
            "the file was cut short; copy or export it again in full",
        )
    return _problem(
        path,
        exc.lineno,
        "xml.syntax",
        f"the XML is not well formed ({message})",
        "fix the XML at this line, or export the file again",
    )


def _last_line(path: Path) -> int:
    """The number of the file's last line (read in chunks: only on the error path)."""
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def load_xml(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    warnings: list[Problem],
    on_progress: Callable[[int], None] | None = None,
) -> None:
    columns = _XmlReader(path, warnings).read(on_progress)
    for table in TABLE_FIELDS:
        con.register("_xml_rows", columns.to_arrow(table))
        try:
            con.execute(f"INSERT INTO {table}_raw SELECT * FROM _xml_rows")
        finally:
            con.unregister("_xml_rows")


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
            problems.append(
                _problem(
                    path,
                    None,
                    "csv.role",
                    "cannot tell which table this is from its name",
                    "name data-supply tables so they contain PERSON, CONTRACT or ACTIVITY",
                )
            )
            continue
        roles = by_folder.setdefault(path.parent, {})
        if role in roles:
            problems.append(
                _problem(
                    path,
                    None,
                    "csv.duplicate_table",
                    f"a second {role.upper()} table in folder {path.parent} (first: {roles[role].name})",
                    "keep one set of PERSON/CONTRACT/ACTIVITY tables per folder",
                )
            )
        roles[role] = path
    sets = []
    for folder, roles in sorted(by_folder.items()):
        missing = [r.upper() for r in ("person", "contract", "activity") if r not in roles]
        if missing:
            problems.append(
                _problem(
                    folder,
                    None,
                    "csv.missing_table",
                    f"the data supply in this folder lacks its {', '.join(missing)} table",
                    "put the PERSON, CONTRACT and ACTIVITY tables of one return in one folder",
                )
            )
            continue
        sets.append(CsvSet(folder, roles["person"], roles["contract"], roles["activity"]))
    if problems:
        raise InputError(problems)
    return sets


# A column name we can match: HESA field abbreviations (letters, digits, underscores).
COLUMN_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Repeated DISABLE (0..9 occurrences from 2022/23): DISABLE, or DISABLE1, DISABLE2, ...
DISABLE_COLUMN = re.compile(r"DISABLE\d{0,2}")
MAX_SHOWN = 120  # characters of an unusable column name quoted back in a message


def _header_lines(path: Path) -> Iterator[str]:
    """The file's first physical lines, decoded one by one (BOM dropped), for csv.reader."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    [
                        _problem(
                            path,
                            number,
                            "file.encoding",
                            "the header row is not UTF-8",
                            "save the file as CSV UTF-8",
                        )
                    ]
                ) from None


def _shown(name: str) -> str:
    return name if len(name) <= MAX_SHOWN else name[:MAX_SHOWN] + "..."


def _csv_header(path: Path, role: str, warnings: list[Problem]) -> tuple[str, ...]:
    """The header row, parsed with the csv module, as normalised column names (one per
    position). Names are only ever compared with the known fields, never put into SQL."""
    try:
        raw = next(csv.reader(_header_lines(path), strict=True), [])
    except csv.Error as exc:
        raise InputError(
            [
                _problem(
                    path,
                    1,
                    "csv.header",
                    f"the header row cannot be read as CSV ({exc})",
                    "give the table one header row of column names separated by commas",
                )
            ]
        ) from None
    if not any(c.strip() for c in raw):
        raise InputError(
            [
                _problem(
                    path,
                    1,
                    "file.empty",
                    "the file is empty (no header row)",
                    "export the data-supply table again with its header row",
                )
            ]
        )
    columns = tuple(c.strip().upper() for c in raw)
    problems = [
        _problem(
            path,
            1,
            "csv.column_name",
            f"column {number} of the header is not a usable column name: {_shown(raw[number - 1])!r} "
            "(a column name is a HESA field abbreviation: letters, digits and underscores)",
            "rename the column to its HESA field abbreviation, or delete the column",
            fieldname=_shown(raw[number - 1]),
        )
        for number, c in enumerate(columns, start=1)
        if not COLUMN_NAME.fullmatch(c)
    ]
    missing = [c for c in CSV_REQUIRED[role] if c not in columns]
    problems += [
        _problem(
            path,
            1,
            "csv.missing_column",
            f"required column {c} is missing from the header",
            f"add a {c} column to the {role.upper()} table (HESA field abbreviation)",
            fieldname=c,
        )
        for c in missing
    ]
    duplicated = {c for c in columns if columns.count(c) > 1 and COLUMN_NAME.fullmatch(c)}
    problems += [
        _problem(
            path,
            1,
            "csv.duplicate_column",
            f"column {c} appears more than once",
            "keep one column per field",
            fieldname=c,
        )
        for c in sorted(duplicated)
    ]
    if problems:
        raise InputError(problems)
    known = set(TABLE_FIELDS[role])
    for c in columns:
        if c not in known and not (role == "person" and DISABLE_COLUMN.fullmatch(c)):
            warnings.append(
                _problem(
                    path,
                    1,
                    "csv.extra_column",
                    f"column {c} is not a field techforce reads; ignored",
                    "nothing to do unless you expected this column to be used",
                    fieldname=c,
                    severity="warning",
                )
            )
    return columns


def _encoding_problem(path: Path) -> Problem:
    """Locate the first line that is not UTF-8 (error path only)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                snippet = line[max(0, exc.start - 10) : exc.end + 10].decode("latin-1")
                return _problem(
                    path,
                    number,
                    "file.encoding",
                    f"the file is not UTF-8 text (byte 0x{line[exc.start]:02x} near {snippet.strip()!r})",
                    "save the file as 'CSV UTF-8' (Excel) or re-export it as UTF-8",
                )
    return _problem(
        path,
        None,
        "csv.unreadable",
        "DuckDB could not read the file as CSV",
        "check that the file is a comma-separated table with one header row",
    )


def load_csv_sets(
    con: duckdb.DuckDBPyConnection,
    sets: list[CsvSet],
    warnings: list[Problem],
    on_progress: Callable[[int], None] | None = None,
) -> None:
    headers: dict[Path, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for role in ("person", "contract", "activity"):
        for s in sets:
            path = s.files()[role]
            try:
                headers[path] = _csv_header(path, role, warnings)
            except InputError as exc:
                problems += exc.problems
    if problems:
        raise InputError(problems)
    for role in ("person", "contract", "activity"):
        files = [s.files()[role] for s in sets]
        _load_csv_role(con, role, files, headers)
        if on_progress is not None:
            on_progress(sum(f.stat().st_size for f in files))


def _positional(header: tuple[str, ...] | list[str]) -> dict[str, str]:
    """DuckDB's column names for a header: our own ``c0``, ``c1``..., never the file's."""
    return {f"c{i}": "VARCHAR" for i in range(len(header))}


def _select_list(role: str, header: tuple[str, ...] | list[str]) -> str:
    """The table's fields, in order, from the positional columns of this header (NULL for
    a field the header lacks). Only known field names and ``c<n>`` reach the SQL text."""
    position = {name: i for i, name in enumerate(header)}
    parts = []
    for name in TABLE_FIELDS[role]:
        if name == "DISABLE" and role == "person":
            repeated = [f"c{i}" for i, c in enumerate(header) if DISABLE_COLUMN.fullmatch(c)]
            parts.append(
                f"NULLIF(concat_ws('{DISABLE_SEPARATOR}', {', '.join(repeated)}), '')" if repeated else "NULL"
            )
        elif name in position:
            parts.append(f"c{position[name]}")
        else:
            parts.append("NULL")
    return ", ".join(parts)


CSV_READ = (
    "read_csv(?, columns=?, header=true, auto_detect=false, delim=',', quote='\"', "
    "escape='\"', filename='_filename', strict_mode=true)"
)


def _load_csv_role(
    con: duckdb.DuckDBPyConnection, role: str, files: list[Path], headers: dict[Path, tuple[str, ...]]
) -> None:
    """Read the files of one role, grouped by identical header, with the columns given to
    DuckDB (all text, no type sniffing: the validation rules check every value).

    Rows load in any order and without line numbers (the fast path for a clean return);
    each read is recorded in ``_csv_reads`` so that number_csv_lines can redo it in order."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _csv_reads (role VARCHAR, header VARCHAR[], files VARCHAR[])"
    )
    groups: dict[tuple[str, ...], list[Path]] = {}
    for f in files:
        groups.setdefault(headers[f], []).append(f)
    for header, group in groups.items():
        names = [str(f) for f in group]
        try:
            con.execute(
                f"INSERT INTO {role}_raw SELECT _filename, NULL, NULL, "
                f"parse_dirpath(_filename), {_select_list(role, header)} "
                f"FROM {CSV_READ}",
                [names, _positional(header)],
            )
        except duckdb.Error as exc:
            raise InputError([_csv_read_problem(group, exc)]) from None
        con.execute("INSERT INTO _csv_reads VALUES (?, ?, ?)", [role, list(header), names])


def number_csv_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Give CSV rows their physical file line numbers (header = line 1). Only the error path
    needs them, so the CSV reads are redone here, in a second locked-down connection that
    keeps insertion order, where a row's record number is its offset from its file's first
    row; files where a record spans several lines (a quoted field holding a newline) or
    blank lines are skipped are then mapped from record number to the line on which the
    record starts."""
    if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = '_csv_reads'").fetchall():
        return
    reads = con.execute("SELECT role, header, files FROM _csv_reads").fetchall()
    ordered = locked_connection(
        sorted({f for _role, _header, files in reads for f in files}), preserve_order=True
    )
    try:
        for role, header, files in reads:
            ordered.execute(
                f"CREATE OR REPLACE TEMP TABLE _csv AS SELECT * FROM {CSV_READ}", [files, _positional(header)]
            )
            numbered = ordered.sql(f"""
                SELECT _filename, rowid - first_row + 2 AS _line, {_select_list(role, header)}
                FROM _csv JOIN (SELECT _filename AS f, min(rowid) AS first_row FROM _csv GROUP BY 1)
                  ON f = _filename""").to_arrow_table()
            con.execute(f"DELETE FROM {role}_raw WHERE _path IS NULL AND list_contains(?, _file)", [files])
            con.register("_csv_numbered", numbered)
            try:
                con.execute(
                    f"INSERT INTO {role}_raw SELECT _filename, _line, NULL, parse_dirpath(_filename), "
                    "* EXCLUDE (_filename, _line) FROM _csv_numbered"
                )
            finally:
                con.unregister("_csv_numbered")
            records = dict(ordered.execute("SELECT _filename, count(*) FROM _csv GROUP BY 1").fetchall())
            _map_physical_lines(con, role, records)
    finally:
        ordered.close()
    con.execute("DROP TABLE _csv_reads")


def _physical_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _record_starts(path: Path) -> list[int]:
    """The physical line on which each data record starts (blank lines skipped, as DuckDB
    skips them)."""
    starts: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        previous = reader.line_num
        for row in reader:
            if any(row):
                starts.append(previous + 1)
            previous = reader.line_num
    return starts


def _map_physical_lines(con: duckdb.DuckDBPyConnection, role: str, records: dict[str, int]) -> None:
    files: list[str] = []
    record_lines: list[int] = []
    physical: list[int] = []
    for name, count in records.items():
        if _physical_lines(Path(name)) == count + 1:
            continue  # one line per record: the record number is the line
        starts = _record_starts(Path(name))
        files += [name] * len(starts)
        record_lines += range(2, len(starts) + 2)
        physical += starts
    if not files:
        return
    mapping = pa.table(
        {
            "f": files,
            "record_line": pa.array(record_lines, pa.int64()),
            "line": pa.array(physical, pa.int64()),
        }
    )
    con.register("_csv_lines", mapping)
    try:
        con.execute(
            f"UPDATE {role}_raw SET _line = m.line FROM _csv_lines m "
            f"WHERE {role}_raw._file = m.f AND {role}_raw._line = m.record_line"
        )
    finally:
        con.unregister("_csv_lines")


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
    return _problem(
        bad,
        line,
        "csv.malformed",
        f"the CSV cannot be read: {first}",
        "check the row for unbalanced quotes or a wrong number of commas",
    )
