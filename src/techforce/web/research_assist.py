"""Assisted coding on the web (optional extra ``techforce[nlp]``): build a study's index in
the background, ask for suggestions for a code, accept or reject each one (an accepted
suggestion becomes the deciding coder's coding), and search the study by meaning.

Suggestions belong to the coder who asked for them: nobody sees another coder's, so coding
stays blind. Without the extra, the page says how to install it and the actions refuse."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from techforce import errors
from techforce.research import assist, coding, pages, permissions, service, suggesting
from techforce.research.models import Source
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render

router = APIRouter()
Reader = Annotated[Ctx, Depends(guard(permissions.VIEW_STUDY))]
CodeWriter = Annotated[Ctx, Depends(guard(permissions.CODE_STUDY))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Guid = Annotated[str, Path(min_length=1, max_length=36)]
PAGE = "research/assist.html.j2"
SNIPPET = 400
DONE = {
    "building": "Building the index in the background: this page shows its progress.",
    "running": "The index is already being built.",
    "suggested": "Suggestions are ready below.",
    "accepted": "Suggestion accepted: it is now your coding.",
    "rejected": "Suggestion rejected.",
}


class IndexView(BaseModel):
    built: bool
    units: int
    sources: int
    current: int
    stale: bool
    model: str
    version: str
    built_at: datetime | None


class BuildView(BaseModel):
    running: bool
    done: int
    total: int
    error: str


class CodeChoice(BaseModel):
    id: int
    path: str
    open: int  # your open suggestions for it


class SuggestionView(BaseModel):
    id: int
    code_id: int
    code: str
    source_id: int
    source: str
    start: int
    end: int
    text: str
    score: float
    model: str
    version: str
    href: str


class FoundView(BaseModel):
    source_id: int
    source: str
    start: int
    end: int
    text: str
    score: float
    href: str


class AssistPage(BaseModel):
    study: str
    name: str
    available: bool
    install: str
    device: str
    can_code: bool
    index: IndexView | None
    build: BuildView | None
    codes: list[CodeChoice]
    suggestions: list[SuggestionView]
    query: str = ""
    results: list[FoundView] = []
    message: str = ""
    error: str = ""


def _builds(ctx: Ctx) -> suggesting.Builds:
    """The app's index builds (research/facade.py), waited for at shutdown."""
    builds: suggesting.Builds = ctx.services["research"].builds
    return builds


def _source_href(study: str, source_id: int, start: int, end: int) -> str:
    """The coding view with the passage selected (static/research.js reads ``#at-START-END``)."""
    return f"/research/{study}/sources/{source_id}#at-{start}-{end}"


def assist_data(ctx: Ctx, study: str, query: str = "", **update: Any) -> AssistPage:
    me = ctx.principal.username
    with ctx.db.session() as s:
        st = service.study(s, study)
        can_code = pages.right_of(s, st, me) in (permissions.OWNER, permissions.CODER)
        live = coding.codes_of(s, st.id)
        names = coding.paths(live)
        texts = {
            sid: (n, t)
            for sid, n, t in s.execute(
                select(Source.id, Source.name, Source.text).where(Source.study_id == st.id)
            )
        }
        mine = suggesting.open_suggestions(s, st, me) if can_code else []
        name = st.name
    paths = {cid: " › ".join(p) for cid, p in names.items()}
    suggestions = [
        SuggestionView(
            id=r.id,
            code_id=r.code_id,
            code=paths.get(r.code_id, "(retired code)"),
            source_id=r.source_id,
            source=texts[r.source_id][0],
            start=r.start,
            end=r.end,
            text=texts[r.source_id][1][r.start : r.end][:SNIPPET],
            score=r.score,
            model=r.model,
            version=r.model_version,
            href=_source_href(study, r.source_id, r.start, r.end),
        )
        for r in mine
        if r.source_id in texts
    ]
    counts: dict[int, int] = {}
    for sv in suggestions:
        counts[sv.code_id] = counts.get(sv.code_id, 0) + 1
    available = assist.available()
    index = build = None
    results: list[FoundView] = []
    if available:
        state = suggesting.index_state(ctx.db, study, data_dir=ctx.settings.data_dir)
        index = IndexView(**vars(state), stale=state.stale)
        running = _builds(ctx).status(study)
        build = BuildView(**vars(running)) if running is not None else None
        if query.strip() and state.built:
            found = suggesting.search(
                ctx.db, study, query, data_dir=ctx.settings.data_dir, device=ctx.settings.nlp_device
            )
            results = [
                FoundView(
                    **vars(f)
                    | {"text": f.text[:SNIPPET], "href": _source_href(study, f.source_id, f.start, f.end)}
                )
                for f in found
            ]
    page = AssistPage(
        study=study,
        name=name,
        available=available,
        install=assist.INSTALL_HINT,
        device=ctx.settings.nlp_device,
        can_code=can_code,
        index=index,
        build=build,
        codes=[CodeChoice(id=c.id, path=paths[c.id], open=counts.get(c.id, 0)) for c in live],
        suggestions=suggestions,
        query=query,
        results=results,
    )
    return page.model_copy(update=update)


def _require_extra() -> None:
    if not assist.available():
        raise errors.Refused(f"Assisted coding is not installed here: {assist.INSTALL_HINT}.", status=409)


@router.get("/api/research/{study}/assist", tags=["research"])
async def assist_json(ctx: Reader, study: Guid, q: Annotated[str, Query(max_length=1000)] = "") -> AssistPage:
    """Assisted coding: whether the model is installed, the study's index and any build in
    progress, your open suggestions, and the passages closest in meaning to ``q``."""
    return await run_in_threadpool(assist_data, ctx, study, q)


@router.get("/research/{study}/assist", include_in_schema=False)
async def assist_page(
    request: Request,
    ctx: Reader,
    study: Guid,
    q: Annotated[str, Query(max_length=1000)] = "",
    done: str = "",
) -> Response:
    data = await run_in_threadpool(assist_data, ctx, study, q, message=DONE.get(done, ""))
    return render(request, PAGE, data, ctx)


def _start_build(ctx: Ctx, study: str) -> bool:
    _require_extra()
    with ctx.db.session() as s:
        service.study(s, study)
    settings, db = ctx.settings, ctx.db
    return _builds(ctx).start(
        study,
        lambda progress: suggesting.build_index(
            db, study, data_dir=settings.data_dir, device=settings.nlp_device, progress=progress
        ),
    )


@router.post("/api/research/{study}/assist/index", tags=["research"], status_code=202)
def build_json(ctx: CodeWriter, study: Guid) -> BuildView:
    """Start building (or bringing up to date) the study's index in the background; poll
    ``GET .../assist`` for its progress. Only new or changed sources are embedded again."""
    _start_build(ctx, study)
    running = _builds(ctx).status(study)
    assert running is not None
    return BuildView(**vars(running))


@router.post("/research/{study}/assist/index", include_in_schema=False)
def build_page(ctx: CodeWriter, study: Guid) -> Response:
    started = _start_build(ctx, study)
    return RedirectResponse(f"/research/{study}/assist?done={'building' if started else 'running'}", 303)


class Suggested(BaseModel):
    stored: int


def _suggest(ctx: Ctx, study: str, code: int) -> int:
    _require_extra()
    return suggesting.suggest_code(
        ctx.db,
        study,
        code,
        actor=ctx.principal.username,
        data_dir=ctx.settings.data_dir,
        device=ctx.settings.nlp_device,
    )


@router.post("/api/research/{study}/assist/codes/{code}/suggest", tags=["research"])
def suggest_json(ctx: CodeWriter, study: Guid, code: Id) -> Suggested:
    """Ask the model for passages that may belong to a code; they become your open
    suggestions (replacing your earlier open ones for this code). Nothing is coded yet."""
    return Suggested(stored=_suggest(ctx, study, code))


@router.post("/research/{study}/assist/codes/{code}/suggest", include_in_schema=False)
def suggest_page(ctx: CodeWriter, study: Guid, code: Id) -> Response:
    _suggest(ctx, study, code)
    return RedirectResponse(f"/research/{study}/assist?done=suggested#suggestions", 303)


class Decision(BaseModel):
    accept: bool


class Decided(BaseModel):
    suggestion: int
    accepted: bool
    coding: int | None


def _decide(ctx: Ctx, study: str, suggestion: int, accept: bool) -> Decided:
    with ctx.db.session() as s:
        made = coding.decide_suggestion(s, study, suggestion, accept, actor=ctx.principal.username)
        return Decided(suggestion=suggestion, accepted=accept, coding=made.id if made else None)


@router.post("/api/research/{study}/suggestions/{suggestion}", tags=["research"])
def decide_json(ctx: CodeWriter, study: Guid, suggestion: Id, data: Decision) -> Decided:
    """Accept (it becomes your coding) or reject one of your suggestions; recorded either way."""
    return _decide(ctx, study, suggestion, data.accept)


@router.post("/research/{study}/suggestions/{suggestion}", include_in_schema=False)
def decide_page(
    ctx: CodeWriter, study: Guid, suggestion: Id, decision: Annotated[str, Form(pattern="^(accept|reject)$")]
) -> Response:
    made = _decide(ctx, study, suggestion, decision == "accept")
    return RedirectResponse(
        f"/research/{study}/assist?done={'accepted' if made.accepted else 'rejected'}#suggestions", 303
    )
