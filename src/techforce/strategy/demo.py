"""Load the demo commitments (strategy/synth.py) for the providers in the workforce store:
Technician Commitment signatories, pledges, submissions with pillar narratives and maturity
ratings, action plans with milestones and linked evidence, and the history behind them (each
action's creation and its progress updates, dated as they happened), so that every strategy
page, the sector view and the history have something to show.

Rows are written in bulk, in one transaction, with one audit entry per provider. Loading twice
changes nothing: a second load finds the demo's providers signed or pledged and stops."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.library.models import Resource
from techforce.programmes.models import Programme
from techforce.strategy import events, sector, service, synth
from techforce.strategy.models import (
    Action,
    Change,
    Evidence,
    Milestone,
    PillarAssessment,
    Pledge,
    Recommendation,
    RecommendationSet,
    RecommendationStatus,
    Signatory,
    Submission,
)
from techforce.workforce.indicators import Computation
from techforce.workforce.service import Workforce


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds: ``loaded`` is False when it was there already."""

    loaded: bool
    providers: int
    signatories: int
    pledges: int
    submissions: int
    actions: int
    overdue_actions: int
    changes: int

    def line(self) -> str:
        if not self.loaded:
            return "Strategy: the demo commitments from an earlier run are kept"
        return (
            f"Strategy: {self.signatories} Technician Commitment signatories of {self.providers} providers, "
            f"{self.pledges} pledges, {self.submissions} submissions, {self.actions} actions "
            f"({self.overdue_actions} overdue), {self.changes} history entries"
        )


def _at(d: date) -> datetime:
    return datetime.combine(d, time(12), UTC)


class _Writer:
    """Collects the history rows of one provider, to insert in date order."""

    def __init__(self, ukprn: str) -> None:
        self.ukprn = ukprn
        self.rows: list[dict[str, Any]] = []
        self._batch = 0

    def change(self, target: str, on: date, actor: str, fields: dict[str, tuple[Any, Any]]) -> None:
        self._batch += 1
        batch = f"demo-{self.ukprn}-{self._batch}"
        for name, (before, after) in fields.items():
            if before != after:
                self.rows.append(
                    {
                        "ukprn": self.ukprn,
                        "target": target,
                        "batch": batch,
                        "field": name,
                        "before": before,
                        "after": after,
                        "actor": actor,
                        "at": _at(on),
                    }
                )

    def sorted_rows(self) -> list[dict[str, Any]]:
        return sorted(self.rows, key=lambda r: r["at"])  # stable: a batch stays together


def _recommendation_ids(s: Db) -> dict[tuple[str, str], int]:
    """(set slug, code) -> id, the newest version of each set."""
    found: dict[tuple[str, str], int] = {}
    rows = s.execute(
        select(RecommendationSet.slug, Recommendation.code, Recommendation.id)
        .join(RecommendationSet, Recommendation.set_id == RecommendationSet.id)
        .order_by(RecommendationSet.id)
    )
    for slug, code, rec_id in rows:
        found[(slug, code)] = rec_id
    return found


def _sources(
    s: Db, names: dict[str, str], has_leader: dict[int, dict[str, bool]], rec_ids: dict[tuple[str, str], int]
) -> synth.Sources:
    recommendations: dict[str, list[str]] = {}
    for slug, code in rec_ids:
        if slug in synth.LEAD_CODES:  # the shipped sets only
            recommendations.setdefault(slug, []).append(code)
    return synth.Sources(
        providers=names,
        has_leader=has_leader,
        recommendations=recommendations,
        programmes={slug: list(p) for slug, p in s.execute(select(Programme.slug, Programme.pillars))},
        resources={slug: list(p) for slug, p in s.execute(select(Resource.slug, Resource.pillars)) if p},
    )


def _loaded(s: Db, ukprns: Iterable[str]) -> bool:
    wanted = list(ukprns)
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        found = s.scalar(select(Signatory.ukprn).where(Signatory.ukprn.in_(part)).limit(1)) or s.scalar(
            select(Pledge.ukprn).where(Pledge.ukprn.in_(part)).limit(1)
        )
        if found is not None:
            return True
    return False


def _action_values(a: synth.PlannedAction, owner: str, ids: list[int], done: list[bool]) -> dict[str, Any]:
    return {
        "ref": a.ref,
        "objective": a.objective,
        "pillar": a.pillar,
        "owner": owner,
        "deadline": a.deadline.isoformat(),
        "supporting": a.supporting,
        "recommendations": ids,
        "milestones": [[m.title, m.due.isoformat(), d] for m, d in zip(a.milestones, done, strict=True)],
    }


def _action_history(w: _Writer, row: Action, a: synth.PlannedAction, owner: str, ids: list[int]) -> None:
    target = f"action:{row.id}"
    start = [False] * len(a.milestones)
    created = _action_values(a, owner, ids, start)
    w.change(
        target,
        a.created,
        owner,
        {k: (None, v) for k, v in created.items() if v not in ("", None, [])}
        | {"status": (None, "not-started"), "progress": (None, 0)},
    )
    status, progress, marks = "not-started", 0, start
    for i, u in enumerate(a.updates, 1):
        last = i == len(a.updates)
        now = [m.done if (last or m.due <= u.on) else False for m in a.milestones]
        fields: dict[str, tuple[Any, Any]] = {
            "status": (status, u.status),
            "progress": (progress, u.progress),
        }
        if now != marks:
            fields["milestones"] = (
                _action_values(a, owner, ids, marks)["milestones"],
                _action_values(a, owner, ids, now)["milestones"],
            )
        w.change(target, u.on, owner, fields)
        status, progress, marks = u.status, u.progress, now


@dataclass
class _Built:
    """One submission's rows, before they have ids."""

    sub: Submission
    plan: synth.PlannedSubmission
    actions: list[tuple[Action, synth.PlannedAction, list[int]]]


def _build_submission(
    ukprn: str, p: synth.PlannedSubmission, rec_ids: dict[tuple[str, str], int], actor: str, owner: str
) -> _Built:
    sub = Submission(
        ukprn=ukprn,
        stage=p.stage,
        status="submitted" if p.submitted_on else "draft",
        submitted_on=p.submitted_on,
        created_by=actor,
        updated_at=_at(p.submitted_on or p.started),
    )
    sub.pillars = [PillarAssessment(pillar=k, narrative=n, maturity=m) for k, (n, m) in p.pillars.items()]
    sub.statuses = [
        RecommendationStatus(recommendation_id=rec_ids[key], status=st)
        for key, st in p.statuses.items()
        if key in rec_ids
    ]
    rows = []
    for i, a in enumerate(p.actions):
        ids = sorted(rec_ids[r] for r in a.recommendations if r in rec_ids)
        row = Action(
            position=i,
            ref=a.ref,
            objective=a.objective,
            pillar=a.pillar,
            owner=owner,
            deadline=a.deadline,
            status=a.status,
            progress=a.progress,
            supporting=a.supporting,
            recommendations=ids,
            updated_by=owner,
            updated_at=_at(a.updates[-1].on if a.updates else a.created),
        )
        row.milestones = [Milestone(title=m.title, due=m.due, done=m.done) for m in a.milestones]
        rows.append((row, a, ids))
    sub.actions = [r for r, _, _ in rows]
    return _Built(sub, p, rows)


def _evidence(sub_id: int, kind: str, ref: str, label: str, by: str, **where: Any) -> dict[str, Any]:
    return {
        "submission_id": sub_id,
        "kind": kind,
        "ref": ref,
        "label": label,
        "added_by": by,
        "pillar": where.get("pillar", ""),
        "action_id": where.get("action_id"),
    }


def _submission_history(
    w: _Writer, b: _Built, evidence: list[dict[str, Any]], who: tuple[str, str, date]
) -> int:
    """History and evidence of one written submission; how many of its actions are overdue.
    ``who``: actor, owner, today."""
    actor, owner, today = who
    sub, p = b.sub, b.plan
    for key, (narrative, maturity) in p.pillars.items():
        w.change(
            f"pillar:{sub.id}:{key}",
            p.started,
            actor,
            {"narrative": ("", narrative), "maturity": (0, maturity)},
        )
    for r in sub.statuses:
        w.change(f"status:{sub.id}:{r.recommendation_id}", p.started, actor, {"status": (None, r.status)})
    for pillar, kind, ref, label in p.evidence:
        evidence.append(_evidence(sub.id, kind, ref, label, actor, pillar=pillar))
        w.change(f"pillar:{sub.id}:{pillar}", p.started, actor, {"evidence": (None, f"+{kind}:{ref}")})
    overdue = 0
    for row, a, ids in b.actions:
        _action_history(w, row, a, owner, ids)
        for kind, ref, label in a.evidence:
            evidence.append(_evidence(sub.id, kind, ref, label, owner, action_id=row.id))
            w.change(f"action:{row.id}", a.created, owner, {"evidence": (None, f"+{kind}:{ref}")})
        if a.status not in ("done", "dropped") and a.deadline < today:
            overdue += 1
    if p.submitted_on is not None:
        w.change(f"submission:{sub.id}", p.submitted_on, actor, {"status": ("draft", "submitted")})
    return overdue


def _build_provider(
    s: Db, plan: synth.ProviderPlan, rec_ids: dict[tuple[str, str], int], w: _Writer, actor: str, owner: str
) -> tuple[int, list[_Built]]:
    """Add one provider's signatory, pledges and submissions (no ids yet); (pledges, submissions)."""
    if plan.signed is not None:
        s.add(Signatory(ukprn=plan.ukprn, signed=plan.signed, updated_by=actor, updated_at=_at(plan.signed)))
        w.change(f"signatory:{plan.ukprn}", plan.signed, actor, {"signed": (None, plan.signed.isoformat())})
    pledges = 0
    for p in plan.pledges:
        rec_id = rec_ids.get((p.set_slug, p.code))
        if rec_id is None:
            continue
        pledges += 1
        s.add(
            Pledge(
                ukprn=plan.ukprn,
                recommendation_id=rec_id,
                status=p.status,
                pledged_on=p.pledged_on,
                done_on=p.done_on,
                note=p.note,
                updated_by=actor,
                updated_at=_at(p.done_on or p.pledged_on),
            )
        )
        target = f"pledge:{plan.ukprn}:{rec_id}"
        w.change(target, p.pledged_on, actor, {"status": (None, "pledged")})
        if p.status != "pledged":
            w.change(target, p.done_on or p.pledged_on, actor, {"status": ("pledged", p.status)})
    built = [_build_submission(plan.ukprn, sub, rec_ids, actor, owner) for sub in plan.submissions]
    s.add_all(b.sub for b in built)
    return pledges, built


def _write(
    s: Db, plans: list[synth.ProviderPlan], rec_ids: dict[tuple[str, str], int], who: tuple[str, str, date]
) -> list[int]:
    """Write every provider's plan in bulk; totals of (pledges, submissions, actions, overdue
    actions, history rows)."""
    actor, owner, today = who
    staged = []
    for plan in plans:
        w = _Writer(plan.ukprn)
        staged.append((plan, w, *_build_provider(s, plan, rec_ids, w, actor, owner)))
    s.flush()  # one flush: every row gets its id
    totals = [0, 0, 0, 0, 0]
    history: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for plan, w, pledges, built in staged:
        overdue = sum(_submission_history(w, b, evidence, who) for b in built)
        actions = sum(len(b.actions) for b in built)
        rows = w.sorted_rows()
        history.extend(rows)
        found = (pledges, len(built), actions, overdue, len(rows))
        totals = [t + f for t, f in zip(totals, found, strict=True)]
        audit.record(
            s,
            actor=actor,
            action=events.ACTIONS_IMPORT,
            target=plan.ukprn,
            payload={
                "demo": True,
                "signed": plan.signed.isoformat() if plan.signed else None,
                "pledges": pledges,
                "submissions": len(built),
                "actions": actions,
                "as_on": today.isoformat(),
            },
        )
    if evidence:
        s.execute(insert(cast(Table, Evidence.__table__)), evidence)
    if history:
        s.execute(insert(cast(Table, Change.__table__)), history)  # Core: fast
    return totals


def load_demo(
    s: Db,
    wf: Workforce,
    actor: str,
    today: date,
    *,
    owner: str = "admin",
    seed: int = 2017,
    computation: Computation | None = None,
) -> DemoSummary:
    """Load the demo commitments of every provider in the workforce store, as on ``today``.
    Actions are owned by ``owner`` (the demo's admin account). Installs the shipped
    recommendation sets first. A second load changes nothing (``loaded`` is False).
    ``computation``: the staff data's indicators when the caller has them already."""
    if today > date.today():
        raise errors.Invalid(
            f"today {today.isoformat()} is in the future: give today's date or an earlier one"
        )
    names, has_leader = (
        wf.names(),
        sector.has_leader_by_year(wf, computation),
    )  # read before anything is written
    if not names:
        raise errors.Refused("there are no providers in the workforce store: load the demo sector first")
    service.install_shipped(s, actor)
    rec_ids = _recommendation_ids(s)
    src = _sources(s, names, has_leader, rec_ids)
    plans = synth.plan(src, today, seed=seed)
    if _loaded(s, (p.ukprn for p in plans)):
        return DemoSummary(False, len(plans), 0, 0, 0, 0, 0, 0)
    totals = _write(s, plans, rec_ids, (actor, owner, today))
    s.flush()
    return DemoSummary(
        loaded=True,
        providers=len(plans),
        signatories=sum(1 for p in plans if p.signed is not None),
        pledges=totals[0],
        submissions=totals[1],
        actions=totals[2],
        overdue_actions=totals[3],
        changes=totals[4],
    )
