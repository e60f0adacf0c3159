"""create_app(settings): the FastAPI app. Pages are server-rendered (Jinja2 + htmx), each
with a JSON twin under /api; every script, style and chart library is served by the app."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from techforce import capabilities, errors
from techforce.accounts import service
from techforce.capabilities import Capability
from techforce.db import Database
from techforce.settings import Settings
from techforce.web import deps, security
from techforce.web.deps import SignedIn
from techforce.web.pages import error, render, techforce_error, templates, wants_json
from techforce.workforce import store

_VEGA_LOCK = threading.Lock()


class Account(BaseModel):
    """The signed-in user (GET /api/account)."""

    username: str
    role: str
    providers: list[str]
    must_change_password: bool


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start each service's background work (e.g. the programmes' reminders), and at shutdown
    stop it and let work in progress (mail being delivered) finish before the database goes."""
    for found in app.state.services.values():
        start = getattr(found, "start", None)
        if callable(start):
            start()
    yield
    for found in app.state.services.values():
        stop = getattr(found, "stop", None)
        if callable(stop):
            await run_in_threadpool(stop)


def create_app(
    settings: Settings,
    db: Database | None = None,
    registered: tuple[Capability, ...] = capabilities.REGISTERED,
) -> FastAPI:
    """The app for one deployment; ``db`` may be shared with the caller (tests, demo).
    Every capability in ``registered`` adds its router, menu items and service."""
    database = db or Database(settings)
    database.migrate()
    app = FastAPI(
        lifespan=_lifespan,
        title="techforce",
        version="0.1.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        description="The technical workforce of universities and research institutes: "
        "disclosure-controlled indicators, peer groups and uploads; development programmes.",
    )
    app.state.settings = settings
    app.state.db = database
    app.state.services = {
        c.name: capabilities.load(c.service)(settings, database) for c in registered if c.service
    }
    app.state.menu = tuple(item for c in registered for item in c.menu)
    app.state.secret = store.load_or_create_key(settings.data_dir / "secret" / "web.key")
    app.state.templates = templates()
    app.state.vega = None
    # Inside the headers middleware (added first), so that a body found too large while it
    # arrives is an HTTP 413 for the route, not an error inside that middleware's task group.
    app.add_middleware(security.BodyLimit, limit_for=lambda path: _body_limit(settings, path))
    app.middleware("http")(security.security_headers)
    if settings.trusted_proxies:  # X-Forwarded-For/-Proto only from these peers; never by default
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

    @app.exception_handler(deps.NotSignedIn)
    async def not_signed_in(request: Request, _exc: Exception) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)

    @app.exception_handler(deps.MustChangePassword)
    async def must_change(request: Request, _exc: Exception) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "change your one-time password first"}, status_code=403)
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(errors.TechforceError)
    async def techforce_errors(request: Request, exc: errors.TechforceError) -> Response:
        return techforce_error(request, exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if wants_json(request) or exc.status_code not in (404, 405, 413):
            return await http_exception_handler(request, exc)
        return error(request, exc.status_code, str(exc.detail))

    @app.get("/static/vega.js", include_in_schema=False)
    def vega_bundle() -> Response:
        with _VEGA_LOCK:
            if app.state.vega is None:
                import vl_convert

                app.state.vega = vl_convert.javascript_bundle(
                    "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
                )
        return Response(
            app.state.vega, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_ctx: SignedIn) -> dict[str, Any]:
        """The API description, for signed-in users only (it maps every endpoint)."""
        return app.openapi()

    app.mount("/static", StaticFiles(packages=[("techforce.web", "static")]), name="static")  # after vega.js
    _auth_routes(app)
    for capability in registered:
        if capability.router:
            app.include_router(capabilities.load(capability.router))
    return app


UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the CSRF field
OTHER_BODIES = 2 * 1024 * 1024  # forms and JSON: peer groups, accounts, sign-in


# file uploads: any .../upload or .../import, library resources, strategy evidence files
LARGE_BODIES = re.compile(
    r".*/(upload|import)|/(api/)?library(/[a-z0-9-]+)?"
    r"|/(api/)?strategy/providers/[0-9]{8}/[a-z0-9-]+(/actions/[0-9]+)?/evidence"
)


def _body_limit(settings: Settings, path: str) -> int:
    if LARGE_BODIES.fullmatch(path):
        return settings.max_upload_bytes + UPLOAD_OVERHEAD
    return OTHER_BODIES


def from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory techforce.web.app:from_environment`` (settings from
    TECHFORCE_* environment variables), e.g. to run several workers. Run uvicorn with
    ``--no-proxy-headers``: the app believes X-Forwarded-For only from TECHFORCE_TRUSTED_PROXIES."""
    return create_app(Settings())


def _auth_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def home(ctx: deps.SignedIn) -> Response:
        """Each user starts where their work is (a provider lead: their provider's profile)."""
        return RedirectResponse(deps.landing(ctx), status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = security.DEFAULT_NEXT) -> Response:
        return _login_page(request, security.local_path(next), "")

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        target = security.local_path(next)  # no open redirect, nothing hostile echoed
        pre = request.cookies.get(security.PRE_COOKIE, "")
        try:
            security.check(security.pre_session_token(app.state.secret, pre) if pre else None, csrf_token)
        except security.CsrfError as exc:
            return error(request, 403, str(exc))
        address = request.client.host if request.client else "-"
        try:
            with app.state.db.session() as session:
                user = service.authenticate(session, username, password, address)
                token = service.start_session(session, user)[0] if user else None
        except service.RateLimited as exc:
            return _login_page(request, target, str(exc), status=429)
        if token is None:
            return _login_page(request, target, service.SIGNIN_REFUSED, status=401)
        response = RedirectResponse(target, status_code=303)
        old = request.cookies.get(security.SESSION_COOKIE)
        if old:  # a session that existed before sign-in is ended, never reused
            with app.state.db.session() as session:
                service.end_session(session, old)
        security.set_cookie(
            request, response, security.SESSION_COOKIE, token, max_age=service.SESSION_HOURS * 3600
        )
        response.delete_cookie(security.PRE_COOKIE, path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, ctx: SignedIn) -> Response:
        token = request.cookies.get(security.SESSION_COOKIE, "")
        with ctx.db.session() as session:
            service.end_session(session, token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(security.SESSION_COOKIE, path="/")
        return response

    @app.get("/account/password", include_in_schema=False)
    def password_form(request: Request, ctx: SignedIn) -> Response:
        return render(request, "password.html.j2", {"title": "Change your password", "error": ""}, ctx)

    @app.post("/account/password", include_in_schema=False)
    def change_password(
        request: Request, ctx: SignedIn, current: Annotated[str, Form()], new: Annotated[str, Form()]
    ) -> Response:
        try:
            with ctx.db.session() as session:
                user = service.get(session, ctx.principal.username)
                service.change_password(
                    session, user, current, new, keep_token=request.cookies.get(security.SESSION_COOKIE)
                )
        except service.AccountError as exc:
            return render(
                request,
                "password.html.j2",
                {"title": "Change your password", "error": str(exc)},
                ctx,
                status_code=400,
            )
        return RedirectResponse("/workforce/overview", status_code=303)

    @app.get("/api/account", tags=["account"])
    def whoami(ctx: SignedIn) -> Account:
        """The signed-in user, their role and providers."""
        p = ctx.principal
        return Account(
            username=p.username,
            role=p.role.value,
            providers=sorted(p.providers),
            must_change_password=p.must_change_password,
        )


def _login_page(request: Request, next_path: str, error: str, status: int = 200) -> Response:
    pre = security.new_pre_cookie()
    token = security.pre_session_token(request.app.state.secret, pre)
    response = render(
        request,
        "login.html.j2",
        {"title": "Sign in", "error": error, "next": next_path, "login_csrf": token},
        status_code=status,
    )
    security.set_cookie(request, response, security.PRE_COOKIE, pre, max_age=3600)
    return response
