"""The self-assessment pack of a provider and stage, assembled from the stored submission: each
pillar's narrative and maturity, its evidence resolved to today's values (strategy.evidence),
where the provider stands on each recommendation, the action plan with milestones, linked
recommendations and evidence, the date signed, and small workforce charts for the provider.
Nothing is re-keyed: generate it again and it shows the figures of that day."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import vl_convert as vlc
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.present import charts
from techforce.strategy import evidence, pack, records
from techforce.strategy.models import (
    Evidence,
    Pledge,
    Recommendation,
    RecommendationSet,
    RecommendationStatus,
    Signatory,
    Submission,
)
from techforce.workforce import codes
from techforce.workforce.indicators import BY_ID, Computation
from techforce.workforce.service import Workforce

__all__ = ["FORMATS", "PUBLISHED_LINE", "TRUE_LINE", "build_pack", "provider_charts", "render"]

FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# the provider's workforce over the years: (indicator, chart title, line or bar)
CHARTS = (
    ("tech.aged_55_plus", "Technical staff aged 55 and over", "line"),
    ("leadership.leaders", "Strategic technical leaders (headcount)", "bar"),
    ("tech.women_in_leadership", "Women's share of technical leadership roles", "line"),
)
PLEDGE_AS_STATUS = {
    "pledged": "pledged",
    "in-progress": "in-progress",
    "done": "done",
    "withdrawn": "not-started",
}


def _submission(s: Db, ukprn: str, stage: str) -> Submission:
    if stage not in records.STAGES:
        raise errors.Invalid(f"stage {stage!r} is not one of {', '.join(records.STAGES)}")
    found = s.scalar(select(Submission).where(Submission.ukprn == ukprn, Submission.stage == stage))
    if found is None:
        raise errors.NotFound(
            f"{ukprn} has no {records.STAGE_LABELS[stage]} yet: write the self-assessment first"
        )
    return found


def _item(r: evidence.Resolved) -> pack.Evidence:
    if not r.ok:
        return pack.Evidence(r.kind, r.label, "Not available", r.as_of, r.problem, r.href)
    return pack.Evidence(r.kind, r.label, r.value, r.as_of, r.definition, r.href)


def _recommendations(s: Db, sub: Submission) -> dict[str, list[pack.RecommendationStatus]]:
    """Each recommendation with a status in the submission or a pledge of the provider, under
    the first pillar it names (the first pillar when it names none)."""
    statuses = {r.recommendation_id: r for r in sub.statuses}
    pledges = {p.recommendation_id: p for p in s.scalars(select(Pledge).where(Pledge.ukprn == sub.ukprn))}
    wanted = set(statuses) | set(pledges)
    out: dict[str, list[pack.RecommendationStatus]] = {p: [] for p in records.PILLARS}
    if not wanted:
        return out
    rows = s.execute(
        select(Recommendation, RecommendationSet.title)
        .join(RecommendationSet, RecommendationSet.id == Recommendation.set_id)
        .where(Recommendation.id.in_(wanted))
        .order_by(RecommendationSet.slug, RecommendationSet.id, Recommendation.position)
    )
    for rec, set_title in rows:
        pillar = next((p for p in rec.pillars if p in out), records.PILLARS[0])
        stated: RecommendationStatus | None = statuses.get(rec.id)
        pledged = pledges.get(rec.id)
        if stated is not None:
            status, note = stated.status, stated.note
        else:
            assert pledged is not None
            status = PLEDGE_AS_STATUS[pledged.status]
            note = f"Pledged {pledged.pledged_on.isoformat()}" + (
                " (withdrawn)" if pledged.status == "withdrawn" else ""
            )
        out[pillar].append(pack.RecommendationStatus(set_title, rec.code, rec.title, status, note))
    return out


def provider_charts(
    comp: Computation, ukprn: str, name: str, *, true_values: bool = False
) -> list[pack.Chart]:
    """Small charts of the provider's workforce over the years it returned (aged 55 and over,
    strategic technical leaders, women in leadership), as SVG and PNG with alt text. A chart
    with no figure to draw is left out."""
    out = []
    for ind_id, title, shape in CHARTS:
        ind = BY_ID[ind_id]
        found = sorted(
            (r for r in comp.results(ind_id, ukprn, [ukprn], true_values=true_values) if r.category == "all"),
            key=lambda r: r.year,
        )
        rows: list[dict[str, Any]] = []
        for r in found:
            raw = r.raw if true_values and r.raw is not None else r.cell.value
            value = float(raw) if isinstance(raw, int | float) else None
            shown = r.cell.display if not true_values or r.raw is None else _true(ind.unit, r.raw)
            rows.append({"year": codes.year_label(r.year), "value": value, "shown": shown})
        if not any(row["value"] is not None for row in rows):
            continue
        unit = "%" if ind.unit == "percent" else "people"
        full = f"{title}: {name}"
        order = [str(row["year"]) for row in rows]
        draw = charts.line if shape == "line" else charts.bar
        spec = draw(rows, x="year", y="value", title=full, unit=unit, order=order)
        alt_text = f"{'Line' if shape == 'line' else 'Bar'} chart of {title.lower()} at {name}: " + "; ".join(
            f"{row['year']} {row['shown']}" for row in rows
        )
        out.append(
            pack.Chart(
                full, str(vlc.vegalite_to_svg(spec)), bytes(vlc.vegalite_to_png(spec, scale=1)), alt_text
            )
        )
    return out


def _true(unit: str, raw: float) -> str:
    return f"{raw:.1f}%" if unit == "percent" else f"{raw:,.1f}".removesuffix(".0")


def _pillars(
    s: Db, sub: Submission, rows: list[Evidence], resolved: dict[int, pack.Evidence]
) -> list[pack.PillarSection]:
    """Each pillar with its narrative, maturity, evidence and recommendation statuses."""
    recs = _recommendations(s, sub)
    assessed = {p.pillar: p for p in sub.pillars}
    pillars = []
    for p in records.PILLARS:
        row = assessed.get(p)
        maturity = row.maturity if row is not None else 0
        pillars.append(
            pack.PillarSection(
                pillar=p,
                label=records.PILLAR_LABELS[p],
                narrative=row.narrative if row is not None else "",
                maturity=maturity,
                maturity_label=records.MATURITY.get(maturity, ""),
                evidence=[resolved[e.id] for e in rows if e.pillar == p and e.action_id is None],
                recommendations=recs[p],
            )
        )
    return pillars


def _actions(
    s: Db, sub: Submission, rows: list[Evidence], resolved: dict[int, pack.Evidence]
) -> list[pack.ActionRow]:
    """The action plan: milestones, linked recommendations by code, and each action's evidence."""
    linked = {i for a in sub.actions for i in a.recommendations or []}
    codes_by_id: dict[int, str] = {
        int(row.id): str(row.code)
        for row in s.execute(
            select(Recommendation.id, Recommendation.code).where(Recommendation.id.in_(linked))
        )
    }
    return [
        pack.ActionRow(
            ref=a.ref,
            objective=a.objective,
            pillar_label=records.PILLAR_LABELS.get(a.pillar, a.pillar),
            owner=a.owner,
            deadline=a.deadline.isoformat(),
            status=a.status,
            progress=a.progress,
            milestones=[pack.Milestone(m.title, m.due.isoformat(), m.done) for m in a.milestones],
            recommendations=[codes_by_id.get(i, str(i)) for i in a.recommendations or []],
            evidence=[resolved[e.id] for e in rows if e.action_id == a.id],
        )
        for a in sub.actions
    ]


def build_pack(
    s: Db,
    wf: Workforce,
    ukprn: str,
    stage: str,
    *,
    names: Mapping[str, str],
    allowed: frozenset[str] | None,
    true_values: bool,
    impact: bool = True,
    today: date | None = None,
) -> pack.Pack:
    """The pack for ``ukprn``'s submission for ``stage`` as the viewer may see it: ``allowed``
    is their library audience (None: every resource), ``true_values`` whether it holds the
    provider's true workforce figures (only for a viewer entitled to them: its own lead, or
    the operator) rather than the published ones, ``impact`` whether the viewer may see
    programme impact figures. The pack says which figures it holds. NotFound when the
    provider has no submission for that stage."""
    sub = _submission(s, ukprn, stage)
    today = today or date.today()
    resolver = evidence.Resolver(
        s, wf, ukprn, allowed=allowed, true_values=true_values, impact=impact, today=today
    )
    rows = list(s.scalars(select(Evidence).where(Evidence.submission_id == sub.id).order_by(Evidence.id)))
    resolved = {row.id: _item(resolver.resolve(row)) for row in rows}
    pillars = _pillars(s, sub, rows, resolved)
    actions = _actions(s, sub, rows, resolved)
    signatory = s.get(Signatory, ukprn)
    comp = resolver.computation()
    name = names.get(ukprn, ukprn)
    return pack.Pack(
        provider=name,
        ukprn=ukprn,
        stage_label=records.STAGE_LABELS[stage],
        signed=signatory.signed.isoformat() if signatory else "not signed yet",
        generated=today.isoformat(),
        definition=f"{comp.definition.title} ({comp.definition.stamp})",
        disclosure_note=_disclosure_note(comp, true_values),
        pillars=pillars,
        actions=actions,
        charts=provider_charts(comp, ukprn, name, true_values=true_values),
        stage=stage,
    )


TRUE_LINE = "Figures: true values for this provider only: do not share outside it."
PUBLISHED_LINE = "Figures: published (rounded and suppressed), fit to share."


def _disclosure_note(comp: Computation, true_values: bool) -> str:
    if true_values:
        return (
            f"{TRUE_LINE} Workforce figures are this provider's true values, shown to its own "
            f"leads: do not publish them outside the provider without disclosure control ({comp.rules.stamp})."
        )
    return (
        f"{PUBLISHED_LINE} Workforce and programme figures about people are published under "
        f"disclosure rules {comp.rules.stamp}: counts are perturbed and rounded, and figures about too few people are shown as {comp.rules.marker}."
    )


def render(built: pack.Pack, fmt: str) -> tuple[bytes, str, str]:
    """The pack as ``fmt`` (html, pdf or docx): (bytes, media type, file name)."""
    if fmt not in FORMATS:
        raise errors.Invalid(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    stage = re.sub(r"[^a-z0-9-]+", "-", (built.stage or "pack").lower()).strip("-")
    filename = f"self-assessment-{re.sub(r'[^0-9]', '', built.ukprn)}-{stage}.{fmt}"
    if fmt == "html":
        data = pack.to_html(built).encode()
    elif fmt == "pdf":
        data = pack.to_pdf(built)
    else:
        data = pack.to_docx(built)
    return data, FORMATS[fmt], filename
