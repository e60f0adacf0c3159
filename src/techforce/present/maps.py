"""A map of the UK's nations and English regions (the 12 areas a provider's nation/region
names) as a Vega-Lite choropleth. The boundaries ship with the package (geo/uk_regions.topo.json,
Natural Earth, public domain; see geo/LICENCE.txt) and are inlined into the spec, so the
browser fetches nothing and the same spec renders as SVG through vl-convert.

The rules of charts.py hold here too: the legend says the unit (people, FPE, %), and a hidden
value is marked on the map (grey, with its marker, e.g. "..", on the area and a legend entry
saying "suppressed"), never left as a silent gap."""

from __future__ import annotations

import copy
import json
import math
from functools import cache
from importlib import resources
from typing import Any

import altair as alt

from techforce.present.charts import PEERS

# The 12 areas, in the order regions are usually listed: English regions north to south,
# then the other nations.
AREAS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Wales",
    "Scotland",
    "Northern Ireland",
)
SUPPRESSED = "suppressed"
NO_DATA = "no data"
SUPPRESSED_FILL = PEERS  # neutral grey
NO_DATA_FILL = "#f3f2f1"  # paler than any value
WIDTH, HEIGHT = 360, 460
_STATE = {SUPPRESSED: SUPPRESSED_FILL, NO_DATA: NO_DATA_FILL}
_DATASET = "uk_areas"


@cache
def _topology() -> dict[str, Any]:
    text = resources.files("techforce.present").joinpath("geo/uk_regions.topo.json").read_text("utf-8")
    topo: dict[str, Any] = json.loads(text)
    return topo


def _shown(value: Any) -> str:
    if value is None:
        return ".."
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _sep(unit: str) -> str:
    return "" if unit == "%" else " "


def _by_area(
    values: list[dict[str, Any]], *, value_field: str, area_field: str, shown_field: str
) -> dict[str, tuple[float | None, str]]:
    """Each given area's (value, shown text); unknown or repeated areas are refused."""
    out: dict[str, tuple[float | None, str]] = {}
    for i, row in enumerate(values, start=1):
        area = row.get(area_field)
        if area not in AREAS:
            raise ValueError(
                f"row {i}: {area_field} {area!r} is not an area on the UK map; use one of: {', '.join(AREAS)}"
            )
        if area in out:
            raise ValueError(f"row {i}: {area_field} {area!r} is given twice; give each area once")
        value = row.get(value_field)
        if isinstance(value, float) and math.isnan(value):
            value = None
        shown = row.get(shown_field)
        out[area] = (value, str(shown) if shown is not None else _shown(value))
    return out


def uk_choropleth(
    values: list[dict[str, Any]],
    *,
    title: str,
    unit: str,
    value_field: str = "value",
    area_field: str = "area",
    shown_field: str = "shown",
) -> dict[str, Any]:
    """A choropleth of ``value_field`` (in ``unit``) per area (``area_field``, one of AREAS).

    An area whose value is None is suppressed: drawn grey, with its ``shown`` marker (e.g.
    "..") on it and a legend entry "suppressed". An area missing from ``values`` is drawn
    paler still, as "no data". The tooltip gives the area and its shown value.
    Raises ValueError for an area name that is not on the map (naming the known ones)."""
    given = _by_area(values, value_field=value_field, area_field=area_field, shown_field=shown_field)
    topo = copy.copy(_topology())
    layer = topo["objects"]["areas"]
    geometries = []
    for geom in layer["geometries"]:
        area = geom["properties"]["area"]
        value, shown = given.get(area, (None, NO_DATA))
        state = "" if value is not None else (SUPPRESSED if area in given else NO_DATA)
        # what a screen reader says for the area (its aria-label)
        label = f"{area}: {shown}{_sep(unit)}{unit}" if not state else f"{area}: {state}"
        props = {**geom["properties"], "value": value, "shown": shown, "state": state, "label": label}
        geometries.append({**geom, "properties": props})
    topo["objects"] = {"areas": {**layer, "geometries": geometries}}

    # The topology joins the spec after altair has validated it: validating its thousands of
    # coordinates would take most of a second.
    base = alt.Chart(alt.NamedData(name=_DATASET, format={"type": "topojson", "feature": "areas"}))
    tooltip = [alt.Tooltip("properties.area:N", title="area"), alt.Tooltip("properties.shown:N", title=unit)]
    valued = (
        base.transform_filter("isValid(datum.properties.value)")
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.8)
        .encode(
            color=alt.Color(
                "properties.value:Q",
                title=unit,
                scale=alt.Scale(scheme=alt.SchemeParams(name="blues", extent=[0.2, 1])),
                legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=200),
            ),
            tooltip=tooltip,
            description="properties.label:N",
        )
    )
    states = [s for s in (SUPPRESSED, NO_DATA) if any(g["properties"]["state"] == s for g in geometries)]
    layers: list[Any] = [valued]
    if states:
        hidden = base.transform_filter("!isValid(datum.properties.value)")
        layers.append(
            hidden.mark_geoshape(strokeWidth=0.8).encode(
                # an area without data is outlined, or it would vanish into the page
                stroke=alt.condition(
                    f"datum.properties.state == '{NO_DATA}'", alt.value(PEERS), alt.value("#ffffff")
                ),
                color=alt.Color(
                    "properties.state:N",
                    title=None,
                    scale=alt.Scale(domain=states, range=[_STATE[s] for s in states]),
                    legend=alt.Legend(
                        orient="bottom", direction="horizontal", symbolType="square", symbolStrokeColor=PEERS
                    ),
                ),
                tooltip=tooltip,
                description="properties.label:N",
            )
        )
    if SUPPRESSED in states:
        layers.append(
            base.transform_filter(f"datum.properties.state == '{SUPPRESSED}'")
            .mark_text(fontSize=13, fontWeight="bold", color="#0b0c0c", aria=False)
            .encode(
                longitude="properties.lon:Q",
                latitude="properties.lat:Q",
                text="properties.shown:N",
                tooltip=tooltip,
            )
        )
    chart = (
        alt.layer(*layers, title=title)
        .resolve_scale(color="independent")
        .project(type="transverseMercator", rotate=[2, 0, 0])
        .properties(width=WIDTH, height=HEIGHT, view=alt.ViewBackground(stroke=None))
    )
    spec: dict[str, Any] = chart.to_dict()
    spec.setdefault("datasets", {})[_DATASET] = topo
    return spec


def describe(
    values: list[dict[str, Any]],
    unit: str,
    *,
    value_field: str = "value",
    area_field: str = "area",
    shown_field: str = "shown",
) -> str:
    """The map in words, for a text alternative: highest and lowest area with their shown
    values, then the suppressed areas and those without data. E.g.
    "Highest: London 1,234 people; lowest: Wales 12 people; suppressed: Scotland." """
    given = _by_area(values, value_field=value_field, area_field=area_field, shown_field=shown_field)
    known = [
        (area, float(v), shown)
        for area in AREAS
        if area in given
        for v, shown in [given[area]]
        if v is not None
    ]
    parts = []
    if known:
        high = max(known, key=lambda t: t[1])
        low = min(known, key=lambda t: t[1])
        parts.append(f"Highest: {high[0]} {high[2]}{_sep(unit)}{unit}")
        if len(known) > 1:
            parts.append(f"lowest: {low[0]} {low[2]}{_sep(unit)}{unit}")
    else:
        parts.append("No values to show")
    suppressed = [a for a in AREAS if a in given and given[a][0] is None]
    if suppressed:
        parts.append(f"{SUPPRESSED}: {', '.join(suppressed)}")
    missing = [a for a in AREAS if a not in given]
    if missing and given:
        parts.append(f"{NO_DATA}: {', '.join(missing)}")
    return "; ".join(parts) + "."
