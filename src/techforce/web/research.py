"""Research studies on the web: a reader's studies and a new study (here), a study's overview
with its members, participants and consent, and transcript and survey uploads (here); the
coding view, codebook and review in research_coding.py; analysis in research_analysis.py.

Every study route is guarded by a study permission on the path's {study} (its GUID): a
non-member gets the same 404 as for a study that does not exist. Each page has its JSON twin
under /api; forms post with the CSRF token and redirect after a change (303), or show the
page again with the reason when the change is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.research import page_models as pm
from techforce.research import pages, permissions, service
from techforce.research.service import CaseIn, StudyIn, checked
from techforce.research.surveys import MAX_BYTES as SURVEY_BYTES
from techforce.research.transcripts import MAX_BYTES as TRANSCRIPT_BYTES
from techforce.web import research_analysis, research_assist, research_coding, research_imports
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.research_coding import ID
from techforce.web.research_exchange import received

router = APIRouter()
router.include_router(research_coding.router)
router.include_router(research_analysis.router)
router.include_router(research_assist.router)
router.include_router(research_imports.router)

Reader = Annotated[Ctx, Depends(guard(permissions.VIEW_STUDY))]
Creator = Annotated[Ctx, Depends(guard(permissions.CREATE_STUDY))]
Owner = Annotated[Ctx, Depends(guard(permissions.OWN_STUDY))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Guid = Annotated[str, Path(min_length=1, max_length=36)]
STUDY = "research/study.html.j2"

DONE = {
    "created": "Study created: you are its owner.",
    "saved": "Study saved.",
    "member": "Member saved.",
    "removed": "Member removed.",
    "participant": "Participant saved.",
    "consent": "Consent recorded.",
    "source": "Transcript uploaded.",
    "survey": "Survey imported.",
    "source-removed": "Source removed with its codings and memos.",
    "imported": "Project imported as a new study: you are its owner. Coders from the file are named import:<name>.",
}


def notice(key: str) -> str:
    return DONE.get(key, "")


def redirect(path: str, key: str, anchor: str = "") -> RedirectResponse:
    """303 to ``path`` (built from checked parts) saying what was done (a fixed key)."""
    return RedirectResponse(f"{path}?done={key}{'#' + anchor if anchor else ''}", status_code=303)


# ---------------------------------------------------------------- studies


def _studies(ctx: Ctx) -> pm.StudiesPage:
    with ctx.db.session() as s:
        return pages.studies_page(
            s, ctx.principal.username, can_create=ctx.principal.can(permissions.CREATE_STUDY)
        )


@router.get("/api/research", tags=["research"])
def studies_json(ctx: Reader) -> pm.StudiesPage:
    """The studies you are a member of, with your right and counts (your own codings only)."""
    return _studies(ctx)


@router.get("/research", include_in_schema=False)
def studies_page(request: Request, ctx: Reader, done: str = "") -> Response:
    return render(
        request, "research/studies.html.j2", _studies(ctx).model_copy(update={"message": notice(done)}), ctx
    )


def _create(ctx: Ctx, data: StudyIn) -> str:
    with ctx.db.session() as s:
        return service.create_study(s, data, actor=ctx.principal.username).guid


@router.post("/api/research", tags=["research"], status_code=201)
def create_study_json(ctx: Creator, data: StudyIn) -> pm.StudyPage:
    """Create a study (send the X-CSRF-Token header); you become its owner."""
    guid = _create(ctx, data)
    with ctx.db.session() as s:
        return pages.study_page(s, guid, ctx.principal.username)


def _study_in(name: str, kind: str, description: str, protocol: str) -> StudyIn:
    return checked(
        StudyIn,
        "study",
        name=name,
        kind=kind,
        description=description,
        protocol=pages.protocol_from_text(protocol),
    )


@router.post("/research", include_in_schema=False)
def create_study_page(
    request: Request,
    ctx: Creator,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "interview",
    description: Annotated[str, Form()] = "",
    protocol: Annotated[str, Form()] = "",
) -> Response:
    values = {"name": name, "kind": kind, "description": description, "protocol": protocol}
    try:
        guid = _create(ctx, _study_in(name, kind, description, protocol))
    except errors.TechforceError as exc:
        page = _studies(ctx).model_copy(update={"error": exc.message, "failed": "create", "values": values})
        return render(request, "research/studies.html.j2", page, ctx, status_code=exc.http_status)
    return redirect(f"/research/{guid}", "created")


# ---------------------------------------------------------------- a study's overview


def study_data(ctx: Ctx, study: str, **update: Any) -> pm.StudyPage:
    with ctx.db.session() as s:
        return pages.study_page(s, study, ctx.principal.username).model_copy(update=update)


@router.get("/api/research/{study}", tags=["research"])
def study_json(ctx: Reader, study: Guid) -> pm.StudyPage:
    """A study: protocol, members, participants with the consent in force, sources, links."""
    return study_data(ctx, study)


@router.get("/research/{study}", include_in_schema=False)
def study_page(request: Request, ctx: Reader, study: Guid, done: str = "") -> Response:
    return render(request, STUDY, study_data(ctx, study, message=notice(done)), ctx)


def change(
    request: Request,
    ctx: Ctx,
    study: str,
    form: str,
    values: dict[str, Any],
    act: Callable[[Db], object],
    done: str,
) -> Response:
    """Make a change from a form: redirect to the overview, or show it again with the reason."""
    try:
        with ctx.db.session() as s:
            act(s)
    except errors.TechforceError as exc:
        page = study_data(ctx, study, error=exc.message, failed=form, values=values)
        return render(request, STUDY, page, ctx, status_code=exc.http_status)
    return redirect(f"/research/{study}", done, form)


@router.post("/api/research/{study}", tags=["research"])
def edit_study_json(ctx: Owner, study: Guid, data: StudyIn) -> pm.StudyPage:
    """Change the study's name, kind, description and protocol."""
    with ctx.db.session() as s:
        service.update_study(s, study, data, actor=ctx.principal.username)
    return study_data(ctx, study)


@router.post("/research/{study}/edit", include_in_schema=False)
def edit_study_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    protocol: Annotated[str, Form()] = "",
) -> Response:
    values = {"name": name, "kind": kind, "description": description, "protocol": protocol}

    def act(s: Db) -> object:
        data = _study_in(name, kind, description, protocol)
        return service.update_study(s, study, data, actor=ctx.principal.username)

    return change(request, ctx, study, "study", values, act, "saved")


class MemberIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    right: str


@router.post("/api/research/{study}/members", tags=["research"])
def member_json(ctx: Owner, study: Guid, data: MemberIn) -> pm.StudyPage:
    """Add a member or change their right (owner, coder, viewer)."""
    with ctx.db.session() as s:
        service.set_member(s, study, data.username.strip(), data.right, actor=ctx.principal.username)
    return study_data(ctx, study)


@router.delete("/api/research/{study}/members/{username}", tags=["research"])
def remove_member_json(
    ctx: Owner, study: Guid, username: Annotated[str, Path(max_length=100)]
) -> pm.StudyPage:
    """Remove a member (a study keeps at least one owner)."""
    with ctx.db.session() as s:
        service.remove_member(s, study, username, actor=ctx.principal.username)
    return study_data(ctx, study)


@router.post("/research/{study}/members", include_in_schema=False)
def member_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    username: Annotated[str, Form()] = "",
    right: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    who, actor = username.strip()[:100], ctx.principal.username
    if action == "remove":
        return change(
            request, ctx, study, "members", {"username": who},
            lambda s: service.remove_member(s, study, who, actor=actor), "removed",
        )  # fmt: skip
    return change(
        request, ctx, study, "members", {"username": who, "right": right},
        lambda s: service.set_member(s, study, who, right, actor=actor), "member",
    )  # fmt: skip


# ---------------------------------------------------------------- participants and consent


def attributes_from_text(text: str) -> dict[str, str]:
    """Attributes typed one a line as ``name: value`` (or ``name = value``)."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        sep = ":" if ":" in line else "="
        name, found, value = line.partition(sep)
        if not found or not name.strip():
            raise errors.Invalid(
                f"attributes, line {number}: {line[:60]!r} is not 'name: value'; write e.g. 'sex: F'"
            )
        out[name.strip()] = value.strip()
    return out


@router.post("/api/research/{study}/participants", tags=["research"], status_code=201)
def add_participant_json(ctx: Owner, study: Guid, data: CaseIn) -> pm.StudyPage:
    """Add a participant under a pseudonym (unique in the study), with attributes."""
    with ctx.db.session() as s:
        service.save_case(s, study, data, actor=ctx.principal.username)
    return study_data(ctx, study)


@router.post("/api/research/{study}/participants/{case}", tags=["research"])
def edit_participant_json(ctx: Owner, study: Guid, case: Id, data: CaseIn) -> pm.StudyPage:
    """Change a participant's pseudonym, type, institution or attributes."""
    with ctx.db.session() as s:
        service.save_case(s, study, data, actor=ctx.principal.username, case_id=case)
    return study_data(ctx, study)


def _participant_form(
    request: Request, ctx: Ctx, study: str, case: int | None, fields: dict[str, str]
) -> Response:
    form = f"participant-{case}" if case else "participant"

    def act(s: Db) -> object:
        data = checked(
            CaseIn,
            "participant",
            pseudonym=fields["pseudonym"],
            participant_type=fields["participant_type"],
            institution=fields["institution"],
            attributes=attributes_from_text(fields["attributes"]),
        )
        return service.save_case(s, study, data, actor=ctx.principal.username, case_id=case)

    return change(request, ctx, study, form, fields, act, "participant")


@router.post("/research/{study}/participants", include_in_schema=False)
def add_participant_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    pseudonym: Annotated[str, Form()] = "",
    participant_type: Annotated[str, Form()] = "",
    institution: Annotated[str, Form()] = "",
    attributes: Annotated[str, Form()] = "",
) -> Response:
    fields = {
        "pseudonym": pseudonym,
        "participant_type": participant_type,
        "institution": institution,
        "attributes": attributes,
    }
    return _participant_form(request, ctx, study, None, fields)


@router.post("/research/{study}/participants/{case}", include_in_schema=False)
def edit_participant_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    case: Id,
    pseudonym: Annotated[str, Form()] = "",
    participant_type: Annotated[str, Form()] = "",
    institution: Annotated[str, Form()] = "",
    attributes: Annotated[str, Form()] = "",
) -> Response:
    fields = {
        "pseudonym": pseudonym,
        "participant_type": participant_type,
        "institution": institution,
        "attributes": attributes,
    }
    return _participant_form(request, ctx, study, case, fields)


class ConsentIn(BaseModel):
    may_quote: bool = False
    may_archive: bool = False
    may_name: bool = False
    note: str = Field(default="", max_length=1000)


def _consent(ctx: Ctx, s: Db, study: str, case: int, data: ConsentIn) -> object:
    return service.record_consent(
        s,
        study,
        case,
        may_quote=data.may_quote,
        may_archive=data.may_archive,
        may_name=data.may_name,
        note=data.note,
        actor=ctx.principal.username,
    )


@router.post("/api/research/{study}/participants/{case}/consent", tags=["research"])
def consent_json(ctx: Owner, study: Guid, case: Id, data: ConsentIn) -> pm.StudyPage:
    """Record what the participant agreed to (quoting, archiving, naming); the latest record is
    in force and earlier ones are kept."""
    with ctx.db.session() as s:
        _consent(ctx, s, study, case, data)
    return study_data(ctx, study)


@router.post("/research/{study}/participants/{case}/consent", include_in_schema=False)
def consent_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    case: Id,
    may_quote: Annotated[str, Form()] = "",
    may_archive: Annotated[str, Form()] = "",
    may_name: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    data = ConsentIn(
        may_quote=bool(may_quote), may_archive=bool(may_archive), may_name=bool(may_name), note=note[:1000]
    )
    return change(
        request, ctx, study, f"consent-{case}", data.model_dump(),
        lambda s: _consent(ctx, s, study, case, data), "consent",
    )  # fmt: skip


# ---------------------------------------------------------------- sources


def _transcript(ctx: Ctx, s: Db, study: str, upload: UploadFile | None, name: str, participant: str) -> int:
    data, filename = received(upload, TRANSCRIPT_BYTES)
    case_id = _case_id(participant)
    row = service.import_transcript(
        s, study, data, filename, actor=ctx.principal.username, name=name.strip() or None, case_id=case_id
    )
    return row.id


def _case_id(participant: str) -> int | None:
    if not participant.strip():
        return None
    if not ID.fullmatch(participant.strip()):
        raise errors.Invalid(f"participant: {participant[:40]!r} is not a participant of this study")
    return int(participant.strip())


class Uploaded(BaseModel):
    source: int
    href: str


@router.post("/api/research/{study}/sources/upload", tags=["research"], status_code=201)
def upload_source_json(
    ctx: Owner,
    study: Guid,
    file: Annotated[UploadFile, File()],
    name: Annotated[str, Form()] = "",
    participant: Annotated[str, Form()] = "",
) -> Uploaded:
    """Upload a transcript (.txt, .docx, .vtt or .srt; multipart ``file``), optionally named
    (``name``) and a participant's (``participant``: their id)."""
    with ctx.db.session() as s:
        source = _transcript(ctx, s, study, file, name, participant)
    return Uploaded(source=source, href=f"/research/{study}/sources/{source}")


@router.post("/research/{study}/sources/upload", include_in_schema=False)
def upload_source_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    file: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str, Form()] = "",
    participant: Annotated[str, Form()] = "",
) -> Response:
    return change(
        request, ctx, study, "source", {"name": name, "participant": participant},
        lambda s: _transcript(ctx, s, study, file, name, participant), "source",
    )  # fmt: skip


class Imported(BaseModel):
    respondents: int


def _survey(ctx: Ctx, s: Db, study: str, upload: UploadFile | None, id_column: str) -> int:
    data, filename = received(upload, SURVEY_BYTES)
    return service.import_survey(
        s, study, data, filename, actor=ctx.principal.username, id_column=id_column.strip() or None
    )


@router.post("/api/research/{study}/surveys/upload", tags=["research"], status_code=201)
def upload_survey_json(
    ctx: Owner,
    study: Guid,
    file: Annotated[UploadFile, File()],
    id_column: Annotated[str, Form()] = "",
) -> Imported:
    """Import a survey export (CSV or XLSX; multipart ``file``): a participant per respondent,
    Likert items as variables, free-text answers as sources. ``id_column`` names the
    respondent id column when it cannot be recognised."""
    with ctx.db.session() as s:
        return Imported(respondents=_survey(ctx, s, study, file, id_column))


@router.post("/research/{study}/surveys/upload", include_in_schema=False)
def upload_survey_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    file: Annotated[UploadFile | None, File()] = None,
    id_column: Annotated[str, Form()] = "",
) -> Response:
    return change(
        request, ctx, study, "survey", {"id_column": id_column},
        lambda s: _survey(ctx, s, study, file, id_column), "survey",
    )  # fmt: skip


@router.delete("/api/research/{study}/sources/{source}", tags=["research"])
def remove_source_json(ctx: Owner, study: Guid, source: Id) -> pm.StudyPage:
    """Remove a source with its codings, memos and suggestions."""
    with ctx.db.session() as s:
        service.remove_source(s, study, source, actor=ctx.principal.username)
    return study_data(ctx, study)


@router.post("/research/{study}/sources/{source}/remove", include_in_schema=False)
def remove_source_page(request: Request, ctx: Owner, study: Guid, source: Id) -> Response:
    return change(
        request, ctx, study, f"source-{source}", {},
        lambda s: service.remove_source(s, study, source, actor=ctx.principal.username), "source-removed",
    )  # fmt: skip
