"""CSRF, session fixation, sign-in rate limiting, one-time passwords and security headers."""

from __future__ import annotations

import logging
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from techforce import audit
from techforce.accounts import service
from techforce.db import Database
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.web.conftest import PASSWORD, WebEnv, csrf_of, sign_in


def test_state_changes_without_or_with_a_wrong_csrf_token_are_refused(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "admin")
        body = {"name": "g", "ukprns": web.five}
        assert client.post("/api/workforce/peer-groups", json=body).status_code == 403
        assert (
            client.post(
                "/api/workforce/peer-groups", json=body, headers={"X-CSRF-Token": "forged"}
            ).status_code
            == 403
        )
        form = {"action": "add", "username": "someone", "role": "technician"}
        assert client.post("/admin/users", data=form).status_code == 403
        assert client.post("/admin/users", data={**form, "csrf_token": "forged"}).status_code == 403
        assert (
            client.post("/api/workforce/peer-groups", json=body, headers={"X-CSRF-Token": csrf}).status_code
            == 201
        )
        with web.db.session() as session:
            assert "someone" not in {u.username for u in service.list_users(session)}


def test_login_form_needs_its_csrf_token(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": "x"},
            follow_redirects=False,
        )
        assert response.status_code == 403 and "tf_session" not in response.cookies


def test_session_fixation_is_prevented(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        client.cookies.set("tf_session", "planted-by-an-attacker")
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "technician", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        issued = response.cookies.get("tf_session")
        assert issued and issued != "planted-by-an-attacker"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    with TestClient(web.app) as attacker:  # the planted value never became a session
        attacker.cookies.set("tf_session", "planted-by-an-attacker")
        assert attacker.get("/api/account").status_code == 401


def test_sign_out_ends_the_session(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "researcher")
        token = client.cookies.get("tf_session")
        assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    with TestClient(web.app) as replay:
        replay.cookies.set("tf_session", token or "")
        assert replay.get("/api/account").status_code == 401


def test_repeated_failed_sign_ins_are_rate_limited(web: WebEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "FIRST_WAIT", timedelta(seconds=30))  # no race with the clock
    with TestClient(web.app) as client:
        codes = []
        for _ in range(service.MAX_FAILURES_PER_USER + 1):
            page = client.get("/login")
            codes.append(
                client.post(
                    "/login",
                    data={
                        "username": "admin",
                        "password": "wrong password",
                        "csrf_token": csrf_of(page.text),
                    },
                ).status_code
            )
        assert codes[:-1] == [401] * service.MAX_FAILURES_PER_USER and codes[-1] == 429
        page = client.get("/login")  # even the right password waits now
        right = client.post(
            "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        )
        assert right.status_code == 429 and "too many failed sign-ins; try again in 30 seconds" in right.text
    with web.db.session() as session:
        events = [e.action for e in audit.recent(session, limit=20)]
    assert "accounts.signin.failed" in events


def test_one_time_password_must_be_changed_first(web: WebEnv) -> None:
    with web.db.session() as session:
        _user, one_time = service.create_user(session, "newcomer", "technician", actor="test")
    assert one_time
    with TestClient(web.app) as client:
        page = client.get("/login")
        client.post(
            "/login",
            data={"username": "newcomer", "password": one_time, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        redirected = client.get("/workforce/overview", follow_redirects=False)
        assert redirected.status_code == 303 and redirected.headers["location"] == "/account/password"
        form = client.get("/account/password")
        csrf = csrf_of(form.text)
        short = client.post(
            "/account/password", data={"current": one_time, "new": "short", "csrf_token": csrf}
        )
        assert short.status_code == 400 and "at least 12" in short.text
        done = client.post(
            "/account/password",
            data={"current": one_time, "new": "a much longer secret", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert client.get("/workforce/overview").status_code == 200


def test_changing_the_password_ends_other_sessions(web: WebEnv) -> None:
    with TestClient(web.app) as elsewhere, TestClient(web.app) as here:
        sign_in(elsewhere, "researcher")
        csrf = sign_in(here, "researcher")
        changed = here.post(
            "/account/password",
            data={"current": PASSWORD, "new": "a brand new passphrase", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert here.get("/api/account").status_code == 200
        assert elsewhere.get("/api/account").status_code == 401


def test_disabling_an_account_ends_its_sessions(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        with web.db.session() as session:
            service.set_disabled(session, "technician", True, actor="admin")
        assert client.get("/api/account").status_code == 401


def test_security_headers(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        for path in ("/login", "/static/app.css"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert (
                "frame-ancestors 'none'" in csp
                and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
            )
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
        page = client.get("/login").text
        assert "<script>" not in page and "onclick" not in page  # no inline script anywhere


def test_cookies_are_secure_behind_https(web: WebEnv) -> None:
    with TestClient(web.app, base_url="https://techforce.example") as client:
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        response = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert "Secure" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_sign_in_on_both_databases(settings: Settings, db: Database) -> None:
    """The session look-up runs on the event loop for SQLite and in a thread for PostgreSQL."""
    app = create_app(settings, db)
    with db.session() as session:
        service.create_user(session, "analyst", "sector-analyst", actor="test", password=PASSWORD)
    with TestClient(app) as client:
        csrf = sign_in(client, "analyst")
        assert client.get("/api/account").json()["role"] == "sector-analyst"
        assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
        assert client.get("/api/account").status_code == 401


def test_data_files_are_owner_only(tmp_path: Path) -> None:
    """A fresh data folder: folders 0700, the SQLite database (and its WAL) and web.key 0600."""
    settings = Settings(data_dir=tmp_path / "fresh", user="test")
    db = Database(settings)
    app = create_app(settings, db)
    with db.session() as session:
        service.create_user(session, "analyst", "sector-analyst", actor="test", password=PASSWORD)
    with TestClient(app) as client:
        sign_in(client, "analyst")
    data = settings.data_dir

    def mode(path: Path) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(data) == 0o700
    assert mode(data / "techforce.db") == 0o600
    assert mode(data / "techforce.db-wal") == 0o600
    assert mode(data / "secret") == 0o700 and mode(data / "secret" / "web.key") == 0o600
    db.dispose()


def _failed_sign_in_address(client: TestClient, headers: dict[str, str], web: WebEnv) -> str:
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": "nobody", "password": "x", "csrf_token": csrf_of(page.text)},
        headers=headers,
    )
    with web.db.session() as session:
        event = next(e for e in audit.recent(session, limit=5) if e.action == "accounts.signin.failed")
    return str(event.payload["address"])


def test_x_forwarded_for_counts_only_from_trusted_proxies(web: WebEnv) -> None:
    """A client cannot pick its own address (and so escape the per-address limit) with
    X-Forwarded-For; a configured proxy can say whose request it forwards."""
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    with TestClient(web.app, client=("198.51.100.4", 5000)) as client:
        assert _failed_sign_in_address(client, spoof, web) == "198.51.100.4"
    behind = create_app(web.settings.model_copy(update={"trusted_proxies": ["198.51.100.4"]}), web.db)
    with TestClient(behind, client=("198.51.100.4", 5000)) as proxy:
        assert _failed_sign_in_address(proxy, spoof, web) == "203.0.113.9"
    with TestClient(behind, client=("198.51.100.5", 5000)) as other:  # not the proxy: ignored
        assert _failed_sign_in_address(other, spoof, web) == "198.51.100.5"


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from techforce.cli import web as cli_web

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    settings = Settings(data_dir=tmp_path / "d", user="t")
    db = Database(settings)
    cli_web.run_server(settings, db, "127.0.0.1", 8123)
    db.dispose()
    assert seen["proxy_headers"] is False


def test_parallel_account_creation_gives_one_201_and_409s(
    web: WebEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clients = [TestClient(web.app) for _ in range(6)]
    tokens = [sign_in(c, "admin") for c in clients]
    start = threading.Barrier(len(clients))

    def create(i: int) -> tuple[int, str]:
        start.wait()
        response = clients[i].post(
            "/api/admin/users",
            json={"action": "add", "username": "dup", "role": "researcher"},
            headers={"X-CSRF-Token": tokens[i]},
        )
        return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(create, range(len(clients))))
    for c in clients:
        c.close()
    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * (len(clients) - 1), results
    assert all("exists already" in text for code, text in results if code == 409)
    page = TestClient(web.app)
    page.cookies.set("tf_session", clients[0].cookies.get("tf_session") or "")
    form = page.post(
        "/admin/users",
        data={"action": "add", "username": "dup", "role": "researcher", "csrf_token": tokens[0]},
    )
    assert form.status_code == 409 and "exists already" in form.text
    assert "$argon2" not in caplog.text and all("$argon2" not in text for _, text in results)
