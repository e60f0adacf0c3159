"""The workforce capability's service: indicator computations over the catalogue and the
cache of page data, both kept per data version. Every change is audited in the same
transaction, so the newest audit event among events.DATA_CHANGES is the version."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import func, select

from techforce import errors
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.disclosure import RULE_SETS, RuleSet
from techforce.settings import Settings
from techforce.workforce import definitions, events, indicators, peer_groups, store
from techforce.workforce.indicators import Computation
from techforce.workforce.models import Provider


class NotFound(errors.NotFound):
    """A provider, group, indicator or year that does not exist; the message names it."""


class NoData(NotFound):
    """Nothing has been ingested yet."""


Page = TypeVar("Page")
MAX_CACHED_PAGES = 512
MAX_CACHED_COMPUTATIONS = 8  # definitions x rule sets kept at once
VERSION_TTL = 1.0  # seconds


class Workforce:
    """Indicator computations and page data over the catalogue, cached until the data
    changes. Every change is audited in the same transaction, so the newest data-changing
    audit event is the version (this sees changes made by other processes too)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._computations: OrderedDict[tuple[Any, ...], Computation] = OrderedDict()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self._pages: OrderedDict[tuple[Any, ...], object] = OrderedDict()  # page models
        self._pages_version: int | None = -1
        self._version: int | None = None
        self._version_read = float("-inf")
        self._groups: tuple[int | None, dict[str, list[str]]] | None = None
        self._lock = threading.Lock()  # guards the dictionaries only, never held while computing

    def version(self) -> int | None:
        """The data version, read from the store at most every VERSION_TTL seconds (changes
        made through this object call invalidate() and show at once; others within 1 s)."""
        now = time.monotonic()
        if now - self._version_read < VERSION_TTL:
            return self._version
        with self.db.session() as session:
            self._version = session.scalar(
                select(func.max(AuditEvent.id)).where(AuditEvent.action.in_(events.DATA_CHANGES))
            )
        self._version_read = now
        return self._version

    def invalidate(self) -> None:
        self._version_read = float("-inf")

    def computation(self, definition: str | None = None, rules: RuleSet | None = None) -> Computation:
        chosen_rules = rules or RULE_SETS[self.settings.disclosure_rules]
        with self.db.session() as session:
            chosen = definitions.get(definition, session)
        key = (self.version(), chosen.stamp, chosen_rules.stamp)
        found = self._cached_computation(key)
        if found is not None:
            return found
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per key; other keys and cached reads go on meanwhile
            found = self._cached_computation(key)
            if found is None:
                with self.db.session() as session:
                    files, returned = store.catalogue_inputs(session, self.settings)
                found = indicators.compute(files, returned, chosen, chosen_rules)
                with self._lock:
                    self._computations[key] = found
                    while len(self._computations) > MAX_CACHED_COMPUTATIONS:
                        self._computations.popitem(last=False)
                    self._building.pop(key, None)
            return found

    def _cached_computation(self, key: tuple[Any, ...]) -> Computation | None:
        with self._lock:
            found = self._computations.get(key)
            if found is not None:
                self._computations.move_to_end(key)
            return found

    def cached(self, key: tuple[Any, ...], build: Callable[[], Page]) -> Page:
        """Page data for ``key`` (a frozen page model), built once per data version. The key
        names the page, so one key always holds the same type. Callers must not mutate it."""
        version = self.version()
        with self._lock:
            if self._pages_version != version:
                self._pages, self._pages_version = OrderedDict(), version
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
        if found is None:
            built = build()
            with self._lock:
                if self._pages_version == version:  # not if the data changed while it was built
                    self._pages[key] = built
                    while len(self._pages) > MAX_CACHED_PAGES:
                        self._pages.popitem(last=False)
            return built
        return cast(Page, found)

    def names(self) -> dict[str, str]:
        with self.db.session() as session:
            return {p.ukprn: p.name or p.ukprn for p in session.scalars(select(Provider))}

    def places(self) -> dict[str, str]:
        """Each provider's area for maps and filters: its English region, or its nation
        outside England ("" when not imported)."""
        with self.db.session() as session:
            return {
                p.ukprn: (p.region if p.nation == "England" else p.nation) or p.region or p.nation
                for p in session.scalars(select(Provider))
            }

    def nations(self) -> dict[str, str]:
        with self.db.session() as session:
            return {p.ukprn: p.nation for p in session.scalars(select(Provider))}

    def years(self, comp: Computation) -> list[int]:
        return sorted({y for _, y in comp.returned})

    def groups(self) -> dict[str, list[str]]:
        """Every peer group's members, read in one query and kept for the data version."""
        version = self.version()
        with self._lock:
            if self._groups is not None and self._groups[0] == version:
                return self._groups[1]
        found = peer_groups.memberships(self.db)
        with self._lock:
            self._groups = (version, found)
        return found
