"""The rebuilt workforce pages in a real browser (Playwright driving Debian's chromium) against
the real app on a real server, over the small synthetic sector with both of its years ingested
(issue 9, "Done means"): the explorer draws years as separate series with a legend and its
heading follows the choices; "Download CSV" holds exactly the table shown; a provider is found
by name; a provider lead lands on their own profile; the overview's providers table filters
and pages and its tiles show the year-on-year change; every page fits a phone and draws its
charts (screenshots at desktop and phone width under test-artifacts/screenshots/); axe-core
finds no serious or critical violations.

One server, one browser and one data folder serve the whole module: no test changes the data.
The sector is the small one of tests/conftest.py with 30 providers instead of 24, so that the
providers table has more than one page of 25."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from techforce.accounts import service
from techforce.db import Database
from techforce.settings import Settings
from techforce.web.app import create_app
from techforce.workforce import peer_groups, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest
from techforce.workforce.service import Workforce
from tests.conftest import SMALL
from tests.web.browser import NEEDS_CHROMIUM, chromium, served, sign_in
from tests.web.conftest import PASSWORD

pytestmark = NEEDS_CHROMIUM
ARTIFACTS = Path(os.environ.get("TECHFORCE_ARTIFACTS", "test-artifacts"))
SHOTS = ARTIFACTS / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SECTOR = dataclasses.replace(SMALL, providers=30, returners=18, leaders=7)  # 30 rows: two pages of 25
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHARTS_DRAWN = """() => [...document.querySelectorAll('.chart[data-spec]')].every(c =>
    (c.querySelector('svg') && c.nextElementSibling && c.nextElementSibling.matches('.downloads'))
    || c.textContent.includes('Chart unavailable'))"""  # drawn: vega-embed's promise resolved
NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@dataclasses.dataclass(frozen=True)
class Site:
    url: str
    own: str  # the provider lead's provider (the first provider that returned non-academic staff)
    group: str  # a peer group that holds it
    names: dict[str, str]  # UKPRN -> provider name
    places: dict[str, str]  # UKPRN -> English region or nation
    years: list[int]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("pages")
    sector = synth.generate(SECTOR)
    for year in sector.years:
        output.write_csv(sector, root / "sector", year)
    output.write_metadata(sector, root / "sector")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    years = sorted(sector.years)
    ingest(settings, db, [root / "sector" / str(y) / "csv" for y in years])
    with db.session() as session:
        peer_groups.import_providers(session, root / "sector" / "providers.csv", actor="test")
        peer_groups.import_csv(session, root / "sector" / "peer_groups.csv", actor="test")
        _files, returned = store.catalogue_inputs(session, settings)
        own = sorted(u for (u, _y), r in returned.items() if r)[0]
        service.create_user(session, "admin", "admin", actor="test", password=PASSWORD)
        service.create_user(session, "provider-lead", "provider-lead", [own], actor="test", password=PASSWORD)
    wf = Workforce(settings, db)
    group = next(g for g, members in sorted(wf.groups().items()) if own in members)
    app = create_app(settings, db)
    with served(app) as url:
        yield Site(url, own, group, wf.names(), wf.places(), years)
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def _sign_in(page: Any, site: Site, username: str) -> None:
    sign_in(page, site.url, username, PASSWORD)


@pytest.fixture(scope="module")
def admin_state(browser: Any, site: Site) -> Any:
    """The admin's signed-in cookies, for new contexts (one sign-in for the module)."""
    context = browser.new_context()
    _sign_in(context.new_page(), site, "admin")
    state = context.storage_state()
    context.close()
    return state


class Tab:
    """A page in a fresh context signed in as the admin, with the console errors it logs."""

    def __init__(self, browser: Any, state: Any, **context: Any) -> None:
        self.context = browser.new_context(storage_state=state, accept_downloads=True, **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, site: Site, path: str) -> Any:
        response = self.page.goto(f"{site.url}{path}")
        self.drawn()
        return response

    def drawn(self) -> None:
        """Wait until every chart is drawn and fitted to its box (app.js, a frame later)."""
        self.page.wait_for_function(CHARTS_DRAWN, timeout=20_000)
        self.page.evaluate(NEXT_FRAMES)

    def refused(self) -> list[str]:
        """What the browser refused to run or load (the Content-Security-Policy)."""
        return [e for e in self.errors if "Content Security Policy" in e or "Refused" in e]


@pytest.fixture
def tab(browser: Any, admin_state: Any) -> Iterator[Tab]:
    opened = Tab(browser, admin_state, viewport=DESKTOP)
    yield opened
    opened.context.close()
    assert opened.refused() == []


# --- the explorer: years as series, a heading that follows the choices, the CSV shown --------
BY_AGE_ALL_YEARS = "/workforce/explore?indicator=tech.by_age&scope=sector&year="
BARS = """() => {
  const svg = document.querySelector('#result .chart svg');
  const box = el => el.getBoundingClientRect();
  const bars = [...svg.querySelectorAll('.mark-rect.role-mark path')].map(p => {
    const b = box(p);
    return {fill: p.getAttribute('fill'), left: Math.round(b.left), top: Math.round(b.top)};
  });
  return {
    bars: bars,
    legend: [...svg.querySelectorAll('.role-legend .role-legend-label text')].map(t => t.textContent),
    symbols: [...svg.querySelectorAll('.role-legend .role-legend-symbol path')].map(p => p.getAttribute('fill')),
  };
}"""


def _year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _shown_table(page: Any, year: str) -> list[dict[str, str]]:
    """The rows of the explorer's table (in its <details>), by column heading, as shown; a
    table of one year has no year column (its caption names the year)."""
    table = page.locator("#result details table")
    header = [str(t).strip() for t in table.locator("thead th").all_text_contents()]
    rows = table.evaluate("t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()))")
    if "year" not in header:
        assert year in table.locator("caption").text_content()
    return [{"year": year, **dict(zip(header, r, strict=True))} for r in rows]


def test_explorer_all_years_draws_each_year_as_its_own_series_with_a_legend(tab: Tab, site: Site) -> None:
    from playwright.sync_api import expect

    labels = [_year_label(y) for y in site.years]
    tab.open(site, BY_AGE_ALL_YEARS)
    heading = tab.page.locator("h1#page-title")
    expect(heading).to_have_text("Technical staff by age band: sector, all years")
    drawn = tab.page.evaluate(BARS)
    assert drawn["legend"] == labels  # one colour-legend entry per year, in order
    fills = {b["fill"] for b in drawn["bars"]}
    assert len(fills) == 2 and set(drawn["symbols"]) == fills  # the legend's colours are the bars'
    table = _shown_table(tab.page, "all years")
    assert len(table) == 7 * 2  # seven age bands, two years
    assert len(drawn["bars"]) == len([r for r in table if r["FPE"] not in ("", "..")])  # hidden: no bar
    # Grouped, not stacked: every bar starts at zero and has a row of its own.
    assert len({b["left"] for b in drawn["bars"]}) == 1, drawn["bars"]
    assert len({b["top"] for b in drawn["bars"]}) == len(drawn["bars"]), drawn["bars"]

    tab.page.get_by_label("Year", exact=True).select_option(label=labels[-1])  # htmx swaps the result
    expect(heading).to_have_text(f"Technical staff by age band: sector, {labels[-1]}")
    expect(tab.page).to_have_url(
        f"{site.url}/workforce/explore?indicator=tech.by_age&scope=sector"
        f"&year={site.years[-1]}&definition=core"
    )
    expect(tab.page).to_have_title(f"Technical staff by age band: sector, {labels[-1]} · techforce")
    tab.drawn()
    one_year = tab.page.evaluate(BARS)
    assert one_year["legend"] == [] and len({b["fill"] for b in one_year["bars"]}) == 1, one_year
    assert {r["year"] for r in _shown_table(tab.page, labels[-1])} == {labels[-1]}


def _download_csv(tab: Tab) -> tuple[str, list[dict[str, str]]]:
    with tab.page.expect_download() as info:
        tab.page.get_by_role("link", name="Download CSV").click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text)))


def test_explorer_csv_download_is_the_table_shown(tab: Tab, site: Site) -> None:
    from playwright.sync_api import expect

    labels = [_year_label(y) for y in site.years]
    tab.open(site, BY_AGE_ALL_YEARS)
    definition = tab.page.locator("#result p.definition code").first.inner_text()
    for year in (None, site.years[0]):  # all years, then one year chosen on the page (htmx)
        if year is not None:
            tab.page.get_by_label("Year", exact=True).select_option(str(year))
            expect(tab.page.locator("h1#page-title")).to_contain_text(_year_label(year))
            tab.drawn()
        shown = _shown_table(tab.page, "all years" if year is None else labels[0])
        name, rows = _download_csv(tab)
        when = "all-years" if year is None else labels[0].replace("/", "-")
        assert name == f"techforce-tech.by_age-sector-{when}.csv"
        assert [(r["year"], r["category"], r["shown"]) for r in rows] == [
            (s["year"], s["category"], s["shown"]) for s in shown
        ]
        assert {r["year"] for r in rows} == (set(labels) if year is None else {labels[0]})
        assert {"year", "definition", "population", "indicator", "unit", "disclosure rules"} <= set(rows[0])
        assert {(r["definition"], r["population"], r["indicator"]) for r in rows} == {
            (definition, "sector", "Technical staff by age band")
        }


# --- finding a provider -------------------------------------------------------------------
def _suggest(tab: Tab, typed: str, expected: list[str]) -> None:
    """Type into the header's search box; the datalist comes to hold ``expected``."""
    box = tab.page.locator("#find-q")
    box.fill("")
    box.press_sequentially(typed, delay=20)
    held = "want => JSON.stringify([...document.querySelectorAll('#find-list option')].map(o => o.value))"
    try:
        tab.page.wait_for_function(f"{held} === JSON.stringify(want)", arg=expected, timeout=5_000)
    finally:
        shown = tab.page.locator("#find-list option").evaluate_all("os => os.map(o => o.value)")
        assert shown == expected, typed


def _submit_search(tab: Tab, typed: str) -> Any:
    box = tab.page.locator("#find-q")
    box.fill(typed)
    with tab.page.expect_response(lambda r: "/workforce/find?" in r.url and "/api/" not in r.url) as info:
        box.press("Enter")
    tab.page.wait_for_load_state()
    return info.value


def test_provider_search_by_name(tab: Tab, site: Site) -> None:
    from playwright.sync_api import expect

    juniper = next(u for u, n in site.names.items() if n == "Juniper University")
    bramleys = sorted(n for n in site.names.values() if "bramley" in n.casefold())
    assert len(bramleys) == 2
    tab.open(site, "/workforce/definitions")
    _suggest(tab, "junip", [f"Juniper University ({juniper})"])
    by_name = {n: u for u, n in site.names.items()}
    _suggest(tab, "Bramley", [f"{n} ({by_name[n]})" for n in bramleys])  # equally good: by name

    found = _submit_search(tab, "junip")  # a unique fragment: that provider's profile
    assert found.status == 303
    expect(tab.page).to_have_url(f"{site.url}/workforce/providers/{juniper}")
    expect(tab.page.locator("h1#page-title")).to_contain_text(f"Juniper University ({juniper})")

    picked = _submit_search(tab, f"Juniper University ({juniper})")  # a suggestion picked
    assert picked.status == 303
    expect(tab.page).to_have_url(f"{site.url}/workforce/providers/{juniper}")

    several = _submit_search(tab, "bramley")  # ambiguous: a list to choose from
    assert several.status == 200
    expect(tab.page.locator("main")).to_contain_text("2 providers match; choose one.")
    expect(tab.page.locator("ul.matches a")).to_have_text(bramleys)

    unknown = _submit_search(tab, "Junipr Universty")  # unknown: the nearest names
    assert unknown.status == 404
    expect(tab.page.get_by_role("alert")).to_have_text("No provider matches “Junipr Universty”.")
    expect(tab.page.locator("ul.matches a").first).to_have_text("Juniper University")
    tab.page.locator("ul.matches a").first.click()
    expect(tab.page).to_have_url(f"{site.url}/workforce/providers/{juniper}")


# --- a provider lead's start ---------------------------------------------------------------
def test_provider_lead_lands_on_their_profile_named_in_the_menu(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _sign_in(page, site, "provider-lead")
    name = site.names[site.own]
    expect(page).to_have_url(f"{site.url}/workforce/providers/{site.own}")
    expect(page.locator("h1#page-title")).to_contain_text(f"{name} ({site.own})")
    menu = page.get_by_role("navigation", name="Main")
    link = menu.get_by_role("link", name=name, exact=True)
    expect(link).to_have_attribute("href", f"/workforce/providers/{site.own}")
    expect(link).to_have_attribute("aria-current", "page")
    assert site.own not in menu.inner_text()  # a name, not a bare UKPRN
    expect(page.locator("p.note")).to_contain_text("You lead this provider")
    context.close()


# --- the overview's providers table and tiles -----------------------------------------------
def test_overview_providers_table_filters_and_pages_and_tiles_show_the_change(tab: Tab, site: Site) -> None:
    from playwright.sync_api import expect

    tab.open(site, "/workforce/overview")
    before = _year_label(site.years[-2])
    tiles = tab.page.locator(".tiles .tile")
    assert tiles.count() >= 5
    changes = tiles.locator("dd.change").all_inner_texts()
    assert len(changes) == tiles.count() and all(before in c for c in changes), changes
    assert any(c.startswith(("▲", "▼")) and "from" in c for c in changes), changes
    expect(tab.page.locator("p.summary")).to_contain_text(_year_label(site.years[-1]))

    table = tab.page.locator("#provider-table")
    rows = table.locator("tbody tr:visible")
    status = tab.page.locator("section:has(#provider-table) [role=status]")
    total = len(site.names)
    assert total == 30
    expect(rows).to_have_count(25)
    expect(status).to_have_text(f"Rows 1–25 of {total}")
    pager = tab.page.locator("section:has(#provider-table) .pager")
    pager.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(total - 25)
    expect(status).to_have_text(f"Rows 26–{total} of {total}")
    pager.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(25)

    scots = sorted(n for u, n in site.names.items() if site.places[u] == "Scotland")
    assert len(scots) >= 2
    tab.page.get_by_label("Region", exact=True).select_option("Scotland")
    expect(status).to_have_text(f"{len(scots)} of {total} shown")
    assert sorted(rows.locator("th a").all_inner_texts()) == scots
    assert set(rows.locator("td:nth-child(3)").all_inner_texts()) == {"Scotland"}
    tab.page.get_by_label("Region", exact=True).select_option("")
    tab.page.get_by_role("searchbox", name="Filter providers").fill("juniper")
    expect(status).to_have_text(f"1 of {total} shown")
    expect(rows.locator("th a")).to_have_text(["Juniper University"])
    tab.page.get_by_label("Region", exact=True).select_option("Scotland")  # both: no row
    expect(status).to_have_text(f"0 of {total} shown")

    tab.open(site, f"/workforce/overview?year={site.years[0]}")  # no earlier year: no change shown
    assert tab.page.locator(".tiles dd.change").count() == 0


# --- axe-core ---------------------------------------------------------------------------
AXE_PAGES = [
    ("overview", "/workforce/overview"),
    ("profile", "/workforce/providers/{own}"),
    ("profile-peer-group", "/workforce/providers/{own}?group={group}"),
    ("explorer", BY_AGE_ALL_YEARS),
    ("find", "/workforce/find?q=University"),
]


@pytest.mark.parametrize(("name", "path"), AXE_PAGES, ids=[p[0] for p in AXE_PAGES])
def test_pages_pass_axe(browser: Any, admin_state: Any, site: Site, name: str, path: str) -> None:
    """axe-core (vendored) finds no serious or critical violations, charts drawn."""
    tab = Tab(browser, admin_state, viewport=DESKTOP, bypass_csp=True)  # only to inject axe
    tab.open(site, _path(site, path))
    tab.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = tab.page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    tab.context.close()
    assert found == [], (name, found)


# --- every page at desktop and phone width ----------------------------------------------


def _page(name: str, path: str, charts: int, *marks: Any) -> Any:
    """A page to visit: {own}, {group} and {latest} (year) are filled in from the site;
    ``charts``: how many charts it draws at least."""
    return pytest.param(name, path, charts, id=name, marks=marks)


PAGES = [
    _page("overview", "/workforce/overview", 4),
    _page("profile", "/workforce/providers/{own}", 12),
    _page("profile-peer-group", "/workforce/providers/{own}?group={group}", 12),
    _page("explore-by-age-all-years", "/workforce/explore?indicator=tech.by_age&scope=sector&year=", 1),
    _page("explore-sex-by-level", "/workforce/explore?indicator=tech.sex_by_level&year={latest}", 1),
    _page("explore-sex-by-level-all-years", "/workforce/explore?indicator=tech.sex_by_level&year=", 1),
    _page("explore-headcount-over-years", "/workforce/explore?indicator=tech.headcount&year=", 1),
    _page("explore-grade-ceiling", "/workforce/explore?indicator=grade.ceiling&year=", 1),
    _page(
        "explore-grade-ceiling-provider",
        "/workforce/explore?indicator=grade.ceiling&scope=provider:{own}&year={latest}",
        1,
    ),
    _page("definitions", "/workforce/definitions", 0),
    _page("peer-groups", "/workforce/peer-groups", 0),
    _page("upload", "/workforce/upload", 0),
    _page("users", "/admin/users", 0),
    _page("audit", "/admin/audit", 0),
    _page("find-results", "/workforce/find?q=University", 0),
    _page("error", "/workforce/explore?indicator=tech.by_agee", 0),
]


def _path(site: Site, path: str) -> str:
    return path.format(own=site.own, group=quote(site.group), latest=site.years[-1])


@pytest.mark.parametrize(("name", "path", "charts"), PAGES)
def test_every_page_fits_a_phone_and_draws_its_charts(
    browser: Any, admin_state: Any, site: Site, name: str, path: str, charts: int
) -> None:
    """A full-page screenshot at desktop and phone width (test-artifacts/screenshots/); at
    phone width the page does not scroll sideways; every chart is drawn as an SVG."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        tab = Tab(browser, admin_state, viewport=viewport)
        try:
            response = tab.open(site, _path(site, path))
            tab.page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            assert response.status == (404 if name == "error" else 200), (name, response.status)
            if name == "error":
                assert "tech.by_agee" in tab.page.get_by_role("alert").inner_text()
            drawn = tab.page.evaluate(
                """() => ({
                  scroll: document.documentElement.scrollWidth,
                  figures: document.querySelectorAll('figure.chart-figure').length,
                  charts: document.querySelectorAll('.chart').length,
                  svgs: document.querySelectorAll('.chart svg').length,
                  text: document.querySelector('main').innerText,
                })"""
            )
            assert "Chart unavailable" not in drawn["text"], (name, width)
            assert drawn["charts"] >= charts and drawn["svgs"] == drawn["charts"], (name, width, drawn)
            assert drawn["figures"] == drawn["charts"], (name, width, "a figure without a chart: no data")
            if width == "phone":
                assert drawn["scroll"] <= viewport["width"] + 1, (name, "scrolls sideways", drawn["scroll"])
            assert tab.refused() == []
        finally:
            tab.context.close()
