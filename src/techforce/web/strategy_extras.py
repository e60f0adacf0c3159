"""The strategy pages' links to what other strategy modules provide: live evidence values
(strategy/evidence.py), the self-assessment pack (strategy/pack_data.py) and the action plan
as CSV (strategy/exchange.py). Each is used when it is installed with the package."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.library import permissions as library_permissions
from techforce.library import search as library_search
from techforce.strategy.page_models import Download
from techforce.strategy.pages import Resolver
from techforce.web.deps import Ctx


def resolver(ctx: Ctx) -> Resolver | None:
    """How a page reads an evidence item's current value (None: it shows the link only)."""
    return None


def exchange_ready() -> bool:
    return False


def downloads(base: str) -> list[Download]:
    """The pack and CSV downloads of a stage's plan at ``base``."""
    return []


def check_ref(ctx: Ctx, s: Db, kind: str, ref: str) -> str:
    """The evidence reference checked: a library resource the user may see, a programme that
    exists, an indicator named by its id; NotFound or Invalid names the fix."""
    ref = ref.strip()
    if not ref:
        raise errors.Invalid(f"the {kind} reference is empty: give its id or address")
    if kind == "resource":
        return library_search.visible_resource(s, ref, library_permissions.audience_of(ctx.principal)).slug
    if kind == "programme":
        from techforce.programmes.models import Programme

        if s.scalar(select(Programme.slug).where(Programme.slug == ref)) is None:
            raise errors.NotFound(f"there is no programme {ref[:80]!r}: give its address, e.g. lab-leaders")
        return ref
    if kind == "indicator" and not re.fullmatch(r"[a-z0-9_.-]{1,100}", ref):
        raise errors.Invalid(f"indicator {ref[:80]!r} is not an indicator id, e.g. tech.headcount")
    return ref
