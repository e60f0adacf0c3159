"""The analysis pages' data, typed: what each page of a study's analysis shows and its /api
twin returns (matrix, frequencies, co-occurrence, survey tables, quotes, case studies).
Nothing here knows about HTTP; research/analysis_pages.py fills these from the store."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from techforce.research.records import Table

Cell = str | int | float | None


class Option(BaseModel):
    value: str
    label: str


class Control(BaseModel):
    """A choice on the page's filter form (a GET parameter): ``value`` is what is chosen now
    (``values`` for a multiple choice)."""

    name: str
    label: str
    value: str = ""
    values: list[str] = Field(default_factory=list)
    multiple: bool = False
    options: list[Option]


class Link(BaseModel):
    label: str
    href: str
    current: bool = False


class TableView(BaseModel):
    """A table as columns and rows of plain values, with notes on how to read it."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, table: Table) -> TableView:
        return cls(
            title=table.title,
            columns=list(table.columns),
            rows=[list(r) for r in table.rows],
            notes=list(table.notes),
        )


class ChartView(BaseModel):
    """A chart (a Vega-Lite spec, None when nothing can be plotted), its text alternative and
    the table it is drawn from (as the shared ``chart`` macro shows it)."""

    title: str
    spec: dict[str, Any] | None
    alt: str
    columns: list[str]
    rows: list[dict[str, Any]]
    name: str = "chart"
    note: str = ""


class AnalysisPage(BaseModel):
    """What every analysis page has: the study, the reader's right, the other analysis pages,
    the filter form, the table (with its downloads, for owners) and its charts."""

    title: str
    study: str
    study_name: str
    right: str
    tabs: list[Link]
    controls: list[Control]
    table: TableView
    charts: list[ChartView] = Field(default_factory=list)
    downloads: list[Link] = Field(default_factory=list)
    message: str = ""
    error: str = ""


class MatrixPage(AnalysisPage):
    layer: str
    mode: str
    only: str  # "attribute=value": only the cases with that value; "" for every case


class FrequenciesPage(AnalysisPage):
    layer: str
    by: str


class CooccurrencePage(AnalysisPage):
    layer: str
    same_coder: bool


class SurveyPage(AnalysisPage):
    item: str
    by: str
    protected: bool  # True: every figure went through the disclosure gate
    rules: str  # the rule set's stamp
    reasons: list[list[str]]  # per row and cell: why it is shown as it is (rounded, suppressed)


class Proposal(BaseModel):
    """A safer attribution the owner may coarsen to (field -> value as shown)."""

    text: str
    attribution: dict[str, str]
    matching: int


class QuoteRow(BaseModel):
    coding_id: int
    text: str
    speaker: str
    may_name: bool  # the participant agreed to be named rather than shown by pseudonym
    attributes: dict[str, str]
    code: str
    source: str
    verdict: str  # safe | risk (refused speakers are not listed)
    reasons: list[str]
    attribution: dict[str, str]  # as the check shows it with the chosen fields
    proposals: list[Proposal]
    decision: str  # publish | coarsen | block | ""
    decided: str  # the decided attribution as text
    ok: bool  # the decision may be published now
    problem: str


class QuotesPage(AnalysisPage):
    layer: str
    k: int
    fields: list[str]
    quotes: list[QuoteRow]
    can_decide: bool
    published: TableView


class CaseQuote(BaseModel):
    coding_id: int
    text: str
    speaker: str
    may_name: bool
    attribution: str
    code: str
    ok: bool  # still passes consent and k; else it is flagged and left out of exports
    problem: str


class CaseStudyRow(BaseModel):
    guid: str
    title: str
    ukprn: str
    provider: str
    status: str
    quotes: int
    flagged: int
    href: str


class Choice(BaseModel):
    """A quote that may be placed in a case study."""

    coding_id: int
    label: str
    chosen: bool = False


class CaseStudiesPage(BaseModel):
    title: str
    study: str
    study_name: str
    right: str
    tabs: list[Link]
    case_studies: list[CaseStudyRow]
    can_edit: bool
    choices: list[Choice]
    statuses: list[str]
    message: str = ""
    error: str = ""
    values: dict[str, Any] = Field(default_factory=dict)


class CaseStudyPage(BaseModel):
    title: str
    study: str
    study_name: str
    right: str
    tabs: list[Link]
    guid: str
    case_study_title: str
    ukprn: str
    provider: str
    summary: str
    body: str
    status: str
    created_by: str
    updated_at: str
    quotes: list[CaseQuote]
    flagged: int
    can_edit: bool
    choices: list[Choice]
    statuses: list[str]
    message: str = ""
    error: str = ""
    values: dict[str, Any] = Field(default_factory=dict)
