"""A codebook file (.qdc or codebook CSV, read by :mod:`techforce.research.refi`) merged INTO
a study's codebook.

Each code in the file is matched to the study's codes first by GUID, then by its path (the
names from the top code down, case-insensitive). A match takes the file's definition,
inclusion, exclusion, examples and colour (an empty field in the file leaves the study's text
as it is, so a CSV with only names loses nothing); a code with no match is added under its
parent. Nothing is deleted or retired and every coding stays where it is. Afterwards the
codebook is kept as a new version whose note names the file.

All or nothing: every problem in the file is listed (file, code, field, fix) before anything
is written, and then nothing is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.research import coding, events, refi
from techforce.research.coding import CodeIn
from techforce.research.models import Code
from techforce.research.service import study

TEXTS = ("definition", "inclusion", "exclusion", "examples")
SEP = " / "


@dataclass
class Merged:
    """What a merge did: the codes (as paths "Parent / Child") added, updated and unchanged,
    and the codebook version it saved."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated), "unchanged": len(self.unchanged)}

    def line(self) -> str:
        """One line for people: what changed and the version saved."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged; "
            f"saved as codebook version {self.version}"
        )


@dataclass
class _Step:
    """One code of the file: the study's code it updates (``target``) or a new one."""

    path: tuple[str, ...]
    incoming: refi.Code
    target: Code | None
    parent: tuple[str, ...] | None  # the parent's path (a code of the study or one added first)


def _label(path: Sequence[str]) -> str:
    return SEP.join(path)


def _key(path: Sequence[str]) -> tuple[str, ...]:
    return tuple(p.casefold() for p in path)


def _plan(
    existing: list[Code], codes: Sequence[refi.Code], filename: str
) -> tuple[list[_Step], list[dict[str, Any]]]:
    """Match every code of the file, collecting every problem rather than stopping at one."""
    live = [c for c in existing if not c.retired]
    live_paths = coding.paths(live)
    by_guid = {c.guid.lower(): c for c in existing}
    by_path = {_key(live_paths[c.id]): c for c in live}
    problems: list[dict[str, Any]] = []
    claimed: dict[int, tuple[str, ...]] = {}
    steps: list[_Step] = []

    def problem(path: Sequence[str], fld: str, message: str, fix: str) -> None:
        problems.append(
            {"file": filename, "code": _label(path), "field": fld, "message": message, "fix": fix}
        )

    for parents, incoming in refi.walk_codes(codes):
        path = (*(p.name for p in parents), incoming.name)
        target = by_guid.get(incoming.guid.lower())
        if target is not None and target.retired:
            problem(path, "guid", f"the GUID {incoming.guid} is that of {target.name!r}, a code merged "
                    "away (retired) in this study", "give the code in the file a new GUID")  # fmt: skip
            continue
        if target is not None and _key(live_paths[target.id]) != _key(path):
            problem(
                path,
                "guid",
                f"the GUID {incoming.guid} is already used by the code {_label(live_paths[target.id])!r}, "
                "at another path",
                "rename or move one of the two codes so that their paths match, or give the code in "
                "the file a new GUID",
            )
            continue
        target = target or by_path.get(_key(path))
        if target is not None:
            if target.id in claimed:
                problem(path, "path", f"this code and {_label(claimed[target.id])!r} both match the study's "
                        f"code {_label(live_paths[target.id])!r}", "give each code its own name")  # fmt: skip
                continue
            claimed[target.id] = path
        steps.append(_Step(path, incoming, target, tuple(path[:-1]) or None))
    return steps, problems


def _fields(step: _Step) -> dict[str, Any]:
    """The CodeIn fields the file gives (empty texts keep what the study has)."""
    old = step.target
    out: dict[str, Any] = {
        "name": old.name if old else step.incoming.name,
        "colour": (step.incoming.color or (old.colour if old else "#888888")).lower(),
        "shortcut": old.shortcut if old else "",
    }
    for name in TEXTS:
        given = getattr(step.incoming, name)
        out[name] = given if given.strip() or old is None else getattr(old, name)
    return out


def _checked(steps: list[_Step], filename: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    values, problems = [], []
    for step in steps:
        fields = _fields(step)
        try:
            CodeIn(**fields)
        except ValidationError as exc:
            for e in exc.errors():
                where = ".".join(str(p) for p in e["loc"]) or "code"
                problems.append(
                    {
                        "file": filename,
                        "code": _label(step.path),
                        "field": where,
                        "message": e["msg"],
                        "fix": f"correct the code's {where} in the file",
                    }
                )
        values.append(fields)
    return values, problems


def _raise(problems: list[dict[str, Any]], filename: str) -> None:
    shown = "; ".join(
        f"code {p['code']!r}, {p['field']}: {p['message']} (fix: {p['fix']})" for p in problems[:5]
    )
    more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    raise errors.Invalid(
        f"{filename}: the codebook was not imported, nothing changed: {shown}{more}.", problems
    )


def import_codebook(
    s: Db, guid: str, codes: Sequence[refi.Code], *, actor: str, filename: str = "the codebook"
) -> Merged:
    """Merge ``codes`` (from ``refi.read_codebook`` or ``refi.read_codebook_csv`` of
    ``filename``) into the study's codebook, then save a codebook version. Invalid, with
    nothing changed, when any code of the file cannot be merged."""
    st = study(s, guid)
    if not codes:
        raise errors.Invalid(f"{filename}: the file has no codes. Fix: export a codebook with codes in it.")
    existing = coding.codes_of(s, st.id, retired=True)
    steps, problems = _plan(existing, codes, filename)
    values, bad = _checked(steps, filename)
    if problems or bad:
        _raise(problems + bad, filename)
    merged = Merged()
    live = [c for c in existing if not c.retired]
    ids = {_key(path): cid for cid, path in coding.paths(live).items()}
    for step, fields in zip(steps, values, strict=True):
        parent_id = ids.get(_key(step.parent)) if step.parent else None
        label = _label(step.path)
        old = step.target
        if old is not None:
            if all(getattr(old, k) == v for k, v in fields.items()):
                merged.unchanged.append(label)
                continue
            _save(s, guid, CodeIn(**fields, parent_id=old.parent_id), actor, filename, label, old.id)
            merged.updated.append(label)
        else:
            row = _save(s, guid, CodeIn(**fields, parent_id=parent_id), actor, filename, label, None)
            row.guid = step.incoming.guid
            s.flush()
            ids[_key(step.path)] = row.id
            merged.added.append(label)
    note = f"Imported {filename}: {merged.counts['added']} added, {merged.counts['updated']} updated"
    merged.version = coding.save_version(s, guid, note, actor=actor).number
    audit.record(
        s,
        actor=actor,
        action=events.CODEBOOK_IMPORT,
        target=guid,
        payload={"file": filename, **merged.counts, "version": merged.version},
    )
    return merged


def _save(s: Db, guid: str, data: CodeIn, actor: str, filename: str, label: str, code_id: int | None) -> Code:
    try:
        return coding.save_code(s, guid, data, actor=actor, code_id=code_id)
    except errors.TechforceError as exc:  # the caller's transaction is rolled back with it
        raise errors.Invalid(
            f"{filename}: code {label!r}: {exc.message} Nothing was imported; fix the file and import it again.",
            [{"file": filename, "code": label, "message": exc.message}],
        ) from None
