"""A programme's CSV exchange: download its five CSV files (programmes, cohorts, sessions,
bookings, attendance), import files of the same shape (a dry run first shows what would
change, or every bad row with its file, row, field and fix; nothing is written unless every
row is good), and import a booking tool's export with a preset or a column mapping. Scoped to
the programme in the path (MANAGE_PROGRAMME): an import may change only that programme.
Included in programmes_manage's router."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import Response

from techforce import audit, errors
from techforce.programmes import events, exchange, permissions, service
from techforce.programmes import manage_exchange as mx
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.programmes_forms import checked_slug, programmes_service
from techforce.web.security import content_disposition

router = APIRouter()

Runner = Annotated[Ctx, Depends(guard(permissions.MANAGE_PROGRAMME))]
Slug = Annotated[str, Path(min_length=1, max_length=80)]
PAGE = "programmes/manage_exchange.html.j2"


def _limit(ctx: Ctx) -> int:
    return min(ctx.settings.max_upload_bytes, exchange.MAX_BYTES)


def _page(ctx: Ctx, programme: str) -> mx.ExchangePage:
    with ctx.db.session() as db:
        return mx.exchange_page(service.programme(db, checked_slug(programme)), _limit(ctx))


@router.get("/api/programmes/{programme}/exchange", tags=["programmes"])
def exchange_json(ctx: Runner, programme: Slug) -> mx.ExchangePage:
    """What the CSV files hold (columns per file), the booking-tool presets and mapping fields."""
    return _page(ctx, programme)


@router.get("/programmes/{programme}/exchange", include_in_schema=False)
def exchange_page(request: Request, ctx: Runner, programme: Slug) -> Response:
    return render(request, PAGE, _page(ctx, programme), ctx)


def _export(ctx: Ctx, programme: str) -> dict[str, str]:
    """The programme's CSV files; the download (names and e-mail addresses) is audited."""
    _page(ctx, programme)  # not found before anything is read
    files = exchange.export_tables(ctx.db, only=[programme])
    with ctx.db.session() as session:
        audit.record(
            session,
            actor=ctx.principal.username,
            action=events.EXPORT,
            target=programme,
            payload={"from": ctx.address, "files": sorted(files)},
        )
    return files


@router.get("/api/programmes/{programme}/export", tags=["programmes"])
def export_json(ctx: Runner, programme: Slug) -> mx.ExportFiles:
    """The programme's five CSV files as text, by file name (formula cells guarded)."""
    return mx.ExportFiles(programme=programme, files=_export(ctx, programme))


@router.get("/programmes/{programme}/export.zip", include_in_schema=False)
def export_zip(ctx: Runner, programme: Slug) -> Response:
    """The five CSV files in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _export(ctx, programme).items():
            archive.writestr(name, text.encode("utf-8"))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": content_disposition(f"techforce-{programme}.zip")},
    )


def _received(files: list[UploadFile], limit: int) -> dict[str, bytes]:
    """The uploaded files by name (no folders), together at most ``limit`` bytes."""
    found: dict[str, bytes] = {}
    total = 0
    for upload in files:
        if not upload.filename:
            continue
        name = PurePath(upload.filename.replace("\\", "/")).name[:200] or "file.csv"
        data = upload.file.read(limit + 1 - total)
        total += len(data)
        if total > limit:
            raise errors.Refused(
                f"{name}: the files are larger than {limit / 2**20:.0f} MB together; "
                "import large files with `techforce programmes import`",
                status=413,
            )
        if name in found:
            raise errors.Invalid(f"{name}: two files have this name; import each table once")
        found[name] = data
    return found


def _import(ctx: Ctx, programme: str, files: list[UploadFile], *, dry_run: bool) -> mx.ImportResult:
    _page(ctx, programme)
    received = _received(files, _limit(ctx))
    report = exchange.import_tables(
        ctx.db, received, actor=ctx.principal.username, dry_run=dry_run, only=[programme]
    )
    if not dry_run and report.changed:
        programmes_service(ctx).deliver_soon()
    return mx.accepted(report)


@router.post("/api/programmes/{programme}/import/upload", tags=["programmes"])
def import_json(
    ctx: Runner,
    programme: Slug,
    files: Annotated[list[UploadFile], File()],
    dry_run: Annotated[bool, Form()] = False,
) -> mx.ImportResult:
    """Import CSV files of the five tables for this programme (multipart ``files``; send the
    X-CSRF-Token header). ``dry_run``: report what would change and write nothing. A bad row
    anywhere is a 422 listing every problem (file, row, field, value, fix); nothing is written."""
    return _import(ctx, programme, files, dry_run=dry_run)


@router.post("/programmes/{programme}/import/upload", include_in_schema=False)
def import_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    files: Annotated[list[UploadFile] | None, File()] = None,
    op: Annotated[str, Form()] = "check",
) -> Response:
    """The import form: op=check (a dry run, the default) or op=import."""
    dry_run = op != "import"
    try:
        result = _import(ctx, programme, files or [], dry_run=dry_run)
        status = 200
    except errors.Invalid as exc:
        result, status = mx.refused(exc, dry_run=dry_run), 422
    except errors.TechforceError as exc:
        result, status = mx.refused(errors.Invalid(exc.message), dry_run=dry_run), exc.http_status
    page = _page(ctx, programme).model_copy(update={"result": result, "failed": "import"})
    return render(request, PAGE, page, ctx, status_code=status)


def _tool(
    ctx: Ctx,
    programme: str,
    upload: UploadFile | None,
    cohort: str,
    preset: str,
    mapping: str,
    *,
    dry_run: bool,
) -> mx.ImportResult:
    _page(ctx, programme)
    received = _received([upload] if upload is not None else [], _limit(ctx))
    if not received:
        raise errors.Invalid("file: choose the booking tool's CSV export")
    if len(mapping) > 20000:
        raise errors.Invalid("mapping: at most 20,000 characters; shorten it")
    chosen = exchange.mapping_from(preset or None, mapping if mapping.strip() else None)
    with ctx.db.session() as db:
        service.cohort(db, programme, cohort.strip())
    [(name, data)] = received.items()
    report = exchange.import_booking_tool(
        ctx.db,
        data,
        chosen,
        programme=programme,
        cohort=cohort.strip(),
        actor=ctx.principal.username,
        dry_run=dry_run,
        file=name,
        only=[programme],
    )
    return mx.accepted(report)


@router.post("/api/programmes/{programme}/import-bookings/upload", tags=["programmes"])
def import_tool_json(
    ctx: Runner,
    programme: Slug,
    file: Annotated[UploadFile, File()],
    cohort: Annotated[str, Form(max_length=200)],
    preset: Annotated[str, Form(max_length=40)] = "",
    mapping: Annotated[str, Form(max_length=20000)] = "",
    dry_run: Annotated[bool, Form()] = False,
) -> mx.ImportResult:
    """Import a booking tool's CSV export as bookings of one cohort: ``preset`` (eventbrite)
    and/or a ``mapping`` (JSON, or ``field: Column`` lines; statuses as ``statuses.<Tool
    status>: confirmed``). A bad row is a 422 listing every problem; nothing is written."""
    return _tool(ctx, programme, file, cohort, preset, mapping, dry_run=dry_run)


@router.post("/programmes/{programme}/import-bookings/upload", include_in_schema=False)
def import_tool_page(
    request: Request,
    ctx: Runner,
    programme: Slug,
    file: Annotated[UploadFile | None, File()] = None,
    cohort: Annotated[str, Form()] = "",
    preset: Annotated[str, Form()] = "",
    mapping: Annotated[str, Form()] = "",
    op: Annotated[str, Form()] = "check",
) -> Response:
    dry_run = op != "import"
    try:
        result = _tool(ctx, programme, file, cohort, preset, mapping, dry_run=dry_run)
        status = 200
    except errors.Invalid as exc:
        result, status = mx.refused(exc, dry_run=dry_run), 422
    except errors.TechforceError as exc:
        result, status = mx.refused(errors.Invalid(exc.message), dry_run=dry_run), exc.http_status
    update = {
        "result": result,
        "failed": "tool",
        "mapping": mapping[:20000],
        "preset": preset[:40],
        "cohort": cohort[:200],
    }
    page = _page(ctx, programme).model_copy(update=update)
    return render(request, PAGE, page, ctx, status_code=status)
