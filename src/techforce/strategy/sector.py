"""The sector view for analysts: how providers take up the recommendations, how Technician
Commitment signatories keep to their stages, and whether pledges to appoint a strategic
technical lead show in the staff data, year by year.

Every figure is a count of providers, or a percentage of one, and passes the disclosure gate
(:class:`ProviderGate`) before it is published:

- a count of 1 to ``min_peer_group_size - 1`` providers (the fewest a peer group may have,
  5 by default) is suppressed, so that no figure sits close to one provider's own;
- a larger count is rounded to the nearest 5 with HESA rounding, so that a hidden count
  cannot be worked out exactly from a total and the other published counts;
- a percentage is computed from the published counts, never the true ones, and suppressed
  when its published population is below the rule set's threshold (22.5) or its count is
  hidden.

A hidden cell shows the rule set's marker and the reason. There are no per-provider rows:
what one provider pledged or submitted is that provider's own page.

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
ALL_COHORTS = "all cohorts"


@dataclass(frozen=True)
class ProviderGate:
    """Publishes counts of providers and percentages of them (see the module's docstring)."""

    rules: RuleSet
    least: int

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
        providers = gate.count(sum(c.values()))
        done = gate.count(c["done"])
        rows.append(
            AdoptionRow(
                set_slug=f"{rs.slug}@{rs.version}",
                set_title=rs.title,
                code=rec.code,
                title=rec.title,
                pledged=gate.count(c["pledged"]),
                in_progress=gate.count(c["in-progress"]),
                done=done,
                providers=providers,
                done_share=gate.percent(done, providers),
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
            Submission.status == "submitted"
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
    on_time = gate.count(sum(c[k] for k in _ON_TIME))
    due = gate.count(sum(c[k] for k in (*_ON_TIME, *_LATE, *_OVERDUE)))
    return ComplianceRow(
        stage=stage,
        stage_label=records.STAGE_LABELS[stage],
        cohort=cohort,
        signatories=gate.count(len(states)),
        on_time=on_time,
        late=gate.count(sum(c[k] for k in _LATE)),
        overdue=gate.count(sum(c[k] for k in _OVERDUE)),
        not_yet_due=gate.count(sum(c[k] for k in (schedule.NOT_YET_OPEN, schedule.OPEN, schedule.DUE_SOON))),
        due=due,
        on_time_share=gate.percent(on_time, due),
    )


def _compliance(s: Db, gate: ProviderGate, today: date) -> list[ComplianceRow]:
    by_stage: dict[str, dict[str, list[str]]] = {k: defaultdict(list) for k in schedule.KINDS}
    for cohort, due in _standings(s, today):
        by_stage[due.milestone.kind][cohort].append(due.state)
    rows = []
    for stage in schedule.KINDS:
        cohorts = by_stage[stage]
        every = [state for states in cohorts.values() for state in states]
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
            returned = gate.count(len(mine))
            with_leader = gate.count(sum(mine))
            rows.append(
                LeaderRow(
                    year=codes.year_label(year),
                    group=group,
                    returned=returned,
                    with_leader=with_leader,
                    share=gate.percent(with_leader, returned),
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
