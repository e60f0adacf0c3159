"""The shapes of the workforce pages' data (techforce.workforce.pages builds them): the
web app renders them as HTML and returns them as the pages' JSON twins, so the OpenAPI
document describes these fields. Field names and order are the JSON's.

Page data are cached and shared between requests: the models are frozen."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

# A published number: an int or float, a level's label ("F1"), or None when suppressed.
Value = int | float | str | None


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Cell(Model):
    """A published figure: ``display`` is what may be shown, ``value`` the number behind it
    (None when suppressed), ``disclosure`` how it was protected."""

    value: Value
    display: str
    disclosure: str


class HeadlineCell(Model):
    indicator: str
    title: str
    value: Value
    display: str
    disclosure: str
    previous: str | None = None  # the published figure of the year before, as shown
    change: str | None = None  # e.g. "▲ 130 from 4,130 in 2022/23"; None without a year before
    trend: str | None = None  # up, down or same


class LegendItem(Model):
    """What a marker in the page's tables means (one meaning per marker per page)."""

    marker: str
    meaning: str


class Chart(Model):
    """A chart (a Vega-Lite spec, None when nothing can be plotted), its text alternative
    and the table it is drawn from."""

    title: str
    spec: dict[str, Any] | None
    alt: str
    columns: list[str]
    rows: list[dict[str, Any]]
    name: str = "chart"  # file name (without extension) for downloads
    note: str = ""  # what a reader must know, e.g. that the axis does not start at zero


class Meta(Model):
    year: str
    definition: str
    disclosure: str
    population: str


class YearOption(Model):
    value: int
    label: str


class DefinitionOption(Model):
    value: str
    label: str


class Filters(Model):
    """The choices a page offers: reporting year and definition."""

    year: int | None
    years: list[YearOption]
    definition: str
    definitions: list[DefinitionOption]


class Leadership(Model):
    share: Cell
    providers_with_leader: Cell
    providers_returned: Cell
    text: str


class AreaRow(Model):
    """One UK nation or English region: its providers and published figures."""

    area: str
    providers: int
    returned: int
    cells: list[Cell]  # published figures for the area's providers, in the order of Regions.columns[3:]


class Regions(Model):
    map: Chart
    columns: list[str]
    rows: list[AreaRow]


class OverviewPage(Model):
    title: str
    summary: str  # the headline sentence
    source: str  # data, year, definition, rule set
    years: list[str]
    headline: list[HeadlineCell]
    leadership: Leadership
    providers: list[dict[str, Any]]  # one row a provider; the columns are indicator titles
    provider_columns: list[str]  # the indicator columns of ``providers``, in order
    nations: list[str]
    areas: list[str]
    groups: list[str]
    charts: list[Chart]
    regions: Regions
    legend: list[LegendItem]
    meta: Meta
    filters: Filters


class ProfileIndicator(Model):
    indicator: str
    title: str
    unit: str
    provider: Cell
    group_median: str | None  # the median of the comparison (the peer group, or the sector's providers)
    group_quartiles: str | None
    rank: str | None  # "3 of 8"; "=3 of 8" when others share the value
    quartile: str | None
    sector: Cell
    better: str = ""  # whether a higher value is better, worse, or only different
    compared_with: str = ""  # "Russell Group" or "sector providers"


class ProfilePage(Model):
    title: str
    ukprn: str
    name: str
    group: str | None
    groups: list[str]
    compared_with: str  # the peer group's name, or "sector providers" (the median provider)
    in_full: bool
    indicators: list[ProfileIndicator]
    provider_level: list[ProfileIndicator]  # yes/no facts about the provider (has a leader...)
    comparison: Chart
    strips: list[Chart]  # each peer's published value per indicator, this provider highlighted
    grade_ceiling: list[dict[str, str]]  # {"staff group": ..., "highest level": ...}
    grade_chart: Chart
    breakdowns: list[Chart]
    legend: list[LegendItem]
    meta: Meta
    filters: Filters


class IndicatorInfo(Model):
    id: str
    title: str
    definition: str
    unit: str
    population: str
    breakdown: str | None


class ExploreRow(Model):
    year: str
    category: str  # with its label where it is a code ("3111 Laboratory technicians")
    value: Value
    shown: str
    disclosure: str


class ExploreMeta(Model):
    definition: str
    disclosure: str


class ExplorePage(Model):
    title: str
    indicator: IndicatorInfo
    scope: str
    population: str  # the population's name: "sector", a peer group's or a provider's name
    year: str  # "2023/24" or "all years"
    csv: str  # the link that downloads exactly this table
    rows: list[ExploreRow]
    chart: Chart
    catalogue: list[IndicatorInfo]
    groups: list[str]
    filters: Filters
    legend: list[LegendItem]
    meta: ExploreMeta


class DefinitionInfo(Model):
    stamp: str
    name: str
    version: int
    title: str
    description: str
    soc2010: list[str]
    soc2020: list[str]
    leadership_levels: list[str]
    managers_in_technical_cost_centres: bool
    labelled: dict[str, list[str]] = {}  # soc2010 / soc2020 / leadership_levels with their labels


class DefinitionsPage(Model):
    title: str
    disclosure: dict[str, Any]  # the disclosure rule set's description, as published with outputs
    definitions: list[DefinitionInfo]
    indicators: list[IndicatorInfo]


class ProviderName(Model):
    ukprn: str
    provider: str
    nation: str = ""  # from the providers table, where known (the peer-group builder filters by it)
    region: str = ""


class PeerGroupInfo(Model):
    name: str
    description: str
    members: list[ProviderName]


class PeerGroupsPage(Model):
    title: str
    groups: list[PeerGroupInfo]
    providers: list[ProviderName]
