"""Rendering, shared by every router: a page or its JSON twin, and error pages. No router
imports the app; the app imports the routers through the capability list."""

from __future__ import annotations

import threading
from collections import OrderedDict
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from techforce import errors
from techforce.web import deps


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def templates() -> Jinja2Templates:
    """The page templates, every one autoescaped: Starlette's default escapes only .html,
    .htm and .xml, and ours are .html.j2. No template marks data as safe."""
    env = Environment(
        loader=FileSystemLoader(str(resources.files("techforce.web") / "templates")),
        autoescape=True,
        auto_reload=False,
    )
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    data: Any,
    ctx: deps.Ctx | None = None,
    status_code: int = 200,
    *,
    shared: bool = False,
) -> HTMLResponse:
    """A page: ``data`` is the same object its JSON twin returns.

    ``shared``: ``data`` is a cached page object (the same object for every viewer entitled
    to it) and the template's ``content`` block reads nothing but ``data``, so the block is
    rendered once per page object and reused; only the frame (menu, user, CSRF) is rendered
    per request. A page's escaping is unchanged: the block is rendered by the same
    autoescaping template."""
    found: Jinja2Templates = request.app.state.templates
    context = {
        "data": data,
        "user": ctx.principal if ctx else None,
        "csrf": ctx.csrf if ctx else "",
        "nav": deps.nav(ctx) if ctx else [],
        "path": request.url.path,
    }
    if shared:
        context["content_html"] = _content(request, found, template, data)
    return found.TemplateResponse(request, template, context, status_code=status_code)


MAX_SHARED = 256  # rendered content blocks kept (page objects are kept by their own cache)
_shared: OrderedDict[tuple[str, int], tuple[Any, Markup]] = OrderedDict()
_shared_lock = threading.Lock()


def _content(request: Request, found: Jinja2Templates, template: str, data: Any) -> Markup:
    key = (template, id(data))
    with _shared_lock:
        hit = _shared.get(key)
        if hit is not None and hit[0] is data:  # the same object, not a new one at a reused id
            _shared.move_to_end(key)
            return hit[1]
    page = found.env.get_template(template)
    # The output of an autoescaping template (every value in it escaped), so it is markup.
    html = Markup(page.render(data=data, request=request, content_only=True))  # noqa: S704
    with _shared_lock:
        _shared[key] = (data, html)
        while len(_shared) > MAX_SHARED:
            _shared.popitem(last=False)
    return html


def error(request: Request, status: int, message: str, problem: dict[str, Any] | None = None) -> Response:
    """An error as an HTML page, or as RFC 9457 problem details under /api."""
    if wants_json(request):
        body = problem or {"type": "about:blank", "title": "Error", "status": status, "detail": message}
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    return render(
        request, "error.html.j2", {"title": f"Error {status}", "message": message}, status_code=status
    )


def techforce_error(request: Request, exc: errors.TechforceError) -> Response:
    """One of the four base errors, with the same message as the CLI prints."""
    return error(request, exc.http_status, exc.message, exc.problem())
