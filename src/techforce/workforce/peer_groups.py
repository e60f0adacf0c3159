"""Peer groups: named, overlapping sets of providers (a consortium, a mission group, a
nation), and a provider's position against a group: median, quartiles and rank."""

from __future__ import annotations

import csv
import statistics
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from techforce import audit, errors
from techforce.db import Database
from techforce.disclosure import Cell, protect
from techforce.workforce import codes, events
from techforce.workforce.indicators import BY_ID, Computation
from techforce.workforce.models import PeerGroup, PeerGroupMember, Provider


class PeerGroupError(errors.Refused):
    pass


class GroupForbidden(errors.Forbidden):
    """The peer group belongs to someone else."""


MIN_MEMBERS = 5


def save(
    session: Session,
    name: str,
    ukprns: list[str],
    *,
    description: str = "",
    actor: str,
    owner: str | None = None,
    replace_any: bool = True,
    min_members: int = MIN_MEMBERS,
) -> PeerGroup:
    """Create or replace the named group with exactly these members. ``owner`` is the user
    who creates it (None: a shared group, kept by administrators); an existing group is
    replaced only by its owner or when ``replace_any`` (an administrator or the CLI)."""
    _check_text("name", name, 200)
    _check_text("description", description, 2000, multiline=True)
    members = sorted(set(ukprns))
    bad = [u for u in members if not (len(u) == 8 and u.isdigit())]
    if bad:
        raise PeerGroupError(f"peer group {name!r}: {bad} are not 8-digit UKPRNs")
    unknown = sorted(
        set(members) - set(session.scalars(select(Provider.ukprn).where(Provider.ukprn.in_(members))))
    )
    if unknown:
        raise PeerGroupError(
            f"peer group {name!r}: {', '.join(unknown)} are not providers techforce knows; "
            "check the UKPRNs, or import provider names first (`techforce workforce providers`)"
        )
    if len(members) < min_members:
        raise PeerGroupError(
            f"peer group {name!r} has {len(members)} member(s); a peer group needs at least {min_members} "
            "providers, so that no figure for it is close to a single provider's (disclosure control)"
        )
    group = session.scalar(select(PeerGroup).where(PeerGroup.name == name))
    if group is not None and not replace_any and group.owner != owner:
        raise GroupForbidden(
            f"the peer group {name!r} belongs to {group.owner or 'the administrators'}; "
            "only its owner or an administrator may change it: save yours under another name"
        )
    if group is None:
        similar = [g for g in session.scalars(select(PeerGroup.name)) if _folded(g) == _folded(name)]
        if similar:
            raise PeerGroupError(
                f"a peer group named {similar[0]!r} exists already; names may not differ only in case, "
                "spaces or look-alike characters: choose another name",
                status=409,
            )
        group = PeerGroup(name=name, description=description, owner=owner)
        session.add(group)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise PeerGroupError(
                f"the peer group {name!r} was created by someone else at the same moment; reload and try again",
                status=409,
            ) from None
    group.description = description or group.description
    group.members = [PeerGroupMember(ukprn=u) for u in members]
    audit.record(
        session, actor=actor, action=events.PEER_GROUP_SAVE, target=name, payload={"members": members}
    )
    return group


def _folded(name: str) -> str:
    """A name as compared with others: compatibility-normalised, case-folded, spaces squeezed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _check_text(what: str, value: str, limit: int, *, multiline: bool = False) -> None:
    """Free text is stored as text and shown escaped; control characters (and line breaks
    in a name) are refused so that names stay one line in CSV files, logs and headers."""
    allowed = {"\n", "\t"} if multiline else set()
    if what == "name" and not value.strip():
        raise PeerGroupError("a peer group needs a name")
    if len(value) > limit:
        raise PeerGroupError(f"the peer group {what} is longer than {limit} characters; shorten it")
    if what == "name" and not value.strip("."):
        raise PeerGroupError(
            f"a peer group name may not be only dots: {value!r} in a web address means a folder, so the "
            "group could not be opened or deleted from its page; add a letter or digit"
        )
    invisible = any(unicodedata.category(c) in ("Cf", "Zl", "Zp") for c in value)
    if what == "name" and (invisible or value != value.strip() or "  " in value):
        raise PeerGroupError(
            "a peer group name may not start or end with a space, hold double spaces or invisible characters"
        )
    if any((ord(c) < 32 and c not in allowed) or c == "\x7f" for c in value) or (
        what == "name" and "/" in value
    ):
        raise PeerGroupError(
            f"the peer group {what} contains a control character"
            + (" or '/'" if what == "name" else "")
            + "; use letters, digits, spaces and punctuation"
        )


def remove(
    session: Session, name: str, *, actor: str, owner: str | None = None, remove_any: bool = True
) -> None:
    """Delete the named group (providers and their data are untouched); only its owner, or
    anyone when ``remove_any`` (an administrator or the CLI)."""
    group = session.scalar(select(PeerGroup).where(PeerGroup.name == name))
    if group is None:
        raise PeerGroupError(f"no peer group {name!r}; list them with `techforce workforce peers list`")
    if not remove_any and group.owner != owner:
        raise GroupForbidden(
            f"the peer group {name!r} belongs to {group.owner or 'the administrators'}; "
            "only its owner or an administrator may delete it"
        )
    session.delete(group)
    audit.record(
        session,
        actor=actor,
        action=events.PEER_GROUP_REMOVE,
        target=name,
        payload={"members": [m.ukprn for m in group.members]},
    )


def import_csv(session: Session, path: Path, *, actor: str, min_members: int = MIN_MEMBERS) -> dict[str, int]:
    """Load shared groups from a CSV with columns ``group`` and ``UKPRN`` (one row per
    member). All or nothing: one refused group refuses the file."""
    members: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "group" not in fields or "ukprn" not in fields:
            raise PeerGroupError(f"{path}: needs columns 'group' and 'UKPRN' (found {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            ukprn = (row[fields["ukprn"]] or "").strip()
            if not (len(ukprn) == 8 and ukprn.isdigit()):
                raise PeerGroupError(f"{path}:{line}: UKPRN {ukprn!r} is not 8 digits; fix the row")
            members.setdefault(row[fields["group"]].strip(), []).append(ukprn)
    for name, ukprns in members.items():
        try:
            save(session, name, ukprns, actor=actor, min_members=min_members)
        except PeerGroupError as exc:
            raise PeerGroupError(f"{path}: {exc}; nothing was imported") from None
    return {name: len(u) for name, u in members.items()}


def import_providers(session: Session, path: Path, *, actor: str) -> int:
    """Provider names, nations and regions from an open-data style CSV (UKPRN, HE provider,
    Country of HE provider, Region of HE provider)."""
    count = 0
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "ukprn" not in fields or "he provider" not in fields:
            raise PeerGroupError(f"{path}: needs columns 'UKPRN' and 'HE provider'")
        for row in reader:
            ukprn = row[fields["ukprn"]].strip()
            provider = session.get(Provider, ukprn) or Provider(ukprn=ukprn)
            provider.name = row[fields["he provider"]].strip()
            provider.nation = (row.get(fields.get("country of he provider", ""), "") or "").strip()
            provider.region = (row.get(fields.get("region of he provider", ""), "") or "").strip()
            session.add(provider)
            count += 1
    audit.record(
        session,
        actor=actor,
        action=events.PROVIDERS_IMPORT,
        target=str(path),
        payload={"providers": count},
    )
    return count


def members(session: Session, name: str) -> list[str]:
    group = session.scalar(select(PeerGroup).where(PeerGroup.name == name))
    if group is None:
        known = ", ".join(session.scalars(select(PeerGroup.name).order_by(PeerGroup.name)))
        raise PeerGroupError(
            f"no peer group {name!r}; known: {known or 'none'} "
            "(create one with `techforce workforce peers add`)"
        )
    return [m.ukprn for m in group.members]


def memberships(db: Database) -> dict[str, list[str]]:
    """Every group's members (sorted), in one query."""
    found: dict[str, list[str]] = {}
    with db.session() as session:
        for name in session.scalars(select(PeerGroup.name)):
            found[name] = []
        rows = session.execute(
            select(PeerGroup.name, PeerGroupMember.ukprn)
            .join(PeerGroupMember, PeerGroupMember.group_id == PeerGroup.id)
            .order_by(PeerGroup.name, PeerGroupMember.ukprn)
        )
        for name, ukprn in rows:
            found[name].append(ukprn)
    return found


def all_groups(session: Session) -> list[PeerGroup]:
    return list(
        session.scalars(select(PeerGroup).options(selectinload(PeerGroup.members)).order_by(PeerGroup.name))
    )


@dataclass
class Position:
    indicator: str
    year: int
    ukprn: str
    group: str
    value: Cell
    median: Cell
    lower_quartile: Cell
    upper_quartile: Cell
    rank: int | None
    of: int
    quartile: str
    own: float | None = None  # the provider's published value (None when suppressed)
    values: tuple[float, ...] = ()  # every published value in the group, highest first

    def as_dict(self) -> dict[str, object]:
        return {
            "indicator": self.indicator,
            "year": codes.year_label(self.year),
            "provider": self.ukprn,
            "group": self.group,
            "value": self.value.display,
            "median": self.median.display,
            "lower_quartile": self.lower_quartile.display,
            "upper_quartile": self.upper_quartile.display,
            "rank": self.rank,
            "of": self.of,
            "quartile": self.quartile,
        }


def position(
    comp: Computation, indicator: str, year: int, ukprn: str, group: str, group_members: list[str]
) -> Position:
    """Where a provider stands in a group on a single-valued indicator (rank 1 = highest).

    Everything is computed from the published values (perturbed, rounded, suppressed):
    a provider whose figure is suppressed takes no part in the median, quartiles or ranks,
    and equal published values share a rank. So a position teaches nothing that the
    published figures of the group's providers do not already show."""
    ind = BY_ID[indicator]
    if ind.breakdown or ind.unit == "level":
        raise PeerGroupError(f"{indicator} has categories; compare a single-valued indicator")
    cells = comp.provider_cells(indicator, year)
    wanted = set(group_members) | {ukprn}
    published = {
        u: float(c.value) for u, c in cells.items() if u in wanted and isinstance(c.value, int | float)
    }
    own_cell = cells.get(ukprn) or protect(None, ind.unit, comp.rules)
    own = published.get(ukprn)
    ordered = sorted(published.values(), reverse=True)
    if len(ordered) >= 2:
        q1, med, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = med = q3 = ordered[0] if ordered else None  # type: ignore[assignment]
    rank = 1 + sum(v > own for v in ordered) if own is not None else None
    quartile = "no data"
    if own is not None and med is not None:
        quartile = (
            "top quartile"
            if own >= q3
            else "second quartile"
            if own >= med
            else "third quartile"
            if own >= q1
            else "bottom quartile"
        )
    median, lower, upper = (_statistic(v, ind.unit, comp.rules.marker) for v in (med, q1, q3))
    return Position(
        indicator,
        year,
        ukprn,
        group,
        own_cell,
        median,
        lower,
        upper,
        rank,
        len(ordered),
        quartile,
        own,
        tuple(ordered),
    )


def _statistic(value: float | None, unit: str, marker: str) -> Cell:
    """A median or quartile of published values: shown as computed, with where it comes from."""
    if value is None:
        return Cell(None, marker, "no published values")
    shown = f"{value:.1f}%" if unit == "percent" else f"{value:,.1f}".removesuffix(".0")
    return Cell(round(value, 1), shown, "statistic of the published values")
