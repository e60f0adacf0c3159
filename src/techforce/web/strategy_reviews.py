"""Peer review: the plans the signed-in user was invited to review (``/strategy/reviews``),
one submitted plan read-only with its comments (``/strategy/reviews/{submission}``: the
membership scope answers 404 to anyone not invited), a comment form, and the plan's evidence
files. Nothing here links to the provider's own pages or other stages. Included in
web/strategy.py's router."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from techforce import errors
from techforce.strategy import review_pages, service
from techforce.strategy.models import Submission
from techforce.strategy.page_models import ReviewPage, ReviewsPage
from techforce.web.deps import Ctx
from techforce.web.pages import render
from techforce.web.strategy_common import Clean, Id, Reviewer, as_error, names, redirect
from techforce.web.strategy_extras import resolver
from techforce.web.strategy_files import Format, attachment, make_pack
from techforce.web.strategy_plan import evidence_download

router = APIRouter()
R = "/strategy/reviews/{submission}"
REVIEW = "strategy/review.html.j2"
DONE = {"comment": "Comment added."}


def _reviews(ctx: Ctx) -> ReviewsPage:
    with ctx.db.session() as s:
        return review_pages.reviews_page(s, ctx.principal.username, names(ctx))


@router.get("/api/strategy/reviews", tags=["strategy"])
def reviews_json(ctx: Reviewer) -> ReviewsPage:
    """The submitted plans you were invited to review."""
    return _reviews(ctx)


@router.get("/strategy/reviews", include_in_schema=False)
def reviews(request: Request, ctx: Reviewer) -> Response:
    return render(request, "strategy/reviews.html.j2", _reviews(ctx), ctx)


def _review(ctx: Ctx, submission: int) -> ReviewPage:
    with ctx.db.session() as s:
        return review_pages.review_page(
            s, submission, names(ctx), today=date.today(), resolve=resolver(ctx, reviewer=True)
        )


@router.get("/api" + R, tags=["strategy"])
def review_json(ctx: Reviewer, submission: Id) -> ReviewPage:
    """A submitted plan you were invited to review, read-only: pillar narratives and maturity,
    recommendation statuses, actions, evidence and the comments so far."""
    return _review(ctx, submission)


@router.get(R, include_in_schema=False)
def review(request: Request, ctx: Reviewer, submission: Id, done: str = "") -> Response:
    data = _review(ctx, submission).model_copy(update={"message": DONE.get(done, "")})
    return render(request, REVIEW, data, ctx)


class CommentBody(BaseModel):
    body: Clean
    about: Clean = ""


def _submitted(s: Any, submission: int) -> Submission:
    sub = service.get_submission(s, submission)
    if sub.status != "submitted":
        raise errors.NotFound(f"there is no submission {submission}")
    return sub


def _comment(ctx: Ctx, submission: int, body: CommentBody) -> None:
    with ctx.db.session() as s:
        service.comment(s, _submitted(s, submission), ctx.principal.username, body.body, about=body.about)


@router.post("/api" + R + "/comments", tags=["strategy"], status_code=201)
def comment_json(ctx: Reviewer, submission: Id, body: CommentBody) -> ReviewPage:
    """Comment on the plan (``about``: a pillar, an action's ref, or empty for the whole plan)."""
    _comment(ctx, submission, body)
    return _review(ctx, submission)


@router.post(R + "/comments", include_in_schema=False)
def comment_page(
    request: Request,
    ctx: Reviewer,
    submission: Id,
    body: Annotated[str, Form(max_length=service.MAX_COMMENT)] = "",
    about: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    try:
        _comment(ctx, submission, CommentBody(body=body, about=about))
    except (errors.TechforceError, ValidationError) as raised:
        exc = as_error(raised)
        data = _review(ctx, submission).model_copy(
            update={"error": exc.message, "failed": "comment", "values": {"body": body, "about": about}}
        )
        return render(request, REVIEW, data, ctx, status_code=exc.http_status)
    return redirect(f"/strategy/reviews/{submission}", "comment", "comments")


@router.get(R + "/evidence/{evidence_id}/file", tags=["strategy"])
def evidence_file(ctx: Reviewer, submission: Id, evidence_id: Id) -> Response:
    """An evidence file of the plan you review, as it was added."""
    return evidence_download(ctx, lambda s: _submitted(s, submission), evidence_id)


@router.get(R + "/pack.{fmt}", tags=["strategy"])
async def review_pack(ctx: Reviewer, submission: Id, fmt: Format) -> Response:
    """The self-assessment pack of the plan you review, as HTML, PDF or Word, always with
    published (disclosure-controlled) figures."""

    def make() -> tuple[bytes, str, str]:
        return make_pack(ctx, lambda s: _submitted(s, submission), "published", fmt)

    data, media, name = await run_in_threadpool(make)
    return attachment(data, media, name)
