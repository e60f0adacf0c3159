"""The strategy pages in a real browser (Playwright driving Debian's chromium) against the real
app on a real server under its Content-Security-Policy: a provider lead adds an action to
their plan, updates its progress (the bar follows the number typed), attaches a file and a
library resource as evidence, and the action page and the plan show them, with the change in
the action's history; no script or CSP error on the way.

Like the other browser tests this runs on SQLite only (one real server per module); the
same flows on PostgreSQL are covered through the app in test_strategy_pages.py."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.library import service as library
from techforce.settings import Settings
from techforce.strategy import service
from techforce.web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PASSWORD = "correct horse battery staple 42"
PROVIDER = "10007792"
PLAN = f"/strategy/providers/{PROVIDER}/first-submission"


@dataclass(frozen=True)
class Site:
    url: str
    db: Database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(settings: Settings, db: Database) -> None:
    with db.session() as s:
        accounts.create_user(s, "lead", "provider-lead", [PROVIDER], actor="t", password=PASSWORD)
        service.install_shipped(s, "t")
        service.sign(s, PROVIDER, date(2023, 3, 1), "t")
        data = library.checked(
            "guide",
            slug="leadership-guide",
            title="Technical leadership guide",
            kind="guide",
            audience=["public"],
        )
        library.save_resource(
            s, data, actor="t", data_dir=settings.data_dir, file=(b"Leadership.\n", "g.txt")
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("strategy-browser")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    _load(settings, db)
    app = create_app(settings, db)
    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", db)
    instance.should_exit = True
    thread.join(timeout=10)
    db.dispose()


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


def _signed_in(browser: Any, site: Site, username: str, **options: Any) -> Any:
    context = browser.new_context(viewport=DESKTOP, **options)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))
    page.problems.clear()  # a lead lands on their provider's workforce page: no workforce data here
    return page


def test_a_lead_updates_an_action_and_attaches_evidence(browser: Any, site: Site, tmp_path: Path) -> None:
    page = _signed_in(browser, site, "lead")
    page.goto(f"{site.url}/strategy/providers/{PROVIDER}")
    assert "Signed on 2023-03-01" in page.locator("#signed").inner_text()
    page.get_by_role("link", name="First self-assessment and action plan").first.click()
    page.wait_for_url(f"**{PLAN}")

    page.locator("#new-action").click()
    page.get_by_label("Objective").fill("Appoint a head of technical services")
    page.get_by_label("Pillar").select_option("career-development")
    page.get_by_label("Deadline").fill("2027-07-31")
    page.get_by_label("Progress (%)").fill("20")
    page.get_by_label("Milestones").fill("2027-01-31 Job description agreed")
    page.get_by_role("button", name="Save action").click()
    page.wait_for_url("**/actions/*?done=saved")
    assert "Action saved." in page.locator("#flash").inner_text()

    # progress: the bar follows the number as it is typed, and the saved page shows it
    page.get_by_label("Progress (%)").fill("65")
    assert page.locator("progress[data-progress-for=action-progress-field]").evaluate("el => el.value") == 65
    page.get_by_label("Status", exact=True).select_option("in-progress")
    page.get_by_role("button", name="Save action").click()
    page.wait_for_url("**/actions/*?done=saved")
    assert "65%" in page.locator("#action-progress").inner_text()
    assert page.locator("#action-progress progress").get_attribute("value") == "65"
    change = page.locator("#history-list tr[data-field=progress]").first
    assert change.locator(".before").inner_text() == "20" and change.locator(".after").inner_text() == "65"

    # evidence: a file (the form shows the file box for that kind), then a library resource
    form = page.locator("#action-evidence-form")
    form.get_by_label("Evidence").select_option("file")
    assert form.locator("input[name=ref]").is_hidden()
    minutes = tmp_path / "board-minutes.txt"
    minutes.write_text("The board approved the head of technical services post.\n")
    form.locator("input[type=file]").set_input_files(str(minutes))
    form.get_by_label("Label (optional)").fill("Board minutes")
    form.get_by_role("button", name="Link evidence").click()
    page.wait_for_url("**?done=evidence#evidence")
    listed = page.locator("#action-evidence").inner_text()
    assert "Board minutes" in listed and "board-minutes.txt" in listed

    form = page.locator("#action-evidence-form")
    form.get_by_label("Evidence").select_option("resource")
    assert form.locator("input[type=file]").is_hidden()
    form.locator("input[name=ref]").fill("leadership-guide")
    form.get_by_role("button", name="Link evidence").click()
    page.wait_for_url("**?done=evidence#evidence")
    assert "Technical leadership guide" in page.locator("#action-evidence").inner_text()

    # the plan shows the action's progress and its evidence
    page.get_by_role("link", name="Back to the action plan").click()
    row = page.locator("#actions tr[data-action=A1]")
    assert row.locator("progress").get_attribute("value") == "65"
    assert "In progress" in row.locator(".status").inner_text()
    assert "Board minutes" in row.locator(".action-evidence").inner_text()
    assert "Technical leadership guide" in row.locator(".action-evidence").inner_text()
    assert page.problems == [], page.problems
    page.context.close()


@pytest.mark.parametrize("path", [PLAN, f"/strategy/providers/{PROVIDER}", "/strategy/recommendations"])
def test_the_strategy_pages_pass_axe(browser: Any, site: Site, path: str) -> None:
    """axe-core (vendored) finds no serious or critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not vendored in tests/web/vendor")
    page = _signed_in(browser, site, "lead", bypass_csp=True)  # only to inject axe
    page.goto(f"{site.url}{path}")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    page.context.close()
    assert found == [], (path, found)
