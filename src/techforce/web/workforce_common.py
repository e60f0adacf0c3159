"""What the workforce web modules share: the service and the caller's view of a provider."""

from __future__ import annotations

from typing import cast

from techforce.accounts.access import Permission
from techforce.web.deps import Ctx
from techforce.workforce.service import Workforce


def wf(ctx: Ctx) -> Workforce:
    return cast(Workforce, ctx.services["workforce"])


def in_full(ctx: Ctx, ukprn: str) -> bool:
    """Whether the caller sees this provider's unrounded figures (its own lead)."""
    return ctx.principal.can(Permission.VIEW_IN_FULL, ukprn)
