"""Helpers shared by the programme managers' routers: the programmes service, the path's
programme slug checked before any query, pydantic errors as the base error, and the
redirect after a change (a fixed message key, never user text, in the query)."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from techforce import errors
from techforce.programmes import service
from techforce.programmes.facade import Programmes
from techforce.web.deps import Ctx


def programmes_service(ctx: Ctx) -> Programmes:
    found: Programmes = ctx.services["programmes"]
    return found


def checked_slug(programme: str) -> str:
    """The path's programme slug; one that cannot be a slug is not found (before any query)."""
    if not service.SLUG.match(programme):
        raise errors.NotFound(f"no programme {programme[:80]!r}")
    return programme


def invalid(exc: ValidationError) -> errors.Invalid:
    """A pydantic validation error as the base error: one problem (field, message) per field."""
    problems = [
        {
            "field": ".".join(str(p) for p in e["loc"]) or "form",
            "message": str(e["msg"]).removeprefix("Value error, "),
        }
        for e in exc.errors()
    ]
    return errors.Invalid("; ".join(f"{p['field']}: {p['message']}" for p in problems), problems)


def notice(texts: dict[str, str], key: str, count: int = 0) -> str:
    """The message after a redirect: ``key`` picks one of the page's fixed texts."""
    text = texts.get(key, "")
    return text.format(n=count) if text else ""


def redirect(path: str, key: str, anchor: str = "", count: int | None = None) -> RedirectResponse:
    """303 to ``path`` (built from checked parts) saying what was done."""
    query = f"?done={key}" + (f"&n={count}" if count is not None else "")
    return RedirectResponse(f"{path}{query}{'#' + anchor if anchor else ''}", status_code=303)
