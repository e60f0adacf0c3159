"""The programmes capability's permissions, decided by accounts.access like every other:
anyone signed in sees the catalogue and books for themselves (a ``self`` scope on the
username in the path); programme managers manage the programmes they run (a ``membership``
scope on the programme's slug); admins manage every programme."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from techforce.accounts.access import ALL_ROLES, Permission, Role, Scope

if TYPE_CHECKING:
    from techforce.accounts.access import Principal
    from techforce.db import Database


def runs(db: Database, principal: Principal, slug: str) -> bool:
    """Is ``principal`` a manager of the programme ``slug``?"""
    from techforce.programmes.models import Manager, Programme

    with db.session() as session:
        found = session.scalar(
            select(Manager.username)
            .join(Programme, Programme.id == Manager.programme_id)
            .where(Programme.slug == slug, Manager.username == principal.username)
        )
    return found is not None


_MANAGERS = frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER})

VIEW_PROGRAMMES = Permission(
    "view-programmes", "see development programmes, their cohorts and sessions", ALL_ROLES
)
BOOK = Permission(
    "book",
    "see and change a person's own applications, bookings, feedback, outcomes and consent",
    ALL_ROLES,
    Scope.SELF,
    ALL_ROLES - {Role.ADMIN},
    "username",
)
CREATE_PROGRAMME = Permission("create-programme", "create development programmes", _MANAGERS)
MANAGE_PROGRAMME = Permission(
    "manage-programme",
    "manage a programme's cohorts, sessions, applications, registers and credentials",
    _MANAGERS,
    Scope.MEMBERSHIP,
    frozenset({Role.PROGRAMME_MANAGER}),
    "programme",
    runs,
)
VIEW_IMPACT = Permission(
    "view-impact",
    "see programme impact (disclosure-controlled)",
    frozenset({Role.ADMIN, Role.SECTOR_ANALYST, Role.PROGRAMME_MANAGER, Role.PROVIDER_LEAD}),
)

ALL = (VIEW_PROGRAMMES, BOOK, CREATE_PROGRAMME, MANAGE_PROGRAMME, VIEW_IMPACT)
