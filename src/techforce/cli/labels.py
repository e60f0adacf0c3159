"""Labels for the codes a table shows people: SOC unit groups, cost centres and LEVELS carry
their titles (from workforce.codes), indicators their titles. Machine output keeps the codes."""

from __future__ import annotations

from techforce.workforce import codes
from techforce.workforce.indicators import BY_ID


def soc(code: str, year: int) -> str:
    units = codes.SOC2020_UNIT if year >= codes.FIRST_SOC2020_YEAR else codes.SOC2010_UNIT
    title = units.get(code)
    return f"{code} {title}" if title else code


def level(code: str) -> str:
    title = codes.LEVELS.get(code)
    return f"{code} {title}" if title else code


def cost_centre(code: str) -> str:
    title = codes.COST_CENTRES.get(code)
    return f"{code} {title}" if title else code


def category(indicator: str, value: str, year: int) -> str:
    """A breakdown's category as people read it ("" for the whole population)."""
    if value == "all":
        return ""
    breakdown = BY_ID[indicator].breakdown if indicator in BY_ID else None
    if breakdown == "soc":
        return soc(value, year)
    if breakdown == "cost centre":
        return cost_centre(value)
    if breakdown == "level":
        return level(value)
    return value


def value(indicator: str, display: str) -> str:
    """A shown value; a grade ceiling (a LEVELS code) carries its title."""
    if indicator in BY_ID and BY_ID[indicator].unit == "level":
        return level(display)
    return display


def indicator(ind_id: str) -> str:
    return BY_ID[ind_id].title if ind_id in BY_ID else ind_id
