"""A whole coded project as a REFI-QDA .qdpx archive, to and from other QDA tools.

The archive is a zip with ``project.qde`` (QDA-XML, ``urn:QDA-XML:project:1.0``) and each
text source as ``sources/<guid>.txt`` (UTF-8), which the project names as
``plainTextPath="internal://<guid>.txt"``. Selections count Unicode code points
(``startPosition``/``endPosition``), as the standard says, so an emoji or a combining accent
is one position each, whatever its size in bytes or UTF-16 units.

Reading accepts what other tools write: text inline (``PlainTextContent``) or in the archive
(``internal://name``, a relative name, under ``sources/`` or ``Sources/`` or at the top).
Text is kept exactly as stored, so offsets stay right: CRLF line ends and combining
characters are kept (:func:`lf_newlines` turns CRLF into LF and moves every offset with it).
A leading byte-order mark is the file's encoding signature, not text: it is dropped and
offsets count from the first character after it (as the tools that write one count). Inline
text has its CRLF made LF by the XML parser itself, unless the tool escaped the CR.
Sets, graphs, links, picture/PDF/audio/video sources and whole-source codings are left out,
each with a warning in ``Project.warnings``.

Reading refuses, naming the archive entry and the fix, and returns nothing partial:
unsafe entry names (``..``, absolute, backslashes, drive letters), links, encrypted entries,
zip bombs (declared sizes, the bytes actually read, the compression ratio), too many entries,
XML with a DOCTYPE or ENTITY, a root other than a REFI-QDA Project, unknown GUIDs, and
selections outside their text.
"""

from __future__ import annotations

import bisect
import codecs
import io
import math
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from techforce.errors import Invalid
from techforce.research.qdpx_archive import MAX_BYTES, MAX_ENTRIES, MAX_RATIO, Archive, open_archive
from techforce.research.refi import (
    VARIABLE_TYPES,
    Case,
    Coding,
    Note,
    Project,
    Selection,
    TextSource,
    User,
    Variable,
    VariableType,
    VariableValue,
    read_code,
    read_refs,
    write_code,
)
from techforce.research.refi_check import check_project
from techforce.research.refi_xml import (
    PROJECT_NS,
    Problems,
    canonical_guid,
    check_root,
    child_text,
    children,
    iso,
    parse_xml,
    read_datetime,
    sub,
    text_child,
    validate,
    xml_text,
)

NS = PROJECT_NS
_STAMP = (1980, 1, 1, 0, 0, 0)
_IGNORED_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_VALUE_TAGS: dict[str, VariableType] = {
    "TextValue": "Text",
    "BooleanValue": "Boolean",
    "IntegerValue": "Integer",
    "FloatValue": "Float",
    "DateValue": "Date",
    "DateTimeValue": "DateTime",
}


# ---------------------------------------------------------------- writing


def write_qdpx(project: Project) -> bytes:
    """The project as a .qdpx archive. Checks GUIDs, references, offsets and variable
    types first, and the XML against Project.xsd; raises Invalid, writing nothing, if any fail."""
    problems = Problems("the export", outcome="nothing was exported")
    check_project(project, problems)
    problems.raise_if_any()
    root = project_xml(project)
    errors = validate(root, "Project")
    if errors:
        raise Invalid(
            f"The export does not meet the REFI-QDA schema ({errors[0]}). Fix: report this; nothing was exported."
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _put(
            archive,
            "project.qde",
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True),
        )
        for source in project.sources:
            try:
                raw = source.text.encode("utf-8")
            except UnicodeEncodeError:
                raise Invalid(
                    f"Source {source.name!r} has text that is not Unicode; nothing was exported."
                ) from None
            _put(archive, f"sources/{source.guid}.txt", raw)
    return buffer.getvalue()


def _put(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, _STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def project_xml(project: Project) -> etree._Element:
    """The ``Project`` element (project.qde) for a project, elements in the schema's order."""
    namespaces: Any = {None: NS}
    root = etree.Element(f"{{{NS}}}Project", nsmap=namespaces)
    for key, value in (
        ("name", project.name),
        ("origin", project.origin or "techforce"),
        ("creatingUserGUID", project.created_by),
        ("creationDateTime", iso(project.created)),
    ):
        if value is not None:
            root.set(key, xml_text(value))
    kinds = {canonical_guid(v.guid) or v.guid: v.type_of_variable for v in project.variables}
    if project.users:
        users = sub(root, NS, "Users")
        for user in project.users:
            sub(users, NS, "User", {"guid": user.guid, "name": user.name or None})
    if project.codes:
        codes = sub(sub(root, NS, "CodeBook"), NS, "Codes")
        for code in project.codes:
            write_code(codes, NS, code)
    if project.variables:
        variables = sub(root, NS, "Variables")
        for variable in project.variables:
            element = sub(variables, NS, "Variable", {"guid": variable.guid, "name": variable.name,
                                                      "typeOfVariable": variable.type_of_variable})  # fmt: skip
            text_child(element, NS, "Description", variable.description)
    _write_cases(root, project.cases, kinds)
    if project.sources:
        sources = sub(root, NS, "Sources")
        for source in project.sources:
            _write_source(sources, source, kinds)
    _write_notes(root, project.notes)
    text_child(root, NS, "Description", project.description)
    for ref in project.note_refs:
        sub(root, NS, "NoteRef", {"targetGUID": ref})
    return root


def _write_cases(root: etree._Element, cases: tuple[Case, ...], kinds: dict[str, VariableType]) -> None:
    if not cases:
        return
    holder = sub(root, NS, "Cases")
    for case in cases:
        element = sub(holder, NS, "Case", {"guid": case.guid, "name": case.name or None})
        text_child(element, NS, "Description", case.description)
        _write_values(element, case.values, kinds)
        for guid in case.source_guids:
            sub(element, NS, "SourceRef", {"targetGUID": guid})


def _write_notes(root: etree._Element, notes: tuple[Note, ...]) -> None:
    """Notes carry their text inline (``PlainTextContent``), as QDA tools write memos."""
    if not notes:
        return
    holder = sub(root, NS, "Notes")
    for note in notes:
        element = sub(holder, NS, "Note", {"guid": note.guid, "name": note.name or None,
                      "creatingUser": note.creating_user, "creationDateTime": iso(note.created)})  # fmt: skip
        sub(element, NS, "PlainTextContent").text = xml_text(note.text)


def _write_source(parent: etree._Element, source: TextSource, kinds: dict[str, VariableType]) -> None:
    element = sub(
        parent,
        NS,
        "TextSource",
        {
            "guid": source.guid,
            "name": source.name,
            "plainTextPath": f"internal://{source.guid}.txt",
            "creatingUser": source.creating_user,
            "creationDateTime": iso(source.created),
        },
    )
    text_child(element, NS, "Description", source.description)
    for selection in source.selections:
        chosen = sub(
            element,
            NS,
            "PlainTextSelection",
            {
                "guid": selection.guid,
                "name": selection.name or None,
                "startPosition": str(selection.start),
                "endPosition": str(selection.end),
                "creatingUser": selection.creating_user,
                "creationDateTime": iso(selection.created),
            },
        )
        text_child(chosen, NS, "Description", selection.description)
        for coding in selection.codings:
            coded = sub(chosen, NS, "Coding", {"guid": coding.guid, "creatingUser": coding.creating_user,
                                               "creationDateTime": iso(coding.created)})  # fmt: skip
            sub(coded, NS, "CodeRef", {"targetGUID": coding.code_guid})
        for ref in selection.note_refs:
            sub(chosen, NS, "NoteRef", {"targetGUID": ref})
    for ref in source.note_refs:
        sub(element, NS, "NoteRef", {"targetGUID": ref})
    _write_values(element, source.values, kinds)


def _write_values(
    parent: etree._Element, values: Mapping[str, VariableValue], kinds: dict[str, VariableType]
) -> None:
    for guid, value in values.items():
        kind = kinds[canonical_guid(guid) or guid]
        element = sub(parent, NS, "VariableValue")
        sub(element, NS, "VariableRef", {"targetGUID": guid})
        sub(element, NS, f"{kind}Value").text = _value_text(kind, value)


def _value_text(kind: VariableType, value: VariableValue) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        assert isinstance(value, int | float)
        return format(Decimal(repr(float(value))), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------- reading


def read_qdpx(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_entries: int = MAX_ENTRIES,
    max_ratio: int = MAX_RATIO,
) -> Project:
    """A project from a .qdpx archive written by techforce or another QDA tool.
    Raises Refused for hostile archives and Invalid for broken projects; never partial."""
    archive = open_archive(data, filename, max_bytes, max_entries, max_ratio)
    with archive.zf:
        info = archive.find("project.qde")
        if info is None:
            raise Invalid(f"{filename}: has no project.qde, so it is not a REFI-QDA project. "
                          "Fix: export the project from the QDA tool as REFI-QDA (.qdpx).")  # fmt: skip
        where = f"{filename}: entry {info.filename}"
        root = parse_xml(archive.read(info), where)
        check_root(root, NS, "Project", where)
        reader = _Reader(archive, Problems(filename, info.filename))
        project = reader.project(root)
    reader.problems.raise_if_any()
    check_project(project, reader.problems)
    reader.problems.raise_if_any()
    return project


def lf_newlines(source: TextSource) -> TextSource:
    """The source with CRLF and lone CR as LF, every selection moved to the same characters
    (an offset between a CR and its LF lands on the LF)."""
    if "\r" not in source.text:
        return source
    dropped = [m.start() for m in re.finditer("\r\n", source.text)]

    def move(offset: int) -> int:
        return offset - bisect.bisect_left(dropped, offset)

    text = source.text.replace("\r\n", "\n").replace("\r", "\n")
    moved = tuple(replace(s, start=move(s.start), end=move(s.end)) for s in source.selections)
    return replace(source, text=text, selections=moved)


@dataclass
class _Reader:
    archive: Archive
    problems: Problems
    warnings: list[str] = field(default_factory=list)

    def project(self, root: etree._Element) -> Project:
        for tag in ("Links", "Sets", "Graphs"):
            found = root.find(f"{{{NS}}}{tag}")
            if found is not None:
                self.warnings.append(
                    f"{len(found)} {tag.lower()} left out: techforce does not keep {tag.lower()}"
                )
        codes_holder = root.find(f"{{{NS}}}CodeBook/{{{NS}}}Codes")
        codes = (
            [read_code(c, NS, self.problems) for c in children(codes_holder, NS, "Code")]
            if codes_holder is not None
            else []
        )
        return Project(
            name=root.get("name") or PurePosixPath(self.archive.filename).stem,
            origin=root.get("origin") or "",
            users=tuple(self._user(u) for u in self._items(root, "Users", "User")),
            codes=tuple(codes),
            sources=tuple(self._sources(root)),
            cases=tuple(self._case(c) for c in self._items(root, "Cases", "Case")),
            variables=tuple(self._variable(v) for v in self._items(root, "Variables", "Variable")),
            notes=tuple(self._note(n) for n in self._items(root, "Notes", "Note")),
            created_by=self._guid(root, "creatingUserGUID", "Project", required=False),
            created=read_datetime(root.get("creationDateTime")),
            description=child_text(root, NS, "Description"),
            note_refs=tuple(read_refs(root, NS, "NoteRef", self.problems, "Project")),
            warnings=tuple(self.warnings),
        )

    def _items(self, root: etree._Element, holder: str, tag: str) -> list[etree._Element]:
        found = root.find(f"{{{NS}}}{holder}")
        return children(found, NS, tag) if found is not None else []

    def _guid(self, element: etree._Element, attr: str, where: str, *, required: bool = True) -> str | None:
        value = element.get(attr)
        guid = canonical_guid(value)
        if guid is None and (required or value is not None):
            self.problems.add(where, attr, f"{value!r} is not a GUID" if value else "the GUID is missing",
                              "export the project again from the QDA tool")  # fmt: skip
        return guid

    def _user(self, element: etree._Element) -> User:
        return User(
            self._guid(element, "guid", f"User {element.get('name')!r}") or "", element.get("name") or ""
        )

    def _variable(self, element: etree._Element) -> Variable:
        where = f"Variable {element.get('name')!r}"
        kind = element.get("typeOfVariable", "Text")
        if kind not in VARIABLE_TYPES:
            self.problems.add(
                where, "typeOfVariable", f"{kind!r} is unknown", f"use one of {', '.join(VARIABLE_TYPES)}"
            )
        return Variable(
            guid=self._guid(element, "guid", where) or "",
            name=element.get("name") or "",
            type_of_variable=_VALUE_TAGS.get(f"{kind}Value", "Text"),
            description=child_text(element, NS, "Description"),
        )

    def _case(self, element: etree._Element) -> Case:
        where = f"Case {element.get('name') or element.get('guid')!r}"
        for tag in ("CodeRef", "SelectionRef"):
            if children(element, NS, tag):
                self.warnings.append(f"{where}: {tag} left out (cases link to whole sources here)")
        return Case(
            guid=self._guid(element, "guid", where) or "",
            name=element.get("name") or "",
            description=child_text(element, NS, "Description"),
            values=self._values(element, where),
            source_guids=tuple(read_refs(element, NS, "SourceRef", self.problems, where)),
        )

    def _values(self, element: etree._Element, where: str) -> dict[str, VariableValue]:
        values: dict[str, VariableValue] = {}
        for item in children(element, NS, "VariableValue"):
            ref = item.find(f"{{{NS}}}VariableRef")
            guid = self._guid(ref, "targetGUID", where) if ref is not None else None
            value = next(
                (v for v in item if isinstance(v.tag, str) and v.tag != f"{{{NS}}}VariableRef"), None
            )
            if guid is None or value is None:
                self.problems.add(where, "VariableValue", "a value without its variable or its value",
                                  "export the project again from the QDA tool")  # fmt: skip
                continue
            kind = _VALUE_TAGS.get(etree.QName(value).localname)
            raw = value.text or ""
            parsed = _parse_value(kind, raw if kind == "Text" else raw.strip()) if kind else None
            if parsed is None:
                self.problems.add(where, etree.QName(value).localname, f"{value.text!r} cannot be read",
                                  "give a value of the variable's type")  # fmt: skip
                continue
            values[guid] = parsed
        return values

    def _sources(self, root: etree._Element) -> list[TextSource]:
        holder = root.find(f"{{{NS}}}Sources")
        if holder is None:
            return []
        for tag in _IGNORED_SOURCES:
            count = len(children(holder, NS, tag))
            if count:
                self.warnings.append(f"{count} {tag} left out: only text sources are imported")
        return [self._source(e) for e in children(holder, NS, "TextSource")]

    def _source(self, element: etree._Element) -> TextSource:
        where = f"TextSource {element.get('name') or element.get('guid')!r}"
        if children(element, NS, "Coding"):
            self.warnings.append(
                f"{where}: codings of the whole source left out (only selections are imported)"
            )
        text = self._text(element, where)
        if text is None:
            self.problems.add(where, "plainTextPath", "the source's text is missing (no PlainTextContent and no "
                              f"plain text file for {element.get('plainTextPath') or element.get('richTextPath')!r})",
                              "export the project again with its plain text sources in the archive")  # fmt: skip
        return TextSource(
            guid=self._guid(element, "guid", where) or "",
            name=element.get("name") or "",
            text=text or "",
            selections=tuple(self._selection(s, where) for s in children(element, NS, "PlainTextSelection")),
            creating_user=self._guid(element, "creatingUser", where, required=False),
            created=read_datetime(element.get("creationDateTime")),
            note_refs=tuple(read_refs(element, NS, "NoteRef", self.problems, where)),
            description=child_text(element, NS, "Description"),
            values=self._values(element, where),
        )

    def _text(self, element: etree._Element, where: str) -> str | None:
        inline = element.find(f"{{{NS}}}PlainTextContent")
        if inline is not None:
            return inline.text or ""
        path = element.get("plainTextPath")
        if not path:
            return None
        info = self._entry(path)
        if info is None:
            return None
        return self._decode(self.archive.read(info), info.filename, where)

    def _entry(self, path: str) -> zipfile.ZipInfo | None:
        name = path.strip()
        for prefix in ("internal://", "relative://"):
            if name.lower().startswith(prefix):
                name = name[len(prefix) :]
        name = name.lstrip("/")
        base = PurePosixPath(name).name
        for candidate in (name, f"sources/{name}", f"sources/{base}"):
            info = self.archive.find(candidate)
            if info is not None and not info.is_dir():
                return info
        return None

    def _decode(self, raw: bytes, entry: str, where: str) -> str | None:
        try:
            if raw.startswith(codecs.BOM_UTF8):
                self.warnings.append(
                    f"{where}: byte-order mark dropped; offsets count from the text after it"
                )
                return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
            if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return raw.decode("utf-16")
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.add(where, "plainTextPath", f"entry {entry} is not UTF-8 text",
                              "export the project again with UTF-8 sources")  # fmt: skip
            return ""

    def _selection(self, element: etree._Element, source: str) -> Selection:
        where = f"{source} selection {element.get('name') or element.get('guid')!r}"
        bounds = []
        for attr in ("startPosition", "endPosition"):
            try:
                bounds.append(int(element.get(attr, "")))
            except ValueError:
                self.problems.add(
                    where, attr, f"{element.get(attr)!r} is not a position", "give a whole number"
                )
                bounds.append(0)
        return Selection(
            guid=self._guid(element, "guid", where) or "",
            start=bounds[0],
            end=bounds[1],
            name=element.get("name") or "",
            creating_user=self._guid(element, "creatingUser", where, required=False),
            created=read_datetime(element.get("creationDateTime")),
            codings=tuple(self._coding(c, where) for c in children(element, NS, "Coding")),
            note_refs=tuple(read_refs(element, NS, "NoteRef", self.problems, where)),
            description=child_text(element, NS, "Description"),
        )

    def _coding(self, element: etree._Element, where: str) -> Coding:
        ref = element.find(f"{{{NS}}}CodeRef")
        code = self._guid(ref, "targetGUID", f"{where} coding") if ref is not None else None
        if ref is None:
            self.problems.add(where, "Coding", "a coding without a CodeRef", "export the project again")
        return Coding(
            guid=self._guid(element, "guid", f"{where} coding") or "",
            code_guid=code or "",
            creating_user=self._guid(element, "creatingUser", where, required=False),
            created=read_datetime(element.get("creationDateTime")),
        )

    def _note(self, element: etree._Element) -> Note:
        where = f"Note {element.get('name') or element.get('guid')!r}"
        if children(element, NS, "PlainTextSelection"):
            self.warnings.append(f"{where}: selections in notes left out")
        return Note(
            guid=self._guid(element, "guid", where) or "",
            name=element.get("name") or "",
            text=self._text(element, where) or "",
            creating_user=self._guid(element, "creatingUser", where, required=False),
            created=read_datetime(element.get("creationDateTime")),
        )


def _parse_value(kind: VariableType, text: str) -> VariableValue | None:
    try:
        if kind == "Text":
            return text
        if kind == "Boolean":
            return {"true": True, "1": True, "false": False, "0": False}.get(text.lower())
        if kind == "Integer":
            return int(text)
        if kind == "Float":
            number = float(Decimal(text))
            return number if math.isfinite(number) else None
        if kind == "Date":
            return date.fromisoformat(text[:10])
        return datetime.fromisoformat(text)
    except (ValueError, InvalidOperation):
        return None
