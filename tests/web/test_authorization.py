"""The authorization matrix: every route x every role x own vs other provider.

A route added without an entry here fails ``test_every_route_is_in_the_matrix``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from techforce.workforce import peer_groups
from tests.web import library_matrix as lm
from tests.web import programmes_matrix as pm
from tests.web import research_matrix as rm
from tests.web import strategy_matrix as sm
from tests.web.conftest import WebEnv, sign_in

ROLES = ["admin", "sector-analyst", "provider-lead", "programme-manager", "researcher", "technician"]
EVERYONE = set(ROLES)
# who may: per route kind; "own" = only the lead of the provider in the URL
KINDS: dict[str, set[str] | str] = {
    "view": EVERYONE,
    "signed_in": EVERYONE,
    "own": "own",
    "upload": {"admin", "sector-analyst", "provider-lead"},
    "groups": {"admin", "sector-analyst", "provider-lead"},
    "admin": {"admin"},
    "curate": lm.CURATORS,
}
PUBLIC = (
    {"/", "/login", "/static", "/static/vega.js", "/api/openapi.json"} | pm.PUBLIC_ROUTES | lm.PUBLIC_ROUTES
)
MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/account"): "signed_in",
    ("GET", "/account/password"): "signed_in",
    ("POST", "/account/password"): "signed_in",
    ("POST", "/logout"): "signed_in",
    ("GET", "/api/workforce/overview"): "view",
    ("GET", "/workforce/overview"): "view",
    ("GET", "/api/workforce/providers/{ukprn}"): "view",
    ("GET", "/workforce/providers/{ukprn}"): "view",
    ("GET", "/workforce/providers/{ukprn}/rows.csv"): "own",
    ("GET", "/api/workforce/explore"): "view",
    ("GET", "/workforce/explore"): "view",
    ("GET", "/workforce/explore.csv"): "view",
    ("GET", "/api/workforce/find"): "view",
    ("GET", "/workforce/find"): "view",
    ("GET", "/api/workforce/definitions"): "view",
    ("GET", "/workforce/definitions"): "view",
    ("GET", "/api/workforce/peer-groups"): "view",
    ("GET", "/workforce/peer-groups"): "view",
    ("POST", "/api/workforce/peer-groups"): "groups",
    ("POST", "/workforce/peer-groups"): "groups",
    ("DELETE", "/api/workforce/peer-groups/{name}"): "groups",
    ("POST", "/workforce/peer-groups/{name}/remove"): "groups",
    ("GET", "/workforce/upload"): "upload",
    ("POST", "/workforce/upload"): "upload",
    ("GET", "/api/workforce/upload"): "upload",
    ("POST", "/api/admin/users"): "admin",
    ("POST", "/api/workforce/upload"): "upload",
    ("GET", "/api/admin/users"): "admin",
    ("GET", "/admin/users"): "admin",
    ("POST", "/admin/users"): "admin",
    ("GET", "/api/admin/audit"): "admin",
    ("GET", "/admin/audit"): "admin",
    **pm.PARTICIPANT,
    **pm.MANAGE,
    **rm.ROUTES,
    **lm.ROUTES,
    **sm.ROUTES,
}


def _routes(routes: list[Any]) -> set[tuple[str, str]]:
    found = set()
    for r in routes:
        if isinstance(r, APIRoute):
            found |= {(m, r.path) for m in r.methods}
        elif hasattr(r, "original_router"):  # an included router
            found |= _routes(r.original_router.routes)
    return found


def test_every_route_is_in_the_matrix(web: WebEnv) -> None:
    routes = _routes(web.app.routes)
    missing = {r for r in routes if r not in MATRIX and r[1] not in PUBLIC}
    assert not missing, f"routes without an authorization rule: {sorted(missing)}"
    assert not {k for k in MATRIX if k not in routes}, "matrix lists routes that do not exist"


def _request(
    client: TestClient,
    method: str,
    path: str,
    csrf: str,
    env: WebEnv,
    role: str,
    body: tuple[str, dict[str, Any]] | None = None,
) -> Any:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    headers = {"X-CSRF-Token": csrf}
    if body is not None:  # a programme route's valid body (programmes_matrix.body)
        kind, value = body
        if kind == "json":
            return client.post(path, json=value, headers=headers, follow_redirects=False)
        return client.post(path, data=value, headers=headers, follow_redirects=False)
    if (
        "{name}" in path
    ):  # a group of this user's own, for every role's turn (owners: tests/web/test_pages.py)
        with env.db.session() as session:
            peer_groups.save(session, "doomed", env.five, actor="test", owner=role)
        path = path.replace("{name}", "doomed")
        return client.request(method, path, headers=headers, follow_redirects=False)
    if path == "/api/workforce/peer-groups":
        return client.post(path, json={"name": "matrix", "ukprns": env.five}, headers=headers)
    if path == "/workforce/peer-groups":
        return client.post(
            path, data={"name": "matrix", "ukprns": env.five}, headers=headers, follow_redirects=False
        )
    if path.endswith("/upload"):
        return client.post(path, files=[("files", ("x.txt", b"not a return", "text/plain"))], headers=headers)
    if path == "/api/admin/users":
        return client.post(
            path, json={"action": "add", "username": "api-person", "role": "technician"}, headers=headers
        )
    if path == "/admin/users":
        return client.post(
            path, data={"action": "add", "username": "new-person", "role": "technician"}, headers=headers
        )
    if path == "/account/password":
        return client.post(
            path, data={"current": "wrong password!", "new": "another long password"}, headers=headers
        )
    return client.request(method, path, headers=headers, follow_redirects=False)


def _allowed(kind: str, role: str, whose: str) -> bool:
    programme = pm.allowed(kind, role, whose)
    if programme is not None:
        return programme
    who = KINDS[kind]
    if who == "own":
        return role == "provider-lead" and whose == "own"
    assert isinstance(who, set)
    return role in who


def _targets(template: str, kind: str) -> tuple[str, ...]:
    """Whose target a route is tried on: own and another's provider, user or programme."""
    return ("own", "other") if "{ukprn}" in template else pm.targets(kind)


@pytest.mark.parametrize("role", ROLES)
def test_matrix(web: WebEnv, role: str) -> None:
    seeded = pm.seed(web.db)
    studies = rm.seed(web.db)
    plans = sm.seed(web.db, web.own, web.other, web.five[2])
    with TestClient(web.app) as client:
        csrf = sign_in(client, role)
        for (method, template), kind in MATRIX.items():
            if template == "/logout":
                continue  # signs out; covered in test_security
            if kind in rm.KINDS:  # research: by the user's right in the study (404 outside it)
                rm.check(client, csrf, role, method, template, kind, studies)
                continue
            if kind in sm.KINDS:  # strategy: by provider, or by invitation to review (404 outside it)
                sm.check(client, csrf, role, method, template, kind, plans, web.own, web.other)
                continue
            for whose in _targets(template, kind):
                ukprn = web.own if whose == "own" else web.other
                path = pm.fill(
                    template.replace("{ukprn}", ukprn).replace("{slug}", lm.SLUG), role, whose, seeded
                )
                body = pm.body(method, template, role, whose, seeded, web.own)
                response = _request(client, method, path, csrf, web, role, body)
                allowed = _allowed(kind, role, whose)
                if allowed:
                    assert response.status_code not in (401, 403), (role, method, path, response.text[:300])
                    assert response.status_code < 500
                else:
                    assert response.status_code == 403, (role, method, path, response.status_code)
    pm.settle()


@pytest.mark.parametrize(("method", "template"), sorted(MATRIX))
def test_signed_out_is_refused(web: WebEnv, method: str, template: str) -> None:
    with TestClient(web.app) as client:
        path = pm.fill(
            template.replace("{ukprn}", web.own).replace("{name}", "any").replace("{slug}", lm.SLUG),
            "technician",
            "own",
        )
        path = rm.fill(path, "technician", rm.OUTSIDE, None)
        path = sm.fill(path, None)
        response = client.request(method, path, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("template", sorted(pm.PUBLIC_ROUTES))
def test_public_programme_routes_answer_signed_out(web: WebEnv, template: str) -> None:
    """The routes open without signing in (deps.public) answer, and ask for nothing."""
    routes = {path: method for method, path in _routes(web.app.routes)}
    assert template in routes, "PUBLIC_ROUTES lists a route that does not exist"
    with TestClient(web.app) as client:
        path = pm.fill(template, "technician", "own")
        if path == "/api/programmes/verify":
            response = client.post(path, json={"credential": "not a credential"})
        else:
            response = client.get(path, follow_redirects=False)
        assert response.status_code not in (401, 403) and response.status_code < 500, (
            path,
            response.text[:200],
        )
        assert "/login" not in response.headers.get("location", "")


def test_lead_sees_own_provider_in_full_and_others_rounded(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "provider-lead")
        own = client.get(f"/api/workforce/providers/{web.own}").json()
        other = client.get(f"/api/workforce/providers/{web.other}").json()
        assert own["in_full"] is True and other["in_full"] is False
        own_head = next(i for i in own["indicators"] if i["indicator"] == "tech.headcount")["provider"]
        other_head = next(i for i in other["indicators"] if i["indicator"] == "tech.headcount")["provider"]
        assert "unrounded" in own_head["disclosure"]
        assert "rounded to nearest 5" in other_head["disclosure"] and other_head["value"] % 5 == 0
        explored = client.get(
            "/api/workforce/explore", params={"indicator": "tech.by_age", "scope": f"provider:{web.other}"}
        ).json()
        assert all("unrounded" not in r["disclosure"] for r in explored["rows"])
        rows = client.get(f"/workforce/providers/{web.own}/rows.csv")
        assert rows.status_code == 200 and rows.text.startswith("ukprn,year,person_id")
        assert "STAFFID" not in rows.text and "birth" not in rows.text.splitlines()[0]
        # guessing another provider's row-level URL is refused
        assert client.get(f"/workforce/providers/{web.other}/rows.csv").status_code == 403


def test_analyst_never_sees_unrounded_or_row_level(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "sector-analyst")
        data = client.get(f"/api/workforce/providers/{web.own}").json()
        assert data["in_full"] is False
        assert all("unrounded" not in i["provider"]["disclosure"] for i in data["indicators"])
        assert client.get(f"/workforce/providers/{web.own}/rows.csv").status_code == 403
