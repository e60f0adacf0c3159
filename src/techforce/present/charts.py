"""Chart specs (Altair / Vega-Lite). The same spec renders in the browser and, through
vl-convert, as SVG in reports."""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert as vlc


def bar(
    rows: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    title: str,
    color: str | None = None,
    sort: list[str] | None = None,
    horizontal: bool = False,
    grouped: bool = False,
) -> dict[str, Any]:
    """A bar chart spec. With ``color``, bars stack unless ``grouped`` (side by side)."""
    data = alt.Data(values=rows)  # type: ignore[no-untyped-call]
    cat = (
        alt.X(f"{x}:N", sort=sort or None, title=None)
        if not horizontal
        else alt.Y(f"{x}:N", sort=sort or "-x", title=None)
    )
    val = alt.Y(f"{y}:Q", title=y) if not horizontal else alt.X(f"{y}:Q", title=y)
    enc: dict[str, Any] = {"x": cat, "y": val} if not horizontal else {"y": cat, "x": val}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None)
        if grouped:
            enc["yOffset" if horizontal else "xOffset"] = (
                alt.XOffset(f"{color}:N") if not horizontal else alt.YOffset(f"{color}:N")
            )
    chart = (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            **enc,
            tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:Q")]
            + ([alt.Tooltip(f"{color}:N")] if color else []),
        )
    )
    return chart.properties(width=520, height=260).to_dict()  # type: ignore[no-any-return]


def to_svg(spec: dict[str, Any]) -> str:
    return str(vlc.vegalite_to_svg(spec))
