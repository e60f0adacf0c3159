"""The workforce pages as typed data (page_models): sector overview, provider profile,
indicator explorer, definitions and peer groups. The web app renders these models as HTML
and returns them as the pages' JSON twins; nothing here knows about HTTP.

Page data are cached per data version by service.Workforce and rebuilt only after an
ingest, a peer-group or provider change, or a new definition."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from techforce.disclosure import PTABLE, RULE_SETS
from techforce.present import charts, maps
from techforce.workforce import codes, definitions, finding, labels, peer_groups, store
from techforce.workforce.indicators import BY_ID, CATALOGUE, Computation, Result
from techforce.workforce.models import Provider
from techforce.workforce.page_models import (
    AreaRow,
    Cell,
    Chart,
    DefinitionInfo,
    DefinitionOption,
    DefinitionsPage,
    ExploreMeta,
    ExplorePage,
    ExploreRow,
    Filters,
    HeadlineCell,
    IndicatorInfo,
    Leadership,
    LegendItem,
    Meta,
    OverviewPage,
    PeerGroupInfo,
    PeerGroupsPage,
    ProfileIndicator,
    ProfilePage,
    ProviderName,
    Regions,
    YearOption,
)
from techforce.workforce.service import NoData, NotFound, Workforce

HEADLINE = (
    "tech.headcount",
    "tech.fpe",
    "tech.fte",
    "tech.share_non_academic",
    "tech.aged_55_plus",
    "tech.women_in_leadership",
    "leadership.leaders",
    "leadership.share",
    "providers.returned_non_academic",
)
SINGLE = [i.id for i in CATALOGUE if not i.breakdown and i.unit != "level"]
BREAKDOWNS = [i.id for i in CATALOGUE if i.breakdown and i.unit != "level"]
NOT_RETURNED = "not returned"


def _year(comp: Computation, year: int | None) -> int:
    years = sorted({y for _, y in comp.returned})
    if not years:
        raise NoData(
            "no staff returns have been ingested yet; upload one, or ingest with `techforce workforce ingest`"
        )
    if year is None:
        return years[-1]
    if year not in years:
        raise NotFound(
            f"no data for {codes.year_label(year)}; years held: "
            + ", ".join(codes.year_label(y) for y in years)
        )
    return year


def axis_unit(indicator: str) -> str:
    """What a value axis measures, in a reader's words."""
    ind = BY_ID[indicator]
    if ind.unit == "percent":
        return "%"
    if ind.unit in ("providers", "contracts"):
        return ind.unit
    if ind.breakdown or "FPE" in ind.title:
        return "people (FPE)"
    if "FTE" in ind.title:
        return "FTE"
    return "people (headcount)"


def _natural(indicator: str, results: list[Result]) -> list[Result]:
    """Results in their categories' natural order (the catalogue's: age bands youngest
    first, level groups senior first, codes by code; LEVELS senior to junior, "Not given"
    last), years in order within."""
    if indicator in ("tech.by_level", "grade.ceiling"):

        def rank(r: Result) -> tuple[int, int, str]:
            return (codes.LEVEL_RANK.get(r.category, len(codes.LEVELS) + 1), r.year, r.category)

        return sorted(results, key=rank)
    first: dict[str, int] = {}
    for r in results:  # results come sorted by (year, category-with-sort-prefix)
        first.setdefault(r.category, len(first))
    return sorted(results, key=lambda r: (first[r.category], r.year))


def _cell(r: Result | None, *, in_full: bool = False) -> Cell:
    if r is None:
        return Cell(value=None, display="..", disclosure="no data")
    if in_full and r.raw is not None:
        shown = (
            f"{r.raw:.1f}%" if BY_ID[r.indicator].unit == "percent" else f"{r.raw:,.1f}".removesuffix(".0")
        )
        return Cell(value=r.raw, display=shown, disclosure="unrounded: your own provider")
    return Cell(value=r.cell.value, display=r.cell.display, disclosure=r.cell.reason)


def _one(
    comp: Computation,
    indicator: str,
    year: int,
    members: list[str] | None = None,
    scope: str = "sector",
    *,
    true_values: bool = False,
) -> Result | None:
    results = comp.results(indicator, scope, members, true_values=true_values)
    return next((r for r in results if r.year == year and r.category == "all"), None)


def _meta(comp: Computation, year: int) -> Meta:
    returned = sum(1 for (_, y), r in comp.returned.items() if y == year and r)
    total = sum(1 for (_, y) in comp.returned if y == year)
    return Meta(
        year=codes.year_label(year),
        definition=comp.definition.stamp,
        disclosure=comp.rules.stamp,
        population=f"non-academic indicators use the {returned} of {total} providers "
        "that returned non-academic staff",
    )


def _legend(comp: Computation, *, not_returned: bool = False, in_full: bool = False) -> list[LegendItem]:
    """The markers a page uses, each with one meaning."""
    rules = comp.rules
    items = [
        LegendItem(
            marker=rules.marker,
            meaning=f"suppressed: a percentage of a population below {rules.percent_min_population:g} "
            "people, or a breakdown of such a population",
        ),
        LegendItem(
            marker=rules.zero_range,
            meaning=f"a published count of zero: counts are rounded to the nearest {rules.round_to}"
            + (" after a small change of at most " + str(PTABLE.max_change) if rules.cell_key else "")
            + ", so the true count is in this range",
        ),
    ]
    if not_returned:
        items.append(
            LegendItem(
                marker=NOT_RETURNED,
                meaning="the provider did not return its non-academic staff (opted out of that part "
                "of the Staff record), so its technical figures are unknown, not zero",
            )
        )
    if in_full:
        items.append(LegendItem(marker="unrounded", meaning="your own provider's figures are shown exactly"))
    return items


def _filters(wf: Workforce, comp: Computation, year: int | None) -> Filters:
    """The choices a page offers: reporting year and definition."""
    newest: dict[str, definitions.Definition] = {}
    with wf.db.session() as session:
        for d in definitions.all_definitions(session):
            if d.name not in newest or d.version > newest[d.name].version:
                newest[d.name] = d
    return Filters(
        year=year,
        years=[YearOption(value=y, label=codes.year_label(y)) for y in wf.years(comp)],
        definition=comp.definition.name,
        definitions=[DefinitionOption(value=n, label=f"{d.title} ({d.stamp})") for n, d in newest.items()],
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "chart"


def chart_with_table(
    title: str,
    rows: list[dict[str, Any]],
    spec: dict[str, Any] | None,
    *,
    x: str,
    y: str,
    kind: str = "bar chart",
    note: str = "",
) -> Chart:
    """A chart with its text alternative and the table it is drawn from."""
    plotted = [r for r in rows if isinstance(r.get(y), int | float)]
    hidden = sum(1 for r in rows if r.get(y) is None)
    if not rows:
        alt = f"{title}: no data to plot"
    else:
        alt = f"{title}: {kind} of {len(rows)} values"
        if plotted:
            top = max(plotted, key=lambda r: r[y])
            alt += f"; the largest is {top[x]} ({top.get('shown', top[y])})"
        if hidden:
            alt += f"; {hidden} hidden (..)"
    return Chart(
        title=title,
        spec=spec if rows else None,
        alt=alt,
        columns=list(rows[0]) if rows else [],
        rows=rows,
        name=_slug(title),
        note=note,
    )


def _change(indicator: str, now: Cell, before: Cell | None, before_year: int) -> dict[str, str | None]:
    """The year-on-year change of a published figure, as ▲/▼ with the earlier value."""
    if before is None:
        return {"previous": None, "change": None, "trend": None}
    label = codes.year_label(before_year)
    if not isinstance(now.value, int | float) or not isinstance(before.value, int | float):
        return {"previous": before.display, "change": f"{before.display} in {label}", "trend": None}
    diff = float(now.value) - float(before.value)
    trend = "up" if diff > 0 else "down" if diff < 0 else "same"
    arrow = {"up": "▲", "down": "▼", "same": "●"}[trend]
    unit = BY_ID[indicator].unit
    amount = f"{abs(diff):.1f} points" if unit == "percent" else f"{abs(diff):,.1f}".removesuffix(".0")
    text = f"{arrow} {amount} from {before.display} in {label}" if trend != "same" else f"● same as {label}"
    return {"previous": before.display, "change": text, "trend": trend}


def overview(wf: Workforce, *, year: int | None = None, definition: str | None = None) -> OverviewPage:
    return wf.cached(("overview", year, definition), lambda: _overview(wf, year, definition))


PROVIDER_COLUMNS = ("tech.headcount", "tech.fpe", "tech.share_non_academic", "leadership.leaders")
AREA_COLUMNS = ("tech.headcount", "tech.fpe", "tech.aged_55_plus", "tech.women_in_leadership")


def _overview(wf: Workforce, year: int | None, definition: str | None) -> OverviewPage:
    comp = wf.computation(definition)
    chosen = _year(comp, year)
    years = wf.years(comp)
    before = max((y for y in years if y < chosen), default=None)
    names, places, nations = wf.names(), wf.places(), wf.nations()
    groups = wf.groups()
    member_of: dict[str, list[str]] = {}
    for g, members in groups.items():
        for u in members:
            member_of.setdefault(u, []).append(g)
    headline = []
    for i in HEADLINE:
        now = _cell(_one(comp, i, chosen))
        prev = _cell(_one(comp, i, before)) if before is not None else None
        headline.append(
            HeadlineCell(
                indicator=i,
                title=BY_ID[i].title,
                **now.model_dump(),
                **_change(i, now, prev, before or chosen),
            )
        )
    by_id = {h.indicator: h for h in headline}
    share = _one(comp, "leadership.share", chosen)
    leaders = _one(comp, "leadership.has_leader", chosen)
    returned = _one(comp, "providers.returned_non_academic", chosen)
    per_provider = {i: comp.provider_cells(i, chosen) for i in PROVIDER_COLUMNS}
    providers: list[dict[str, Any]] = []
    for (ukprn, y), did_return in sorted(comp.returned.items(), key=lambda kv: names.get(kv[0][0], kv[0][0])):
        if y != chosen:
            continue
        row: dict[str, Any] = {
            "ukprn": ukprn,
            "provider": names.get(ukprn, ukprn),
            "nation": nations.get(ukprn, ""),
            "area": places.get(ukprn, ""),
            "groups": sorted(member_of.get(ukprn, [])),
            "returned non-academic": did_return,
        }
        shown = []  # in the order of provider_columns, with the numbers behind them (for sorting)
        for ind, cells in per_provider.items():
            cell = cells.get(ukprn)
            known = cell is not None and did_return
            row[BY_ID[ind].title] = cell.display if cell is not None and known else NOT_RETURNED
            shown.append({"display": row[BY_ID[ind].title], "value": cell.value if cell and known else None})
        row["cells"] = shown
        providers.append(row)
    head, fpe = by_id["tech.headcount"], by_id["tech.fpe"]
    summary = (
        f"In {codes.year_label(chosen)} the sector's providers returned {head.display} technical staff "
        f"({fpe.display} FPE)"
        + (f", {head.change}" if head.change and head.trend != "same" else "")
        + f"; {leaders.cell.display if leaders else '..'} of {returned.cell.display if returned else '..'} "
        "providers that returned non-academic staff have a strategic technical leader"
        + (f" ({share.cell.display.split(' of ')[0]})" if share else "")
        + f", and {by_id['tech.aged_55_plus'].display} of technical staff are aged 55 or over."
    )
    return OverviewPage(
        title=f"Sector overview {codes.year_label(chosen)}",
        summary=summary,
        source=f"Source: HESA Staff record returns for {codes.year_label(chosen)} held by this deployment "
        f"({sum(1 for (_, y) in comp.returned if y == chosen)} providers); definition of technical staff "
        f"{comp.definition.stamp}; published under disclosure rules {comp.rules.stamp}.",
        years=[codes.year_label(y) for y in years],
        headline=headline,
        leadership=Leadership(
            share=_cell(share),
            providers_with_leader=_cell(leaders),
            providers_returned=_cell(returned),
            text=f"{leaders.cell.display if leaders else '..'} of "
            f"{returned.cell.display if returned else '..'} providers that returned "
            "non-academic staff have a strategic technical leader",
        ),
        providers=providers,
        provider_columns=[BY_ID[i].title for i in PROVIDER_COLUMNS],
        nations=sorted({n for n in nations.values() if n}),
        areas=sorted({a for a in places.values() if a}),
        groups=sorted(groups),
        charts=[*_trends(comp, years), _ages(comp, chosen, before)],
        regions=_regions(comp, chosen, places),
        legend=_legend(comp, not_returned=True),
        meta=_meta(comp, chosen),
        filters=_filters(wf, comp, chosen),
    )


def _trends(comp: Computation, years: list[int]) -> list[Chart]:
    """Headcount and FPE, and the age and leadership shares, as lines over every year held."""
    out = []
    order = [codes.year_label(y) for y in years]
    for title, inds, unit in (
        ("Technical staff over time", ("tech.headcount", "tech.fpe"), "people"),
        ("Shares over time", ("tech.aged_55_plus", "tech.women_in_leadership"), "%"),
    ):
        rows = [
            {
                "year": codes.year_label(r.year),
                "series": BY_ID[i].title,
                "value": r.cell.value,
                "shown": r.cell.display,
            }
            for i in inds
            for r in comp.results(i, "sector", None)
        ]
        spec = charts.line(
            rows,
            x="year",
            y="value",
            title=title,
            unit=unit,
            order=order,
            series="series",
            series_order=[BY_ID[i].title for i in inds],
        )
        note = "The value axis does not start at zero, so that the change between years shows."
        out.append(chart_with_table(title, rows, spec, x="year", y="value", kind="line chart", note=note))
    return out


def _ages(comp: Computation, chosen: int, before: int | None) -> Chart:
    wanted = {chosen} | ({before} if before is not None else set())
    results = _natural(
        "tech.by_age", [r for r in comp.results("tech.by_age", "sector", None) if r.year in wanted]
    )
    rows = [
        {
            "age band": r.category,
            "year": codes.year_label(r.year),
            "FPE": r.cell.value,
            "shown": r.cell.display,
        }
        for r in results
    ]
    order = list(dict.fromkeys(str(r["age band"]) for r in rows))
    year_order = [codes.year_label(y) for y in sorted(wanted)]
    title = "Technical staff by age band"
    spec = charts.bar(
        rows,
        x="age band",
        y="FPE",
        title=title,
        unit="people (FPE)",
        order=order,
        series="year",
        series_order=year_order,
    )
    return chart_with_table(title, rows, spec, x="age band", y="FPE")


def _regions(comp: Computation, year: int, places: dict[str, str]) -> Regions:
    """Published figures per UK nation and English region, and a map of technical FPE."""
    by_area: dict[str, list[str]] = {}
    for ukprn, y in comp.returned:
        if y == year and places.get(ukprn):
            by_area.setdefault(places[ukprn], []).append(ukprn)
    rows = []
    unknown = Cell(
        value=None, display=NOT_RETURNED, disclosure="no provider here returned non-academic staff"
    )
    for area, members in sorted(by_area.items()):
        returned = sum(1 for u in members if comp.returned.get((u, year)))
        rows.append(
            AreaRow(
                area=area,
                providers=len(members),
                returned=returned,
                cells=[
                    _cell(_one(comp, i, year, members, scope=area)) if returned else unknown
                    for i in AREA_COLUMNS
                ],
            )
        )
    fpe = AREA_COLUMNS.index("tech.fpe")
    values = [{"area": r.area, "value": r.cells[fpe].value, "shown": r.cells[fpe].display} for r in rows]
    title = f"Technical staff (FPE) by nation and region, {codes.year_label(year)}"
    try:
        spec = maps.uk_choropleth(values, title=title, unit="people (FPE)")
    except ValueError:  # areas the map does not know (providers imported with other names)
        spec = None
    chart = chart_with_table(title, values, spec, x="area", y="value", kind="map")
    return Regions(
        map=chart,
        columns=["area", "providers", "returned non-academic", *(BY_ID[i].title for i in AREA_COLUMNS)],
        rows=rows,
    )


def profile(
    wf: Workforce,
    ukprn: str,
    *,
    group: str | None = None,
    year: int | None = None,
    definition: str | None = None,
    in_full: bool = False,
) -> ProfilePage:
    """Every indicator for one provider against a peer group and the sector. ``in_full`` is
    for the provider's own lead: unrounded values (the decision is made by the caller's
    access policy, never here)."""
    return wf.cached(
        ("profile", ukprn, group, year, definition, in_full),
        lambda: _profile(wf, ukprn, group, year, definition, in_full),
    )


BETTER = "higher is neither better nor worse: rank 1 is the highest value"  # workforce indicators describe, not score
PROVIDER_LEVEL = ("leadership.has_leader", "providers.returned_non_academic")


def _profile(
    wf: Workforce, ukprn: str, group: str | None, year: int | None, definition: str | None, in_full: bool
) -> ProfilePage:
    comp = wf.computation(definition)
    chosen = _year(comp, year)
    names = wf.names()
    if not any(u == ukprn for u, _ in comp.returned):
        raise NotFound(_unknown_provider(names, ukprn))
    if (ukprn, chosen) not in comp.returned:
        held = sorted(y for u, y in comp.returned if u == ukprn)
        raise NotFound(
            f"no return from provider {ukprn} for {codes.year_label(chosen)}; its returns: "
            + ", ".join(codes.year_label(y) for y in held)
        )
    groups = wf.groups()
    if group is not None and group not in groups:
        finding.check_choice("peer group", group, groups)
    name = names.get(ukprn, ukprn)
    returners = sorted(u for (u, y), r in comp.returned.items() if y == chosen and r)
    members = groups[group] if group else returners
    _check_group_size(wf, group, members)
    against = group or "sector providers"
    median_label = f"{group} median" if group else "Sector median provider"
    single: list[ProfileIndicator] = []
    comparison: list[dict[str, Any]] = []
    strips: dict[str, list[dict[str, Any]]] = {"%": [], "people": []}
    for ind in SINGLE:
        if ind in PROVIDER_LEVEL or ind == "leadership.share":
            continue
        own = _cell(_one(comp, ind, chosen, [ukprn], scope=ukprn, true_values=in_full), in_full=in_full)
        sector = _cell(_one(comp, ind, chosen))
        pos = peer_groups.position(comp, ind, chosen, ukprn, against, members)
        title = BY_ID[ind].title
        if BY_ID[ind].unit == "percent":
            comparison += [
                {"indicator": title, "series": label, "percent": cell.value, "shown": cell.display}
                for label, cell in (("This provider", own), (median_label, pos.median))
            ]
        strip = "%" if BY_ID[ind].unit == "percent" else "people" if ind in STRIP_COUNTS else None
        if strip:
            cells = comp.provider_cells(ind, chosen)
            for u in sorted(set(members) | {ukprn}):
                c = cells.get(u)
                if c is not None and isinstance(c.value, int | float):
                    strips[strip].append(
                        {
                            "indicator": title,
                            "provider": names.get(u, u),
                            "value": c.value,
                            "shown": c.display,
                            "highlight": u == ukprn,
                            "median": False,
                        }
                    )
            if isinstance(pos.median.value, int | float):
                strips[strip].append(
                    {
                        "indicator": title,
                        "provider": median_label,
                        "value": pos.median.value,
                        "shown": pos.median.display,
                        "highlight": False,
                        "median": True,
                    }
                )
        tie = pos.rank is not None and sum(1 for v in pos.values if v == pos.own) > 1
        single.append(
            ProfileIndicator(
                indicator=ind,
                title=title,
                unit=BY_ID[ind].unit,
                provider=own,
                group_median=pos.median.display,
                group_quartiles=f"{pos.lower_quartile.display} – {pos.upper_quartile.display}",
                rank=f"{'=' if tie else ''}{pos.rank} of {pos.of}" if pos.rank else None,
                quartile=pos.quartile,
                sector=sector,
                better=BETTER,
                compared_with=against,
            )
        )
    provider_level = [
        _yes_no(comp, ind, chosen, ukprn, groups[group] if group else None, against) for ind in PROVIDER_LEVEL
    ]
    breakdowns = [_breakdown(comp, ind, chosen, ukprn, name, in_full) for ind in BREAKDOWNS]
    series_order = ["This provider", median_label]
    compare_title = f"Percentages: {name} against the " + (
        f"{group} median" if group else "sector median provider"
    )
    compare_chart = chart_with_table(
        compare_title,
        comparison,
        charts.bar(
            comparison,
            x="indicator",
            y="percent",
            title=compare_title,
            unit="%",
            order=list(dict.fromkeys(r["indicator"] for r in comparison)),
            series="series",
            series_order=series_order,
            horizontal=True,
        ),
        x="indicator",
        y="percent",
    )
    strip_charts = []
    for unit, rows in strips.items():
        if not rows:
            continue
        title = f"Each {'peer' if group else 'provider'}'s value ({unit})"
        strip_charts.append(
            chart_with_table(
                title,
                rows,
                charts.strip(
                    rows,
                    x="value",
                    y="indicator",
                    title=title,
                    unit=unit,
                    order=list(dict.fromkeys(r["indicator"] for r in rows)),
                ),
                x="provider",
                y="value",
                kind="dot plot",
                note=f"One dot per provider in {against}; {name} is the large blue dot, the red tick the median.",
            )
        )
    ceiling = [
        {
            "staff group": r.category,
            "highest level": r.cell.display,
            "label": codes.LEVELS.get(str(r.cell.display), ""),
        }
        for r in comp.results("grade.ceiling", ukprn, [ukprn])
        if r.year == chosen
    ]
    grade_title = f"Highest level held: {name}"
    grade_chart = chart_with_table(
        grade_title,
        ceiling,
        charts.levels(
            ceiling, x="highest level", y="staff group", title=grade_title, scale=list(codes.LEVELS)
        ),
        x="staff group",
        y="highest level",
        kind="dot plot on the LEVELS scale",
    )
    return ProfilePage(
        title=f"{name} ({ukprn}) {codes.year_label(chosen)}",
        ukprn=ukprn,
        name=name,
        group=group,
        groups=sorted(groups),
        compared_with=against,
        in_full=in_full,
        indicators=single,
        provider_level=provider_level,
        comparison=compare_chart,
        strips=strip_charts,
        grade_ceiling=ceiling,
        grade_chart=grade_chart,
        breakdowns=breakdowns,
        legend=_legend(comp, in_full=in_full),
        meta=_meta(comp, chosen),
        filters=_filters(wf, comp, chosen),
    )


STRIP_COUNTS = ("tech.headcount", "tech.fpe", "tech.fte")


def _yes_no(
    comp: Computation, ind: str, year: int, ukprn: str, members: list[str] | None, against: str
) -> ProfileIndicator:
    """A provider-level fact (has a strategic technical leader; returned non-academic staff)
    as yes/no, with how many of the comparison's and the sector's providers say yes."""
    cells = comp.provider_cells(ind, year)
    if ind == "providers.returned_non_academic":
        flags = {u: int(r) for (u, y), r in comp.returned.items() if y == year}
    else:
        flags = {u: int(c.value) for u, c in cells.items() if isinstance(c.value, int | float)}

    def share(of: list[str]) -> str:
        known = [flags[u] for u in of if u in flags]
        yes = sum(known)
        return f"{yes} of {len(known)} ({100 * yes / len(known):.1f}%)" if known else ".."

    own = flags.get(ukprn)
    shown = ".." if own is None else ("yes" if own else "no")
    title = {
        "leadership.has_leader": "Has a strategic technical leader",
        "providers.returned_non_academic": "Returned non-academic staff",
    }[ind]
    return ProfileIndicator(
        indicator=ind,
        title=title,
        unit="yes/no",
        provider=Cell(
            value=own, display=shown, disclosure="a fact about the provider, not a count of people"
        ),
        group_median=share(members if members is not None else sorted(flags)),
        group_quartiles=None,
        rank=None,
        quartile=None,
        sector=Cell(value=None, display=share(sorted(flags)), disclosure="providers, not people"),
        better="yes or no; the comparison says how many providers say yes",
        compared_with=against,
    )


def _breakdown(comp: Computation, ind: str, year: int, ukprn: str, name: str, in_full: bool) -> Chart:
    results = _natural(
        ind, [r for r in comp.results(ind, ukprn, [ukprn], true_values=in_full) if r.year == year]
    )
    title = f"{BY_ID[ind].title}: {name}"
    return _breakdown_chart(ind, title, results, in_full=in_full)


def _breakdown_chart(
    ind: str, title: str, results: list[Result], *, in_full: bool = False, by_year: bool = False
) -> Chart:
    """A breakdown as bars in natural order. Two-part categories ("level group / sex") are
    grouped by their first part with the second as coloured series; with ``by_year``, each
    year is its own series (for two-part categories: each part and year, "Female 2023/24")."""
    unit = axis_unit(ind)
    rows: list[dict[str, Any]] = []
    two_part = " / " in (BY_ID[ind].breakdown or "")
    for r in results:
        cell = _cell(r, in_full=in_full)
        label = labels.category(ind, r.category, r.year)
        row: dict[str, Any] = {"category": label}
        if two_part:
            level, _, part = label.partition(" / ")
            row = {"category": level, "group": part}
        if by_year:
            row["year"] = codes.year_label(r.year)
        row.update({"FPE": cell.value, "shown": cell.display})
        rows.append(row)
    order = list(dict.fromkeys(str(r["category"]) for r in rows))
    series = "group" if two_part else ("year" if by_year else None)
    drawn = rows
    if two_part and by_year:
        series = "series"
        drawn = [{**r, "series": f"{r['group']} {r['year']}"} for r in rows]
        drawn.sort(key=lambda r: (order.index(r["category"]), r["group"], r["year"]))
    series_order = list(dict.fromkeys(str(r[series]) for r in drawn)) if series else None  # as drawn
    spec = charts.bar(
        drawn,
        x="category",
        y="FPE",
        title=title,
        unit=unit,
        order=order,
        series=series,
        series_order=series_order,
        horizontal=True,
    )
    return chart_with_table(title, rows, spec, x="category", y="FPE")


def explore(
    wf: Workforce,
    indicator: str,
    *,
    scope: str = "sector",
    year: int | None = None,
    definition: str | None = None,
    in_full: bool = False,
) -> ExplorePage:
    """One indicator for a population: the sector, a peer group (``group:NAME``) or one
    provider (``provider:UKPRN``), by its breakdown; chart, table and CSV rows."""
    return wf.cached(
        ("explore", indicator, scope, year, definition, in_full),
        lambda: _explore(wf, indicator, scope, year, definition, in_full),
    )


def _explore(
    wf: Workforce, indicator: str, scope: str, year: int | None, definition: str | None, in_full: bool
) -> ExplorePage:
    if indicator not in BY_ID:
        finding.check_choice("indicator", indicator, BY_ID)
    comp = wf.computation(definition)
    chosen = _year(comp, year) if year is not None else None
    kind, _, name = scope.partition(":")
    if kind == "sector":
        members, label = None, "sector"
    elif kind == "group":
        groups = wf.groups()
        if name not in groups:
            finding.check_choice("peer group", name, groups)
        members, label = groups[name], name
        _check_group_size(wf, name, members)
    elif kind == "provider":
        if not any(u == name for u, _ in comp.returned):
            raise NotFound(_unknown_provider(wf.names(), name))
        members, label = [name], wf.names().get(name, name)
    else:
        raise NotFound(f"unknown population {scope!r}: use sector, group:NAME or provider:UKPRN")
    ind = BY_ID[indicator]
    own = in_full and kind == "provider"
    results = [
        r
        for r in comp.results(indicator, label, members, true_values=own)
        if chosen is None or r.year == chosen
    ]
    results = _natural(indicator, results) if ind.breakdown else results
    rows = []
    fact = kind == "provider" and ind.aggregate == "providers"  # one provider: yes or no
    for r in results:
        cell = _cell(r, in_full=own)
        shown = cell.display
        if fact and isinstance(cell.value, int | float):
            shown = "yes" if cell.value else "no"
        rows.append(
            ExploreRow(
                year=codes.year_label(r.year),
                category=labels.category(indicator, r.category, r.year) or r.category,  # "all" stays "all"
                value=cell.value,
                shown=shown,
                disclosure=cell.disclosure,
            )
        )
    when = codes.year_label(chosen) if chosen is not None else "all years"
    title = f"{ind.title}: {label}, {when}"
    all_years = chosen is None and len({r.year for r in results}) > 1
    if ind.unit == "level":
        ceiling = [{"staff group": r.category, "year": r.year, "highest level": r.value} for r in rows]
        chart = chart_with_table(
            title,
            ceiling,
            charts.levels(
                ceiling,
                x="highest level",
                y="staff group",
                title=title,
                scale=list(codes.LEVELS),
                series="year" if all_years else None,
                series_order=list(dict.fromkeys(r.year for r in rows)) if all_years else None,
            ),
            x="staff group",
            y="highest level",
            kind="dot plot on the LEVELS scale",
        )
    elif ind.breakdown:
        chart = _breakdown_chart(indicator, title, results, in_full=own, by_year=all_years)
    else:
        points = [{"year": r.year, "value": r.value, "shown": r.shown} for r in rows]
        order = [r.year for r in rows]
        spec = (
            charts.line(points, x="year", y="value", title=title, unit=axis_unit(indicator), order=order)
            if len(points) > 1
            else charts.bar(points, x="year", y="value", title=title, unit=axis_unit(indicator), order=order)
        )
        chart = chart_with_table(
            title,
            points,
            spec,
            x="year",
            y="value",
            kind="line chart" if len(points) > 1 else "bar chart",
            note="The value axis does not start at zero, so that the change between years shows."
            if len(points) > 1
            else "",
        )
    query = {"indicator": indicator, "scope": scope, "definition": comp.definition.name}
    if chosen is not None:
        query["year"] = str(chosen)
    return ExplorePage(
        title=title,
        indicator=indicator_info(indicator),
        scope=scope,
        population=label,
        year=when,
        csv="/workforce/explore.csv?" + urlencode(query),
        rows=rows,
        chart=chart,
        catalogue=catalogue(),
        groups=sorted(wf.groups()),
        filters=_filters(wf, comp, chosen),
        legend=_legend(comp, in_full=own),
        meta=ExploreMeta(definition=comp.definition.stamp, disclosure=comp.rules.stamp),
    )


def _unknown_provider(names: dict[str, str], ukprn: str) -> str:
    """No such provider (or none with a return): the message lists the nearest known ones."""
    near = [finding.provider_label(names, u) for u in finding.nearest_providers(names, ukprn)]
    return f"no return from provider {ukprn!r}" + (f"; nearest: {', '.join(near)}" if near else "")


def _check_group_size(wf: Workforce, group: str | None, members: list[str]) -> None:
    """A group saved before the minimum size was enforced is not used for published figures."""
    least = wf.settings.min_peer_group_size
    if group is not None and len(members) < least:
        raise peer_groups.PeerGroupError(
            f"peer group {group!r} has {len(members)} member(s), fewer than the {least} a peer group needs; "
            "add providers to it (disclosure control)"
        )


def indicator_info(indicator: str) -> IndicatorInfo:
    ind = BY_ID[indicator]
    return IndicatorInfo(
        id=ind.id,
        title=ind.title,
        definition=ind.definition,
        unit=ind.unit,
        population=ind.population,
        breakdown=ind.breakdown,
    )


def catalogue() -> list[IndicatorInfo]:
    return [indicator_info(i.id) for i in CATALOGUE]


def definitions_page(wf: Workforce) -> DefinitionsPage:
    with wf.db.session() as session:
        found = definitions.all_definitions(session)
    rules = RULE_SETS[wf.settings.disclosure_rules]
    return DefinitionsPage(
        title="Definitions",
        disclosure=rules.describe(),
        definitions=[
            DefinitionInfo(
                stamp=d.stamp,
                name=d.name,
                version=d.version,
                title=d.title,
                description=d.description,
                soc2010=d.soc2010,
                soc2020=d.soc2020,
                leadership_levels=d.leadership_levels,
                managers_in_technical_cost_centres=d.managers_in_technical_cost_centres,
                labelled={
                    "soc2010": [labels.soc_group(c, codes.SOC2010_UNIT) for c in d.soc2010],
                    "soc2020": [labels.soc_group(c, codes.SOC2020_UNIT) for c in d.soc2020],
                    "leadership_levels": [labels.level(c) for c in d.leadership_levels],
                },
            )
            for d in found
        ],
        indicators=catalogue(),
    )


def peer_groups_page(wf: Workforce) -> PeerGroupsPage:
    names = wf.names()
    with wf.db.session() as session:
        places = {
            p.ukprn: {"nation": p.nation, "region": p.region} for p in session.scalars(select(Provider))
        }
        groups = [
            PeerGroupInfo(
                name=g.name,
                description=g.description,
                members=[
                    ProviderName(ukprn=m.ukprn, provider=names.get(m.ukprn, m.ukprn)) for m in g.members
                ],
            )
            for g in peer_groups.all_groups(session)
        ]
    return PeerGroupsPage(
        title="Peer groups",
        groups=groups,
        providers=[
            ProviderName(ukprn=u, provider=n, **places.get(u, {}))
            for u, n in sorted(names.items(), key=lambda kv: kv[1])
        ],
    )


def snapshot_rows(
    wf: Workforce, ukprn: str, year: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The pseudonymised activity rows of one provider's snapshot (row-level data: the
    caller's access policy must allow it)."""
    import duckdb

    with wf.db.session() as session:
        found = store.snapshot_files(session, wf.settings, ukprns=[ukprn], years=[year] if year else None)
    if not found:
        raise NotFound(
            f"no snapshot for provider {ukprn}" + (f" in {codes.year_label(year)}" if year else "")
        )
    _snapshot, path = found[-1]  # the newest year unless one was asked for
    con = duckdb.connect()
    try:
        cursor = con.execute(
            "SELECT * EXCLUDE (record_key) FROM read_parquet(?) ORDER BY person_id, contract_id", [str(path)]
        )
        header = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        if "own_id" in header:  # a link key for consenting programme participants, not for downloads
            at = header.index("own_id")
            header = header[:at] + header[at + 1 :]
            rows = [r[:at] + r[at + 1 :] for r in rows]
        return header, rows
    finally:
        con.close()
