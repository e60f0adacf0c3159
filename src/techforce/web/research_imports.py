"""Bringing work from other QDA tools in on the web: a REFI-QDA project (.qdpx from NVivo,
ATLAS.ti, MAXQDA, QualCoder or techforce) becomes a new study owned by the uploader, and a
codebook (.qdc or CSV) merges into a study's codebook (by GUID, then by path; nothing is
deleted). A bad or hostile file is refused with the reason and changes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.research import codebook_merge, exchange, pages, permissions, qdpx, refi
from techforce.research.qdpx_archive import MAX_BYTES as QDPX_BYTES
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.research_coding import CODEBOOK, Guid, codebook_data
from techforce.web.research_exchange import received

router = APIRouter()
Creator = Annotated[Ctx, Depends(guard(permissions.CREATE_STUDY))]
Owner = Annotated[Ctx, Depends(guard(permissions.OWN_STUDY))]


class ImportedStudy(BaseModel):
    study: str
    name: str
    href: str


def _project(ctx: Ctx, upload: UploadFile | None) -> ImportedStudy:
    data, filename = received(upload, QDPX_BYTES)
    if not filename.lower().endswith(".qdpx"):
        raise errors.Invalid(f"{filename}: not a .qdpx file. Fix: export the project as REFI-QDA (.qdpx).")
    project = qdpx.read_qdpx(data, filename)
    with ctx.db.session() as s:
        st = exchange.import_project(s, project, actor=ctx.principal.username, filename=filename)
        return ImportedStudy(study=st.guid, name=st.name, href=f"/research/{st.guid}")


@router.post("/api/research/import", tags=["research"], status_code=201)
def import_project_json(ctx: Creator, file: Annotated[UploadFile, File()]) -> ImportedStudy:
    """A new study, owned by you, from a REFI-QDA project (.qdpx; multipart ``file``): its
    sources, codes, codings (each coder's names marked ``import:``), cases and memos."""
    return _project(ctx, file)


@router.post("/research/import", include_in_schema=False)
def import_project_page(
    request: Request, ctx: Creator, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    try:
        made = _project(ctx, file)
    except errors.TechforceError as exc:
        with ctx.db.session() as s:
            page = pages.studies_page(s, ctx.principal.username, can_create=True)
        page = page.model_copy(update={"error": exc.message, "failed": "import"})
        return render(request, "research/studies.html.j2", page, ctx, status_code=exc.http_status)
    return RedirectResponse(f"{made.href}?done=imported", status_code=303)


class MergedView(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    version: int


def _codebook(s: Db, ctx: Ctx, study: str, upload: UploadFile | None) -> MergedView:
    data, filename = received(upload, refi.MAX_XML_BYTES)
    lower = filename.lower()
    if lower.endswith(".qdc"):
        codes = refi.read_codebook(data, filename)
    elif lower.endswith(".csv"):
        codes = refi.read_codebook_csv(data, filename)
    else:
        raise errors.Invalid(f"{filename}: choose a REFI-QDA codebook (.qdc) or a codebook CSV (.csv).")
    merged = codebook_merge.import_codebook(s, study, codes, actor=ctx.principal.username, filename=filename)
    return MergedView(
        added=merged.added, updated=merged.updated, unchanged=merged.unchanged, version=merged.version
    )


@router.post("/api/research/{study}/codebook/import", tags=["research"])
def import_codebook_json(ctx: Owner, study: Guid, file: Annotated[UploadFile, File()]) -> MergedView:
    """Merge a codebook (.qdc or CSV; multipart ``file``) into the study's: codes match by
    GUID, then by path; matches are updated, new codes added, nothing removed; a codebook
    version is saved. All or nothing."""
    with ctx.db.session() as s:
        return _codebook(s, ctx, study, file)


@router.post("/research/{study}/codebook/import", include_in_schema=False)
def import_codebook_page(
    request: Request, ctx: Owner, study: Guid, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    try:
        with ctx.db.session() as s:
            merged = _codebook(s, ctx, study, file)
    except errors.TechforceError as exc:
        page = codebook_data(ctx, study, error=exc.message, failed="import", values={})
        return render(request, CODEBOOK, page, ctx, status_code=exc.http_status)
    message = (
        f"Codebook merged: {len(merged.added)} added, {len(merged.updated)} updated, "
        f"{len(merged.unchanged)} unchanged (version {merged.version})."
    )
    page = codebook_data(ctx, study, message=message)
    return render(request, CODEBOOK, page, ctx)
