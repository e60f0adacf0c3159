"""The impact dashboard's sections (delivery, feedback, outcomes, profile, matched comparison)
from the rows impact_data reads, every figure about people through the disclosure gate (Gate):
counts perturbed with participants' cell keys and rounded; percentages from perturbed counts,
suppressed when the population (true or published) is below the threshold; means suppressed
on 7 or fewer people (true or published); money not rounded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from techforce.disclosure import KEY_MODULUS, RuleSet, protect
from techforce.disclosure import Cell as Protected
from techforce.programmes import impact_staff
from techforce.programmes.impact_data import Data, Place
from techforce.programmes.impact_models import FeedbackRow, HeadlineRow, Matched, OutcomeRow, ProfileRow
from techforce.workforce import codes
from techforce.workforce.page_models import Cell


def _cell(found: Protected) -> Cell:
    return Cell(value=found.value, display=found.display, disclosure=found.reason)


@dataclass
class Gate:
    """Publishes figures about participants: counts perturbed with their cell keys and rounded,
    percentages from perturbed counts, means only of enough people."""

    rules: RuleSet
    keys: dict[int, int]

    def perturbed(self, ids: Sequence[int]) -> float:
        key = sum(map(self.keys.__getitem__, ids)) % KEY_MODULUS
        return self.rules.perturb(float(len(ids)), key) or 0.0

    def count(self, ids: Sequence[int]) -> Cell:
        return _cell(protect(self.perturbed(ids), "people", self.rules))

    def published(self, ids: Sequence[int]) -> float:
        """The count as published (perturbed, then rounded): what money per place is multiplied
        by, so that a cost never reveals a count more exactly than the count itself."""
        found = protect(self.perturbed(ids), "people", self.rules).value
        return float(found) if isinstance(found, int | float) else 0.0

    def enough(self, ids: Sequence[int], least: float) -> bool:
        """Are there at least ``least`` people as published (perturbed)? Decided on the
        published figure alone, as the workforce's figures are (SECURITY.md), so that a shown
        figure says nothing certain about the true population."""
        return self.perturbed(ids) >= least

    def percent(self, part: Sequence[int], whole: Sequence[int]) -> Cell:
        if self.rules.rounding and not self.enough(whole, self.rules.percent_min_population):
            floor = self.rules.percent_min_population
            return Cell(
                value=None, display=self.rules.marker, disclosure=f"suppressed: population below {floor:g}"
            )
        den = self.perturbed(whole)
        value = min(100.0, 100.0 * self.perturbed(part) / den) if den else None
        return _cell(protect(value, "percent", self.rules, population=den))

    def mean(self, values: Sequence[float], ids: Sequence[int]) -> Cell:
        most = self.rules.average_max_suppressed_people
        if self.rules.rounding and not self.enough(ids, most + 1):
            return Cell(
                value=None,
                display=self.rules.marker,
                disclosure=f"suppressed: based on {most} or fewer people",
            )
        value = sum(values) / len(values) if values else None
        return _cell(protect(value, "average", self.rules, people=max(self.perturbed(ids), most + 1)))

    def money(self, pounds: float | None) -> Cell:
        return _cell(protect(pounds, "money", self.rules))


# ---------------------------------------------------------------- sections


def headline(
    data: Data,
    gate: Gate,
    places: list[Place],
    cohorts: list[int],
    label: str,
    programme: str | None,
    year: int | None,
) -> HeadlineRow:
    """Delivery for a selection (its confirmed places and its cohorts): sessions and cohorts as
    they are, people through the gate."""
    booked = [p.participant_id for p in places]
    people = sorted(set(booked))
    floor = gate.rules.percent_min_population
    if not gate.rules.rounding or gate.enough(people, floor):
        reached = len({data.people[i][0] for i in people if data.people[i][0]})
        providers = _cell(protect(reached, "providers", gate.rules))
    else:
        providers = Cell(
            value=None,
            display=gate.rules.marker,
            disclosure=f"suppressed: fewer than {floor:g} participants, too few to say where they came from",
        )
    per_programme: dict[int, list[int]] = {}
    for p in places:
        per_programme.setdefault(p.programme_id, []).append(p.participant_id)
    pounds = sum(
        data.programmes[pid].cost_pence * gate.published(ids) / 100 for pid, ids in per_programme.items()
    )
    most = gate.rules.average_max_suppressed_people
    if gate.rules.rounding and not gate.enough(people, most + 1):
        per = Cell(
            value=None, display=gate.rules.marker, disclosure=f"suppressed: {most} or fewer participants"
        )
    else:
        per = gate.money(pounds / (gate.published(people) or 1.0))
    return HeadlineRow(
        label=label,
        programme=programme,
        year=codes.year_label(year) if year is not None else None,
        cohorts=len(cohorts),
        sessions=sum(data.cohorts[c][3] for c in cohorts),
        places=gate.count(booked),
        participants=gate.count(people),
        starters=gate.count(sorted({p.participant_id for p in places if p.started})),
        completers=gate.count(sorted({p.participant_id for p in places if p.complete})),
        providers=providers,
        cost=gate.money(pounds),
        cost_per_participant=per,
    )


def in_selection(data: Data, pid: int, year: int, programme: str | None, chosen: int | None) -> bool:
    """Is a cohort of programme ``pid`` starting in academic ``year`` in the selection?"""
    return (programme is None or data.programmes[pid].slug == programme) and (
        chosen is None or year == chosen
    )


def feedback(data: Data, gate: Gate, places: list[Place], label: str, programme: str | None) -> FeedbackRow:
    answers = [
        (p.participant_id, data.feedback[p.booking_id]) for p in places if p.booking_id in data.feedback
    ]
    ids = [i for i, _ in answers]
    said = [a for _, a in answers]
    return FeedbackRow(
        label=label,
        programme=programme,
        responses=gate.count(ids),
        reaction=gate.mean([a[0] for a in said], ids),
        recommend=gate.percent([i for i, a in answers if a[1]], ids),
        before=gate.mean([a[2] for a in said], ids),
        after=gate.mean([a[3] for a in said], ids),
        gain=gate.mean([a[3] - a[2] for a in said], ids),
    )


def outcomes(data: Data, gate: Gate, places: list[Place]) -> list[OutcomeRow]:
    holder = {p.booking_id: p.participant_id for p in places}
    out = []
    for months in (6, 12):
        rows = [(holder[b], flags) for b, m, flags in data.outcomes if m == months and b in holder]
        ids = [i for i, _ in rows]

        def share(k: int, rows: list[tuple[int, tuple[bool, ...]]] = rows, ids: list[int] = ids) -> Cell:
            return gate.percent([i for i, f in rows if f[k]], ids)

        out.append(
            OutcomeRow(
                months=months,
                reported=gate.count(ids),
                promoted=share(0),
                role_changed=share(1),
                grade_changed=share(2),
                registration=share(3),
                leadership_role=share(4),
                committee_seat=share(5),
            )
        )
    return out


def _sex(code: str) -> str:
    return {"1": "Male", "2": "Female"}.get(code, "Other" if code else "Not known")


def _ethnic(code: str) -> str:
    if not code or code in ("90", "98", "99"):
        return "Not known"
    return "White" if codes.ETHNIC_GROUP.get(code) == "White" else "Minority ethnic"


def profile(
    data: Data, gate: Gate, people: list[int], workforce: impact_staff.WorkforceProfile
) -> list[ProfileRow]:
    """Participants' sex, ethnic group and level beside the technical workforce's, in percent.
    A breakdown of too few participants is suppressed whole (every category, empty ones too)."""
    mine = {
        "Sex": {i: _sex(data.people[i][1]) for i in people},
        "Ethnicity": {i: _ethnic(data.people[i][2]) for i in people},
        "Level": {i: data.people[i][3] or "Not given" for i in people},
    }
    rows = []
    for dimension, of in mine.items():
        theirs = {c: v for (d, c), v in workforce.cells.items() if d == dimension}
        total = sum(gate.rules.perturb(f, k) or 0.0 for cells in theirs.values() for f, k in cells)
        categories = sorted(set(of.values()) | set(theirs), key=lambda c: _order(dimension, c))
        for category in categories:
            ours = gate.percent([i for i in people if of[i] == category], people)
            part = sum(gate.rules.perturb(f, k) or 0.0 for f, k in theirs.get(category, []))
            staff = (
                _cell(protect(min(100.0, 100 * part / total), "percent", gate.rules, population=total))
                if total
                else Cell(value=None, display=gate.rules.marker, disclosure="no staff data held")
            )
            rows.append(
                ProfileRow(dimension=dimension, category=category, participants=ours, workforce=staff)
            )
    return rows


def _order(dimension: str, category: str) -> tuple[int, str]:
    if dimension == "Level":
        return (codes.LEVEL_RANK.get(category, 999), category)
    known = ["Female", "Male", "Other", "White", "Minority ethnic", "Not known"]
    return (known.index(category) if category in known else 99, category)


METHOD = (
    "Participants who consented to link their staff record are found in the staff data of the "
    "year before their programme began (their base year), by their provider and the keyed "
    "pseudonym of their own staff id. The outcome is a move up the LEVELS scale (a more senior "
    "level on any 1 December contract) in a later year held. Each participant is compared with "
    "the non-participant technical staff of the same base year at the same provider, at the "
    "same level, in the same age band and of the same sex (exact matching; where their provider "
    "has none, within the smallest peer group holding it). The comparison rate weights each "
    "participant's matched group equally (the average effect on participants). Only people with "
    "a record in a later year count, on both sides."
)
LIMITS = (
    "This is a comparison, not proof that the programme caused a change. People choose to apply "
    "and are selected, so participants may differ from their matches in ways the staff data do "
    "not show (ambition, a manager's support). Only those who consented are linked, and those who "
    "consent may differ from those who do not. Non-participants are those with no link, so a "
    "participant without one can sit among the comparisons. People who left the sector's returns "
    "are left out. Numbers are small: a few people change the rates, and all counts are "
    "perturbed and rounded. The staff data hold few years, so later years may fall within the "
    "programme itself."
)
OUTCOME = "moved up the LEVELS scale in a later year of staff data"


def treated(data: Data, places: list[Place]) -> list[impact_staff.Treated]:
    """The selection's consenting participants, each from the first cohort they started (its
    base year: the academic year before it)."""
    first: dict[int, Place] = {}
    for p in sorted(places, key=lambda p: p.starts_on):
        if p.started and p.participant_id in data.links:
            first.setdefault(p.participant_id, p)
    return [
        impact_staff.Treated(i, data.links[i][0], data.links[i][1], p.year - 1)
        for i, p in sorted(first.items())
    ]


def matched(
    view: impact_staff.StaffView, data: Data, gate: Gate, places: list[Place], groups: dict[str, list[str]]
) -> Matched:
    """The matched comparison of the selection's consenting participants, published."""
    found = impact_staff.matching(view, treated(data, places), groups)
    rules = gate.rules
    ours = gate.percent(found.moved, found.matched)
    if ours.value is None or found.comparison_rate is None:
        theirs = Cell(value=None, display=rules.marker, disclosure="suppressed with the participants' rate")
        gap = Cell(value=None, display=rules.marker, disclosure="suppressed with the participants' rate")
    else:
        theirs = _cell(
            protect(found.comparison_rate, "percent", rules, population=gate.perturbed(found.matched))
        )
        value = round(float(ours.value) - float(theirs.value or 0.0), 1)
        gap = Cell(
            value=value, display=f"{value:+.1f} points", disclosure="difference of the two published rates"
        )
    controls = rules.perturb(float(found.controls), found.controls_key) or 0.0
    return Matched(
        outcome=OUTCOME,
        base_years=[codes.year_label(y) for y in found.base_years],
        participants=gate.count(found.matched),
        unmatched=gate.count(found.unmatched),
        controls=_cell(protect(controls, "people", rules)),
        participants_rate=ours,
        comparison_rate=theirs,
        difference=gap,
        method=METHOD,
        limits=LIMITS,
    )
