"""Page data of the strategy pages (typed, nothing about HTTP): recommendation sets, a
provider's Technician Commitment standing and pledges, a self-assessment with its action
plan and evidence, an action with its history, and what a peer reviewer may read. The same
objects are the JSON twins.

Every object a page shows is looked up through the provider and stage in the page's path,
so an id from another provider's plan is not found (404), whoever asks. Reading a page never
writes: a stage with no submission yet shows an empty draft, made on its first change."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.library import search as library_search
from techforce.strategy import evidence, records, schedule, service
from techforce.strategy.models import (
    Action,
    Comment,
    Evidence,
    Pledge,
    Recommendation,
    RecommendationSet,
    RecommendationStatus,
    Review,
    Signatory,
    Submission,
)
from techforce.strategy.page_models import (
    ActionPage,
    ActionRow,
    ChangeView,
    Choice,
    CommentView,
    Download,
    EvidenceItem,
    FieldChange,
    LinkedResource,
    MilestoneState,
    MilestoneView,
    PillarView,
    PledgeView,
    ProviderPage,
    RecommendationPage,
    RecommendationsPage,
    RecommendationView,
    RecStatusView,
    ReviewerView,
    SetView,
    SubmissionPage,
    SubmissionSummary,
)

BASE = "/strategy"
STATE_LABELS = {
    schedule.NOT_YET_OPEN: "Not yet open",
    schedule.OPEN: "Open",
    schedule.DUE_SOON: "Due soon",
    schedule.OVERDUE: "Overdue",
    schedule.SUBMITTED: "Submitted",
    schedule.SUBMITTED_LATE: "Submitted late",
}
# Live evidence values (strategy/evidence.py): (session, row) -> {"value", "as_of", "detail", "href"}
Resolver = Callable[[Db, Evidence], dict[str, str]]


def provider_base(ukprn: str) -> str:
    return f"{BASE}/providers/{ukprn}"


def stage_base(ukprn: str, stage: str) -> str:
    return f"{provider_base(ukprn)}/{stage}"


def check_stage(stage: str) -> str:
    """The path's stage; anything else is not found (before any query)."""
    if stage not in records.STAGES:
        raise errors.NotFound(f"there is no stage {stage[:40]!r}: the stages are {', '.join(records.STAGES)}")
    return stage


def _resources(s: Db, target: str, allowed: frozenset[str] | None) -> list[LinkedResource]:
    return [
        LinkedResource(slug=r.slug, title=r.title, kind=r.kind, href=f"/library/{r.slug}")
        for r in library_search.linked(s, target, allowed=allowed)
    ]


# ---------------------------------------------------------------- recommendations


def _rec_view(
    s: Db, r: Recommendation, allowed: frozenset[str] | None, *, linked: bool
) -> RecommendationView:
    return RecommendationView(
        id=r.id,
        code=r.code,
        title=r.title,
        text=r.text,
        addressees=list(r.addressees or []),
        theme=r.theme,
        pillars=list(r.pillars or []),
        href=f"{BASE}/recommendations/{r.id}",
        resources=_resources(s, f"recommendation:{r.id}", allowed) if linked else [],
    )


def recommendations_page(s: Db, *, allowed: frozenset[str] | None, can_import: bool) -> RecommendationsPage:
    """Every stored set with its recommendations and the library resources supporting each."""
    return RecommendationsPage(
        can_import=can_import,
        sets=[
            SetView(
                id=rs.id,
                slug=rs.slug,
                version=rs.version,
                title=rs.title,
                publisher=rs.publisher,
                published=rs.published,
                source=rs.source,
                source_url=rs.source_url,
                shipped=rs.shipped,
                recommendations=[_rec_view(s, r, allowed, linked=True) for r in rs.recommendations],
            )
            for rs in service.sets(s)
        ],
    )


def recommendation_page(s: Db, rec_id: int, *, allowed: frozenset[str] | None) -> RecommendationPage:
    r = service.recommendation(s, rec_id)
    return RecommendationPage(
        title=f"{r.code}: {r.title}",
        set_title=r.set.title,
        set_slug=r.set.slug,
        set_version=r.set.version,
        source=r.set.source,
        source_url=r.set.source_url,
        recommendation=_rec_view(s, r, allowed, linked=True),
    )


def recommendation_choices(s: Db) -> list[Choice]:
    rows = s.execute(
        select(Recommendation.id, Recommendation.code, Recommendation.title, RecommendationSet.slug)
        .join(RecommendationSet)
        .order_by(RecommendationSet.slug, RecommendationSet.id, Recommendation.position)
    )
    return [Choice(code=str(i), label=f"{slug} {code}: {title}") for i, code, title, slug in rows]


# ---------------------------------------------------------------- a provider


def find_submission(s: Db, ukprn: str, stage: str) -> Submission | None:
    return s.scalar(select(Submission).where(Submission.ukprn == ukprn, Submission.stage == stage))


def _standing(
    ukprn: str, signed: date | None, subs: dict[str, Submission], today: date
) -> list[MilestoneState]:
    if signed is None:
        return []
    submitted = {k: sub.submitted_on for k, sub in subs.items() if sub.submitted_on is not None}
    submitted = {k: on for k, on in submitted.items() if on >= signed}  # a date before signing is not counted
    return [
        MilestoneState(
            stage=d.milestone.kind,
            label=d.milestone.label,
            opens=d.milestone.opens,
            due=d.milestone.due,
            state=d.state,
            state_label=STATE_LABELS[d.state],
            submitted_on=d.submitted_on,
            href=stage_base(ukprn, d.milestone.kind),
        )
        for d in schedule.standing(signed, submitted, today)
    ]


def provider_page(s: Db, ukprn: str, *, provider: str, can_edit: bool, today: date) -> ProviderPage:
    """The provider's Technician Commitment standing, pledges and submissions per stage."""
    service.check_ukprn(ukprn)
    signatory = s.get(Signatory, ukprn)
    subs = {sub.stage: sub for sub in s.scalars(select(Submission).where(Submission.ukprn == ukprn))}
    pledges = s.execute(
        select(Pledge, Recommendation, RecommendationSet)
        .join(Recommendation, Recommendation.id == Pledge.recommendation_id)
        .join(RecommendationSet)
        .where(Pledge.ukprn == ukprn)
        .order_by(RecommendationSet.slug, Recommendation.position)
    )
    return ProviderPage(
        title=f"Strategy: {provider}",
        ukprn=ukprn,
        provider=provider,
        can_edit=can_edit,
        signed=signatory.signed if signatory else None,
        contact=signatory.contact if signatory else "",
        cohort=schedule.cohort(signatory.signed) if signatory else "",
        standing=_standing(ukprn, signatory.signed if signatory else None, subs, today),
        pledges=[
            PledgeView(
                recommendation_id=r.id,
                code=r.code,
                title=r.title,
                set_title=rs.title,
                status=p.status,
                pledged_on=p.pledged_on,
                done_on=p.done_on,
                note=p.note,
            )
            for p, r, rs in pledges
        ],
        submissions=[
            SubmissionSummary(
                id=sub.id if sub else None,
                stage=stage,
                label=records.STAGE_LABELS[stage],
                status=sub.status if sub else "not-started",
                submitted_on=sub.submitted_on if sub else None,
                actions=len(sub.actions) if sub else 0,
                href=stage_base(ukprn, stage),
            )
            for stage in records.STAGES
            for sub in [subs.get(stage)]
        ],
        recommendations=recommendation_choices(s),
        pledge_statuses=list(records.PLEDGE_STATUSES),
        today=today,
    )


# ---------------------------------------------------------------- a submission


def _evidence(
    s: Db, rows: Iterable[Evidence], file_base: str, resolve: Resolver | None
) -> list[EvidenceItem]:
    """Each item as the viewer may see it now: with a resolver (strategy/evidence.py), its
    current value and date, and a resource outside the viewer's audience named by nothing."""
    items = []
    for e in rows:
        live = resolve(s, e) if resolve is not None else {}
        ref = live.get("ref", e.ref)
        href = live.get("href", "" if resolve is not None else _href(e.kind, e.ref))
        if e.kind == "file":
            href = f"{file_base}/{e.id}/file"
        items.append(
            EvidenceItem(
                id=e.id,
                kind=e.kind,
                ref=ref,
                label=live.get("label", "") or e.label or e.file_name or ref,
                value=live.get("value", ""),
                as_of=live.get("as_of", ""),
                detail=live.get("detail", ""),
                ok=live.get("ok", "yes") == "yes",
                href=href,
                file_name=e.file_name,
                added_by=e.added_by,
                added_at=e.added_at,
            )
        )
    return items


def _href(kind: str, ref: str) -> str:
    return {"resource": f"/library/{ref}", "programme": f"/programmes/{ref}"}.get(kind, "")


def _rec_labels(s: Db, ids: Iterable[int]) -> dict[int, Choice]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = s.execute(
        select(Recommendation.id, Recommendation.code, Recommendation.title, RecommendationSet.slug)
        .join(RecommendationSet)
        .where(Recommendation.id.in_(wanted))
    )
    return {i: Choice(code=str(i), label=f"{slug} {code}: {title}") for i, code, title, slug in rows}


def _action_row(
    s: Db, a: Action, evidence: list[EvidenceItem], labels: dict[int, Choice], href: str, today: date
) -> ActionRow:
    finished = a.status in ("done", "dropped")
    return ActionRow(
        id=a.id,
        ref=a.ref,
        objective=a.objective,
        pillar=a.pillar,
        pillar_label=records.PILLAR_LABELS.get(a.pillar, a.pillar),
        owner=a.owner,
        deadline=a.deadline,
        overdue=not finished and a.deadline < today,
        status=a.status,
        progress=a.progress,
        supporting=a.supporting,
        recommendations=[labels[i] for i in a.recommendations or [] if i in labels],
        milestones=[
            MilestoneView(title=m.title, due=m.due, done=m.done, overdue=not m.done and m.due < today)
            for m in a.milestones
        ],
        evidence=evidence,
        href=href,
    )


class Plan:
    """A submission's pillars, statuses, actions and evidence, read once for a page."""

    def __init__(
        self,
        s: Db,
        sub: Submission | None,
        *,
        action_base: str,
        file_base: str,
        resolve: Resolver | None,
        today: date,
    ) -> None:
        rows = list(s.scalars(select(Evidence).where(Evidence.submission_id == sub.id))) if sub else []
        stored = {p.pillar: p for p in sub.pillars} if sub else {}
        self.pillars = [
            PillarView(
                pillar=p,
                label=records.PILLAR_LABELS[p],
                narrative=stored[p].narrative if p in stored else "",
                maturity=stored[p].maturity if p in stored else 0,
                maturity_label=records.MATURITY[stored[p].maturity if p in stored else 0],
                evidence=_evidence(
                    s, [e for e in rows if e.pillar == p and e.action_id is None], file_base, resolve
                ),
            )
            for p in records.PILLARS
        ]
        statuses = (
            list(s.scalars(select(RecommendationStatus).where(RecommendationStatus.submission_id == sub.id)))
            if sub
            else []
        )
        actions = list(sub.actions) if sub else []
        labels = _rec_labels(
            s,
            [st.recommendation_id for st in statuses] + [i for a in actions for i in a.recommendations or []],
        )
        self.statuses = [
            RecStatusView(
                recommendation_id=st.recommendation_id,
                code=labels[st.recommendation_id].label.split(":", 1)[0]
                if st.recommendation_id in labels
                else "",
                title=labels[st.recommendation_id].label.split(": ", 1)[-1]
                if st.recommendation_id in labels
                else "",
                status=st.status,
                note=st.note,
            )
            for st in statuses
        ]
        self.actions = [
            _action_row(
                s,
                a,
                _evidence(s, [e for e in rows if e.action_id == a.id], file_base, resolve),
                labels,
                f"{action_base}/{a.id}" if action_base else "",
                today,
            )
            for a in actions
        ]


def comments(s: Db, submission_id: int) -> list[CommentView]:
    return [
        CommentView(author=c.author, about=c.about, body=c.body, created_at=c.created_at)
        for c in s.scalars(select(Comment).where(Comment.submission_id == submission_id).order_by(Comment.id))
    ]


def submission_page(
    s: Db,
    ukprn: str,
    stage: str,
    *,
    provider: str,
    can_edit: bool,
    today: date,
    resolve: Resolver | None = None,
    downloads: list[Download] | None = None,
    can_import_actions: bool = False,
) -> SubmissionPage:
    """The self-assessment and action plan of one stage, as the provider's people see it."""
    service.check_ukprn(ukprn)
    check_stage(stage)
    sub = find_submission(s, ukprn, stage)
    base = stage_base(ukprn, stage)
    plan = Plan(
        s, sub, action_base=f"{base}/actions", file_base=f"{base}/evidence", resolve=resolve, today=today
    )
    status = sub.status if sub else "not-started"
    reviewers = (
        list(s.scalars(select(Review).where(Review.submission_id == sub.id).order_by(Review.id)))
        if sub
        else []
    )
    return SubmissionPage(
        title=f"{records.STAGE_LABELS[stage]}: {provider}",
        ukprn=ukprn,
        provider=provider,
        stage=stage,
        stage_label=records.STAGE_LABELS[stage],
        submission_id=sub.id if sub else None,
        status=status,
        submitted_on=sub.submitted_on if sub else None,
        can_edit=can_edit,
        editable=can_edit and status != "submitted",
        base=base,
        pillars=plan.pillars,
        statuses=plan.statuses,
        actions=plan.actions,
        reviewers=[
            ReviewerView(reviewer=r.reviewer, invited_by=r.invited_by, invited_at=r.invited_at)
            for r in reviewers
        ],
        comments=comments(s, sub.id) if sub else [],
        downloads=downloads or [],
        can_import_actions=can_import_actions and can_edit and status != "submitted",
        maturity=[Choice(code=str(k), label=f"{k}: {v}") for k, v in records.MATURITY.items()],
        rec_statuses=list(records.REC_STATUSES),
        evidence_kinds=list(records.EVIDENCE_KINDS),
        recommendations=recommendation_choices(s),
        indicators=indicator_choices(),
    )


def indicator_choices() -> list[Choice]:
    return [Choice(code=i, label=title) for i, title in evidence.indicator_choices()]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(" ".join(str(v) for v in x) if isinstance(x, list) else str(x) for x in value)
    return str(value)


def history(s: Db, ukprn: str, target: str) -> tuple[list[ChangeView], int]:
    """The changes of one record, newest first, each with its fields before and after (the
    newest and always the first), and how many changes between them are not shown."""
    grouped: dict[str, ChangeView] = {}
    found_history = service.history(s, ukprn, target)
    for c in found_history.changes:
        found = grouped.get(c.batch)
        if found is None:
            found = grouped[c.batch] = ChangeView(actor=c.actor, at=c.at, fields=[])
        found.fields.append(FieldChange(field=c.field, before=_shown(c.before), after=_shown(c.after)))
    for view in grouped.values():
        view.fields.sort(key=lambda f: f.field)
    return list(grouped.values()), found_history.hidden


def action_in_plan(s: Db, sub: Submission | None, action_id: int) -> Action:
    """The action ``action_id`` of this plan; NotFound for another plan's (or provider's)."""
    found = s.get(Action, action_id)
    if sub is None or found is None or found.submission_id != sub.id:
        raise errors.NotFound(f"there is no action {action_id} in this plan")
    return found


def action_page(
    s: Db,
    ukprn: str,
    stage: str,
    action_id: int | None,
    *,
    can_edit: bool,
    allowed: frozenset[str] | None,
    today: date,
    resolve: Resolver | None = None,
) -> ActionPage:
    """One action (or the form for a new one) with its evidence, supporting resources and history."""
    service.check_ukprn(ukprn)
    check_stage(stage)
    sub = find_submission(s, ukprn, stage)
    base = stage_base(ukprn, stage)
    row = None
    if action_id is not None:
        a = action_in_plan(s, sub, action_id)
        evidence = s.scalars(select(Evidence).where(Evidence.action_id == a.id))
        row = _action_row(
            s,
            a,
            _evidence(s, evidence, f"{base}/evidence", resolve),
            _rec_labels(s, a.recommendations or []),
            f"{base}/actions/{a.id}",
            today,
        )
    changes, hidden = history(s, ukprn, f"action:{action_id}") if action_id is not None else ([], 0)
    return ActionPage(
        title=f"Action {row.ref}" if row else "New action",
        ukprn=ukprn,
        stage=stage,
        base=base,
        action=row,
        editable=can_edit and (sub is None or sub.status != "submitted"),
        owners=sorted(service.owners(s, ukprn)),
        pillars=[Choice(code=p, label=records.PILLAR_LABELS[p]) for p in records.PILLARS],
        statuses=list(records.ACTION_STATUSES),
        recommendations=recommendation_choices(s),
        resources=_resources(s, f"action:{action_id}", allowed) if action_id is not None else [],
        history=changes,
        history_hidden=hidden,
        indicators=indicator_choices(),
    )


def evidence_file(s: Db, sub: Submission, evidence_id: int) -> Evidence:
    """An uploaded file linked to this submission; NotFound for another's or a link."""
    row = s.get(Evidence, evidence_id)
    if row is None or row.submission_id != sub.id or row.kind != "file":
        raise errors.NotFound(f"there is no evidence file {evidence_id} on this submission")
    return row
