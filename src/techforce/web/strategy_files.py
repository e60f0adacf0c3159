"""A plan's files: the self-assessment pack (HTML, PDF, Word) assembled from the stored plan
with current evidence values (strategy/pack_data.py), the action plan as CSV, and that CSV
imported back, all or nothing (strategy/exchange.py). Included in web/strategy.py's router
before the actions' routes, so ``actions/import`` is not read as an action id.

A pack holds published figures unless its provider's own lead asks for the true ones
(``?figures=true``). Packs are costly to render, so at most PACKS_AT_ONCE are made at once
across the app (others are told to try again: 429), and the last CACHE_SIZE are kept, keyed
by everything they show, so a repeated download is not rendered again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db
from starlette.concurrency import run_in_threadpool

from techforce import audit, errors
from techforce.audit import AuditEvent
from techforce.strategy import events, exchange, pack_data, pages
from techforce.strategy.models import Change, Submission
from techforce.web.deps import Ctx
from techforce.web.pages import render
from techforce.web.security import content_disposition
from techforce.web.strategy_common import Editor, Stage, Ukprn, Viewer, allowed, names, read_upload, redirect
from techforce.web.strategy_extras import impact, true_values, workforce
from techforce.web.strategy_plan import PLAN, S, plan_data

router = APIRouter()
Format = Annotated[str, Path(pattern="^(html|pdf|docx)$")]
Figures = Annotated[str, Query(pattern="^(published|true)$")]

PACKS_AT_ONCE = 2
CACHE_SIZE = 16
BUSY = "the server is making other packs: try again in a minute"
_rendering = threading.BoundedSemaphore(PACKS_AT_ONCE)
_made: OrderedDict[tuple[Any, ...], tuple[bytes, str, str]] = OrderedDict()
_made_lock = threading.Lock()


def attachment(data: bytes, media: str, name: str) -> Response:
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff"},
    )


def _key(ctx: Ctx, s: Db, sub: Submission, figures: str, fmt: str, sees_impact: bool) -> tuple[Any, ...]:
    """Everything a pack shows depends on: the plan and its changes, the workforce data, any
    other audited change (evidence, library, programmes), what the viewer may see, and the day."""
    change = s.scalar(select(func.max(Change.id)).where(Change.ukprn == sub.ukprn))
    changed = s.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.action != events.PACK))
    audience = allowed(ctx)
    seen = None if audience is None else tuple(sorted(audience))
    version = workforce(ctx).version()
    when = date.today()
    return (
        id(ctx.db),  # one app's store, not another's (tests run several in one process)
        sub.id,
        sub.stage,
        figures,
        fmt,
        sub.updated_at,
        change,
        version,
        changed,
        seen,
        sees_impact,
        when,
    )


def _cached(key: tuple[Any, ...]) -> tuple[bytes, str, str] | None:
    with _made_lock:
        found = _made.get(key)
        if found is not None:
            _made.move_to_end(key)
        return found


def _keep(key: tuple[Any, ...], made: tuple[bytes, str, str]) -> None:
    with _made_lock:
        _made[key] = made
        while len(_made) > CACHE_SIZE:
            _made.popitem(last=False)


def make_pack(ctx: Ctx, find: Callable[[Db], Submission], figures: str, fmt: str) -> tuple[bytes, str, str]:
    """The pack of the submission ``find`` returns (NotFound for one the viewer may not see),
    with ``figures`` (published or true: the caller checks the viewer is entitled), as ``fmt``:
    (bytes, media type, file name). A cached copy when nothing it shows has changed; else
    Refused (429) while PACKS_AT_ONCE other packs are being made. Each download is audited."""
    sees_impact = impact(ctx)
    with ctx.db.session() as s:
        sub = find(s)
        ukprn, stage = sub.ukprn, sub.stage
        key = _key(ctx, s, sub, figures, fmt, sees_impact)
    found = _cached(key)
    if found is not None:
        with ctx.db.session() as s:
            _audit(ctx, s, ukprn, stage, figures, fmt)
        return found
    if not _rendering.acquire(blocking=False):
        raise errors.Refused(BUSY, status=429)
    try:
        with ctx.db.session() as s:
            built = pack_data.build_pack(
                s,
                workforce(ctx),
                ukprn,
                stage,
                names=names(ctx),
                allowed=allowed(ctx),
                true_values=figures == "true",
                impact=sees_impact,
            )
            _audit(ctx, s, ukprn, stage, figures, fmt)
        made = pack_data.render(built, fmt)
    finally:
        _rendering.release()
    _keep(key, made)
    return made


def _audit(ctx: Ctx, s: Db, ukprn: str, stage: str, figures: str, fmt: str) -> None:
    payload = {"format": fmt, "figures": figures}
    audit.record(
        s, actor=ctx.principal.username, action=events.PACK, target=f"{ukprn}:{stage}", payload=payload
    )


def _own_pack(ctx: Ctx, ukprn: str, stage: str, figures: str, fmt: str) -> tuple[bytes, str, str]:
    if figures == "true" and not true_values(ctx, ukprn):
        raise errors.Forbidden(
            f"the true figures of {ukprn} are for its own leads only: download the pack with "
            "published figures (figures=published), which is fit to share"
        )

    def find(s: Db) -> Submission:
        sub = pages.find_submission(s, ukprn, stage)
        if sub is None:
            raise errors.NotFound(f"{ukprn} has no {stage} submission yet: write the self-assessment first")
        return sub

    return make_pack(ctx, find, figures, fmt)


@router.get(S + "/pack.{fmt}", tags=["strategy"])
async def pack(
    ctx: Viewer, ukprn: Ukprn, stage: Stage, fmt: Format, figures: Figures = "published"
) -> Response:
    """The self-assessment pack as HTML, PDF or Word (for reviewers to edit), from the stored
    plan and each evidence item's current value. ``figures=published`` (the default):
    disclosure-controlled figures, fit to share with reviewers from other providers;
    ``figures=true``: the provider's true values, for its own leads only (else 403)."""
    data, media, name = await run_in_threadpool(_own_pack, ctx, ukprn, stage, figures, fmt)
    return attachment(data, media, name)


@router.get(S + "/actions.csv", tags=["strategy"])
def actions_csv(ctx: Viewer, ukprn: Ukprn, stage: Stage) -> Response:
    """The action plan as CSV, in the format the import reads."""
    with ctx.db.session() as s:
        text = exchange.export_actions(s, ukprn, stage, ctx.principal.username)
    return attachment(text.encode(), "text/csv; charset=utf-8", f"actions-{ukprn}-{stage}.csv")


class ImportedActions(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]


async def _import(
    ctx: Ctx, ukprn: str, stage: str, file: UploadFile | None, remove_missing: bool
) -> ImportedActions:
    upload = await read_upload(ctx, file)
    if upload is None:
        raise errors.Invalid("no file was chosen: choose the action plan CSV")
    data, name, _media = upload

    def run() -> ImportedActions:
        with ctx.db.session() as s:
            done = exchange.import_actions(
                s, ukprn, stage, data, ctx.principal.username, file=name, remove_missing=remove_missing
            )
            return ImportedActions(
                added=done.added, updated=done.updated, unchanged=done.unchanged, removed=done.removed
            )

    return await run_in_threadpool(run)


Upload = Annotated[UploadFile | None, File()]
Flag = Annotated[str, Form(max_length=5)]


@router.post("/api" + S + "/actions/import", tags=["strategy"])
async def import_json(
    ctx: Editor, ukprn: Ukprn, stage: Stage, file: Upload = None, remove_missing: Flag = ""
) -> ImportedActions:
    """Create and update actions from a CSV in the export's format (multipart ``file``;
    ``remove_missing=yes`` also removes actions the file does not name). All or nothing:
    every problem is listed by row and field, and nothing changes."""
    return await _import(ctx, ukprn, stage, file, remove_missing in ("yes", "on", "true", "1"))


@router.post(S + "/actions/import", include_in_schema=False)
async def import_page(
    request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, file: Upload = None, remove_missing: Flag = ""
) -> Response:
    try:
        await _import(ctx, ukprn, stage, file, remove_missing in ("yes", "on", "true", "1"))
    except errors.TechforceError as exc:
        data = await run_in_threadpool(plan_data, ctx, ukprn, stage)
        listed = [p.describe() if hasattr(p, "describe") else str(p) for p in getattr(exc, "problems", [])]
        update = {"error": exc.message, "failed": "import", "values": {"problems": listed[:100]}}
        data = data.model_copy(update=update)
        return render(request, PLAN, data, ctx, status_code=exc.http_status)
    return redirect(f"/strategy/providers/{ukprn}/{stage}", "imported", "plan")
