"""Administration: accounts (add, reset, disable, role) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from techforce import audit
from techforce.accounts import service
from techforce.accounts.access import Role
from techforce.web.app import render
from techforce.web.deps import Admin, Auditor, Ctx

router = APIRouter()


def _users(ctx: Ctx, message: str = "", error: str = "", one_time: dict[str, str] | None = None) -> dict[str, Any]:
    with ctx.db.session() as session:
        users = [service.as_row(u) for u in service.list_users(session)]
    return {"title": "Users", "users": users, "roles": [r.value for r in Role], "message": message,
            "error": error, "one_time": one_time}  # fmt: skip


@router.get("/api/admin/users", tags=["admin"])
def users_json(ctx: Admin) -> dict[str, Any]:
    """Every account with its role and providers."""
    return _users(ctx)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, ctx: Admin) -> Response:
    return render(request, "users.html.j2", _users(ctx), ctx)


@router.post("/admin/users", include_in_schema=False)
def user_action(request: Request, ctx: Admin, action: Annotated[str, Form()], username: Annotated[str, Form()],
                role: Annotated[str, Form()] = "", providers: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    """Add, reset, disable, enable or change the role of an account (one form per action)."""
    ukprns = providers.replace(",", " ").split()
    actor = ctx.principal.username
    one_time = None
    try:
        with ctx.db.session() as session:
            if action == "add":
                _user, password = service.create_user(session, username, role, ukprns, actor=actor)
                one_time = {"username": username.lower(), "password": password or ""}
            elif action == "reset":
                one_time = {"username": username, "password": service.reset_password(session, username, actor=actor)}
            elif action in ("disable", "enable"):
                if username == actor:
                    raise service.AccountError("you cannot disable your own account")
                service.set_disabled(session, username, action == "disable", actor=actor)
            elif action == "role":
                service.set_role(session, username, role, ukprns, actor=actor)
            else:
                raise service.AccountError(f"unknown action {action!r}")
    except service.AccountError as exc:
        return render(request, "users.html.j2", _users(ctx, error=str(exc)), ctx, status_code=400)
    return render(request, "users.html.j2", _users(ctx, message=f"{action}: {username} done", one_time=one_time), ctx)


def _audit(ctx: Ctx, limit: int) -> dict[str, Any]:
    with ctx.db.session() as session:
        events = [{"at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
                   "target": e.target, "details": e.payload} for e in audit.recent(session, limit=limit)]  # fmt: skip
    return {"title": "Audit log", "events": events}


@router.get("/api/admin/audit", tags=["admin"])
def audit_json(ctx: Auditor, limit: int = 200) -> dict[str, Any]:
    """The newest audit events: sign-ins, uploads, changes, row-level downloads."""
    return _audit(ctx, max(1, min(limit, 5000)))


@router.get("/admin/audit", include_in_schema=False)
def audit_page(request: Request, ctx: Auditor, limit: int = 200) -> Response:
    return render(request, "audit.html.j2", _audit(ctx, max(1, min(limit, 5000))), ctx)
