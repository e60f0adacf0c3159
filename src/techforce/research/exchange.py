"""A study to and from a REFI-QDA project (refi.Project, written and read by qdpx.py).

What maps to what:

- each coder (and the consensus layer, as a user named ``consensus``) is a REFI user whose
  GUID is derived from the study and the name, so exports of one study keep them;
- codes keep their GUIDs and tree; a coding is a REFI Coding inside a Selection (codings
  sharing ``Coding.selection`` come back as one selection with several codes);
- participants are Cases with variables: participant type, institution, the three consent
  answers (Boolean) and every free attribute (Text);
- memos are Notes, referenced from the source, code or selection they are about (memos on the
  study or a participant from the project).

An import makes a new study owned by the importer, in one transaction: all or nothing. The
user names in a file are the file's word, not an account's: each becomes ``import:<name>``
(``alice`` -> ``import:alice``; a name already so written stays as it is, so a study exported
and imported again keeps its names). A username cannot hold ``:``, so an imported coder or
memo author never passes for a real account, and every imported coding lands on the coder
layer: a file's ``consensus`` user is the coder ``import:consensus``, never the consensus
layer, which only the study's owners resolve. GUIDs, offsets, codes, participants, consent
and memos come back as they were."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from annotated_types import MaxLen
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.research import events, refi
from techforce.research.coding import CODER, CONSENSUS, CodeIn, MemoIn, codes_of
from techforce.research.models import Case, Code, Coding, Consent, Memo, Source, Study
from techforce.research.qdpx import lf_newlines
from techforce.research.service import StudyIn, consent_of, create_study, study

ORIGIN = "techforce"
TYPE, INSTITUTION = "participant type", "institution"
IMPORTED = "import:"  # the prefix of every user name read from a file
CONSENTS = {"may be quoted": "may_quote", "may be archived": "may_archive", "may be named": "may_name"}
YES, NO = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})
CODE_TEXTS = ("definition", "inclusion", "exclusion", "examples")


def imported_name(name: str) -> str:
    """A user name from a file as an imported coder or author: ``import:<name>``, never the
    name of an account (usernames hold no ``:``) nor the consensus layer."""
    name = " ".join(name.split())
    return (name if name.startswith(IMPORTED) else IMPORTED + name)[:100]


def _guid(study_guid: str, kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"techforce:{study_guid}:{kind}:{name}"))


# ---------------------------------------------------------------- export


def export_project(s: Db, guid: str) -> refi.Project:
    """The study as a REFI-QDA project (write it with qdpx.write_qdpx)."""
    st = study(s, guid)
    codes = codes_of(s, st.id)
    codings = list(s.scalars(select(Coding).where(Coding.study_id == st.id).order_by(Coding.id)))
    memos = list(s.scalars(select(Memo).where(Memo.study_id == st.id).order_by(Memo.id)))
    cases = list(s.scalars(select(Case).where(Case.study_id == st.id).order_by(Case.id)))
    sources = list(s.scalars(select(Source).where(Source.study_id == st.id).order_by(Source.id)))
    names = {st.created_by} | {m.author for m in memos}
    names |= {CONSENSUS if c.layer == CONSENSUS else c.coder for c in codings}
    users = {n: _guid(st.guid, "user", n) for n in sorted(names)}
    variables = _variables(st, cases)
    by_id = {v.name: v for v in variables}
    return refi.Project(
        name=st.name,
        origin=ORIGIN,
        description=st.description,
        created_by=users[st.created_by],
        users=tuple(refi.User(g, n) for n, g in users.items()),
        codes=_code_tree(codes, memos),
        sources=tuple(_source(src, codings, memos, users) for src in sources),
        cases=tuple(_case(c, sources, by_id) for c in cases),
        variables=tuple(variables),
        notes=tuple(
            refi.Note(m.guid, m.title or "Memo", m.text, users[m.author], m.created_at) for m in memos
        ),
        note_refs=tuple(
            m.guid for m in memos if m.source_id is None and m.code_id is None and m.coding_id is None
        ),
    )


def _variables(st: Study, cases: list[Case]) -> list[refi.Variable]:
    out = [
        refi.Variable(_guid(st.guid, "variable", TYPE), TYPE),
        refi.Variable(_guid(st.guid, "variable", INSTITUTION), INSTITUTION),
    ]
    out += [refi.Variable(_guid(st.guid, "variable", n), n, "Boolean") for n in CONSENTS]
    for name in sorted({k for c in cases for k in c.attributes} - {TYPE, INSTITUTION, *CONSENTS}):
        out.append(refi.Variable(_guid(st.guid, "variable", name), name))
    return out


def _case(row: Case, sources: list[Source], variables: dict[str, refi.Variable]) -> refi.Case:
    values: dict[str, Any] = {
        variables[TYPE].guid: row.participant_type,
        variables[INSTITUTION].guid: row.institution,
    }
    consent = consent_of(row)
    if consent is not None:
        for name, attr in CONSENTS.items():
            values[variables[name].guid] = bool(getattr(consent, attr))
    for name, value in row.attributes.items():
        if name in variables:
            values[variables[name].guid] = value
    return refi.Case(
        guid=row.guid,
        name=row.pseudonym,
        values={k: v for k, v in values.items() if v != ""},
        source_guids=tuple(src.guid for src in sources if src.case_id == row.id),
    )


def _code_tree(codes: list[Code], memos: list[Memo]) -> tuple[refi.Code, ...]:
    notes: dict[int, list[str]] = {}
    for m in memos:
        if m.code_id is not None:
            notes.setdefault(m.code_id, []).append(m.guid)

    def build(parent: int | None) -> tuple[refi.Code, ...]:
        return tuple(
            refi.Code(
                guid=c.guid,
                name=c.name,
                color=c.colour,
                definition=c.definition,
                inclusion=c.inclusion,
                exclusion=c.exclusion,
                examples=c.examples,
                children=build(c.id),
                note_refs=tuple(notes.get(c.id, ())),
            )
            for c in codes
            if c.parent_id == parent
        )

    return build(None)


def _source(src: Source, codings: list[Coding], memos: list[Memo], users: dict[str, str]) -> refi.TextSource:
    on_coding: dict[int, list[str]] = {}
    for m in memos:
        if m.coding_id is not None:
            on_coding.setdefault(m.coding_id, []).append(m.guid)
    groups: dict[str, list[Coding]] = {}
    for c in codings:
        if c.source_id == src.id:
            groups.setdefault(c.selection, []).append(c)
    selections = []
    for selection, rows in groups.items():
        first = rows[0]
        who = users[CONSENSUS if first.layer == CONSENSUS else first.coder]
        selections.append(
            refi.Selection(
                guid=selection,
                start=first.start,
                end=first.end,
                name=src.text[first.start : first.end][:60],
                creating_user=who,
                created=first.created_at,
                codings=tuple(refi.Coding(r.guid, _code_guid(r), who, r.created_at) for r in rows),
                note_refs=tuple(n for r in rows for n in on_coding.get(r.id, ())),
            )
        )
    return refi.TextSource(
        guid=src.guid,
        name=src.name,
        text=src.text,
        selections=tuple(selections),
        creating_user=users.get(src.created_by),
        created=src.created_at,
        note_refs=tuple(m.guid for m in memos if m.source_id == src.id and m.coding_id is None),
    )


def _code_guid(row: Coding) -> str:
    from sqlalchemy.orm import object_session

    session = object_session(row)
    assert session is not None
    found = session.get(Code, row.code_id)
    assert found is not None
    return found.guid


# ---------------------------------------------------------------- import


def import_project(s: Db, project: refi.Project, *, actor: str, filename: str = "") -> Study:
    """A new study from a REFI-QDA project (read with qdpx.read_qdpx), owned by ``actor``.
    A file whose codes or memos are longer than the study's forms allow, or whose consent
    answers are not yes or no, is refused whole (Invalid naming the file and what to fix)."""
    _check_limits(project, filename)
    name = (project.name or filename or "Imported project").replace("\n", " ")[:200]
    st = create_study(
        s, StudyIn(name=name, kind="interview", description=project.description[:20000]), actor=actor
    )
    users = {u.guid: imported_name(u.name or u.guid) for u in project.users}
    note_targets: dict[str, dict[str, int]] = {}
    code_ids = _import_codes(s, st, project.codes, note_targets)
    case_of_source = _import_cases(s, st, project, actor, filename)
    for src in project.sources:
        _import_source(s, st, lf_newlines(src), users, code_ids, case_of_source, note_targets, actor)
    for note in project.notes:
        target = note_targets.get(note.guid, {})
        s.add(
            Memo(
                study_id=st.id,
                guid=note.guid,
                author=users.get(note.creating_user or "", actor),
                title=note.name[:200],
                text=note.text,
                **target,
            )
        )
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.PROJECT_IMPORT,
        target=st.guid,
        payload={"file": filename, "sources": len(project.sources), "warnings": list(project.warnings)[:20]},
    )
    return st


def _max_length(model: type[BaseModel], field: str) -> int:
    """The most characters ``model`` allows in ``field`` (its Field(max_length=...))."""
    return next(m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen))


def _check_limits(project: refi.Project, filename: str) -> None:
    """Refuse a file whose code texts or memos are longer than the forms allow (CodeIn,
    MemoIn): an import writes no more than a person could type."""
    where = filename or "the project file"
    for _, c in refi.walk_codes(project.codes):
        for field in CODE_TEXTS:
            limit, size = _max_length(CodeIn, field), len(getattr(c, field))
            if size > limit:
                raise errors.Invalid(
                    f"{where}: code {c.name!r}: its {field} is {size:,} characters, more than the "
                    f"{limit:,} a code allows: shorten it in the program that wrote the file, "
                    "export again and import the new file."
                )
    limit = _max_length(MemoIn, "text")
    for note in project.notes:
        if len(note.text) > limit:
            raise errors.Invalid(
                f"{where}: memo {note.name or note.guid!r}: its text is {len(note.text):,} characters, "
                f"more than the {limit:,} a memo allows: split it into shorter memos in the program "
                "that wrote the file, export again and import the new file."
            )


def _unique(name: str, taken: set[str], width: int) -> str:
    """``name`` cut to ``width`` characters, or, when a row of the study has it already,
    ``name (2)``, ``name (3)``... cut to fit: always ends, as ``taken`` is finite. The name
    given is added to ``taken``."""
    candidate, n = name[:width], 1
    while candidate in taken:
        n += 1
        suffix = f" ({n})"
        candidate = name[: width - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _consent(value: Any, where: str, case: str, variable: str) -> bool:
    """A consent answer from a file: a Boolean, or text true/false, yes/no, 1/0 (any case);
    anything else is refused, since a wrong yes would publish what a person refused."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES or text in NO:
        return text in YES
    raise errors.Invalid(
        f"{where}: case {case!r}, variable {variable!r}: {str(value)[:40]!r} is not a consent answer: "
        "make it a Boolean, or the text true or false (yes/no, 1/0), and import the file again."
    )


def _import_codes(
    s: Db,
    st: Study,
    codes: Iterable[refi.Code],
    targets: dict[str, dict[str, int]],
    parent: int | None = None,
) -> dict[str, int]:
    out: dict[str, int] = {}
    for position, c in enumerate(codes):
        row = Code(
            study_id=st.id,
            guid=c.guid,
            parent_id=parent,
            name=c.name[:200] or "(unnamed)",
            colour=(c.color or "#888888")[:7],
            definition=c.definition,
            inclusion=c.inclusion,
            exclusion=c.exclusion,
            examples=c.examples,
            position=position,
        )
        s.add(row)
        s.flush()
        out[c.guid] = row.id
        for ref in c.note_refs:
            targets[ref] = {"code_id": row.id}
        out |= _import_codes(s, st, c.children, targets, row.id)
    return out


def _import_cases(s: Db, st: Study, project: refi.Project, actor: str, filename: str) -> dict[str, int]:
    names = {v.guid: v.name for v in project.variables}
    case_of_source: dict[str, int] = {}
    taken = set(s.scalars(select(Case.pseudonym).where(Case.study_id == st.id)))
    where = filename or "the project file"
    for n, c in enumerate(project.cases, start=1):
        values = {names.get(k, k): v for k, v in c.values.items()}
        pseudonym = _unique(c.name or f"Case {n}", taken, 100)
        consent = {
            CONSENTS[k]: _consent(values.pop(k), where, c.name or c.guid, k)
            for k in list(values)
            if k in CONSENTS
        }
        row = Case(
            study_id=st.id,
            guid=c.guid,
            pseudonym=pseudonym,
            participant_type=str(values.pop(TYPE, ""))[:100],
            institution=str(values.pop(INSTITUTION, ""))[:200],
        )
        row.attributes = {str(k)[:200]: str(v)[:200] for k, v in values.items()}
        s.add(row)
        s.flush()
        if consent:
            s.add(Consent(case_id=row.id, recorded_by=actor, note="imported", **consent))
        for source_guid in c.source_guids:
            case_of_source[source_guid] = row.id
    return case_of_source


def _import_source(
    s: Db,
    st: Study,
    src: refi.TextSource,
    users: dict[str, str],
    code_ids: dict[str, int],
    case_of_source: dict[str, int],
    note_targets: dict[str, dict[str, int]],
    actor: str,
) -> None:
    taken = set(s.scalars(select(Source.name).where(Source.study_id == st.id)))
    name = _unique(src.name or src.guid, taken, 300)
    row = Source(
        study_id=st.id,
        guid=src.guid,
        name=name,
        format="qdpx",
        text=src.text,
        case_id=case_of_source.get(src.guid),
        created_by=users.get(src.creating_user or "", actor),
    )
    s.add(row)
    s.flush()
    for ref in src.note_refs:
        note_targets[ref] = {"source_id": row.id}
    for sel in src.selections:
        for c in sel.codings:
            who = users.get(c.creating_user or sel.creating_user or "", actor)
            coding = Coding(
                study_id=st.id,
                guid=c.guid,
                selection=sel.guid,
                source_id=row.id,
                code_id=code_ids[c.code_guid],
                coder=who,
                layer=CODER,  # a file never writes the consensus layer
                start=sel.start,
                end=sel.end,
            )
            s.add(coding)
            s.flush()
            for ref in sel.note_refs:
                note_targets.setdefault(ref, {"coding_id": coding.id})
