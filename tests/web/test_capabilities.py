"""A new capability is a sibling that touches the shell in one line: this throwaway one (a
router, a menu item, a CLI, a permission with a `self` scope) needs no edit to web/app.py,
web/deps.py or cli/main.py, and is guarded like every other route."""

from __future__ import annotations

from typing import Any

import typer
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from techforce import capabilities, errors
from techforce.accounts.access import Permission, Role, Scope
from techforce.capabilities import Capability, MenuItem
from techforce.web.app import create_app
from techforce.web.deps import Ctx, guard
from tests.web.conftest import WebEnv, sign_in
from tests.web.library_matrix import PUBLIC_ROUTES as LIBRARY_PUBLIC
from tests.web.programmes_matrix import PUBLIC_ROUTES as PROGRAMMES_PUBLIC

OWN_NOTES = Permission(
    "read-own-notes",
    "read a user's notes",
    frozenset({Role.TECHNICIAN, Role.ADMIN}),
    Scope.SELF,
    scoped=frozenset({Role.TECHNICIAN}),
    target="username",
)
router = APIRouter()
cli = typer.Typer()


@router.get("/api/notes/{username}")
def notes(username: str, ctx: Ctx = Depends(guard(OWN_NOTES))) -> dict[str, Any]:
    if username == "nobody":
        raise errors.NotFound("no notes for nobody")
    return {"owner": username, "reader": ctx.principal.username}


@cli.command()
def hello() -> None:
    typer.echo("hello from notes")


NOTES = Capability(
    name="notes",
    router="tests.web.test_capabilities:router",
    cli="tests.web.test_capabilities:cli",
    cli_name="notes",
    menu=(MenuItem("My notes", "/api/notes/technician", OWN_NOTES),),
    permissions=(OWN_NOTES,),
)


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            found.append(r)
        elif hasattr(r, "original_router"):  # an included router
            found += _api_routes(r.original_router.routes)
    return found


def test_a_throwaway_capability_plugs_in_with_its_own_scope(web: WebEnv) -> None:
    app = create_app(web.settings, web.db, registered=(*capabilities.REGISTERED, NOTES))
    assert "/api/notes/{username}" in {r.path for r in _api_routes(app.routes)}, "the router was not included"
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/notes/technician").status_code == 401
    with TestClient(app) as tech:
        sign_in(tech, "technician")
        assert tech.get("/api/notes/technician").json() == {"owner": "technician", "reader": "technician"}
        refused = tech.get("/api/notes/admin")
        assert refused.status_code == 403 and "user admin" in refused.json()["detail"]
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "My notes" in tech.get("/workforce/definitions").text  # the menu item shows
    with TestClient(app) as admin:
        sign_in(admin, "admin")
        assert admin.get("/api/notes/technician").status_code == 200  # an unscoped grant
        missing = admin.get("/api/notes/nobody")
        assert missing.status_code == 404 and missing.json()["title"] == "Not found"
    with TestClient(app) as researcher:
        sign_in(researcher, "researcher")
        assert researcher.get("/api/notes/researcher").status_code == 403
        assert "My notes" not in researcher.get("/workforce/definitions").text


def test_its_cli_is_added_by_the_shell() -> None:
    from typer.testing import CliRunner

    from techforce.cli import main

    app = typer.Typer(cls=main.Shell)
    app.callback()(lambda: None)
    for capability in (*capabilities.REGISTERED, NOTES):
        if capability.cli:
            app.add_typer(capabilities.load(capability.cli), name=capability.cli_name)
    result = CliRunner().invoke(app, ["notes", "hello"])
    assert result.exit_code == 0 and "hello from notes" in result.output


PUBLIC_ROUTES = PROGRAMMES_PUBLIC | LIBRARY_PUBLIC


def test_every_route_of_every_capability_is_guarded(web: WebEnv) -> None:
    """Each capability route depends on a guard (or on sign-in); none is open by accident."""
    app = create_app(web.settings, web.db, registered=(*capabilities.REGISTERED, NOTES))
    open_routes = {"/login", "/", "/static/vega.js"}
    routes = _api_routes(app.routes)
    assert len(routes) > 20
    public_seen = set()
    for route in routes:
        if route.path in open_routes:
            continue
        names = {d.call.__name__ for d in route.dependant.dependencies if d.call is not None}
        if route.path in PUBLIC_ROUTES:  # open on purpose: each listed by path, none by accident
            assert "public" in names, f"{route.path} is listed in PUBLIC_ROUTES but not public"
            public_seen.add(route.path)
            continue
        assert "public" not in names, f"{route.path} is public but not listed in PUBLIC_ROUTES"
        assert names & {"allowed", "signed_in"}, f"{route.path} has no guard"
    assert public_seen == PUBLIC_ROUTES, (
        f"PUBLIC_ROUTES lists missing routes: {sorted(PUBLIC_ROUTES - public_seen)}"
    )
