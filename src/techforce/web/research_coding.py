"""Coding a study on the web: the coding view of a source (its codings posted to the JSON API
by static/research.js, with plain forms as the fallback), memos, the codebook (codes, merge,
split, versions) and the review of agreement with its resolution into the consensus layer.
Included in techforce.web.research's router.

Offsets are code points into the source's text, as the store keeps them; the coding view's
script converts the browser's UTF-16 selection offsets before posting."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session as Db
from starlette.concurrency import run_in_threadpool

from techforce import errors
from techforce.research import coding, pages, permissions, service
from techforce.research import page_models as pm
from techforce.research.coding import CodeIn, MemoIn
from techforce.research.models import Coding
from techforce.research.permissions import CODER, OWNER
from techforce.web import research_exchange
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render

router = APIRouter()
router.include_router(research_exchange.router)
Reader = Annotated[Ctx, Depends(guard(permissions.VIEW_STUDY))]
CodeWriter = Annotated[Ctx, Depends(guard(permissions.CODE_STUDY))]
Owner = Annotated[Ctx, Depends(guard(permissions.OWN_STUDY))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Guid = Annotated[str, Path(min_length=1, max_length=36)]
Offset = Annotated[int, Field(ge=0, le=2**31 - 1)]
ID = re.compile(r"[1-9][0-9]{0,8}")  # a row id typed in a form: ASCII digits, below 2**31
SOURCE, CODEBOOK, REVIEW = "research/source.html.j2", "research/codebook.html.j2", "research/review.html.j2"

DONE = {
    "coded": "Coding added.",
    "uncoded": "Coding removed.",
    "memo": "Memo saved.",
    "memo-removed": "Memo removed.",
    "code": "Code saved.",
    "merged": "Codes merged: their codings moved.",
    "split": "Code split.",
    "version": "Codebook version saved.",
    "resolved": "Resolved into the consensus.",
}


def _redirect(path: str, key: str, query: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?done={key}{query}", status_code=303)


def _attempt(act: Callable[[Db], object], ctx: Ctx) -> errors.TechforceError | None:
    try:
        with ctx.db.session() as s:
            act(s)
    except errors.TechforceError as exc:
        return exc
    return None


def _failed(exc: errors.TechforceError, form: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"error": exc.message, "failed": form, "values": values}


# ---------------------------------------------------------------- the coding view


def source_data(ctx: Ctx, study: str, source: int, layer: str = "", **update: Any) -> pm.SourcePage:
    with ctx.db.session() as s:
        page = pages.source_page(s, study, source, ctx.principal.username, layer[:140])
    return page.model_copy(update=update)


@router.get("/api/research/{study}/sources/{source}", tags=["research"])
def source_json(ctx: Reader, study: Guid, source: Id, layer: str = "") -> pm.SourcePage:
    """A source to code: its text by turns (offsets in code points), the codes, the codings of
    one layer (``layer``: ``coder:<username>`` or ``consensus``; a coder sees only their own)
    and the memos on it."""
    return source_data(ctx, study, source, layer)


@router.get("/research/{study}/sources/{source}", include_in_schema=False)
def source_page(
    request: Request, ctx: Reader, study: Guid, source: Id, layer: str = "", done: str = ""
) -> Response:
    return render(request, SOURCE, source_data(ctx, study, source, layer, message=DONE.get(done, "")), ctx)


class CodingIn(BaseModel):
    code: int = Field(ge=1, le=2**31 - 1)
    start: Offset
    end: Offset


def _add(ctx: Ctx, study: str, source: int, data: CodingIn) -> pm.CodingView:
    with ctx.db.session() as s:
        row = coding.add_coding(
            s, study, source, data.code, data.start, data.end, actor=ctx.principal.username
        )
        st = service.study(s, study)
        text = service.source(s, st, source).text
        codes = {c.id: c for c in pages.code_views(s, st)}
        return pages.coding_view(row, text, codes, True)


@router.post("/api/research/{study}/sources/{source}/codings", tags=["research"], status_code=201)
def add_coding_json(ctx: CodeWriter, study: Guid, source: Id, data: CodingIn) -> pm.CodingView:
    """Apply a code to the source's text[start:end] (code points, end exclusive) as your coding."""
    return _add(ctx, study, source, data)


@router.post("/research/{study}/sources/{source}/codings", include_in_schema=False)
def add_coding_page(
    request: Request,
    ctx: CodeWriter,
    study: Guid,
    source: Id,
    code: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    values = {"code": code, "start": start, "end": end}
    try:
        data = service.checked(CodingIn, "coding", code=code, start=start, end=end)
        _add(ctx, study, source, data)
    except errors.TechforceError as exc:
        page = source_data(ctx, study, source, **_failed(exc, "coding", values))
        return render(request, SOURCE, page, ctx, status_code=exc.http_status)
    return _redirect(f"/research/{study}/sources/{source}", "coded")


def _remove(ctx: Ctx, study: str, coding_id: int) -> int:
    """Remove a coding (a coder only their own, an owner any); returns its source."""
    with ctx.db.session() as s:
        right = pages.right_of(s, service.study(s, study), ctx.principal.username)
        row = s.get(Coding, coding_id)
        source = row.source_id if row is not None else 0
        coding.remove_coding(s, study, coding_id, actor=ctx.principal.username, owner=right == OWNER)
        return source


class Removed(BaseModel):
    removed: int


@router.delete("/api/research/{study}/codings/{coding_id}", tags=["research"])
def remove_coding_json(ctx: CodeWriter, study: Guid, coding_id: Id) -> Removed:
    """Remove one of your codings (an owner may remove any, and consensus codings)."""
    _remove(ctx, study, coding_id)
    return Removed(removed=coding_id)


@router.post("/research/{study}/codings/{coding_id}/remove", include_in_schema=False)
def remove_coding_page(
    ctx: CodeWriter, study: Guid, coding_id: Id, layer: Annotated[str, Form()] = ""
) -> Response:
    source = _remove(ctx, study, coding_id)
    keep = f"&layer={quote(layer, safe=':')}" if layer == "consensus" or layer.startswith("coder:") else ""
    return _redirect(f"/research/{study}/sources/{source}", "uncoded", keep)


# ---------------------------------------------------------------- memos


def _memo(ctx: Ctx, study: str, data: MemoIn) -> pm.MemoView:
    _ids_in_range(
        source_id=data.source_id, code_id=data.code_id, case_id=data.case_id, coding_id=data.coding_id
    )
    with ctx.db.session() as s:
        owner = pages.right_of(s, service.study(s, study), ctx.principal.username) == OWNER
        memo = coding.save_memo(s, study, data, actor=ctx.principal.username, owner=owner)
        return pm.MemoView(
            id=memo.id,
            title=memo.title,
            text=memo.text,
            author=memo.author,
            coding_id=memo.coding_id,
            code_id=memo.code_id,
            updated_at=memo.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
            mine=True,
        )


@router.post("/api/research/{study}/memos", tags=["research"], status_code=201)
def memo_json(ctx: CodeWriter, study: Guid, data: MemoIn) -> pm.MemoView:
    """Write a memo on the study, or on a source, code, participant or coding (``*_id``)."""
    return _memo(ctx, study, data)


def _optional_id(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    if not ID.fullmatch(text.strip()):
        raise errors.Invalid(f"{field}: {text[:40]!r} is not an id")
    return int(text.strip())


@router.post("/research/{study}/sources/{source}/memos", include_in_schema=False)
def memo_page(
    request: Request,
    ctx: CodeWriter,
    study: Guid,
    source: Id,
    text: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    coding_id: Annotated[str, Form()] = "",
) -> Response:
    values = {"text": text, "title": title, "coding_id": coding_id}
    try:
        data = service.checked(
            MemoIn,
            "memo",
            title=title,
            text=text,
            source_id=source,
            coding_id=_optional_id(coding_id, "coding"),
        )
        _memo(ctx, study, data)
    except errors.TechforceError as exc:
        page = source_data(ctx, study, source, **_failed(exc, "memo", values))
        return render(request, SOURCE, page, ctx, status_code=exc.http_status)
    return _redirect(f"/research/{study}/sources/{source}", "memo")


@router.delete("/api/research/{study}/memos/{memo}", tags=["research"])
def remove_memo_json(ctx: CodeWriter, study: Guid, memo: Id) -> Removed:
    """Remove one of your memos."""
    _remove_memo(ctx, study, memo)
    return Removed(removed=memo)


@router.post("/research/{study}/sources/{source}/memos/{memo}/remove", include_in_schema=False)
def remove_memo_page(ctx: CodeWriter, study: Guid, source: Id, memo: Id) -> Response:
    _remove_memo(ctx, study, memo)
    return _redirect(f"/research/{study}/sources/{source}", "memo-removed")


def _remove_memo(ctx: Ctx, study: str, memo: int) -> None:
    """Remove one of your memos: another author's is missing to a coder (blind coding)."""
    with ctx.db.session() as s:
        owner = pages.right_of(s, service.study(s, study), ctx.principal.username) == OWNER
        coding.remove_memo(s, study, memo, actor=ctx.principal.username, owner=owner)


# ---------------------------------------------------------------- the codebook


def codebook_data(ctx: Ctx, study: str, **update: Any) -> pm.CodebookPage:
    with ctx.db.session() as s:
        return pages.codebook_page(s, study, ctx.principal.username).model_copy(update=update)


@router.get("/api/research/{study}/codebook", tags=["research"])
def codebook_json(ctx: Reader, study: Guid) -> pm.CodebookPage:
    """The codebook: codes in tree order with definitions, inclusion and exclusion criteria,
    examples, colours and shortcut keys; saved versions."""
    return codebook_data(ctx, study)


@router.get("/research/{study}/codebook", include_in_schema=False)
def codebook_page(request: Request, ctx: Reader, study: Guid, done: str = "") -> Response:
    return render(request, CODEBOOK, codebook_data(ctx, study, message=DONE.get(done, "")), ctx)


def _codebook_change(
    request: Request,
    ctx: Ctx,
    study: str,
    form: str,
    values: dict[str, Any],
    act: Callable[[Db], object],
    done: str,
) -> Response:
    failure = _attempt(act, ctx)
    if failure is not None:
        page = codebook_data(ctx, study, **_failed(failure, form, values))
        return render(request, CODEBOOK, page, ctx, status_code=failure.http_status)
    return RedirectResponse(f"/research/{study}/codebook?done={done}#{form}", status_code=303)


@router.post("/api/research/{study}/codebook/codes", tags=["research"], status_code=201)
def add_code_json(ctx: Owner, study: Guid, data: CodeIn) -> pm.CodebookPage:
    """Add a code (``parent_id`` places it under another)."""
    _ids_in_range(parent_id=data.parent_id)
    with ctx.db.session() as s:
        coding.save_code(s, study, data, actor=ctx.principal.username)
    return codebook_data(ctx, study)


@router.post("/api/research/{study}/codebook/codes/{code}", tags=["research"])
def edit_code_json(ctx: Owner, study: Guid, code: Id, data: CodeIn) -> pm.CodebookPage:
    """Change a code, or move it under another parent."""
    _ids_in_range(parent_id=data.parent_id)
    with ctx.db.session() as s:
        coding.save_code(s, study, data, actor=ctx.principal.username, code_id=code)
    return codebook_data(ctx, study)


CODE_FIELDS = ("name", "parent", "colour", "shortcut", "definition", "inclusion", "exclusion", "examples")


async def _code_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, "")) for k in CODE_FIELDS}


def _code_in(values: dict[str, str]) -> CodeIn:
    fields = {k: v for k, v in values.items() if k != "parent" and (v or k != "colour")}
    return service.checked(
        CodeIn,
        "code",
        **fields,
        parent_id=_optional_id(values["parent"], "parent") if values["parent"] else None,
    )


CodeForm = Annotated[dict[str, str], Depends(_code_form)]


@router.post("/research/{study}/codebook/codes", include_in_schema=False)
def add_code_page(request: Request, ctx: Owner, study: Guid, values: CodeForm) -> Response:
    act = lambda s: coding.save_code(s, study, _code_in(values), actor=ctx.principal.username)  # noqa: E731
    return _codebook_change(request, ctx, study, "new-code", values, act, "code")


@router.post("/research/{study}/codebook/codes/{code}", include_in_schema=False)
def edit_code_page(request: Request, ctx: Owner, study: Guid, code: Id, values: CodeForm) -> Response:
    def act(s: Db) -> object:
        return coding.save_code(s, study, _code_in(values), actor=ctx.principal.username, code_id=code)

    return _codebook_change(request, ctx, study, f"code-{code}", values, act, "code")


RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _ids_in_range(**ids: int | None) -> None:
    """Ids from a library model (which leaves them unbounded) must fit the store's integers."""
    for name, value in ids.items():
        if value is not None and not 1 <= value < 2**31:
            raise errors.Invalid(f"{name}: {value} is not an id in this study")


class MergeIn(BaseModel):
    merged: list[RowId] = Field(min_length=1, max_length=200)
    into: RowId


class Moved(BaseModel):
    moved: int


@router.post("/api/research/{study}/codebook/merge", tags=["research"])
def merge_json(ctx: Owner, study: Guid, data: MergeIn) -> Moved:
    """Merge codes into another: their codings, sub-codes and memos move; the merged are retired."""
    with ctx.db.session() as s:
        return Moved(moved=coding.merge_codes(s, study, data.merged, data.into, actor=ctx.principal.username))


@router.post("/research/{study}/codebook/merge", include_in_schema=False)
def merge_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    merged: Annotated[list[str] | None, Form()] = None,
    into: Annotated[str, Form()] = "",
) -> Response:
    chosen = merged or []

    def act(s: Db) -> object:
        ids = [i for i in (_optional_id(m, "merged") for m in chosen) if i is not None]
        target = _optional_id(into, "into")
        if not ids or target is None:
            raise errors.Invalid("merge: tick the codes to merge and choose the code they go into")
        return coding.merge_codes(s, study, ids, target, actor=ctx.principal.username)

    return _codebook_change(request, ctx, study, "merge", {"merged": chosen, "into": into}, act, "merged")


class SplitIn(BaseModel):
    code: RowId
    new: list[CodeIn] = Field(min_length=1, max_length=20)
    assign: dict[RowId, Annotated[int, Field(ge=0, le=19)]] = Field(
        default_factory=dict, max_length=10000
    )  # coding id -> index into ``new``


@router.post("/api/research/{study}/codebook/split", tags=["research"])
def split_json(ctx: Owner, study: Guid, data: SplitIn) -> pm.CodebookPage:
    """Split a code into new codes, moving each coding in ``assign`` to its new code (the rest
    stay on the old code)."""
    for new in data.new:
        _ids_in_range(parent_id=new.parent_id)
    with ctx.db.session() as s:
        coding.split_code(s, study, data.code, data.new, data.assign, actor=ctx.principal.username)
    return codebook_data(ctx, study)


@router.post("/research/{study}/codebook/split", include_in_schema=False)
async def split_page(request: Request, ctx: Owner, study: Guid) -> Response:
    """The split form: ``code``, ``names`` (one new code a line) and ``assign-<coding>`` = the
    number of the new code (1, 2, ...) or empty to leave the coding where it is."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    code_text, names = values.get("code", ""), [n.strip() for n in values.get("names", "").splitlines()]

    def act(s: Db) -> object:
        code_id = _optional_id(code_text, "code")
        new = [service.checked(CodeIn, "new code", name=n) for n in names if n]
        if code_id is None or not new:
            raise errors.Invalid("split: choose the code and write the new codes' names, one a line")
        assign = {
            int(k.removeprefix("assign-")): int(v) - 1
            for k, v in values.items()
            if k.startswith("assign-") and ID.fullmatch(k.removeprefix("assign-")) and ID.fullmatch(v.strip())
        }
        return coding.split_code(s, study, code_id, new, assign, actor=ctx.principal.username)

    return await run_in_threadpool(
        _codebook_change,
        request,
        ctx,
        study,
        f"split-{code_text}" if ID.fullmatch(code_text) else "split",
        values,
        act,
        "split",
    )


class VersionIn(BaseModel):
    note: str = Field(default="", max_length=1000)


@router.post("/api/research/{study}/codebook/versions", tags=["research"], status_code=201)
def version_json(ctx: Owner, study: Guid, data: VersionIn) -> pm.CodebookPage:
    """Keep the codebook as it is now as the next numbered version."""
    with ctx.db.session() as s:
        coding.save_version(s, study, data.note, actor=ctx.principal.username)
    return codebook_data(ctx, study)


@router.post("/research/{study}/codebook/versions", include_in_schema=False)
def version_page(request: Request, ctx: Owner, study: Guid, note: Annotated[str, Form()] = "") -> Response:
    act = lambda s: coding.save_version(s, study, note[:1000], actor=ctx.principal.username)  # noqa: E731
    return _codebook_change(request, ctx, study, "versions", {"note": note}, act, "version")


# ---------------------------------------------------------------- review


def review_data(ctx: Ctx, study: str, coders: list[str], coded_only: bool, **update: Any) -> pm.ReviewPage:
    with ctx.db.session() as s:
        right = pages.right_of(s, service.study(s, study), ctx.principal.username)
        if right == CODER:
            raise errors.Forbidden(
                "coders code blind: the review compares coders' work, so only the study's owners "
                "and viewers see it"
            )
        page = pages.review_page(s, study, [c[:100] for c in coders[:20]], coded_only=coded_only)
    return page.model_copy(update={"owner": right == OWNER, **update})


Coders = Annotated[list[str] | None, Query(max_length=20)]


@router.get("/api/research/{study}/review", tags=["research"])
def review_json(ctx: Reader, study: Guid, coder: Coders = None, coded_only: bool = False) -> pm.ReviewPage:
    """Intercoder agreement (Cohen's kappa for two coders, Krippendorff's alpha; per code and
    overall, weighted by characters coded) between the chosen coders (``coder``, repeated;
    default all), and each disagreement with its text, who applied the code and how it was
    resolved. ``coded_only`` counts only characters some coder coded. Not for coders."""
    return review_data(ctx, study, coder or [], coded_only)


@router.get("/research/{study}/review", include_in_schema=False)
def review_page(
    request: Request, ctx: Reader, study: Guid, coder: Coders = None, coded_only: bool = False, done: str = ""
) -> Response:
    page = review_data(ctx, study, coder or [], coded_only, message=DONE.get(done, ""))
    return render(request, REVIEW, page, ctx)


class ResolveIn(BaseModel):
    code: int = Field(ge=1, le=2**31 - 1)
    source: int = Field(ge=1, le=2**31 - 1)
    start: Offset
    end: Offset
    apply: bool


def _resolve(ctx: Ctx, study: str, data: ResolveIn) -> None:
    with ctx.db.session() as s:
        coding.resolve(
            s, study, data.code, data.source, data.start, data.end, data.apply, actor=ctx.principal.username
        )


@router.post("/api/research/{study}/review/resolve", tags=["research"])
def resolve_json(ctx: Owner, study: Guid, data: ResolveIn) -> pm.ReviewPage:
    """Resolve a disagreement into the consensus layer: apply the code to the span, or not."""
    _resolve(ctx, study, data)
    return review_data(ctx, study, [], False)


@router.post("/research/{study}/review/resolve", include_in_schema=False)
def resolve_page(
    request: Request,
    ctx: Owner,
    study: Guid,
    code: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
) -> Response:
    values = {"code": code, "source": source, "start": start, "end": end}
    try:
        if decision not in ("apply", "reject"):
            raise errors.Invalid("decision: choose 'Apply the code' or 'Do not apply'")
        data = service.checked(ResolveIn, "resolution", **values, apply=decision == "apply")
        _resolve(ctx, study, data)
    except errors.TechforceError as exc:
        page = review_data(ctx, study, [], False, **_failed(exc, "resolve", values))
        return render(request, REVIEW, page, ctx, status_code=exc.http_status)
    return RedirectResponse(f"/research/{study}/review?done=resolved#disagreements", status_code=303)
