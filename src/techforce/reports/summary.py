"""The workforce summary: sector headline, breakdowns, trend and one provider against its
peers, as a context dict (the JSON twin) and as a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from techforce.present import charts
from techforce.workforce import codes
from techforce.workforce.indicators import Computation
from techforce.workforce.peer_groups import position

HEADLINE = (
    "tech.headcount",
    "tech.fpe",
    "providers.returned_non_academic",
    "leadership.share",
    "tech.women_in_leadership",
    "tech.aged_55_plus",
)


def _one(comp: Computation, indicator: str, year: int, members: list[str] | None = None) -> Any:
    for r in comp.results(indicator, "sector", members):
        if r.year == year:
            return r
    return None


def build(
    comp: Computation,
    *,
    year: int,
    provider: str,
    provider_name: str,
    group: str,
    group_members: list[str],
    names: dict[str, str],
) -> dict[str, Any]:
    """Everything the page shows, as plain data (published values only)."""
    headline = []
    for ind in HEADLINE:
        r = _one(comp, ind, year)
        if r is not None:
            headline.append(
                {
                    "indicator": ind,
                    "label": _label(ind),
                    "display": r.cell.display,
                    "disclosure": r.cell.reason,
                }
            )
    sections = []
    ages = [r for r in comp.results("tech.by_age", "sector", None) if r.year == year]
    age_rows = [{"age band": r.category, "FPE": r.cell.value, "shown": r.cell.display} for r in ages]
    sections.append(
        _section(
            "Technical staff by age band (sector)",
            age_rows,
            x="age band",
            y="FPE",
            caption="FPE, 1 December population, rounded to the nearest 5.",
        )
    )
    sex = [r for r in comp.results("tech.sex_by_level", "sector", None) if r.year == year]
    sex_rows = [
        {
            "level": r.category.split(" / ")[0],
            "sex": r.category.split(" / ")[1],
            "FPE": r.cell.value,
            "shown": r.cell.display,
        }
        for r in sex
    ]
    sections.append(
        _section(
            "Technical staff by level and sex (sector)",
            sex_rows,
            x="level",
            y="FPE",
            color="sex",
            caption="FPE by level group and sex.",
        )
    )
    trend = [
        {"year": codes.year_label(r.year), "headcount": r.cell.value, "shown": r.cell.display}
        for r in comp.results("tech.headcount", "sector", None)
    ]
    sections.append(
        _section(
            "Technical headcount over time (sector)",
            trend,
            x="year",
            y="headcount",
            caption="Headcount of technical staff, 1 December population.",
        )
    )
    compare = [
        position(comp, ind, year, provider, group, group_members).as_dict()
        for ind in ("tech.headcount", "tech.fpe", "tech.share_non_academic", "tech.aged_55_plus")
    ]
    sections.append(
        {
            "title": f"{provider_name} against {group}",
            "svg": "",
            "alt": "",
            "caption": "Peer statistics are computed from the published (protected) figures.",
            "columns": list(compare[0]),
            "rows": compare,
        }
    )
    cells = comp.provider_cells("tech.share_non_academic", year)
    peers = [
        {"provider": names.get(u, u), "share %": c.value, "shown": c.display}
        for u, c in sorted(cells.items())
        if u in group_members
    ]
    sections.append(
        _section(
            f"Technical share of non-academic staff across {group}",
            peers,
            x="provider",
            y="share %",
            horizontal=True,
            caption="Percent of non-academic FPE, from perturbed counts; `..` where the population is below 22.5.",
        )
    )
    return {
        "title": f"Technical workforce summary {codes.year_label(year)}",
        "headline": headline,
        "sections": sections,
        "meta": {
            "definition": comp.definition.stamp,
            "disclosure": comp.rules.stamp,
            "population": _population(comp, year),
        },
    }


def _population(comp: Computation, year: int) -> str:
    returned = sum(1 for (_, y), r in comp.returned.items() if y == year and r)
    total = sum(1 for (_, y) in comp.returned if y == year)
    return f"non-academic indicators use the {returned} of {total} providers that returned non-academic staff"


def _label(indicator: str) -> str:
    from techforce.workforce.indicators import BY_ID

    return BY_ID[indicator].title


def _section(
    title: str,
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    caption: str,
    color: str | None = None,
    horizontal: bool = False,
) -> dict[str, Any]:
    spec = charts.bar(
        rows,
        x=x,
        y=y,
        title=title,
        unit=y,
        order=list(dict.fromkeys(str(r[x]) for r in rows)),
        series=color,
        horizontal=horizontal,
        stacked=color is not None,
    )
    alt = (
        f"Bar chart of {y} by {x}" + (f" and {color}" if color else "") + "; the table below has the figures."
    )
    return {
        "title": title,
        "svg": charts.to_svg(spec),
        "alt": alt,
        "caption": caption,
        "columns": list(rows[0]) if rows else [],
        "rows": rows,
    }


def render_html(context: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("techforce.reports"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("summary.html.j2").render(**context)


def write_html(context: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(context), encoding="utf-8")
    return path
