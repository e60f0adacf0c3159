"""Peer groups: named, overlapping sets of providers (a consortium, a mission group, a
nation), and a provider's position against a group: median, quartiles and rank."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from techforce import audit
from techforce.disclosure import Cell, protect
from techforce.workforce import codes
from techforce.workforce.indicators import BY_ID, Computation
from techforce.workforce.models import PeerGroup, PeerGroupMember, Provider


class PeerGroupError(ValueError):
    pass


def save(session: Session, name: str, ukprns: list[str], *, description: str = "", actor: str) -> PeerGroup:
    """Create or replace the named group with exactly these members."""
    bad = [u for u in ukprns if not (len(u) == 8 and u.isdigit())]
    if bad:
        raise PeerGroupError(f"peer group {name!r}: {bad} are not 8-digit UKPRNs")
    if not ukprns:
        raise PeerGroupError(f"peer group {name!r} has no members")
    group = session.scalar(select(PeerGroup).where(PeerGroup.name == name))
    if group is None:
        group = PeerGroup(name=name, description=description)
        session.add(group)
    group.description = description or group.description
    group.members = [PeerGroupMember(ukprn=u) for u in sorted(set(ukprns))]
    audit.record(session, actor=actor, action="workforce.peer_group.save", target=name,
                 payload={"members": sorted(set(ukprns))})
    return group


def remove(session: Session, name: str, *, actor: str) -> None:
    """Delete the named group (providers and their data are untouched)."""
    group = session.scalar(select(PeerGroup).where(PeerGroup.name == name))
    if group is None:
        raise PeerGroupError(f"no peer group {name!r}; list them with `techforce workforce peers list`")
    session.delete(group)
    audit.record(session, actor=actor, action="workforce.peer_group.remove", target=name,
                 payload={"members": [m.ukprn for m in group.members]})


def import_csv(session: Session, path: Path, *, actor: str) -> dict[str, int]:
    """Load groups from a CSV with columns ``group`` and ``UKPRN`` (one row per member)."""
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
        save(session, name, ukprns, actor=actor)
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
    audit.record(session, actor=actor, action="workforce.providers.import", target=str(path),
                 payload={"providers": count})
    return count


def members(session: Session, name: str) -> list[str]:
    group = session.scalar(select(PeerGroup).where(PeerGroup.name == name))
    if group is None:
        known = ", ".join(session.scalars(select(PeerGroup.name).order_by(PeerGroup.name)))
        raise PeerGroupError(f"no peer group {name!r}; known: {known or 'none'} "
                             "(create one with `techforce workforce peers add`)")  # fmt: skip
    return [m.ukprn for m in group.members]


def all_groups(session: Session) -> list[PeerGroup]:
    return list(session.scalars(select(PeerGroup).order_by(PeerGroup.name)))


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

    def as_dict(self) -> dict[str, object]:
        return {"indicator": self.indicator, "year": codes.year_label(self.year),
                "provider": self.ukprn, "group": self.group, "value": self.value.display,
                "median": self.median.display, "lower_quartile": self.lower_quartile.display,
                "upper_quartile": self.upper_quartile.display, "rank": self.rank,
                "of": self.of, "quartile": self.quartile}  # fmt: skip


def position(comp: Computation, indicator: str, year: int, ukprn: str, group: str,
             group_members: list[str]) -> Position:  # fmt: skip
    """Where a provider stands in a group on a single-valued indicator (rank 1 = highest).
    Statistics use unrounded values; each published figure then passes disclosure control."""
    ind = BY_ID[indicator]
    if ind.breakdown or ind.unit == "level":
        raise PeerGroupError(f"{indicator} has categories; compare a single-valued indicator")
    values = comp.provider_values(indicator, year)
    peers = {u: v for u, v in values.items() if u in set(group_members) | {ukprn}}
    own_cell = protect(peers.get(ukprn), ind.unit, comp.rules)
    combined: float | None = None
    if ind.unit == "percent":
        # A provider's percentage on a small population is suppressed, so it must not
        # surface as a group median either: statistics use publishable percentages only,
        # and are published on the combined population they are based on.
        dens = comp.provider_denominators(indicator, year)
        own_cell = protect(peers.get(ukprn), "percent", comp.rules, population=dens.get(ukprn))
        if comp.rules.rounding:
            peers = {u: v for u, v in peers.items()
                     if dens.get(u, 0) >= comp.rules.percent_min_population}  # fmt: skip
        combined = sum(dens.get(u, 0) for u in peers)

    def cell(v: float | None) -> Cell:
        return protect(v, ind.unit, comp.rules, population=combined)

    own = peers.get(ukprn)
    ordered = sorted(peers.values(), reverse=True)
    if len(ordered) >= 2:
        q1, med, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = med = q3 = ordered[0] if ordered else None  # type: ignore[assignment]
    rank = ordered.index(own) + 1 if own is not None else None
    quartile = "no data"
    if own is not None and med is not None:
        quartile = ("top quartile" if own >= q3 else "second quartile" if own >= med
                    else "third quartile" if own >= q1 else "bottom quartile")  # fmt: skip
    return Position(indicator, year, ukprn, group, own_cell, cell(med), cell(q1), cell(q3), rank,
                    len(ordered), quartile)
