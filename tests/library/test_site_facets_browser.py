"""The static site's facet counts follow the search while the reader types (in a real browser,
from file:// with no server): each value counts the resources matching the words typed,
whatever boxes are ticked, a value with none is greyed, and clearing the words brings back
the counts of the whole catalogue."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from techforce.library.records import Resource
from techforce.library.site import export_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

RESOURCES = [
    Resource(
        slug="apprenticeship-routes",
        title="Apprenticeship routes into technical careers",
        kind="report",
        organisation="University of Leeds",
        published=date(2023, 6, 1),
        pillars=("career-development", "sustainability"),
        keywords=("apprenticeships",),
        url="https://example.org/routes",
    ),
    Resource(
        slug="visibility-toolkit",
        title="A toolkit for visibility",
        kind="toolkit",
        summary="Run a technician showcase; mentions apprenticeships once.",
        organisation="University of York",
        published=date(2024, 3, 1),
        pillars=("visibility",),
        url="https://example.org/toolkit",
    ),
    Resource(
        slug="recognition-video",
        title="Recognising technicians",
        kind="video",
        url="https://video.example.org/watch/1",
        organisation="University of Leeds",
        published=date(2022, 1, 5),
        pillars=("recognition",),
        text="Transcript: apprenticeships matter.",
    ),
    Resource(
        slug="registration-guide",
        title="Professional registration",
        kind="guide",
        organisation="University of York",
        published=date(2023, 2, 1),
        pillars=("recognition",),
        url="https://example.org/registration",
    ),
    Resource(
        slug="private-plan",
        title="Apprenticeship plan for leads",
        kind="guide",
        organisation="University of Leeds",
        audience=("signed-in",),
        pillars=("sustainability",),
        url="https://example.org/private",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def _counts(page: Any) -> dict[str, str]:
    """Each facet value's shown count, keyed ``facet=value``; a greyed value is marked ``-``."""
    return dict(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('#filters input[type=checkbox]')).map(el => [
                 el.name + '=' + el.value,
                 el.parentNode.querySelector('.n').textContent +
                   (el.parentNode.classList.contains('empty') ? '-' : '')])"""
        )
    )


def _count_is(page: Any, text: str) -> None:
    page.wait_for_function(f"() => document.getElementById('count').textContent === {text!r}")


def test_facet_counts_follow_the_words_typed(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "site"
    export_site(RESOURCES, out, files=lambda f: tmp_path / "none")
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto((out / "index.html").as_uri())
    _count_is(page, "4 resources")
    whole = _counts(page)
    assert whole["kind=guide"] == "(1)" and whole["organisation=University of Leeds"] == "(2)"
    assert whole["pillar=recognition"] == "(2)" and whole["year=2023"] == "(2)"

    page.get_by_label("Search the library").fill("apprenticeships")
    _count_is(page, "3 resources")
    typed = _counts(page)
    assert typed["kind=report"] == typed["kind=toolkit"] == typed["kind=video"] == "(1)"
    assert typed["kind=guide"] == "(0)-"  # the private guide says apprenticeship too: never counted
    assert typed["organisation=University of Leeds"] == "(2)"
    assert typed["organisation=University of York"] == "(1)"
    assert typed["pillar=recognition"] == "(1)" and typed["pillar=sustainability"] == "(1)"
    assert typed["year=2023"] == "(1)" and typed["year=2024"] == "(1)" and typed["year=2022"] == "(1)"

    page.get_by_label("Video").check()  # ticking a box narrows the list, not the counts
    _count_is(page, "1 resource")
    assert _counts(page) == typed

    page.get_by_label("Search the library").fill("zebracorn")
    _count_is(page, "0 resources")
    assert all(v == "(0)-" for v in _counts(page).values())

    page.get_by_label("Video").uncheck()
    page.get_by_label("Search the library").fill("")
    _count_is(page, "4 resources")
    assert _counts(page) == whole
    assert problems == [], problems
    context.close()
