"""A plan's files: the self-assessment pack (HTML, PDF, Word) assembled from the stored plan
with current evidence values (strategy/pack_data.py), the action plan as CSV, and that CSV
imported back, all or nothing (strategy/exchange.py). Included in web/strategy.py's router
before the actions' routes, so ``actions/import`` is not read as an action id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from techforce import audit, errors
from techforce.strategy import events, exchange, pack_data
from techforce.web.deps import Ctx
from techforce.web.pages import render
from techforce.web.security import content_disposition
from techforce.web.strategy_common import Editor, Stage, Ukprn, Viewer, allowed, names, read_upload, redirect
from techforce.web.strategy_extras import true_values, workforce
from techforce.web.strategy_plan import PLAN, S, plan_data

router = APIRouter()
Format = Annotated[str, Path(pattern="^(html|pdf|docx)$")]


def _attachment(data: bytes, media: str, name: str) -> Response:
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff"},
    )


def _pack(ctx: Ctx, ukprn: str, stage: str, fmt: str) -> tuple[bytes, str, str]:
    with ctx.db.session() as s:
        built = pack_data.build_pack(
            s,
            workforce(ctx),
            ukprn,
            stage,
            names=names(ctx),
            allowed=allowed(ctx),
            true_values=true_values(ctx, ukprn),
        )
        audit.record(
            s,
            actor=ctx.principal.username,
            action=events.PACK,
            target=f"{ukprn}:{stage}",
            payload={"format": fmt},
        )
    return pack_data.render(built, fmt)


@router.get(S + "/pack.{fmt}", tags=["strategy"])
async def pack(ctx: Viewer, ukprn: Ukprn, stage: Stage, fmt: Format) -> Response:
    """The self-assessment pack as HTML, PDF or Word (for reviewers to edit), from the stored
    plan and each evidence item's current value."""
    data, media, name = await run_in_threadpool(_pack, ctx, ukprn, stage, fmt)
    return _attachment(data, media, name)


@router.get(S + "/actions.csv", tags=["strategy"])
def actions_csv(ctx: Viewer, ukprn: Ukprn, stage: Stage) -> Response:
    """The action plan as CSV, in the format the import reads."""
    with ctx.db.session() as s:
        text = exchange.export_actions(s, ukprn, stage, ctx.principal.username)
    return _attachment(text.encode(), "text/csv; charset=utf-8", f"actions-{ukprn}-{stage}.csv")


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
