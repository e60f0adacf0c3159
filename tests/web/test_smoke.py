from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import WebEnv, sign_in


def test_sign_in_and_see_overview(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "sector-analyst")
        page = client.get("/workforce/overview")
        assert page.status_code == 200, page.text[:2000]
        data = client.get("/api/workforce/overview").json()
        assert data["headline"][0]["indicator"] == "tech.headcount"
        prof = client.get(f"/workforce/providers/{web.own}")
        assert prof.status_code == 200, prof.text[:2000]
        exp = client.get("/workforce/explore")
        assert exp.status_code == 200, exp.text[:2000]
        for path in ("/workforce/definitions", "/workforce/peer-groups", "/workforce/upload", "/api/openapi.json"):
            r = client.get(path)
            assert r.status_code == 200, (path, r.text[:2000])
