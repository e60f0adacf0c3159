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


class Chart(Model):
    """A chart (a Vega-Lite spec, None when nothing can be plotted), its text alternative
    and the table it is drawn from."""

    title: str
    spec: dict[str, Any] | None
    alt: str
    columns: list[str]
    rows: list[dict[str, Any]]


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


class OverviewPage(Model):
    title: str
    years: list[str]
    headline: list[HeadlineCell]
    leadership: Leadership
    providers: list[dict[str, Any]]  # one row a provider; the columns are indicator titles
    charts: list[Chart]
    meta: Meta
    filters: Filters


class ProfileIndicator(Model):
    indicator: str
    title: str
    unit: str
    provider: Cell
    group_median: str | None
    group_quartiles: str | None
    rank: str | None
    quartile: str | None
    sector: Cell


class ProfilePage(Model):
    title: str
    ukprn: str
    group: str | None
    groups: list[str]
    in_full: bool
    indicators: list[ProfileIndicator]
    comparison: Chart
    grade_ceiling: list[dict[str, str]]  # {"staff group": ..., "highest level": ...}
    breakdowns: list[Chart]
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
    category: str
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
    rows: list[ExploreRow]
    chart: Chart
    catalogue: list[IndicatorInfo]
    groups: list[str]
    filters: Filters
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
