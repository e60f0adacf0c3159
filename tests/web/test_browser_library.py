"""The library in a real browser (Playwright driving Debian's chromium) against the real app on
a real server under its Content-Security-Policy: signed out, a visitor searches the public
catalogue, narrows the results with a facet, sees the query words marked in the snippets,
opens a resource and downloads its file byte for byte; a private resource never shows signed
out, and shows to a provider lead of its provider only; axe-core finds no serious or critical
violations on the catalogue.

Like the other browser tests this runs on SQLite only (one real server per module); the
catalogue's behaviour on PostgreSQL is covered through the app in test_library_pages.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.library import service
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.web.browser import NEEDS_CHROMIUM, chromium, served, sign_in, watched

pytestmark = NEEDS_CHROMIUM
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PASSWORD = "correct horse battery staple 42"
PROVIDER, OTHER_PROVIDER = "10007792", "10000001"
REPORT_HTML = """<html><body><h1>Workshop succession planning</h1>
<p>Succession planning keeps workshop skills when senior technicians retire.</p>
<p>Each department names a successor and plans two years of shadowing.</p></body></html>"""


@dataclass(frozen=True)
class Site:
    url: str
    db: Database
    files: dict[str, bytes]  # slug -> the bytes added


def _pdf(html: str) -> bytes:
    import weasyprint  # type: ignore[import-untyped]

    rendered: bytes = weasyprint.HTML(string=html).write_pdf()
    return rendered


def _load(settings: Settings, db: Database) -> dict[str, bytes]:
    """Five resources (a PDF report, text files, one private to a provider) and two leads."""
    files = {
        "succession-report": (_pdf(REPORT_HTML), "succession-report.pdf"),
        "succession-guide": (b"Succession planning: a checklist for lab managers.\n", "succession.txt"),
        "registration-guide": (b"Professional registration as RSciTech or CSci.\n", "registration.txt"),
        "apprentice-report": (b"Apprentice intake rose in 2024 across regions.\n", "apprentices.txt"),
        "succession-pay": (b"Confidential succession planning pay bands.\n", "pay.txt"),
    }
    meta = {
        "succession-report": ("Workshop succession planning", "report", "public"),
        "succession-guide": ("Succession planning checklist", "guide", "public"),
        "registration-guide": ("Professional registration explained", "guide", "public"),
        "apprentice-report": ("Apprentice intake", "report", "public"),
        "succession-pay": ("Succession pay bands for leads", "report", f"provider:{PROVIDER}"),
    }
    with db.session() as s:
        accounts.create_user(s, "lead", "provider-lead", [PROVIDER], actor="t", password=PASSWORD)
        accounts.create_user(s, "other", "provider-lead", [OTHER_PROVIDER], actor="t", password=PASSWORD)
        for slug, (title, kind, audience) in meta.items():
            data = service.checked(
                slug, slug=slug, title=title, kind=kind, audience=[audience], published=date(2024, 5, 1)
            )
            service.save_resource(s, data, actor="t", data_dir=settings.data_dir, file=files[slug])
    return {slug: data for slug, (data, _name) in files.items()}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("library-browser")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    files = _load(settings, db)
    with served(create_app(settings, db)) as url:
        yield Site(url, db, files)
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def _page(browser: Any, **options: Any) -> Any:
    """A new signed-out page that records CSP and script errors."""
    return watched(browser.new_context(viewport=DESKTOP, accept_downloads=True, **options))


def _signed_in(browser: Any, site: Site, username: str) -> Any:
    page = _page(browser)
    sign_in(page, site.url, username, PASSWORD)
    page.problems.clear()  # a lead lands on their provider's workforce page: no workforce data here
    return page


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#results .resource-title").all_inner_texts()]


def _search(page: Any, query: str) -> None:
    page.get_by_role("searchbox", name="Search").fill(query)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()


def test_a_visitor_searches_filters_and_downloads(browser: Any, site: Site, tmp_path: Path) -> None:
    page = _page(browser)
    page.goto(f"{site.url}/library/catalogue")
    assert len(_titles(page)) == 4  # the public ones; the provider's report is not listed
    _search(page, "succession planning")
    page.wait_for_url("**/library/catalogue?q=succession+planning")
    assert sorted(_titles(page)) == ["Succession planning checklist", "Workshop succession planning"]
    assert "Succession pay bands" not in page.locator("main").inner_text()

    page.locator("a[data-facet=kind][data-value=report]").click()
    page.wait_for_url("**kind=report**")
    assert _titles(page) == ["Workshop succession planning"]
    assert page.locator("a[data-facet=kind][data-value=report]").get_attribute("aria-current") == "true"
    marked = {m.casefold() for m in page.locator("#results mark").all_inner_texts()}
    assert {"succession", "planning"} <= marked, marked
    assert page.get_by_role("searchbox", name="Search").input_value() == "succession planning"

    page.get_by_role("link", name="Workshop succession planning").click()
    page.wait_for_url("**/library/catalogue/succession-report")
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == "succession-report.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == site.files["succession-report"]
    assert page.problems == [], page.problems
    page.context.close()


def test_a_private_resource_shows_only_to_its_providers_lead(browser: Any, site: Site) -> None:
    visitor = _page(browser)
    visitor.goto(f"{site.url}/library/catalogue")
    _search(visitor, "pay bands")
    assert _titles(visitor) == []
    assert "Nothing found" in visitor.locator("#results").inner_text()
    response = visitor.goto(f"{site.url}/library/catalogue/succession-pay")
    assert response is not None and response.status == 404
    assert "Succession pay bands" not in visitor.content()
    response = visitor.goto(f"{site.url}/library/catalogue/succession-pay/file")
    assert response is not None and response.status == 404
    visitor.context.close()

    other = _signed_in(browser, site, "other")
    other.goto(f"{site.url}/library")
    _search(other, "succession planning")
    assert "Succession pay bands for leads" not in _titles(other)
    other.context.close()

    lead = _signed_in(browser, site, "lead")
    lead.goto(f"{site.url}/library")
    _search(lead, "succession planning")
    assert "Succession pay bands for leads" in _titles(lead)
    row = lead.locator("#results li", has_text="Succession pay bands for leads")
    assert "not public" in row.inner_text()
    row.get_by_role("link", name="Succession pay bands for leads").click()
    lead.wait_for_url("**/library/succession-pay")
    with lead.expect_download() as info:
        lead.locator("#download").click()
    path = info.value.path()
    assert Path(path).read_bytes() == site.files["succession-pay"]
    assert lead.problems == [], lead.problems
    lead.context.close()


@pytest.mark.parametrize("query", ["", "?q=succession+planning&kind=report"])
def test_the_catalogue_passes_axe(browser: Any, site: Site, query: str) -> None:
    """axe-core (vendored) finds no serious or critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not vendored in tests/web/vendor")
    page = _page(browser, bypass_csp=True)  # only to inject axe
    page.goto(f"{site.url}/library/catalogue{query}")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    page.context.close()
    assert found == [], (query, found)
