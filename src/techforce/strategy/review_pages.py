"""Page data of peer review and the sector view (typed, nothing about HTTP): the plans a user
was invited to review, one submitted plan as its reviewer reads it (nothing links to the
provider's own pages or other stages), and the sector's adoption of recommendations and
Technician Commitment compliance, every figure about providers through the disclosure gate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.strategy import records, sector, service
from techforce.strategy.models import Review, Submission
from techforce.strategy.page_models import (
    Choice,
    Invitation,
    ReviewPage,
    ReviewsPage,
    SectorPage,
)
from techforce.strategy.pages import BASE, Plan, Resolver, comments
from techforce.workforce.service import Workforce

# ---------------------------------------------------------------- peer review


def reviews_page(s: Db, username: str, names: dict[str, str]) -> ReviewsPage:
    """The submitted plans ``username`` was invited to review."""
    rows = s.execute(
        select(Review, Submission)
        .join(Submission, Submission.id == Review.submission_id)
        .where(Review.reviewer == username, Submission.status == "submitted")
        .order_by(Review.id.desc())
    )
    return ReviewsPage(
        invitations=[
            Invitation(
                submission_id=sub.id,
                provider=names.get(sub.ukprn, sub.ukprn),
                stage_label=records.STAGE_LABELS[sub.stage],
                submitted_on=sub.submitted_on,
                invited_by=r.invited_by,
                invited_at=r.invited_at,
                href=f"{BASE}/reviews/{sub.id}",
            )
            for r, sub in rows
        ]
    )


def review_page(
    s: Db, submission_id: int, names: dict[str, str], *, today: date, resolve: Resolver | None = None
) -> ReviewPage:
    """The submitted plan, read-only, for its invited reviewer: no links to the provider's pages."""
    sub = service.get_submission(s, submission_id)
    if sub.status != "submitted":
        raise errors.NotFound(f"there is no submission {submission_id}")
    plan = Plan(
        s, sub, action_base="", file_base=f"{BASE}/reviews/{sub.id}/evidence", resolve=resolve, today=today
    )
    provider = names.get(sub.ukprn, sub.ukprn)
    return ReviewPage(
        title=f"Review: {records.STAGE_LABELS[sub.stage]}, {provider}",
        submission_id=sub.id,
        provider=provider,
        stage_label=records.STAGE_LABELS[sub.stage],
        submitted_on=sub.submitted_on,
        pillars=plan.pillars,
        statuses=plan.statuses,
        actions=plan.actions,
        comments=comments(s, sub.id),
        abouts=[Choice(code="", label="The plan as a whole")]
        + [Choice(code=p, label=records.PILLAR_LABELS[p]) for p in records.PILLARS]
        + [Choice(code=a.ref, label=f"Action {a.ref}") for a in plan.actions],
    )


def sector_page(s: Db, wf: Workforce, today: date) -> SectorPage:
    """Adoption of each recommendation, stage compliance per cohort, and pledges to appoint a
    strategic lead against the staff data, each cell as published (hidden ones as markers)."""
    view = sector.sector_view(s, wf, today)
    tables = sector.tables(view)
    return SectorPage(
        today=view.today,
        disclosure=view.disclosure,
        adoption=tables["adoption"],
        compliance=tables["compliance"],
        leaders=tables["leaders"],
        notes=list(view.notes),
    )
