"""Chart specs (Altair / Vega-Lite). The same spec renders in the browser and, through
vl-convert, as SVG in reports.

Rules every chart here keeps (they are what a reader trusts):
- categories keep the order they are given (their natural order: age bands youngest first,
  levels senior to junior, codes by code), never sorted by size;
- every value axis says its unit (people, FPE, %), never "value";
- several years are separate series with a legend, never stacked into one bar;
- a hidden value is labelled on the chart (the marker, e.g. ".."), not a silent gap;
- "This provider" has one colour everywhere (THIS), its peers another (PEERS)."""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert as vlc

THIS = "#1d70b8"  # this provider, on every chart
PEERS = "#b1b4b6"  # other providers
REFERENCE = "#d4351c"  # a median or a sector reference
SERIES = ["#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f", "#28a197", "#d4351c", "#6f72af"]
WIDTH, HEIGHT = 520, 260


def _data(rows: list[dict[str, Any]]) -> alt.Data:
    """A named data source: the rows go into the finished spec (_finish), not through altair,
    which would validate and deep-copy every row of every layer (seconds per page)."""
    return alt.Data(name=DATASET)  # type: ignore[no-untyped-call]


DATASET = "table"


def _finish(chart: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The Vega-Lite spec with the rows inlined as its named dataset. Specs are validated
    against the Vega-Lite schema in the tests, not here: per chart that costs ~0.5 s."""
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec["datasets"] = {DATASET: rows}
    return spec


def _colour(field: str, domain: list[str], *, title: str | None = None) -> alt.Color:
    """A categorical colour with a fixed domain, so a series keeps its colour across charts;
    "This provider" always gets THIS."""
    palette = [c for c in SERIES if c != THIS]
    rng, k = [], 0
    for name in domain:
        if name == "This provider":
            rng.append(THIS)
        else:
            rng.append(palette[k % len(palette)])
            k += 1
    return alt.Color(
        f"{field}:N",
        scale=alt.Scale(domain=domain, range=rng),
        sort=domain,
        title=title,
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=4),
    )


def bar(
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    title: str,
    unit: str,
    order: list[str],
    series: str | None = None,
    series_order: list[str] | None = None,
    shown: str = "shown",
    horizontal: bool = False,
    stacked: bool = False,
) -> dict[str, Any]:
    """Bars of ``y`` (in ``unit``) per category ``x`` in the given ``order``.

    With ``series`` (e.g. the year, or "This provider" / "Sector"), each series is its own
    colour with a legend, grouped side by side (or ``stacked``). Rows whose ``y`` is None are
    drawn as their ``shown`` text (the suppression marker) at zero, so a hidden value is
    visible as hidden. Every bar carries its shown value as a label."""
    cat_channel = alt.Y if horizontal else alt.X
    val_channel = alt.X if horizontal else alt.Y
    cat = cat_channel(
        f"{x}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelAngle=0 if horizontal else -40)
    )
    numbers = [r[y] for r in rows if isinstance(r.get(y), int | float)]
    # Nothing to draw (every value hidden): a 0-1 axis, so the markers still have a place.
    scale = alt.Scale() if numbers else alt.Scale(domain=[0, 1])
    val = val_channel(f"{y}:Q", title=unit, stack="zero" if stacked else None, scale=scale)
    enc: dict[str, Any] = {"y": cat, "x": val} if horizontal else {"x": cat, "y": val}
    tooltip = [alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{shown}:N", title=unit)]
    if series:
        domain = series_order or sorted({str(r[series]) for r in rows})
        enc["color"] = _colour(series, domain)
        tooltip.insert(1, alt.Tooltip(f"{series}:N"))
        if not stacked:
            offset = alt.YOffset if horizontal else alt.XOffset
            enc["yOffset" if horizontal else "xOffset"] = offset(f"{series}:N", sort=domain)
    else:
        enc["color"] = alt.value(THIS)
    base = alt.Chart(_data(rows))
    bars = base.mark_bar().encode(**enc, tooltip=tooltip).transform_filter(f"isValid(datum['{y}'])")
    layers: list[Any] = [bars]
    label_enc = {k: v for k, v in enc.items() if k not in ("color", "x" if horizontal else "y")}
    label_pos = {"x" if horizontal else "y": alt.X(f"{y}:Q") if horizontal else alt.Y(f"{y}:Q")}
    if not stacked:
        layers.append(
            base.mark_text(
                align="left" if horizontal else "center",
                baseline="middle" if horizontal else "bottom",
                dx=3 if horizontal else 0,
                dy=0 if horizontal else -2,
                fontSize=10,
                color="#0b0c0c",
            )
            .encode(**label_enc, **label_pos, text=alt.Text(f"{shown}:N"))
            .transform_filter(f"isValid(datum['{y}'])")
        )
    # Hidden values: their marker at zero, in the series' place.
    hidden_pos = {"x" if horizontal else "y": alt.datum(0)}
    layers.append(
        base.mark_text(
            align="left" if horizontal else "center",
            baseline="middle" if horizontal else "bottom",
            dx=3 if horizontal else 0,
            fontSize=11,
            fontWeight="bold",
            color="#505a5f",
        )
        .encode(**label_enc, **hidden_pos, text=alt.Text(f"{shown}:N"))
        .transform_filter(f"!isValid(datum['{y}'])")
    )
    height = max(HEIGHT, 22 * len(order) * (len(series_order or [1]) if series and not stacked else 1))
    chart = alt.layer(*layers, title=title).properties(
        width=WIDTH, height=min(height, 1400) if horizontal else HEIGHT
    )
    return _finish(chart, rows)


def line(
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    title: str,
    unit: str,
    order: list[str],
    series: str | None = None,
    series_order: list[str] | None = None,
    shown: str = "shown",
    zero: bool = False,
) -> dict[str, Any]:
    """A line over time (``x`` the years in ``order``) with points and value labels. The value
    axis starts at zero only when ``zero``: a trend's change is what matters, and the caller
    says so beside the chart."""
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:O", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        "y": alt.Y(f"{y}:Q", title=unit, scale=alt.Scale(zero=zero, nice=True)),
    }
    if series:
        enc["color"] = _colour(series, series_order or sorted({str(r[series]) for r in rows}))
    else:
        enc["color"] = alt.value(THIS)
    base = alt.Chart(_data(rows)).transform_filter(f"isValid(datum['{y}'])")
    tooltip = [alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{shown}:N", title=unit)]
    chart = alt.layer(
        base.mark_line(point=True).encode(**enc, tooltip=tooltip),
        base.mark_text(dy=-9, fontSize=10, color="#0b0c0c").encode(
            x=enc["x"], y=enc["y"], text=alt.Text(f"{shown}:N")
        ),
        title=title,
    ).properties(width=WIDTH, height=HEIGHT)
    return _finish(chart, rows)


def strip(
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    title: str,
    unit: str,
    order: list[str],
    highlight: str = "highlight",
    shown: str = "shown",
    name: str = "provider",
) -> dict[str, Any]:
    """A dot per provider on each row ``y`` (an indicator), on a shared ``unit`` axis: the
    highlighted provider (``highlight`` true) in THIS and drawn on top, the others in PEERS.
    A tick marks each row's median (rows with ``median`` true)."""
    base = alt.Chart(_data(rows))
    cat = alt.Y(f"{y}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    val = alt.X(f"{x}:Q", title=unit)
    peers = base.transform_filter(f"!datum['{highlight}'] && !datum.median").mark_circle(
        size=60, opacity=0.6, color=PEERS
    )
    own = base.transform_filter(f"datum['{highlight}']").mark_circle(
        size=150, opacity=1, color=THIS, stroke="#0b0c0c", strokeWidth=1
    )
    median = base.transform_filter("datum.median").mark_tick(color=REFERENCE, thickness=2, size=18)
    tooltip = [alt.Tooltip(f"{name}:N"), alt.Tooltip(f"{shown}:N", title=unit)]
    chart = alt.layer(
        *(layer.encode(x=val, y=cat, tooltip=tooltip) for layer in (peers, median, own)), title=title
    ).properties(width=WIDTH, height=max(60, 44 * len(order)))
    return _finish(chart, rows)


def levels(
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    title: str,
    scale: list[str],
    series: str | None = None,
    series_order: list[str] | None = None,
) -> dict[str, Any]:
    """A dot per row ``y`` (e.g. a staff group) placed on the ordinal ``scale`` (e.g. LEVELS,
    senior to junior): for categories that are not numbers, such as a grade ceiling."""
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:O", sort=scale, scale=alt.Scale(domain=scale), title="level (senior → junior)"),
        "y": alt.Y(f"{y}:N", title=None, sort=series_order if not series else None),
        "tooltip": [alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{x}:N", title="level")]
        + ([alt.Tooltip(f"{series}:N")] if series else []),
    }
    if series:
        enc["color"] = _colour(series, series_order or sorted({str(r[series]) for r in rows}))
        enc["yOffset"] = alt.YOffset(f"{series}:N")
    else:
        enc["color"] = alt.value(THIS)
    base = alt.Chart(_data(rows)).transform_filter(f"isValid(datum['{x}'])")
    chart = alt.layer(
        base.mark_point(filled=True, size=160).encode(**enc),
        base.mark_text(dx=12, align="left", fontSize=11).encode(
            x=enc["x"], y=enc["y"], **({"yOffset": enc["yOffset"]} if series else {}), text=f"{x}:N"
        ),
        title=title,
    ).properties(width=WIDTH, height=max(90, 40 * len({r[y] for r in rows})))
    return _finish(chart, rows)


def to_svg(spec: dict[str, Any]) -> str:
    return str(vlc.vegalite_to_svg(spec))
