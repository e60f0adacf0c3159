"""The browser behaviours of app.js (progressive enhancement), in Debian's chromium under the
app's real Content-Security-Policy: sortable, filterable, paged tables with a CSV download of
the rows shown; SVG and PNG downloads of every chart; provider search suggestions; phone
width; axe-core. The page is tests/web/fixtures/ui.html, filled with the rows below and served
with the real static files and security headers by a small app (no database needed); the
search endpoint is a stub that answers only with the session cookie."""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from techforce.present.tables import to_csv
from techforce.web.security import CSP, security_headers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
FIXTURE = Path(__file__).parent / "fixtures" / "ui.html"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
COLUMNS = [
    "Provider",
    "UKPRN",
    "Nation",
    "Technical staff",
    "Share",
    "Change",
    "Note on the return, a long text that wraps",
]
COOKIE = "a-session-token"
PLACES = [
    "Ashford",
    "Bexley",
    "Carlisle",
    "Derby",
    "Exeter",
    "Falmouth",
    "Gloucester",
    "Hull",
    "Ipswich",
    "Jarrow",
    "Kendal",
    "Lincoln",
    "Margate",
    "Norwich",
    "Oxford",
    "Penrith",
    "Reading",
    "Salford",
    "Truro",
    "Ulverston",
    "Warwick",
    "York",
    "Bangor",
    "Cardiff",
    "Swansea",
    "Aberdeen",
    "Dundee",
    "Stirling",
    "Perth",
    "Inverness",
    "Bath",
    "Bristol",
    "Leeds",
    "Leicester",
    "Luton",
    "Durham",
    "Sheffield",
    "Ashby",
    "Chester",
    "Dover",
]
HOSTILE = {2: '=HYPERLINK("http://evil.example","x")', 5: "@SUM(A1)", 10: "-2+3 Institute"}  # in England


def _row(i: int) -> dict[str, Any]:
    """Row i of the providers table: shown texts, sort values and filter attributes."""
    nation = "England" if i % 4 != 3 else ("Scotland" if i % 8 == 3 else "Wales")
    groups = {0: "Russell|Midlands", 1: "Russell", 2: "Midlands"}.get(i % 5, "")
    staff: int | None = None if i % 9 == 4 else (i * 737) % 2400 + 5
    shown_staff = "0–2" if i == 13 else (f"{staff:,}" if staff is not None else "..")
    return {
        "Provider": HOSTILE.get(i, ("École de " if i == 26 else "University of ") + PLACES[i]),
        "UKPRN": str(10000001 + i),
        "Nation": nation,
        "Technical staff": shown_staff,
        "Share": ".." if i == 20 else f"{(i * 37) % 100 + 0.5:.1f}%",
        "Change": f"-{i}" if i % 3 == 0 else str(i),
        COLUMNS[-1]: ("A long note about the return that has to wrap on a phone. " * 4).strip()
        if i == 0
        else "",
        "staff": staff,
        "groups": groups,
    }


ROWS = [_row(i) for i in range(40)]
SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"year": "2022/23", "people": 2590}, {"year": "2023/24", "people": 2670}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "year", "type": "nominal", "title": "Year"},
        "y": {"field": "people", "type": "quantitative", "title": "People"},
    },
    "height": 160,
}

# Like the profile's "percentages against…" chart: long labels and a legend beside the bars.
WIDE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "Percentages: University of Ashford against the median provider of its peer group",
    "data": {
        "values": [
            {"indicator": f"Technical staff aged 55 and over, share {n}", "series": s, "percent": p}
            for n in range(4)
            for s, p in (
                ("This provider (Ashford)", 20 + n),
                ("Median of the peer group of providers", 25 - n),
            )
        ]
    },
    "mark": "bar",
    "encoding": {
        "y": {"field": "indicator", "type": "nominal", "title": "Indicator", "axis": {"labelLimit": 260}},
        "yOffset": {"field": "series"},
        "x": {"field": "percent", "type": "quantitative", "title": "Percentage of technical staff"},
        "color": {"field": "series", "title": "Compared with the peer group median"},
    },
}

# A spec that places its own legend (below, in a row): too wide for a phone whatever app.js does.
ROW_LEGEND = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
        "values": [
            {
                "indicator": "Aged 55 and over",
                "series": "This provider (University of Ashford)",
                "percent": 21,
            },
            {
                "indicator": "Aged 55 and over",
                "series": "Sector median provider (all providers)",
                "percent": 24,
            },
        ]
    },
    "mark": "bar",
    "encoding": {
        "y": {"field": "indicator", "type": "nominal", "title": None},
        "yOffset": {"field": "series"},
        "x": {"field": "percent", "type": "quantitative", "title": "%"},
        "color": {
            "field": "series",
            "title": None,
            "legend": {"orient": "bottom", "direction": "horizontal"},
        },
    },
}


def _page() -> str:
    lines = []
    for r in ROWS:
        staff = "" if r["staff"] is None else str(r["staff"])
        cells = "".join(
            f'<td data-value="{staff}">{html.escape(r[c])}</td>'
            if c == "Technical staff"
            else f"<td>{html.escape(r[c])}</td>"
            for c in COLUMNS
        )
        lines.append(f'<tr data-nation="{r["Nation"]}" data-groups="{r["groups"]}">{cells}</tr>')
    text = FIXTURE.read_text(encoding="utf-8")
    for spec in (SPEC, WIDE, ROW_LEGEND):
        text = text.replace("<!--SPEC-->", html.escape(json.dumps(spec)), 1)
    return text.replace("<!--ROWS-->", "\n".join(lines))


@functools.cache
def _vega() -> str:
    import vl_convert

    return str(
        vl_convert.javascript_bundle(
            "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
        )
    )


def _app() -> FastAPI:
    app = FastAPI()
    app.middleware("http")(security_headers)  # the app's own CSP and headers

    @app.get("/fixture")
    def fixture() -> HTMLResponse:
        return HTMLResponse(_page())

    @app.get("/static/vega.js")
    def vega() -> Response:
        return Response(_vega(), media_type="text/javascript")

    @app.get("/api/workforce/find")
    def find(request: Request, q: str = "") -> JSONResponse:
        if request.cookies.get("tf_session") != COOKIE:
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        found = [r for r in ROWS if q.casefold() in r["Provider"].casefold() or q in r["UKPRN"]]
        matches = [{"ukprn": r["UKPRN"], "provider": r["Provider"]} for r in found[:10]]
        return JSONResponse({"query": q, "matches": matches})

    app.mount("/static", StaticFiles(packages=[("techforce.web", "static")]), name="static")
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM
    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


class Page:
    """A fresh page on the fixture, with the console errors it logs."""

    def __init__(self, browser: Any, server: str, **context: Any) -> None:
        self.context = browser.new_context(accept_downloads=True, **context)
        self.context.add_cookies([{"name": "tf_session", "value": COOKIE, "url": server}])
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        response = self.page.goto(f"{server}/fixture")
        assert response is not None and response.headers["content-security-policy"] == CSP

    def download(self, name: str) -> tuple[str, bytes]:
        with self.page.expect_download() as info:
            self.page.get_by_role("button", name=name).first.click()
        download = info.value
        return download.suggested_filename, Path(download.path()).read_bytes()


@pytest.fixture
def ui(browser: Any, server: str) -> Iterator[Page]:
    page = Page(browser, server)
    page.page.wait_for_selector("table[data-enhanced]")
    yield page
    page.context.close()
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e], page.errors


def _column(ui: Page, index: int, *, visible_only: bool = False) -> list[str]:
    script = "(rows, [i, v]) => rows.filter(r => !v || !r.hidden).map(r => r.cells[i].textContent)"
    return list(ui.page.eval_on_selector_all("#providers tbody tr", script, [index, visible_only]))


def test_without_javascript_the_whole_table_shows(browser: Any, server: str) -> None:
    page = Page(browser, server, java_script_enabled=False)
    assert page.page.locator("#providers tbody tr:visible").count() == 40
    assert page.page.get_by_role("button", name="Download CSV").count() == 0
    page.context.close()


def test_paging_shows_25_rows_then_the_next_then_all(ui: Page) -> None:
    from playwright.sync_api import expect

    rows = ui.page.locator("#providers tbody tr:visible")
    status = ui.page.get_by_role("status")
    expect(rows).to_have_count(25)
    expect(status).to_have_text("Rows 1–25 of 40")
    assert status.get_attribute("aria-live") == "polite"
    expect(ui.page.get_by_role("button", name="Previous")).to_be_disabled()
    ui.page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(15)
    expect(rows.first).to_contain_text(ROWS[25]["Provider"])
    expect(status).to_have_text("Rows 26–40 of 40")
    expect(ui.page.get_by_role("button", name="Next")).to_be_disabled()
    ui.page.get_by_role("button", name="Show all").click()
    expect(rows).to_have_count(40)
    expect(status).to_have_text("40 of 40 shown")
    ui.page.get_by_role("button", name="Show 25 per page").click()
    expect(rows).to_have_count(25)


def _staff_key(row: dict[str, Any]) -> int:
    staff = row["staff"]
    assert isinstance(staff, int)
    return staff


def test_numeric_sort_puts_suppressed_last_both_ways_and_sets_aria_sort(ui: Page) -> None:
    from playwright.sync_api import expect

    header = ui.page.get_by_role("columnheader", name="Technical staff")
    sort = header.get_by_role("button")
    sort.focus()
    ui.page.keyboard.press("Enter")  # a keyboard user can sort
    expect(header).to_have_attribute("aria-sort", "ascending")
    known = [r for r in ROWS if r["staff"] is not None and r["Technical staff"] != "0–2"]
    suppressed = [r["Technical staff"] for r in ROWS if r not in known]  # "..", "0–2": page order
    ascending = [r["Technical staff"] for r in sorted(known, key=_staff_key)]
    assert _column(ui, 3) == ascending + suppressed
    assert ascending[:3] != sorted(ascending[:3])  # text order would differ: "1,479" < "742"
    sort.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert _column(ui, 3) == ascending[::-1] + suppressed
    assert ui.page.locator("th[aria-sort]").count() == 1
    # Percent text sorts as numbers; ".." is last; a new sort goes back to the first page.
    ui.page.get_by_role("button", name="Share").click()
    expect(ui.page.get_by_role("columnheader", name="Share")).to_have_attribute("aria-sort", "ascending")
    expect(header).not_to_have_attribute("aria-sort", re.compile(".*"))
    shares = _column(ui, 4)
    assert shares[-1] == ".." and [float(s[:-1]) for s in shares[:-1]] == sorted(
        float(s[:-1]) for s in shares[:-1]
    )
    assert _column(ui, 4, visible_only=True) == shares[:25]


def test_text_sort_is_locale_aware_and_stable(ui: Page) -> None:
    ui.page.get_by_role("button", name="Nation").click()
    nations = _column(ui, 2)
    assert nations == sorted(nations)
    providers = _column(ui, 0)
    england = [p for p, n in zip(providers, nations, strict=True) if n == "England"]
    assert england == [r["Provider"] for r in ROWS if r["Nation"] == "England"]  # ties keep page order
    ui.page.get_by_role("button", name="Provider").click()
    names = _column(ui, 0)
    assert names.index("École de Dundee") < names.index("University of Ashby")  # É sorts as E


def test_filter_by_text_and_by_selects(ui: Page) -> None:
    from playwright.sync_api import expect

    rows = ui.page.locator("#providers tbody tr:visible")
    status = ui.page.get_by_role("status")
    ui.page.get_by_label("Filter providers").fill("ash")
    expect(rows).to_have_count(2)
    expect(status).to_have_text("2 of 40 shown")
    assert sorted(_column(ui, 0, visible_only=True)) == ["University of Ashby", "University of Ashford"]
    ui.page.get_by_label("Filter providers").fill("ecole")  # accents folded
    expect(rows).to_have_count(1)
    ui.page.get_by_label("Filter providers").fill("")
    ui.page.get_by_label("Peer group", exact=True).select_option("Russell")  # "Russell|Midlands" matches too
    russell = [r["Provider"] for r in ROWS if "Russell" in r["groups"].split("|")]
    expect(status).to_have_text(f"{len(russell)} of 40 shown")
    assert _column(ui, 0, visible_only=True) == russell
    ui.page.get_by_label("Nation", exact=True).select_option("Wales")
    both = [r["Provider"] for r in ROWS if "Russell" in r["groups"].split("|") and r["Nation"] == "Wales"]
    assert 0 < len(both) < len(russell)
    expect(status).to_have_text(f"{len(both)} of 40 shown")
    assert _column(ui, 0, visible_only=True) == both
    ui.page.get_by_label("Peer group", exact=True).select_option("")  # empty = all groups
    expect(status).to_have_text(f"{sum(r['Nation'] == 'Wales' for r in ROWS)} of 40 shown")


class Number:
    """A cell that to_csv writes as it is (a number, negative ones included)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _expected_csv(rows: list[dict[str, Any]]) -> bytes:
    """What the server's to_csv writes for these cells as shown: numbers as numbers."""
    plain = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?")
    cells = [{c: Number(r[c]) if plain.fullmatch(r[c]) else r[c] for c in COLUMNS} for r in rows]
    return to_csv(cells).encode("utf-8")


def test_csv_download_holds_the_filtered_rows_of_every_page_in_the_order_shown(ui: Page) -> None:
    from playwright.sync_api import expect

    ui.page.get_by_label("Nation", exact=True).select_option("England")
    ui.page.get_by_role("button", name="Technical staff").click()
    ui.page.get_by_role("button", name="Technical staff").click()  # descending
    england = [r for r in ROWS if r["Nation"] == "England"]
    expect(ui.page.get_by_role("status")).to_have_text(f"Rows 1–25 of {len(england)} (filtered from 40)")
    known = sorted(
        (r for r in england if r["Technical staff"] not in ("..", "0–2")), key=_staff_key, reverse=True
    )
    shown = known + [r for r in england if r not in known]
    name, body = ui.download("Download CSV")
    assert name == "providers.csv"
    assert body == _expected_csv(shown)  # all 30 rows, not only the 25 on the page
    assert not body.startswith(b"\xef\xbb\xbf")  # no BOM, like to_csv
    text = body.decode("utf-8")
    assert text.startswith("Provider,UKPRN,Nation,Technical staff,Share,Change,")
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in text and "\r\n'@SUM(A1)," in text
    assert "\r\n'-2+3 Institute," in text and ",-21," in text  # a negative number stays a number
    assert len(text.split("\r\n")) == len(england) + 2


def test_chart_downloads_svg_and_png(ui: Page) -> None:
    ui.page.wait_for_selector(".chart svg")
    assert ui.page.locator(".chart svg").count() == 3
    first = ui.page.locator(".chart-figure").first
    name, svg = ui.download("Download SVG")
    assert name == "staff-by-year.svg"
    assert svg.startswith(b"<svg") and b"</svg>" in svg and b">People<" in svg
    name, png = ui.download("Download PNG")
    assert name == "staff-by-year.png"
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    second = ui.page.locator(".chart-figure").nth(1)
    with ui.page.expect_download() as info:
        second.get_by_role("button", name="Download SVG").click()
    assert info.value.suggested_filename == "percentages-against-the-sector-ashford.svg"
    # Vega's own role and "Vega visualization" label give way to the page's text alternative.
    chart = second.locator(".chart")
    assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-roledescription") is None
    assert chart.get_attribute("aria-label") == "Percentages against the sector: Ashford"
    # The buttons follow the chart, outside its role="img" container.
    assert first.locator(".chart button").count() == 0
    assert first.locator(".chart + .downloads button").count() == 2


def test_search_box_suggests_providers_from_the_endpoint(ui: Page) -> None:
    from playwright.sync_api import expect

    asked: list[str] = []
    ui.page.on("request", lambda r: asked.append(r.url) if "/api/workforce/find" in r.url else None)
    box = ui.page.get_by_label("Find a provider")
    box.press_sequentially("a", delay=20)
    ui.page.wait_for_timeout(400)
    assert asked == []  # one character: no request
    box.press_sequentially("sh", delay=20)
    options = ui.page.locator("#find-list option")
    options.first.wait_for(state="attached")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert values == ["University of Ashford (10000001)", "University of Ashby (10000038)"]
    assert len(asked) == 1 and asked[0].endswith("/api/workforce/find?q=ash")  # debounced
    box.fill("")
    box.press_sequentially("10000003", delay=10)
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == f"{HOSTILE[2]} (10000003)"


def test_phone_width_nothing_overflows(browser: Any, server: str) -> None:
    """At 390 px the page does not scroll sideways: charts fit, a wide table scrolls inside its
    .table-wrap with long cells wrapped in a readable column and its caption kept in view, and
    a chart's legend goes below the bars instead of squeezing them to nothing."""
    page = Page(browser, server, viewport={"width": 390, "height": 844})
    page.page.wait_for_selector(".chart + .downloads")
    sizes = page.page.evaluate(
        """() => {
          const box = el => el.getBoundingClientRect();
          const wide = document.querySelectorAll('.chart')[1];
          const bars = [...wide.querySelectorAll('.role-mark path')].map(p => box(p).width);
          return {
            page: document.documentElement.scrollWidth,
            figures: [...document.querySelectorAll('.chart-figure')].map(f => box(f).right),
            wrap: box(document.querySelector('.table-wrap')).right,
            table: box(document.querySelector('#providers')).width,
            note: box(document.querySelector('#providers tbody td:last-child')).width,
            svg: box(wide.querySelector('svg')),
            legend: box(wide.querySelector('.role-legend')),
            widest_bar: Math.max(...bars),
            cut: [...document.querySelectorAll('.chart svg')].filter(svg => {
              const b = svg.getBBox(), v = svg.viewBox.baseVal;
              return b.x < v.x - 1 || b.y < v.y - 1 || b.x + b.width > v.x + v.width + 1
                || b.y + b.height > v.y + v.height + 1 || box(svg).right > box(svg.parentNode).right + 1;
            }).length,
          };
        }"""
    )
    assert sizes["page"] <= 390, sizes
    assert all(right <= 390 for right in sizes["figures"]) and sizes["wrap"] <= 390, sizes
    assert sizes["table"] > 390  # scrolls inside the wrap, not the page
    assert 200 <= sizes["note"] <= 18 * 16, sizes  # the long note wraps in a readable column
    assert sizes["legend"]["right"] <= sizes["svg"]["right"] + 1, sizes
    assert sizes["legend"]["top"] > sizes["svg"]["top"] + 100, sizes  # below the bars
    assert sizes["widest_bar"] > 100, sizes
    assert sizes["cut"] == 0, sizes  # no title, legend or label cut off at the drawing's edge
    page.page.locator(".table-wrap").evaluate("wrap => { wrap.scrollLeft = 300; }")
    caption = page.page.locator("#providers caption").bounding_box()
    assert caption is not None and caption["x"] >= 0 and caption["x"] + caption["width"] <= 390, caption
    page.context.close()


def test_fixture_page_passes_axe(browser: Any, server: str) -> None:
    page = Page(browser, server, bypass_csp=True)  # only so that the test can inject axe
    page.page.wait_for_selector(".chart + .downloads")
    page.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    assert found == []
    page.context.close()
