"""What the strategy routers share: the guards, path parameters checked before any query,
provider names, dates typed into forms, evidence files, and the redirect after a change (a
fixed message key in the query, never user text)."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import Depends, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from pydantic import AfterValidator, Field, ValidationError

from techforce import errors
from techforce.library import permissions as library_permissions
from techforce.library import records as library_records
from techforce.strategy import permissions, records
from techforce.web.deps import Ctx, guard

Reader = Annotated[Ctx, Depends(guard(permissions.VIEW_RECOMMENDATIONS))]
Importer = Annotated[Ctx, Depends(guard(permissions.MANAGE_RECOMMENDATIONS))]
Viewer = Annotated[Ctx, Depends(guard(permissions.VIEW_PLAN))]
Editor = Annotated[Ctx, Depends(guard(permissions.EDIT_PLAN))]
Reviewer = Annotated[Ctx, Depends(guard(permissions.REVIEW_PLAN))]
Analyst = Annotated[Ctx, Depends(guard(permissions.VIEW_SECTOR))]

Ukprn = Annotated[str, PathParam(pattern=r"^1[0-9]{7}$")]
Stage = Annotated[str, PathParam(pattern="^(" + "|".join(records.STAGES) + ")$")]
Pillar = Annotated[str, PathParam(pattern="^(" + "|".join(records.PILLARS) + ")$")]
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
Username = Annotated[str, PathParam(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]

SAFE_TYPES = {
    **{k: v for k, v in library_records.MEDIA_TYPES.items() if not v.startswith("text/html")},
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def names(ctx: Ctx) -> dict[str, str]:
    """Provider names by UKPRN (from the workforce service, when there is one)."""
    found = ctx.services.get("workforce")
    known = getattr(found, "names", None)
    return dict(known()) if callable(known) else {}


def provider_name(ctx: Ctx, ukprn: str) -> str:
    return names(ctx).get(ukprn, ukprn)


def allowed(ctx: Ctx) -> frozenset[str] | None:
    """The library audiences the user belongs to (linked resources outside them are not shown)."""
    return library_permissions.audience_of(ctx.principal)


def can_edit(ctx: Ctx, ukprn: str) -> bool:
    return ctx.principal.can(permissions.EDIT_PLAN, ukprn)


def parse_date(value: str, what: str) -> date:
    """A date typed as YYYY-MM-DD; Invalid names the field and the fix."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise errors.Invalid(
            f"{what} {value[:40]!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-07-31"
        ) from None


def parse_int(value: str, what: str) -> int:
    text = value.strip().removesuffix("%").strip()
    if not text.isdigit() or len(text) > 9:
        raise errors.Invalid(f"{what} {value[:40]!r} is not a whole number: give one, e.g. 40")
    return int(text)


def redirect(path: str, key: str, anchor: str = "") -> RedirectResponse:
    """303 to ``path`` (built from checked parts) saying what was done."""
    return RedirectResponse(f"{path}?done={key}{'#' + anchor if anchor else ''}", status_code=303)


async def read_upload(ctx: Ctx, file: UploadFile | None) -> tuple[bytes, str, str] | None:
    """An uploaded file (bytes, a safe base name, its media type), or None if none was sent."""
    if file is None or not file.filename:
        return None
    limit = ctx.settings.max_upload_bytes
    data = await file.read(limit + 1)
    name = "".join(ch for ch in file.filename if ch >= " ").replace("\\", "/")
    name = PurePath(name).name[:255] or "upload"
    if len(data) > limit:
        raise errors.Refused(f"{name}: the file is larger than {limit // 2**20} MB", status=413)
    if not data:
        raise errors.Invalid(f"{name} is empty: choose the file again")
    return data, name, media_type(name)


def media_type(name: str) -> str:
    """The type a file is served as: a known document or image type, else plain bytes."""
    return SAFE_TYPES.get(PurePath(name).suffix.lower(), "application/octet-stream")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("holds a NUL character, which no text may hold: remove it")
    return value


Clean = Annotated[str, AfterValidator(_no_nul)]  # a body's text: no NUL (PostgreSQL cannot store one)
Ref = Annotated[int, Field(ge=1, le=2**31 - 1)]  # a row id in a body


def check_clean(values: dict[str, Any]) -> None:
    """Form values as typed: Invalid names a field holding a NUL character."""
    for name, value in values.items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and "\x00" in text:
                raise errors.Invalid(f"{name} holds a NUL character, which no text may hold: remove it")


def as_error(exc: Exception) -> errors.TechforceError:
    """A refused change as the base error a page shows: a pydantic error names its fields."""
    if isinstance(exc, errors.TechforceError):
        return exc
    assert isinstance(exc, ValidationError)
    problems = [f"{'.'.join(str(x) for x in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()]
    return errors.Invalid("; ".join(problems), problems)
