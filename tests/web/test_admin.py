"""The administration pages: the users form (no default role, only known providers) and
the audit log (paged, filtered, each event's details folded away), through the page and its
JSON twin."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from techforce import audit
from techforce.accounts import service
from tests.web.conftest import WebEnv, csrf_of, sign_in
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser import server as server  # the app on a real server


def _accounts(web: WebEnv) -> dict[str, str]:
    with web.db.session() as session:
        return {u.username: u.role for u in service.list_users(session)}


def test_the_role_has_no_default_and_a_missing_one_is_refused(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "admin")
        page = client.get("/admin/users")
        for select in ("new-role", "role-role"):
            found = re.search(
                rf'<select id="{select}" name="role" required><option value="">Choose a role</option>',
                page.text,
            )
            assert found, select
        csrf = csrf_of(page.text)
        form = client.post("/admin/users", data={"action": "add", "username": "newbie", "csrf_token": csrf})
        assert form.status_code == 422 and "choose a role for &#39;newbie&#39;" in form.text
        empty = client.post(
            "/admin/users", data={"action": "add", "username": "newbie", "role": "", "csrf_token": csrf}
        )
        assert empty.status_code == 422
        api = client.post(
            "/api/admin/users", json={"action": "add", "username": "newbie"}, headers={"X-CSRF-Token": csrf}
        )
        assert api.status_code == 422 and "choose a role" in api.json()["detail"]
        change = client.post(
            "/admin/users", data={"action": "role", "username": "technician", "csrf_token": csrf}
        )
        assert change.status_code == 422
        assert "newbie" not in _accounts(web) and _accounts(web)["technician"] == "technician"
        made = client.post(
            "/admin/users",
            data={"action": "add", "username": "newbie", "role": "researcher", "csrf_token": csrf},
        )
        assert made.status_code == 200 and _accounts(web)["newbie"] == "researcher"


def test_a_provider_lead_gets_only_known_providers(web: WebEnv) -> None:
    unknown = "99999999"
    near = web.own[:-1] + ("9" if web.own[-1] != "9" else "8")  # one digit off a real UKPRN
    with TestClient(web.app) as client:
        csrf = sign_in(client, "admin")
        page = client.get("/admin/users")
        assert f'<option value="{web.own}">' in page.text  # the field suggests known providers
        refused = client.post(
            "/admin/users",
            data={
                "action": "add",
                "username": "lead9",
                "role": "provider-lead",
                "providers": f"{web.own} {unknown}",
                "csrf_token": csrf,
            },
        )
        assert refused.status_code == 422
        assert f"no provider &#39;{unknown}&#39;" in refused.text and "nearest:" in refused.text
        api = client.post(
            "/api/admin/users",
            json={"action": "add", "username": "lead9", "role": "provider-lead", "providers": [near]},
            headers={"X-CSRF-Token": csrf},
        )
        assert api.status_code == 422
        detail = api.json()["detail"]
        assert (
            f"no provider {near!r}" in detail and f"({web.own})" in detail
        )  # the nearest, by name and UKPRN
        role = client.post(
            "/api/admin/users",
            json={
                "action": "role",
                "username": "technician",
                "role": "provider-lead",
                "providers": [unknown],
            },
            headers={"X-CSRF-Token": csrf},
        )
        assert role.status_code == 422
        assert "lead9" not in _accounts(web) and _accounts(web)["technician"] == "technician"
        made = client.post(
            "/api/admin/users",
            json={"action": "add", "username": "lead9", "role": "provider-lead", "providers": [web.own]},
            headers={"X-CSRF-Token": csrf},
        )
        assert made.status_code == 200 and _accounts(web)["lead9"] == "provider-lead"


def _plant_events(web: WebEnv, count: int = 60) -> None:
    """``count`` test events (newest last), the first ten dated 2020-01-0N."""
    with web.db.session() as session:
        for i in range(count):
            audit.record(
                session,
                actor="robot" if i % 2 else "person",
                action="test.even" if i % 2 == 0 else "test.odd",
                target=f"Target {i:03d}",
                payload={"i": i, "note": "<b>bold</b>"},
            )
    with web.db.session() as session:
        for i in range(10):
            session.execute(
                update(audit.AuditEvent)
                .where(audit.AuditEvent.target == f"Target {i:03d}")
                .values(at=datetime(2020, 1, 1 + i, 12, tzinfo=UTC))
            )


def test_the_audit_log_is_paged(web: WebEnv) -> None:
    _plant_events(web)
    with TestClient(web.app) as client:
        sign_in(client, "admin")
        first = client.get("/api/admin/audit", params={"action": "test.", "per_page": 25}).json()
        assert first["total"] == 60 and first["pages"] == 3 and len(first["events"]) == 25
        assert first["events"][0]["target"] == "Target 059"  # newest first
        assert (first["first"], first["last"]) == (1, 25) and first["previous"] is None
        assert first["next"] == "?action=test.&per_page=25&page=2"
        last = client.get("/api/admin/audit" + "?action=test.&per_page=25&page=3").json()
        assert (
            len(last["events"]) == 10 and last["next"] is None and (last["first"], last["last"]) == (51, 60)
        )
        assert last["events"][-1]["target"] == "Target 000"
        page = client.get("/admin/audit", params={"action": "test.", "per_page": 25, "page": 2})
        assert "Events 26–50 of 60" in page.text
        assert 'href="/admin/audit?action=test.&amp;per_page=25&amp;page=1" rel="prev"' in page.text
        assert 'href="/admin/audit?action=test.&amp;per_page=25&amp;page=3" rel="next"' in page.text
        assert page.text.count("<details>") == 25  # each event's details folded in its own row
        assert '"note": "&lt;b&gt;bold&lt;/b&gt;"' in page.text and "<b>" not in page.text  # text, as typed
        beyond = client.get("/api/admin/audit", params={"action": "test.", "page": 99}).json()
        assert beyond["events"] == [] and beyond["previous"] == "?action=test.&page=2"


def test_the_audit_log_filters_by_action_actor_target_and_dates(web: WebEnv) -> None:
    _plant_events(web)
    with TestClient(web.app) as client:
        sign_in(client, "admin")

        def found(**params: object) -> list[str]:
            body = client.get("/api/admin/audit", params={"per_page": 200, **params}).json()
            assert body["total"] == len(body["events"])
            return [e["target"] for e in body["events"]]

        assert len(found(action="test.odd")) == 30
        assert len(found(action="test.", actor="robot")) == 30 and found(actor="nobody") == []
        assert found(target="target 05") == [f"Target {i:03d}" for i in range(59, 49, -1)]  # any case
        assert found(target="%") == [] and found(target="_") == []  # wildcards are text
        assert found(action="test.", since="2020-01-03", until="2020-01-05") == [
            "Target 004",
            "Target 003",
            "Target 002",
        ]
        today = datetime.now(UTC).date()
        assert len(found(action="test.", since=today.isoformat())) == 50
        assert found(action="test.", until=(today - timedelta(days=365)).isoformat())[0] == "Target 009"
        assert client.get("/api/admin/audit", params={"since": "yesterday"}).status_code == 422
        swapped = client.get("/admin/audit", params={"since": "2020-02-01", "until": "2020-01-01"})
        assert swapped.status_code == 422 and "swap them" in swapped.text
        page = client.get(
            "/admin/audit", params={"action": "test.", "target": "Target 00", "since": "2020-01-02"}
        ).text
        assert 'value="Target 00"' in page and 'value="2020-01-02"' in page and "Events 1–9 of 9" in page


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_users_and_audit_pages_in_a_browser(web: WebEnv, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.web.test_peer_builder import DESKTOP, shoot, sign_in_browser

    _plant_events(web, 80)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=DESKTOP)
        sign_in_browser(page, server, "admin")
        page.goto(f"{server}/admin/users")
        role = page.locator("#new-role")
        expect(role).to_have_value("")  # nothing chosen until the admin chooses
        page.locator("#new-username").fill("careful")
        page.get_by_role("button", name="Add account").click()
        assert page.evaluate("() => document.querySelector('#new-role').validity.valueMissing")
        expect(page).to_have_url(f"{server}/admin/users")  # the browser asked for a role first
        shoot(page, "admin-users")
        assert "careful" not in _accounts(web)

        page.goto(f"{server}/admin/audit?action=test.")
        expect(page.locator("#audit-count")).to_contain_text("Events 1–50 of 80")
        details = page.locator("#audit-table details").first
        expect(details.locator("pre")).to_be_hidden()
        details.locator("summary").click()
        expect(details.locator("pre")).to_contain_text('"note": "<b>bold</b>"')  # as text
        page.get_by_role("link", name="Next page").first.click()
        expect(page.locator("#audit-count")).to_contain_text("Events 51–80 of 80")
        shoot(page, "admin-audit")
        browser.close()
