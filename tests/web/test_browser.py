"""A real browser (Playwright driving Debian's chromium) against the app on a real server:
sign in, upload a broken return and see its errors, upload a good one and see the
indicators change, and try another provider's row-level page by URL. Screenshots are
saved under test-artifacts/ (or $TECHFORCE_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.web.browser import CHROMIUM, NEEDS_CHROMIUM, served
from tests.web.conftest import PASSWORD, WebEnv, unknown_level

pytestmark = NEEDS_CHROMIUM
ARTIFACTS = Path(os.environ.get("TECHFORCE_ARTIFACTS", "test-artifacts"))


@pytest.fixture
def server(web: WebEnv) -> Iterator[str]:
    with served(web.app) as url:
        yield url


def _broken_copy(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target)
    unknown_level(target / "CONTRACT.csv", 0)
    return target


def test_browser_journey(web: WebEnv, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    good = web.sector_dir / "2023" / "csv" / web.own
    broken = _broken_copy(good, tmp_path / "broken")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/workforce/overview")
        expect(page).to_have_url(f"{server}/login?next=/workforce/overview")
        page.get_by_label("Username").fill("provider-lead")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sector overview 2022/23")
        page.wait_for_selector(".chart svg", timeout=20_000)  # vega-embed drew the charts (CSP allows it)
        csp = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        charts = page.locator(".chart")
        assert charts.count() >= 2 and page.locator(".chart svg").count() == charts.count()
        assert "Chart unavailable" not in page.locator("main").inner_text()
        assert page.evaluate(
            "() => htmx.config.allowEval === false && htmx.config.selfRequestsOnly === true"
            " && htmx.config.allowScriptTags === false"
        )
        page.screenshot(path=str(ARTIFACTS / "1-overview.png"), full_page=True)

        page.get_by_role("link", name="Upload").click()
        page.get_by_label("Files (.xml or .csv)").set_input_files(
            sorted(str(f) for f in broken.glob("*.csv"))
        )
        page.get_by_role("button", name="Upload and validate").click()
        expect(page.locator("#problems")).to_contain_text("nothing ingested")
        expect(page.locator("#problem-table")).to_contain_text("contract.levels.code")
        page.screenshot(path=str(ARTIFACTS / "2-upload-refused.png"), full_page=True)

        page.get_by_label("Files (.xml or .csv)").set_input_files(sorted(str(f) for f in good.glob("*.csv")))
        page.get_by_role("button", name="Upload and validate").click()
        expect(page.locator("#accepted")).to_have_text("Accepted")
        expect(page.locator(".new-indicators").first).to_contain_text("Technical staff (headcount)")
        page.screenshot(path=str(ARTIFACTS / "3-upload-accepted.png"), full_page=True)
        page.get_by_role("link", name="Overview").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sector overview 2023/24")

        response = page.goto(f"{server}/workforce/providers/{web.other}/rows.csv")
        assert response is not None and response.status == 403
        expect(page.get_by_role("alert")).to_contain_text("may not see a provider's unrounded figures")
        page.screenshot(path=str(ARTIFACTS / "4-other-provider-refused.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.goto(f"{server}/workforce/providers/{web.own}")
        expect(page.locator("#indicators")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "5-profile-phone.png"), full_page=True)
        browser.close()
    assert not [
        e for e in errors if "Content Security Policy" in e or "unsafe-eval" in e or "Refused to" in e
    ], errors
    assert not [e for e in errors if "EvalError" in e or "Chart unavailable" in e], errors


def test_hostile_data_is_inert_in_a_browser(web: WebEnv, server: str) -> None:
    """The confirmed attacks, replayed in a real browser: an htmx payload as a sign-in user
    name (shown on the admin's audit page), a lead's peer-group description that promotes the
    lead when an admin views it, and a crafted ``/login?next=`` link. None of them acts."""
    from fastapi.testclient import TestClient
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from techforce.accounts import service
    from techforce.workforce.models import Provider
    from tests.web.conftest import csrf_of, sign_in

    def add_admin(name: str) -> str:
        values = '{"action":"add","username":"' + name + '","role":"admin"}'
        return f'<div hx-post="/admin/users" hx-vals=\'{values}\' hx-trigger="load"></div>'

    promote = (
        '<div hx-post="/admin/users" hx-vals=\'{"action":"role","username":"provider-lead",'
        '"role":"admin"}\' hx-trigger="load"></div>'
    )
    with TestClient(web.app) as client:
        page = client.get("/login")
        client.post(
            "/login",
            data={"username": add_admin("mallory"), "password": "x", "csrf_token": csrf_of(page.text)},
        )
        csrf = sign_in(client, "provider-lead")
        with web.db.session() as session:
            members = sorted(session.scalars(select(Provider.ukprn)))[:6]
        saved = client.post(
            "/api/workforce/peer-groups",
            headers={"X-CSRF-Token": csrf},
            json={"name": "Lead's group", "ukprns": members, "description": promote},
        )
        assert saved.status_code == 201, saved.text
    crafted = '"><div hx-get="/admin/users" hx-trigger="load" hx-target="body"></div>' + add_admin("mallory2")
    posts: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("request", lambda r: posts.append(r.url) if r.method != "GET" else None)
        page.goto(f"{server}/login?next={quote(crafted)}")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server}/workforce/overview")
        for path in ("/admin/audit", "/workforce/peer-groups"):
            page.goto(f"{server}{path}")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
        assert "Lead's group" in page.content()
        browser.close()
    assert [u for u in posts if "/admin/users" in u] == []
    with web.db.session() as session:
        roles = {u.username: u.role for u in service.list_users(session)}
    assert "mallory" not in roles and "mallory2" not in roles and roles["provider-lead"] == "provider-lead"


def test_pages_pass_axe_accessibility_checks(web: WebEnv, server: str) -> None:
    """axe-core (vendored from npm, MPL-2.0) finds no serious or critical violations: labels,
    contrast, landmarks, names of links and buttons, table headers."""
    from playwright.sync_api import sync_playwright

    axe = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
    pages = [
        "/login",
        "/workforce/overview",
        f"/workforce/providers/{web.own}",
        "/workforce/explore",
        "/workforce/peer-groups",
        "/workforce/definitions",
        "/workforce/upload",
        "/admin/users",
        "/admin/audit",
    ]
    found: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(bypass_csp=True)  # only so that the test can inject axe
        page = context.new_page()
        for path in pages:
            page.goto(f"{server}{path}")
            if path == "/login":
                page.add_script_tag(content=axe)
                found[path] = _violations(page)
                page.get_by_label("Username").fill("admin")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(f"{server}/workforce/overview")
                continue
            page.wait_for_load_state("networkidle")
            page.add_script_tag(content=axe)
            found[path] = _violations(page)
        browser.close()
    assert not any(found.values()), found


def _violations(page: object) -> list[str]:
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"  # type: ignore[attr-defined]
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    return list(result)
