"""Disclosure control: every published number passes through here.

Default rules are HESA's standard rounding methodology (domain.md §3): counts of people
(headcount, FPE, FTE) rounded to the nearest 5 with halves up and anything below 2.5 shown
as 0; totals rounded after summing; percentages suppressed when the unrounded population
is below 22.5; averages suppressed when based on 7 or fewer people; money not rounded;
suppressed cells shown as ``..``. Rule sets are configuration, and the one used is stamped
on every output. Each protected cell carries the reason it was rounded or suppressed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

Unit = Literal["people", "percent", "average", "money", "providers", "level", "contracts"]


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    round_to: int = 5
    zero_below: float = 2.5
    percent_min_population: float = 22.5
    average_max_suppressed_people: int = 7
    marker: str = ".."
    rounding: bool = True

    @property
    def stamp(self) -> str:
        return self.name


RULE_SETS: dict[str, RuleSet] = {
    "hesa-standard": RuleSet(
        name="hesa-standard",
        description="HESA standard rounding: counts to nearest 5 (halves up, <2.5 -> 0); "
        "percentages suppressed for populations below 22.5; averages suppressed for 7 or "
        "fewer people.",
    ),
    "hesa-legacy": RuleSet(
        name="hesa-legacy",
        description="Older HESA tables: as hesa-standard but percentages suppressed for "
        "populations of 52 or fewer.",
        percent_min_population=52.5,
    ),
    "unrounded": RuleSet(
        name="unrounded",
        description="No rounding or suppression. Only for users granted unrounded access to "
        "their own provider's figures; never for publication.",
        rounding=False,
    ),
}


class DisclosureError(PermissionError):
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


def protect(value: float | str | None, unit: Unit, rules: RuleSet, *,
            population: float | None = None, people: float | None = None) -> Cell:  # fmt: skip
    """Apply the rule set to one value. ``population`` is the unrounded denominator of a
    percentage; ``people`` the number of people an average is based on."""
    if value is None:
        return Cell(None, rules.marker, "no data")
    if not rules.rounding:
        return Cell(value, _fmt(value, unit), "unrounded: granted by settings")
    if unit == "level" or isinstance(value, str):
        return Cell(value, str(value), "a category, not a count of people: shown as is")
    if unit == "providers":
        return Cell(value, _fmt(value, unit), "a count of providers, not of people: not rounded")
    if unit in ("people", "contracts"):
        rounded = round_count(float(value), rules)
        reason = f"rounded to nearest {rules.round_to}" + (
            f" (below {rules.zero_below} shown as 0)" if float(value) < rules.zero_below else "")
        return Cell(rounded, f"{rounded:,}", reason)
    if unit == "percent":
        if population is None or population < rules.percent_min_population:
            return Cell(None, rules.marker,
                        f"suppressed: population below {rules.percent_min_population:g}")
        return Cell(round(float(value), 1), f"{float(value):.1f}%",
                    f"population {population:,.1f} >= {rules.percent_min_population:g}: shown")
    if unit == "average":
        if people is None or people <= rules.average_max_suppressed_people:
            return Cell(None, rules.marker,
                        f"suppressed: based on {rules.average_max_suppressed_people} or fewer people")
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
