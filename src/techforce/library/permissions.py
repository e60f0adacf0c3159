"""The library's permissions, decided by accounts.access like every other.

Public resources are read without signing in (the catalogue's public routes). A private
resource is seen only by its audience (an ``audience`` scope: ``signed-in``, ``role:<role>``,
``provider:<ukprn>``) and by the library's curators (admins and programme managers, who add
and edit resources). Anyone else asking for a private resource gets the same 404 as for one
that does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from techforce.accounts.access import ALL_ROLES, Permission, Role, Scope
from techforce.library import records

if TYPE_CHECKING:
    from techforce.accounts.access import Principal
    from techforce.db import Database

CURATORS = frozenset({Role.ADMIN, Role.PROGRAMME_MANAGER})


def audience_of(principal: Principal | None) -> frozenset[str] | None:
    """The audience rows ``principal`` belongs to; None for a curator (sees everything)."""
    if principal is None:
        return frozenset({records.PUBLIC})
    if principal.role in CURATORS:
        return None
    return frozenset(
        {records.PUBLIC, records.SIGNED_IN, f"role:{principal.role.value}"}
        | {f"provider:{p}" for p in principal.providers}
    )


def in_audience(db: Database, principal: Principal, slug: str) -> bool:
    """Is the resource ``slug`` visible to ``principal``?"""
    from techforce.library.models import Audience, Resource

    allowed = audience_of(principal)
    with db.session() as s:
        query = select(Resource.id).where(Resource.slug == slug)
        if allowed is not None:
            query = query.join(Audience, Audience.resource_id == Resource.id).where(Audience.who.in_(allowed))
        return s.scalar(query.limit(1)) is not None


VIEW_RESOURCE = Permission(
    "view-resource",
    "read a library resource and download its file",
    ALL_ROLES,
    Scope.AUDIENCE,
    ALL_ROLES - CURATORS,
    "slug",
    in_audience,
    in_audience,
)
CURATE = Permission("curate-library", "add, edit, remove, import and export library resources", CURATORS)

ALL = (VIEW_RESOURCE, CURATE)
