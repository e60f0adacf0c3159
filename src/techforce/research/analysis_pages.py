"""The analysis pages' data: the code × case matrix, code frequencies, code co-occurrence and
survey item tables of a study, built from the store through the pure functions of
:mod:`techforce.research.analysis` and :mod:`~techforce.research.survey_tables`, and the
exports of their tables (audited). No HTTP here: web/research_analysis.py shows these pages
and their /api twins; quotes and case studies are in quote_pages.py.

Codings are read from one layer (analysis_data.py): the consensus by default when a study has
one, else all coders together; a coder analyses only their own codings (blind coding).

Survey figures go through the disclosure gate for viewers and coders; the study's owners may
ask for true counts (``counts=true``), stamped as unrounded."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import TypedDict, cast
from urllib.parse import urlencode

from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.disclosure import RuleSet
from techforce.present import charts
from techforce.research import analysis, analysis_data, events, service
from techforce.research import analysis_models as am
from techforce.research.export import TableLike, to_csv, to_xlsx
from techforce.research.models import Study
from techforce.research.permissions import OWNER
from techforce.research.records import CaseRecord, SegmentRecord, attribute_names, attribute_value
from techforce.research.survey_tables import groupable, item_table
from techforce.settings import Settings

TABS = (
    ("matrix", "Code × case matrix"),
    ("frequencies", "Frequencies"),
    ("cooccurrence", "Co-occurrence"),
    ("survey", "Survey items"),
    ("quotes", "Quotes"),
)
SURVEY_KEY_LABEL = b"techforce/research/survey-record-key/v1"
COUNTS = ("protected", "true")
FORMATS = ("csv", "xlsx")


def survey_key(settings: Settings) -> bytes:
    """The secret behind survey respondents' record keys: derived from the deployment's
    pseudonymisation key (the workforce's) under a label of its own, so a record key here
    never equals one in the staff data."""
    from techforce.workforce import store

    base = store.load_or_create_key(settings.key_file)
    return hmac.new(base, SURVEY_KEY_LABEL, hashlib.sha256).digest()


def reader(s: Db, guid: str, username: str) -> tuple[Study, str]:
    """The study and the reader's right in it (NotFound for a non-member)."""
    st = service.study(s, guid)
    return st, analysis_data.right_of(s, st, username)


def tabs(guid: str, current: str) -> list[am.Link]:
    links = [
        am.Link(label=label, href=f"/research/{guid}/analysis/{name}", current=name == current)
        for name, label in TABS
    ]
    links.append(
        am.Link(
            label="Case studies", href=f"/research/{guid}/case-studies", current=current == "case-studies"
        )
    )
    return links


def downloads(guid: str, name: str, right: str, query: Mapping[str, str | Sequence[str]]) -> list[am.Link]:
    """The page's table as CSV and XLSX, with the page's choices (owners export)."""
    if right != OWNER:
        return []
    given = {k: v for k, v in query.items() if v}
    tail = f"?{urlencode(given, doseq=True)}" if given else ""
    return [
        am.Link(label=f"Download {fmt.upper()}", href=f"/research/{guid}/analysis/{name}.{fmt}{tail}")
        for fmt in FORMATS
    ]


def layer_control(shown: str, choices: Sequence[analysis_data.Layer]) -> am.Control:
    return am.Control(
        name="layer",
        label="Codings of",
        value=shown,
        options=[am.Option(value=c.value, label=c.label) for c in choices],
    )


class Head(TypedDict):
    """What every analysis page starts with."""

    title: str
    study: str
    study_name: str
    right: str
    tabs: list[am.Link]


def head(st: Study, right: str, name: str, label: str = "") -> Head:
    label = label or dict(TABS)[name]
    return Head(
        title=f"{label}: {st.name}", study=st.guid, study_name=st.name, right=right, tabs=tabs(st.guid, name)
    )


# ---------------------------------------------------------------- matrix


def only_options(cases: Sequence[CaseRecord]) -> list[am.Option]:
    options = [am.Option(value="", label="Every participant")]
    for name in attribute_names(cases):
        for value in sorted({attribute_value(c, name) for c in cases} - {""}):
            options.append(am.Option(value=f"{name}={value}", label=f"{name}: {value}"))
    return options


def only_cases(cases: Sequence[CaseRecord], only: str) -> list[CaseRecord]:
    """The cases whose attribute has the value ``only`` names (``attribute=value``)."""
    if not only:
        return list(cases)
    names = sorted((n for n in attribute_names(cases) if only.startswith(f"{n}=")), key=len, reverse=True)
    if not names:
        raise errors.Invalid(
            f"only: {only[:80]!r} names no participant attribute; give attribute=value, e.g. "
            "participant_type=technician.",
            [{"field": "only", "value": only[:80]}],
        )
    name = names[0]
    value = only[len(name) + 1 :]
    return [c for c in cases if attribute_value(c, name) == value]


def matrix_page(
    s: Db, guid: str, username: str, *, layer: str = "", mode: str = "counts", only: str = ""
) -> am.MatrixPage:
    """Codes (rows, in codebook order) by participants (columns): the number of coded
    segments, whether coded at all, or the coded texts; optionally only the participants with
    one attribute value."""
    st, right = reader(s, guid, username)
    shown, choices = analysis_data.chosen_layer(s, st, username, right, layer)
    if mode not in analysis.MODES:
        raise errors.Invalid(f"mode: {mode[:40]!r} is unknown; choose one of {', '.join(analysis.MODES)}.")
    cases = analysis_data.case_records(s, st)
    chosen = only_cases(cases, only)
    ids = {c.id for c in chosen}
    segments = [
        x for x in analysis_data.segment_records(s, st, shown) if x.case_id is None or x.case_id in ids
    ]
    table = analysis.code_case_matrix(
        segments, chosen, analysis_data.code_records(s, st), mode=cast(analysis.Mode, mode)
    )
    controls = [
        layer_control(shown, choices),
        am.Control(
            name="mode",
            label="Cells",
            value=mode,
            options=[am.Option(value=m, label=m) for m in analysis.MODES],
        ),
        am.Control(name="only", label="Participants", value=only, options=only_options(cases)),
    ]
    query = {"layer": layer, "mode": mode, "only": only}
    return am.MatrixPage(
        **head(st, right, "matrix"),
        controls=controls,
        table=am.TableView.of(table),
        downloads=downloads(guid, "matrix", right, query),
        layer=shown,
        mode=mode,
        only=only,
    )


# ---------------------------------------------------------------- frequencies


def _by_options(cases: Sequence[CaseRecord]) -> list[am.Option]:
    return [
        am.Option(value="case", label="participant"),
        *(am.Option(value=n, label=n) for n in attribute_names(cases)),
    ]


def frequencies_page(
    s: Db, guid: str, username: str, *, layer: str = "", by: str = "case"
) -> am.FrequenciesPage:
    """Per code: its coded segments and the participants coded with it, then a column per
    participant (segments) or per value of an attribute (participants), and a bar chart of
    the participants per code."""
    st, right = reader(s, guid, username)
    shown, choices = analysis_data.chosen_layer(s, st, username, right, layer)
    cases = analysis_data.case_records(s, st)
    segments = analysis_data.segment_records(s, st, shown)
    table = analysis.frequencies(segments, cases, by=by or "case")
    controls = [
        layer_control(shown, choices),
        am.Control(name="by", label="Columns by", value=by or "case", options=_by_options(cases)),
    ]
    return am.FrequenciesPage(
        **head(st, right, "frequencies"),
        controls=controls,
        table=am.TableView.of(table),
        charts=[_frequency_chart(table, guid)],
        downloads=downloads(guid, "frequencies", right, {"layer": layer, "by": by}),
        layer=shown,
        by=by or "case",
    )


def _frequency_chart(table: analysis.Table, guid: str) -> am.ChartView:
    rows = [
        {"code": str(r[0]), "participants": r[2], "segments": r[1], "shown": str(r[2])} for r in table.rows
    ]
    title = "Participants coded with each code"
    order = [str(r[0]) for r in table.rows]
    spec = (
        charts.bar(
            rows, x="code", y="participants", title=title, unit="participants", order=order, horizontal=True
        )
        if rows
        else None
    )
    return am.ChartView(
        title=title,
        spec=spec,
        alt=f"A bar per code: how many participants were coded with it ({len(rows)} codes).",
        columns=["code", "participants", "segments"],
        rows=rows,
        name=f"frequencies-{guid[:8]}",
    )


# ---------------------------------------------------------------- co-occurrence


def cooccurrence_page(
    s: Db, guid: str, username: str, *, layer: str = "", same_coder: bool = False
) -> am.CooccurrencePage:
    """A code × code table: how often segments of two codes overlap in the same source (the
    diagonal: each code's segments)."""
    st, right = reader(s, guid, username)
    shown, choices = analysis_data.chosen_layer(s, st, username, right, layer)
    segments: list[SegmentRecord] = analysis_data.segment_records(s, st, shown)
    table = analysis.cooccurrence(segments, analysis_data.code_records(s, st), same_coder=same_coder)
    controls = [
        layer_control(shown, choices),
        am.Control(
            name="same_coder",
            label="Overlaps coded by",
            value="1" if same_coder else "",
            options=[am.Option(value="", label="any coders"), am.Option(value="1", label="one coder")],
        ),
    ]
    return am.CooccurrencePage(
        **head(st, right, "cooccurrence"),
        controls=controls,
        table=am.TableView.of(table),
        downloads=downloads(
            guid, "cooccurrence", right, {"layer": layer, "same_coder": "1" if same_coder else ""}
        ),
        layer=shown,
        same_coder=same_coder,
    )


# ---------------------------------------------------------------- survey items


def survey_page(
    s: Db,
    guid: str,
    username: str,
    *,
    key: bytes,
    rules: RuleSet,
    item: str = "",
    by: str = "",
    counts: str = "protected",
) -> am.SurveyPage:
    """A Likert item's answers overall and per value of an attribute, as counts and
    percentages with a stacked bar chart. Protected by the disclosure gate unless an owner
    asks for true counts."""
    st, right = reader(s, guid, username)
    if counts not in COUNTS:
        raise errors.Invalid(f"counts: {counts[:20]!r} is unknown; choose protected or true.")
    if counts == "true" and right != OWNER:
        raise errors.Forbidden("only the study's owners see true counts of survey answers")
    cases = analysis_data.case_records(s, st)
    survey = analysis_data.survey_of(s, st, cases)
    likert = [i for i in survey.items if i.kind == "likert"]
    attrs = [i.column for i in survey.items if i.kind == "attribute"]
    chosen = item or (likert[0].column if likert else "")
    if counts != "true" and chosen in {i.column for i in likert}:  # only what viewers may group by
        attrs = groupable(survey, chosen, key=key, rules=rules, scope=st.guid)
    controls = [
        am.Control(
            name="item",
            label="Item",
            value=chosen,
            options=[am.Option(value=i.column, label=i.label or i.column) for i in likert],
        ),
        am.Control(
            name="by",
            label="By",
            value=by,
            options=[am.Option(value="", label="(everyone)"), *(am.Option(value=a, label=a) for a in attrs)],
        ),
    ]
    if right == OWNER:
        controls.append(
            am.Control(
                name="counts",
                label="Counts",
                value=counts,
                options=[
                    am.Option(value="protected", label="as viewers see them"),
                    am.Option(value="true", label="true counts"),
                ],
            )
        )
    common = head(st, right, "survey")
    query = {"item": item, "by": by, "counts": counts if counts != "protected" else ""}
    if not chosen:
        empty = am.TableView(
            title="Survey items", columns=[], rows=[], notes=["This study has no Likert survey items yet."]
        )
        return am.SurveyPage(
            **common, controls=controls, table=empty, item="", by=by, protected=True, rules="", reasons=[]
        )
    table = item_table(
        survey, chosen, by or None, key=key, rules=rules, full_access=counts == "true", scope=st.guid
    )
    view = am.TableView(
        title=table.title,
        columns=list(table.columns),
        rows=[list(r) for r in table.rows],
        notes=list(table.notes),
    )
    scale = next(i.scale or [] for i in likert if i.column == chosen)
    return am.SurveyPage(
        **common,
        controls=controls,
        table=view,
        charts=[_survey_chart(table.title, [str(r[0]) for r in table.rows], table.cells, scale, guid)],
        downloads=downloads(guid, "survey", right, query),
        item=chosen,
        by=by,
        protected=table.protected,
        rules=table.rules,
        reasons=[[c.reason for c in row] for row in table.cells],
    )


def _survey_chart(
    title: str, groups: list[str], cells: Sequence[Sequence[object]], scale: list[str], guid: str
) -> am.ChartView:
    rows = []
    for label, row in zip(groups, cells, strict=True):
        for j, point in enumerate(scale):
            cell = row[2 + 2 * j]
            value = getattr(cell, "value", None)
            number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
            rows.append(
                {
                    "group": label,
                    "answer": point,
                    "percent": number,
                    "shown": str(getattr(cell, "display", "")),
                }
            )
    spec = charts.bar(
        rows,
        x="group",
        y="percent",
        title=title,
        unit="% of answers",
        order=groups,
        series="answer",
        series_order=scale,
        horizontal=True,
        stacked=True,
    )
    return am.ChartView(
        title=title,
        spec=spec,
        alt=f"Stacked bars: the share of each answer in each group ({len(groups)} groups).",
        columns=["group", "answer", "percent", "shown"],
        rows=rows,
        name=f"survey-{guid[:8]}",
        note="Hidden shares are marked with the suppression marker.",
    )


# ---------------------------------------------------------------- exports


def export(
    s: Db, guid: str, what: str, fmt: str, table: TableLike, *, actor: str, params: Mapping[str, object]
) -> bytes:
    """The table as a CSV (UTF-8) or XLSX file, audited as an export of study data."""
    if fmt not in FORMATS:
        raise errors.NotFound(f"no download format {fmt[:10]!r}: choose csv or xlsx")
    data = (
        to_csv(table).encode("utf-8") if fmt == "csv" else to_xlsx([(getattr(table, "title", what), table)])
    )
    audit.record(
        s,
        actor=actor,
        action=events.EXPORT,
        target=guid,
        payload={
            "table": what,
            "format": fmt,
            "rows": len(table.rows),
            **{k: v for k, v in params.items() if v},
        },
    )
    return data
