"""The codebook and the coding: hierarchical codes, merging and splitting them (their codings
move with them, none is lost), numbered codebook versions, each coder's codings kept apart,
the consensus layer resolved in review, memos, and the model's suggestions that become
codings only when a person accepts them. Every change is audited in its transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.research import agreement, events
from techforce.research.models import Code, CodebookVersion, Coding, Memo, Source, Study, Suggestion
from techforce.research.service import Line, Prose, case, source, study

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CODER, CONSENSUS = "coder", "consensus"


class CodeIn(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    parent_id: int | None = None
    colour: str = "#888888"
    definition: Prose = Field(default="", max_length=5000)
    inclusion: Prose = Field(default="", max_length=5000)
    exclusion: Prose = Field(default="", max_length=5000)
    examples: Prose = Field(default="", max_length=10000)
    shortcut: str = Field(default="", max_length=1)

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not COLOUR.match(value):
            raise ValueError("is not a colour like #1f77b4")
        return value.lower()

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, value: str) -> str:
        if value and not value.isalnum():
            raise ValueError("must be one letter or digit")
        return value.lower()


# ---------------------------------------------------------------- codes


def code(s: Db, st: Study, code_id: int, *, live: bool = True) -> Code:
    found = s.get(Code, code_id)
    if found is None or found.study_id != st.id or (live and found.retired):
        raise errors.NotFound(f"there is no code {code_id} in this study")
    return found


def codes_of(s: Db, study_id: int, *, retired: bool = False) -> list[Code]:
    """The study's codes in tree order (parents before children, siblings by position)."""
    rows = list(s.scalars(select(Code).where(Code.study_id == study_id).order_by(Code.position, Code.id)))
    if not retired:
        rows = [c for c in rows if not c.retired]
    children: dict[int | None, list[Code]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[Code] = []

    def walk(parent: int | None) -> None:
        for child in children.get(parent, []):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def paths(codes: Iterable[Code]) -> dict[int, tuple[str, ...]]:
    """Each code's path of names from the root, e.g. ("Careers", "Grade ceiling")."""
    by_id = {c.id: c for c in codes}
    out: dict[int, tuple[str, ...]] = {}

    def path(c: Code) -> tuple[str, ...]:
        if c.id not in out:
            parent = by_id.get(c.parent_id) if c.parent_id is not None else None
            out[c.id] = (*path(parent), c.name) if parent else (c.name,)
        return out[c.id]

    for c in by_id.values():
        path(c)
    return out


def save_code(s: Db, guid: str, data: CodeIn, *, actor: str, code_id: int | None = None) -> Code:
    """Add a code, or change one (moving it under another parent too); names are unique among
    siblings, shortcuts unique in the study, and a code cannot sit under its own descendant."""
    st = study(s, guid)
    row = code(s, st, code_id) if code_id is not None else Code(study_id=st.id)
    if data.parent_id is not None:
        parent = code(s, st, data.parent_id)
        walk: Code | None = parent
        while walk is not None:
            if code_id is not None and walk.id == code_id:
                raise errors.Invalid("A code cannot be placed under itself or one of its own sub-codes.")
            walk = s.get(Code, walk.parent_id) if walk.parent_id is not None else None
    for other in codes_of(s, st.id):
        if other.id == code_id:
            continue
        if other.parent_id == data.parent_id and other.name.casefold() == data.name.casefold():
            raise errors.Refused(
                f"A code named {data.name!r} is already there: choose another name.", status=409
            )
        if data.shortcut and other.shortcut == data.shortcut:
            raise errors.Refused(
                f"The shortcut {data.shortcut!r} is taken by the code {other.name!r}: choose another key.",
                status=409,
            )
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    if code_id is None:
        siblings = [c for c in codes_of(s, st.id) if c.parent_id == data.parent_id]
        row.position = len(siblings)
        s.add(row)
    s.flush()
    audit.record(
        s, actor=actor, action=events.CODE_SAVE, target=guid, payload={"code": row.id, "name": row.name}
    )
    return row


def merge_codes(s: Db, guid: str, merged: Sequence[int], into: int, *, actor: str) -> int:
    """Merge codes into another: their codings, sub-codes, memos and suggestions move to
    ``into`` and the merged codes are retired. Returns how many codings moved."""
    st = study(s, guid)
    target = code(s, st, into)
    moved = 0
    for code_id in merged:
        if code_id == into:
            raise errors.Invalid("A code cannot be merged into itself.")
        old = code(s, st, code_id)
        walk: Code | None = target
        while walk is not None:
            if walk.id == old.id:
                raise errors.Invalid(f"{target.name!r} is under {old.name!r}: merge the other way round.")
            walk = s.get(Code, walk.parent_id) if walk.parent_id is not None else None
        for row in s.scalars(select(Coding).where(Coding.code_id == old.id)):
            row.code_id = target.id
            moved += 1
        for child in s.scalars(select(Code).where(Code.parent_id == old.id)):
            child.parent_id = target.id
        for memo in s.scalars(select(Memo).where(Memo.code_id == old.id)):
            memo.code_id = target.id
        for sug in s.scalars(select(Suggestion).where(Suggestion.code_id == old.id)):
            sug.code_id = target.id
        old.retired, old.shortcut = True, ""
    audit.record(
        s, actor=actor, action=events.CODE_MERGE, target=guid, payload={"merged": list(merged), "into": into}
    )
    return moved


def split_code(
    s: Db, guid: str, code_id: int, new: Sequence[CodeIn], assign: Mapping[int, int], *, actor: str
) -> list[Code]:
    """Split a code: make the ``new`` codes and move each coding named in ``assign`` (coding
    id -> index into ``new``) to its new code. Codings not assigned stay on the old code, so
    none is lost."""
    st = study(s, guid)
    old = code(s, st, code_id)
    made = [save_code(s, guid, data, actor=actor) for data in new]
    for coding_id, index in assign.items():
        row = s.get(Coding, coding_id)
        if row is None or row.code_id != old.id:
            raise errors.Invalid(
                f"Coding {coding_id} is not a coding of {old.name!r}: assign only its codings."
            )
        if not 0 <= index < len(made):
            raise errors.Invalid(f"Coding {coding_id} is assigned to new code {index}, which does not exist.")
        row.code_id = made[index].id
    audit.record(
        s,
        actor=actor,
        action=events.CODE_SPLIT,
        target=guid,
        payload={"code": code_id, "into": [c.id for c in made], "moved": len(assign)},
    )
    return made


def codebook_json(codes: Iterable[Code]) -> list[dict[str, Any]]:
    """The codebook as data (what a version keeps)."""
    return [
        {
            "guid": c.guid,
            "id": c.id,
            "parent_id": c.parent_id,
            "name": c.name,
            "colour": c.colour,
            "definition": c.definition,
            "inclusion": c.inclusion,
            "exclusion": c.exclusion,
            "examples": c.examples,
            "shortcut": c.shortcut,
        }
        for c in codes
    ]


def save_version(s: Db, guid: str, note: str = "", *, actor: str) -> CodebookVersion:
    """Keep the codebook as it is now as the next numbered version."""
    st = study(s, guid)
    last = s.scalar(
        select(CodebookVersion.number)
        .where(CodebookVersion.study_id == st.id)
        .order_by(CodebookVersion.number.desc())
        .limit(1)
    )
    version = CodebookVersion(
        study_id=st.id,
        number=(last or 0) + 1,
        note=note[:1000],
        codes=codebook_json(codes_of(s, st.id)),
        created_by=actor,
    )
    s.add(version)
    s.flush()
    audit.record(
        s, actor=actor, action=events.CODEBOOK_VERSION, target=guid, payload={"number": version.number}
    )
    return version


# ---------------------------------------------------------------- codings


def add_coding(
    s: Db, guid: str, source_id: int, code_id: int, start: int, end: int, *, actor: str, layer: str = CODER
) -> Coding:
    """Apply a code to ``source.text[start:end]`` (code points) as ``actor``'s coding. The
    same coder applying the same code to the same span again changes nothing."""
    st = study(s, guid)
    src = source(s, st, source_id)
    cd = code(s, st, code_id)
    if not 0 <= start < end <= len(src.text):
        raise errors.Invalid(
            f"The selection {start}-{end} is outside the source {src.name!r} (0-{len(src.text)}): "
            "select text inside it."
        )
    same = s.scalar(
        select(Coding).where(
            Coding.source_id == src.id,
            Coding.code_id == cd.id,
            Coding.coder == actor,
            Coding.layer == layer,
            Coding.start == start,
            Coding.end == end,
        )
    )
    if same is not None:
        return same
    row = Coding(
        study_id=st.id, source_id=src.id, code_id=cd.id, coder=actor, layer=layer, start=start, end=end
    )
    s.add(row)
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.CODING_ADD,
        target=guid,
        payload={
            "coding": row.id,
            "source": src.id,
            "code": cd.id,
            "start": start,
            "end": end,
            "layer": layer,
        },
    )
    return row


def coding_of(s: Db, st: Study, coding_id: int, *, actor: str, owner: bool) -> Coding:
    """A coding of the study that ``actor`` may act on: an owner any; anyone else only their
    own (coder layer). Blind coding: another coder's coding, or a consensus one, is reported
    exactly as an id that does not exist, so no message tells whose it is or that it exists."""
    row = s.get(Coding, coding_id)
    if row is None or row.study_id != st.id or not (owner or (row.layer == CODER and row.coder == actor)):
        raise errors.NotFound(f"there is no coding {coding_id} in this study")
    return row


def remove_coding(s: Db, guid: str, coding_id: int, *, actor: str, owner: bool = False) -> None:
    """Remove a coding: a coder removes only their own; an owner any (and consensus ones)."""
    st = study(s, guid)
    row = coding_of(s, st, coding_id, actor=actor, owner=owner)
    s.delete(row)
    audit.record(s, actor=actor, action=events.CODING_REMOVE, target=guid, payload={"coding": coding_id})


def codings_of(
    s: Db, study_id: int, *, source_id: int | None = None, coder: str | None = None, layer: str | None = None
) -> list[Coding]:
    query = select(Coding).where(Coding.study_id == study_id)
    if source_id is not None:
        query = query.where(Coding.source_id == source_id)
    if coder is not None:
        query = query.where(Coding.coder == coder)
    if layer is not None:
        query = query.where(Coding.layer == layer)
    return list(s.scalars(query.order_by(Coding.source_id, Coding.start, Coding.id)))


def coders_of(s: Db, study_id: int) -> list[str]:
    return sorted(
        set(s.scalars(select(Coding.coder).where(Coding.study_id == study_id, Coding.layer == CODER)))
    )


@dataclass(frozen=True)
class Units:
    """What agreement needs: codings by coder as agreement.Coding (codes and sources named by
    id as text), source lengths, and names for display."""

    codings: list[agreement.Coding]
    lengths: dict[str, int]
    code_names: dict[str, tuple[str, ...]]
    source_names: dict[str, str]


def units(s: Db, st: Study, coders: Sequence[str] | None = None) -> Units:
    rows = codings_of(s, st.id, layer=CODER)
    if coders:
        rows = [r for r in rows if r.coder in coders]
    sources = s.execute(select(Source.id, Source.name, Source.text).where(Source.study_id == st.id)).all()
    names = paths(codes_of(s, st.id))
    return Units(
        codings=[agreement.Coding(r.coder, str(r.code_id), str(r.source_id), r.start, r.end) for r in rows],
        lengths={str(i): len(t) for i, _, t in sources},
        code_names={str(k): v for k, v in names.items()},
        source_names={str(i): n for i, n, _ in sources},
    )


def resolve(
    s: Db, guid: str, code_id: int, source_id: int, start: int, end: int, apply: bool, *, actor: str
) -> None:
    """Resolve one disagreement into the consensus layer: ``apply`` the code to the span, or
    clear it there. Where coders agreed, the consensus is seeded from their agreement the
    first time a code is reviewed in a source."""
    st = study(s, guid)
    src = source(s, st, source_id)
    cd = code(s, st, code_id)
    if not 0 <= start < end <= len(src.text):
        raise errors.Invalid(f"The span {start}-{end} is outside the source {src.name!r}.")
    current = [r for r in codings_of(s, st.id, source_id=src.id, layer=CONSENSUS) if r.code_id == cd.id]
    if not current:
        current = _seed_consensus(s, st, src, cd, actor)
    covered = {i for r in current for i in range(r.start, r.end)}
    wanted = covered | set(range(start, end)) if apply else covered - set(range(start, end))
    for row in current:
        s.delete(row)
    s.flush()
    for a, b in _runs(sorted(wanted)):
        s.add(
            Coding(
                study_id=st.id, source_id=src.id, code_id=cd.id, coder=actor, layer=CONSENSUS, start=a, end=b
            )
        )
    audit.record(
        s,
        actor=actor,
        action=events.CONSENSUS_RESOLVE,
        target=guid,
        payload={"code": cd.id, "source": src.id, "start": start, "end": end, "apply": apply},
    )


def _seed_consensus(s: Db, st: Study, src: Source, cd: Code, actor: str) -> list[Coding]:
    rows = [r for r in codings_of(s, st.id, source_id=src.id, layer=CODER) if r.code_id == cd.id]
    by_coder: dict[str, set[int]] = {}
    for r in rows:
        by_coder.setdefault(r.coder, set()).update(range(r.start, r.end))
    if not by_coder:
        return []
    agreed = set.intersection(*by_coder.values()) if len(by_coder) > 1 else set()
    made = [
        Coding(study_id=st.id, source_id=src.id, code_id=cd.id, coder=actor, layer=CONSENSUS, start=a, end=b)
        for a, b in _runs(sorted(agreed))
    ]
    s.add_all(made)
    s.flush()
    return made


def _runs(chars: Sequence[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for c in chars:
        if out and out[-1][1] == c:
            out[-1] = (out[-1][0], c + 1)
        else:
            out.append((c, c + 1))
    return out


# ---------------------------------------------------------------- memos


class MemoIn(BaseModel):
    title: Line = Field(default="", max_length=200)
    text: Prose = Field(min_length=1, max_length=50000)
    source_id: int | None = None
    code_id: int | None = None
    case_id: int | None = None
    coding_id: int | None = None


def save_memo(
    s: Db, guid: str, data: MemoIn, *, actor: str, memo_id: int | None = None, owner: bool = False
) -> Memo:
    """Write a memo on the study or on one source, code, case or coding; an author edits only
    their own memos. A memo goes on one's own coding (an owner's on any): another coder's
    coding is reported as missing, as is another author's memo to anyone but an owner."""
    st = study(s, guid)
    if data.source_id is not None:
        source(s, st, data.source_id)
    if data.code_id is not None:
        code(s, st, data.code_id)
    if data.case_id is not None:
        case(s, st, data.case_id)
    if data.coding_id is not None:
        coding_of(s, st, data.coding_id, actor=actor, owner=owner)
    if memo_id is None:
        row = Memo(study_id=st.id, author=actor)
        s.add(row)
    else:
        row = _memo(s, st, memo_id, actor, owner)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    row.updated_at = datetime.now(UTC)
    s.flush()
    audit.record(s, actor=actor, action=events.MEMO_SAVE, target=guid, payload={"memo": row.id})
    return row


def _memo(s: Db, st: Study, memo_id: int, actor: str, owner: bool) -> Memo:
    """The actor's own memo. Coders see only their own memos, so another author's memo is
    reported to them as missing; an owner (who sees every memo) is told whose it is."""
    row = s.get(Memo, memo_id)
    if row is None or row.study_id != st.id or (row.author != actor and not owner):
        raise errors.NotFound(f"there is no memo {memo_id} in this study")
    if row.author != actor:
        raise errors.Forbidden(f"memo {memo_id} is {row.author}'s: only its author changes it")
    return row


def remove_memo(s: Db, guid: str, memo_id: int, *, actor: str, owner: bool = False) -> None:
    st = study(s, guid)
    s.delete(_memo(s, st, memo_id, actor, owner))
    audit.record(s, actor=actor, action=events.MEMO_REMOVE, target=guid, payload={"memo": memo_id})


# ---------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Proposed:
    """A segment a model proposed (what assist.suggest returns, in store terms)."""

    source_id: int
    start: int
    end: int
    score: float
    model: str
    version: str


def store_suggestions(s: Db, guid: str, code_id: int, proposed: Iterable[Proposed], *, actor: str) -> int:
    """Keep a model's proposals for a code as ``actor``'s open suggestions (replacing their
    older open ones for that code; another coder's stay). Nothing becomes a coding here."""
    st = study(s, guid)
    cd = code(s, st, code_id)
    s.execute(
        delete(Suggestion).where(
            Suggestion.study_id == st.id,
            Suggestion.code_id == cd.id,
            Suggestion.status == "open",
            Suggestion.requested_by == actor,
        )
    )
    count = 0
    for p in proposed:
        src = source(s, st, p.source_id)
        if not 0 <= p.start < p.end <= len(src.text):
            raise errors.Invalid(f"A suggestion {p.start}-{p.end} is outside the source {src.name!r}.")
        s.add(
            Suggestion(
                study_id=st.id,
                code_id=cd.id,
                source_id=src.id,
                start=p.start,
                end=p.end,
                score=round(float(p.score), 4),
                model=p.model[:200],
                model_version=p.version[:50],
                requested_by=actor,
            )
        )
        count += 1
    audit.record(s, actor=actor, action=events.SUGGEST, target=guid, payload={"code": cd.id, "count": count})
    return count


def decide_suggestion(
    s: Db, guid: str, suggestion_id: int, accept: bool, *, actor: str, owner: bool = False
) -> Coding | None:
    """Accept a suggestion (it becomes the deciding person's coding) or reject it; recorded
    either way with who decided and when. A coder decides only the suggestions they asked
    for (an owner any): another coder's is reported as missing, and who decided one is named
    only to an owner or to the person who decided it (blind coding)."""
    st = study(s, guid)
    row = s.get(Suggestion, suggestion_id)
    if row is None or row.study_id != st.id or (row.requested_by != actor and not owner):
        raise errors.NotFound(f"there is no suggestion {suggestion_id} in this study")
    if row.status != "open":
        by = f" by {row.decided_by}" if owner or row.decided_by == actor else ""
        raise errors.Refused(f"Suggestion {suggestion_id} was already {row.status}{by}.", status=409)
    coding = (
        add_coding(s, guid, row.source_id, row.code_id, row.start, row.end, actor=actor) if accept else None
    )
    row.status = "accepted" if accept else "rejected"
    row.decided_by, row.decided_at = actor, datetime.now(UTC)
    row.coding_id = coding.id if coding else None
    audit.record(
        s,
        actor=actor,
        action=events.SUGGESTION_DECIDE,
        target=guid,
        payload={"suggestion": row.id, "accepted": accept, "model": row.model, "score": row.score},
    )
    return coding
