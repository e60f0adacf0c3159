"""Coding in a real browser (Playwright driving Debian's chromium) against the real app on a
real server under its Content-Security-Policy: a researcher selects a segment after an emoji,
presses a code's shortcut key and sees it highlighted (CSS Custom Highlight API) and listed,
with the offsets stored in code points; a second coder's disagreement appears in the owner's
review; the coding view's keys; axe-core finds no serious or critical violations.

The data: the small study of tests/research/conftest.py (an owner, two coders, a viewer)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from techforce.db import Database
from techforce.research.models import Coding, Source
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.research.conftest import CODER_A, CODER_B, OWNER, PASSWORD, StudyWorld, make_study
from tests.web.browser import NEEDS_CHROMIUM, chromium, served, signed_in

pytestmark = NEEDS_CHROMIUM
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Site:
    url: str
    db: Database
    world: StudyWorld
    matrix: bool  # whether the analysis matrix page is served yet


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("research-browser")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    world = make_study(db)
    app = create_app(settings, db)
    matrix = any(getattr(r, "path", "") == "/research/{study}/analysis/matrix" for r in _flat(app.routes))
    with served(app) as url:
        yield Site(url, db, world, matrix)
    db.dispose()


def _flat(routes: list[Any]) -> list[Any]:
    found: list[Any] = []
    for r in routes:
        if hasattr(r, "original_router"):
            found += _flat(r.original_router.routes)
        else:
            found.append(r)
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def _signed_in(browser: Any, site: Site, username: str, viewport: dict[str, int], **options: Any) -> Any:
    """A new browser context signed in as ``username``; its page records CSP and script errors."""
    return signed_in(browser, site.url, username, PASSWORD, viewport=viewport, **options)


SELECT = """(needle, last = false) => {
  const all = [...document.querySelectorAll('.said')].filter(el => el.textContent.includes(needle));
  const said = last ? all[all.length - 1] : all[0];
  const node = said.firstChild;
  const at = node.data.indexOf(needle);
  const range = document.createRange();
  range.setStart(node, at);
  range.setEnd(node, at + needle.length);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}"""
HIGHLIGHTED = """(name) => {
  const h = CSS.highlights.get(name);
  return h ? [...h].map(r => r.toString()) : [];
}"""


def _codings(site: Site, coder: str, source: int) -> list[tuple[int, int, str]]:
    with site.db.session() as s:
        text = s.get(Source, source).text
        rows = s.scalars(select(Coding).where(Coding.coder == coder, Coding.source_id == source))
        return [(r.start, r.end, text[r.start : r.end]) for r in rows]


def test_a_researcher_codes_a_selection_with_a_shortcut_key(browser: Any, site: Site) -> None:
    w = site.world
    page = _signed_in(browser, site, CODER_A, DESKTOP)
    page.goto(f"{site.url}/research/{w.guid}/sources/{w.sources[0]}")
    assert page.evaluate("() => CSS.highlights.size") >= 1  # the coder's existing codings are drawn
    page.evaluate(SELECT, "It took years")  # after "🧪": two UTF-16 units, one code point
    page.keyboard.press("r")  # Roles
    entry = page.locator("#codings li", has_text="It took years")
    entry.wait_for()
    assert "Roles" in entry.inner_text()
    assert "It took years" in page.evaluate(HIGHLIGHTED, "tf-1f77b4")
    stored = [c for c in _codings(site, CODER_A, w.sources[0]) if c[2] == "It took years"]
    assert len(stored) == 1  # the code points the server counts hold exactly the selected text
    assert page.evaluate("() => window.getSelection().isCollapsed")  # the selection is cleared

    # ] goes to a coding (its list entry takes the focus); Esc clears
    page.keyboard.press("]")
    assert page.evaluate("() => document.activeElement.dataset.coding") is not None
    page.keyboard.press("Escape")
    assert "cleared" in page.locator("#coding-status").inner_text()

    # a click on the button of a code applies it too; then the coding is removed again
    page.evaluate(SELECT, "Café talk helped")
    page.get_by_role("button", name="Support").click()
    page.locator("#codings li", has_text="Café talk helped").wait_for()
    page.locator("#codings li", has_text="Café talk helped").get_by_role("button", name="Remove").click()
    page.locator("#codings li", has_text="Café talk helped").wait_for(state="detached")
    assert not [c for c in _codings(site, CODER_A, w.sources[0]) if c[2] == "Café talk helped"]

    # a selection starting between the two UTF-16 halves of "🧪" keeps the emoji whole
    page.evaluate(
        """() => {
      const said = [...document.querySelectorAll('.said')].find(el => el.textContent.includes('🧪'));
      const node = said.firstChild, at = node.data.indexOf('🧪');
      const range = document.createRange();
      range.setStart(node, at + 1);
      range.setEnd(node, node.data.indexOf(' took'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }"""
    )
    page.keyboard.press("c")  # Creation
    page.locator("#codings li", has_text="🧪 It").wait_for()
    assert [c for c in _codings(site, CODER_A, w.sources[0]) if c[2] == "🧪 It"]

    if site.matrix:
        page.goto(f"{site.url}/research/{w.guid}/analysis/matrix?mode=summaries")
        shown = page.locator("main").inner_text()
        assert "Roles" in shown and "It took years" in shown, shown[:2000]
    else:  # the analysis pages are not served yet: the codings list is where the coding shows
        page.reload()
        assert page.locator("#codings li", has_text="It took years").count() == 1
    assert page.problems == [], page.problems
    page.context.close()


def test_a_second_coders_disagreement_appears_in_review(browser: Any, site: Site) -> None:
    w = site.world
    coder = _signed_in(browser, site, CODER_B, DESKTOP)
    coder.goto(f"{site.url}/research/{w.guid}/sources/{w.sources[1]}")
    coder.evaluate(SELECT, "I wanted coaching")
    coder.keyboard.press("c")  # Creation
    coder.locator("#codings li", has_text="I wanted coaching").wait_for()
    assert coder.problems == [], coder.problems
    coder.context.close()

    owner = _signed_in(browser, site, OWNER, DESKTOP)
    owner.goto(f"{site.url}/research/{w.guid}/review")
    card = owner.locator("section.disagreement", has_text="I wanted coaching")
    assert "Roles / Creation" in card.inner_text() and f"Applied by {CODER_B}" in card.inner_text()
    card.get_by_role("button", name="Do not apply").click()
    owner.wait_for_url("**/review?done=resolved#disagreements")
    resolved = owner.locator("section.disagreement", has_text="I wanted coaching")
    assert "Resolved: not applied" in resolved.inner_text()
    assert owner.problems == [], owner.problems
    owner.context.close()


def _long_source(site: Site) -> int:
    """A 20,000-word transcript (400 turns, an emoji and a combining accent in each) with 500
    of coder A's codings."""
    from techforce.research import coding, service

    w = site.world
    words = " ".join(f"word{i}" for i in range(48))
    lines = [f"{'Interviewer' if i % 2 else 'P01'}: Turn {i} 🧪 cafe\u0301 {words}" for i in range(400)]
    with site.db.session() as s:
        src = service.import_transcript(s, w.guid, "\n".join(lines).encode(), "long.txt", actor=OWNER)
        starts = [start for _speaker, start, *_ in src.turns]
        for n in range(500):
            at = starts[n % 400] + (0 if n < 400 else 20)
            coding.add_coding(s, w.guid, src.id, w.codes["Careers"], at, at + 8, actor=CODER_A)
        return src.id


def test_a_long_transcript_with_500_codings_draws_and_codes(browser: Any, site: Site) -> None:
    """The highlights are ranges over the text nodes, not markup: 500 codings draw as 500
    ranges, the text keeps one text node per turn, and offsets stay exact at the end."""
    w = site.world
    source = _long_source(site)
    page = _signed_in(browser, site, CODER_A, DESKTOP)
    page.goto(f"{site.url}/research/{w.guid}/sources/{source}")
    assert len(page.evaluate(HIGHLIGHTED, "tf-ff7f0e")) == 500
    assert page.evaluate(
        "() => [...document.querySelectorAll('.said')].every(el => el.childNodes.length === 1)"
    )
    assert page.locator("#codings li").count() == 500
    page.evaluate("([n, l]) => (" + SELECT + ")(n, l)", ["word47", True])  # after 400 emoji and accents
    page.keyboard.press("r")
    page.locator("#codings li", has_text="word47").first.wait_for()
    with site.db.session() as s:
        text = s.get(Source, source).text
    (found,) = [c for c in _codings(site, CODER_A, source) if c[2] == "word47"]
    assert found[0] == text.rindex("word47")
    assert page.problems == [], page.problems
    page.context.close()


def test_the_coding_view_fits_a_phone(browser: Any, site: Site) -> None:
    w = site.world
    page = _signed_in(browser, site, OWNER, PHONE)
    page.goto(f"{site.url}/research/{w.guid}/sources/{w.sources[0]}")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    assert page.problems == [], page.problems
    page.context.close()


@pytest.mark.parametrize(
    "path", ["", "/{guid}", "/{guid}/sources/{source}", "/{guid}/codebook", "/{guid}/review"]
)
def test_research_pages_pass_axe(browser: Any, site: Site, path: str) -> None:
    """axe-core (vendored) finds no serious or critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not vendored in tests/web/vendor")
    w = site.world
    page = _signed_in(browser, site, OWNER, DESKTOP, bypass_csp=True)  # only to inject axe
    page.goto(site.url + "/research" + path.format(guid=w.guid, source=w.sources[0]))
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.length + ' x ' + v.nodes[0].target.join(' '))"
    )
    page.context.close()
    assert found == [], (path, found)
