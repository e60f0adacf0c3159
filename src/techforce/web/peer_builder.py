"""The peer-group builder's state: which providers a filter shows, which are ticked (by hand,
by nation, region or an existing group), which group is being edited, and the message after a
save or delete. Works without JavaScript (every step is a form submission the server answers
with this state); static/builder.js does the same steps in the page.

The message after a redirect comes from the query string (``?saved=NAME&check=...``); the
check is an HMAC of the message under the session's CSRF token, so a crafted link cannot make
the page announce something that did not happen."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Literal
from urllib.parse import urlencode

from pydantic import BaseModel, field_validator

from techforce import errors
from techforce.accounts.access import AccessDenied, Permission
from techforce.web.deps import Ctx
from techforce.workforce import peer_groups
from techforce.workforce.finding import LONGEST_TYPED, fold
from techforce.workforce.page_models import PeerGroupInfo, PeerGroupsPage, ProviderName

Op = Literal["save", "filter", "tick-shown", "tick-nation", "tick-region", "tick-group", "untick-all"]
OPS: tuple[str, ...] = Op.__args__  # type: ignore[attr-defined]


class BuilderState(BaseModel):
    """The builder form as it stands."""

    name: str = ""
    description: str = ""
    editing: str = ""  # the group being edited ("" when building a new one)
    q: str = ""  # the text filter over names and UKPRNs
    tick_nation: str = ""
    tick_region: str = ""
    tick_group: str = ""
    ticked: list[str] = []  # UKPRNs, in provider order
    shown: list[str] = []  # UKPRNs the filter shows (every provider when there is no filter)
    count: int = 0  # how many are ticked
    hidden_ticked: int = 0  # ticked, but not shown by the filter

    @field_validator("q", "tick_nation", "tick_region", "tick_group", "editing")
    @classmethod
    def _cut(cls, text: str) -> str:
        """The filter and the choices are compared with every provider: no name is longer than
        this, so longer text is cut (as /workforce/find does) rather than folded at length."""
        return text[:LONGEST_TYPED]


class PeerGroupsView(PeerGroupsPage):
    """The peer groups page for one user: whether they may create and delete groups, which
    groups they may change, the builder's state and what just happened."""

    can_edit: bool
    editable: list[str]  # the groups this user may replace or delete
    min_members: int
    nations: list[str]
    regions: list[str]
    builder: BuilderState
    message: str = ""  # after a save or delete
    error: str = ""  # why a save was refused
    confirm_remove: PeerGroupInfo | None = None  # the group whose deletion waits for confirmation


def matcher(typed: str) -> Callable[[ProviderName], bool]:
    """The filter: shows a provider whose name contains what was typed (case and accents
    ignored), or whose UKPRN contains the digits typed. What was typed is folded once."""
    text = typed.strip()[:LONGEST_TYPED]
    folded = fold(text)
    digits = text.isdigit()

    def shows(provider: ProviderName) -> bool:
        return not folded or folded in fold(provider.provider) or (digits and text in provider.ukprn)

    return shows


def view(
    ctx: Ctx,
    data: PeerGroupsPage,
    state: BuilderState,
    *,
    message: str = "",
    error: str = "",
    confirm_remove: PeerGroupInfo | None = None,
) -> PeerGroupsView:
    """The page for this user, with the builder's derived fields filled in."""
    can_edit = ctx.principal.can(Permission.MANAGE_PEER_GROUPS)
    any_group = ctx.principal.can(Permission.MANAGE_ANY_PEER_GROUP)
    with ctx.db.session() as session:
        editable = [
            g.name
            for g in peer_groups.all_groups(session)
            if can_edit and (any_group or g.owner == ctx.principal.username)
        ]
    wanted = set(state.ticked)
    ticked = [p.ukprn for p in data.providers if p.ukprn in wanted]
    shows = matcher(state.q)
    shown = [p.ukprn for p in data.providers if shows(p)]
    visible = set(shown)
    builder = state.model_copy(
        update={
            "ticked": ticked,
            "shown": shown,
            "count": len(ticked),
            "hidden_ticked": sum(1 for u in ticked if u not in visible),
        }
    )
    return PeerGroupsView(
        **dict(data),
        can_edit=can_edit,
        editable=editable,
        min_members=ctx.settings.min_peer_group_size,
        nations=sorted({p.nation for p in data.providers if p.nation}),
        regions=sorted({p.region for p in data.providers if p.region}),
        builder=builder,
        message=message,
        error=error,
        confirm_remove=confirm_remove,
    )


def apply(op: str, state: BuilderState, data: PeerGroupsPage) -> BuilderState:
    """One builder step: tick the providers shown, in a nation, in a region or in a group,
    or untick every one ("filter" only shows the page again with the filter applied)."""
    ticked = set(state.ticked)
    chosen: Iterable[str] = ()
    if op == "tick-shown":
        shows = matcher(state.q)
        chosen = [p.ukprn for p in data.providers if shows(p)]
    elif op == "tick-nation" and state.tick_nation:
        chosen = [p.ukprn for p in data.providers if p.nation == state.tick_nation]
    elif op == "tick-region" and state.tick_region:
        chosen = [p.ukprn for p in data.providers if p.region == state.tick_region]
    elif op == "tick-group" and state.tick_group:
        chosen = [m.ukprn for g in data.groups if g.name == state.tick_group for m in g.members]
    elif op == "untick-all":
        ticked = set()
    return state.model_copy(update={"ticked": sorted(ticked | set(chosen))})


def group_to_change(ctx: Ctx, data: PeerGroupsPage, name: str) -> PeerGroupInfo:
    """The named group, if this user may replace or delete it."""
    group = next((g for g in data.groups if g.name == name), None)
    if group is None:
        known = ", ".join(g.name for g in data.groups) or "none"
        raise errors.NotFound(f"no peer group {name!r}; known: {known}")
    with ctx.db.session() as session:
        owner = next((g.owner for g in peer_groups.all_groups(session) if g.name == name), None)
    if not ctx.principal.can(Permission.MANAGE_ANY_PEER_GROUP) and (
        owner != ctx.principal.username or not ctx.principal.can(Permission.MANAGE_PEER_GROUPS)
    ):
        raise AccessDenied(
            f"the peer group {name!r} belongs to {owner or 'the administrators'}; only its owner or an "
            "administrator may change it: tick its members with 'Tick group' and save under another name"
        )
    return group


def editing(group: PeerGroupInfo, q: str = "") -> BuilderState:
    """The builder filled with a group: its name, description and members ticked."""
    return BuilderState(
        name=group.name,
        description=group.description,
        editing=group.name,
        q=q,
        ticked=[m.ukprn for m in group.members],
    )


def _check(ctx: Ctx, kind: str, name: str) -> str:
    return hmac.new(ctx.csrf.encode(), f"{kind}\x00{name}".encode(), hashlib.sha256).hexdigest()[:32]


def after(ctx: Ctx, kind: Literal["saved", "deleted"], name: str) -> str:
    """Where to go after a save or delete: the page, saying what happened."""
    return "/workforce/peer-groups?" + urlencode({kind: name, "check": _check(ctx, kind, name)})


def message(ctx: Ctx, data: PeerGroupsPage, saved: str, deleted: str, check: str) -> str:
    """What the redirect after a save or delete says happened, if its check holds."""
    if saved and hmac.compare_digest(check.encode(), _check(ctx, "saved", saved).encode()):
        group = next((g for g in data.groups if g.name == saved), None)
        if group is not None:
            return f"Saved the peer group “{saved}” with {len(group.members)} providers."
    if deleted and hmac.compare_digest(check.encode(), _check(ctx, "deleted", deleted).encode()):
        return f"Deleted the peer group “{deleted}”."
    return ""
