"""The strategy capability's permissions, decided by accounts.access like every other.

A provider's commitments, self-assessments and action plans are its own: its provider leads
read and change them (a ``provider`` scope on the route's ``ukprn``), admins too. A
reviewer from another provider reads one submitted plan they were invited to, and comments
on it, nothing else (a ``membership`` scope on the route's ``submission``; anyone not
invited gets the same 404 as for a plan that does not exist). Sector analysts see the
sector view, whose figures about small groups pass the disclosure gate, not a provider's
plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from techforce.accounts.access import ALL_ROLES, Permission, Role, Scope

if TYPE_CHECKING:
    from techforce.accounts.access import Principal
    from techforce.db import Database

_LEAD = frozenset({Role.PROVIDER_LEAD})


def invited(db: Database, principal: Principal, submission: str) -> bool:
    """Was ``principal`` invited to review the submitted plan ``submission``?"""
    from techforce.strategy.models import Review, Submission

    if not submission.isdigit() or len(submission) > 12:
        return False
    with db.session() as s:
        found = s.scalar(
            select(Review.id)
            .join(Submission, Submission.id == Review.submission_id)
            .where(
                Review.submission_id == int(submission),
                Review.reviewer == principal.username,
                Submission.status == "submitted",
            )
        )
    return found is not None


VIEW_RECOMMENDATIONS = Permission("view-recommendations", "read recommendation sets", ALL_ROLES)
MANAGE_RECOMMENDATIONS = Permission(
    "manage-recommendations",
    "import recommendation sets",
    frozenset({Role.ADMIN, Role.SECTOR_ANALYST}),
)
VIEW_PLAN = Permission(
    "view-plan",
    "read a provider's commitments, self-assessments and action plans",
    frozenset({Role.ADMIN, Role.PROVIDER_LEAD}),
    Scope.PROVIDER,
    _LEAD,
    "ukprn",
)
EDIT_PLAN = Permission(
    "edit-plan",
    "change a provider's commitments, self-assessments and action plans",
    frozenset({Role.ADMIN, Role.PROVIDER_LEAD}),
    Scope.PROVIDER,
    _LEAD,
    "ukprn",
)
REVIEW_PLAN = Permission(
    "review-plan",
    "read and comment on a submitted plan you were invited to review",
    ALL_ROLES,
    Scope.MEMBERSHIP,
    ALL_ROLES,
    "submission",
    invited,
    invited,
)
VIEW_SECTOR = Permission(
    "view-strategy-sector",
    "see adoption of recommendations and Technician Commitment compliance across providers",
    frozenset({Role.ADMIN, Role.SECTOR_ANALYST}),
)

ALL = (VIEW_RECOMMENDATIONS, MANAGE_RECOMMENDATIONS, VIEW_PLAN, EDIT_PLAN, REVIEW_PLAN, VIEW_SECTOR)
