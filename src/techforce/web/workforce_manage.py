"""Workforce pages that change data: peer groups (build, replace, delete) and uploads of
staff returns. Included in techforce.web.workforce's router."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from techforce import audit
from techforce.accounts.access import AccessDenied, Permission
from techforce.web.deps import Ctx, GroupEditor, Uploader, Viewer
from techforce.web.pages import render
from techforce.web.workforce_common import in_full as _in_full
from techforce.web.workforce_common import wf as _wf
from techforce.workforce import events, pages, peer_groups
from techforce.workforce.ingest import ingest
from techforce.workforce.page_models import PeerGroupsPage, ProfileIndicator
from techforce.workforce.problems import InputError, Problem

router = APIRouter()
UPLOAD_CHUNK = 1024 * 1024  # bytes read at a time: an upload is never held whole in memory


class PeerGroupsView(PeerGroupsPage):
    """The peer groups page for one user: whether they may create and delete groups."""

    can_edit: bool


@router.get("/api/workforce/peer-groups", tags=["workforce"])
def peer_groups_json(ctx: Viewer) -> PeerGroupsView:
    """Peer groups and the providers they can be built from."""
    data = pages.peer_groups_page(_wf(ctx))
    return PeerGroupsView(**dict(data), can_edit=ctx.principal.can(Permission.MANAGE_PEER_GROUPS))


@router.get("/workforce/peer-groups", include_in_schema=False)
def peer_groups_page(request: Request, ctx: Viewer) -> Response:
    return render(request, "peer_groups.html.j2", peer_groups_json(ctx), ctx)


class PeerGroupIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    ukprns: list[str] = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=2000)


class PeerGroupSaved(BaseModel):
    name: str
    members: list[str]


def _save_group(ctx: Ctx, group: PeerGroupIn) -> PeerGroupSaved:
    try:
        with ctx.db.session() as session:  # a refused group (PeerGroupError) is a 400
            peer_groups.save(
                session,
                group.name,
                group.ukprns,
                description=group.description,
                actor=ctx.principal.username,
                owner=ctx.principal.username,
                replace_any=ctx.principal.can(Permission.MANAGE_ANY_PEER_GROUP),
                min_members=ctx.settings.min_peer_group_size,
            )
    except peer_groups.GroupForbidden as exc:
        raise AccessDenied(str(exc)) from None
    _wf(ctx).invalidate()
    return PeerGroupSaved(name=group.name, members=sorted(set(group.ukprns)))


@router.post("/api/workforce/peer-groups", tags=["workforce"], status_code=201)
def peer_group_save_json(ctx: GroupEditor, group: PeerGroupIn) -> PeerGroupSaved:
    """Create or replace a peer group (send the X-CSRF-Token header)."""
    return _save_group(ctx, group)


@router.post("/workforce/peer-groups", include_in_schema=False)
def peer_group_save_page(
    ctx: GroupEditor,
    name: Annotated[str, Form()],
    ukprns: Annotated[list[str], Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    _save_group(ctx, PeerGroupIn(name=name, ukprns=ukprns, description=description))
    return RedirectResponse("/workforce/peer-groups", status_code=303)


@router.delete("/api/workforce/peer-groups/{name}", tags=["workforce"], status_code=204)
def peer_group_remove_json(ctx: GroupEditor, name: str) -> Response:
    """Delete a peer group (send the X-CSRF-Token header)."""
    _remove_group(ctx, name)
    return Response(status_code=204)


@router.post("/workforce/peer-groups/{name}/remove", include_in_schema=False)
def peer_group_remove_page(ctx: GroupEditor, name: str) -> Response:
    _remove_group(ctx, name)
    return RedirectResponse("/workforce/peer-groups", status_code=303)


def _remove_group(ctx: Ctx, name: str) -> None:
    try:
        with ctx.db.session() as session:  # an unknown group (PeerGroupError) is a 400
            peer_groups.remove(
                session,
                name,
                actor=ctx.principal.username,
                owner=ctx.principal.username,
                remove_any=ctx.principal.can(Permission.MANAGE_ANY_PEER_GROUP),
            )
    except peer_groups.GroupForbidden as exc:
        raise AccessDenied(str(exc)) from None
    _wf(ctx).invalidate()


# --- upload ----------------------------------------------------------------------------
def _upload(ctx: Ctx, files: list[UploadFile]) -> tuple[int, dict[str, Any]]:
    """Ingest the uploaded files (XML, or the PERSON/CONTRACT/ACTIVITY CSV tables of one
    return) within the user's provider scope. Returns (HTTP status, page data)."""
    scope = ctx.principal.upload_scope()
    limit = ctx.settings.max_upload_bytes
    folder = upload_folder(ctx.settings.data_dir)
    try:
        total = 0
        for upload in files:
            name = _file_name(upload.filename)
            if not name.lower().endswith((".xml", ".csv")):
                return 422, _refused(
                    [
                        Problem(
                            rule="file.type",
                            file=name,
                            message="not an .xml or .csv file",
                            fix="upload HESA Staff XML or data-supply CSV tables",
                        )
                    ]
                )
            try:
                total = _save(upload, folder / name, total, limit)
            except FileExistsError:
                return 422, _refused(
                    [
                        Problem(
                            rule="file.name",
                            file=name,
                            message="two files have this name",
                            fix="upload each table of a return once",
                        )
                    ]
                )
            except _TooLarge:
                return 413, _refused(
                    [
                        Problem(
                            rule="upload.size",
                            file=name,
                            message=f"the upload is larger than {_size(limit)}",
                            fix="ingest large sector files with `techforce workforce ingest`",
                        )
                    ]
                )
        settings = ctx.settings.model_copy(update={"user": ctx.principal.username})
        try:
            result = ingest(settings, ctx.db, [folder], allowed_ukprns=scope)
            _wf(ctx).invalidate()
        except InputError as exc:
            with ctx.db.session() as session:
                audit.record(
                    session,
                    actor=ctx.principal.username,
                    action=events.UPLOAD_REFUSED,
                    target=", ".join(f.filename or "" for f in files),
                    payload={"problems": len(exc.problems)},
                )
            return 422, _refused(exc.problems)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    snapshots = [
        {
            "ukprn": s.ukprn,
            "year": s.year,
            "persons": s.persons,
            "contracts": s.contracts,
            "replaced": s.replaced,
        }
        for s in result.snapshots
    ]
    indicators = [
        {
            "ukprn": s.ukprn,
            "year": s.year,
            "indicators": [
                i.model_dump()
                for i in pages.profile(
                    _wf(ctx), s.ukprn, year=s.year, in_full=_in_full(ctx, s.ukprn)
                ).indicators
            ],
        }
        for s in result.snapshots
    ]
    return 201, {
        "title": "Upload accepted",
        "accepted": True,
        "snapshots": snapshots,
        "warnings": _listed(result.warnings),
        "indicators": indicators,
    }


class _TooLarge(Exception):
    pass


def upload_folder(data_dir: Path) -> Path:
    """A new folder (mode 0700) for one upload, under data_dir/uploads (0700): removed when
    the upload is ingested or refused."""
    root = data_dir / "uploads"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=root))  # mkdtemp: mode 0700


def _file_name(given: str | None) -> str:
    """The last part of a browser's file name (either slash), without control characters."""
    name = re.split(r"[/\\]", given or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name if name not in ("", ".", "..") else "upload"


def _save(upload: UploadFile, target: Path, total: int, limit: int) -> int:
    """Copy one uploaded file to ``target`` (mode 0600) a chunk at a time, stopping as soon as
    the upload so far passes ``limit``. Returns the new total."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := upload.file.read(UPLOAD_CHUNK):
            total += len(chunk)
            if total > limit:
                raise _TooLarge()
            out.write(chunk)
    return total


def _size(limit: int) -> str:
    return f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit} bytes"


def _listed(problems: list[Problem]) -> list[dict[str, object]]:
    """Problems for the page: file names without the server's temporary folder."""
    return [{**p.as_dict(), "file": Path(p.file).name if p.file else ""} for p in problems[:2000]]


def _refused(problems: list[Problem]) -> dict[str, Any]:
    return {"title": "Upload refused", "accepted": False, "problems": _listed(problems)}


class UploadForm(BaseModel):
    title: str
    accepted: None
    scope: list[str] | None  # the providers a provider lead may upload for; None: any
    formats: list[str]
    max_bytes: int


class UploadedSnapshot(BaseModel):
    ukprn: str
    year: int
    persons: int
    contracts: int
    replaced: bool


class UploadedIndicators(BaseModel):
    ukprn: str
    year: int
    indicators: list[ProfileIndicator]


class UploadAccepted(BaseModel):
    title: str
    accepted: Literal[True]
    snapshots: list[UploadedSnapshot]
    warnings: list[dict[str, Any]]  # problems (severity, rule, file, line, path, field, value, message, fix)
    indicators: list[UploadedIndicators]


class UploadRefused(BaseModel):
    title: str
    accepted: Literal[False]
    problems: list[
        dict[str, Any]
    ]  # every problem: severity, rule, file, line, path, field, value, message, fix


@router.get("/api/workforce/upload", tags=["workforce"])
def upload_form_json(ctx: Uploader) -> UploadForm:
    """What may be uploaded: formats, size limit and (for a provider lead) the providers."""
    scope = ctx.principal.upload_scope()
    return UploadForm(
        title="Upload a staff return",
        accepted=None,
        scope=sorted(scope) if scope is not None else None,
        formats=["HESA Staff submission XML", "data-supply CSV tables PERSON, CONTRACT, ACTIVITY"],
        max_bytes=ctx.settings.max_upload_bytes,
    )


@router.get("/workforce/upload", include_in_schema=False)
def upload_form(request: Request, ctx: Uploader) -> Response:
    return render(request, "upload.html.j2", upload_form_json(ctx), ctx)


@router.post(
    "/api/workforce/upload",
    tags=["workforce"],
    status_code=201,
    response_model=UploadAccepted,
    responses={413: {"model": UploadRefused}, 422: {"model": UploadRefused}},
)
def upload_json(ctx: Uploader, files: list[UploadFile]) -> Response:
    """Upload HESA Staff XML or CSV tables. 201 with the new snapshots and indicators, or
    422 with every validation problem (nothing is ingested)."""
    status, data = _upload(ctx, files)
    return JSONResponse(data, status_code=status)


@router.post("/workforce/upload", include_in_schema=False)
def upload_page(request: Request, ctx: Uploader, files: list[UploadFile]) -> Response:
    status, data = _upload(ctx, files)
    scope = ctx.principal.upload_scope()
    data["scope"] = sorted(scope) if scope is not None else None
    return render(request, "upload.html.j2", data, ctx, status_code=200 if status == 201 else status)
