"""Administration: accounts (add, reset, disable, role) and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from techforce import audit, errors
from techforce.accounts import service
from techforce.accounts.access import Role
from techforce.web.deps import Admin, Auditor, Ctx
from techforce.web.pages import render
from techforce.web.workforce_common import wf
from techforce.workforce import finding

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


class ProviderChoice(BaseModel):
    ukprn: str
    provider: str


class UsersPage(BaseModel):
    title: str
    users: list[UserRow]
    roles: list[str]
    message: str
    error: str
    one_time: OneTimePassword | None
    providers: list[ProviderChoice]  # the known providers a provider lead may be given


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
    action: str  # actions starting with this
    actor: str  # exactly this user
    target: str  # targets containing this (any case)
    since: str  # YYYY-MM-DD, from the start of this day (UTC)
    until: str  # YYYY-MM-DD, to the end of this day (UTC)
    page: int
    per_page: int


class AuditPage(BaseModel):
    title: str
    events: list[AuditEventRow]
    filter: AuditFilter
    total: int  # events matching the filter
    pages: int
    first: int  # the position of this page's first and last event among them (0 when none)
    last: int
    previous: str | None  # the query string of the previous and next pages, if any
    next: str | None
    per_page_choices: list[int]


def _names(ctx: Ctx) -> dict[str, str]:
    return wf(ctx).names()


def _users(ctx: Ctx, message: str = "", error: str = "", one_time: dict[str, str] | None = None) -> UsersPage:
    with ctx.db.session() as session:
        users = [UserRow.model_validate(service.as_row(u)) for u in service.list_users(session)]
    names = _names(ctx)
    return UsersPage(
        title="Users",
        users=users,
        roles=[r.value for r in Role],
        message=message,
        error=error,
        one_time=OneTimePassword(**one_time) if one_time is not None else None,
        providers=[
            ProviderChoice(ukprn=u, provider=n)
            for u, n in sorted(names.items(), key=lambda kv: (kv[1], kv[0]))
        ],
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


class Unchecked(errors.Invalid):
    """A form value that is missing or names nothing known (422)."""


def _check(ctx: Ctx, change: UserAction) -> None:
    """A new account or a role change names its role (there is no default, so that nobody is
    made an administrator by accident) and only providers techforce knows."""
    if change.action not in ("add", "role"):
        return
    if not change.role:
        raise Unchecked(f"choose a role for {change.username!r}: one of {', '.join(r.value for r in Role)}")
    names = _names(ctx)
    unknown = [u for u in dict.fromkeys(change.providers) if u not in names]
    if unknown:
        described = []
        for ukprn in unknown:
            near = [finding.provider_label(names, u) for u in finding.nearest_providers(names, ukprn)]
            described.append(f"{ukprn!r}" + (f" (nearest: {', '.join(near)})" if near else ""))
        raise Unchecked(
            f"no provider {'; '.join(described)}: give the UKPRNs of known providers "
            "(the list under the field suggests them)"
        )


def _act(ctx: Ctx, change: UserAction) -> dict[str, str] | None:
    """Carry out one account action; returns a one-time password to show, if any."""
    _check(ctx, change)
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


def _status(exc: errors.TechforceError) -> int:
    """409 for a name that is taken (also by a parallel request), 422 for a missing role or
    an unknown provider, 400 for other refusals."""
    return exc.http_status


@router.post(
    "/api/admin/users",
    tags=["admin"],
    response_model=UserActionDone,
    responses={
        400: {"description": "Refused"},
        409: {"description": "The username is taken"},
        422: {"description": "No role chosen, or an unknown provider (the nearest are named)"},
    },
)
def user_action_json(ctx: Admin, change: UserAction) -> Response:
    """Add, reset, disable, enable or change the role of an account (send X-CSRF-Token).
    A new or reset account's one-time password is in the answer, once."""
    try:
        one_time = _act(ctx, change)
    except (service.AccountError, Unchecked) as exc:
        return JSONResponse({"detail": exc.message}, status_code=_status(exc))
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
    except (service.AccountError, Unchecked) as exc:
        return render(request, "users.html.j2", _users(ctx, error=exc.message), ctx, status_code=_status(exc))
    except ValidationError:
        message = f"unknown action {action!r}"
        return render(request, "users.html.j2", _users(ctx, error=message), ctx, status_code=400)
    return render(
        request, "users.html.j2", _users(ctx, message=f"{action}: {username} done", one_time=one_time), ctx
    )


PER_PAGE = (25, 50, 100, 200)


def _day(name: str, value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise Unchecked(
            f"{name}: {shown!r} is not a date; write it as YYYY-MM-DD, "
            f"from {date.min.isoformat()} to {date.max.isoformat()}"
        ) from None


def _audit(
    ctx: Ctx, action: str, actor: str, target: str, since: str, until: str, page: int, per_page: int
) -> AuditPage:
    per_page = min(PER_PAGE, key=lambda n: abs(n - per_page))
    start, end = _day("since", since), _day("until", until)
    if start and end and end < start:
        raise Unchecked(f"until ({until}) is before since ({since}); swap them")
    page = min(max(1, page), 10**6)  # no offset past what a database can count
    with ctx.db.session() as session:
        found, total = audit.search(
            session,
            action=action or None,
            actor=actor or None,
            target=target or None,
            since=datetime.combine(start, time(), UTC) if start else None,
            # the day after until (none after the calendar's last day: no bound then)
            before=datetime.combine(end + timedelta(days=1), time(), UTC) if end and end < date.max else None,
            offset=(page - 1) * per_page,
            limit=per_page,
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
    pages = max(1, -(-total // per_page))
    shown = AuditFilter(
        action=action, actor=actor, target=target, since=since, until=until, page=page, per_page=per_page
    )

    def link(to: int) -> str:
        wanted = shown.model_dump(exclude={"page"})
        query = {k: v for k, v in wanted.items() if v and not (k == "per_page" and v == PER_PAGE[1])}
        return "?" + urlencode({**query, "page": to})

    first = (page - 1) * per_page + 1 if events else 0
    return AuditPage(
        title="Audit log",
        events=events,
        filter=shown,
        total=total,
        pages=pages,
        first=first,
        last=first + len(events) - 1 if events else 0,
        previous=link(min(page - 1, pages)) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
        per_page_choices=list(PER_PAGE),
    )


@router.get("/api/admin/audit", tags=["admin"])
def audit_json(
    ctx: Auditor,
    action: str = "",
    actor: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """Audit events (sign-ins, uploads, changes, row-level downloads), newest first, a page at
    a time: only actions starting with ``action``, by ``actor``, with ``target`` in their
    target, on or after the day ``since`` and on or before the day ``until`` (YYYY-MM-DD,
    UTC). ``total`` counts every match; ``previous``/``next`` are the query strings of the
    neighbouring pages."""
    return _audit(ctx, action, actor, target, since, until, page, per_page)


@router.get("/admin/audit", include_in_schema=False)
def audit_page(
    request: Request,
    ctx: Auditor,
    action: str = "",
    actor: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Response:
    return render(
        request, "audit.html.j2", _audit(ctx, action, actor, target, since, until, page, per_page), ctx
    )
