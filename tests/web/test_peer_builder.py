"""The peer-group builder without JavaScript: filter the providers, tick them by nation,
region or group, edit a group with its members ticked, confirm before delete, and read what
happened after a save or delete (the JSON twin says the same)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from techforce.workforce import peer_groups
from tests.web.conftest import WebEnv, sign_in


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="ukprns" value="(\d{8})" checked>', html))


def _shown(html: str) -> set[str]:
    return {
        u for u, hidden in re.findall(r'<label data-ukprn="(\d{8})"[^>]*?( hidden)?>', html) if not hidden
    }


def test_the_filter_shows_matching_providers_and_keeps_the_ticks(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        everyone = client.get("/api/workforce/peer-groups").json()
        providers = everyone["providers"]
        assert len(providers) == len(everyone["builder"]["shown"]) and all(p["nation"] for p in providers)
        one = providers[7]
        word = one["provider"].split()[-1]
        by_name = client.get("/api/workforce/peer-groups", params={"q": word.upper()}).json()["builder"]
        assert one["ukprn"] in by_name["shown"]
        assert all(word.lower() in p["provider"].lower() for p in providers if p["ukprn"] in by_name["shown"])
        by_ukprn = client.get("/api/workforce/peer-groups", params={"q": one["ukprn"]}).json()["builder"]
        assert by_ukprn["shown"] == [one["ukprn"]]
        page = client.post(
            "/workforce/peer-groups",
            data={"op": "filter", "q": one["ukprn"], "ukprns": [web.own, web.other], "csrf_token": csrf},
        )
        assert page.status_code == 200 and _shown(page.text) == {one["ukprn"]}
        assert _ticked(page.text) == {web.own, web.other}  # ticked, hidden, still sent with the form
        assert "2</strong> providers ticked, 2 of them hidden by the filter" in page.text
        none = client.post("/workforce/peer-groups", data={"op": "filter", "q": "zzzz", "csrf_token": csrf})
        assert re.search(r'<p id="no-match" class="hint">No provider matches', none.text)


def test_tick_by_nation_region_and_group(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        data = client.get("/api/workforce/peer-groups").json()
        providers, groups = data["providers"], data["groups"]
        region = data["regions"][0]
        in_region = {p["ukprn"] for p in providers if p["region"] == region}
        page = client.post(
            "/workforce/peer-groups",
            data={"op": "tick-region", "tick_region": region, "ukprns": [web.own], "csrf_token": csrf},
        )
        assert page.status_code == 200 and _ticked(page.text) == in_region | {web.own}
        assert f"<strong>{len(in_region | {web.own})}</strong> providers ticked" in page.text
        nation = data["nations"][-1]
        page = client.post(
            "/workforce/peer-groups", data={"op": "tick-nation", "tick_nation": nation, "csrf_token": csrf}
        )
        assert _ticked(page.text) == {p["ukprn"] for p in providers if p["nation"] == nation}
        group = groups[0]
        page = client.post(
            "/workforce/peer-groups",
            data={"op": "tick-group", "tick_group": group["name"], "csrf_token": csrf},
        )
        assert _ticked(page.text) == {m["ukprn"] for m in group["members"]}
        page = client.post(
            "/workforce/peer-groups",
            data={"op": "tick-shown", "q": providers[3]["ukprn"], "ukprns": [web.own], "csrf_token": csrf},
        )
        assert _ticked(page.text) == {providers[3]["ukprn"], web.own}
        cleared = client.post(
            "/workforce/peer-groups", data={"op": "untick-all", "ukprns": [web.own], "csrf_token": csrf}
        )
        assert _ticked(cleared.text) == set() and 'name="name"' in cleared.text
        kept = client.post(
            "/workforce/peer-groups",
            data={"op": "filter", "name": "Kept <name>", "description": "and text", "csrf_token": csrf},
        )
        assert 'value="Kept &lt;name&gt;"' in kept.text and 'value="and text"' in kept.text
        assert client.get("/api/workforce/peer-groups").json()["groups"] == groups  # nothing saved


def test_save_says_what_happened_and_edit_keeps_members_ticked(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        saved = client.post(
            "/workforce/peer-groups",
            data={"name": "Mine & yours", "description": "first", "ukprns": web.five, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        target = saved.headers["location"]
        assert parse_qs(urlsplit(target).query)["saved"] == ["Mine & yours"]
        page = client.get(target)
        assert "Saved the peer group “Mine &amp; yours” with 5 providers." in page.text
        twin = client.get("/api/workforce" + target.removeprefix("/workforce")).json()
        assert twin["message"] == "Saved the peer group “Mine & yours” with 5 providers."
        assert (
            "Mine &amp; yours" in page.text
            and 'aria-label="Edit the peer group Mine &amp; yours"' in page.text
        )

        edit = client.get("/workforce/peer-groups", params={"edit": "Mine & yours"})
        assert edit.status_code == 200 and "Edit the peer group “Mine &amp; yours”" in edit.text
        assert _ticked(edit.text) == set(web.five)
        assert 'id="name" name="name" maxlength="200" value="Mine &amp; yours"' in edit.text
        assert 'value="first"' in edit.text
        builder = client.get("/api/workforce/peer-groups", params={"edit": "Mine & yours"}).json()["builder"]
        assert builder["editing"] == "Mine & yours" and sorted(builder["ticked"]) == sorted(web.five)

        extra = next(
            p["ukprn"]
            for p in client.get("/api/workforce/peer-groups").json()["providers"]
            if p["ukprn"] not in web.five
        )
        members = [*web.five[1:], extra]
        again = client.post(
            "/workforce/peer-groups",
            data={
                "name": "Mine & yours",
                "editing": "Mine & yours",
                "description": "second",
                "ukprns": members,
                "csrf_token": csrf,
            },
        )
        assert again.status_code == 200 and "with 5 providers" in again.text  # followed the redirect
        groups = {g["name"]: g for g in client.get("/api/workforce/peer-groups").json()["groups"]}
        assert sorted(m["ukprn"] for m in groups["Mine & yours"]["members"]) == sorted(members)
        assert groups["Mine & yours"]["description"] == "second"

        short = client.post(
            "/workforce/peer-groups",
            data={"name": "Too few", "ukprns": web.five[:2], "description": "kept", "csrf_token": csrf},
        )
        assert short.status_code == 400 and "at least 5 providers" in short.text
        assert _ticked(short.text) == set(web.five[:2]) and 'value="Too few"' in short.text  # nothing lost
        nameless = client.post("/workforce/peer-groups", data={"ukprns": web.five, "csrf_token": csrf})
        assert nameless.status_code == 422 and "needs a name" in nameless.text


def test_a_crafted_message_link_says_nothing(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        sign_in(client, "sector-analyst")
        page = client.get(
            "/workforce/peer-groups",
            params={"deleted": "Your account is locked: call 0800", "check": "0" * 32},
        )
        assert page.status_code == 200 and "call 0800" not in page.text and 'id="flash"' not in page.text
        twin = client.get("/api/workforce/peer-groups", params={"deleted": "x", "check": "é"}).json()
        assert twin["message"] == ""


def test_delete_needs_confirmation_then_says_so(web: WebEnv) -> None:
    with web.db.session() as session:
        peer_groups.save(session, "Doomed", web.five, actor="test", owner="sector-analyst")
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        page = client.get("/workforce/peer-groups")
        assert 'href="/workforce/peer-groups?remove=Doomed#confirm"' in page.text
        asked = client.post(
            "/workforce/peer-groups/Doomed/remove", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert (
            asked.status_code == 303
            and asked.headers["location"] == "/workforce/peer-groups?remove=Doomed#confirm"
        )
        confirm = client.get(asked.headers["location"])
        assert (
            "Delete the peer group “Doomed”?" in confirm.text and 'name="confirm" value="yes"' in confirm.text
        )
        assert "Doomed" in {g["name"] for g in client.get("/api/workforce/peer-groups").json()["groups"]}
        twin = client.get("/api/workforce/peer-groups", params={"remove": "Doomed"}).json()
        assert twin["confirm_remove"]["name"] == "Doomed"

        done = client.post(
            "/workforce/peer-groups/Doomed/remove",
            data={"csrf_token": csrf, "confirm": "yes"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        after = client.get(done.headers["location"])
        assert "Deleted the peer group “Doomed”." in after.text
        assert "Doomed" not in {g["name"] for g in client.get("/api/workforce/peer-groups").json()["groups"]}


def test_only_groups_the_user_may_change_offer_edit_and_delete(web: WebEnv) -> None:
    with web.db.session() as session:
        peer_groups.save(session, "Analyst's", web.five, actor="test", owner="sector-analyst")
    with TestClient(web.app) as client:
        sign_in(client, "provider-lead")
        data = client.get("/api/workforce/peer-groups").json()
        assert data["can_edit"] and "Analyst's" not in data["editable"]
        page = client.get("/workforce/peer-groups").text
        assert "?edit=Analyst%27s" not in page and "?remove=Analyst%27s" not in page
        assert client.get("/workforce/peer-groups", params={"edit": "Analyst's"}).status_code == 403
        assert client.get("/workforce/peer-groups", params={"remove": "Analyst's"}).status_code == 403
        assert client.get("/workforce/peer-groups", params={"edit": "Nope"}).status_code == 404
        sign_in(client, "technician")
        viewer = client.get("/workforce/peer-groups")
        assert viewer.status_code == 200 and 'id="builder-form"' not in viewer.text
        assert client.get("/workforce/peer-groups", params={"edit": "Analyst's"}).status_code == 403
        sign_in(client, "admin")
        assert "Analyst's" in client.get("/api/workforce/peer-groups").json()["editable"]


def test_every_builder_state_is_escaped(web: WebEnv) -> None:
    """The template with hostile strings in every field of an edit, a delete confirmation,
    a message and an error (the default page is covered in test_escaping)."""
    with web.db.session() as session:
        peer_groups.save(session, "Edited", web.five, actor="test", owner="sector-analyst")
    with TestClient(web.app) as client:
        sign_in(client, "sector-analyst")
        data = client.get("/api/workforce/peer-groups", params={"edit": "Edited", "remove": "Edited"}).json()
        request = client.get("/workforce/definitions").request
    render_hostile(request, "peer_groups.html.j2", {**data, "message": "m", "error": "e"})


def render_hostile(request: object, template: str, data: dict[str, object]) -> None:
    """Render ``template`` with every string of ``data`` replaced by a hostile one."""
    import copy
    import itertools

    from techforce.web import app as web_app
    from tests.web.test_escaping import HOSTILE, _assert_escaped, _hostile_copy

    names = itertools.cycle(HOSTILE)
    hostile = _hostile_copy(copy.deepcopy(data), names)
    html = (
        web_app.templates()
        .env.get_template(template)
        .render(request=request, data=hostile, user=None, csrf=next(names), path="/", nav=[])
    )
    _assert_escaped(template, html)
    assert html.count("&lt;") > 5, f"{template}: hostile strings were not rendered"


# --- in a real browser (Debian's chromium), with and without JavaScript ---------------------
from tests.web.test_browser import ARTIFACTS, CHROMIUM  # noqa: E402
from tests.web.test_browser import server as server  # noqa: E402  # the app on a real server

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in_browser(page: object, base: str, username: str) -> None:
    from tests.web.conftest import PASSWORD

    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.get_by_label("Username").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/login" not in url)  # type: ignore[attr-defined]


def shoot(page: object, name: str) -> None:
    """Full-page screenshots at desktop and phone width, under test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size(DESKTOP)  # type: ignore[attr-defined]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_builder_in_a_browser_filter_tick_region_save_edit_delete(web: WebEnv, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with TestClient(web.app) as client:
        sign_in(client, "sector-analyst")
        data = client.get("/api/workforce/peer-groups").json()
    providers = data["providers"]
    region = max(data["regions"], key=lambda r: sum(p["region"] == r for p in providers))
    in_region = {p["ukprn"] for p in providers if p["region"] == region}
    outsider = next(p for p in providers if p["region"] != region)
    word = outsider["provider"]
    matching = [p for p in providers if word.lower() in p["provider"].lower()]
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=DESKTOP)
        page.on(
            "console",
            lambda m: errors.append(f"{m.text} {m.location}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in_browser(page, server, "sector-analyst")
        page.goto(f"{server}/workforce/peer-groups")
        shoot(page, "peer-groups")
        members = page.locator("#members label")
        expect(members.first).to_be_visible()

        page.get_by_label("Filter by name or UKPRN").fill(word)  # filtered in the page, as typed
        expect(page.locator("#members label:visible")).to_have_count(len(matching))
        expect(page.locator("#shown-count")).to_have_text(str(len(matching)))
        page.get_by_label(f"{outsider['provider']} ({outsider['ukprn']})", exact=False).check()
        expect(page.locator("#ticked-count")).to_contain_text("1 provider ticked")
        page.get_by_label("Region").select_option(region)
        page.get_by_role("button", name="Tick region").click()
        total = len(in_region) + 1
        expect(page.locator("#ticked-count")).to_contain_text(f"{total} providers ticked")
        expect(page.locator("#ticked-count")).to_contain_text("hidden by the filter")
        assert page.url == f"{server}/workforce/peer-groups"  # no round trip for the steps
        page.get_by_label("Name", exact=True).fill("Browser group")
        page.get_by_role("button", name="Save peer group").click()
        expect(page.locator("#flash")).to_have_text(
            f"Saved the peer group “Browser group” with {total} providers."
        )
        shoot(page, "peer-groups-saved")

        page.get_by_role("link", name="Edit the peer group Browser group").click()
        expect(page.locator("#builder")).to_have_text("Edit the peer group “Browser group”")
        expect(page.locator("#members input:checked")).to_have_count(total)
        expect(page.locator("#ticked-count")).to_contain_text(f"{total} providers ticked")
        shoot(page, "peer-groups-edit")

        page.get_by_role("link", name="Delete the peer group Browser group").click()
        expect(page.locator("#confirm-title")).to_have_text("Delete the peer group “Browser group”?")
        shoot(page, "peer-groups-delete-confirm")
        page.get_by_role("button", name="Yes, delete this peer group").click()
        expect(page.locator("#flash")).to_have_text("Deleted the peer group “Browser group”.")
        browser.close()
    assert not [e for e in errors if "favicon.ico" not in e], errors  # CSP refusals, script errors


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_builder_without_javascript(web: WebEnv, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(java_script_enabled=False, viewport=DESKTOP).new_page()
        sign_in_browser(page, server, "sector-analyst")
        page.goto(f"{server}/workforce/peer-groups")
        page.get_by_label("Filter by name or UKPRN").fill(web.own)
        page.get_by_role("button", name="Filter", exact=True).click()  # the server filters
        expect(page.locator("#members label:visible")).to_have_count(1)
        page.get_by_role("button", name="Tick all shown").click()
        expect(page.locator("#ticked-count")).to_contain_text("1 provider ticked")
        page.get_by_label("Peer group").select_option(index=1)
        page.get_by_role("button", name="Tick group").click()
        page.get_by_label("Name", exact=True).fill("No script")
        page.get_by_role("button", name="Save peer group").click()
        expect(page.locator("#flash")).to_contain_text("Saved the peer group “No script”")
        browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_builder_states_pass_axe(web: WebEnv, server: str) -> None:
    """axe-core finds no serious or critical violation in the edit, delete-confirmation,
    message and error states (the plain page is in test_browser)."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import _violations

    axe = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
    with web.db.session() as session:
        peer_groups.save(session, "Checked", web.five, actor="test", owner="sector-analyst")
    found: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(bypass_csp=True).new_page()  # only so that the test can inject axe
        sign_in_browser(page, server, "sector-analyst")
        page.goto(f"{server}/workforce/peer-groups?edit=Checked&remove=Checked&q=zzz")
        page.add_script_tag(content=axe)
        found["edit and confirm"] = _violations(page)
        page.get_by_label("Name", exact=True).fill("")
        page.get_by_role("button", name="Save peer group").click()  # no name: refused
        page.wait_for_selector("#builder-error")
        page.add_script_tag(content=axe)
        found["refused"] = _violations(page)
        browser.close()
    assert not any(found.values()), found
