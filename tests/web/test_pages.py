"""What users see on the workforce and admin pages, and that each page's JSON twin carries
the same figures."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient

from techforce.web import security
from tests.web.conftest import WebEnv, csrf_of, sign_in


def test_overview_html_shows_its_json_twin_and_definitions_switch(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        data = client.get("/api/workforce/overview").json()
        html = client.get("/workforce/overview").text
        for tile in data["headline"]:
            assert f"{tile['display']}</dd>" in html
        assert data["meta"]["definition"] == "core@v1" and "core@v1" in html
        broad = client.get("/api/workforce/overview", params={"definition": "broad", "year": ""}).json()
        assert broad["meta"]["definition"] == "broad@v1"
        core_fpe = next(t for t in data["headline"] if t["indicator"] == "tech.fpe")["value"]
        broad_fpe = next(t for t in broad["headline"] if t["indicator"] == "tech.fpe")["value"]
        assert broad_fpe >= core_fpe
        assert client.get("/api/workforce/overview", params={"year": 1999}).status_code == 404
        assert client.get("/api/workforce/overview", params={"definition": "nope"}).status_code == 404
        assert client.get("/workforce/providers/99999999").status_code == 404


def test_peer_group_builder_then_profile_against_it(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        pair = client.post(
            "/workforce/peer-groups",
            data={"name": "Pair", "ukprns": [web.own, web.other], "csrf_token": csrf},
            follow_redirects=False,
        )
        assert pair.status_code == 400 and "at least 5 providers" in pair.text
        response = client.post(
            "/workforce/peer-groups",
            data={"name": "Five", "ukprns": web.five, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "Five" in client.get("/workforce/peer-groups").text
        bad = client.post(
            "/api/workforce/peer-groups",
            json={"name": "Bad", "ukprns": ["12"]},
            headers={"X-CSRF-Token": csrf},
        )
        assert bad.status_code == 400 and "12" in bad.json()["detail"]
        profile = client.get(f"/api/workforce/providers/{web.own}", params={"group": "Five"}).json()
        head = next(i for i in profile["indicators"] if i["indicator"] == "tech.headcount")
        assert head["rank"].endswith(" of 5") and head["quartile"].endswith("quartile")
        page = client.get(f"/workforce/providers/{web.own}", params={"group": "Five"}).text
        assert "Group median" in page and head["group_median"] in page
        removed = client.post(
            "/workforce/peer-groups/Five/remove",
            data={"csrf_token": csrf, "confirm": "yes"},
            follow_redirects=False,
        )
        assert removed.status_code == 303 and "Five" not in client.get("/api/workforce/peer-groups").text
        assert client.get(f"/api/workforce/providers/{web.own}", params={"group": "Pair"}).status_code == 404
        again = client.delete("/api/workforce/peer-groups/Pair", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 400 and "no peer group" in again.json()["detail"]


def test_explorer_chart_table_and_csv_agree(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "researcher")
        params = {"indicator": "tech.by_age", "scope": "sector", "year": ""}
        data = client.get("/api/workforce/explore", params=params).json()
        assert data["chart"]["spec"] and data["chart"]["alt"].startswith("Technical staff by age band")
        rows = list(csv.DictReader(io.StringIO(client.get("/workforce/explore.csv", params=params).text)))
        assert [r["shown"] for r in rows] == [r["shown"] for r in data["rows"]]
        assert all(int(r["value"]) % 5 == 0 for r in rows if r["value"])  # published: rounded
        fragment = client.get("/workforce/explore", params=params, headers={"HX-Request": "true"}).text
        assert "<html" not in fragment and "Download CSV" in fragment
        assert client.get("/api/workforce/explore", params={"indicator": "nope"}).status_code == 404
        assert client.get("/api/workforce/explore", params={"scope": "galaxy"}).status_code == 404


def test_admin_resets_a_password_and_reads_the_audit_log(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "admin")
        page = client.get("/admin/users")
        reset = client.post(
            "/admin/users",
            data={"action": "reset", "username": "technician", "csrf_token": csrf_of(page.text)},
        )
        assert reset.status_code == 200 and 'id="one-time"' in reset.text
        mine = client.post(
            "/admin/users", data={"action": "disable", "username": "admin", "csrf_token": csrf_of(page.text)}
        )
        assert mine.status_code == 400 and "your own account" in mine.text
        events = client.get("/api/admin/audit").json()["events"]
        assert {"accounts.signin", "accounts.password.reset"} <= {e["action"] for e in events}
        resets = client.get(
            "/api/admin/audit", params={"action": "accounts.password", "actor": "admin"}
        ).json()
        assert [e["action"] for e in resets["events"]] == ["accounts.password.reset"]
        assert (
            'value="accounts.password"'
            in client.get("/admin/audit", params={"action": "accounts.password"}).text
        )


def test_accounts_through_the_json_api(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "admin")
        added = client.post(
            "/api/admin/users",
            json={"action": "add", "username": "lead2", "role": "provider-lead", "providers": [web.other]},
            headers={"X-CSRF-Token": csrf},
        )
        assert added.status_code == 200 and added.json()["one_time"]["password"]
        refused = client.post(
            "/api/admin/users",
            json={"action": "add", "username": "lead3", "role": "provider-lead"},
            headers={"X-CSRF-Token": csrf},
        )
        assert refused.status_code == 400 and "at least one provider" in refused.json()["detail"]
        users = {u["username"]: u for u in client.get("/api/admin/users").json()["users"]}
        assert users["lead2"]["providers"] == web.other and users["lead2"]["must_change_password"]


def test_sign_in_never_redirects_off_site(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        for target in ("//evil.example/", "/\\\\evil.example/", "https://evil.example/"):
            page = client.get("/login")
            response = client.post(
                "/login",
                data={
                    "username": "technician",
                    "password": "correct horse battery staple",
                    "csrf_token": csrf_of(page.text),
                    "next": target,
                },
                follow_redirects=False,
            )
            assert response.headers["location"] == "/"  # the home page: each user's landing page


def test_a_new_deployment_says_what_to_do(tmp_path: Path) -> None:
    from techforce.accounts import service
    from techforce.db import Database
    from techforce.settings import Settings
    from techforce.web.app import create_app

    settings = Settings(data_dir=tmp_path / "empty", user="test")
    db = Database(settings)
    app = create_app(settings, db)
    with db.session() as session:
        service.create_user(session, "first", "admin", actor="test", password="correct horse battery staple")
    with TestClient(app) as client:
        sign_in(client, "first")
        page = client.get("/workforce/overview")
        assert (
            page.status_code == 200
            and "No staff returns yet" in page.text
            and "/workforce/upload" in page.text
        )
        assert client.get("/api/workforce/overview").status_code == 404
    db.dispose()


def test_downloads_encode_their_file_names_and_neutralise_formulas(web: WebEnv) -> None:
    """RFC 6266: an ASCII fallback without quotes, slashes or line breaks, and the full name
    as filename*=UTF-8''...; formula-like text in a cell starts with a quote."""
    name = 'Grüne "Nord";=1+1\\x'
    with TestClient(web.app) as client:
        csrf = sign_in(client, "admin")
        members = sorted(p["ukprn"] for p in client.get("/api/workforce/peer-groups").json()["providers"])[:6]
        saved = client.post(
            "/api/workforce/peer-groups",
            json={"name": name, "ukprns": members},
            headers={"X-CSRF-Token": csrf},
        )
        assert saved.status_code == 201, saved.text
        response = client.get(
            "/workforce/explore.csv", params={"scope": f"group:{name}", "indicator": "tech.by_age"}
        )
        assert response.status_code == 200, response.text[:300]
        disposition = response.headers["content-disposition"]
        fallback = disposition.split('filename="')[1].split('"')[0]
        assert disposition.startswith("attachment; ") and re.fullmatch(r"[A-Za-z0-9._-]+", fallback)
        assert (
            "filename*=UTF-8''techforce-tech.by_age-group-Gr%C3%BCne%20Nord%3B%3D1%2B1-x-all-years.csv"
            in disposition
        )
        assert "\r" not in disposition and "\n" not in disposition
    assert security.content_disposition('a/b\\c\r\nSet-Cookie: x="1".csv').count('"') == 2
    assert "\n" not in security.content_disposition("x\r\ny.csv")


def test_a_peer_group_belongs_to_its_creator(web: WebEnv) -> None:
    body = {"name": "Lead's own", "ukprns": web.five, "description": "mine"}
    with TestClient(web.app) as lead, TestClient(web.app) as analyst, TestClient(web.app) as admin:
        lead_csrf = sign_in(lead, "provider-lead")
        assert (
            lead.post(
                "/api/workforce/peer-groups", json=body, headers={"X-CSRF-Token": lead_csrf}
            ).status_code
            == 201
        )
        analyst_csrf = sign_in(analyst, "sector-analyst")
        replaced = analyst.post(
            "/api/workforce/peer-groups",
            json={**body, "ukprns": [*web.five[1:], web.five[0]]},
            headers={"X-CSRF-Token": analyst_csrf},
        )
        assert replaced.status_code == 403 and "belongs to provider-lead" in replaced.json()["detail"]
        deleted = analyst.delete(
            "/api/workforce/peer-groups/Lead's own", headers={"X-CSRF-Token": analyst_csrf}
        )
        assert deleted.status_code == 403
        assert (
            lead.post(
                "/api/workforce/peer-groups",
                json={**body, "description": "still mine"},
                headers={"X-CSRF-Token": lead_csrf},
            ).status_code
            == 201
        )
        admin_csrf = sign_in(admin, "admin")
        assert (
            admin.delete(
                "/api/workforce/peer-groups/Lead's own", headers={"X-CSRF-Token": admin_csrf}
            ).status_code
            == 204
        )


def test_a_provider_is_found_by_name_or_ukprn(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        names = {
            p["ukprn"]: p["provider"] for p in client.get("/api/workforce/peer-groups").json()["providers"]
        }
        own = names[web.own]
        found = client.get("/api/workforce/find", params={"q": own[:6].lower()}).json()
        assert found["matches"] and found["matches"][0]["provider"].lower().startswith(own[:6].lower())
        for typed in (web.own, f"{own} ({web.own})", own.upper()):  # UKPRN, a suggestion, the name
            response = client.get("/workforce/find", params={"q": typed}, follow_redirects=False)
            assert response.status_code == 303, typed
            assert response.headers["location"] == f"/workforce/providers/{web.own}"
        several = client.get("/workforce/find", params={"q": "university"})
        assert several.status_code == 200 and several.text.count('href="/workforce/providers/') >= 2
        missing = client.get("/workforce/find", params={"q": own[:-2] + "qq"})  # a typo
        assert missing.status_code == 404 and "Nearest names" in missing.text


def test_a_provider_lead_lands_on_their_own_profile_named_in_the_menu(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "provider-lead")
        home = client.get("/", follow_redirects=False)
        assert home.headers["location"] == f"/workforce/providers/{web.own}"
        page = client.get(home.headers["location"]).text
        name = client.get(f"/api/workforce/providers/{web.own}").json()["name"]
        assert f'<a href="/workforce/providers/{web.own}"' in page and f">{name}</a></li>" in page
        client.cookies.clear()
        sign_in(client, "sector-analyst")
        assert client.get("/", follow_redirects=False).headers["location"] == "/workforce/overview"


def test_explorer_csv_is_the_table_shown_with_what_it_is(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        data = client.get("/api/workforce/explore", params={"indicator": "tech.by_mode", "year": 2022}).json()
        assert data["title"] == "Technical staff by mode: sector, 2022/23"
        response = client.get(data["csv"])
        rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
        assert [(r["year"], r["category"], r["shown"]) for r in rows] == [
            (r["year"], r["category"], r["shown"]) for r in data["rows"]
        ]
        assert {r["population"] for r in rows} == {"sector"} and {r["definition"] for r in rows} == {
            "core@v1"
        }
        assert "2022-23" in response.headers["content-disposition"]


def test_unknown_choices_are_errors_that_list_the_valid_ones(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        wrong = client.get("/api/workforce/explore", params={"indicator": "tech.by_agee"})
        assert wrong.status_code == 404 and "did you mean: tech.by_age" in wrong.json()["detail"]
        year = client.get("/api/workforce/overview", params={"year": 2001})
        assert year.status_code == 404 and "years held: 2022/23" in year.json()["detail"]
        provider = client.get("/workforce/providers/1234")
        assert provider.status_code == 404 and "nearest" in provider.text


def test_shared_page_content_is_reused_but_the_frame_is_each_users(web: WebEnv) -> None:
    with TestClient(web.app) as analyst, TestClient(web.app) as admin:
        sign_in(analyst, "sector-analyst")
        sign_in(admin, "admin")
        a, b = analyst.get("/workforce/overview").text, admin.get("/workforce/overview").text
        main_a, main_b = (page.split('<main id="main"')[1].split("</main>")[0] for page in (a, b))
        assert main_a == main_b  # the same content for every viewer of the same published page
        assert "sector-analyst (sector-analyst)" in a and "admin (admin)" in b
        assert csrf_of(a) != csrf_of(b) and 'href="/admin/users"' in b and 'href="/admin/users"' not in a
        saved = admin.post(
            "/api/workforce/peer-groups",
            json={"name": "Shared cache check", "ukprns": web.five},
            headers={"X-CSRF-Token": csrf_of(b)},
        )
        assert saved.status_code == 201
        assert "Shared cache check" in analyst.get("/workforce/overview").text  # new data, new content
