"""A provider's strategy pages: its Technician Commitment standing, signature and pledges
(``/strategy/providers/{ukprn}``), and each stage's self-assessment (``.../{stage}``: pillar
narratives and maturity, recommendation statuses, evidence, the action plan), submitted and
reopened, with reviewers invited or revoked. Every object is found through the provider and
stage in the path, so another provider's id is a 404. Included in web/strategy.py's router."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, ValidationError

from techforce import errors
from techforce.strategy import pages, service
from techforce.strategy.models import Submission
from techforce.strategy.page_models import ProviderPage, SubmissionPage
from techforce.web.deps import Ctx
from techforce.web.pages import render
from techforce.web.security import content_disposition
from techforce.web.strategy_common import (
    Clean,
    Editor,
    Id,
    Pillar,
    Ref,
    Stage,
    Ukprn,
    Username,
    Viewer,
    as_error,
    can_edit,
    media_type,
    parse_date,
    parse_int,
    provider_name,
    redirect,
)
from techforce.web.strategy_extras import downloads, exchange_ready, file_path, resolver, true_values

router = APIRouter()
P = "/strategy/providers/{ukprn}"
S = P + "/{stage}"
PROVIDER, PLAN = "strategy/provider.html.j2", "strategy/submission.html.j2"
DONE = {
    "signed": "Signature saved.",
    "pledged": "Pledge saved.",
    "pillar": "Pillar saved.",
    "status": "Recommendation status saved.",
    "submitted": "Submitted: the plan is read-only now, and invited reviewers may read it.",
    "reopened": "Reopened as a draft: reviewers cannot read it until it is submitted again.",
    "invited": "Reviewer invited.",
    "revoked": "Reviewer's invitation revoked.",
    "comment": "Comment added.",
    "evidence": "Evidence linked.",
    "unlinked": "Evidence removed.",
    "action": "Action saved.",
    "removed": "Action removed.",
    "imported": "Actions imported.",
}
Text = Annotated[str, Form(max_length=service.MAX_TEXT)]
Short = Annotated[str, Form(max_length=320)]


# ---------------------------------------------------------------- the provider


def provider_data(ctx: Ctx, ukprn: str) -> ProviderPage:
    with ctx.db.session() as s:
        return pages.provider_page(
            s, ukprn, provider=provider_name(ctx, ukprn), can_edit=can_edit(ctx, ukprn), today=date.today()
        )


@router.get("/api" + P, tags=["strategy"])
def provider_json(ctx: Viewer, ukprn: Ukprn) -> ProviderPage:
    """The provider's Technician Commitment standing (signed, each submission's due date and
    state), its pledges against recommendations and its submissions per stage."""
    return provider_data(ctx, ukprn)


@router.get(P, include_in_schema=False)
def provider(request: Request, ctx: Viewer, ukprn: Ukprn, done: str = "") -> Response:
    data = provider_data(ctx, ukprn).model_copy(update={"message": DONE.get(done, "")})
    return render(request, PROVIDER, data, ctx)


def _on_provider(
    request: Request, ctx: Ctx, ukprn: str, form: str, values: dict[str, Any], change: Callable[[], None]
) -> Response:
    try:
        change()
    except (errors.TechforceError, ValidationError) as raised:
        exc = as_error(raised)
        data = provider_data(ctx, ukprn).model_copy(
            update={"error": exc.message, "failed": form, "values": values}
        )
        return render(request, PROVIDER, data, ctx, status_code=exc.http_status)
    return redirect(P.format(ukprn=ukprn), {"sign": "signed", "pledge": "pledged"}[form], form)


class SignIn(BaseModel):
    signed: date
    contact: Clean = ""


def _sign(ctx: Ctx, ukprn: str, body: SignIn) -> None:
    with ctx.db.session() as s:
        service.sign(s, ukprn, body.signed, ctx.principal.username, contact=body.contact)


@router.post("/api" + P + "/sign", tags=["strategy"])
def sign_json(ctx: Editor, ukprn: Ukprn, body: SignIn) -> ProviderPage:
    """Record (or correct) the date the provider signed the Technician Commitment, and the
    address reminders go to."""
    _sign(ctx, ukprn, body)
    return provider_data(ctx, ukprn)


@router.post(P + "/sign", include_in_schema=False)
def sign_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    signed: Annotated[str, Form(max_length=40)] = "",
    contact: Short = "",
) -> Response:
    values = {"signed": signed, "contact": contact}
    return _on_provider(
        request,
        ctx,
        ukprn,
        "sign",
        values,
        lambda: _sign(ctx, ukprn, SignIn(signed=parse_date(signed, "date signed"), contact=contact)),
    )


class PledgeIn(BaseModel):
    recommendation: Ref
    status: Clean = "pledged"
    note: Clean = ""


def _pledge(ctx: Ctx, ukprn: str, body: PledgeIn) -> None:
    with ctx.db.session() as s:
        service.pledge(s, ukprn, body.recommendation, body.status, ctx.principal.username, note=body.note)


@router.post("/api" + P + "/pledges", tags=["strategy"])
def pledge_json(ctx: Editor, ukprn: Ukprn, body: PledgeIn) -> ProviderPage:
    """Pledge to act on a recommendation, or move a pledge on (pledged, in-progress, done, withdrawn)."""
    _pledge(ctx, ukprn, body)
    return provider_data(ctx, ukprn)


@router.post(P + "/pledges", include_in_schema=False)
def pledge_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    recommendation: Annotated[str, Form(max_length=12)] = "",
    status: Annotated[str, Form(max_length=20)] = "pledged",
    note: Text = "",
) -> Response:
    values = {"recommendation": recommendation, "status": status, "note": note}
    return _on_provider(
        request,
        ctx,
        ukprn,
        "pledge",
        values,
        lambda: _pledge(
            ctx,
            ukprn,
            PledgeIn(recommendation=parse_int(recommendation, "recommendation"), status=status, note=note),
        ),
    )


# ---------------------------------------------------------------- a stage's submission


def plan_data(ctx: Ctx, ukprn: str, stage: str) -> SubmissionPage:
    with ctx.db.session() as s:
        return pages.submission_page(
            s,
            ukprn,
            stage,
            provider=provider_name(ctx, ukprn),
            can_edit=can_edit(ctx, ukprn),
            today=date.today(),
            resolve=resolver(ctx),
            downloads=downloads(pages.stage_base(ukprn, stage), true_ok=true_values(ctx, ukprn)),
            can_import_actions=exchange_ready(),
        )


@router.get("/api" + S, tags=["strategy"])
def plan_json(ctx: Viewer, ukprn: Ukprn, stage: Stage) -> SubmissionPage:
    """The stage's self-assessment (per pillar: narrative, maturity, evidence with its current
    value), recommendation statuses, action plan, reviewers and comments."""
    return plan_data(ctx, ukprn, stage)


@router.get(S, include_in_schema=False)
def plan(request: Request, ctx: Viewer, ukprn: Ukprn, stage: Stage, done: str = "") -> Response:
    data = plan_data(ctx, ukprn, stage).model_copy(update={"message": DONE.get(done, "")})
    return render(request, PLAN, data, ctx)


def on_plan(
    request: Request,
    ctx: Ctx,
    ukprn: str,
    stage: str,
    form: str,
    values: dict[str, Any],
    change: Callable[[], None],
    done: str,
) -> Response:
    """Make a change from a form on the plan page: redirect to the page saying it was done,
    or show the page again with the reason and what was typed."""
    try:
        change()
    except (errors.TechforceError, ValidationError) as raised:
        exc = as_error(raised)
        data = plan_data(ctx, ukprn, stage).model_copy(
            update={"error": exc.message, "failed": form, "values": values}
        )
        return render(request, PLAN, data, ctx, status_code=exc.http_status)
    return redirect(pages.stage_base(ukprn, stage), done, form)


def changing(ctx: Ctx, ukprn: str, stage: str, change: Callable[[Any, Submission], object]) -> None:
    """Run ``change(session, submission)`` on the provider's submission of ``stage`` (made as a
    draft if there is none yet), in one transaction."""
    with ctx.db.session() as s:
        change(s, service.submission(s, ukprn, stage, ctx.principal.username))


def existing(ctx: Ctx, ukprn: str, stage: str, change: Callable[[Any, Submission], object]) -> None:
    """Like :func:`changing`, on a submission that must exist already (else NotFound)."""
    with ctx.db.session() as s:
        sub = pages.find_submission(s, ukprn, stage)
        if sub is None:
            raise errors.NotFound(f"there is no {stage} submission for {ukprn} yet")
        change(s, sub)


class PillarIn(BaseModel):
    narrative: Clean = ""
    maturity: Annotated[int, Field(ge=-1, le=100)] = 0


def _pillar(ctx: Ctx, ukprn: str, stage: str, pillar: str, body: PillarIn) -> None:
    changing(
        ctx,
        ukprn,
        stage,
        lambda s, sub: service.save_pillar(
            s, sub, pillar, ctx.principal.username, narrative=body.narrative, maturity=body.maturity
        ),
    )


@router.post("/api" + S + "/pillars/{pillar}", tags=["strategy"])
def pillar_json(ctx: Editor, ukprn: Ukprn, stage: Stage, pillar: Pillar, body: PillarIn) -> SubmissionPage:
    """Save a pillar's narrative and maturity rating (0 not yet rated, to 4 leading)."""
    _pillar(ctx, ukprn, stage, pillar, body)
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/pillars/{pillar}", include_in_schema=False)
def pillar_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    stage: Stage,
    pillar: Pillar,
    narrative: Text = "",
    maturity: Annotated[str, Form(max_length=3)] = "0",
) -> Response:
    values = {"pillar": pillar, "narrative": narrative, "maturity": maturity}
    return on_plan(
        request,
        ctx,
        ukprn,
        stage,
        f"pillar-{pillar}",
        values,
        lambda: _pillar(
            ctx, ukprn, stage, pillar, PillarIn(narrative=narrative, maturity=parse_int(maturity, "maturity"))
        ),
        "pillar",
    )


class StatusIn(BaseModel):
    recommendation: Ref
    status: Clean
    note: Clean = ""


def _status(ctx: Ctx, ukprn: str, stage: str, body: StatusIn) -> None:
    changing(
        ctx,
        ukprn,
        stage,
        lambda s, sub: service.set_status(
            s, sub, body.recommendation, body.status, ctx.principal.username, note=body.note
        ),
    )


@router.post("/api" + S + "/statuses", tags=["strategy"])
def status_json(ctx: Editor, ukprn: Ukprn, stage: Stage, body: StatusIn) -> SubmissionPage:
    """Say where the provider stands on a recommendation (not-started, pledged, in-progress, done)."""
    _status(ctx, ukprn, stage, body)
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/statuses", include_in_schema=False)
def status_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    stage: Stage,
    recommendation: Annotated[str, Form(max_length=12)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    note: Text = "",
) -> Response:
    values = {"recommendation": recommendation, "status": status, "note": note}
    return on_plan(
        request,
        ctx,
        ukprn,
        stage,
        "statuses",
        values,
        lambda: _status(
            ctx,
            ukprn,
            stage,
            StatusIn(recommendation=parse_int(recommendation, "recommendation"), status=status, note=note),
        ),
        "status",
    )


# ---------------------------------------------------------------- submit, reopen, reviewers, comments


@router.post("/api" + S + "/submit", tags=["strategy"])
def submit_json(ctx: Editor, ukprn: Ukprn, stage: Stage) -> SubmissionPage:
    """Submit the self-assessment and action plan: it becomes read-only and can be reviewed."""
    existing(ctx, ukprn, stage, lambda s, sub: service.submit(s, sub, ctx.principal.username))
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/submit", include_in_schema=False)
def submit_page(request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage) -> Response:
    def change() -> None:
        existing(ctx, ukprn, stage, lambda s, sub: service.submit(s, sub, ctx.principal.username))

    return on_plan(request, ctx, ukprn, stage, "submit", {}, change, "submitted")


@router.post("/api" + S + "/reopen", tags=["strategy"])
def reopen_json(ctx: Editor, ukprn: Ukprn, stage: Stage) -> SubmissionPage:
    """Make a submitted plan a draft again (reviewers lose access until it is resubmitted)."""
    existing(ctx, ukprn, stage, lambda s, sub: service.reopen(s, sub, ctx.principal.username))
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/reopen", include_in_schema=False)
def reopen_page(request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage) -> Response:
    def change() -> None:
        existing(ctx, ukprn, stage, lambda s, sub: service.reopen(s, sub, ctx.principal.username))

    return on_plan(request, ctx, ukprn, stage, "submit", {}, change, "reopened")


class ReviewerIn(BaseModel):
    username: Annotated[Clean, Field(max_length=100)]


NOT_INVITABLE = (
    "that person cannot be invited: check the username; a reviewer must be an active account "
    "from another provider"
)


def _invite(ctx: Ctx, ukprn: str, stage: str, username: str) -> None:
    """Invite ``username``. Whether the account exists, is disabled or works for this provider
    is one answer (NOT_INVITABLE), so the form cannot be used to probe accounts."""

    def invite(s: Any, sub: Submission) -> None:
        try:
            service.invite(s, sub, username.strip(), ctx.principal.username)
        except (errors.Invalid, errors.NotFound):
            raise errors.Invalid(NOT_INVITABLE) from None

    existing(ctx, ukprn, stage, invite)


def _revoke(ctx: Ctx, ukprn: str, stage: str, username: str) -> None:
    existing(ctx, ukprn, stage, lambda s, sub: service.revoke(s, sub, username, ctx.principal.username))


@router.post("/api" + S + "/reviewers", tags=["strategy"])
def invite_json(ctx: Editor, ukprn: Ukprn, stage: Stage, body: ReviewerIn) -> SubmissionPage:
    """Invite a reviewer from another provider to read and comment on the submitted plan."""
    _invite(ctx, ukprn, stage, body.username)
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/reviewers", include_in_schema=False)
def invite_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    stage: Stage,
    username: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    change = lambda: _invite(ctx, ukprn, stage, username)  # noqa: E731
    return on_plan(request, ctx, ukprn, stage, "reviewers", {"username": username}, change, "invited")


@router.delete("/api" + S + "/reviewers/{username}", tags=["strategy"])
def revoke_json(ctx: Editor, ukprn: Ukprn, stage: Stage, username: Username) -> SubmissionPage:
    """Revoke a reviewer's invitation."""
    _revoke(ctx, ukprn, stage, username)
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/reviewers/{username}/remove", include_in_schema=False)
def revoke_page(request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, username: Username) -> Response:
    change = lambda: _revoke(ctx, ukprn, stage, username)  # noqa: E731
    return on_plan(request, ctx, ukprn, stage, "reviewers", {}, change, "revoked")


class CommentIn(BaseModel):
    body: Clean
    about: Clean = ""


def _comment(ctx: Ctx, ukprn: str, stage: str, body: CommentIn) -> None:
    existing(
        ctx,
        ukprn,
        stage,
        lambda s, sub: service.comment(s, sub, ctx.principal.username, body.body, about=body.about),
    )


@router.post("/api" + S + "/comments", tags=["strategy"])
def comment_json(ctx: Editor, ukprn: Ukprn, stage: Stage, body: CommentIn) -> SubmissionPage:
    """Reply to the reviewers' comments on this plan."""
    _comment(ctx, ukprn, stage, body)
    return plan_data(ctx, ukprn, stage)


@router.post(S + "/comments", include_in_schema=False)
def comment_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    stage: Stage,
    body: Annotated[str, Form(max_length=service.MAX_COMMENT)] = "",
    about: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    change = lambda: _comment(ctx, ukprn, stage, CommentIn(body=body, about=about))  # noqa: E731
    return on_plan(request, ctx, ukprn, stage, "comments", {"body": body, "about": about}, change, "comment")


# ---------------------------------------------------------------- evidence files


def evidence_download(ctx: Ctx, sub_of: Callable[[Any], Submission], evidence_id: int) -> Response:
    """An uploaded evidence file of the submission ``sub_of(session)`` gives, as an attachment."""
    with ctx.db.session() as s:
        row = pages.evidence_file(s, sub_of(s), evidence_id)
        digest, name = row.ref, row.file_name or "evidence"
    path = file_path(ctx, digest)
    if not path.is_file():
        raise errors.NotFound("the evidence file is missing from this server's data folder")
    return FileResponse(
        path,
        media_type=media_type(name),
        headers={"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff"},
    )


@router.get(S + "/evidence/{evidence_id}/file", tags=["strategy"])
def evidence_file(ctx: Viewer, ukprn: Ukprn, stage: Stage, evidence_id: Id) -> Response:
    """An uploaded evidence file, as it was added."""

    def sub_of(s: Any) -> Submission:
        found = pages.find_submission(s, ukprn, stage)
        if found is None:
            raise errors.NotFound(f"there is no evidence file {evidence_id} on this submission")
        return found

    return evidence_download(ctx, sub_of, evidence_id)
