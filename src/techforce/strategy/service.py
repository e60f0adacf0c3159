"""Changes to commitments, self-assessments and action plans: each checked first (a bad value
raises errors.Invalid naming the field and the fix, and changes nothing), each audited in
the same transaction, and each recorded field by field in ``strategy_change`` (who, when,
what it was, what it became), so a plan's whole history can be shown."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from email.headerregistry import Address
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.accounts.models import User, UserProvider
from techforce.audit import utcnow
from techforce.strategy import events, records, recsets
from techforce.strategy.models import (
    Action,
    Change,
    Comment,
    Evidence,
    Milestone,
    PillarAssessment,
    Pledge,
    Recommendation,
    RecommendationSet,
    RecommendationStatus,
    Review,
    Signatory,
    Submission,
)

UKPRN = re.compile(r"^1\d{7}$")
LAUNCHED = date(2017, 1, 1)  # the Technician Commitment was launched in 2017
MAX_ACTIONS = 200  # per plan: the pack and the pages stay a size a person reads
MAX_MILESTONES = 50  # per action
EMAIL = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
MAX_TEXT = 20_000
MAX_COMMENT = 5_000


def _choice(value: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if value in allowed:
        return value
    near = get_close_matches(value, allowed, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise errors.Invalid(f"{what} {value!r} is not one of {', '.join(allowed)}{hint}")


def check_ukprn(ukprn: str) -> str:
    if not UKPRN.fullmatch(ukprn):
        raise errors.Invalid(f"UKPRN {ukprn!r} is not eight digits starting with 1")
    return ukprn


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str, what: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    value = value.strip()
    if CONTROL.search(value):
        raise errors.Invalid(f"{what} holds control characters: remove them (retype or paste as plain text)")
    if required and not value:
        raise errors.Invalid(f"{what} is empty: write one")
    if len(value) > limit:
        raise errors.Invalid(f"{what} is {len(value):,} characters long: keep it under {limit:,}")
    return value


def _record(
    s: Db, ukprn: str, target: str, actor: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """Record each field that changed (one batch) and return the diff {field: [before, after]}."""
    batch = secrets.token_hex(8)
    diff = {}
    for name, new in after.items():
        old = before.get(name)
        if name not in before and new in ("", None, []):
            continue  # a new record's empty field is not a change
        if old != new:
            diff[name] = [old, new]
            s.add(
                Change(
                    ukprn=ukprn, target=target, batch=batch, field=name, before=old, after=new, actor=actor
                )
            )
    return diff


HISTORY_BATCHES = 200  # changes shown at once; the first (the creation) is always among them


@dataclass
class History:
    """Changes, newest first, whole (every field of each change shown); ``hidden`` changes
    between the first and the newest ``HISTORY_BATCHES`` are left out, and the page says so."""

    changes: list[Change]
    total: int  # changes (batches) there are
    hidden: int


def history(s: Db, ukprn: str, target: str | None = None, *, batches: int = HISTORY_BATCHES) -> History:
    """The history of a provider's strategy records (one target's, if named): the newest
    ``batches`` changes and always the first, each with all its fields, never cut midway."""
    where = [Change.ukprn == ukprn] + ([Change.target == target] if target is not None else [])
    order = (
        select(Change.batch, func.min(Change.id).label("first"))
        .where(*where)
        .group_by(Change.batch)
        .order_by(func.min(Change.id).desc())
    )
    every = [row.batch for row in s.execute(order)]
    shown = set(every[:batches]) | set(every[-1:])
    query = select(Change).where(*where, Change.batch.in_(shown)).order_by(Change.id.desc())
    changes = list(s.scalars(query)) if shown else []
    return History(changes, len(every), len(every) - len(shown))


# ---------------------------------------------------------------- recommendations


def recommendation(s: Db, rec_id: int) -> Recommendation:
    found = s.get(Recommendation, rec_id)
    if found is None:
        raise errors.NotFound(f"there is no recommendation {rec_id}")
    return found


def find_recommendation(s: Db, ref: str) -> Recommendation:
    """A recommendation by id or by ``<set>/<code>`` (the newest version of the set)."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 10:
        return recommendation(s, int(ref))
    slug, _, code = ref.partition("/")
    found = s.scalars(
        select(Recommendation)
        .join(RecommendationSet)
        .where(RecommendationSet.slug == slug, Recommendation.code == code)
        .order_by(RecommendationSet.id.desc())
    ).first()
    if found is None:
        raise errors.NotFound(
            f"there is no recommendation {ref!r}: name it as <set>/<code>, e.g. stl-2024/STL-1"
        )
    return found


def install_set(
    s: Db, rs: recsets.RecommendationSet, actor: str, *, shipped: bool = False
) -> RecommendationSet:
    """Store a recommendation set. The same set and version again changes nothing (returns
    the stored one) if it is identical, and is refused if it differs: give it a new version."""
    found = s.scalar(
        select(RecommendationSet).where(
            RecommendationSet.slug == rs.id, RecommendationSet.version == str(rs.version)
        )
    )
    if found is not None:
        stored = [
            (r.code, r.title, r.text, list(r.addressees), r.theme, list(r.pillars))
            for r in found.recommendations
        ]
        given = [
            (r.code, r.title, r.text, list(r.addressees), r.theme, list(r.pillars))
            for r in rs.recommendations
        ]
        if stored != given or found.title != rs.title:
            raise errors.Refused(
                f"recommendation set {rs.id!r} version {rs.version!r} is stored already with other content: "
                "give the changed set a new version"
            )
        return found
    row = RecommendationSet(
        slug=rs.id,
        version=str(rs.version),
        title=rs.title,
        publisher=rs.publisher,
        published=rs.published,
        source=rs.source.citation,
        source_url=rs.source.url,
        wording=rs.wording,
        note=rs.note,
        shipped=shipped,
        created_by=actor,
    )
    row.recommendations = [
        Recommendation(
            position=i,
            code=r.code,
            title=r.title,
            text=r.text,
            addressees=list(r.addressees),
            theme=r.theme,
            pillars=list(r.pillars),
        )
        for i, r in enumerate(rs.recommendations)
    ]
    s.add(row)
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.SET_IMPORT,
        target=f"{rs.id}@{rs.version}",
        payload={"recommendations": len(rs.recommendations), "shipped": shipped},
    )
    return row


def install_shipped(s: Db, actor: str) -> list[RecommendationSet]:
    """The sets this product ships (STL 2024, the TALENT Commission), stored once."""
    return [install_set(s, rs, actor, shipped=True) for rs in recsets.shipped()]


def sets(s: Db) -> list[RecommendationSet]:
    return list(s.scalars(select(RecommendationSet).order_by(RecommendationSet.slug, RecommendationSet.id)))


# ---------------------------------------------------------------- signatories and pledges


def sign(s: Db, ukprn: str, signed: date, actor: str, *, contact: str = "") -> Signatory:
    """Record (or correct) the date a provider signed the Technician Commitment."""
    check_ukprn(ukprn)
    contact = contact.strip()
    if contact and not _deliverable(contact):
        raise errors.Invalid(
            f"contact {contact!r} is not an e-mail address: give one like lead@example.ac.uk"
        )
    if signed > date.today():
        raise errors.Invalid(
            f"date signed {signed.isoformat()} is in the future: give the date it was signed"
        )
    if signed < LAUNCHED:
        raise errors.Invalid(
            f"date signed {signed.isoformat()} is before the Technician Commitment began "
            f"({LAUNCHED.year}): give the date it was signed"
        )
    row = s.get(Signatory, ukprn)
    before = {"signed": row.signed.isoformat(), "contact": row.contact} if row else {}
    if row is None:
        row = Signatory(ukprn=ukprn, signed=signed, contact=contact, updated_by=actor)
        s.add(row)
    row.signed, row.contact, row.updated_by, row.updated_at = signed, contact, actor, utcnow()
    diff = _record(
        s, ukprn, f"signatory:{ukprn}", actor, before, {"signed": signed.isoformat(), "contact": contact}
    )
    if "contact" in diff:  # the audit log says that the address changed, not what it is
        diff["contact"] = ["<an address>" if v else "" for v in diff["contact"]]
    audit.record(s, actor=actor, action=events.SIGN, target=ukprn, payload={"changes": _redacted(diff)})
    return row


def _redacted(diff: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The diff for the audit log: long texts are not copied there, only their length."""
    return {k: [_short(v) for v in pair] for k, pair in diff.items()}


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 200:
        return f"<{len(value)} characters>"
    if isinstance(value, list) and (len(value) > 10 or len(repr(value)) > 200):
        return f"<{len(value)} items>"
    return value


def _deliverable(address: str) -> bool:
    """An address a reminder can be sent to: one plain mailbox, as the mail header accepts it."""
    if not EMAIL.fullmatch(address) or any(c in address for c in ',;<>"()[]\\ '):
        return False
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    return True


def pledge(
    s: Db, ukprn: str, rec_id: int, status: str, actor: str, *, note: str = "", on: date | None = None
) -> Pledge:
    """Pledge to act on a recommendation, or move a pledge on (pledged, in progress, done, withdrawn)."""
    check_ukprn(ukprn)
    _choice(status, records.PLEDGE_STATUSES, "pledge status")
    rec = recommendation(s, rec_id)
    note = _text(note, "note", limit=MAX_COMMENT)
    row = s.scalar(select(Pledge).where(Pledge.ukprn == ukprn, Pledge.recommendation_id == rec.id))
    today = on or date.today()
    before = {"status": row.status, "note": row.note} if row else {}
    if row is None:
        row = Pledge(ukprn=ukprn, recommendation_id=rec.id, pledged_on=today, updated_by=actor)
        s.add(row)
    row.status, row.note, row.updated_by, row.updated_at = status, note, actor, utcnow()
    row.done_on = (row.done_on or today) if status == "done" else None
    diff = _record(s, ukprn, f"pledge:{ukprn}:{rec.id}", actor, before, {"status": status, "note": note})
    audit.record(
        s, actor=actor, action=events.PLEDGE, target=f"{ukprn}:{rec.id}", payload={"changes": _redacted(diff)}
    )
    return row


# ---------------------------------------------------------------- submissions


def submission(s: Db, ukprn: str, stage: str, actor: str) -> Submission:
    """The provider's submission for ``stage``, made (as a draft) if there is none yet."""
    check_ukprn(ukprn)
    _choice(stage, records.STAGES, "stage")
    row = s.scalar(select(Submission).where(Submission.ukprn == ukprn, Submission.stage == stage))
    if row is None:
        row = Submission(ukprn=ukprn, stage=stage, created_by=actor)
        row.pillars = [PillarAssessment(pillar=p) for p in records.PILLARS]
        s.add(row)
        s.flush()
        audit.record(
            s, actor=actor, action=events.SUBMISSION_SAVE, target=str(row.id), payload={"created": stage}
        )
    return row


def get_submission(s: Db, submission_id: int, ukprn: str | None = None) -> Submission:
    """A submission by id; NotFound if it is not there or (with ``ukprn``) not that provider's."""
    row = s.get(Submission, submission_id)
    if row is None or (ukprn is not None and row.ukprn != ukprn):
        raise errors.NotFound(f"there is no submission {submission_id}")
    return row


def _draft(sub: Submission) -> None:
    if sub.status == "submitted":
        raise errors.Refused(
            f"the {records.STAGE_LABELS[sub.stage]} was submitted on {sub.submitted_on}: reopen it to change it"
        )


def save_pillar(s: Db, sub: Submission, pillar: str, actor: str, *, narrative: str, maturity: int) -> None:
    """Save a pillar's narrative and maturity rating (0 to 4)."""
    _draft(sub)
    _choice(pillar, records.PILLARS, "pillar")
    if maturity not in records.MATURITY:
        raise errors.Invalid(f"maturity {maturity} is not a rating: give 0 (not rated) to 4 (leading)")
    narrative = _text(narrative, f"the {records.PILLAR_LABELS[pillar]} narrative")
    row = s.get(PillarAssessment, (sub.id, pillar))
    if row is None:
        row = PillarAssessment(submission_id=sub.id, pillar=pillar)
        s.add(row)
    before = {"narrative": row.narrative or "", "maturity": row.maturity or 0}
    row.narrative, row.maturity = narrative, maturity
    sub.updated_at = utcnow()
    diff = _record(
        s,
        sub.ukprn,
        f"pillar:{sub.id}:{pillar}",
        actor,
        before,
        {"narrative": narrative, "maturity": maturity},
    )
    audit.record(
        s,
        actor=actor,
        action=events.SUBMISSION_SAVE,
        target=f"{sub.id}:{pillar}",
        payload={"changes": _redacted(diff)},
    )


def set_status(s: Db, sub: Submission, rec_id: int, status: str, actor: str, *, note: str = "") -> None:
    """Say where the provider stands on a recommendation in this self-assessment."""
    _draft(sub)
    _choice(status, records.REC_STATUSES, "recommendation status")
    rec = recommendation(s, rec_id)
    note = _text(note, "note", limit=MAX_COMMENT)
    row = s.get(RecommendationStatus, (sub.id, rec.id))
    before = {"status": row.status, "note": row.note} if row else {}
    if row is None:
        row = RecommendationStatus(submission_id=sub.id, recommendation_id=rec.id)
        s.add(row)
    row.status, row.note = status, note
    diff = _record(s, sub.ukprn, f"status:{sub.id}:{rec.id}", actor, before, {"status": status, "note": note})
    audit.record(
        s,
        actor=actor,
        action=events.SUBMISSION_SAVE,
        target=f"{sub.id}:rec:{rec.id}",
        payload={"changes": _redacted(diff)},
    )


def submit(s: Db, sub: Submission, actor: str, *, on: date | None = None) -> None:
    """Submit the self-assessment and action plan (it becomes read-only and can be reviewed).
    A plan reopened and submitted again keeps its first submission date: that is the date the
    Technician Commitment's deadline is met by (a typo fixed later does not make it late)."""
    _draft(sub)
    if not sub.actions:
        raise errors.Refused("the action plan has no actions: add at least one before submitting")
    sub.status, sub.updated_at = "submitted", utcnow()
    sub.submitted_on = sub.submitted_on or on or date.today()
    _record(s, sub.ukprn, f"submission:{sub.id}", actor, {"status": "draft"}, {"status": "submitted"})
    audit.record(
        s, actor=actor, action=events.SUBMIT, target=str(sub.id), payload={"on": sub.submitted_on.isoformat()}
    )


def reopen(s: Db, sub: Submission, actor: str) -> None:
    """Make a submitted plan a draft again (reviewers lose access until it is resubmitted); its
    first submission date is kept for the deadline."""
    if sub.status != "submitted":
        raise errors.Refused("the submission is a draft already")
    sub.status, sub.updated_at = "draft", utcnow()
    _record(s, sub.ukprn, f"submission:{sub.id}", actor, {"status": "submitted"}, {"status": "draft"})
    audit.record(s, actor=actor, action=events.REOPEN, target=str(sub.id))


# ---------------------------------------------------------------- actions


@dataclass
class MilestoneIn:
    title: str
    due: date
    done: bool = False


@dataclass
class ActionIn:
    """An action as a user gives it, checked by :func:`check_action`."""

    objective: str
    pillar: str
    owner: str
    deadline: date
    status: str = "not-started"
    progress: int = 0
    supporting: str = ""
    recommendations: list[int] = field(default_factory=list)
    milestones: list[MilestoneIn] | None = None  # None: leave the milestones as they are
    ref: str = ""


def owners(s: Db, ukprn: str) -> set[str]:
    """Who may own an action of the provider's plan: its provider leads and the admins."""
    leads = s.scalars(
        select(User.username)
        .join(UserProvider, UserProvider.user_id == User.id)
        .where(UserProvider.ukprn == ukprn)
    )
    admins = s.scalars(select(User.username).where(User.role == "admin"))
    return {*leads, *admins}


def check_action(s: Db, ukprn: str, data: ActionIn) -> ActionIn:
    """The action with its values checked; Invalid names every problem and its fix."""
    problems: list[str] = []

    def guard(check: Any) -> Any:
        try:
            return check()
        except errors.Invalid as exc:
            problems.append(str(exc))
            return None

    guard(lambda: _text(data.objective, "objective", required=True))
    guard(lambda: _choice(data.pillar, records.PILLARS, "pillar"))
    guard(lambda: _choice(data.status, records.ACTION_STATUSES, "status"))
    guard(lambda: _text(data.supporting, "supporting actions", limit=MAX_COMMENT))
    if data.owner not in owners(s, ukprn):
        near = get_close_matches(data.owner, sorted(owners(s, ukprn)), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        problems.append(f"owner {data.owner!r} is not a provider lead of {ukprn} or an admin{hint}")
    if not 0 <= data.progress <= 100:
        problems.append(f"progress {data.progress} is not a percentage: give 0 to 100")
    if data.ref and not REF.fullmatch(data.ref):
        problems.append(f"ref {data.ref!r}: use up to 20 letters, digits, '.', '_' or '-', e.g. A3")
    for rec_id in data.recommendations:
        if s.get(Recommendation, rec_id) is None:
            problems.append(f"there is no recommendation {rec_id}")
    if len(data.milestones or []) > MAX_MILESTONES:
        problems.append(
            f"{len(data.milestones or [])} milestones: keep an action to {MAX_MILESTONES} at most"
        )
    for m in data.milestones or []:
        guard(lambda title=m.title: _text(title, "a milestone title", limit=300, required=True))
    if problems:
        raise errors.Invalid("; ".join(problems), problems)
    return data


def _values(action: Action) -> dict[str, Any]:
    return {
        "ref": action.ref,
        "objective": action.objective,
        "pillar": action.pillar,
        "owner": action.owner,
        "deadline": action.deadline.isoformat() if action.deadline else None,
        "status": action.status,
        "progress": action.progress,
        "supporting": action.supporting,
        "recommendations": sorted(action.recommendations or []),
        "milestones": [[m.title, m.due.isoformat(), m.done] for m in action.milestones],
    }


def _next_ref(sub: Submission) -> str:
    taken = {a.ref for a in sub.actions}
    n = len(sub.actions) + 1
    while f"A{n}" in taken:
        n += 1
    return f"A{n}"


def save_action(
    s: Db, sub: Submission, data: ActionIn, actor: str, *, action_id: int | None = None
) -> Action:
    """Add an action to a plan, or change one; every changed field goes to the history."""
    _draft(sub)
    check_action(s, sub.ukprn, data)
    if action_id is None and len(sub.actions) >= MAX_ACTIONS:
        raise errors.Refused(
            f"the plan has {len(sub.actions)} actions, the most one plan holds: "
            "finish or remove some, or merge small ones"
        )
    if action_id is None:
        action = Action(
            submission_id=sub.id, ref=data.ref or _next_ref(sub), position=len(sub.actions), updated_by=actor
        )
        action.milestones = []
        before: dict[str, Any] = {}
        sub.actions.append(action)
    else:
        found = s.get(Action, action_id)
        if found is None or found.submission_id != sub.id:
            raise errors.NotFound(f"there is no action {action_id} in this plan")
        action, before = found, _values(found)
    if data.ref and data.ref != action.ref and any(a.ref == data.ref for a in sub.actions if a is not action):
        raise errors.Invalid(f"ref {data.ref!r} is taken in this plan: choose another")
    action.ref = data.ref or action.ref
    action.objective, action.pillar, action.owner = data.objective.strip(), data.pillar, data.owner
    action.deadline, action.status, action.progress = data.deadline, data.status, data.progress
    action.supporting = data.supporting.strip()
    action.recommendations = sorted(set(data.recommendations))
    if data.milestones is not None:
        action.milestones = [
            Milestone(title=m.title.strip()[:300], due=m.due, done=m.done) for m in data.milestones
        ]
    action.updated_by, action.updated_at = actor, utcnow()
    s.flush()
    diff = _record(s, sub.ukprn, f"action:{action.id}", actor, before, _values(action))
    audit.record(
        s, actor=actor, action=events.ACTION_SAVE, target=str(action.id), payload={"changes": _redacted(diff)}
    )
    return action


def remove_action(s: Db, sub: Submission, action_id: int, actor: str) -> None:
    _draft(sub)
    found = s.get(Action, action_id)
    if found is None or found.submission_id != sub.id:
        raise errors.NotFound(f"there is no action {action_id} in this plan")
    _record(s, sub.ukprn, f"action:{found.id}", actor, _values(found), dict.fromkeys(_values(found)))
    audit.record(
        s, actor=actor, action=events.ACTION_REMOVE, target=str(found.id), payload={"ref": found.ref}
    )
    sub.actions.remove(found)
    s.delete(found)


# ---------------------------------------------------------------- evidence


def attach(
    s: Db,
    sub: Submission,
    kind: str,
    ref: str,
    actor: str,
    *,
    pillar: str = "",
    action_id: int | None = None,
    label: str = "",
    file: tuple[str, str, int] | None = None,
) -> Evidence:
    """Link evidence to a pillar of the submission or to one of its actions. ``ref`` is an
    indicator id, a programme slug, a resource slug or (``file`` given: name, type, size) a
    stored file's sha256. Whether the thing exists is the caller's check (strategy.evidence)."""
    _draft(sub)
    _choice(kind, records.EVIDENCE_KINDS, "evidence kind")
    if bool(pillar) == (action_id is not None):
        raise errors.Invalid("evidence goes on a pillar or on an action: name exactly one")
    if pillar:
        _choice(pillar, records.PILLARS, "pillar")
    if action_id is not None:
        found = s.get(Action, action_id)
        if found is None or found.submission_id != sub.id:
            raise errors.NotFound(f"there is no action {action_id} in this plan")
    if not ref or len(ref) > 200:
        raise errors.Invalid("evidence reference is empty or too long")
    row = Evidence(
        submission_id=sub.id,
        pillar=pillar,
        action_id=action_id,
        kind=kind,
        ref=ref,
        label=_text(label, "label", limit=300),
        added_by=actor,
    )
    if file is not None:
        row.file_name, row.file_type, row.file_size = file
    s.add(row)
    s.flush()
    where = f"action:{action_id}" if action_id is not None else f"pillar:{sub.id}:{pillar}"
    shown = row.file_name or row.label or ref
    _record(s, sub.ukprn, where, actor, {}, {"evidence": f"+{kind}:{shown}"})
    audit.record(
        s,
        actor=actor,
        action=events.EVIDENCE_ADD,
        target=str(row.id),
        payload={"kind": kind, "ref": ref, "on": where},
    )
    return row


def detach(s: Db, sub: Submission, evidence_id: int, actor: str) -> None:
    _draft(sub)
    row = s.get(Evidence, evidence_id)
    if row is None or row.submission_id != sub.id:
        raise errors.NotFound(f"there is no evidence {evidence_id} on this submission")
    where = f"action:{row.action_id}" if row.action_id is not None else f"pillar:{sub.id}:{row.pillar}"
    _record(
        s,
        sub.ukprn,
        where,
        actor,
        {"evidence": f"{row.kind}:{row.ref}"},
        {"evidence": f"-{row.kind}:{row.ref}"},
    )
    audit.record(
        s,
        actor=actor,
        action=events.EVIDENCE_REMOVE,
        target=str(row.id),
        payload={"kind": row.kind, "ref": row.ref},
    )
    s.delete(row)


# ---------------------------------------------------------------- peer review


def invite(s: Db, sub: Submission, reviewer: str, actor: str) -> Review:
    """Invite a reviewer from another provider to read and comment on a submitted plan."""
    if sub.status != "submitted":
        raise errors.Refused("only a submitted plan can be reviewed: submit it first")
    user = s.scalar(select(User).where(User.username == reviewer))
    if user is None or user.disabled:
        raise errors.Invalid(f"there is no active account {reviewer!r}: ask an admin to create one")
    if any(p.ukprn == sub.ukprn for p in user.providers):
        raise errors.Invalid(
            f"{reviewer} works for this provider: a peer reviewer comes from another provider"
        )
    found = s.scalar(select(Review).where(Review.submission_id == sub.id, Review.reviewer == reviewer))
    if found is not None:
        return found
    row = Review(submission_id=sub.id, reviewer=reviewer, invited_by=actor)
    s.add(row)
    s.flush()
    _record(s, sub.ukprn, f"submission:{sub.id}", actor, {}, {"reviewer": f"+{reviewer}"})
    audit.record(
        s, actor=actor, action=events.REVIEW_INVITE, target=str(sub.id), payload={"reviewer": reviewer}
    )
    return row


def revoke(s: Db, sub: Submission, reviewer: str, actor: str) -> None:
    found = s.scalar(select(Review).where(Review.submission_id == sub.id, Review.reviewer == reviewer))
    if found is None:
        raise errors.NotFound(f"{reviewer} was not invited to review this plan")
    s.delete(found)
    _record(s, sub.ukprn, f"submission:{sub.id}", actor, {"reviewer": reviewer}, {"reviewer": f"-{reviewer}"})
    audit.record(
        s, actor=actor, action=events.REVIEW_REVOKE, target=str(sub.id), payload={"reviewer": reviewer}
    )


def comment(s: Db, sub: Submission, author: str, body: str, *, about: str = "") -> Comment:
    """A reviewer's comment (the provider's own people may reply on the same thread)."""
    body = _text(body, "comment", limit=MAX_COMMENT, required=True)
    about = about.strip()[:60]
    row = Comment(submission_id=sub.id, author=author, about=about, body=body)
    s.add(row)
    s.flush()
    said = {"comment": f"on {about or 'the plan'}: {body[:200]}"}
    _record(s, sub.ukprn, f"submission:{sub.id}", author, {}, said)
    audit.record(
        s,
        actor=author,
        action=events.COMMENT,
        target=str(sub.id),
        payload={"about": about, "length": len(body)},
    )
    return row
