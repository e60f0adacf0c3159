"""Codes as people read them: SOC unit groups, cost centres and LEVELS with their titles
(from codes.py), used by the pages, the CLI and reports alike. Machine output keeps codes."""

from __future__ import annotations

from techforce.workforce import codes
from techforce.workforce.indicators import BY_ID


def soc(code: str, year: int) -> str:
    """ "3111 Laboratory technicians"; a minor group (3 digits) with its major group's title."""
    units = codes.SOC2020_UNIT if year >= codes.FIRST_SOC2020_YEAR else codes.SOC2010_UNIT
    title = units.get(code) or (codes.SOC_MAJOR.get(code[:1], "") if len(code) == 3 else "")
    return f"{code} {title}".strip()


def soc_group(code: str, units: dict[str, str]) -> str:
    """A SOC code in a definition: a unit group's title, or a minor group's unit groups."""
    if code in units:
        return f"{code} {units[code]}"
    inside = [t for c, t in units.items() if c.startswith(code)]
    return f"{code} minor group: {'; '.join(inside)}" if inside else code


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
