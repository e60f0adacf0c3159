"""A study's exchange files on the web: the codebook as REFI-QDA .qdc or CSV and the whole
study as a REFI-QDA .qdpx project, for owners; each download is audited as an export."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, UploadFile
from fastapi.responses import Response

from techforce import audit, errors
from techforce.research import coding, events, exchange, permissions, qdpx, refi, service
from techforce.web.deps import Ctx, guard
from techforce.web.security import content_disposition

router = APIRouter()
Owner = Annotated[Ctx, Depends(guard(permissions.OWN_STUDY))]
TYPES = {
    "qdc": "application/xml",
    "csv": "text/csv; charset=utf-8",
    "qdpx": "application/zip",
}


def received(upload: UploadFile | None, limit: int) -> tuple[bytes, str]:
    """An uploaded file's bytes (at most ``limit``) and its name without folders."""
    if upload is None or not upload.filename:
        raise errors.Invalid("file: choose a file to upload")
    name = PurePath(upload.filename.replace("\\", "/")).name[:200] or "upload"
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise errors.Refused(f"{name}: the file is larger than {limit / 2**20:.0f} MB", status=413)
    return data, name


def _file(data: bytes, name: str, kind: str) -> Response:
    return Response(data, media_type=TYPES[kind], headers={"Content-Disposition": content_disposition(name)})


@router.get("/research/{study}/codebook.qdc", tags=["research"])
def codebook_qdc(ctx: Owner, study: str) -> Response:
    """The study's codebook as a REFI-QDA codebook (.qdc), valid against Codebook.xsd."""
    with ctx.db.session() as s:
        project = exchange.export_project(s, study)
        data = refi.write_codebook(project.codes, origin=exchange.ORIGIN)
        audit.record(
            s, actor=ctx.principal.username, action=events.EXPORT, target=study, payload={"file": "qdc"}
        )
    return _file(data, "codebook.qdc", "qdc")


@router.get("/research/{study}/codebook.csv", tags=["research"])
def codebook_csv(ctx: Owner, study: str) -> Response:
    """The study's codebook as CSV: path, name, colour, definition, inclusion, exclusion, examples."""
    with ctx.db.session() as s:
        service.study(s, study)
        project = exchange.export_project(s, study)
        data = refi.codebook_csv(project.codes).encode("utf-8")
        audit.record(
            s, actor=ctx.principal.username, action=events.EXPORT, target=study, payload={"file": "csv"}
        )
    return _file(data, "codebook.csv", "csv")


@router.get("/research/{study}/project.qdpx", tags=["research"])
def project_qdpx(ctx: Owner, study: str) -> Response:
    """The whole study (sources, codes, every coder's codings, participants, memos) as a
    REFI-QDA project that QualCoder, ATLAS.ti, MAXQDA or NVivo import."""
    with ctx.db.session() as s:
        data = qdpx.write_qdpx(exchange.export_project(s, study))
        rows = len(coding.codings_of(s, service.study(s, study).id))
        audit.record(
            s,
            actor=ctx.principal.username,
            action=events.EXPORT,
            target=study,
            payload={"file": "qdpx", "codings": rows},
        )
    return _file(data, "study.qdpx", "qdpx")
