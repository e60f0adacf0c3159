"""schemathesis against the OpenAPI document: no generated request makes a server error,
signed in as an admin and as a provider lead (with a valid CSRF token)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from techforce.db import Database
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.web.conftest import WebEnv, sign_in


@pytest.fixture(scope="module")
def api_app(web_template: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    template, _five = web_template
    data = tmp_path_factory.mktemp("api") / "data"
    shutil.copytree(template, data)
    app_settings = Settings(data_dir=data, user="test")
    db = Database(app_settings)
    yield create_app(app_settings, db)
    db.dispose()


@pytest.fixture(scope="module")
def credentials(api_app: Any) -> list[dict[str, str]]:
    """Request headers of a signed-in admin and a signed-in provider lead."""
    found = []
    for role in ("admin", "provider-lead"):
        with TestClient(api_app) as client:
            csrf = sign_in(client, role)
            found.append({"Cookie": f"tf_session={client.cookies.get('tf_session')}", "X-CSRF-Token": csrf})
    return found


def test_no_server_errors(api_app: Any, credentials: list[dict[str, str]]) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api_app, headers=credentials[0])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case: Any) -> None:
            for headers in credentials:
                response = case.call(headers=headers)
                assert response.status_code < 500, (
                    case.method,
                    case.path,
                    response.status_code,
                    response.text[:500],
                )

        no_server_error()


def test_openapi_document_is_for_signed_in_users_only(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        anonymous = client.get("/api/openapi.json")
        assert anonymous.status_code == 401 and anonymous.json() == {"detail": "sign in first"}
        sign_in(client, "technician")
        document = client.get("/api/openapi.json")
        assert document.status_code == 200 and "/api/workforce/overview" in document.json()["paths"]
        assert "/api/openapi.json" not in document.json()["paths"]


def _schema(document: dict[str, Any], path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    """The component schema an operation's JSON answer refers to."""
    content = document["paths"][path][method]["responses"][status]["content"]["application/json"]
    ref: str = content["schema"]["$ref"]
    found: dict[str, Any] = document["components"]["schemas"][ref.removeprefix("#/components/schemas/")]
    return found


def test_openapi_document_describes_the_page_shapes(web: WebEnv) -> None:
    """Every /api answer has a named schema with its real fields, not an untyped object."""
    with TestClient(web.app) as client:
        sign_in(client, "admin")
        document = client.get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]

    overview = _schema(document, "/api/workforce/overview")
    assert {"title", "headline", "leadership", "providers", "charts", "meta", "filters"} <= set(
        overview["properties"]
    )
    assert set(schemas["HeadlineCell"]["properties"]) == {
        "indicator",
        "title",
        "value",
        "display",
        "disclosure",
        "previous",
        "change",
        "trend",
    }
    assert set(schemas["Chart"]["properties"]) == {"title", "spec", "alt", "columns", "rows", "name", "note"}
    assert set(schemas["Cell"]["properties"]) == {"value", "display", "disclosure"}

    profile = _schema(document, "/api/workforce/providers/{ukprn}")
    assert {"ukprn", "group", "in_full", "indicators", "comparison", "strips", "breakdowns", "meta"} <= set(
        profile["properties"]
    )
    assert {"provider", "sector", "group_median", "rank"} <= set(schemas["ProfileIndicator"]["properties"])

    explore = _schema(document, "/api/workforce/explore")
    assert {"indicator", "scope", "rows", "chart", "catalogue", "filters", "meta"} <= set(
        explore["properties"]
    )
    assert set(schemas["ExploreRow"]["properties"]) == {"year", "category", "value", "shown", "disclosure"}

    for path, field in [
        ("/api/workforce/definitions", "definitions"),
        ("/api/workforce/peer-groups", "can_edit"),
        ("/api/workforce/upload", "max_bytes"),
        ("/api/admin/users", "users"),
        ("/api/admin/audit", "events"),
        ("/api/account", "must_change_password"),
    ]:
        assert field in _schema(document, path)["properties"], path
    assert "members" in _schema(document, "/api/workforce/peer-groups", "post", "201")["properties"]
    assert "snapshots" in _schema(document, "/api/workforce/upload", "post", "201")["properties"]
    assert "problems" in _schema(document, "/api/workforce/upload", "post", "422")["properties"]
