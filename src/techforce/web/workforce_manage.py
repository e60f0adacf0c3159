"""Workforce pages that change data: peer groups (build, replace, delete) and uploads of
staff returns. Included in techforce.web.workforce's router."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from techforce import audit, errors
from techforce.accounts.access import AccessDenied, Permission
from techforce.disclosure import RULE_SETS, Cell, RuleSet, protect
from techforce.web import peer_builder, upload_files
from techforce.web.deps import Ctx, GroupEditor, Uploader, Viewer
from techforce.web.pages import render
from techforce.web.peer_builder import PeerGroupsView
from techforce.web.workforce_common import in_full as _in_full
from techforce.web.workforce_common import wf as _wf
from techforce.workforce import codes, definitions, events, pages, peer_groups
from techforce.workforce.ingest import IngestResult, Preview, SnapshotChanged, ingest, preview
from techforce.workforce.page_models import ProfileIndicator
from techforce.workforce.problems import InputError, Problem

router = APIRouter()


@router.get("/api/workforce/peer-groups", tags=["workforce"])
def peer_groups_json(
    ctx: Viewer,
    q: str = "",
    edit: str = "",
    remove: str = "",
    saved: str = "",
    deleted: str = "",
    check: str = "",
) -> PeerGroupsView:
    """Peer groups and the providers they can be built from (with nation and region), and
    the builder's state: ``q`` filters the providers by name or UKPRN, ``edit`` fills the
    builder with a group (its members ticked), ``remove`` asks to confirm a deletion,
    ``saved``/``deleted`` (with ``check``, as the page's redirect gives it) say what just
    happened in ``message``."""
    data = pages.peer_groups_page(_wf(ctx))
    state = peer_builder.BuilderState(q=q)
    confirm = None
    if edit:
        state = peer_builder.editing(peer_builder.group_to_change(ctx, data, edit), q)
    if remove:
        confirm = peer_builder.group_to_change(ctx, data, remove)
    note = peer_builder.message(ctx, data, saved, deleted, check)
    return peer_builder.view(ctx, data, state, message=note, confirm_remove=confirm)


@router.get("/workforce/peer-groups", include_in_schema=False)
def peer_groups_page(
    request: Request,
    ctx: Viewer,
    q: str = "",
    edit: str = "",
    remove: str = "",
    saved: str = "",
    deleted: str = "",
    check: str = "",
) -> Response:
    view = peer_groups_json(ctx, q, edit, remove, saved, deleted, check)
    return render(request, "peer_groups.html.j2", view, ctx)


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
    request: Request,
    ctx: GroupEditor,
    name: Annotated[str, Form()] = "",
    ukprns: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form()] = "",
    op: Annotated[str, Form()] = "save",
    q: Annotated[str, Form()] = "",
    tick_nation: Annotated[str, Form()] = "",
    tick_region: Annotated[str, Form()] = "",
    tick_group: Annotated[str, Form()] = "",
    editing: Annotated[str, Form()] = "",
) -> Response:
    """The builder form: save (op=save, the default), or one builder step without saving
    (filter, tick the providers shown / in a nation / region / group, untick all)."""
    state = peer_builder.BuilderState(
        name=name,
        description=description,
        editing=editing,
        q=q,
        tick_nation=tick_nation,
        tick_region=tick_region,
        tick_group=tick_group,
        ticked=ukprns or [],
    )
    data = pages.peer_groups_page(_wf(ctx))
    if op not in peer_builder.OPS:
        view = peer_builder.view(ctx, data, state, error=f"unknown builder step {op!r}")
        return render(request, "peer_groups.html.j2", view, ctx, status_code=400)
    if op != "save":
        state = peer_builder.apply(op, state, data)
        return render(request, "peer_groups.html.j2", peer_builder.view(ctx, data, state), ctx)
    try:
        if not name.strip():
            raise errors.Invalid("a peer group needs a name: type one above the list")
        if not ukprns:
            raise errors.Invalid(f"tick at least {ctx.settings.min_peer_group_size} providers for the group")
        try:
            group = PeerGroupIn(name=name, ukprns=ukprns, description=description)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise errors.Invalid(f"{first['loc'][0]}: {first['msg']}") from None
        _save_group(ctx, group)
    except errors.TechforceError as exc:  # refused: the builder as it was, with the reason
        view = peer_builder.view(ctx, data, state, error=exc.message)
        return render(request, "peer_groups.html.j2", view, ctx, status_code=exc.http_status)
    return RedirectResponse(peer_builder.after(ctx, "saved", name), status_code=303)


@router.delete("/api/workforce/peer-groups/{name}", tags=["workforce"], status_code=204)
def peer_group_remove_json(ctx: GroupEditor, name: str) -> Response:
    """Delete a peer group (send the X-CSRF-Token header)."""
    _remove_group(ctx, name)
    return Response(status_code=204)


@router.post("/workforce/peer-groups/{name}/remove", include_in_schema=False)
def peer_group_remove_page(ctx: GroupEditor, name: str, confirm: Annotated[str, Form()] = "") -> Response:
    """Delete the group when the form says confirm=yes; otherwise ask first."""
    if confirm != "yes":
        query = urlencode({"remove": name})
        return RedirectResponse(f"/workforce/peer-groups?{query}#confirm", status_code=303)
    _remove_group(ctx, name)
    return RedirectResponse(peer_builder.after(ctx, "deleted", name), status_code=303)


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
# An upload that only adds provider-years is ingested at once. One that would replace a
# snapshot is validated in full and previewed (counts before -> after), writing nothing: the
# JSON API answers 409 with the preview (send the files again with replace=true); the page
# keeps the files in the owner-only upload folder for this session for 30 minutes
# (web/upload_files.py) and ingests them when the user confirms.
def _upload(ctx: Ctx, files: list[UploadFile], *, replace: bool, keep: bool) -> tuple[int, dict[str, Any]]:
    """Receive the uploaded files (XML, or the PERSON/CONTRACT/ACTIVITY CSV tables of one
    return) and ingest them within the user's provider scope, or preview them when they
    would replace a snapshot and ``replace`` is not given. Returns (HTTP status, page data)."""
    upload_files.sweep(ctx.settings.data_dir)
    names, refusal = _names(files)  # before anything is written
    if refusal is not None:
        return refusal
    folder = upload_files.upload_folder(ctx.settings.data_dir)
    kept = False
    try:
        refusal = _receive(files, names, folder, ctx.settings.max_upload_bytes)
        if refusal is not None:
            return refusal
        status, data, kept = _ingest(ctx, folder, names, expect=None if replace else {}, keep=keep)
        return status, data
    finally:
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)


def _names(files: list[UploadFile]) -> tuple[list[str], tuple[int, dict[str, Any]] | None]:
    """The names the files will be saved under; (names, None), or (names, refusal) when a
    name cannot be used (checked before anything is written)."""
    names: list[str] = []
    if not files:
        return names, (422, _refused([_whole("upload.none", "", "no files were sent", "choose the files")]))
    for upload in files:
        name = upload_files.file_name(upload.filename)
        problem = None
        if not name.lower().endswith((".xml", ".csv")):
            problem = _whole(
                "file.type",
                upload_files.shortened(name),
                "not an .xml or .csv file",
                "upload HESA Staff XML or data-supply CSV tables",
            )
        elif (why := upload_files.name_too_long(name)) is not None:
            problem = _whole(
                "file.name",
                upload_files.shortened(name),
                why,
                "rename the file to a short name (e.g. PERSON.csv, CONTRACT.csv, ACTIVITY.csv) and upload again",
            )
        elif name in names:
            problem = _whole(
                "file.name", name, "two files have this name", "upload each table of a return once"
            )
        if problem is not None:
            return names, (422, _refused([problem]))
        names.append(name)
    return names, None


def _receive(
    files: list[UploadFile], names: list[str], folder: Path, limit: int
) -> tuple[int, dict[str, Any]] | None:
    """Save the files under their checked names; None, or the refusal."""
    total = 0
    for upload, name in zip(files, names, strict=True):
        try:
            total = upload_files.save(upload, folder / name, total, limit)
        except FileExistsError:
            problem = _whole(
                "file.name", name, "two files have this name", "upload each table of a return once"
            )
            return 422, _refused([problem])
        except upload_files.TooLarge:
            problem = _whole(
                "upload.size",
                name,
                f"the upload is larger than {_size(limit)}",
                "ingest large sector files with `techforce workforce ingest`",
            )
            return 413, _refused([problem])
    return None


def _whole(rule: str, file: str, message: str, fix: str) -> dict[str, object]:
    return Problem(rule=rule, file=file, message=message, fix=fix).as_dict()


def _ingest(
    ctx: Ctx,
    folder: Path,
    names: list[str],
    *,
    expect: dict[tuple[str, int], str | None] | None,
    keep: bool,
    note: str = "",
) -> tuple[int, dict[str, Any], bool]:
    """Ingest the saved files, or preview them (SnapshotChanged: they would replace something
    ``expect`` does not name). Returns (status, page data, whether the folder was kept)."""
    settings = ctx.settings.model_copy(update={"user": ctx.principal.username})
    scope = ctx.principal.upload_scope()
    paths = upload_files.named(folder, names)
    try:
        try:
            result = ingest(settings, ctx.db, paths, allowed_ukprns=scope, expect=expect)
        except SnapshotChanged:
            with ctx.db.session() as session:
                definition = definitions.get(None, session)
            found = preview(settings, ctx.db, paths, definition=definition, allowed_ukprns=scope)
            data = _preview_data(ctx, found, upload_files.listed(found.warnings, folder, names), note)
            if not keep:
                return 409, data, False
            data["token"] = upload_files.keep(
                folder, user=ctx.principal.username, csrf=ctx.csrf, names=names, expected=found.expected()
            )
            return 200, data, True
    except InputError as exc:
        with ctx.db.session() as session:
            audit.record(
                session,
                actor=ctx.principal.username,
                action=events.UPLOAD_REFUSED,
                target=", ".join(names),
                payload={"problems": len(exc.problems)},
            )
        return 422, _refused(upload_files.listed(exc.problems, folder, names)), False
    _wf(ctx).invalidate()
    return 201, _accepted(ctx, result, upload_files.listed(result.warnings, folder, names)), False


def _accepted(ctx: Ctx, result: IngestResult, warnings: list[dict[str, object]]) -> dict[str, Any]:
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
    return {
        "title": "Upload accepted",
        "accepted": True,
        "snapshots": snapshots,
        "warnings": warnings,
        "indicators": indicators,
    }


def _preview_data(
    ctx: Ctx, found: Preview, warnings: list[dict[str, object]], note: str = ""
) -> dict[str, Any]:
    """The preview as this user may see it: the new figures are those of their own files;
    the figures held now are exact for the provider's own lead and otherwise as published
    (through the disclosure gate: the counts perturbed with the cell key method, keyed by the
    record keys of the people counted, then rounded; the technical headcount as on the
    profile)."""
    wf = _wf(ctx)
    names = wf.names()
    rules = RULE_SETS[ctx.settings.disclosure_rules]
    changes = []
    for c in found.changes:
        full = _in_full(ctx, c.ukprn)
        held = c.current
        before: dict[str, Cell | None]
        if held is None:
            before = {"persons": None, "contracts": None, "technical": None}
        elif full:
            before = {
                "persons": _exact(held.persons),
                "contracts": _exact(held.contracts),
                "technical": _exact(held.technical),
            }
        else:
            published = wf.computation().provider_cells("tech.headcount", c.year).get(c.ukprn)
            before = {
                "persons": protect(rules.perturb(held.persons, held.persons_key), "people", rules),
                "contracts": protect(rules.perturb(held.contracts, held.contracts_key), "contracts", rules),
                "technical": published or Cell(None, "not returned", "no non-academic staff returned"),
            }
        after = {"persons": c.persons, "contracts": c.contracts, "technical": c.technical}
        changes.append(
            UploadChange(
                ukprn=c.ukprn,
                provider=names.get(c.ukprn, c.ukprn),
                year=c.year,
                year_label=codes.year_label(c.year),
                replaces=held is not None,
                before_exact=held is None or full,
                **{k: _change(before[k], after[k]) for k in after},
            )
        )
    replacing = [c for c in changes if c.replaces]
    listed = ", ".join(f"{c.provider} ({c.ukprn}) {c.year_label}" for c in replacing)
    return UploadPreview(
        title="Check what will change",
        accepted=None,
        replaces=len(replacing),
        changes=changes,
        definition=found.definition,
        warnings=warnings,
        note=note,
        before_note=_before_note(rules) if any(c.replaces and not c.before_exact for c in changes) else "",
        detail=f"this upload replaces the return held for {listed}; nothing was ingested: "
        "confirm to replace it (JSON API: send the files again with replace=true)",
    ).model_dump()


def _before_note(rules: RuleSet) -> str:
    """How the figures held now were made fit to show someone who does not lead the provider."""
    if not rules.rounding:
        return "unrounded, as the settings grant"
    how = "perturbed with the cell key method, then rounded" if rules.cell_key else "rounded"
    return (
        f"{how} to the nearest {rules.round_to}, as every published count ({rules.zero_range} where it "
        "rounds to zero); the technical headcount as on the provider's profile"
    )


def _exact(value: int) -> Cell:
    return Cell(value, f"{value:,}", "exact: you lead this provider")


def _change(before: Cell | None, after: int) -> CountChange:
    if before is None:
        return CountChange(before=None, before_display="none held", after=after, after_display=f"{after:,}")
    value = before.value if isinstance(before.value, int | float) else None
    return CountChange(
        before=value,
        before_display=before.display,
        before_disclosure=before.reason,
        after=after,
        after_display=f"{after:,}",
    )


def _confirm(ctx: Ctx, token: str, *, cancel: bool) -> tuple[int, dict[str, Any]]:
    """Ingest (or drop) an upload kept for confirmation. If the store changed since the
    preview, a new preview is shown and kept instead."""
    pending = upload_files.claim(ctx.settings.data_dir, token, user=ctx.principal.username, csrf=ctx.csrf)
    kept = False
    try:
        if cancel:
            return 200, {**upload_form_json(ctx).model_dump(), "message": "Cancelled: nothing was ingested."}
        status, data, kept = _ingest(
            ctx,
            pending.folder,
            pending.names,
            expect=pending.expected,
            keep=True,
            note="The data held changed since your preview (another upload?): check again before you confirm.",
        )
        return status, data
    finally:
        if not kept:
            shutil.rmtree(pending.folder, ignore_errors=True)


def _size(limit: int) -> str:
    return f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit} bytes"


def _refused(problems: list[dict[str, object]]) -> dict[str, Any]:
    return {"title": "Upload refused", "accepted": False, "problems": problems}


class UploadForm(BaseModel):
    title: str
    accepted: None
    scope: list[str] | None  # the providers a provider lead may upload for; None: any
    formats: list[str]
    max_bytes: int
    message: str = ""


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


class CountChange(BaseModel):
    """One figure of a provider-year: held now (as this user may see it) and after."""

    before: float | None  # None: nothing held, or not shown (suppressed)
    before_display: str
    before_disclosure: str = ""
    after: int  # from the uploaded files: exact
    after_display: str


class UploadChange(BaseModel):
    ukprn: str
    provider: str
    year: int
    year_label: str
    replaces: bool  # a snapshot is held for this provider-year now
    before_exact: bool  # the "before" figures are exact (the provider's own lead), else as published
    persons: CountChange
    contracts: CountChange
    technical: CountChange  # technical headcount, 1 December population


class UploadPreview(BaseModel):
    """What a re-upload would change; nothing has been ingested."""

    title: str
    accepted: None
    replaces: int  # how many provider-years would be replaced
    changes: list[UploadChange]
    definition: str  # the definition of "technical" the headcounts use
    warnings: list[dict[str, Any]]
    detail: str
    note: str = ""
    before_note: str = ""  # how the figures held now were protected, where they are not exact
    token: str = ""  # the page's confirmation token (never in the JSON API's answer)


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
    responses={
        409: {"model": UploadPreview, "description": "Would replace a snapshot: send replace=true"},
        413: {"model": UploadRefused},
        422: {"model": UploadRefused},
    },
)
def upload_json(ctx: Uploader, files: list[UploadFile], replace: Annotated[bool, Form()] = False) -> Response:
    """Upload HESA Staff XML or CSV tables. 201 with the new snapshots and indicators; 422
    with every validation problem; 409 with what would change (persons, contracts and
    technical headcount before and after) when a provider-year already has a snapshot and
    ``replace`` is not true. Nothing is ingested unless the answer is 201."""
    status, data = _upload(ctx, files, replace=replace, keep=False)
    return JSONResponse(data, status_code=status)


@router.post("/workforce/upload", include_in_schema=False)
def upload_page(
    request: Request,
    ctx: Uploader,
    files: Annotated[list[UploadFile] | None, File()] = None,
    token: Annotated[str, Form()] = "",
    op: Annotated[str, Form()] = "upload",
) -> Response:
    """Upload files (op=upload), or confirm (op=replace) or cancel (op=cancel) an upload
    kept for confirmation by its token."""
    if token:
        status, data = _confirm(ctx, token, cancel=op == "cancel")
    else:
        status, data = _upload(ctx, [f for f in files or [] if f.filename], replace=False, keep=True)
    scope = ctx.principal.upload_scope()
    data["scope"] = sorted(scope) if scope is not None else None
    return render(request, "upload.html.j2", data, ctx, status_code=200 if status == 201 else status)
