"""What the workforce pages say, as a reader would check it: categories in their natural
order with labels, years as separate series, units on axes, comparisons with the sector
median provider, yes/no provider facts, year-on-year changes, and unknown choices named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import pytest

from techforce import errors
from techforce.db import Database
from techforce.present import charts
from techforce.settings import Settings
from techforce.workforce import codes, pages, peer_groups, service
from techforce.workforce.ingest import ingest


@pytest.fixture(scope="module")
def wf(small_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[service.Workforce]:
    """Both years of the small sector, with its providers and peer groups."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("meaning") / "data", user="test")
    db = Database(settings)
    db.migrate()
    ingest(settings, db, [small_files / "2022" / "csv", small_files / "2023" / "csv"])
    with db.session() as session:
        peer_groups.import_providers(session, small_files / "providers.csv", actor="test")
        peer_groups.import_csv(session, small_files / "peer_groups.csv", actor="test")
    yield service.Workforce(settings, db)
    db.dispose()


def _encoding(spec: dict[str, Any], channel: str) -> dict[str, Any]:
    return next(layer["encoding"][channel] for layer in spec["layer"] if channel in layer["encoding"])


def test_all_years_are_separate_series_with_a_legend_in_natural_order(wf: service.Workforce) -> None:
    page = pages.explore(wf, "tech.by_age")
    assert page.title == "Technical staff by age band: sector, all years" and page.year == "all years"
    spec = page.chart.spec
    assert spec is not None
    colour = _encoding(spec, "color")
    assert colour["field"] == "year" and colour["scale"]["domain"] == ["2022/23", "2023/24"]
    assert "legend" in colour  # each year named in a legend, never one stacked bar
    assert _encoding(spec, "x")["title"] == "people (FPE)"  # the unit, not "value"
    bands = list(dict.fromkeys(r.category for r in page.rows))
    assert bands == ["Under 25", "25-34", "35-44", "45-54", "55-59", "60-64", "65 and over"]
    assert _encoding(spec, "y")["sort"] == bands  # drawn in that order, not by size
    one_year = pages.explore(wf, "tech.by_age", year=2023)
    assert one_year.title.endswith("2023/24") and {r.year for r in one_year.rows} == {"2023/24"}
    assert "year=2023" in one_year.csv and "definition=core" in one_year.csv


def test_codes_carry_labels_and_levels_run_senior_to_junior(wf: service.Workforce) -> None:
    levels = [r.category for r in pages.explore(wf, "tech.by_level", year=2022).rows]
    codes_shown = [c.split(" ")[0] for c in levels if c[:1].isalpha() and c[1:2].isdigit()]
    assert codes_shown == sorted(codes_shown, key=codes.LEVEL_RANK.__getitem__)
    assert all(c in levels for c in (f"{k} {codes.LEVELS[k]}" for k in codes_shown))
    soc = [r.category for r in pages.explore(wf, "tech.by_soc", year=2022).rows]
    assert soc == sorted(soc) and any(c.startswith("3111 ") and "technician" in c.lower() for c in soc)
    centres = [r.category for r in pages.explore(wf, "tech.by_cost_centre", year=2022).rows]
    assert all(" " in c for c in centres)  # "122 Chemistry", not "122"


def test_two_part_breakdowns_are_grouped_by_level(wf: service.Workforce) -> None:
    chart = pages.explore(wf, "tech.sex_by_level", year=2023).chart
    assert chart.spec is not None
    assert _encoding(chart.spec, "color")["field"] == "group"  # sex as series...
    levels = list(dict.fromkeys(r["category"] for r in chart.rows))
    assert levels[0].startswith("Leadership") and not any(" / " in c for c in levels)  # ...within each level


def test_hidden_values_are_labelled_on_the_chart() -> None:
    rows = [{"c": "a", "v": 10, "shown": "10"}, {"c": "b", "v": None, "shown": ".."}]
    spec = charts.bar(rows, x="c", y="v", title="t", unit="people", order=["a", "b"])
    svg = charts.to_svg(spec)
    assert ">..</text>" in svg and ">10</text>" in svg


@pytest.mark.parametrize("kind", ["bar", "series", "stacked", "line", "strip", "levels"])
def test_every_chart_kind_is_valid_vega_lite(kind: str) -> None:
    rows = [
        {"x": "a", "s": "This provider", "v": 1.0, "shown": "1", "highlight": True, "median": False},
        {"x": "a", "s": "Sector", "v": None, "shown": "..", "highlight": False, "median": True},
    ]
    spec = {
        "bar": lambda: charts.bar(rows, x="x", y="v", title="t", unit="%", order=["a"], horizontal=True),
        "series": lambda: charts.bar(rows, x="x", y="v", title="t", unit="%", order=["a"], series="s"),
        "stacked": lambda: charts.bar(
            rows, x="x", y="v", title="t", unit="%", order=["a"], series="s", stacked=True
        ),
        "line": lambda: charts.line(rows, x="x", y="v", title="t", unit="%", order=["a"], series="s"),
        "strip": lambda: charts.strip(rows, x="v", y="x", title="t", unit="%", order=["a"], name="s"),
        "levels": lambda: charts.levels(
            [{"g": "Technical", "level": "C2"}], x="level", y="g", title="t", scale=list(codes.LEVELS)
        ),
    }[kind]()
    alt.LayerChart.from_dict(spec)  # raises on anything the Vega-Lite schema refuses
    assert charts.to_svg(spec).startswith("<svg")


def test_this_provider_keeps_one_colour(wf: service.Workforce) -> None:
    ukprn = next(u for (u, y), r in sorted(wf.computation().returned.items()) if r and y == 2023)
    page = pages.profile(wf, ukprn)
    assert page.comparison.spec is not None
    colour = _encoding(page.comparison.spec, "color")
    assert colour["scale"]["range"][colour["scale"]["domain"].index("This provider")] == charts.THIS


def test_profile_compares_with_the_sector_median_provider(wf: service.Workforce) -> None:
    comp = wf.computation()
    returners = sorted(u for (u, y), r in comp.returned.items() if r and y == 2023)
    ukprn = returners[0]
    page = pages.profile(wf, ukprn)
    assert page.group is None and page.compared_with == "sector providers"
    fpe = next(i for i in page.indicators if i.indicator == "tech.fpe")
    published = sorted(
        float(c.value)
        for u, c in comp.provider_cells("tech.fpe", 2023).items()
        if u in returners and isinstance(c.value, int | float)
    )
    middle = len(published) // 2
    median = published[middle] if len(published) % 2 else (published[middle - 1] + published[middle]) / 2
    assert fpe.group_median == f"{median:,.1f}".removesuffix(
        ".0"
    )  # the median provider, not the sector total
    assert fpe.sector.display != fpe.group_median
    assert fpe.rank and fpe.rank.lstrip("=").endswith(f"of {len(published)}")
    assert "neither better nor worse" in fpe.better
    # Provider-level facts read yes/no, never "1 of 1 providers" or a median of 1.
    facts = {i.indicator: i for i in page.provider_level}
    assert facts["leadership.has_leader"].provider.display in ("yes", "no")
    assert " of " in (facts["leadership.has_leader"].group_median or "")
    assert all(i.indicator not in ("leadership.share", "leadership.has_leader") for i in page.indicators)
    # Each provider's value as a dot, this one highlighted.
    strip = page.strips[0]
    assert sum(1 for r in strip.rows if r["highlight"]) >= 1
    assert len({r["provider"] for r in strip.rows}) > 5


def test_ties_share_a_rank_marked_equal(wf: service.Workforce) -> None:
    comp = wf.computation()
    for ukprn in sorted(u for (u, y), r in comp.returned.items() if r and y == 2023):
        row = next(i for i in pages.profile(wf, ukprn).indicators if i.indicator == "leadership.leaders")
        if row.rank and row.rank.startswith("="):
            return
    pytest.fail("no tied rank found: small counts of leaders should tie")


def test_overview_says_what_changed_and_where_it_comes_from(wf: service.Workforce) -> None:
    page = pages.overview(wf)
    head = next(h for h in page.headline if h.indicator == "tech.headcount")
    assert head.previous is not None and head.change is not None and "in 2022/23" in head.change
    assert head.change[0] in "▲▼●"
    assert "2023/24" in page.summary and page.source.startswith("Source: HESA Staff record")
    assert "core@v1" in page.source and "hesa-standard" in page.source
    assert page.charts[0].spec is not None and "not start at zero" in page.charts[0].note
    markers = {item.marker for item in page.legend}
    assert {"..", "0–5", "not returned"} <= markers
    opted_out = [p for p in page.providers if not p["returned non-academic"]]
    assert opted_out and all(c["display"] == "not returned" for p in opted_out for c in p["cells"])
    assert {r.area for r in page.regions.rows} <= set(page.areas) and page.regions.map.spec is not None


def test_unknown_choices_name_the_nearest(wf: service.Workforce) -> None:
    with pytest.raises(errors.NotFound, match=r"did you mean: tech\.by_age"):
        pages.explore(wf, "tech.by_ag")
    with pytest.raises(errors.NotFound, match="years held: 2022/23, 2023/24"):
        pages.overview(wf, year=2019)
    with pytest.raises(errors.NotFound, match="nearest"):
        pages.profile(wf, "1000000")
    with pytest.raises(errors.NotFound, match="no peer group"):
        pages.profile(wf, next(iter(wf.names())), group="Nope")


def test_a_single_figure_keeps_the_category_all(wf: service.Workforce) -> None:
    rows = pages.explore(wf, "leadership.leaders").rows
    assert rows and {r.category for r in rows} == {"all"}  # the API's key for the whole population


def test_a_provider_level_figure_for_one_provider_reads_yes_or_no(wf: service.Workforce) -> None:
    ukprn = next(u for (u, y), r in sorted(wf.computation().returned.items()) if r and y == 2023)
    for indicator in ("leadership.share", "leadership.has_leader", "providers.returned_non_academic"):
        rows = pages.explore(wf, indicator, scope=f"provider:{ukprn}", year=2023).rows
        assert [r.shown for r in rows] in (["yes"], ["no"]), (indicator, rows)
    assert (
        "providers" in pages.explore(wf, "leadership.share", year=2023).rows[0].shown
    )  # the sector: a share


def test_a_two_part_breakdown_over_all_years_draws_every_year(wf: service.Workforce) -> None:
    chart = pages.explore(wf, "tech.sex_by_level").chart
    assert chart.spec is not None
    domain = _encoding(chart.spec, "color")["scale"]["domain"]
    assert {d.rsplit(" ", 1)[1] for d in domain} == {"2022/23", "2023/24"}  # no year left out
    assert len(chart.spec["datasets"]["table"]) == len(chart.rows)
