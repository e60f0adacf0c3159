"""One error, one message: the CLI (exit 2), the HTML page and the JSON problem details
(RFC 9457) say the same thing, because all three map the same base error."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techforce.cli.main import app as cli
from tests.web.conftest import WebEnv, sign_in


def test_an_unknown_definition_reads_the_same_everywhere(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "sector-analyst")
        api = client.get("/api/workforce/overview", params={"definition": "nope"})
        page = client.get("/workforce/overview", params={"definition": "nope"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    problem = api.json()
    assert problem["status"] == 404 and problem["title"] == "Not found" and problem["type"] == "about:blank"
    message = problem["detail"]
    assert message.startswith("no definition 'nope'")
    assert page.status_code == 404 and message in html.unescape(page.text)
    result = CliRunner().invoke(
        cli, ["--data-dir", str(web.settings.data_dir), "workforce", "indicators", "--definition", "nope"]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_invalid_input_carries_its_problems(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        bad = client.post(
            "/api/workforce/peer-groups",
            json={"name": "Bad", "ukprns": ["12"] * 5},
            headers={"X-CSRF-Token": csrf},
        )
    assert bad.status_code == 400 and bad.json()["title"] == "Refused" and "12" in bad.json()["detail"]
