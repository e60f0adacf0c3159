"""The one list of capabilities. Each registers, in one record, what the shells need:
its web router, its CLI, its menu items, its permissions, its service and the audit events
that change its data. The web app and the CLI loop over the list and know no capability
by name.

Routers, CLIs and services are named as ``"module:attribute"`` and imported only when a
shell asks for them (like entry points), so that a plain install without the web extra
never imports a web router, and so that no library module imports a client."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from techforce.accounts.access import Permission
from techforce.library import events as library_events
from techforce.library import permissions as library_permissions
from techforce.programmes import events as programmes_events
from techforce.programmes import permissions as programmes_permissions
from techforce.research import events as research_events
from techforce.research import permissions as research_permissions
from techforce.strategy import events as strategy_events
from techforce.strategy import permissions as strategy_permissions
from techforce.workforce import events as workforce_events


@dataclass(frozen=True)
class MenuItem:
    """A link in the menu, shown to users with ``permission`` (for a per-provider permission,
    for at least one provider). ``{ukprn}`` in ``href`` gives one item per provider of the user."""

    label: str
    href: str
    permission: Permission = Permission.VIEW_PUBLISHED
    landing: bool = False  # where a user who may follow it lands after signing in (e.g. a lead's provider)


@dataclass(frozen=True)
class Capability:
    name: str
    router: str | None = None  # "module:attribute" of a FastAPI APIRouter
    cli: str | None = None  # "module:attribute" of a Typer app, added as `techforce <cli_name>`
    cli_name: str | None = None
    service: str | None = None  # "module:attribute" of a factory (settings, db) -> the service
    menu: tuple[MenuItem, ...] = ()
    permissions: tuple[Permission, ...] = ()
    events: tuple[str, ...] = field(default=())  # audit actions that change what its pages show


def load(target: str) -> Any:
    """The object named by ``"module:attribute"``."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


WORKFORCE = Capability(
    name="workforce",
    router="techforce.web.workforce:router",
    cli="techforce.cli.workforce:app",
    cli_name="workforce",
    service="techforce.workforce.service:Workforce",
    menu=(
        MenuItem("Overview", "/workforce/overview"),
        MenuItem("Explorer", "/workforce/explore"),
        MenuItem("Peer groups", "/workforce/peer-groups"),
        MenuItem("Definitions", "/workforce/definitions"),
        MenuItem("{provider}", "/workforce/providers/{ukprn}", Permission.VIEW_IN_FULL, landing=True),
        MenuItem("Upload", "/workforce/upload", Permission.UPLOAD),
    ),
    permissions=(
        Permission.VIEW_PUBLISHED,
        Permission.VIEW_IN_FULL,
        Permission.UPLOAD,
        Permission.MANAGE_PEER_GROUPS,
        Permission.MANAGE_ANY_PEER_GROUP,
    ),
    events=workforce_events.DATA_CHANGES,
)
ACCOUNTS = Capability(
    name="accounts",
    router="techforce.web.admin:router",
    cli="techforce.cli.web:users",
    cli_name="users",
    menu=(
        MenuItem("Users", "/admin/users", Permission.MANAGE_USERS),
        MenuItem("Audit log", "/admin/audit", Permission.VIEW_AUDIT),
    ),
    permissions=(Permission.MANAGE_USERS, Permission.VIEW_AUDIT),
)

PROGRAMMES = Capability(
    name="programmes",
    router="techforce.web.programmes:router",
    cli="techforce.cli.programmes:app",
    cli_name="programmes",
    service="techforce.programmes.facade:Programmes",
    menu=(
        MenuItem("Programmes", "/programmes", programmes_permissions.VIEW_PROGRAMMES),
        MenuItem("My bookings", "/programmes/me", programmes_permissions.BOOK),
        MenuItem("Impact", "/programmes/impact", programmes_permissions.VIEW_IMPACT),
        MenuItem("New programme", "/programmes/new", programmes_permissions.CREATE_PROGRAMME),
    ),
    permissions=programmes_permissions.ALL,
    events=programmes_events.DATA_CHANGES,
)

RESEARCH = Capability(
    name="research",
    router="techforce.web.research:router",
    service="techforce.research.facade:Research",
    cli="techforce.cli.research:app",
    cli_name="research",
    menu=(MenuItem("Studies", "/research", research_permissions.VIEW_STUDY),),
    permissions=research_permissions.ALL,
    events=research_events.DATA_CHANGES,
)

LIBRARY = Capability(
    name="library",
    router="techforce.web.library:router",
    cli="techforce.cli.library:app",
    cli_name="library",
    menu=(
        MenuItem("Library", "/library", library_permissions.VIEW_RESOURCE),
        MenuItem("Add a resource", "/library/new", library_permissions.CURATE),
    ),
    permissions=library_permissions.ALL,
    events=library_events.DATA_CHANGES,
)

STRATEGY = Capability(
    name="strategy",
    router="techforce.web.strategy:router",
    cli="techforce.cli.strategy:app",
    cli_name="strategy",
    menu=(
        MenuItem("Strategy", "/strategy/providers/{ukprn}", strategy_permissions.VIEW_PLAN),
        MenuItem("Recommendations", "/strategy/recommendations", strategy_permissions.VIEW_RECOMMENDATIONS),
        MenuItem("Reviews", "/strategy/reviews", strategy_permissions.REVIEW_PLAN),
        MenuItem("Sector commitments", "/strategy/sector", strategy_permissions.VIEW_SECTOR),
    ),
    permissions=strategy_permissions.ALL,
    events=strategy_events.DATA_CHANGES,
)

REGISTERED: tuple[Capability, ...] = (WORKFORCE, PROGRAMMES, RESEARCH, LIBRARY, STRATEGY, ACCOUNTS)
