"""Request dependencies: the signed-in user and their permissions, checked in one place.

Every route but sign-in and static files depends on ``signed_in`` (or a ``guard``), which
resolves the session, sends people who must change their password to do so, and checks
the CSRF token of every state-changing request. Permissions come from accounts.access."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from techforce.accounts import service
from techforce.accounts.access import Permission, Principal
from techforce.db import Database
from techforce.settings import Settings
from techforce.web import security

if TYPE_CHECKING:
    from techforce.capabilities import MenuItem


class NotSignedIn(Exception):
    pass


class MustChangePassword(Exception):
    pass


@dataclass(frozen=True)
class Ctx:
    """The request's user, their CSRF token and the app's services (one per capability that
    has one, by capability name) and menu."""

    principal: Principal
    csrf: str
    settings: Settings
    db: Database
    services: dict[str, Any]
    menu: tuple[MenuItem, ...]
    address: str


async def signed_in(request: Request) -> Ctx:
    state = request.app.state
    settings, db = state.settings, state.db
    token = request.cookies.get(security.SESSION_COOKIE)
    found = None
    if token:  # SQLite is a local file read in well under a millisecond: a thread hop costs more
        # (measured: p95 120 -> 160-190 ms). A server database may be across a network: off the loop.
        found = (
            _resolve(db, token)
            if db.engine.dialect.name == "sqlite"
            else await run_in_threadpool(_resolve, db, token)
        )
    if found is None:
        raise NotSignedIn()
    principal, csrf = found
    if request.method in security.UNSAFE_METHODS:
        security.check(csrf, await security.submitted_token(request))
    if principal.must_change_password and request.url.path not in ("/account/password", "/logout"):
        raise MustChangePassword()
    address = request.client.host if request.client else "-"
    return Ctx(principal, csrf, settings, db, state.services, state.menu, address)


@dataclass(frozen=True)
class Open:
    """What a public route gets: the app's settings, database and services, and no user."""

    settings: Settings
    db: Database
    services: dict[str, Any]
    address: str


async def public(request: Request) -> Open:
    """The dependency of a route open to everyone: one that serves public data (a credential's
    verification, a revocation list) or authenticates by a secret of its own (a private
    calendar feed's token). The routes that use it are listed in tests/web/test_capabilities.py,
    so none becomes public by accident."""
    state = request.app.state
    address = request.client.host if request.client else "-"
    return Open(state.settings, state.db, state.services, address)


def _resolve(db: Database, token: str) -> tuple[Principal, str] | None:
    with db.session() as session:
        return service.resolve_session(session, token)


def guard(permission: Permission) -> Callable[..., Awaitable[Ctx]]:
    """A dependency allowing the request only if the user has ``permission`` for the route's
    target (the path parameter the permission names: a UKPRN, a username, an id); a route
    without that parameter needs the permission for at least one target."""

    async def allowed(request: Request, ctx: Annotated[Ctx, Depends(signed_in)]) -> Ctx:
        target = request.path_params.get(permission.target) if permission.target else None
        if target is None and permission.scoped:
            ctx.principal.require_any(permission)
        elif permission.lookup is not None and ctx.db.engine.dialect.name != "sqlite":
            await run_in_threadpool(ctx.principal.require, permission, target, ctx.db)
        else:
            ctx.principal.require(permission, target, ctx.db)
        return ctx

    allowed.permission = permission  # type: ignore[attr-defined]  # read by the authorization tests
    return allowed


Viewer = Annotated[Ctx, Depends(guard(Permission.VIEW_PUBLISHED))]
InFull = Annotated[Ctx, Depends(guard(Permission.VIEW_IN_FULL))]
Uploader = Annotated[Ctx, Depends(guard(Permission.UPLOAD))]
GroupEditor = Annotated[Ctx, Depends(guard(Permission.MANAGE_PEER_GROUPS))]
Admin = Annotated[Ctx, Depends(guard(Permission.MANAGE_USERS))]
Auditor = Annotated[Ctx, Depends(guard(Permission.VIEW_AUDIT))]
SignedIn = Annotated[Ctx, Depends(signed_in)]
Public = Annotated[Open, Depends(public)]


def nav(ctx: Ctx) -> list[dict[str, Any]]:
    """The menu this user sees (links they may follow)."""
    p = ctx.principal
    items = []
    for item in ctx.menu:
        if "{ukprn}" in item.href:
            items += [(item.label, item.href, u) for u in sorted(p.providers) if p.can(item.permission, u)]
        elif p.can_any(item.permission):
            items.append((item.label, item.href, ""))
    names = _provider_names(ctx) if any(u for _, _, u in items) else {}
    return [
        {"label": label.format(ukprn=u, provider=names.get(u, u)), "href": href.format(ukprn=u)}
        for label, href, u in items
    ]


def landing(ctx: Ctx) -> str:
    """Where this user starts: the first landing menu item they may follow (a provider lead:
    their own provider's profile), else the first item of the menu."""
    p = ctx.principal
    for item in ctx.menu:
        if item.landing and "{ukprn}" in item.href:
            for u in sorted(p.providers):
                if p.can(item.permission, u):
                    return item.href.format(ukprn=u)
        elif item.landing and p.can_any(item.permission):
            return item.href
    first = nav(ctx)
    return first[0]["href"] if first else "/account/password"


def _provider_names(ctx: Ctx) -> dict[str, str]:
    """Provider names for menu labels, from any service that knows them (``names()``)."""
    for known in ctx.services.values():
        names = getattr(known, "names", None)
        if callable(names):
            return dict(names())
    return {}
