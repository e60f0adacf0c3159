"""Who may do what: the one place where roles and provider scope are decided.

Every page, JSON endpoint and download asks ``Principal.require(permission, ukprn)``;
nothing else in the code base compares roles. Published (disclosure-controlled) figures
are open to every role; a provider's unrounded figures and row-level data only to a
provider lead of that provider."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from techforce import errors


class Role(StrEnum):
    ADMIN = "admin"
    SECTOR_ANALYST = "sector-analyst"
    PROVIDER_LEAD = "provider-lead"
    PROGRAMME_MANAGER = "programme-manager"
    RESEARCHER = "researcher"
    TECHNICIAN = "technician"


class Permission(StrEnum):
    VIEW_PUBLISHED = "view published, disclosure-controlled figures"
    VIEW_IN_FULL = "see a provider's unrounded figures and row-level data"
    UPLOAD = "upload a provider's staff return"
    MANAGE_PEER_GROUPS = "create and change peer groups"
    MANAGE_ANY_PEER_GROUP = "replace or delete peer groups that others own"
    MANAGE_USERS = "manage accounts"
    VIEW_AUDIT = "read the audit log"


ALL_ROLES = frozenset(Role)
# Permissions that need a provider are granted per provider for provider leads (see can()).
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_PUBLISHED: ALL_ROLES,
    Permission.VIEW_IN_FULL: frozenset({Role.PROVIDER_LEAD}),
    Permission.UPLOAD: frozenset({Role.ADMIN, Role.SECTOR_ANALYST, Role.PROVIDER_LEAD}),
    Permission.MANAGE_PEER_GROUPS: frozenset({Role.ADMIN, Role.SECTOR_ANALYST, Role.PROVIDER_LEAD}),
    Permission.MANAGE_ANY_PEER_GROUP: frozenset({Role.ADMIN}),
    Permission.MANAGE_USERS: frozenset({Role.ADMIN}),
    Permission.VIEW_AUDIT: frozenset({Role.ADMIN}),
}
PER_PROVIDER = {Permission.VIEW_IN_FULL, Permission.UPLOAD}


class AccessDenied(errors.Forbidden):
    """The signed-in user may not do this; the message says what was refused."""


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    providers: frozenset[str]
    must_change_password: bool = False

    def can(self, permission: Permission, ukprn: str | None = None) -> bool:
        if self.role not in GRANTS[permission]:
            return False
        if permission in PER_PROVIDER and self.role is Role.PROVIDER_LEAD:
            return ukprn is not None and ukprn in self.providers
        return True

    def require(self, permission: Permission, ukprn: str | None = None) -> None:
        if not self.can(permission, ukprn):
            where = f" for provider {ukprn}" if ukprn else ""
            raise AccessDenied(f"your role ({self.role.value}) may not {permission.value}{where}")

    def upload_scope(self) -> frozenset[str] | None:
        """Providers whose returns this user may upload; None means any provider."""
        self.require_any(Permission.UPLOAD)
        return self.providers if self.role is Role.PROVIDER_LEAD else None

    def can_any(self, permission: Permission) -> bool:
        """For a per-provider permission: may the user do it for at least one provider?"""
        if self.role not in GRANTS[permission]:
            return False
        return not (permission in PER_PROVIDER and self.role is Role.PROVIDER_LEAD and not self.providers)

    def require_any(self, permission: Permission) -> None:
        if not self.can_any(permission):
            raise AccessDenied(f"your role ({self.role.value}) may not {permission.value}")
