"""The workforce pages as typed data (page_models): sector overview, provider profile,
indicator explorer, definitions and peer groups. The web app renders these models as HTML
and returns them as the pages' JSON twins; nothing here knows about HTTP.

Page data are cached per data version by service.Workforce and rebuilt only after an
ingest, a peer-group or provider change, or a new definition."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from techforce.disclosure import RULE_SETS
from techforce.present import charts
from techforce.workforce import codes, definitions, peer_groups, store
from techforce.workforce.indicators import BY_ID, CATALOGUE, Computation, Result
from techforce.workforce.models import Provider
from techforce.workforce.page_models import (
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
    Meta,
    OverviewPage,
    PeerGroupInfo,
    PeerGroupsPage,
    ProfileIndicator,
    ProfilePage,
    ProviderName,
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
BREAKDOWNS = [i.id for i in CATALOGUE if i.breakdown]


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


def _chart(
    title: str,
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    color: str | None = None,
    horizontal: bool = False,
) -> Chart:
    """A chart with its text alternative and the table it is drawn from."""
    plotted = [r for r in rows if r.get(y) is not None]
    spec = (
        charts.bar(
            plotted, x=x, y=y, title=title, color=color, horizontal=horizontal, grouped=color is not None
        )
        if plotted
        else None
    )
    top = max(plotted, key=lambda r: r[y]) if plotted else None
    alt = (
        f"{title}: bar chart of {len(plotted)} values; the largest is {top[x]}"
        + (f" ({top.get('shown', top[y])})" if top else "")
        if top
        else f"{title}: no data to plot"
    )
    return Chart(title=title, spec=spec, alt=alt, columns=list(rows[0]) if rows else [], rows=rows)


def overview(wf: Workforce, *, year: int | None = None, definition: str | None = None) -> OverviewPage:
    return wf.cached(("overview", year, definition), lambda: _overview(wf, year, definition))


def _overview(wf: Workforce, year: int | None, definition: str | None) -> OverviewPage:
    comp = wf.computation(definition)
    chosen = _year(comp, year)
    names = wf.names()
    headline = [
        HeadlineCell(indicator=i, title=BY_ID[i].title, **_cell(_one(comp, i, chosen)).model_dump())
        for i in HEADLINE
    ]
    share = _one(comp, "leadership.share", chosen)
    leaders = _one(comp, "leadership.has_leader", chosen)
    returned = _one(comp, "providers.returned_non_academic", chosen)
    per_provider = {
        i: comp.provider_cells(i, chosen) for i in ("tech.headcount", "tech.fpe", "leadership.leaders")
    }
    providers: list[dict[str, Any]] = []
    for (ukprn, y), did_return in sorted(comp.returned.items()):
        if y != chosen:
            continue
        row: dict[str, Any] = {
            "ukprn": ukprn,
            "provider": names.get(ukprn, ukprn),
            "returned non-academic": did_return,
        }
        for ind, cells in per_provider.items():
            cell = cells.get(ukprn)
            row[BY_ID[ind].title] = cell.display if cell is not None else comp.rules.marker
        providers.append(row)
    trend_rows = [
        {"year": codes.year_label(r.year), "technical headcount": r.cell.value, "shown": r.cell.display}
        for r in comp.results("tech.headcount", "sector", None)
    ]
    ages = [
        {"age band": r.category, "FPE": r.cell.value, "shown": r.cell.display}
        for r in comp.results("tech.by_age", "sector", None)
        if r.year == chosen
    ]
    return OverviewPage(
        title=f"Sector overview {codes.year_label(chosen)}",
        years=[codes.year_label(y) for y in wf.years(comp)],
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
        charts=[
            _chart("Technical headcount over time", trend_rows, x="year", y="technical headcount"),
            _chart("Technical staff by age band", ages, x="age band", y="FPE"),
        ],
        meta=_meta(comp, chosen),
        filters=_filters(wf, comp, chosen),
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


def _profile(
    wf: Workforce, ukprn: str, group: str | None, year: int | None, definition: str | None, in_full: bool
) -> ProfilePage:
    comp = wf.computation(definition)
    chosen = _year(comp, year)
    if (ukprn, chosen) not in comp.returned:
        raise NotFound(f"no return from provider {ukprn} for {codes.year_label(chosen)}")
    groups = wf.groups()
    if group is not None and group not in groups:
        raise NotFound(f"no peer group {group!r}; known: {', '.join(groups) or 'none'}")
    members = groups.get(group, []) if group else []
    _check_group_size(wf, group, members)
    name = wf.names().get(ukprn, ukprn)
    single: list[ProfileIndicator] = []
    comparison: list[dict[str, Any]] = []
    for ind in SINGLE:
        own = _cell(_one(comp, ind, chosen, [ukprn], scope=ukprn, true_values=in_full), in_full=in_full)
        sector = _cell(_one(comp, ind, chosen))
        pos = peer_groups.position(comp, ind, chosen, ukprn, group, members) if group else None
        if BY_ID[ind].unit == "percent" and BY_ID[ind].aggregate != "providers":
            series = [("This provider", own.value), ("Sector", sector.value)]
            if pos:
                series.insert(1, (f"{group} median", pos.median.value))
            comparison += [
                {"indicator": BY_ID[ind].title, "series": label, "percent": value} for label, value in series
            ]
        single.append(
            ProfileIndicator(
                indicator=ind,
                title=BY_ID[ind].title,
                unit=BY_ID[ind].unit,
                provider=own,
                group_median=pos.median.display if pos else None,
                group_quartiles=f"{pos.lower_quartile.display} – {pos.upper_quartile.display}"
                if pos
                else None,
                rank=f"{pos.rank} of {pos.of}" if pos and pos.rank else None,
                quartile=pos.quartile if pos else None,
                sector=sector,
            )
        )
    breakdowns = []
    for ind in BREAKDOWNS:
        rows = []
        for r in comp.results(ind, ukprn, [ukprn], true_values=in_full):
            if r.year == chosen:
                cell = _cell(r, in_full=in_full)
                rows.append({"category": r.category, "FPE": cell.value, "shown": cell.display})
        breakdowns.append(_chart(f"{BY_ID[ind].title}: {name}", rows, x="category", y="FPE", horizontal=True))
    compare_chart = _chart(
        "Percentages against " + (f"{group} and " if group else "") + "the sector",
        comparison,
        x="indicator",
        y="percent",
        color="series",
        horizontal=True,
    )
    ceiling = [
        {"staff group": r.category, "highest level": r.cell.display}
        for r in comp.results("grade.ceiling", ukprn, [ukprn])
        if r.year == chosen
    ]
    return ProfilePage(
        title=f"{name} ({ukprn}) {codes.year_label(chosen)}",
        ukprn=ukprn,
        group=group,
        groups=sorted(groups),
        in_full=in_full,
        indicators=single,
        comparison=compare_chart,
        grade_ceiling=ceiling,
        breakdowns=breakdowns,
        meta=_meta(comp, chosen),
        filters=_filters(wf, comp, chosen),
    )


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
        raise NotFound(f"no indicator {indicator!r}; see the indicator list")
    comp = wf.computation(definition)
    chosen = _year(comp, year) if year is not None else None
    kind, _, name = scope.partition(":")
    if kind == "sector":
        members, label = None, "sector"
    elif kind == "group":
        groups = wf.groups()
        if name not in groups:
            raise NotFound(f"no peer group {name!r}; known: {', '.join(groups) or 'none'}")
        members, label = groups[name], name
        _check_group_size(wf, name, members)
    elif kind == "provider":
        if not any(u == name for u, _ in comp.returned):
            raise NotFound(f"no return from provider {name!r}")
        members, label = [name], wf.names().get(name, name)
    else:
        raise NotFound(f"unknown population {scope!r}: use sector, group:NAME or provider:UKPRN")
    ind = BY_ID[indicator]
    rows: list[ExploreRow] = []
    own = in_full and kind == "provider"
    for r in comp.results(indicator, label, members, true_values=own):
        if chosen is not None and r.year != chosen:
            continue
        cell = _cell(r, in_full=own)
        rows.append(
            ExploreRow(
                year=codes.year_label(r.year),
                category=r.category,
                value=cell.value,
                shown=cell.display,
                disclosure=cell.disclosure,
            )
        )
    x = "category" if ind.breakdown else "year"
    chart = (
        _chart(
            f"{ind.title}: {label}",
            [r.model_dump() for r in rows],
            x=x,
            y="value",
            horizontal=bool(ind.breakdown),
        )
        if ind.unit != "level"
        else _chart(ind.title, [], x=x, y="value")
    )
    return ExplorePage(
        title=f"{ind.title}: {label}",
        indicator=indicator_info(indicator),
        scope=scope,
        rows=rows,
        chart=chart,
        catalogue=catalogue(),
        groups=sorted(wf.groups()),
        filters=_filters(wf, comp, chosen),
        meta=ExploreMeta(definition=comp.definition.stamp, disclosure=comp.rules.stamp),
    )


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
        return header, cursor.fetchall()
    finally:
        con.close()
