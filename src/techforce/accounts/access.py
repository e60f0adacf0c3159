"""Who may do what: the one place where roles and scopes are decided.

Roles x permissions, and four scope kinds: a user's providers, their own records, things
they are a member of, and things whose audience includes them. Every page, JSON endpoint
and download asks ``Principal.require(permission, target)``; nothing else in the code base
compares roles. Published (disclosure-controlled) figures
are open to every role; a provider's unrounded figures and row-level data only to a
provider lead of that provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from techforce import errors

if TYPE_CHECKING:
    from techforce.db import Database


class Role(StrEnum):
    ADMIN = "admin"
    SECTOR_ANALYST = "sector-analyst"
    PROVIDER_LEAD = "provider-lead"
    PROGRAMME_MANAGER = "programme-manager"
    RESEARCHER = "researcher"
    TECHNICIAN = "technician"


class Scope(StrEnum):
    """What a scoped grant is limited to, for the roles it limits."""

    ANY = "any"  # no limit
    PROVIDER = "provider"  # the user's own providers (a provider lead)
    SELF = "self"  # the user's own records (a technician's bookings)
    MEMBERSHIP = "membership"  # things the user is a member of (a study's team), looked up
    AUDIENCE = "audience"  # things whose audience includes the user (a resource), looked up


# membership / audience look-ups: (database, principal, target) -> is the target theirs?
Lookup = Callable[["Database", "Principal", str], bool]


@dataclass(frozen=True, eq=False)
class Permission:
    """A permission: the roles granted it and, for ``scoped`` roles, the scope that limits
    them to some targets (named by the route's path parameter ``target``). Capabilities
    declare their own permissions; this module decides every one of them."""

    name: str
    description: str
    roles: frozenset[Role]
    scope: Scope = Scope.ANY
    scoped: frozenset[Role] = frozenset()
    target: str = ""
    lookup: Lookup | None = None
    # for things a non-member may not know exist (a study): when the grant fails and this
    # look-up says the target is not visible to the user at all, the answer is 404, the
    # same as for a target that does not exist, so that not even its existence leaks
    conceal: Lookup | None = None

    VIEW_PUBLISHED: ClassVar[Permission]
    VIEW_IN_FULL: ClassVar[Permission]
    UPLOAD: ClassVar[Permission]
    MANAGE_PEER_GROUPS: ClassVar[Permission]
    MANAGE_ANY_PEER_GROUP: ClassVar[Permission]
    MANAGE_USERS: ClassVar[Permission]
    VIEW_AUDIT: ClassVar[Permission]

    @property
    def value(self) -> str:
        return self.description


ALL_ROLES = frozenset(Role)
_LEAD = frozenset({Role.PROVIDER_LEAD})
Permission.VIEW_PUBLISHED = Permission(
    "view-published", "view published, disclosure-controlled figures", ALL_ROLES
)
Permission.VIEW_IN_FULL = Permission(
    "view-in-full",
    "see a provider's unrounded figures and row-level data",
    _LEAD,
    Scope.PROVIDER,
    _LEAD,
    "ukprn",
)
Permission.UPLOAD = Permission(
    "upload",
    "upload a provider's staff return",
    frozenset({Role.ADMIN, Role.SECTOR_ANALYST, Role.PROVIDER_LEAD}),
    Scope.PROVIDER,
    _LEAD,
    "ukprn",
)
Permission.MANAGE_PEER_GROUPS = Permission(
    "manage-peer-groups",
    "create and change peer groups",
    frozenset({Role.ADMIN, Role.SECTOR_ANALYST, Role.PROVIDER_LEAD}),
)
Permission.MANAGE_ANY_PEER_GROUP = Permission(
    "manage-any-peer-group", "replace or delete peer groups that others own", frozenset({Role.ADMIN})
)
Permission.MANAGE_USERS = Permission("manage-users", "manage accounts", frozenset({Role.ADMIN}))
Permission.VIEW_AUDIT = Permission("view-audit", "read the audit log", frozenset({Role.ADMIN}))


class AccessDenied(errors.Forbidden):
    """The signed-in user may not do this; the message says what was refused."""


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    providers: frozenset[str]
    must_change_password: bool = False

    def can(self, permission: Permission, target: str | None = None, db: Database | None = None) -> bool:
        """May this user use ``permission`` on ``target`` (a UKPRN, a username, an id)?"""
        if self.role not in permission.roles:
            return False
        if self.role not in permission.scoped or permission.scope is Scope.ANY:
            return True
        if target is None:
            return False
        if permission.scope is Scope.PROVIDER:
            return target in self.providers
        if permission.scope is Scope.SELF:
            return target == self.username
        return permission.lookup is not None and db is not None and permission.lookup(db, self, target)

    def require(self, permission: Permission, target: str | None = None, db: Database | None = None) -> None:
        if not self.can(permission, target, db):
            conceal = permission.conceal
            if (
                conceal is not None
                and target is not None
                and db is not None
                and not conceal(db, self, target)
            ):
                raise errors.NotFound(f"there is no {permission.target or 'target'} {target}")
            what = {"ukprn": "provider", "username": "user"}.get(
                permission.target, permission.target or "target"
            )
            where = f" for {what} {target}" if target else ""
            raise AccessDenied(f"your role ({self.role.value}) may not {permission.description}{where}")

    def upload_scope(self) -> frozenset[str] | None:
        """Providers whose returns this user may upload; None means any provider."""
        self.require_any(Permission.UPLOAD)
        return self.providers if self.role in Permission.UPLOAD.scoped else None

    def can_any(self, permission: Permission) -> bool:
        """May the user use the permission on at least one target? (A provider lead without
        providers may not use a per-provider permission at all.)"""
        if self.role not in permission.roles:
            return False
        return not (
            self.role in permission.scoped and permission.scope is Scope.PROVIDER and not self.providers
        )

    def require_any(self, permission: Permission) -> None:
        if not self.can_any(permission):
            raise AccessDenied(f"your role ({self.role.value}) may not {permission.description}")
