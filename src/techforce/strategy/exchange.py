"""An action plan as CSV: exported, edited in a spreadsheet, imported back.

One row per action, the columns of :data:`COLUMNS`:

- ``ref``: the action's number in the plan (e.g. ``A3``); it is the key: a row whose ref is
  an existing action's updates that action, a new ref adds one, an empty ref adds one with
  the next free number;
- ``objective``, ``pillar`` (one of the Technician Commitment pillars), ``owner`` (the
  username of a provider lead of the provider, or of an admin), ``deadline`` (YYYY-MM-DD),
  ``status`` (one of the action statuses), ``progress`` (a whole percentage 0 to 100, a
  trailing ``%`` allowed), ``supporting`` (supporting actions and outputs);
- ``recommendations``: the linked recommendations as ``set/CODE`` separated by ``;``, e.g.
  ``stl-2024/STL-1; talent-commission-2022/TC-3`` (the newest stored version of the set);
  ``set@version/CODE`` names an older version;
- ``milestones``: ``YYYY-MM-DD title`` with `` [done]`` at the end once done, separated by
  `` | ``, e.g. ``2025-03-31 Survey sent [done] | 2025-06-30 Report to the board``. A cell
  with line breaks holds one milestone per line instead (the export writes that only when a
  title itself holds `` | ``).

Only ``ref``, ``objective``, ``pillar``, ``owner`` and ``deadline`` must be in the header; a
missing optional column leaves that field of an existing action as it is (a new action gets
the default). Actions of the plan that the file does not name are left alone, unless the
import is asked to remove them (``remove_missing``).

The import is all or nothing: every row is checked first and every problem (file, row,
field, value, fix) is raised together as one ``InputError``; nothing changes then. Each
changed action is saved through :func:`service.save_action`, so the plan's history holds
every changed field; a row that changes nothing records nothing, so importing an export
again changes nothing.

Cells a spreadsheet would run as a formula are written with a leading quote and read back
exactly (the reversible guard of the programmes exchange)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.present.tables import to_csv
from techforce.programmes.exchange_io import escape, unescape
from techforce.strategy import events, records, recsets, service
from techforce.strategy.models import Action, Recommendation, RecommendationSet, Submission
from techforce.workforce.problems import InputError, Problem

COLUMNS = (
    "ref",
    "objective",
    "pillar",
    "owner",
    "deadline",
    "status",
    "progress",
    "supporting",
    "recommendations",
    "milestones",
)
REQUIRED = ("ref", "objective", "pillar", "owner", "deadline")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1_000  # actions in one file (a plan has tens)
MAX_MILESTONE_TITLE = 300
SEPARATOR = " | "
DONE = " [done]"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REC = re.compile(r"^(?P<slug>[a-z0-9-]+)(?:@(?P<version>[^/]+))?/(?P<code>\S+)$")
_MILESTONE = re.compile(r"^(?P<due>\S+)\s+(?P<title>.*?)(?P<done>\s+\[done\])?$", re.DOTALL)
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)') and import it again"

# what check_action's messages are about, by how they start, and how to fix each
_FIELDS = (
    ("objective", "objective"),
    ("pillar", "pillar"),
    ("status", "status"),
    ("supporting", "supporting"),
    ("owner", "owner"),
    ("progress", "progress"),
    ("ref", "ref"),
)
FIXES = {
    "ref": "use up to 20 letters, digits, '.', '_' or '-', e.g. A3",
    "objective": "write the objective (up to 20,000 characters)",
    "pillar": "write one of " + ", ".join(records.PILLARS),
    "owner": "give the username of a provider lead of the provider, or of an admin",
    "deadline": "write the date as YYYY-MM-DD, e.g. 2026-07-31",
    "status": "write one of " + ", ".join(records.ACTION_STATUSES),
    "progress": "write a whole percentage from 0 to 100, e.g. 40",
    "supporting": "shorten the supporting actions (up to 5,000 characters)",
    "recommendations": "name each as set/CODE separated by ';', e.g. stl-2024/STL-1; list them "
    "with `techforce strategy sets`",
    "milestones": "write each as 'YYYY-MM-DD title' (' [done]' at the end once done), separated by ' | '",
}


@dataclass
class Imported:
    """What an import did: actions added, updated, left unchanged and removed (by ref)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in vars(self).items()}

    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


# ---------------------------------------------------------------- export


def _rec_refs(s: Db) -> dict[int, str]:
    """Every stored recommendation's id -> its ``set/CODE`` (``set@version/CODE`` when the
    set has a newer version)."""
    newest: dict[str, int] = {}
    for set_id, slug in s.execute(select(RecommendationSet.id, RecommendationSet.slug)):
        newest[slug] = max(newest.get(slug, 0), set_id)
    found = {}
    query = select(Recommendation.id, Recommendation.code, RecommendationSet).join(RecommendationSet)
    for rec_id, code, rs in s.execute(query):
        prefix = rs.slug if newest[rs.slug] == rs.id else f"{rs.slug}@{rs.version}"
        found[rec_id] = f"{prefix}/{code}"
    return found


def _milestones_cell(action: Action) -> str:
    parts = [f"{m.due.isoformat()} {m.title}{DONE if m.done else ''}" for m in action.milestones]
    joiner = "\n" if any("|" in m.title for m in action.milestones) else SEPARATOR
    return joiner.join(parts)


def rows(s: Db, sub: Submission | None) -> list[dict[str, Any]]:
    """The plan's actions as rows of :data:`COLUMNS` (plain text, not yet guarded)."""
    if sub is None:
        return []
    refs = _rec_refs(s)
    return [
        {
            "ref": a.ref,
            "objective": a.objective,
            "pillar": a.pillar,
            "owner": a.owner,
            "deadline": a.deadline.isoformat(),
            "status": a.status,
            "progress": a.progress,
            "supporting": a.supporting,
            "recommendations": "; ".join(refs[r] for r in sorted(a.recommendations or []) if r in refs),
            "milestones": _milestones_cell(a),
        }
        for a in sub.actions
    ]


def find_submission(s: Db, ukprn: str, stage: str) -> Submission | None:
    """The provider's submission for the stage, or None (nothing is created)."""
    service.check_ukprn(ukprn)
    if stage not in records.STAGES:
        near = get_close_matches(stage, records.STAGES, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise errors.Invalid(f"stage {stage!r} is not one of {', '.join(records.STAGES)}{hint}")
    return s.scalar(select(Submission).where(Submission.ukprn == ukprn, Submission.stage == stage))


def export_actions(s: Db, ukprn: str, stage: str, actor: str) -> str:
    """The provider's action plan for the stage as CSV text (the import format; a header only
    when there is no plan yet). Audited: who exported which plan, and how many actions."""
    sub = find_submission(s, ukprn, stage)
    found = rows(s, sub)
    text = (
        to_csv([{c: escape(r[c]) for c in COLUMNS} for r in found]) if found else ",".join(COLUMNS) + "\r\n"
    )
    audit.record(
        s,
        actor=actor,
        action=events.ACTIONS_EXPORT,
        target=f"{ukprn}:{stage}",
        payload={"actions": len(found)},
    )
    return text


# ---------------------------------------------------------------- reading


def _bad_file(file: str, message: str, fix: str, *, rule: str = "file", column: str = "") -> InputError:
    return InputError(
        [Problem(rule=rule, file=file, message=message, fix=fix, field=column, line=1 if column else None)]
    )


def decode(file: str, data: bytes | str) -> str:
    """The file's text: at most MAX_BYTES of UTF-8 (a byte order mark dropped), no NUL."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise _bad_file(
            file,
            f"the file is {len(raw) / 1024 / 1024:,.1f} MB; the most is {MAX_BYTES // 1024 // 1024} MB",
            "split the plan into smaller files and import each",
            rule="size",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad_file(
            file,
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start:,})",
            SAVE_AS_UTF8,
            rule="encoding",
        ) from None
    if "\x00" in text:
        raise _bad_file(
            file, "the file holds NUL bytes: it is not a CSV text file", SAVE_AS_UTF8, rule="encoding"
        )
    return text


def _header(file: str, header: list[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    problems = []
    for i, name in enumerate(names):
        if name not in COLUMNS:
            near = get_close_matches(name, COLUMNS, n=1)
            hint = f"rename it {near[0]!r}" if near else "remove it"
            problems.append(
                Problem(
                    rule="header",
                    file=file,
                    line=1,
                    field=header[i],
                    message=f"unknown column {header[i]!r}",
                    fix=f"{hint}; the columns are {', '.join(COLUMNS)}",
                )
            )
        elif name in names[:i]:
            problems.append(
                Problem(
                    rule="header",
                    file=file,
                    line=1,
                    field=header[i],
                    message="the column appears twice",
                    fix="keep one of them",
                )
            )
    for name in REQUIRED:
        if name not in names:
            problems.append(
                Problem(
                    rule="header",
                    file=file,
                    line=1,
                    field=name,
                    message=f"the column {name!r} is missing",
                    fix="add it to the header row (row 1); export the plan to see the layout",
                )
            )
    if problems:
        raise InputError(problems)
    return names


def read(file: str, data: bytes | str) -> list[tuple[int, dict[str, str]]]:
    """The file's non-blank rows, each with its row number as a spreadsheet shows it (the
    header is row 1) and its cells (formula guard removed) under the known column names.
    A file that cannot be read at all raises InputError with one problem."""
    text = decode(file, data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, [])
        if not any(h.strip() for h in header):
            raise _bad_file(
                file,
                "the file is empty: it has no header row",
                "export the plan and fill that in",
                rule="header",
            )
        names = _header(file, header)
        found: list[tuple[int, dict[str, str]]] = []
        problems = []
        for index, cells in enumerate(reader):
            line = index + 2  # as a spreadsheet numbers it: the header is row 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
                problems.append(
                    Problem(
                        rule="csv",
                        file=file,
                        line=line,
                        message=f"the row has {len(cells)} cells; the header has {len(names)} columns",
                        fix="remove the extra cells, or put quotes around a cell that holds a comma",
                    )
                )
                continue
            cells += [""] * (len(names) - len(cells))
            found.append((line, {n: unescape(c) for n, c in zip(names, cells, strict=False)}))
    except csv.Error as exc:
        raise _bad_file(
            file,
            f"the file is not valid CSV near row {reader.line_num}: {exc}",
            "check the quotes on that row (a quote inside a cell is written twice) or export it again",
            rule="csv",
        ) from None
    if problems:
        raise InputError(problems)
    return found


# ---------------------------------------------------------------- checking


def _rec_ids(s: Db) -> dict[str, int]:
    """``set/code`` (newest version) and ``set@version/code``, case folded -> recommendation id."""
    found: dict[str, int] = {}
    newest: dict[str, int] = {}
    query = select(Recommendation.id, Recommendation.code, RecommendationSet).join(RecommendationSet)
    for rec_id, code, rs in s.execute(query.order_by(RecommendationSet.id)):
        found[f"{rs.slug}@{rs.version}/{code}".casefold()] = rec_id
        if newest.get(rs.slug, 0) <= rs.id:
            newest[rs.slug] = rs.id
            found[f"{rs.slug}/{code}".casefold()] = rec_id
    return found


def _date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _field_of(message: str) -> str:
    if message.startswith("there is no recommendation"):
        return "recommendations"
    if message.startswith("a milestone"):
        return "milestones"
    for start, name in _FIELDS:
        if message.startswith(start):
            return name
    return "ref"


class _Rows:
    """Checks the rows of one file against one provider's plan, gathering every problem."""

    def __init__(self, s: Db, ukprn: str, file: str, existing: dict[str, Action]) -> None:
        self.s, self.ukprn, self.file, self.existing = s, ukprn, file, existing
        self.recs = _rec_ids(s)
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}

    def problem(self, line: int, column: str, value: str, message: str, fix: str = "") -> None:
        self.problems.append(
            Problem(
                rule="value",
                file=self.file,
                line=line,
                field=column,
                value=value if len(value) <= 200 else value[:200] + "…",
                message=message,
                fix=fix or FIXES[column],
            )
        )

    def recommendations(self, line: int, cell: str) -> list[int]:
        found = []
        for part in (p.strip() for p in cell.split(";")):
            if not part:
                continue
            rec_id = self.recs.get(part.casefold())
            if rec_id is None:
                near = get_close_matches(part.casefold(), list(self.recs), n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                self.problem(line, "recommendations", part, f"there is no recommendation {part!r}{hint}")
            else:
                found.append(rec_id)
        return found

    def milestones(self, line: int, cell: str) -> list[service.MilestoneIn]:
        parts = cell.splitlines() if "\n" in cell or "\r" in cell else cell.split("|")
        found = []
        for part in (p.strip() for p in parts):
            if not part:
                continue
            match = _MILESTONE.fullmatch(part)
            due = _date(match["due"]) if match else None
            if match is None or due is None or not match["title"].strip():
                self.problem(line, "milestones", part, "a milestone is not 'YYYY-MM-DD title'")
                continue
            title = match["title"].strip()
            if len(title) > MAX_MILESTONE_TITLE:
                self.problem(
                    line,
                    "milestones",
                    part,
                    f"a milestone title is over {MAX_MILESTONE_TITLE} characters",
                    "shorten it",
                )
                continue
            found.append(service.MilestoneIn(title=title, due=due, done=bool(match["done"])))
        return found

    def row(self, line: int, cells: dict[str, str]) -> service.ActionIn:
        """The row as an action (an existing action's values where a column is absent);
        problems are gathered, with placeholders put in so the other checks still run."""
        ref = cells.get("ref", "").strip()
        if ref:
            if ref in self.seen:
                self.problem(
                    line,
                    "ref",
                    ref,
                    f"ref {ref!r} is on row {self.seen[ref]} too",
                    "give each action its own ref (an empty ref adds a new action)",
                )
            self.seen.setdefault(ref, line)
        old = self.existing.get(ref)
        data = service.ActionIn(
            ref=ref,
            objective=old.objective if old else "",
            pillar=old.pillar if old else "",
            owner=old.owner if old else "",
            deadline=old.deadline if old else date.min,
            status=old.status if old else "not-started",
            progress=old.progress if old else 0,
            supporting=old.supporting if old else "",
            recommendations=list(old.recommendations or []) if old else [],
            milestones=None if old else [],
        )
        data.objective = cells.get("objective", data.objective)
        data.pillar = cells.get("pillar", data.pillar).strip()
        data.owner = cells.get("owner", data.owner).strip()
        data.status = cells.get("status", data.status).strip() or (
            "not-started" if old is None else data.status
        )
        data.supporting = cells.get("supporting", data.supporting)
        self._typed(line, cells, data)
        try:
            service.check_action(self.s, self.ukprn, data)
        except errors.Invalid as exc:
            for message in exc.problems or [exc.message]:
                column = _field_of(str(message))
                self.problem(line, column, cells.get(column, ""), str(message))
        return data

    def _typed(self, line: int, cells: dict[str, str], data: service.ActionIn) -> None:
        """Deadline, progress, recommendations and milestones: parsed from their text."""
        if "deadline" in cells:
            text = cells["deadline"].strip()
            deadline = _date(text)
            if deadline is None:
                self.problem(
                    line, "deadline", text, f"deadline {text!r} is not a date in the form YYYY-MM-DD"
                )
            data.deadline = deadline or date.min
        if cells.get("progress", "").strip():
            text = cells["progress"].strip()
            number = text.removesuffix("%").strip()
            if not number.isdigit() or len(number) > 3:
                self.problem(line, "progress", text, f"progress {text!r} is not a whole percentage")
            else:
                data.progress = int(number)
        if "recommendations" in cells:
            data.recommendations = self.recommendations(line, cells["recommendations"])
        if "milestones" in cells:
            data.milestones = self.milestones(line, cells["milestones"])


# ---------------------------------------------------------------- importing


def _same(action: Action, data: service.ActionIn) -> bool:
    """Whether saving ``data`` would leave the action as it is."""
    milestones = data.milestones
    same_milestones = milestones is None or sorted(
        (m.due, m.title.strip(), m.done) for m in milestones
    ) == sorted((m.due, m.title, m.done) for m in action.milestones)
    return same_milestones and (
        action.objective,
        action.pillar,
        action.owner,
        action.deadline,
        action.status,
        action.progress,
        action.supporting,
        sorted(action.recommendations or []),
    ) == (
        data.objective.strip(),
        data.pillar,
        data.owner,
        data.deadline,
        data.status,
        data.progress,
        data.supporting.strip(),
        sorted(set(data.recommendations)),
    )


def check(
    s: Db, ukprn: str, stage: str, data: bytes | str, *, file: str = "actions.csv"
) -> list[tuple[int, service.ActionIn]]:
    """Every row of the file checked against the provider's plan for the stage; InputError
    lists every problem (file, row, field, value, fix). Changes nothing."""
    sub = find_submission(s, ukprn, stage)
    if sub is not None and sub.status == "submitted":
        raise errors.Refused(
            f"the {records.STAGE_LABELS[stage]} of {ukprn} was submitted on {sub.submitted_on}: "
            "reopen it to change its action plan"
        )
    found = read(file, data)
    if len(found) > MAX_ROWS:
        raise _bad_file(
            file,
            f"the file has {len(found):,} actions; the most is {MAX_ROWS:,}",
            "split it and import each part",
            rule="size",
        )
    checker = _Rows(s, ukprn, file, {a.ref: a for a in sub.actions} if sub else {})
    checked = [(line, checker.row(line, cells)) for line, cells in found]
    if checker.problems:
        raise InputError(checker.problems)
    return checked


def import_actions(
    s: Db,
    ukprn: str,
    stage: str,
    data: bytes | str,
    actor: str,
    *,
    file: str = "actions.csv",
    remove_missing: bool = False,
) -> Imported:
    """Import an action plan CSV (the export's format) into the provider's plan for the stage:
    all or nothing (see the module's docstring). Actions the file does not name are left
    alone, or removed with ``remove_missing``. Rows with a ref are saved first, then rows
    without one (which get the next free refs)."""
    checked = check(s, ukprn, stage, data, file=file)
    done = Imported()
    existing = find_submission(s, ukprn, stage)
    if existing is None and not checked:
        return done
    sub = existing or service.submission(s, ukprn, stage, actor)
    by_ref = {a.ref: a for a in sub.actions}
    for _, action_in in sorted(checked, key=lambda item: (not item[1].ref, item[0])):
        old = by_ref.get(action_in.ref) if action_in.ref else None
        if old is not None and _same(old, action_in):
            done.unchanged.append(old.ref)
            continue
        saved = service.save_action(s, sub, action_in, actor, action_id=old.id if old else None)
        (done.updated if old else done.added).append(saved.ref)
    if remove_missing:
        named = {a.ref for _, a in checked if a.ref}
        for ref, action in by_ref.items():
            if ref not in named:
                service.remove_action(s, sub, action.id, actor)
                done.removed.append(ref)
    if done.changed():
        audit.record(
            s,
            actor=actor,
            action=events.ACTIONS_IMPORT,
            target=f"{ukprn}:{stage}",
            payload={**done.counts(), "file": file[-200:]},
        )
    return done


def stored_set(row: RecommendationSet) -> recsets.RecommendationSet:
    """A stored recommendation set as the record ``recsets`` writes to YAML or CSV."""
    return recsets.RecommendationSet(
        id=row.slug,
        version=int(row.version) if row.version.isdigit() else 1,
        title=row.title,
        publisher=row.publisher,
        published=row.published or date(1970, 1, 1),
        source=recsets.Source(citation=row.source, url=row.source_url),
        recommendations=tuple(
            recsets.Recommendation(
                code=r.code,
                title=r.title,
                text=r.text,
                addressees=tuple(r.addressees),
                theme=r.theme,
                pillars=tuple(r.pillars),
            )
            for r in row.recommendations
        ),
        wording=row.wording,
        note=row.note,
    )
