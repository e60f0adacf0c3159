"""Consistency of a REFI-QDA project (:mod:`techforce.research.refi`), checked before an
export is written and after an import is read, so that no file with dangling references or
selections outside their text leaves or enters techforce."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime

from techforce.research.refi import VARIABLE_TYPES, Project, VariableType, VariableValue, walk_codes
from techforce.research.refi_xml import Problems, canonical_color, canonical_guid


def _value_fits(kind: VariableType, value: VariableValue) -> bool:
    if kind == "Text":
        return isinstance(value, str)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "Date":
        return isinstance(value, date) and not isinstance(value, datetime)
    return isinstance(value, datetime)


def check_project(project: Project, problems: Problems) -> None:
    """Every GUID well-formed and used once; every reference to a known user, code, note,
    source or variable; every selection inside its text; every value of its variable's type."""
    seen: dict[str, str] = {}

    def own(guid: str, what: str) -> str:
        key = canonical_guid(guid)
        if key is None:
            problems.add(
                what, "guid", f"{guid!r} is not a GUID", "give it a GUID such as 0b0f...-... (8-4-4-4-12 hex)"
            )
            return guid
        if key in seen:
            problems.add(
                what, "guid", f"GUID {guid} is also used by {seen[key]}", "give each item its own GUID"
            )
        seen[key] = what
        return key

    def known(guid: str | None, pool: set[str], what: str, field_name: str, kind: str) -> None:
        if guid is not None and (canonical_guid(guid) or guid) not in pool:
            problems.add(what, field_name, f"refers to {kind} {guid}, which is not in the project",
                         f"add the {kind} to the project or remove the reference")  # fmt: skip

    users = {own(u.guid, f"User {u.name!r}") for u in project.users}
    notes = {own(n.guid, f"Note {n.name!r}") for n in project.notes}
    codes = {own(c.guid, f"Code {c.name!r}") for _, c in walk_codes(project.codes)}
    kinds = {own(v.guid, f"Variable {v.name!r}"): v.type_of_variable for v in project.variables}
    sources = {own(s.guid, f"TextSource {s.name!r}") for s in project.sources}
    known(project.created_by, users, "Project", "creatingUserGUID", "user")
    for ref in project.note_refs:
        known(ref, notes, "Project", "NoteRef", "note")
    for note in project.notes:
        known(note.creating_user, users, f"Note {note.name!r}", "creatingUser", "user")
    for _, code in walk_codes(project.codes):
        if code.color is not None and canonical_color(code.color) is None:
            problems.add(f"Code {code.name!r}", "color", f"{code.color!r} is not a colour", "use #rrggbb")
        for ref in code.note_refs:
            known(ref, notes, f"Code {code.name!r}", "NoteRef", "note")
    for variable in project.variables:
        if variable.type_of_variable not in VARIABLE_TYPES:
            problems.add(f"Variable {variable.name!r}", "typeOfVariable", f"{variable.type_of_variable!r} is unknown",
                         f"use one of {', '.join(VARIABLE_TYPES)}")  # fmt: skip
    for case in project.cases:
        what = f"Case {case.name or case.guid!r}"
        own(case.guid, what)
        _check_values(case.values, kinds, what, problems)
        for ref in case.source_guids:
            known(ref, sources, what, "SourceRef", "source")
    for source in project.sources:
        what = f"TextSource {source.name!r}"
        known(source.creating_user, users, what, "creatingUser", "user")
        _check_values(source.values, kinds, what, problems)
        for ref in source.note_refs:
            known(ref, notes, what, "NoteRef", "note")
        for chosen in source.selections:
            place = f"{what} selection {chosen.name or chosen.guid!r}"
            own(chosen.guid, place)
            if not 0 <= chosen.start <= chosen.end <= len(source.text):
                problems.add(place, "startPosition/endPosition",
                             f"{chosen.start}..{chosen.end} is not inside the text (0..{len(source.text)}, start <= end)",
                             "export the project again; positions count Unicode code points")  # fmt: skip
            known(chosen.creating_user, users, place, "creatingUser", "user")
            for ref in chosen.note_refs:
                known(ref, notes, place, "NoteRef", "note")
            for coding in chosen.codings:
                own(coding.guid, f"{place} coding")
                known(coding.code_guid, codes, place, "Coding CodeRef", "code")
                known(coding.creating_user, users, place, "Coding creatingUser", "user")


def _check_values(values: Mapping[str, VariableValue], kinds: dict[str, VariableType], what: str,
                  problems: Problems) -> None:  # fmt: skip
    for guid, value in values.items():
        kind = kinds.get(canonical_guid(guid) or guid)
        if kind is None:
            problems.add(what, "VariableValue", f"refers to variable {guid}, which is not in the project",
                         "add the variable or remove the value")  # fmt: skip
        elif not _value_fits(kind, value):
            problems.add(what, "VariableValue", f"{value!r} is not a {kind} value", f"give a {kind} value")
