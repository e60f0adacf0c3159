"""Disclosure control: every published number passes through here.

Two steps, as national statistics offices do for flexible table builders (domain.md §3):

1. **Cell key perturbation.** Every person gets a record key at ingest (a keyed hash of
   their staff id, uniform in ``[0, 2**32)``, stored with the snapshot). A cell's key is the
   sum of the record keys of the people in it, modulo ``2**32``. The perturbation table
   maps (true count, cell key) to a small change: at most ``max_change`` either way, mean
   zero, zeros stay zero, never below zero. The same people always give the same answer,
   so repeating a query teaches nothing; cells of different people get unrelated changes.
   Cells are perturbed per provider and a population's figure is the sum of its providers'
   perturbed cells, so the difference of two overlapping populations is a sum of perturbed
   cells, never a true count, however many populations are compared (see SECURITY.md).
2. **HESA standard rounding** of the perturbed count: nearest 5, halves up, anything below
   2.5 shown as 0. Percentages are computed from perturbed counts and suppressed when the
   true population is below 22.5 (the population itself is never shown); averages
   suppressed when based on 7 or fewer people; money not rounded; suppressed cells ``..``.

Rule sets are configuration, named and versioned; the stamp goes on every output. Each
protected cell carries the reason it was rounded or suppressed, and never a true figure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from techforce import errors

Unit = Literal["people", "percent", "average", "money", "providers", "level", "contracts"]
KEY_MODULUS = 2**32

# Published value distribution for the smallest counts (count -> (published, probability)),
# then the change for every larger count. Each row has mean zero (the published value is
# unbiased) and keeps published values >= 0; documented in SECURITY.md.
_SMALL_ROWS: dict[int, tuple[tuple[int, float], ...]] = {
    1: ((0, 0.40), (1, 0.30), (2, 0.20), (3, 0.10)),
    2: ((0, 0.15), (1, 0.20), (2, 0.35), (3, 0.15), (4, 0.10), (5, 0.05)),
}
_CHANGES: tuple[tuple[int, float], ...] = (
    (-3, 0.05),
    (-2, 0.10),
    (-1, 0.15),
    (0, 0.40),
    (1, 0.15),
    (2, 0.10),
    (3, 0.05),
)


@dataclass(frozen=True)
class PerturbationTable:
    """Maps (true count, cell key) to a change; the published table of the method."""

    name: str
    max_change: int

    def changes(self, count: int) -> tuple[tuple[int, float], ...]:
        """The possible changes to a count of ``count`` and their probabilities."""
        if count <= 0:
            return ((0, 1.0),)
        if count in _SMALL_ROWS:
            return tuple((published - count, p) for published, p in _SMALL_ROWS[count])
        return _CHANGES

    def change(self, count: int, cell_key: int) -> int:
        """The change for a cell: the cell key, as a position in [0, 1), picks from the
        cumulative distribution of the count's row."""
        position = ((cell_key % KEY_MODULUS) + 0.5) / KEY_MODULUS
        total = 0.0
        options = self.changes(count)
        for change, probability in options:
            total += probability
            if position < total:
                return change
        return options[-1][0]

    def variance(self, count: int) -> float:
        return sum(p * c * c for c, p in self.changes(count))

    def describe(self) -> dict[str, Any]:
        rows = {str(c): [[c + d, p] for d, p in self.changes(c)] for c in (0, 1, 2, 3)}
        return {
            "name": self.name,
            "key_modulus": KEY_MODULUS,
            "max_change": self.max_change,
            "published_value_by_count": {**rows, "3 and more": [[f"count{d:+d}", p] for d, p in _CHANGES]},
            "variance": {"1": self.variance(1), "2": self.variance(2), "3 and more": self.variance(3)},
            "zeros": "stay zero; no published value is below zero; every row has mean change zero",
        }


PTABLE = PerturbationTable(name="ckm-3", max_change=3)


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    version: int = 2
    description: str
    round_to: int = 5
    zero_below: float = 2.5
    percent_min_population: float = 22.5
    average_max_suppressed_people: int = 7
    marker: str = ".."
    rounding: bool = True
    cell_key: bool = True

    @property
    def stamp(self) -> str:
        if not self.rounding:
            return self.name
        return f"{self.name}@v{self.version}" + (f"+{PTABLE.name}" if self.cell_key else "")

    @property
    def zero_range(self) -> str:
        """How a published count of zero reads: the true counts it can stand for. Rounding
        alone turns 0-2 into 0; with cell key perturbation a true count up to 2 + the table's
        largest change can be published as 0 ("0–5" under ckm-3)."""
        most = math.ceil(self.zero_below) - 1 + (PTABLE.max_change if self.cell_key else 0)
        return f"0–{most}"

    def perturb(self, value: float | None, cell_key: int) -> float | None:
        """The perturbed value of a cell of people (headcount, FPE or FTE): the change for
        the nearest whole count (at least 1), never below zero; zeros stay zero."""
        if value is None or not (self.rounding and self.cell_key) or value <= 0:
            return value
        changed = value + PTABLE.change(max(1, round(value)), cell_key)
        return max(0.0, float(changed))

    def describe(self) -> dict[str, Any]:
        """The method and its parameters, as published with every output."""
        return {
            "stamp": self.stamp,
            "description": self.description,
            "round_to": self.round_to if self.rounding else None,
            "zero_below": self.zero_below if self.rounding else None,
            "percent_min_population": self.percent_min_population if self.rounding else None,
            "average_max_suppressed_people": self.average_max_suppressed_people if self.rounding else None,
            "perturbation": PTABLE.describe() if self.rounding and self.cell_key else None,
        }


_CKM = (
    " Counts are first perturbed with the cell key method (ptable ckm-3: at most 3 either way, "
    "mean zero, zeros stay zero); percentages come from perturbed counts."
)
RULE_SETS: dict[str, RuleSet] = {
    "hesa-standard": RuleSet(
        name="hesa-standard",
        description="HESA standard rounding: counts to nearest 5 (halves up, <2.5 -> 0); "
        "percentages suppressed for populations below 22.5; averages suppressed for 7 or "
        "fewer people." + _CKM,
    ),
    "hesa-legacy": RuleSet(
        name="hesa-legacy",
        description="Older HESA tables: as hesa-standard but percentages suppressed for "
        "populations of 52 or fewer." + _CKM,
        percent_min_population=52.5,
    ),
    "unrounded": RuleSet(
        name="unrounded",
        description="No perturbation, rounding or suppression. Only for users granted unrounded "
        "access to their own provider's figures; never for publication.",
        rounding=False,
        cell_key=False,
    ),
}


class DisclosureError(errors.Forbidden):
    pass


def rule_set(name: str, *, allow_unrounded: bool = False) -> RuleSet:
    if name not in RULE_SETS:
        raise DisclosureError(f"no disclosure rule set {name!r}; known: {', '.join(RULE_SETS)}")
    rules = RULE_SETS[name]
    if not rules.rounding and not allow_unrounded:
        raise DisclosureError(
            "unrounded output is not granted by these settings "
            "(set TECHFORCE_ALLOW_UNROUNDED=true only for users entitled to it)"
        )
    return rules


def round_count(value: float, rules: RuleSet = RULE_SETS["hesa-standard"]) -> int:
    """HESA rounding: nearest multiple of 5, halves up; anything below 2.5 becomes 0."""
    value = round(value, 9)  # FPE sums carry float noise: 2.4999999999 is 2.5
    if value < rules.zero_below:
        return 0
    return int(math.floor(value / rules.round_to + 0.5) * rules.round_to)


@dataclass(frozen=True)
class Cell:
    """A published value: ``display`` is what may be shown; ``value`` the number behind it
    (rounded, or None when suppressed)."""

    value: float | str | None
    display: str
    reason: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


def protect(
    value: float | str | None,
    unit: Unit,
    rules: RuleSet,
    *,
    population: float | None = None,
    people: float | None = None,
) -> Cell:
    """Apply the rule set to one (already perturbed) value. ``population`` is the true
    denominator of a percentage, used only to decide suppression and never shown; ``people``
    the number of people an average is based on."""
    if value is None:
        return Cell(None, rules.marker, "no data")
    if not rules.rounding:
        return Cell(value, _fmt(value, unit), "unrounded: granted by settings")
    if unit == "level" or isinstance(value, str):
        return Cell(value, str(value), "a category, not a count of people: shown as is")
    if unit == "providers":
        return Cell(value, _fmt(value, unit), "a count of providers, not of people: not rounded")
    perturbed = " after cell key perturbation" if rules.cell_key else ""
    if unit in ("people", "contracts"):
        rounded = round_count(float(value), rules)
        # A count that rounds to zero is shown as the range it stands for, never a bare 0
        # beside other rounded counts: the range of true counts it stands for (zero_range).
        shown = f"{rounded:,}" if rounded else rules.zero_range
        return Cell(rounded, shown, f"rounded to nearest {rules.round_to}{perturbed}")
    if unit == "percent":
        if population is None or population < rules.percent_min_population:
            return Cell(None, rules.marker, f"suppressed: population below {rules.percent_min_population:g}")
        return Cell(
            round(float(value), 1),
            f"{float(value):.1f}%",
            f"population at least {rules.percent_min_population:g}: shown"
            + (" (from perturbed counts)" if rules.cell_key else ""),
        )
    if unit == "average":
        if people is None or people <= rules.average_max_suppressed_people:
            return Cell(
                None,
                rules.marker,
                f"suppressed: based on {rules.average_max_suppressed_people} or fewer people",
            )
        return Cell(round(float(value), 1), f"{float(value):.1f}", "average of enough people: shown")
    return Cell(round(float(value), 2), f"£{float(value):,.0f}", "money: not rounded")


def _fmt(value: float | str, unit: Unit) -> str:
    if isinstance(value, str):
        return value
    if unit == "percent":
        return f"{value:.1f}%"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"
