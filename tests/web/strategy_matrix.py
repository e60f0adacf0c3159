"""Authorization rows for the strategy capability's routes (web/strategy*.py), merged into the
matrix in test_authorization.py: (method, path template) -> kind.

Kinds: "strategy_read" (VIEW_RECOMMENDATIONS, and the list of one's own review invitations:
every signed-in role), "strategy_import" (MANAGE_RECOMMENDATIONS: admins and sector
analysts), "plan" (VIEW_PLAN / EDIT_PLAN on the path's UKPRN: admins on any provider, a
provider lead on their own only; everyone else 403), "sector" (VIEW_SECTOR: admins and
sector analysts) and "review" (REVIEW_PLAN on the path's submission: every role's user is
invited to one submitted plan (INVITED, allowed) and not to another (OUTSIDE: the same 404
as for a plan that does not exist, never 403)). Ids in the path come from seed(): an action
and an evidence file in the own provider's first-submission plan; the reviewed plans are
stage-3 plans of other providers, so no matrix call on a first submission touches them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from techforce.db import Database
from techforce.strategy import service
from techforce.strategy.models import Recommendation

P = "/strategy/providers/{ukprn}"
S = P + "/{stage}"
AS = "/api" + S
R = "/strategy/reviews/{submission}"
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/strategy/recommendations"): "strategy_read",
    ("GET", "/api/strategy/recommendations"): "strategy_read",
    ("GET", "/strategy/recommendations/{rec_id}"): "strategy_read",
    ("GET", "/api/strategy/recommendations/{rec_id}"): "strategy_read",
    ("POST", "/strategy/recommendations/import"): "strategy_import",
    ("POST", "/api/strategy/recommendations/import"): "strategy_import",
    ("GET", "/strategy/reviews"): "strategy_read",
    ("GET", "/api/strategy/reviews"): "strategy_read",
    ("GET", R): "review",
    ("GET", "/api" + R): "review",
    ("POST", R + "/comments"): "review",
    ("POST", "/api" + R + "/comments"): "review",
    ("GET", R + "/evidence/{evidence_id}/file"): "review",
    ("GET", R + "/pack.{fmt}"): "review",
    ("GET", "/strategy/sector"): "sector",
    ("GET", "/api/strategy/sector"): "sector",
    ("GET", "/strategy/sector.csv"): "sector",
    ("GET", P): "plan",
    ("GET", "/api" + P): "plan",
    ("POST", P + "/sign"): "plan",
    ("POST", "/api" + P + "/sign"): "plan",
    ("POST", P + "/pledges"): "plan",
    ("POST", "/api" + P + "/pledges"): "plan",
    ("GET", S): "plan",
    ("GET", AS): "plan",
    ("POST", S + "/pillars/{pillar}"): "plan",
    ("POST", AS + "/pillars/{pillar}"): "plan",
    ("POST", S + "/statuses"): "plan",
    ("POST", AS + "/statuses"): "plan",
    ("POST", S + "/reviewers"): "plan",
    ("POST", AS + "/reviewers"): "plan",
    ("POST", S + "/reviewers/{username}/remove"): "plan",
    ("DELETE", AS + "/reviewers/{username}"): "plan",
    ("POST", S + "/comments"): "plan",
    ("POST", AS + "/comments"): "plan",
    ("GET", S + "/evidence/{evidence_id}/file"): "plan",
    ("GET", S + "/pack.{fmt}"): "plan",
    ("GET", S + "/actions.csv"): "plan",
    ("POST", S + "/actions/import"): "plan",
    ("POST", AS + "/actions/import"): "plan",
    ("GET", S + "/actions/new"): "plan",
    ("POST", S + "/actions"): "plan",
    ("POST", AS + "/actions"): "plan",
    ("GET", S + "/actions/{action_id}"): "plan",
    ("GET", AS + "/actions/{action_id}"): "plan",
    ("POST", S + "/actions/{action_id}"): "plan",
    ("POST", AS + "/actions/{action_id}"): "plan",
    ("POST", S + "/evidence"): "plan",
    ("POST", AS + "/evidence"): "plan",
    ("POST", S + "/actions/{action_id}/evidence"): "plan",
    ("POST", AS + "/actions/{action_id}/evidence"): "plan",
    ("POST", S + "/evidence/{evidence_id}/remove"): "plan",
    ("DELETE", AS + "/evidence/{evidence_id}"): "plan",
    # last: these change the plan the rows above use (submit makes it read-only; removal)
    ("POST", S + "/submit"): "plan",
    ("POST", AS + "/submit"): "plan",
    ("POST", S + "/reopen"): "plan",
    ("POST", AS + "/reopen"): "plan",
    ("POST", S + "/actions/{action_id}/remove"): "plan",
    ("DELETE", AS + "/actions/{action_id}"): "plan",
}
ALL = {"admin", "sector-analyst", "provider-lead", "programme-manager", "researcher", "technician"}
KINDS: dict[str, set[str]] = {
    "strategy_read": ALL,
    "strategy_import": {"admin", "sector-analyst"},
    "sector": {"admin", "sector-analyst"},
    "plan": {"admin"},  # and a provider lead on their own provider
    "review": set(),  # by invitation only
}
INVITED, OUTSIDE = "invited", "outside"


@dataclass(frozen=True)
class Seeded:
    rec_id: int
    action_id: int
    evidence_id: int
    invited: int  # a submitted plan every role's user was invited to review
    outside: int  # a submitted plan nobody was invited to


def _submitted(s: Db, ukprn: str, stage: str) -> int:
    sub = service.submission(s, ukprn, stage, "matrix")
    data = service.ActionIn(
        objective="Reviewed action", pillar="visibility", owner="admin", deadline=date(2027, 1, 1)
    )
    service.save_action(s, sub, data, "matrix")
    service.submit(s, sub, "matrix")
    return sub.id


def seed(db: Database, own: str, other: str, third: str) -> Seeded:
    """Recommendation sets; an action with an evidence file in the own provider's
    first-submission plan; a submitted stage-3 plan of ``other`` with every role's user
    invited (the provider lead leads ``own``), and one of ``third`` with nobody invited."""
    with db.session() as s:
        service.install_shipped(s, "matrix")
        rec_id = s.scalar(select(func.min(Recommendation.id)))
        assert rec_id is not None
        sub = service.submission(s, own, "first-submission", "matrix")
        data = service.ActionIn(
            objective="Matrix action", pillar="visibility", owner="admin", deadline=date(2027, 1, 1)
        )
        action = service.save_action(s, sub, data, "matrix")
        row = service.attach(
            s, sub, "file", "0" * 64, "matrix", action_id=action.id, file=("m.txt", "text/plain", 1)
        )
        invited = _submitted(s, other, "stage-3")
        reviewed = service.get_submission(s, invited)
        for role in sorted(ALL):
            service.invite(s, reviewed, role, "matrix")
        outside = _submitted(s, third, "stage-3")
        return Seeded(rec_id, action.id, row.id, invited, outside)


def fill(template: str, seeded: Seeded | None, whose: str = INVITED) -> str:
    """A path for ``template`` (placeholders without a seed, for signed-out requests)."""
    values = {
        "{stage}": "first-submission",
        "{pillar}": "visibility",
        "{fmt}": "html",
        "{username}": "nobody",
        "{rec_id}": str(seeded.rec_id if seeded else 1),
        "{action_id}": str(seeded.action_id if seeded else 1),
        "{evidence_id}": str(seeded.evidence_id if seeded else 1),
        "{submission}": str((seeded.invited if whose == INVITED else seeded.outside) if seeded else 1),
    }
    for name, value in values.items():
        template = template.replace(name, value)
    return template


def allowed(kind: str, role: str, whose: str) -> bool:
    if kind == "plan":
        return role == "admin" or (role == "provider-lead" and whose == "own")
    return role in KINDS[kind]


def check(
    client: TestClient,
    csrf: str,
    role: str,
    method: str,
    template: str,
    kind: str,
    seeded: Seeded,
    own: str,
    other: str,
) -> None:
    """Try one strategy route as ``role`` on each of its targets and assert the outcome. No
    body is sent: a refusal comes before the body is read, and an allowed call without one is
    answered by its handler (422, or the page with the reason, or a 404 for an id that is not
    in the plan). Never a 5xx."""
    if kind == "review":
        targets: tuple[str, ...] = (INVITED, OUTSIDE)
    elif "{ukprn}" in template:
        targets = ("own", "other")
    else:
        targets = ("any",)
    headers = {"X-CSRF-Token": csrf}
    for whose in targets:
        path = fill(template.replace("{ukprn}", own if whose == "own" else other), seeded, whose)
        response = client.request(method, path, headers=headers, follow_redirects=False)
        where = (role, method, path, whose, response.status_code, response.text[:300])
        assert response.status_code < 500, where
        if kind == "review":
            if whose == INVITED:
                assert response.status_code not in (401, 403), where
                assert response.status_code != 404 or "there is no submission" not in response.text, where
            else:
                assert response.status_code == 404, where
            continue
        if allowed(kind, role, whose):
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where
