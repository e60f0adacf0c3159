"""Read a survey export (CSV or XLSX) into one case per respondent, with Likert items as
numbered scale points, attributes (institution, role, sex, grade...) and free-text answers.

Column kinds are guessed when the caller does not give them: a respondent id column (named
``id``, ``respondent``, ``ResponseId``...; else the spreadsheet row number is the id),
Likert items (every answer on one known ordered scale), attributes (few distinct short
values) and free text (long or mostly distinct answers). ``kinds`` overrides the guess.

Survey-tool exports with extra header rows (Qualtrics: question text, then ImportId JSON)
are recognised; the question text becomes the item's ``label``. Bad input raises
:class:`techforce.errors.Invalid` naming the file, the row as a spreadsheet shows it (header
= row 1), the column and the fix; nothing partial is returned. XLSX files are checked for
zip bombs and DOCTYPE declarations before openpyxl opens them, and formulas are read as
their cached values, never evaluated.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal

from techforce.errors import Invalid

Kind = Literal["id", "attribute", "likert", "free_text"]
KINDS: tuple[str, ...] = ("id", "attribute", "likert", "free_text")
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_RATIO = 200  # uncompressed / compressed size of one xlsx part above which it is a bomb

SCALES: tuple[tuple[str, ...], ...] = (
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    (
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ),
    ("Never", "Rarely", "Sometimes", "Often", "Always"),
    ("1", "2", "3", "4", "5"),
    ("1", "2", "3", "4", "5", "6", "7"),
)
ID_NAMES = {"id", "respondent", "respondentid", "responseid", "respid", "participantid"}


@dataclass
class Item:
    """One column of the survey: its kind, its ordered scale (Likert only) and label."""

    column: str
    kind: Kind
    scale: list[str] | None = None
    label: str | None = None


@dataclass
class Respondent:
    """One respondent (one case): Likert answers are scale points 1..n, or None if blank."""

    id: str
    attributes: dict[str, str] = field(default_factory=dict)
    likert: dict[str, int | None] = field(default_factory=dict)
    free_text: dict[str, str] = field(default_factory=dict)


@dataclass
class Survey:
    respondents: list[Respondent]
    items: list[Item]
    warnings: list[str] = field(default_factory=list)

    def item(self, column: str) -> Item:
        for it in self.items:
            if it.column == column:
                return it
        raise Invalid(f"The survey has no column {column!r}; columns: {_names(self.items)}.")


def get_column_letter(index: int) -> str:
    """Spreadsheet column letters for a 1-based column index: 1 -> A, 28 -> AB."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _names(items: list[Item]) -> str:
    return ", ".join(it.column for it in items)


def _norm(value: str) -> str:
    text = " ".join(value.split()).casefold()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def _problem(filename: str, row: int | None, column: str | None, message: str) -> Invalid:
    where = filename + (f", row {row}" if row else "") + (f", column {column}" if column else "")
    return Invalid(f"{where}: {message}", [{"file": filename, "row": row, "column": column}])


# ---------------------------------------------------------------- reading raw rows


def _csv_rows(data: bytes, filename: str, max_rows: int) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _problem(
            filename, line, None, "is not UTF-8 text; save it as 'CSV UTF-8' and try again."
        ) from None
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count)
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(row)
        if len(rows) > max_rows + 3:
            break
    return rows


def _check_zip(data: bytes, filename: str, max_bytes: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _problem(
            filename, None, None, "is not an .xlsx workbook (not a zip); save it as .xlsx or CSV."
        ) from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if (info.file_size > 1_000_000 and ratio > MAX_RATIO) or total > 10 * max_bytes:
                raise _problem(
                    filename,
                    None,
                    None,
                    f"unpacks to too much data ({info.filename}: {info.file_size} bytes); "
                    "this looks like a zip bomb. Save the sheet again from a spreadsheet.",
                )
        for info in infos:
            xml = info.filename.endswith((".xml", ".rels"))
            if xml and b"<!doctype" in zf.read(info).lower():
                raise _problem(
                    filename,
                    None,
                    None,
                    f"part {info.filename} declares a DOCTYPE, which is refused; "
                    "save the sheet again from a spreadsheet.",
                )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _xlsx_rows(
    data: bytes, filename: str, sheet: str | None, max_bytes: int, max_rows: int
) -> list[list[str]]:
    _check_zip(data, filename, max_bytes)
    import openpyxl  # type: ignore[import-untyped]

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise _problem(
            filename, None, None, f"cannot be read as .xlsx ({exc}); save it again as .xlsx."
        ) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise _problem(
                filename, None, None, f"has no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}."
            )
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows: list[list[str]] = []
        for values in ws.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > max_rows + 3:
                break
        return rows
    finally:
        wb.close()


# ---------------------------------------------------------------- headers and kinds


def _header(
    rows: list[list[str]], filename: str
) -> tuple[list[str], dict[str, str], list[tuple[int, list[str]]]]:
    """Column names, question labels, and (spreadsheet row, values) of each data row."""
    numbered = [(n, [c.strip() for c in r]) for n, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    if not numbered:
        raise _problem(filename, None, None, "is empty; export the survey with a header row.")
    _, header = numbered[0]
    while header and not header[-1]:
        header = header[:-1]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        col = get_column_letter(i + 1)
        if not name:
            raise _problem(filename, 1, col, "has no name; give every column a header.")
        key = name.casefold()
        if key in seen:
            first = get_column_letter(seen[key] + 1)
            raise _problem(filename, 1, col, f"duplicates column {first} ({name!r}); rename one of them.")
        seen[key] = i
    body = numbered[1:]
    labels: dict[str, str] = {}
    if len(body) >= 2 and _is_import_ids(body[1][1]):
        labels = {h: v for h, v in zip(header, body[0][1], strict=False) if v}
        body = body[2:]
    elif body and _is_question_row(header, body[0][1]):
        labels = {h: v for h, v in zip(header, body[0][1], strict=False) if v}
        body = body[1:]
    return header, labels, body


def _is_import_ids(values: list[str]) -> bool:
    filled = [v for v in values if v]
    return bool(filled) and all(v.startswith('{"ImportId"') for v in filled)


def _is_question_row(header: list[str], values: list[str]) -> bool:
    """A legacy two-header-row export: the id column's second row reads like a question."""
    for name, value in zip(header, values, strict=False):
        if re.sub(r"[^a-z]", "", name.casefold()) in {"responseid", "respondentid"}:
            return " " in value
    return False


def _scale_for(values: set[str]) -> tuple[str, ...] | None:
    for scale in SCALES:
        if values <= {_norm(s) for s in scale}:
            return scale
    return None


def _best_scale(values: set[str]) -> tuple[str, ...]:
    return max(SCALES, key=lambda s: len(values & {_norm(x) for x in s}))


def _infer(column: str, values: list[str]) -> Kind:
    filled = [v for v in values if v]
    distinct = {_norm(v) for v in filled}
    if filled and _scale_for(distinct) is not None:
        return "likert"
    longest = max((len(v) for v in filled), default=0)
    few = len(distinct) <= 50 and (len(filled) < 10 or len(distinct) <= len(filled) / 2)
    return "attribute" if longest <= 40 and few else "free_text"


def _id_column(header: list[str], id_column: str | None, kinds: dict[str, str]) -> str | None:
    chosen = [c for c, k in kinds.items() if k == "id"]
    if id_column is not None:
        chosen.append(id_column)
    if chosen:
        return chosen[0]
    for name in header:
        if re.sub(r"[^a-z]", "", name.casefold()) in ID_NAMES:
            return name
    return None


def _check_kinds(header: list[str], kinds: dict[str, str], id_column: str | None, fn: str) -> None:
    for column, kind in kinds.items():
        if column not in header:
            raise _problem(fn, None, column, f"is not in the file; columns: {', '.join(header)}.")
        if kind not in KINDS:
            raise _problem(fn, None, column, f"kind {kind!r} is unknown; use one of {KINDS}.")
    ids = {c for c, k in kinds.items() if k == "id"} | ({id_column} if id_column else set())
    if len(ids) > 1:
        raise _problem(fn, None, None, f"several id columns given ({sorted(ids)}); give one.")
    if id_column is not None and id_column not in header:
        raise _problem(fn, None, id_column, f"is not in the file; columns: {', '.join(header)}.")


# ---------------------------------------------------------------- building the survey


def _items(
    header: list[str],
    labels: dict[str, str],
    body: list[tuple[int, list[str]]],
    id_col: str | None,
    kinds: dict[str, str],
) -> list[Item]:
    items: list[Item] = []
    for i, name in enumerate(header):
        values = [r[i] if i < len(r) else "" for _, r in body]
        kind: Kind = "id" if name == id_col else _infer(name, values)
        if name in kinds and name != id_col:
            kind = kinds[name]  # type: ignore[assignment]
        scale = None
        if kind == "likert":
            distinct = {_norm(v) for v in values if v}
            scale = list(_scale_for(distinct) or _best_scale(distinct))
        items.append(Item(name, kind, scale, labels.get(name)))
    return items


def _respondent(
    filename: str, header: list[str], items: list[Item], rownum: int, row: list[str]
) -> Respondent:
    for j in range(len(header), len(row)):
        if row[j]:
            col = get_column_letter(j + 1)
            raise _problem(filename, rownum, col, "has a value but no header; add a header.")
    resp = Respondent(id=str(rownum))
    for i, item in enumerate(items):
        value = row[i] if i < len(row) else ""
        where = f"{get_column_letter(i + 1)} ({item.column})"
        if item.kind == "id":
            if not value:
                raise _problem(filename, rownum, where, "has no respondent id; fill it in.")
            resp.id = value
        elif item.kind == "attribute":
            resp.attributes[item.column] = value
        elif item.kind == "free_text":
            resp.free_text[item.column] = value
        else:
            assert item.scale is not None
            lookup = {_norm(s): n for n, s in enumerate(item.scale, 1)}
            if value and _norm(value) not in lookup:
                allowed = ", ".join(item.scale)
                raise _problem(
                    filename,
                    rownum,
                    where,
                    f"{value!r} is not on the scale; allowed values: {allowed} (or blank).",
                )
            resp.likert[item.column] = lookup[_norm(value)] if value else None
    return resp


def read_survey(
    data: bytes,
    filename: str,
    *,
    id_column: str | None = None,
    kinds: dict[str, str] | None = None,
    sheet: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Survey:
    """Read a CSV or XLSX survey export into one :class:`Respondent` per data row.

    ``kinds`` maps column names to ``id``, ``attribute``, ``likert`` or ``free_text`` and
    overrides the guess; ``sheet`` picks an XLSX sheet (default: the first). Raises
    :class:`Invalid` for anything wrong, and then returns nothing."""
    kinds = dict(kinds or {})
    if len(data) > max_bytes:
        raise _problem(filename, None, None, f"is {len(data)} bytes; the limit is {max_bytes}. Split it.")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data, filename, sheet, max_bytes, max_rows)
    else:
        rows = _csv_rows(data, filename, max_rows)
    header, labels, body = _header(rows, filename)
    if len(body) > max_rows:
        raise _problem(filename, None, None, f"has more than {max_rows} respondents; split the file.")
    _check_kinds(header, kinds, id_column, filename)
    id_col = _id_column(header, id_column, kinds)
    items = _items(header, labels, body, id_col, kinds)
    respondents: list[Respondent] = []
    first_row: dict[str, int] = {}
    for rownum, row in body:
        resp = _respondent(filename, header, items, rownum, row)
        if resp.id in first_row:
            raise _problem(
                filename,
                rownum,
                id_col,
                f"respondent id {resp.id!r} repeats row {first_row[resp.id]}; "
                "give every respondent a unique id.",
            )
        first_row[resp.id] = rownum
        respondents.append(resp)
    warnings = [] if id_col else ["No respondent id column found; row numbers are the ids."]
    return Survey(respondents, items, warnings)


def distribution(survey: Survey, item: str, by: str | None = None) -> dict[str | None, dict[str, int]]:
    """Counts of each scale point of a Likert ``item``, overall (key ``None``) or for each
    value of the attribute ``by`` (a blank attribute is the key ``""``). Blank answers are
    not counted. These are RAW counts: small groups can identify people, so the caller must
    pass them through disclosure control (techforce.disclosure) before showing them."""
    it = survey.item(item)
    if it.kind != "likert" or it.scale is None:
        raise Invalid(f"Column {item!r} is not a Likert item; pick one of the Likert columns.")
    if by is not None and survey.item(by).kind != "attribute":
        raise Invalid(f"Column {by!r} is not an attribute; group by an attribute column.")
    scale = it.scale
    out: dict[str | None, dict[str, int]] = {} if by is not None else {None: dict.fromkeys(scale, 0)}
    for resp in survey.respondents:
        key = resp.attributes.get(by, "") if by is not None else None
        counts = out.setdefault(key, dict.fromkeys(scale, 0))
        point = resp.likert.get(item)
        if point is not None:
            counts[scale[point - 1]] += 1
    return out
