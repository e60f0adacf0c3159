"""`techforce serve` and `techforce users ...`: the web app and its accounts. Both need the
``web`` extra (FastAPI, uvicorn, argon2, zxcvbn), imported only when one of them runs: the
data commands work with a plain ``pip install techforce``."""

from __future__ import annotations

from types import ModuleType

import typer

from techforce.cli.output import Column, Format, FormatOption, emit
from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce.finding import provider_label, resolve_provider
from techforce.workforce.service import Workforce

users = typer.Typer(
    help="Accounts of the web app: add, list, disable, set-role, reset-password.", no_args_is_help=True
)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Start the web app (uvicorn) and print its URL."""
    run_server(ctx.obj.settings, ctx.obj.db, host, port, workers)


WEB_EXTRA = "this command needs the web extra: pip install 'techforce[web]'"


def _accounts() -> ModuleType:
    try:
        from techforce.accounts import service
    except ModuleNotFoundError as exc:
        typer.echo(f"error: {WEB_EXTRA} (missing {exc.name})", err=True)
        raise typer.Exit(2) from None
    return service


def run_server(settings: Settings, db: Database, host: str, port: int, workers: int = 1) -> None:
    try:
        import uvicorn

        from techforce.web.app import create_app
    except ModuleNotFoundError as exc:
        typer.echo(f"error: {WEB_EXTRA} (missing {exc.name})", err=True)
        raise typer.Exit(2) from None

    typer.echo(f"techforce is serving on http://{host}:{port}/  (Ctrl+C stops it)")
    app = create_app(settings, db)
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1; the app itself
    # believes it only from the peers in TECHFORCE_TRUSTED_PROXIES (none by default).
    uvicorn.run(app, host=host, port=port, workers=workers, log_level="warning", proxy_headers=False)


def _providers(ctx: typer.Context, typed: list[str]) -> list[str]:
    """UKPRNs for what was typed: each a known provider's UKPRN or a unique part of its name
    (an unknown or ambiguous one exits 2 with the nearest names or the matches)."""
    if not typed:
        return []
    known = Workforce(ctx.obj.settings, ctx.obj.db).names()
    return [resolve_provider(known, t) for t in typed]


def _run(ctx: typer.Context, action):  # type: ignore[no-untyped-def]
    """One account change in a transaction; a refused change (AccountError, a base error)
    exits 2 with its message from the CLI's shell."""
    _accounts()
    with ctx.obj.db.session() as session:
        return action(session)


@users.command("add")
def add(
    ctx: typer.Context,
    username: str,
    role: str = typer.Option(
        ..., help="admin, sector-analyst, provider-lead, programme-manager, researcher or technician."
    ),
    provider: list[str] = typer.Option(
        [], help="A provider a provider lead leads: UKPRN or unique part of its name (repeat for several)."
    ),
) -> None:
    """Add an account; prints a one-time password to change at first sign-in."""
    service = _accounts()
    ukprns = _providers(ctx, provider)
    _user, password = _run(
        ctx, lambda s: service.create_user(s, username, role, ukprns, actor=ctx.obj.settings.user)
    )
    typer.echo(f"account {username.lower()} added; one-time password: {password}")


@users.command("list")
def list_(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List accounts with role, providers and status."""
    service = _accounts()
    rows = _run(ctx, lambda s: [service.as_row(u) for u in service.list_users(s)])
    names = Workforce(ctx.obj.settings, ctx.obj.db).names() if fmt is Format.table and rows else {}
    shown = [
        {
            "username": r["username"],
            "providers": "; ".join(provider_label(names, u) for u in str(r["providers"]).split()),
            "role": r["role"] + _status(r),
            "created": str(r["created"])[:10],
        }
        for r in rows
    ]
    columns = [
        Column("username", wrap=True),
        Column("role", header="role, status", wrap=True),
        Column("providers", wrap=True),
        Column("created", wrap=False),
    ]
    emit(rows, fmt, title="Accounts", table_rows=shown, columns=columns)


def _status(row: dict[str, object]) -> str:
    if row["disabled"]:
        return "\n(disabled)"
    return "\n(password to change)" if row["must_change_password"] else ""


@users.command("disable")
def disable(
    ctx: typer.Context,
    username: str,
    enable: bool = typer.Option(False, "--enable", help="Enable the account again instead."),
) -> None:
    """Disable an account (its sessions end at once), or enable it with --enable."""
    service = _accounts()
    _run(ctx, lambda s: service.set_disabled(s, username, not enable, actor=ctx.obj.settings.user))
    typer.echo(f"account {username} {'enabled' if enable else 'disabled'}")


@users.command("set-role")
def set_role(
    ctx: typer.Context,
    username: str,
    role: str = typer.Option(..., help="The new role."),
    provider: list[str] = typer.Option(
        [], help="A provider for a provider lead: UKPRN or unique part of its name (repeatable)."
    ),
) -> None:
    """Change an account's role (and providers); its sessions end."""
    service = _accounts()
    ukprns = _providers(ctx, provider)
    _run(ctx, lambda s: service.set_role(s, username, role, ukprns, actor=ctx.obj.settings.user))
    typer.echo(f"account {username} is now {role}")


@users.command("reset-password")
def reset_password(ctx: typer.Context, username: str) -> None:
    """Give an account a new one-time password (printed once)."""
    service = _accounts()
    password = _run(ctx, lambda s: service.reset_password(s, username, actor=ctx.obj.settings.user))
    typer.echo(f"one-time password for {username}: {password}")
