"""The UK map: 12 areas drawn from the packaged boundaries, values and suppression visible,
unknown area names refused, and the map in words."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from lxml import etree

from techforce.present import charts, maps

SVG = "{http://www.w3.org/2000/svg}"

# Values as a page would pass them: a number and its shown text, or None and the marker.
VALUES: list[dict[str, Any]] = [
    {"area": area, "value": v, "shown": ".." if v is None else f"{v:,}"}
    for area, v in zip(
        maps.AREAS, [420, 880, 510, 1310, 640, 700, 2100, 1500, 760, 230, None, 95], strict=True
    )
]


def _shapes(svg: str) -> dict[str, str]:
    """aria-label -> fill of every area shape in the rendered map."""
    root = etree.fromstring(svg.encode())
    out = {}
    for group in root.iter(f"{SVG}g"):
        if "mark-shape" in (group.get("class") or ""):
            for path in group.iter(f"{SVG}path"):
                out[path.get("aria-label") or ""] = path.get("fill") or ""
    return out


def _texts(svg: str) -> list[str]:
    root = etree.fromstring(svg.encode())
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.fixture(scope="module")
def rendered() -> str:
    return charts.to_svg(maps.uk_choropleth(VALUES, title="Technical staff by area", unit="FPE"))


def test_the_map_draws_each_of_the_twelve_areas_once(rendered: str) -> None:
    shapes = _shapes(rendered)
    assert len(shapes) == 12
    names = sorted(label.split(":")[0] for label in shapes)
    assert names == sorted(maps.AREAS)


def test_each_area_says_its_shown_value_and_unit(rendered: str) -> None:
    shapes = _shapes(rendered)
    assert "London: 2,100 FPE" in shapes
    assert "Yorkshire and The Humber: 510 FPE" in shapes
    assert "Wales: 230 FPE" in shapes


def test_the_legend_is_titled_with_the_unit(rendered: str) -> None:
    assert "FPE" in _texts(rendered)


def test_a_suppressed_area_is_grey_marked_and_in_the_legend(rendered: str) -> None:
    shapes = _shapes(rendered)
    assert shapes["Scotland: suppressed"] == maps.SUPPRESSED_FILL
    valued = {fill for label, fill in shapes.items() if "suppressed" not in label}
    assert maps.SUPPRESSED_FILL not in valued  # no value is drawn in the suppression grey
    texts = _texts(rendered)
    assert ".." in texts  # the marker sits on the area
    assert "suppressed" in texts  # and the legend says what grey means


def test_values_get_darker_as_they_grow(rendered: str) -> None:
    def lightness(fill: str) -> int:
        r, g, b = (int(x) for x in fill.removeprefix("rgb(").removesuffix(")").split(","))
        return r + g + b

    shapes = _shapes(rendered)
    assert lightness(shapes["London: 2,100 FPE"]) < lightness(shapes["Wales: 230 FPE"])


def test_every_area_name_is_in_the_spec_data_and_the_tooltip_gives_name_and_value() -> None:
    spec = maps.uk_choropleth(VALUES, title="t", unit="people")
    text = json.dumps(spec)
    for area in maps.AREAS:
        assert json.dumps(area) in text
    tooltips = [layer["encoding"]["tooltip"] for layer in spec["layer"] if "tooltip" in layer["encoding"]]
    assert tooltips
    for tooltip in tooltips:
        assert {"field": "properties.area", "type": "nominal", "title": "area"} in tooltip
        assert {"field": "properties.shown", "type": "nominal", "title": "people"} in tooltip


def test_the_spec_needs_no_fetch() -> None:
    """The page's CSP allows same-origin only: the boundaries travel inside the spec."""
    spec = maps.uk_choropleth(VALUES, title="t", unit="people")
    assert '"url"' not in json.dumps(spec)


def test_an_area_left_out_is_drawn_as_no_data() -> None:
    some = [row for row in VALUES if row["area"] != "Northern Ireland"]
    shapes = _shapes(charts.to_svg(maps.uk_choropleth(some, title="t", unit="people")))
    assert len(shapes) == 12
    assert shapes["Northern Ireland: no data"] == maps.NO_DATA_FILL


def test_without_suppression_the_legend_has_no_suppressed_entry() -> None:
    full = [
        {**row, "value": row["value"] or 1, "shown": row["shown"] if row["value"] else "1"} for row in VALUES
    ]
    svg = charts.to_svg(maps.uk_choropleth(full, title="t", unit="%"))
    assert "suppressed" not in _texts(svg)
    assert len(_shapes(svg)) == 12


def test_an_unknown_area_is_refused_naming_it_and_the_known_ones() -> None:
    rows = [*VALUES[:3], {"area": "Yorkshire and the Humber", "value": 5, "shown": "5"}]
    with pytest.raises(ValueError, match="not an area on the UK map") as err:
        maps.uk_choropleth(rows, title="t", unit="people")
    message = str(err.value)
    assert "row 4" in message
    assert "'Yorkshire and the Humber'" in message
    for area in maps.AREAS:
        assert area in message


def test_an_area_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'London' is given twice"):
        maps.uk_choropleth([*VALUES, {"area": "London", "value": 1, "shown": "1"}], title="t", unit="people")


def test_other_field_names_can_be_used() -> None:
    rows = [{"region": r["area"], "fpe": r["value"], "label": r["shown"]} for r in VALUES]
    spec = maps.uk_choropleth(
        rows, title="t", unit="FPE", value_field="fpe", area_field="region", shown_field="label"
    )
    assert "London: 2,100 FPE" in _shapes(charts.to_svg(spec))


def test_describe_names_highest_lowest_and_suppressed() -> None:
    assert maps.describe(VALUES, "FPE") == (
        "Highest: London 2,100 FPE; lowest: Northern Ireland 95 FPE; suppressed: Scotland."
    )
    pct = [
        {"area": "Wales", "value": 12.5, "shown": "12.5"},
        {"area": "London", "value": 40, "shown": "40.0"},
    ]
    assert maps.describe(pct, "%").startswith(
        "Highest: London 40.0%; lowest: Wales 12.5%; no data: North East"
    )
    assert maps.describe([{"area": "Wales", "value": None, "shown": ".."}], "people") == (
        "No values to show; suppressed: Wales; no data: "
        + ", ".join(a for a in maps.AREAS if a != "Wales")
        + "."
    )


def test_the_boundaries_and_their_licence_ship_in_the_package() -> None:
    geo = resources.files("techforce.present").joinpath("geo")
    topo = json.loads(geo.joinpath("uk_regions.topo.json").read_text("utf-8"))
    assert sorted(g["properties"]["area"] for g in topo["objects"]["areas"]["geometries"]) == sorted(
        maps.AREAS
    )
    assert "Natural Earth" in geo.joinpath("LICENCE.txt").read_text("utf-8")
