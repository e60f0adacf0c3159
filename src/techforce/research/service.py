"""Changes to studies, their members, participants (cases), consent and sources. Every change
is audited in the same transaction and raises one of the four base errors on bad input; an
import either stores everything it read or nothing.

Studies are named in URLs by their GUID, never by their name: a non-member who guesses an
address learns nothing (see permissions.py). Codebooks, codings and memos are in coding.py;
quote decisions and case studies in quoting.py."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.accounts.models import User
from techforce.research import events
from techforce.research.models import Case, Consent, Member, Source, Study, Value, Variable
from techforce.research.permissions import OWNER, RIGHTS
from techforce.research.surveys import read_survey
from techforce.research.transcripts import MAX_BYTES, read_transcript

KINDS = ("interview", "focus-group", "survey")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]")


def _prose(value: str) -> str:
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"holds the control character U+{ord(bad.group()):04X}: remove it")
    return value


def _line(value: str) -> str:
    _prose(value)
    if _LINE_BREAKS.search(value):
        raise ValueError("holds a line break or tab: write it on one line")
    return value.strip()


Line = Annotated[str, AfterValidator(_line)]
Prose = Annotated[str, AfterValidator(_prose)]


M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], what: str, **values: Any) -> M:
    """``model(**values)``, or Invalid naming each field that breaks a rule and why."""
    try:
        return model(**values)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or what, "message": e["msg"]} for e in exc.errors()
        ]
        listed = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise errors.Invalid(f"The {what} is not valid: {listed}.", problems) from None


class Topic(BaseModel):
    topic: Line = Field(min_length=1, max_length=200)
    questions: list[Prose] = Field(default_factory=list, max_length=100)


class StudyIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    kind: Literal["interview", "focus-group", "survey"]
    description: Prose = Field(default="", max_length=20000)
    protocol: list[Topic] = Field(default_factory=list, max_length=100)


class CaseIn(BaseModel):
    pseudonym: Line = Field(min_length=1, max_length=100)
    participant_type: Line = Field(default="", max_length=100)
    institution: Line = Field(default="", max_length=200)
    attributes: dict[Line, Line] = Field(default_factory=dict, max_length=50)


# ---------------------------------------------------------------- studies and members


def study(s: Db, guid: str) -> Study:
    """The study with GUID ``guid`` (the caller's right was checked by its permission)."""
    found = s.scalar(select(Study).where(Study.guid == guid))
    if found is None:
        raise errors.NotFound(f"there is no study {guid}")
    return found


def studies_of(s: Db, username: str) -> list[tuple[Study, str]]:
    """The studies ``username`` is a member of, with their right, newest first."""
    rows = s.execute(
        select(Study, Member.right)
        .join(Member, Member.study_id == Study.id)
        .where(Member.username == username)
        .order_by(Study.created_at.desc(), Study.id.desc())
    )
    return [(st, right) for st, right in rows]


def create_study(s: Db, data: StudyIn, *, actor: str) -> Study:
    """A new study; its creator is its first owner."""
    new = Study(
        name=data.name,
        kind=data.kind,
        description=data.description,
        protocol=[t.model_dump() for t in data.protocol],
        created_by=actor,
    )
    s.add(new)
    s.flush()
    s.add(Member(study_id=new.id, username=actor, right=OWNER))
    audit.record(s, actor=actor, action=events.STUDY_SAVE, target=new.guid, payload={"created": True})
    return new


def update_study(s: Db, guid: str, data: StudyIn, *, actor: str) -> Study:
    st = study(s, guid)
    st.name, st.kind, st.description = data.name, data.kind, data.description
    st.protocol = [t.model_dump() for t in data.protocol]
    audit.record(s, actor=actor, action=events.STUDY_SAVE, target=guid, payload={"changed": True})
    return st


def set_member(s: Db, guid: str, username: str, right: str, *, actor: str) -> None:
    """Add ``username`` to the study or change their right (owner, coder, viewer). The message
    for an account that does not exist is the one for a disabled account: an owner cannot use
    this form to find out which usernames exist."""
    if right not in RIGHTS:
        raise errors.Invalid(f"There is no right {right!r}: choose one of {', '.join(RIGHTS)}.")
    if s.scalar(select(User.id).where(User.username == username, User.disabled.is_(False))) is None:
        raise errors.Invalid(
            f"Cannot add {username!r} to the study: check the spelling, or ask an admin whether "
            "the account exists and is active."
        )
    st = _locked_study(s, guid)
    current = _member(s, st, username)
    if current is not None and current.right == OWNER and right != OWNER:
        _keep_an_owner(s, st, username)
    if current is None:
        s.add(Member(study_id=st.id, username=username, right=right))
    else:
        current.right = right
    _still_owned(s, st, username)
    audit.record(
        s, actor=actor, action=events.MEMBER_SAVE, target=guid, payload={"username": username, "right": right}
    )


def remove_member(s: Db, guid: str, username: str, *, actor: str) -> None:
    st = _locked_study(s, guid)
    current = _member(s, st, username)
    if current is None:
        raise errors.NotFound(f"{username} is not a member of this study")
    if current.right == OWNER:
        _keep_an_owner(s, st, username)
    s.delete(current)
    _still_owned(s, st, username)
    audit.record(s, actor=actor, action=events.MEMBER_REMOVE, target=guid, payload={"username": username})


def _locked_study(s: Db, guid: str) -> Study:
    """The study, after taking its lock (an UPDATE that changes nothing: a row lock on
    PostgreSQL, the database write lock on SQLite). Two owners who demote or remove each other
    at the same moment are then served one after the other, and the second sees the first's
    change when it counts the owners."""
    s.execute(update(Study).where(Study.guid == guid).values(name=Study.name))
    return study(s, guid)


def _member(s: Db, st: Study, username: str) -> Member | None:
    """The member row as stored now (not a copy this session read before the lock)."""
    return s.scalar(
        select(Member)
        .where(Member.study_id == st.id, Member.username == username)
        .execution_options(populate_existing=True)
    )


def _owners(s: Db, st: Study, *, besides: str = "") -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.study_id == st.id, Member.right == OWNER, Member.username != besides)
        )
        or 0
    )


def _keep_an_owner(s: Db, st: Study, leaving: str) -> None:
    if not _owners(s, st, besides=leaving):
        raise errors.Refused(f"{leaving} is the study's only owner: make someone else an owner first.")


def _still_owned(s: Db, st: Study, leaving: str) -> None:
    """Count again after the change is written: a study never ends without an owner."""
    s.flush()
    if not _owners(s, st):
        raise errors.Refused(f"{leaving} is the study's only owner: make someone else an owner first.")


# ---------------------------------------------------------------- participants and consent


def case(s: Db, st: Study, case_id: int) -> Case:
    found = s.get(Case, case_id)
    if found is None or found.study_id != st.id:
        raise errors.NotFound(f"there is no participant {case_id} in this study")
    return found


def save_case(s: Db, guid: str, data: CaseIn, *, actor: str, case_id: int | None = None) -> Case:
    """Add a participant, or change one; pseudonyms are unique within a study."""
    st = study(s, guid)
    clash = s.scalar(select(Case.id).where(Case.study_id == st.id, Case.pseudonym == data.pseudonym))
    if clash is not None and clash != case_id:
        raise errors.Refused(
            f"The pseudonym {data.pseudonym!r} is taken in this study: choose another.", status=409
        )
    row = case(s, st, case_id) if case_id is not None else Case(study_id=st.id)
    row.pseudonym, row.participant_type = data.pseudonym, data.participant_type
    row.institution, row.attributes = data.institution, dict(data.attributes)
    if case_id is None:
        s.add(row)
    s.flush()
    audit.record(s, actor=actor, action=events.CASE_SAVE, target=guid, payload={"case": row.id})
    return row


def consent_of(row: Case) -> Consent | None:
    """The consent record in force (the latest), or None if none was recorded."""
    return row.consents[-1] if row.consents else None


def record_consent(
    s: Db,
    guid: str,
    case_id: int,
    *,
    may_quote: bool,
    may_archive: bool,
    may_name: bool,
    note: str = "",
    actor: str,
) -> Consent:
    """Record what a participant agreed to. Earlier records are kept as history."""
    st = study(s, guid)
    row = case(s, st, case_id)
    _line(note)
    entry = Consent(
        case_id=row.id,
        may_quote=may_quote,
        may_archive=may_archive,
        may_name=may_name and may_quote,
        note=note[:1000],
        recorded_by=actor,
    )
    row.consents.append(entry)
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.CONSENT_RECORD,
        target=guid,
        payload={"case": row.id, "quote": may_quote, "archive": may_archive, "name": entry.may_name},
    )
    return entry


# ---------------------------------------------------------------- sources


def source(s: Db, st: Study, source_id: int) -> Source:
    found = s.get(Source, source_id)
    if found is None or found.study_id != st.id:
        raise errors.NotFound(f"there is no source {source_id} in this study")
    return found


def _free_name(s: Db, st: Study, name: str) -> None:
    if s.scalar(select(Source.id).where(Source.study_id == st.id, Source.name == name)) is not None:
        raise errors.Refused(
            f"The study already has a source named {name!r}: remove it first or give this one another name.",
            status=409,
        )


def import_transcript(
    s: Db,
    guid: str,
    data: bytes,
    filename: str,
    *,
    actor: str,
    name: str | None = None,
    case_id: int | None = None,
    max_bytes: int = MAX_BYTES,
) -> Source:
    """Read a .txt, .docx, .vtt or .srt transcript into a source, optionally a participant's."""
    st = study(s, guid)
    transcript = read_transcript(data, filename, max_bytes=max_bytes)
    label = _line(name or filename)[:300] or filename
    _free_name(s, st, label)
    if case_id is not None:
        case(s, st, case_id)
    row = Source(
        study_id=st.id,
        name=label,
        kind="transcript",
        format=transcript.format,
        text=transcript.text,
        turns=[[t.speaker, t.start, t.end, t.begins_at, t.ends_at] for t in transcript.turns],
        case_id=case_id,
        created_by=actor,
    )
    s.add(row)
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.SOURCE_IMPORT,
        target=guid,
        payload={
            "source": row.id,
            "file": filename,
            "characters": len(row.text),
            "warnings": transcript.warnings,
        },
    )
    return row


def remove_source(s: Db, guid: str, source_id: int, *, actor: str) -> None:
    """Remove a source with its codings, memos and suggestions."""
    st = study(s, guid)
    row = source(s, st, source_id)
    s.delete(row)
    audit.record(s, actor=actor, action=events.SOURCE_REMOVE, target=guid, payload={"source": source_id})


def import_survey(
    s: Db,
    guid: str,
    data: bytes,
    filename: str,
    *,
    actor: str,
    id_column: str | None = None,
    kinds: dict[str, str] | None = None,
    institution_column: str | None = None,
    type_column: str | None = None,
) -> int:
    """Import a survey export: one case per respondent (attributes from attribute columns),
    Likert items as variables with their values, free-text answers as sources. Returns the
    number of respondents. Respondent ids already in the study are refused (import once)."""
    st = study(s, guid)
    survey = read_survey(data, filename, id_column=id_column, kinds=kinds)
    existing = set(s.scalars(select(Case.pseudonym).where(Case.study_id == st.id)))
    clashes = [r.id for r in survey.respondents if r.id in existing]
    if clashes:
        raise errors.Refused(
            f"{filename}: {len(clashes)} respondent id(s) are already in the study (e.g. {clashes[0]!r}): "
            "this survey was imported before; remove those participants or import another file.",
            status=409,
        )
    variables = _survey_variables(s, st, survey)
    for respondent in survey.respondents:
        attrs = dict(respondent.attributes)
        row = Case(
            study_id=st.id,
            pseudonym=respondent.id[:100],
            participant_type=attrs.pop(type_column, "respondent") if type_column else "respondent",
            institution=attrs.pop(institution_column, "") if institution_column else "",
            attributes=attrs,
        )
        s.add(row)
        s.flush()
        for column, point in respondent.likert.items():
            if point is not None:
                var = variables[column]
                s.add(Value(case_id=row.id, variable_id=var.id, value=var.scale[point - 1]))
        for column, answer in respondent.free_text.items():
            if answer.strip():
                s.add(
                    Source(
                        study_id=st.id,
                        name=f"{row.pseudonym} · {column}"[:300],
                        kind="answer",
                        format="survey",
                        text=answer,
                        case_id=row.id,
                        item=column[:200],
                        created_by=actor,
                    )
                )
    audit.record(
        s,
        actor=actor,
        action=events.SURVEY_IMPORT,
        target=guid,
        payload={"file": filename, "respondents": len(survey.respondents), "warnings": survey.warnings[:20]},
    )
    return len(survey.respondents)


def _survey_variables(s: Db, st: Study, survey: Any) -> dict[str, Variable]:
    known = {v.name: v for v in s.scalars(select(Variable).where(Variable.study_id == st.id))}
    out: dict[str, Variable] = {}
    for position, item in enumerate(survey.items):
        if item.kind != "likert":
            continue
        var = known.get(item.column)
        if var is None:
            var = Variable(
                study_id=st.id,
                name=item.column[:200],
                question=item.label or "",
                kind="likert",
                scale=list(item.scale or []),
                position=position,
            )
            s.add(var)
            s.flush()
        elif var.scale != list(item.scale or []):
            raise errors.Invalid(
                f"The item {item.column!r} is already in the study with the scale {var.scale}; "
                f"this file's scale is {item.scale}: use the same scale labels."
            )
        out[item.column] = var
    return out
