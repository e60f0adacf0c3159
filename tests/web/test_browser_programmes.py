"""A technician books a place on a programme and cancels it, in a real browser (Playwright
driving Debian's chromium) against the real app on a real server, under its real
Content-Security-Policy: at desktop width, and at phone width where nothing is wider than
the screen. axe-core finds no serious or critical violations on the programme pages.

The data: the programme world of tests/programmes/conftest.py (a selective leadership
programme and a one-place workshop) and one account per role; no workforce data is needed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from techforce.accounts import service
from techforce.db import Database
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.programmes.conftest import make_world
from tests.web.browser import NEEDS_CHROMIUM, chromium, served, signed_in
from tests.web.conftest import PASSWORD
from tests.web.programmes_matrix import settle

pytestmark = NEEDS_CHROMIUM
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
USERS = ("technician", "researcher", "admin")


@dataclass(frozen=True)
class Site:
    url: str
    db: Database


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("programmes-browser")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    with db.session() as session:
        for role in USERS:
            service.create_user(session, role, role, actor="test", password=PASSWORD)
    make_world(db, places=1)
    app = create_app(settings, db)
    with served(app) as url:
        yield Site(url, db)
    settle()
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def _signed_in(browser: Any, site: Site, username: str, viewport: dict[str, int], **options: Any) -> Any:
    """A new browser context signed in as ``username``; its page records CSP and script errors."""
    return signed_in(browser, site.url, username, PASSWORD, viewport=viewport, **options)


def _fits(page: Any) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"wider than the screen: {widths}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_technician_books_a_place_and_cancels_it(
    browser: Any, site: Site, viewport: dict[str, int]
) -> None:
    page = _signed_in(browser, site, "technician", viewport)
    page.goto(f"{site.url}/programmes")
    _fits(page)
    page.get_by_role("link", name="Soldering basics").click()
    page.wait_for_url(f"{site.url}/programmes/soldering")
    assert page.locator(".availability").first.inner_text() == "1 place left"
    _fits(page)
    first_time = page.get_by_label("Name").count() > 0  # details are asked only once
    if first_time:
        page.get_by_label("Name").fill("Sam Technician")
        page.get_by_label("E-mail address").fill("sam@example.ac.uk")
    page.get_by_role("button", name="Book a place on March").click()
    page.wait_for_url("**/programmes/people/technician/bookings?done=booked")
    card = page.locator("section.booking", has_text="Soldering basics")
    assert "Place confirmed" in card.inner_text()
    _fits(page)

    card.get_by_role("link", name="Cancel booking: Soldering basics, March").click()
    confirm = page.locator("#confirm")
    confirm.wait_for()
    assert "Cancel your place on Soldering basics, March?" in confirm.inner_text()
    _fits(page)
    confirm.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_url("**/programmes/people/technician/bookings?done=cancelled")
    assert "Your booking is cancelled" in page.locator("#flash").inner_text()
    assert "Cancelled" in page.locator("section.booking", has_text="Soldering basics").inner_text()

    page.goto(f"{site.url}/programmes/soldering")
    assert page.locator(".availability").first.inner_text() == "1 place left"  # the place is free again
    assert page.problems == [], page.problems
    page.context.close()


@pytest.mark.parametrize(
    "path",
    ["/programmes", "/programmes/leaders", "/programmes/people/admin/bookings", "/programmes/verify"],
)
def test_programme_pages_pass_axe(browser: Any, site: Site, path: str) -> None:
    """axe-core (vendored) finds no serious or critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not vendored in tests/web/vendor")
    page = _signed_in(browser, site, "admin", DESKTOP, bypass_csp=True)  # only to inject axe
    page.goto(site.url + path)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    page.context.close()
    assert found == [], (path, found)
