"""What the browser tests share: Debian's chromium (never `playwright install`), the app on a
real uvicorn server in a thread, and pages that record script and CSP errors.

    pytestmark = NEEDS_CHROMIUM

    @pytest.fixture(scope="module")
    def browser() -> Iterator[Any]:
        with chromium() as instance:
            yield instance
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free local port for the block; its base URL."""
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium for the block."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def watched(context: Any) -> Any:
    """A new page of ``context`` whose ``problems`` list collects script errors and console
    errors (a CSP refusal is one)."""
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    return page


def sign_in(page: Any, url: str, username: str, password: str) -> None:
    """Sign ``page`` in through the login form and wait to leave it."""
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda address: not address.endswith("/login"))


def signed_in(browser: Any, url: str, username: str, password: str, **context: Any) -> Any:
    """A new browser context signed in as ``username``; its page records script and CSP errors."""
    page = watched(browser.new_context(**context))
    sign_in(page, url, username, password)
    return page
