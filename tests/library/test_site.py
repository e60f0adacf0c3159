"""The static site as a reader and a publisher see it: only public resources anywhere in the
output, titles escaped, the site replaced whole (and a folder that is not an export refused),
files checked against their sha256; and in a real browser from file:// with no server, a
search puts the expected resource first, a facet narrows the list, and the resource's page
has its download."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from techforce.errors import Invalid, NotFound, Refused
from techforce.library.records import Resource, StoredFile
from techforce.library.site import SiteSummary, export_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SECRETS = (
    "Confidential restructuring",
    "secret-restructure",
    "zebracorn",
    "provider-eyes-only",
    "Nobody sees",
)


def _stored(store: Path, name: str, content: bytes) -> StoredFile:
    digest = hashlib.sha256(content).hexdigest()
    path = store / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return StoredFile(sha256=digest, filename=name, media_type="application/pdf", size=len(content))


def _files(store: Path) -> Callable[[StoredFile], Path]:
    return lambda f: store / f.sha256[:2] / f.sha256


@pytest.fixture
def library(tmp_path: Path) -> tuple[list[Resource], Path]:
    store = tmp_path / "store"
    report = _stored(store, "Apprentices Report.PDF", b"%PDF-1.4 apprenticeship report")
    secret = _stored(store, "plan.pdf", b"%PDF-1.4 zebracorn plan")
    resources = [
        Resource(
            slug="apprenticeship-routes",
            title="Apprenticeship routes into technical careers",
            kind="report",
            summary="How apprentices become technicians.",
            organisation="University of Leeds",
            published=date(2023, 6, 1),
            pillars=("career-development",),
            file=report,
            keywords=("apprenticeships",),
            text="Apprenticeship schemes in 12 universities.",
            authors=("Ada Lovelace",),
            licence="CC-BY-4.0",
            links=("recommendation:4",),
        ),
        Resource(
            slug="visibility-toolkit",
            title="A toolkit for visibility",
            kind="toolkit",
            summary="Run a technician showcase; mentions apprenticeships once.",
            organisation="University of York",
            published=date(2024, 3, 1),
            pillars=("visibility",),
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
            slug="script-title",
            title="<script>alert('x')</script> & friends",
            kind="guide",
            summary="<b>bold</b>",
            url="javascript:alert(1)",
            published=date(2021, 1, 1),
        ),
        Resource(
            slug="secret-restructure",
            title="Confidential restructuring",
            kind="report",
            summary="Nobody sees this",
            audience=("signed-in",),
            file=secret,
            text="zebracorn",
        ),
        Resource(
            slug="provider-eyes-only",
            title="Provider only guide",
            kind="guide",
            audience=("provider:10007788",),
            keywords=("zebracorn",),
        ),
    ]
    return resources, store


def _export(library: tuple[list[Resource], Path], out: Path, **kw: Any) -> SiteSummary:
    resources, store = library
    return export_site(resources, out, files=_files(store), **kw)


def _all_text(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_bytes().decode("utf-8", "replace")
        for p in out.rglob("*")
        if p.is_file()
    }


def test_only_public_resources_are_written_anywhere(
    library: tuple[list[Resource], Path], tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    summary = _export(library, tmp_path / "site", progress=lambda d, t: calls.append((d, t)))
    assert (summary.written, summary.files, summary.withheld) == (4, 1, 2)
    assert calls[-1] == (4, 4)
    out = tmp_path / "site"
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        [
            "index.html",
            "search-index.json",
            "search-index.js",
            "search.js",
            "style.css",
            "files/apprenticeship-routes.pdf",
            *(
                f"resources/{s}.html"
                for s in ["apprenticeship-routes", "visibility-toolkit", "recognition-video", "script-title"]
            ),
        ]
    )
    for name, text in _all_text(out).items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    index = json.loads((out / "search-index.json").read_text())
    assert [r["slug"] for r in index["resources"]] == [
        "visibility-toolkit",
        "apprenticeship-routes",
        "recognition-video",
        "script-title",
    ]  # newest first
    js = (out / "search-index.js").read_text()
    assert js.startswith("window.LIBRARY_INDEX = ") and "<" not in js
    assert (out / "files/apprenticeship-routes.pdf").read_bytes() == b"%PDF-1.4 apprenticeship report"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no staging left behind


def test_pages_escape_what_resources_say(library: tuple[list[Resource], Path], tmp_path: Path) -> None:
    _export(library, tmp_path / "site")
    page = (tmp_path / "site/resources/script-title.html").read_text()
    index = (tmp_path / "site/index.html").read_text()
    for html in (page, index):
        assert "<script>alert" not in html and "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; friends" in html
    assert 'href="javascript:' not in page  # a non-web address is shown, never linked
    assert "<script" not in page  # resource pages carry no script at all


def test_resource_page_describes_and_links(library: tuple[list[Resource], Path], tmp_path: Path) -> None:
    _export(library, tmp_path / "site", base_url="https://library.example.ac.uk", title="Our library")
    page = (tmp_path / "site/resources/apprenticeship-routes.html").read_text()
    assert 'href="../files/apprenticeship-routes.pdf" download' in page
    assert '<meta name="DC.creator" content="Ada Lovelace">' in page
    assert 'rel="canonical" href="https://library.example.ac.uk/library/apprenticeship-routes"' in page
    assert "recommendation:4" in page and "CC-BY-4.0" in page and "Our library" in page
    video = (tmp_path / "site/resources/recognition-video.html").read_text()
    assert 'href="https://video.example.org/watch/1"' in video


def test_a_new_export_replaces_the_previous_one(library: tuple[list[Resource], Path], tmp_path: Path) -> None:
    out = tmp_path / "site"
    _export(library, out)
    resources, store = library
    export_site(resources[1:2], out, files=_files(store))
    assert not (out / "resources/apprenticeship-routes.html").exists()
    assert not (out / "files/apprenticeship-routes.pdf").exists()
    assert (out / "resources/visibility-toolkit.html").exists()


def test_a_folder_that_is_not_an_export_is_refused_untouched(
    library: tuple[list[Resource], Path], tmp_path: Path
) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(Refused, match=r"documents.*not a previous library export"):
        _export(library, out)
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(Refused, match="is a file"):
        _export(library, tmp_path / "afile")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _export(library, empty).written == 4


def test_a_damaged_or_missing_stored_file_stops_the_export(
    library: tuple[list[Resource], Path], tmp_path: Path
) -> None:
    resources, store = library
    out = tmp_path / "site"
    _export(library, out)
    f = resources[0].file
    assert f is not None
    (store / f.sha256[:2] / f.sha256).write_bytes(b"tampered")
    with pytest.raises(Refused, match="does not match its recorded sha256"):
        _export(library, out)
    assert (out / "files/apprenticeship-routes.pdf").read_bytes().startswith(b"%PDF")  # previous export kept
    (store / f.sha256[:2] / f.sha256).unlink()
    with pytest.raises(NotFound, match="missing from the store"):
        _export(library, out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]


def test_unsafe_or_repeated_slugs_are_refused(tmp_path: Path) -> None:
    for slugs in (["../escape"], ["same", "same"]):
        rs = [Resource(slug=s, title=f"T {i}", kind="guide") for i, s in enumerate(slugs)]
        with pytest.raises(Invalid, match="slug"):
            export_site(rs, tmp_path / "site", files=lambda f: tmp_path)
    assert not (tmp_path / "site").exists()


# -- in a real browser, from disk ------------------------------------------------------------


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


def test_search_and_facets_work_from_disk(
    browser: Any, library: tuple[list[Resource], Path], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    _export(library, out)
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: None if req.url.startswith("file://") else problems.append(req.url))
    page.goto((out / "index.html").as_uri())
    visible = "#results li.resource:not([hidden]) h3"
    assert page.locator("#count").inner_text() == "4 resources"

    page.get_by_label("Search the library").fill("apprenticeships")
    page.wait_for_function("() => document.getElementById('count').textContent === '3 resources'")
    titles = page.locator(visible).all_inner_texts()
    assert titles[0] == "Apprenticeship routes into technical careers"  # the title match ranks first
    assert set(titles) == {
        "Apprenticeship routes into technical careers",
        "A toolkit for visibility",
        "Recognising technicians",
    }

    page.get_by_label("Video").check()
    page.wait_for_function("() => document.getElementById('count').textContent === '1 resource'")
    assert page.locator(visible).all_inner_texts() == ["Recognising technicians"]
    page.get_by_label("Video").uncheck()
    page.get_by_label("University of Leeds").check()
    page.wait_for_function("() => document.getElementById('count').textContent === '2 resources'")

    page.get_by_label("Search the library").fill("zebracorn")
    page.wait_for_function("() => document.getElementById('count').textContent === '0 resources'")
    assert page.locator("#none").is_visible()

    page.get_by_label("Search the library").fill("apprenticeship routes")
    page.wait_for_function("() => document.getElementById('count').textContent === '1 resource'")
    page.get_by_role("link", name="Apprenticeship routes into technical careers").click()
    page.wait_for_url(lambda url: url.endswith("/resources/apprenticeship-routes.html"))
    download = page.get_by_role("link", name="Download")
    href = download.get_attribute("href")
    assert href == "../files/apprenticeship-routes.pdf"
    assert (out / "resources" / href).resolve().is_file()
    assert problems == [], problems
    context.close()
