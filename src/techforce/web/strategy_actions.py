"""A plan's actions and evidence: add or edit an action with its milestones
(``.../{stage}/actions/{action_id}``: the form, its evidence, the library resources that
support it, and its history as a diff per field), remove it; link evidence to a pillar or an
action (an indicator, a programme or a library resource by reference, or an uploaded file),
and remove it. Each id in the path is looked up in the plan the path names (another
provider's id is a 404). Included in web/strategy.py's router."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from techforce import errors
from techforce.strategy import pages, records, service
from techforce.strategy.models import Evidence, Submission
from techforce.strategy.page_models import ActionPage, SubmissionPage
from techforce.web.deps import Ctx
from techforce.web.pages import render
from techforce.web.strategy_common import (
    Clean,
    Editor,
    Id,
    Ref,
    Stage,
    Ukprn,
    Viewer,
    allowed,
    can_edit,
    check_clean,
    parse_date,
    parse_int,
    read_upload,
    redirect,
)
from techforce.web.strategy_extras import check_ref, resolver, store_upload
from techforce.web.strategy_plan import S, changing, existing, on_plan, plan_data

router = APIRouter()
ACTION = "strategy/action.html.j2"
A = S + "/actions"
DONE = {"saved": "Action saved.", "evidence": "Evidence linked.", "unlinked": "Evidence removed."}
_MILESTONE = re.compile(r"^(?P<due>\S+)\s+(?P<title>.*?)(?P<done>\s*\[done\])?$")


def action_data(ctx: Ctx, ukprn: str, stage: str, action_id: int | None) -> ActionPage:
    with ctx.db.session() as s:
        return pages.action_page(
            s,
            ukprn,
            stage,
            action_id,
            can_edit=can_edit(ctx, ukprn),
            allowed=allowed(ctx),
            today=date.today(),
            resolve=resolver(ctx),
        )


class MilestoneBody(BaseModel):
    title: Annotated[Clean, Field(max_length=300)]
    due: date
    done: bool = False


class ActionBody(BaseModel):
    """An action as the API takes it; ``milestones`` None leaves them as they are."""

    objective: Annotated[Clean, Field(max_length=service.MAX_TEXT)]
    pillar: Annotated[Clean, Field(max_length=40)]
    owner: Annotated[Clean, Field(max_length=100)]
    deadline: date
    status: Annotated[Clean, Field(max_length=20)] = "not-started"
    progress: Annotated[int, Field(ge=-1000, le=1000)] = 0
    supporting: Annotated[Clean, Field(max_length=service.MAX_COMMENT)] = ""
    recommendations: Annotated[list[Ref], Field(max_length=200)] = []
    milestones: Annotated[list[MilestoneBody], Field(max_length=200)] | None = None
    ref: Annotated[Clean, Field(max_length=20)] = ""

    def checked(self) -> service.ActionIn:
        return service.ActionIn(
            objective=self.objective,
            pillar=self.pillar,
            owner=self.owner,
            deadline=self.deadline,
            status=self.status,
            progress=self.progress,
            supporting=self.supporting,
            recommendations=list(self.recommendations),
            milestones=[service.MilestoneIn(m.title, m.due, m.done) for m in self.milestones]
            if self.milestones is not None
            else None,
            ref=self.ref,
        )


def milestones_of(text: str) -> list[service.MilestoneIn]:
    """Milestones typed one a line as ``YYYY-MM-DD title``, `` [done]`` at the end once done."""
    found = []
    for n, line in enumerate((x.strip() for x in text.splitlines()), start=1):
        if not line:
            continue
        m = _MILESTONE.fullmatch(line)
        if m is None or not m["title"].strip():
            raise errors.Invalid(
                f"milestone line {n} {line[:60]!r}: write 'YYYY-MM-DD title', with ' [done]' at the end once done"
            )
        found.append(
            service.MilestoneIn(
                m["title"].strip(), parse_date(m["due"], f"milestone line {n}: due date"), bool(m["done"])
            )
        )
    return found


def _action_form(
    ref: Annotated[str, Form(max_length=20)] = "",
    objective: Annotated[str, Form(max_length=service.MAX_TEXT)] = "",
    pillar: Annotated[str, Form(max_length=40)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
    deadline: Annotated[str, Form(max_length=40)] = "",
    status: Annotated[str, Form(max_length=20)] = "not-started",
    progress: Annotated[str, Form(max_length=5)] = "0",
    supporting: Annotated[str, Form(max_length=service.MAX_COMMENT)] = "",
    recommendations: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI reads the default)
    milestones: Annotated[str, Form(max_length=service.MAX_COMMENT)] = "",
) -> dict[str, Any]:
    """The action form's fields, as typed (milestones one a line)."""
    return {
        "ref": ref, "objective": objective, "pillar": pillar, "owner": owner, "deadline": deadline,
        "status": status, "progress": progress, "supporting": supporting,
        "recommendations": recommendations[:200], "milestones": milestones,
    }  # fmt: skip


ActionForm = Annotated[dict[str, Any], Depends(_action_form)]


def _from_form(values: dict[str, Any]) -> service.ActionIn:
    check_clean(values)
    return service.ActionIn(
        objective=values["objective"],
        pillar=values["pillar"],
        owner=values["owner"].strip(),
        deadline=parse_date(values["deadline"], "deadline"),
        status=values["status"],
        progress=parse_int(values["progress"], "progress"),
        supporting=values["supporting"],
        recommendations=[parse_int(r, "recommendation") for r in values["recommendations"] if r],
        milestones=milestones_of(values["milestones"]),
        ref=values["ref"].strip(),
    )


def _save(ctx: Ctx, ukprn: str, stage: str, data: service.ActionIn, action_id: int | None) -> int:
    with ctx.db.session() as s:
        sub = service.submission(s, ukprn, stage, ctx.principal.username)
        if action_id is not None:
            pages.action_in_plan(s, sub, action_id)
        return service.save_action(s, sub, data, ctx.principal.username, action_id=action_id).id


def _saved_page(
    request: Request, ctx: Ctx, ukprn: str, stage: str, action_id: int | None, values: dict[str, Any]
) -> Response:
    try:
        saved = _save(ctx, ukprn, stage, _from_form(values), action_id)
    except errors.TechforceError as exc:
        data = action_data(ctx, ukprn, stage, action_id).model_copy(
            update={"error": exc.message, "failed": "action", "values": values}
        )
        return render(request, ACTION, data, ctx, status_code=exc.http_status)
    return redirect(f"{pages.stage_base(ukprn, stage)}/actions/{saved}", "saved")


@router.get(A + "/new", include_in_schema=False)
def new_action(request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage) -> Response:
    return render(request, ACTION, action_data(ctx, ukprn, stage, None), ctx)


@router.post(A, include_in_schema=False)
def add_action_page(
    request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, values: ActionForm
) -> Response:
    return _saved_page(request, ctx, ukprn, stage, None, values)


@router.post("/api" + A, tags=["strategy"], status_code=201)
def add_action_json(ctx: Editor, ukprn: Ukprn, stage: Stage, body: ActionBody) -> ActionPage:
    """Add an action to the plan (the plan is made as a draft if there is none yet)."""
    saved = _save(ctx, ukprn, stage, body.checked(), None)
    return action_data(ctx, ukprn, stage, saved)


@router.get("/api" + A + "/{action_id}", tags=["strategy"])
def action_json(ctx: Viewer, ukprn: Ukprn, stage: Stage, action_id: Id) -> ActionPage:
    """An action with its milestones, evidence, supporting resources and history (each change:
    who, when, every field before and after)."""
    return action_data(ctx, ukprn, stage, action_id)


@router.get(A + "/{action_id}", include_in_schema=False)
def action(
    request: Request, ctx: Viewer, ukprn: Ukprn, stage: Stage, action_id: Id, done: str = ""
) -> Response:
    data = action_data(ctx, ukprn, stage, action_id).model_copy(update={"message": DONE.get(done, "")})
    return render(request, ACTION, data, ctx)


@router.post(A + "/{action_id}", include_in_schema=False)
def edit_action_page(
    request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, action_id: Id, values: ActionForm
) -> Response:
    return _saved_page(request, ctx, ukprn, stage, action_id, values)


@router.post("/api" + A + "/{action_id}", tags=["strategy"])
def edit_action_json(ctx: Editor, ukprn: Ukprn, stage: Stage, action_id: Id, body: ActionBody) -> ActionPage:
    """Change an action; every changed field goes to its history."""
    _save(ctx, ukprn, stage, body.checked(), action_id)
    return action_data(ctx, ukprn, stage, action_id)


def _remove(ctx: Ctx, ukprn: str, stage: str, action_id: int) -> None:
    existing(
        ctx, ukprn, stage, lambda s, sub: service.remove_action(s, sub, action_id, ctx.principal.username)
    )


@router.post(A + "/{action_id}/remove", include_in_schema=False)
def remove_action_page(request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, action_id: Id) -> Response:
    change = lambda: _remove(ctx, ukprn, stage, action_id)  # noqa: E731
    return on_plan(request, ctx, ukprn, stage, "actions", {}, change, "removed")


@router.delete("/api" + A + "/{action_id}", tags=["strategy"])
def remove_action_json(ctx: Editor, ukprn: Ukprn, stage: Stage, action_id: Id) -> SubmissionPage:
    """Remove an action (its history keeps every field it had)."""
    _remove(ctx, ukprn, stage, action_id)
    return plan_data(ctx, ukprn, stage)


# ---------------------------------------------------------------- evidence


def _evidence_form(
    kind: Annotated[str, Form(max_length=20)] = "",
    ref: Annotated[str, Form(max_length=200)] = "",
    label: Annotated[str, Form(max_length=300)] = "",
    pillar: Annotated[str, Form(max_length=40)] = "",
) -> dict[str, str]:
    """Evidence as typed: its kind, a reference (indicator id, programme or resource address)
    or, for a file, nothing (the file is uploaded), a label, and the pillar it goes on."""
    return {"kind": kind, "ref": ref.strip(), "label": label, "pillar": pillar}


EvidenceForm = Annotated[dict[str, str], Depends(_evidence_form)]
Upload = Annotated[UploadFile | None, File()]


async def _attach(
    ctx: Ctx, ukprn: str, stage: str, values: dict[str, str], file: UploadFile | None, action_id: int | None
) -> None:
    check_clean(values)
    kind = values["kind"] or ("file" if file is not None and file.filename else "")
    if kind not in records.EVIDENCE_KINDS:
        raise errors.Invalid(f"evidence kind {kind!r} is not one of {', '.join(records.EVIDENCE_KINDS)}")
    upload = await read_upload(ctx, file) if kind == "file" else None
    if kind == "file" and upload is None:
        raise errors.Invalid("no file was chosen: choose the file to upload as evidence")
    pillar = "" if action_id is not None else values["pillar"]

    def change(s: Any, sub: Submission) -> None:
        if action_id is not None:
            pages.action_in_plan(s, sub, action_id)
        if sub.status == "submitted":  # refused before a file is stored
            raise errors.Refused("the plan was submitted: reopen it to change its evidence")
        if upload is not None:
            data, name, _media = upload
            ref, file_meta = store_upload(ctx, data, name)
        else:
            ref, file_meta = check_ref(ctx, s, kind, values["ref"]), None
        service.attach(
            s, sub, kind, ref, ctx.principal.username,
            pillar=pillar, action_id=action_id, label=values["label"], file=file_meta,
        )  # fmt: skip

    changing(ctx, ukprn, stage, change)


@router.post(S + "/evidence", include_in_schema=False)
async def evidence_page(
    request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, values: EvidenceForm, file: Upload = None
) -> Response:
    try:
        await _attach(ctx, ukprn, stage, values, file, None)
    except errors.TechforceError as exc:
        data = plan_data(ctx, ukprn, stage).model_copy(
            update={"error": exc.message, "failed": f"evidence-{values['pillar']}", "values": values}
        )
        return render(request, "strategy/submission.html.j2", data, ctx, status_code=exc.http_status)
    return redirect(pages.stage_base(ukprn, stage), "evidence", f"pillar-{values['pillar']}")


@router.post("/api" + S + "/evidence", tags=["strategy"], status_code=201)
async def evidence_json(
    ctx: Editor, ukprn: Ukprn, stage: Stage, values: EvidenceForm, file: Upload = None
) -> SubmissionPage:
    """Link evidence to a pillar (multipart: ``kind``, ``pillar``, ``label`` and ``ref`` (an
    indicator id, a programme or a library resource address) or ``file``)."""
    await _attach(ctx, ukprn, stage, values, file, None)
    return plan_data(ctx, ukprn, stage)


@router.post(A + "/{action_id}/evidence", include_in_schema=False)
async def action_evidence_page(
    request: Request,
    ctx: Editor,
    ukprn: Ukprn,
    stage: Stage,
    action_id: Id,
    values: EvidenceForm,
    file: Upload = None,
) -> Response:
    try:
        await _attach(ctx, ukprn, stage, values, file, action_id)
    except errors.TechforceError as exc:
        data = action_data(ctx, ukprn, stage, action_id).model_copy(
            update={"error": exc.message, "failed": "evidence", "values": values}
        )
        return render(request, ACTION, data, ctx, status_code=exc.http_status)
    return redirect(f"{pages.stage_base(ukprn, stage)}/actions/{action_id}", "evidence", "evidence")


@router.post("/api" + A + "/{action_id}/evidence", tags=["strategy"], status_code=201)
async def action_evidence_json(
    ctx: Editor, ukprn: Ukprn, stage: Stage, action_id: Id, values: EvidenceForm, file: Upload = None
) -> ActionPage:
    """Link evidence to an action (multipart, as for a pillar's evidence, without ``pillar``)."""
    await _attach(ctx, ukprn, stage, values, file, action_id)
    return action_data(ctx, ukprn, stage, action_id)


def _detach(ctx: Ctx, ukprn: str, stage: str, evidence_id: int) -> int | None:
    """Remove the evidence; the action it was on (None: a pillar)."""
    on: list[int | None] = []

    def change(s: Any, sub: Submission) -> None:
        if sub.status == "submitted":
            raise errors.Refused("the plan was submitted: reopen it to change its evidence")
        row = s.get(Evidence, evidence_id)
        on.append(row.action_id if row is not None and row.submission_id == sub.id else None)
        service.detach(s, sub, evidence_id, ctx.principal.username)

    existing(ctx, ukprn, stage, change)
    return on[0] if on else None


@router.post(S + "/evidence/{evidence_id}/remove", include_in_schema=False)
def remove_evidence_page(
    request: Request, ctx: Editor, ukprn: Ukprn, stage: Stage, evidence_id: Id
) -> Response:
    try:
        action_id = _detach(ctx, ukprn, stage, evidence_id)
    except errors.TechforceError as exc:
        data = plan_data(ctx, ukprn, stage).model_copy(update={"error": exc.message, "failed": "evidence"})
        return render(request, "strategy/submission.html.j2", data, ctx, status_code=exc.http_status)
    if action_id is not None:
        return redirect(f"{pages.stage_base(ukprn, stage)}/actions/{action_id}", "unlinked", "evidence")
    return redirect(pages.stage_base(ukprn, stage), "unlinked")


@router.delete("/api" + S + "/evidence/{evidence_id}", tags=["strategy"])
def remove_evidence_json(ctx: Editor, ukprn: Ukprn, stage: Stage, evidence_id: Id) -> SubmissionPage:
    """Remove a piece of evidence from the plan (a pillar's or an action's)."""
    _detach(ctx, ukprn, stage, evidence_id)
    return plan_data(ctx, ukprn, stage)
