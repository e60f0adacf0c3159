"""Hostile text never becomes markup: every template is autoescaped (.html.j2 included).

Two ways in: (1) hostile strings stored where users can put them (account names, sign-in
attempts, provider names, peer-group names and descriptions, upload file names and values,
error messages, ``?next=``, audit filters), then every page fetched as an admin and as a
provider lead; (2) every template rendered with the data of its page's JSON twin, each
string in it replaced by a hostile one."""

from __future__ import annotations

import copy
import itertools
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from techforce.accounts.models import User
from techforce.present import charts
from techforce.reports.summary import render_html
from techforce.web import app as web_app
from techforce.workforce.models import Provider
from tests.web.conftest import PASSWORD, WebEnv, csrf_of, sign_in, unknown_level

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<div hx-get="/admin/users" hx-trigger="load">',
    "{{7*7}}",
]
# What must never come back as it was sent (the last one is no markup: it must stay as typed).
RAW = ["<script>alert(1)", "<img src=x", "<div hx-", 'hx-trigger="load"']
# Peer-group names may not hold "/" (they are part of a URL): the same markup without it.
GROUP_NAMES = [h.replace("/", "\\") for h in HOSTILE]


def _assert_escaped(where: str, html: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} came back unescaped"


def _plant(web: WebEnv, client: TestClient, tmp_path: Path) -> None:
    """Hostile strings everywhere a user or a file can put text."""
    with web.db.session() as session:
        for i, name in enumerate(HOSTILE):  # legacy rows: straight into the table
            session.add(User(username=f"{name}{i}"[:100], password_hash="x", role="technician"))
        providers = list(session.scalars(select(Provider.ukprn).order_by(Provider.ukprn)))
        for ukprn, name in zip(providers, itertools.cycle(HOSTILE), strict=False):
            session.execute(update(Provider).where(Provider.ukprn == ukprn).values(name=name))
    page = client.get("/login")  # a sign-in attempt with a hostile user name lands in the audit log
    client.post("/login", data={"username": HOSTILE[2], "password": "x", "csrf_token": csrf_of(page.text)})
    csrf = sign_in(client, "provider-lead")
    members = sorted({web.own, web.other, *providers[:6]})
    for name in GROUP_NAMES:
        created = client.post(
            "/api/workforce/peer-groups",
            headers={"X-CSRF-Token": csrf},
            json={"name": name, "ukprns": members, "description": " ".join(HOSTILE)},
        )
        assert created.status_code == 201, created.text
    folder = tmp_path / "hostile-return"
    shutil.copytree(web.sector_dir / "2023" / "csv" / web.own, folder)
    unknown_level(folder / "CONTRACT.csv", 0)
    text = (folder / "CONTRACT.csv").read_text().replace("Z9", '"<script>alert(1)</script>"', 1)
    (folder / "CONTRACT.csv").write_text(text)
    files = [("files", (f.name, f.read_bytes(), "text/csv")) for f in sorted(folder.glob("*.csv"))]
    files.append(("files", ('"><img src=x onerror=alert(1)>.txt', b"x", "text/plain")))
    refused = client.post("/workforce/upload", files=files, data={"csrf_token": csrf})
    _assert_escaped("upload refused", refused.text)
    client.post("/logout", data={"csrf_token": csrf})


def _pages(web: WebEnv) -> list[str]:
    pages = [
        "/workforce/overview",
        f"/workforce/providers/{web.own}",
        f"/workforce/providers/{web.other}",
        "/workforce/explore",
        "/workforce/peer-groups",
        "/workforce/definitions",
        "/workforce/upload",
        "/account/password",
        "/admin/users",
        "/admin/audit",
    ]
    for name in HOSTILE + GROUP_NAMES:  # errors that echo what was asked for, and filters that echo it
        pages += [
            f"/workforce/providers/{name}",
            f"/workforce/explore?indicator={name}",
            f"/workforce/explore?scope=group:{name}",
            f"/workforce/providers/{web.own}?group={name}",
            f"/workforce/overview?definition={name}",
            f"/admin/audit?action={name}&actor={name}",
            f"/workforce/explore?scope=provider:{name}",
            f"/nowhere/{name}",
        ]
    return pages


def test_hostile_strings_come_back_escaped_on_every_page(web: WebEnv, tmp_path: Path) -> None:
    with TestClient(web.app) as client:
        _plant(web, client, tmp_path)
        for name in HOSTILE:
            login = client.get("/login", params={"next": name})
            _assert_escaped(f"/login?next={name}", login.text)
        checked = 0
        for role in ("admin", "provider-lead"):
            sign_in(client, role)
            for path in _pages(web):
                response = client.get(path, headers={"accept": "text/html"})
                if "text/html" in response.headers.get("content-type", ""):
                    _assert_escaped(f"{role} {path}", response.text)
                    checked += 1
            hx = client.get(
                "/workforce/explore", params={"scope": f"group:{HOSTILE[0]}"}, headers={"hx-request": "true"}
            )
            _assert_escaped("explore (htmx)", hx.text)
            client.cookies.clear()
        admin_users = client  # the hostile names really are on the pages, as text
        sign_in(admin_users, "admin")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in admin_users.get("/admin/users").text
        assert "{{7*7}}" in admin_users.get("/workforce/peer-groups").text  # not evaluated
    assert checked > 50


# --- every template, with every string of its page's data hostile -----------------------
def _hostile_copy(value: Any, names: itertools.cycle[str]) -> Any:
    if isinstance(value, str):
        return next(names)
    if isinstance(value, dict):
        return {k: _hostile_copy(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile_copy(v, names) for v in value]
    return value


def _twins(web: WebEnv, client: TestClient) -> dict[str, list[dict[str, Any]]]:
    """Page data (from the JSON twins) for each template, as an admin and a provider lead."""
    found: dict[str, list[dict[str, Any]]] = {}
    for role in ("admin", "provider-lead"):
        sign_in(client, role)
        get = lambda path, **params: client.get(path, params=params).json()  # noqa: E731
        upload_form = get("/api/workforce/upload")
        found.setdefault("overview.html.j2", []).append(get("/api/workforce/overview"))
        found.setdefault("profile.html.j2", []).append(
            get(f"/api/workforce/providers/{web.own}", group=_a_group(get))
        )
        explore = get("/api/workforce/explore", scope=f"provider:{web.own}")
        found.setdefault("explore.html.j2", []).append(explore)
        found.setdefault("explore_result.html.j2", []).append(explore)
        found.setdefault("definitions.html.j2", []).append(get("/api/workforce/definitions"))
        found.setdefault("peer_groups.html.j2", []).append(get("/api/workforce/peer-groups"))
        found.setdefault("upload.html.j2", []).append(upload_form)
        if role == "admin":
            found["users.html.j2"] = [
                {
                    **get("/api/admin/users"),
                    "message": "m",
                    "error": "e",
                    "one_time": {"username": "u", "password": "p"},
                }
            ]
            found["audit.html.j2"] = [get("/api/admin/audit")]
        client.cookies.clear()
    refused = {
        "title": "t",
        "accepted": False,
        "scope": ["s"],
        "problems": [
            {
                "file": "f",
                "line": 1,
                "path": "p",
                "field": "f",
                "value": "v",
                "message": "m",
                "rule": "r",
                "fix": "x",
            }
        ],
    }
    accepted = {
        "title": "t",
        "accepted": True,
        "scope": None,
        "snapshots": [{"ukprn": "u", "year": 2023, "persons": 1, "contracts": 1, "replaced": True}],
        "indicators": [
            {"ukprn": "u", "year": 2023, "indicators": [{"title": "t", "provider": {"display": "d"}}]}
        ],
        "warnings": [{"message": "m", "file": "f"}],
    }
    found["upload.html.j2"] += [refused, accepted]
    found["login.html.j2"] = [{"title": "t", "error": "e", "next": "n", "login_csrf": "c"}]
    found["password.html.j2"] = [{"title": "t", "error": "e"}]
    found["error.html.j2"] = [{"title": "t", "message": "m"}]
    found["find.html.j2"] = [
        {
            "title": "t",
            "query": "q",
            "matches": [{"ukprn": "u", "provider": "p"}],
            "more": 1,
            "nearest": [{"ukprn": "u", "provider": "p"}],
        },
        {"title": "t", "query": "q", "matches": [], "more": 0, "nearest": [{"ukprn": "u", "provider": "p"}]},
    ]
    found["empty.html.j2"] = [{"title": "t", "message": "m", "can_upload": True}]
    return found


def _a_group(get: Any) -> str | None:
    groups = get("/api/workforce/peer-groups")["groups"]
    return groups[0]["name"] if groups else None


PARTIALS = {"base.html.j2", "macros.html.j2", "filters.html.j2"}  # rendered inside every page


def test_every_template_escapes_every_field(web: WebEnv) -> None:
    folder = resources.files("techforce.web") / "templates"
    every = {p.name for p in folder.iterdir() if p.name.endswith(".j2")}
    templates = web_app.templates()
    with TestClient(web.app) as client:
        twins = _twins(web, client)
        sign_in(client, "admin")
        request = client.get("/workforce/definitions").request
    assert every - PARTIALS == set(twins), "a template without a hostile rendering here"
    names = itertools.cycle(HOSTILE)
    for name, datasets in twins.items():
        for data in datasets:
            hostile = _hostile_copy(copy.deepcopy(data), names)
            context = {
                "data": hostile,
                "user": None,
                "csrf": next(names),
                "path": "/",
                "nav": [{"label": next(names), "href": next(names)}],
            }
            html = templates.env.get_template(name).render(request=request, **context)
            _assert_escaped(name, html)
            assert "&lt;" in html, f"{name}: no hostile string was rendered at all"


def test_every_template_is_autoescaped() -> None:
    env = web_app.templates().env
    assert env.list_templates() and all(name.endswith(".html.j2") for name in env.list_templates())
    for name in env.list_templates():
        on = env.autoescape(name) if callable(env.autoescape) else env.autoescape
        assert on, f"{name} is not autoescaped"
    assert (
        env.get_template("error.html.j2")
        .render(data={"title": "<b>", "message": "<i>"}, nav=[])
        .count("&lt;")
        >= 2
    )


def test_report_template_escapes_names_and_its_svg_is_inert() -> None:
    rows = [{"provider": name, "share %": 10.0 + i} for i, name in enumerate(HOSTILE)]
    spec = charts.bar(
        rows, x="provider", y="share %", title=HOSTILE[0], unit="%", order=list(HOSTILE), horizontal=True
    )
    section = {
        "title": HOSTILE[1],
        "svg": charts.to_svg(spec),
        "alt": HOSTILE[2],
        "caption": HOSTILE[0],
        "columns": list(rows[0]),
        "rows": rows,
    }
    context = {
        "title": HOSTILE[0],
        "headline": [{"display": HOSTILE[1], "label": HOSTILE[2]}],
        "sections": [section],
        "meta": {"definition": HOSTILE[0], "disclosure": HOSTILE[1], "population": HOSTILE[2]},
    }
    html = render_html(context)
    svg = section["svg"]
    # Outside the chart nothing comes back as sent; inside it, the names are SVG text nodes,
    # where quotes need no escaping and no element or attribute can appear.
    _assert_escaped("summary.html.j2", html.replace(svg, ""))
    assert svg in html and not any(raw in svg for raw in ("<script", "<img", "<div"))
    assert "<script" not in svg and " on" not in svg.replace(" onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in svg  # the chart's labels are text, escaped


# --- confirmed attacks, replayed ---------------------------------------------------------------
PROMOTE = (
    '<div hx-post="/admin/users" hx-vals=\'{"action":"role","username":"provider-lead","role":"admin"}\' '
    'hx-trigger="load"></div>'
)


def test_sign_in_attempt_with_htmx_payload_is_text_on_the_audit_page(web: WebEnv) -> None:
    payload = (
        '<div hx-post="/admin/users" hx-vals=\'{"action":"add","username":"mallory","role":"admin"}\' '
        'hx-trigger="load"></div>'
    )
    with TestClient(web.app) as client:
        page = client.get("/login")
        client.post("/login", data={"username": payload, "password": "x", "csrf_token": csrf_of(page.text)})
        sign_in(client, "admin")
        audit_page = client.get("/admin/audit").text
    assert "<div hx-post" not in audit_page and "&lt;div hx-post=&#34;/admin/users&#34;" in audit_page


def test_peer_group_description_is_text_for_the_admin(web: WebEnv) -> None:
    with TestClient(web.app) as lead, TestClient(web.app) as admin:
        csrf = sign_in(lead, "provider-lead")
        with web.db.session() as session:
            members = sorted(session.scalars(select(Provider.ukprn)))[:6]
        saved = lead.post(
            "/api/workforce/peer-groups",
            headers={"X-CSRF-Token": csrf},
            json={"name": "Mine", "ukprns": members, "description": PROMOTE},
        )
        assert saved.status_code == 201, saved.text
        sign_in(admin, "admin")
        page = admin.get("/workforce/peer-groups").text
    assert "<div hx-post" not in page and "&lt;div hx-post" in page


@pytest.mark.parametrize(
    "next_path",
    [
        '"><script src="/api/account"></script>',
        '"><div hx-get="/admin/users" hx-trigger="load" hx-target="body"></div>',
        "javascript:alert(document.body.dataset.csrf)",
    ],
)
def test_crafted_login_next_link_is_not_markup(web: WebEnv, next_path: str) -> None:
    with TestClient(web.app) as client:
        page = client.get("/login", params={"next": next_path}).text
        assert next_path not in page and 'name="next" value="/"' in page
        response = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "next": next_path, "csrf_token": csrf_of(page)},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example/x",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%252F%252Fevil.example",
        "javascript:alert(1)",
        "https://evil.example/",
        "/ok\r\nSet-Cookie: x=1",
        "/ok%0d%0aSet-Cookie:%20x=1",
        "\\\\evil.example",
        "/\tevil",
    ],
)
def test_login_next_accepts_only_local_paths(web: WebEnv, next_path: str) -> None:
    with TestClient(web.app) as client:
        page = client.get("/login").text
        response = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "next": next_path, "csrf_token": csrf_of(page)},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert "x=1" not in response.headers.get("set-cookie", "")


def test_login_next_keeps_a_local_path(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        redirect = client.get("/workforce/definitions", follow_redirects=False)
        assert redirect.headers["location"] == "/login?next=/workforce/definitions"
        page = client.get(redirect.headers["location"]).text
        assert 'name="next" value="/workforce/definitions"' in page
        response = client.post(
            "/login",
            data={
                "username": "admin",
                "password": PASSWORD,
                "next": "/admin/audit?limit=5",
                "csrf_token": csrf_of(page),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/admin/audit?limit=5"
