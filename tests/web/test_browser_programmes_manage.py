"""A programme manager on a phone (390x844, Debian's chromium driven by Playwright, the real app
on a real server): records attendance for a session on the register page (big present / absent
/ excused choices, the Save button in reach, no sideways scrolling), then confirms completions
and issues credentials from the cohort's completion page. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.models import Participant
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.programmes.conftest import make_world
from tests.web.browser import NEEDS_CHROMIUM, chromium, served, sign_in
from tests.web.conftest import PASSWORD
from tests.web.programmes_matrix import settle

pytestmark = NEEDS_CHROMIUM
SHOTS = Path(os.environ.get("TECHFORCE_ARTIFACTS", "test-artifacts")) / "screenshots"
PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS = "() => document.documentElement.scrollWidth"


@dataclass(frozen=True)
class Site:
    url: str
    cohort: int
    sessions: list[int]
    bookings: list[int]  # confirmed places, in the order of the people


def _seed(db: Database) -> tuple[int, list[int], list[int]]:
    """The programmes world; eight confirmed places on the leadership cohort (80% attendance
    and a final project to complete), every session but the first already marked present for
    all but the last person, and every final project done."""
    with db.session() as s:
        accounts.create_user(s, "manager", "programme-manager", actor="test", password=PASSWORD)
    world = make_world(db, people=8)
    bookings = []
    with db.session() as s:
        for pid in world.people:
            who = s.get(Participant, pid)
            assert who is not None
            booking = service.book(s, world.leadership_cohort, who, actor="test", statement="I lead a team")
            service.decide(s, booking, approve=True, reason="meets the criteria", actor="test")
            service.record_project(s, booking, done=True, actor="test")
            bookings.append(booking.id)
        for session_id in world.sessions[1:]:
            where = service.session_by_id(s, session_id)
            marks = dict.fromkeys(bookings[:-1], "present") | {bookings[-1]: "absent"}
            service.record_attendance(s, where, marks, actor="test")
    return world.leadership_cohort, world.sessions, bookings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("manage")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    cohort, sessions, bookings = _seed(db)
    app = create_app(settings, db)
    with served(app) as url:
        yield Site(url, cohort, sessions, bookings)
    settle()  # background mail delivery ends before the database goes
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


def _sign_in(page: Any, site: Site, username: str) -> None:
    sign_in(page, site.url, username, PASSWORD)


WIDE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-wrap'))
    .slice(0, 10).map(e => `${e.tagName}.${e.className}#${e.id}`)"""  # wide tables scroll in their box


def _fits(page: Any) -> None:
    width = page.evaluate(NO_SIDEWAYS)
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide; {page.evaluate(WIDE)}"


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"programmes-{name}-phone.png"), full_page=name != "register")


def test_a_manager_keeps_the_register_and_issues_credentials_on_a_phone(phone: Any, site: Site) -> None:
    from playwright.sync_api import expect

    _sign_in(phone, site, "manager")
    base = f"/programmes/leaders/cohorts/{site.cohort}"
    phone.goto(f"{site.url}{base}/sessions/{site.sessions[0]}/register")
    expect(phone.locator("h1")).to_have_text("Register: You as Leader")
    _fits(phone)
    save = phone.get_by_role("button", name="Save register")
    box = save.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]  # in reach, not below the fold
    assert box["height"] >= 44  # a finger-sized target
    rows = phone.locator("fieldset.mark")
    expect(rows).to_have_count(len(site.bookings))
    for index in range(len(site.bookings)):
        row = rows.nth(index)
        choice = "Absent" if index == len(site.bookings) - 1 else ("Excused" if index == 0 else "Present")
        label = row.get_by_text(choice, exact=True)
        label.tap()
        expect(row.get_by_role("radio", name=choice)).to_be_checked()
    radio = rows.nth(1).locator("label").first.bounding_box()
    assert radio is not None and radio["height"] >= 44
    save.tap()
    expect(phone.get_by_role("status")).to_have_text(f"Register saved: {len(site.bookings)} marks recorded.")
    expect(phone.locator("#register-counts")).to_contain_text(
        f"{len(site.bookings) - 2} present · 1 absent · 1 excused · 0 not marked"
    )
    _fits(phone)
    _shot(phone, "register")

    # Correct one mark: the first person was present after all.
    first = phone.locator("fieldset.mark").first
    first.get_by_text("Present", exact=True).tap()
    phone.get_by_role("button", name="Save register").tap()
    expect(phone.locator("#register-counts")).to_contain_text(
        f"{len(site.bookings) - 1} present · 1 absent · 0 excused · 0 not marked"
    )

    phone.goto(f"{site.url}{base}/completion")
    expect(phone.locator("#count-completers")).to_have_text(str(len(site.bookings) - 1))
    expect(phone.locator("#count-starters")).to_have_text(str(len(site.bookings) - 1))
    _fits(phone)
    phone.get_by_role("button", name="Confirm completions").tap()
    expect(phone.get_by_role("status")).to_have_text(
        f"Completions confirmed: {len(site.bookings) - 1} new completers."
    )
    phone.get_by_role("button", name="Issue credentials").tap()
    expect(phone.get_by_role("status")).to_have_text(f"Credentials issued: {len(site.bookings) - 1} new.")
    expect(phone.locator("#count-credentials")).to_have_text(str(len(site.bookings) - 1))
    last = phone.locator(f"#progress-{site.bookings[-1]}")
    expect(last).not_to_contain_text("issued")
    expect(phone.locator(f"#progress-{site.bookings[0]}")).to_contain_text("issued")
    _fits(phone)
    _shot(phone, "completion")


CHARTS_DRAWN = """() => [...document.querySelectorAll('.chart[data-spec]')].every(c =>
    c.querySelector('svg') || c.textContent.includes('Chart unavailable'))"""
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_RUN = (
    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
    ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
)


def test_the_impact_dashboard_fits_a_phone_and_draws_its_charts(phone: Any, site: Site) -> None:
    from playwright.sync_api import expect

    _sign_in(phone, site, "manager")
    phone.goto(f"{site.url}/programmes/impact?programme=leaders")
    expect(phone.locator("h1")).to_have_text("Programme impact: Leadership for women in technical roles")
    phone.wait_for_function(CHARTS_DRAWN, timeout=20_000)
    assert phone.locator(".chart svg").count() >= 1
    _fits(phone)
    _shot(phone, "impact")


@pytest.mark.parametrize("page", ["manage", "register", "completion", "exchange", "new"])
def test_the_managers_pages_pass_axe(browser: Any, site: Site, page: str) -> None:
    """axe-core (vendored) finds no serious or critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not vendored in tests/web/vendor")
    paths = {
        "manage": "/programmes/leaders/manage",
        "register": f"/programmes/leaders/cohorts/{site.cohort}/sessions/{site.sessions[1]}/register",
        "completion": f"/programmes/leaders/cohorts/{site.cohort}/completion",
        "exchange": "/programmes/leaders/exchange",
        "new": "/programmes/new",
    }
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # only to inject axe
    tab = context.new_page()
    _sign_in(tab, site, "manager")
    tab.goto(site.url + paths[page])
    tab.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = tab.evaluate(AXE_RUN)
    _fits(tab)
    context.close()
    assert found == [], (page, found)
