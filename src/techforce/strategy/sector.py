"""The sector view for analysts: how providers take up the recommendations, how Technician
Commitment signatories keep to their stages, and whether pledges to appoint a strategic
technical lead show in the staff data, year by year.

Every figure is a count of providers, or a percentage of one, and passes the disclosure gate
(:class:`ProviderGate`) before it is published. The gate works a row at a time, because a
row is a group of providers: one signing cohort at one stage (compliance), the providers with
a pledge on one recommendation (adoption), or one group's providers with a staff return in
one year (leaders). A row's population is that group's number of providers.

- A row whose population is 1 to ``min_peer_group_size - 1`` (the fewest a peer group may
  have, 5 by default) has EVERY cell hidden, zeros included, with the reason "a group of
  fewer than 5 providers". Otherwise an exact 0 beside a hidden cell would say what the
  group's few members did: a cohort of one signatory with "on time 0, late 0, overdue .."
  names that provider as overdue, since who signed when is public. The row is still listed,
  so the table's shape does not depend on what its members did. A row of no providers at all
  shows its zeros: it says nothing about anyone.
- In a row big enough to show, a true 0 is shown; a count of 1 to 4 providers is hidden; a
  larger count is rounded to the nearest 5 with HESA rounding (halves up).
- A percentage is computed from the published counts, never the true ones, and suppressed
  when its published population is below the rule set's threshold (22.5) or its count is
  hidden.
- The "all cohorts" row counts only the cohorts big enough to be shown. Were the small
  cohorts in it, "all cohorts" minus the published cohort rows would bound them: usually only
  to a range, which is the protection HESA rounding gives, but not always. When a large
  cohort's true count sits at a rounding edge (27 shows as 25, 28 as 30), one more provider
  in a small cohort moves the total across the edge and the difference has one value only.
  Left out of every total, a small cohort's state cannot be read from the table at all.

A hidden cell shows the rule set's marker and the reason. There are no per-provider rows:
what one provider pledged or submitted is that provider's own page. What the gate does not
cover: figures about the same providers published in other views (the workforce tables), and
the view's changes over time (it is live).

Page data only: no HTTP, no clock (``today`` is passed in)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import disclosure
from techforce.disclosure import Cell, RuleSet
from techforce.present.tables import to_csv
from techforce.strategy import records, schedule
from techforce.strategy.models import Pledge, Recommendation, RecommendationSet, Signatory, Submission
from techforce.workforce import codes
from techforce.workforce.indicators import Computation
from techforce.workforce.service import Workforce

# the recommendations that pledge a provider to appoint a strategic technical lead
LEAD_RECOMMENDATIONS = (("stl-2024", "STL-1"), ("talent-commission-2022", "TC-1"))
LEADER_INDICATOR = "leadership.has_leader"
PLEDGED_GROUP = "pledged to appoint a strategic lead"
OTHER_GROUP = "did not pledge"
ALL_COHORTS = "all cohorts shown"


@dataclass(frozen=True)
class ProviderGate:
    """Publishes counts of providers and percentages of them (see the module's docstring)."""

    rules: RuleSet
    least: int

    def small(self, population: int) -> bool:
        """Whether a group of ``population`` providers is too small to show anything of."""
        return 0 < population < self.least

    @property
    def small_group(self) -> Cell:
        """A cell of a row whose group is too small: hidden, whatever its value."""
        return Cell(None, self.rules.marker, f"suppressed: a group of fewer than {self.least} providers")

    def counts(self, population: int, counts: dict[str, int]) -> dict[str, Cell]:
        """A row's counts as published: every one hidden when its group is small."""
        if self.small(population):
            return dict.fromkeys(counts, self.small_group)
        return {k: self.count(n) for k, n in counts.items()}

    def share(self, population: int, part: Cell, whole: Cell) -> Cell:
        """A row's percentage: hidden with its row when the group is small."""
        return self.small_group if self.small(population) else self.percent(part, whole)

    def count(self, n: int) -> Cell:
        if n == 0:
            return Cell(0, "0", "none")
        if n < self.least:
            return Cell(None, self.rules.marker, f"suppressed: fewer than {self.least} providers")
        rounded = disclosure.round_count(n, self.rules)
        return Cell(rounded, f"{rounded:,}", f"providers, rounded to nearest {self.rules.round_to}")

    def percent(self, part: Cell, whole: Cell) -> Cell:
        """``part`` as a percentage of ``whole``, both as published."""
        floor = self.rules.percent_min_population
        if not isinstance(whole.value, int) or whole.value < floor:
            return Cell(None, self.rules.marker, f"suppressed: fewer than {floor:g} providers")
        if not isinstance(part.value, int):
            return Cell(None, self.rules.marker, "suppressed with its count")
        share = min(100.0, 100.0 * part.value / whole.value)
        return Cell(round(share, 1), f"{share:.1f}%", "from the published (rounded) counts")

    @property
    def stamp(self) -> str:
        return (
            f"{self.rules.stamp}; providers: fewer than {self.least} suppressed, others rounded to "
            f"nearest {self.rules.round_to}; percentages from published counts, suppressed below "
            f"{self.rules.percent_min_population:g}"
        )


@dataclass(frozen=True)
class AdoptionRow:
    """How many providers pledged to act on one recommendation, and how far they got."""

    set_slug: str
    set_title: str
    code: str
    title: str
    pledged: Cell
    in_progress: Cell
    done: Cell
    providers: Cell  # every provider with a pledge that is not withdrawn
    done_share: Cell


@dataclass(frozen=True)
class ComplianceRow:
    """Where signatories stand on one stage (all of them, or one signing cohort)."""

    stage: str
    stage_label: str
    cohort: str
    signatories: Cell
    on_time: Cell
    late: Cell
    overdue: Cell
    not_yet_due: Cell
    due: Cell  # submitted, or past the due date
    on_time_share: Cell


@dataclass(frozen=True)
class LeaderRow:
    """Of a group of providers with a staff return in a year, how many show a strategic
    technical leader."""

    year: str
    group: str
    returned: Cell
    with_leader: Cell
    share: Cell


@dataclass(frozen=True)
class SectorView:
    today: date
    disclosure: str
    adoption: list[AdoptionRow]
    compliance: list[ComplianceRow]
    leaders: list[LeaderRow]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- adoption


def _adoption(s: Db, gate: ProviderGate) -> list[AdoptionRow]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for rec_id, status in s.execute(select(Pledge.recommendation_id, Pledge.status)):
        if status != "withdrawn":
            counts[rec_id][status] += 1
    rows = []
    found = s.execute(
        select(Recommendation, RecommendationSet)
        .join(RecommendationSet, Recommendation.set_id == RecommendationSet.id)
        .order_by(RecommendationSet.slug, RecommendationSet.id, Recommendation.position)
    )
    for rec, rs in found:
        c = counts.get(rec.id, Counter())
        population = sum(c.values())
        cells = gate.counts(
            population,
            {
                "pledged": c["pledged"],
                "in_progress": c["in-progress"],
                "done": c["done"],
                "providers": population,
            },
        )
        rows.append(
            AdoptionRow(
                set_slug=f"{rs.slug}@{rs.version}",
                set_title=rs.title,
                code=rec.code,
                title=rec.title,
                pledged=cells["pledged"],
                in_progress=cells["in_progress"],
                done=cells["done"],
                providers=cells["providers"],
                done_share=gate.share(population, cells["done"], cells["providers"]),
            )
        )
    return rows


# ---------------------------------------------------------------- compliance

_ON_TIME = (schedule.SUBMITTED,)
_LATE = (schedule.SUBMITTED_LATE,)
_OVERDUE = (schedule.OVERDUE,)


def _standings(s: Db, today: date) -> list[tuple[str, schedule.Due]]:
    """(cohort, standing) for every milestone of every signatory."""
    submitted: dict[str, dict[str, date]] = defaultdict(dict)
    for ukprn, stage, on in s.execute(
        select(Submission.ukprn, Submission.stage, Submission.submitted_on).where(
            Submission.submitted_on.is_not(None)  # first submitted (kept when reopened to correct)
        )
    ):
        if on is not None and stage in schedule.KINDS:
            submitted[ukprn][stage] = on
    out = []
    for sig in s.scalars(select(Signatory)):
        # a submission dated before the (corrected) signing date counts as not yet in
        theirs = {k: on for k, on in submitted[sig.ukprn].items() if on >= sig.signed}
        for due in schedule.standing(sig.signed, theirs, today):
            out.append((schedule.cohort(sig.signed), due))
    return out


def _compliance_row(gate: ProviderGate, stage: str, cohort: str, states: list[str]) -> ComplianceRow:
    c = Counter(states)
    cells = gate.counts(
        len(states),
        {
            "signatories": len(states),
            "on_time": sum(c[k] for k in _ON_TIME),
            "late": sum(c[k] for k in _LATE),
            "overdue": sum(c[k] for k in _OVERDUE),
            "not_yet_due": sum(c[k] for k in (schedule.NOT_YET_OPEN, schedule.OPEN, schedule.DUE_SOON)),
            "due": sum(c[k] for k in (*_ON_TIME, *_LATE, *_OVERDUE)),
        },
    )
    return ComplianceRow(
        stage=stage,
        stage_label=records.STAGE_LABELS[stage],
        cohort=cohort,
        signatories=cells["signatories"],
        on_time=cells["on_time"],
        late=cells["late"],
        overdue=cells["overdue"],
        not_yet_due=cells["not_yet_due"],
        due=cells["due"],
        on_time_share=gate.share(len(states), cells["on_time"], cells["due"]),
    )


def _compliance(s: Db, gate: ProviderGate, today: date) -> list[ComplianceRow]:
    by_stage: dict[str, dict[str, list[str]]] = {k: defaultdict(list) for k in schedule.KINDS}
    for cohort, due in _standings(s, today):
        by_stage[due.milestone.kind][cohort].append(due.state)
    rows = []
    for stage in schedule.KINDS:
        cohorts = by_stage[stage]
        # a small cohort is left out of the total: the total less the cohorts shown would bound it
        every = [state for states in cohorts.values() if not gate.small(len(states)) for state in states]
        rows.append(_compliance_row(gate, stage, ALL_COHORTS, every))
        rows.extend(_compliance_row(gate, stage, c, cohorts[c]) for c in sorted(cohorts))
    return rows


# ---------------------------------------------------------------- commitments against the data


def lead_pledgers(s: Db) -> set[str]:
    """Providers with a pledge (not withdrawn) to appoint a strategic technical lead."""
    found = set()
    for slug, code in LEAD_RECOMMENDATIONS:
        found |= set(
            s.scalars(
                select(Pledge.ukprn)
                .join(Recommendation, Pledge.recommendation_id == Recommendation.id)
                .join(RecommendationSet, Recommendation.set_id == RecommendationSet.id)
                .where(
                    RecommendationSet.slug == slug, Recommendation.code == code, Pledge.status != "withdrawn"
                )
            )
        )
    return found


def has_leader_by_year(wf: Workforce, comp: Computation | None = None) -> dict[int, dict[str, bool]]:
    """Each year's providers with a staff return of non-academic staff: whether the return
    shows a strategic technical leader (true values: for counting here, never published).
    ``comp``: a computation already made of the same data (default: the workforce's own)."""
    comp = comp or wf.computation()
    return {
        year: {u: v >= 1 for u, v in comp.provider_values(LEADER_INDICATOR, year).items()}
        for year in wf.years(comp)
    }


def _leaders(s: Db, wf: Workforce, gate: ProviderGate) -> list[LeaderRow]:
    pledged = lead_pledgers(s)
    rows = []
    for year, leaders in sorted(has_leader_by_year(wf).items()):
        for group, members in ((PLEDGED_GROUP, True), (OTHER_GROUP, False)):
            mine = [has for u, has in leaders.items() if (u in pledged) is members]
            cells = gate.counts(len(mine), {"returned": len(mine), "with_leader": sum(mine)})
            rows.append(
                LeaderRow(
                    year=codes.year_label(year),
                    group=group,
                    returned=cells["returned"],
                    with_leader=cells["with_leader"],
                    share=gate.share(len(mine), cells["with_leader"], cells["returned"]),
                )
            )
    return rows


# ---------------------------------------------------------------- the view


def gate_for(wf: Workforce) -> ProviderGate:
    """The gate for published figures: the deployment's rule set (never unrounded)."""
    return ProviderGate(disclosure.rule_set(wf.settings.disclosure_rules), wf.settings.min_peer_group_size)


def sector_view(s: Db, wf: Workforce, today: date) -> SectorView:
    """The sector view as it stands on ``today``, every figure through the gate."""
    gate = gate_for(wf)
    return SectorView(
        today=today,
        disclosure=gate.stamp,
        adoption=_adoption(s, gate),
        compliance=_compliance(s, gate, today),
        leaders=_leaders(s, wf, gate),
        notes=[
            "Counts of providers: pledges that were withdrawn are left out.",
            f"A row about fewer than {gate.least} providers is hidden in full, zeros included; "
            "'all cohorts shown' leaves out the cohorts too small to show.",
            "Stages are due as strategy/schedule.py reads the Technician Commitment guidance; "
            "'not yet due' includes submissions whose window is open.",
            "Commitments against the data: providers with a non-academic staff return that year; "
            "'pledged' means a pledge to appoint a strategic lead (STL-1 or TC-1) that is not withdrawn.",
        ],
    )


# ---------------------------------------------------------------- tables


def _cells(row: Any, names: Iterable[str]) -> dict[str, str]:
    return {n: getattr(row, n).display for n in names}


ADOPTION_MEASURES = ("pledged", "in_progress", "done", "providers", "done_share")
COMPLIANCE_MEASURES = (
    "signatories",
    "on_time",
    "late",
    "overdue",
    "not_yet_due",
    "due",
    "on_time_share",
)
LEADER_MEASURES = ("returned", "with_leader", "share")


def tables(view: SectorView) -> dict[str, list[dict[str, Any]]]:
    """The published tables, cells as displayed (hidden ones as the marker)."""
    return {
        "adoption": [
            {"set": r.set_slug, "code": r.code, "recommendation": r.title, **_cells(r, ADOPTION_MEASURES)}
            for r in view.adoption
        ],
        "compliance": [
            {"stage": r.stage_label, "cohort": r.cohort, **_cells(r, COMPLIANCE_MEASURES)}
            for r in view.compliance
        ],
        "leaders": [{"year": r.year, "group": r.group, **_cells(r, LEADER_MEASURES)} for r in view.leaders],
    }


def _long_rows(view: SectorView) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(table: str, label: str, row: Any, measures: Iterable[str]) -> None:
        for m in measures:
            cell: Cell = getattr(row, m)
            out.append(
                {
                    "table": table,
                    "row": label,
                    "measure": m,
                    "value": "" if cell.value is None else cell.value,
                    "shown": cell.display,
                    "disclosure": cell.reason,
                }
            )

    for a in view.adoption:
        add("adoption", f"{a.set_slug} {a.code}: {a.title}", a, ADOPTION_MEASURES)
    for c in view.compliance:
        add("compliance", f"{c.stage_label}, {c.cohort}", c, COMPLIANCE_MEASURES)
    for lead in view.leaders:
        add("leaders", f"{lead.year}, {lead.group}", lead, LEADER_MEASURES)
    return out


def sector_csv(view: SectorView) -> str:
    """Every published cell, one a line (table, row, measure, value, as shown, how it was
    protected), formula cells neutralised; the rule set is the last line's disclosure."""
    rows = _long_rows(view)
    rows.append(
        {
            "table": "meta",
            "row": f"as on {view.today.isoformat()}",
            "measure": "disclosure",
            "value": "",
            "shown": "",
            "disclosure": view.disclosure,
        }
    )
    return to_csv(rows)
