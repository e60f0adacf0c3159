"""The impact dashboard: what the programmes delivered, to whom, what participants said and
what changed afterwards, as one page of data (impact_models.ImpactPage) that the web page,
its JSON twin, the CSV download and the CLI all show.

Disclosure (SECURITY.md; impact_sections.Gate): every count of people is perturbed with the
cell key method and rounded (a participant's record key is the first 32 bits of
HMAC(deployment key, "participant/<id>"); a cell's key is the sum of its people's keys modulo
2**32); percentages come from perturbed counts and are suppressed when the population (true
or published) is below the rule set's threshold; means are suppressed on 7 or fewer people;
money is not rounded. The cost of a selection is the cost per place times its *perturbed*
places, so that it never gives away a true count. Counts of sessions and cohorts are not
about people and are shown as they are. The page carries the rule set's stamp.

Pages are cached (Impact) per data version, the newest audit event among the programmes' and
the workforce's data changes, and until the next session starts (sessions delivered count
those started before the page was built); the staff data are read once per workforce version."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from techforce import errors
from techforce.audit import AuditEvent, utcnow
from techforce.db import Database
from techforce.disclosure import RULE_SETS, RuleSet
from techforce.present import tables
from techforce.programmes import events, impact_charts, impact_data, impact_sections, impact_staff
from techforce.programmes.impact_data import Data, Place, academic_year, participant_key
from techforce.programmes.impact_models import ImpactPage, Meta, Option
from techforce.settings import Settings
from techforce.workforce import codes, peer_groups, store
from techforce.workforce import events as workforce_events
from techforce.workforce.page_models import Cell

__all__ = ["Impact", "ImpactPage", "academic_year", "build", "dashboard", "impact_csv", "participant_key"]

VERSION_TTL = 1.0  # seconds
MAX_CACHED_PAGES = 64
DATA_CHANGES = (*events.DATA_CHANGES, *workforce_events.DATA_CHANGES)
HEADLINE_MEASURES = (
    "cohorts",
    "sessions",
    "places",
    "participants",
    "starters",
    "completers",
    "providers",
    "cost",
    "cost_per_participant",
)
FEEDBACK_MEASURES = ("responses", "reaction", "recommend", "before", "after", "gain")
OUTCOME_MEASURES = (
    "reported",
    "promoted",
    "role_changed",
    "grade_changed",
    "registration",
    "leadership_role",
    "committee_seat",
)
MATCHED_MEASURES = (
    "participants",
    "unmatched",
    "controls",
    "participants_rate",
    "comparison_rate",
    "difference",
)
NOTES = [
    "Sessions delivered are those that had started when the page was built; a cohort and its "
    "sessions count in the academic year (August to July) the cohort starts.",
    "Starters were present at one session or more; completers met their programme's completion "
    "rule (attendance and, where asked, the final project). People are counted once per row.",
    "Cost is the cost per place times the places taken (as perturbed for publication); cost per "
    "participant divides it by the participants.",
    "The workforce profile is technical staff FPE on 1 December of providers that returned "
    "non-academic staff; participants' profile is their own description, headcount.",
]


def build(
    settings: Settings,
    db: Database,
    *,
    programme: str | None = None,
    year: int | None = None,
    rules: RuleSet | None = None,
    now: datetime | None = None,
    version: int | None = None,
    staff: impact_staff.StaffView | None = None,
) -> tuple[ImpactPage, datetime | None]:
    """The page, and the moment it goes stale (the next session's start). ``staff``: the staff
    data as read already (read here when not given)."""
    rules = rules or RULE_SETS[settings.disclosure_rules]
    groups = peer_groups.memberships(db)
    with db.session() as s:
        data = impact_data.load(s, now or utcnow())
        _check(data, programme, year)
        key = store.load_or_create_key(settings.key_file)
        view = staff if staff is not None else impact_staff.staff_view(s, settings)
    gate = impact_sections.Gate(rules, {i: participant_key(key, i) for i in data.people})
    chosen = [
        p for p in data.places if impact_sections.in_selection(data, p.programme_id, p.year, programme, year)
    ]
    return _page(data, gate, chosen, programme, year, view, groups, version), data.next_start


def _check(data: Data, programme: str | None, year: int | None) -> None:
    if programme is not None and not any(p.slug == programme for p in data.programmes.values()):
        raise errors.NotFound(f"no programme {programme!r}: see `techforce programmes list` for their slugs")
    held = sorted({y for _, y, _n, _d in data.cohorts.values()})
    if year is not None and year not in held:
        have = ", ".join(codes.year_label(y) for y in held) or "none yet"
        raise errors.NotFound(f"no cohorts in {codes.year_label(year)}; academic years with cohorts: {have}")


def _options(data: Data) -> tuple[list[Option], list[Option]]:
    programmes = sorted(data.programmes.values(), key=lambda p: p.title.lower())
    years = sorted({y for _, y, _n, _d in data.cohorts.values()})
    return (
        [Option(value=p.slug, label=p.title) for p in programmes],
        [Option(value=str(y), label=codes.year_label(y)) for y in years],
    )


def _page(
    data: Data,
    gate: impact_sections.Gate,
    chosen: list[Place],
    programme: str | None,
    year: int | None,
    staff: impact_staff.StaffView,
    groups: dict[str, list[str]],
    version: int | None,
) -> ImpactPage:
    titles = {p.id: p.title for p in data.programmes.values()}
    slugs = {p.id: p.slug for p in data.programmes.values()}
    cohorts: dict[int, list[int]] = {}  # programme -> the selection's cohorts
    cohort_years: dict[int, list[int]] = {}
    for cid, (pid, y, _n, _d) in data.cohorts.items():
        if impact_sections.in_selection(data, pid, y, programme, year):
            cohorts.setdefault(pid, []).append(cid)
            cohort_years.setdefault(y, []).append(cid)
    places: dict[int, list[Place]] = {}
    places_years: dict[int, list[Place]] = {}
    for p in chosen:
        places.setdefault(p.programme_id, []).append(p)
        places_years.setdefault(p.year, []).append(p)
    shown = sorted(cohorts, key=lambda i: titles[i].lower())
    by_programme = [
        impact_sections.headline(data, gate, places.get(pid, []), cohorts[pid], titles[pid], slugs[pid], year)
        for pid in shown
    ]
    by_year = [
        impact_sections.headline(
            data, gate, places_years.get(y, []), cohort_years[y], codes.year_label(y), programme, y
        )
        for y in sorted(cohort_years)
    ]
    name = next((p.title for p in data.programmes.values() if p.slug == programme), None)
    every = [c for ids in cohorts.values() for c in ids]
    total = impact_sections.headline(data, gate, chosen, every, name or "All programmes", programme, year)
    feedback = [
        impact_sections.feedback(data, gate, places.get(pid, []), titles[pid], slugs[pid]) for pid in shown
    ]
    if len(feedback) != 1:
        feedback.append(impact_sections.feedback(data, gate, chosen, "All programmes", None))
    outcomes = impact_sections.outcomes(data, gate, chosen)
    profile = impact_sections.profile(data, gate, sorted({p.participant_id for p in chosen}), staff.profile)
    programmes, years = _options(data)
    return ImpactPage(
        title="Programme impact" + (f": {name}" if name else ""),
        programme=programme,
        programme_title=name,
        year=codes.year_label(year) if year is not None else None,
        programmes=programmes,
        years=years,
        meta=Meta(
            disclosure=gate.rules.stamp,
            disclosure_method=gate.rules.description,
            definition=staff.profile.definition,
            workforce_year=codes.year_label(staff.profile.year) if staff.profile.year else None,
            data_version=version,
            notes=NOTES,
        ),
        headline=total,
        by_programme=by_programme,
        by_year=by_year,
        feedback=feedback,
        outcomes=outcomes,
        profile=profile,
        matched=impact_sections.matched(staff, data, gate, chosen, groups),
        charts=impact_charts.charts(by_year, profile, outcomes),
    )


def dashboard(
    settings: Settings, db: Database, *, programme: str | None = None, year: int | None = None
) -> ImpactPage:
    """The impact page for a programme (its slug) or all, and an academic year (2023 for
    2023/24) or all, built now (Impact caches it)."""
    return build(settings, db, programme=programme, year=year)[0]


def true_matching(settings: Settings, db: Database, *, programme: str | None = None) -> impact_staff.Matching:
    """The matched comparison in true values (which participants were matched, the rates
    unprotected): for checks and for an operator, never for publication."""
    groups = peer_groups.memberships(db)
    with db.session() as s:
        data = impact_data.load(s, utcnow())
        _check(data, programme, None)
        view = impact_staff.staff_view(s, settings)
    chosen = [
        p for p in data.places if impact_sections.in_selection(data, p.programme_id, p.year, programme, None)
    ]
    return impact_staff.matching(view, impact_sections.treated(data, chosen), groups)


def data_version(db: Database, actions: tuple[str, ...] = DATA_CHANGES) -> int | None:
    """The newest audit event that changed programmes or workforce data (or ``actions``)."""
    with db.session() as s:
        found: int | None = s.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.action.in_(actions)))
        return found


class Impact:
    """Impact pages cached per data version and until the next session starts, and the staff
    data read once per workforce data version. Held by the capability's facade; safe to share
    between threads (pages are built outside the lock)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._pages: OrderedDict[tuple[Any, ...], tuple[ImpactPage, datetime | None]] = OrderedDict()
        self._staff: tuple[int | None, impact_staff.StaffView] | None = None
        self._versions: tuple[int | None, int | None] = (None, None)
        self._version_read = float("-inf")
        self._lock = threading.Lock()
        self._reading = threading.Lock()  # one read of the staff data at a time

    def versions(self) -> tuple[int | None, int | None]:
        """(all data, workforce data) versions, read at most every VERSION_TTL seconds."""
        now = time.monotonic()
        if now - self._version_read >= VERSION_TTL:
            both = (data_version(self.db), data_version(self.db, workforce_events.DATA_CHANGES))
            self._versions, self._version_read = both, now
        return self._versions

    def version(self) -> int | None:
        return self.versions()[0]

    def invalidate(self) -> None:
        self._version_read = float("-inf")

    def staff(self) -> impact_staff.StaffView:
        version = self.versions()[1]
        with self._reading:
            held = self._staff
            if held is None or held[0] != version:
                with self.db.session() as s:
                    held = (version, impact_staff.staff_view(s, self.settings))
                self._staff = held
            return held[1]

    def dashboard(self, *, programme: str | None = None, year: int | None = None) -> ImpactPage:
        version = self.version()
        key = (version, programme, year, self.settings.disclosure_rules)
        now = utcnow()
        with self._lock:
            found = self._pages.get(key)
        if found is not None and (found[1] is None or now < found[1]):
            return found[0]
        page, stale = build(
            self.settings,
            self.db,
            programme=programme,
            year=year,
            now=now,
            version=version,
            staff=self.staff(),
        )
        with self._lock:
            self._pages[key] = (page, stale)
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        return page


# ---------------------------------------------------------------- CSV


def _flat(section: str, label: str, measures: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for measure, value in measures:
        if isinstance(value, Cell):
            shown, disclosure, raw = value.display, value.disclosure, value.value
        else:
            shown, disclosure, raw = f"{value:,}", "not about people: shown as is", value
        rows.append(
            {
                "section": section,
                "row": label,
                "measure": measure,
                "value": raw,
                "shown": shown,
                "disclosure": disclosure,
            }
        )
    return rows


def impact_csv(page: ImpactPage) -> str:
    """The page as one long table (section, row, measure, value, shown, disclosure, rules),
    the rule set's stamp on every row; cells a spreadsheet would run as formulas neutralised."""
    rows: list[dict[str, Any]] = []
    heads = [("Headline", page.headline)]
    heads += [("By programme", r) for r in page.by_programme] + [("By year", r) for r in page.by_year]
    for section, h in heads:
        rows += _flat(section, h.label, [(k, getattr(h, k)) for k in HEADLINE_MEASURES])
    for f in page.feedback:
        rows += _flat("Feedback", f.label, [(k, getattr(f, k)) for k in FEEDBACK_MEASURES])
    for o in page.outcomes:
        rows += _flat("Outcomes", f"{o.months} months", [(k, getattr(o, k)) for k in OUTCOME_MEASURES])
    for p in page.profile:
        rows += _flat(
            "Profile",
            f"{p.dimension}: {p.category}",
            [("participants %", p.participants), ("technical workforce %", p.workforce)],
        )
    m = page.matched
    rows += _flat("Matched comparison", m.outcome, [(k, getattr(m, k)) for k in MATCHED_MEASURES])
    for row in rows:
        row["rules"] = page.meta.disclosure
    return tables.to_csv(rows)
