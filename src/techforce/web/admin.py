"""Administration: accounts (add, reset, disable, role) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from techforce import audit
from techforce.accounts import service
from techforce.accounts.access import Role
from techforce.web.deps import Admin, Auditor, Ctx
from techforce.web.pages import render

router = APIRouter()


class UserRow(BaseModel):
    username: str
    role: str
    providers: str  # UKPRNs, space-separated
    disabled: bool
    must_change_password: bool
    created: str


class OneTimePassword(BaseModel):
    username: str
    password: str


class UsersPage(BaseModel):
    title: str
    users: list[UserRow]
    roles: list[str]
    message: str
    error: str
    one_time: OneTimePassword | None


class UserActionDone(BaseModel):
    done: str
    username: str
    one_time: OneTimePassword | None


class AuditEventRow(BaseModel):
    at: str
    actor: str
    action: str
    target: str
    details: dict[str, Any] | None


class AuditFilter(BaseModel):
    action: str
    actor: str
    limit: int


class AuditPage(BaseModel):
    title: str
    events: list[AuditEventRow]
    filter: AuditFilter


def _users(ctx: Ctx, message: str = "", error: str = "", one_time: dict[str, str] | None = None) -> UsersPage:
    with ctx.db.session() as session:
        users = [UserRow.model_validate(service.as_row(u)) for u in service.list_users(session)]
    return UsersPage(
        title="Users",
        users=users,
        roles=[r.value for r in Role],
        message=message,
        error=error,
        one_time=OneTimePassword(**one_time) if one_time is not None else None,
    )


@router.get("/api/admin/users", tags=["admin"])
def users_json(ctx: Admin) -> UsersPage:
    """Every account with its role and providers."""
    return _users(ctx)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, ctx: Admin) -> Response:
    return render(request, "users.html.j2", _users(ctx), ctx)


class UserAction(BaseModel):
    action: Literal["add", "reset", "disable", "enable", "role"]
    username: str = Field(min_length=1, max_length=100)
    role: str = ""
    providers: list[str] = Field(default_factory=list, max_length=500)


def _act(ctx: Ctx, change: UserAction) -> dict[str, str] | None:
    """Carry out one account action; returns a one-time password to show, if any."""
    actor = ctx.principal.username
    with ctx.db.session() as session:
        if change.action == "add":
            _user, password = service.create_user(
                session, change.username, change.role, change.providers, actor=actor
            )
            return {"username": change.username.lower(), "password": password or ""}
        if change.action == "reset":
            return {
                "username": change.username,
                "password": service.reset_password(session, change.username, actor=actor),
            }
        if change.action in ("disable", "enable"):
            if change.username == actor:
                raise service.AccountError("you cannot disable your own account")
            service.set_disabled(session, change.username, change.action == "disable", actor=actor)
        else:
            service.set_role(session, change.username, change.role, change.providers, actor=actor)
    return None


def _status(exc: service.AccountError) -> int:
    """409 for a name that is taken (also by a parallel request), 400 for other refusals."""
    return 409 if isinstance(exc, service.AccountExists) else 400


@router.post(
    "/api/admin/users",
    tags=["admin"],
    response_model=UserActionDone,
    responses={400: {"description": "Refused"}, 409: {"description": "The username is taken"}},
)
def user_action_json(ctx: Admin, change: UserAction) -> Response:
    """Add, reset, disable, enable or change the role of an account (send X-CSRF-Token).
    A new or reset account's one-time password is in the answer, once."""
    try:
        one_time = _act(ctx, change)
    except service.AccountError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=_status(exc))
    return JSONResponse({"done": change.action, "username": change.username, "one_time": one_time})


@router.post("/admin/users", include_in_schema=False)
def user_action(
    request: Request,
    ctx: Admin,
    action: Annotated[str, Form()],
    username: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    providers: Annotated[str, Form()] = "",
) -> Response:
    """The same actions from the page's forms (one form per action)."""
    try:
        change = UserAction(
            action=action, username=username, role=role, providers=providers.replace(",", " ").split()
        )
        one_time = _act(ctx, change)
    except (service.AccountError, ValidationError) as exc:
        message = str(exc) if isinstance(exc, service.AccountError) else f"unknown action {action!r}"
        status = _status(exc) if isinstance(exc, service.AccountError) else 400
        return render(request, "users.html.j2", _users(ctx, error=message), ctx, status_code=status)
    return render(
        request, "users.html.j2", _users(ctx, message=f"{action}: {username} done", one_time=one_time), ctx
    )


@router.get("/api/admin/audit", tags=["admin"])
def audit_json(ctx: Auditor, limit: int = 200, action: str = "", actor: str = "") -> AuditPage:
    """The newest audit events (sign-ins, uploads, changes, row-level downloads), optionally
    only actions starting with ``action`` and only those by ``actor``."""
    with ctx.db.session() as session:
        found = audit.recent(
            session, limit=max(1, min(limit, 5000)), action=action or None, actor=actor or None
        )
        events = [
            AuditEventRow(
                at=e.at.isoformat(timespec="seconds"),
                actor=e.actor,
                action=e.action,
                target=e.target,
                details=e.payload,
            )
            for e in found
        ]
    return AuditPage(
        title="Audit log", events=events, filter=AuditFilter(action=action, actor=actor, limit=limit)
    )


@router.get("/admin/audit", include_in_schema=False)
def audit_page(
    request: Request, ctx: Auditor, limit: int = 200, action: str = "", actor: str = ""
) -> Response:
    return render(request, "audit.html.j2", audit_json(ctx, limit, action, actor), ctx)
