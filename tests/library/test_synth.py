"""The library demo: about a hundred resources of every kind, deterministic per seed, whose
files extract to text with their titles in it and whose known queries have one clear answer."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from techforce.library.extract import Extracted, extract
from techforce.library.records import KINDS, PILLARS, PUBLIC
from techforce.library.synth import KNOWN_QUERIES, DemoResource, synth_library

pytestmark = pytest.mark.slow  # renders about 35 PDFs once for the module (several seconds)


@pytest.fixture(scope="module")
def library() -> list[DemoResource]:
    return synth_library(programmes=("north-network", "south-network"))


@pytest.fixture(scope="module")
def extracted(library: list[DemoResource]) -> dict[str, Extracted]:
    """Each file's extraction, by slug."""
    return {d.resource.slug: extract(d.data, d.filename) for d in library if d.data and d.filename}


@pytest.fixture(scope="module")
def texts(library: list[DemoResource], extracted: dict[str, Extracted]) -> dict[str, str]:
    """Every resource's searchable text: extracted from its file, or a video's transcript."""
    found = {}
    for demo in library:
        got = extracted.get(demo.resource.slug)
        body = got.text if got else demo.resource.text
        found[demo.resource.slug] = f"{demo.resource.title}\n{body}".lower()
    return found


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def test_a_hundred_resources_of_every_kind(library: list[DemoResource]) -> None:
    assert len(library) == 100
    assert set(Counter(d.resource.kind for d in library)) == set(KINDS)
    slugs = [d.resource.slug for d in library]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in slugs)
    assert len({d.resource.title for d in library}) == len(library)


def test_metadata_is_complete_and_in_the_vocabularies(library: list[DemoResource]) -> None:
    for demo in library:
        resource = demo.resource
        assert resource.organisation and resource.summary and resource.keywords
        assert resource.published is not None
        assert date(2017, 1, 1) <= resource.published <= date(2025, 12, 31)
        assert resource.licence
        assert resource.pillars and set(resource.pillars) <= set(PILLARS)
        assert len(resource.audience) == 1
        assert resource.audience[0] in (PUBLIC, "signed-in", "role:provider-lead", "role:programme-manager")
    public = sum(d.resource.public for d in library)
    assert 75 <= public <= 95
    assert Counter(d.resource.licence for d in library).most_common(1)[0][0] == "CC-BY-4.0"
    assert {d.resource.extra["format"] for d in library} >= {"pdf", "docx", "html", "txt", "csv", "link"}


def test_videos_and_links_have_an_address_and_files_a_record(library: list[DemoResource]) -> None:
    for demo in library:
        resource = demo.resource
        if resource.kind == "video":
            assert resource.url.startswith("https://") and resource.text and demo.data is None
        elif demo.data is None:
            assert resource.url.startswith("https://") and resource.file is None
        else:
            assert resource.text == ""  # it comes from extraction
            assert resource.file is not None
            assert resource.file.size == len(demo.data)
            assert resource.file.filename == demo.filename


def test_some_resources_link_to_the_programmes_given(library: list[DemoResource]) -> None:
    links = [link for d in library for link in d.resource.links]
    assert 10 <= len(links) <= 50
    assert set(links) == {"programme:north-network", "programme:south-network"}
    assert all(not d.resource.links for d in synth_library(with_files=False))


def test_the_same_seed_gives_the_same_library() -> None:
    first = synth_library(count=16, seed=7)
    again = synth_library(count=16, seed=7)
    assert [d.resource for d in first] == [d.resource for d in again]
    assert [d.data for d in first] == [d.data for d in again]
    other = synth_library(count=16, seed=8, with_files=False)
    assert [d.resource.title for d in other] != [d.resource.title for d in first]


def test_without_files_gives_the_same_metadata_and_file_names() -> None:
    full = synth_library(count=20, seed=3)
    bare = synth_library(count=20, seed=3, with_files=False)
    assert [d.filename for d in full] == [d.filename for d in bare]
    assert all(d.data is None and d.resource.file is None for d in bare)
    assert [d.resource.title for d in full] == [d.resource.title for d in bare]


@pytest.mark.parametrize("count", [0, 5, 14, 37])
def test_count_is_honoured(count: int) -> None:
    assert len(synth_library(count=count, with_files=False)) == count


def test_every_file_extracts_to_text_with_its_title_words(
    library: list[DemoResource], extracted: dict[str, Extracted]
) -> None:
    formats: Counter[str] = Counter()
    for demo in library:
        if demo.data is None or demo.filename is None:
            continue
        got = extracted[demo.resource.slug]
        formats[got.media_type] += 1
        assert words(demo.resource.title) <= words(got.text), demo.filename
        assert demo.resource.file is not None and got.sha256 == demo.resource.file.sha256
        if got.pages is not None:
            assert 1 <= got.pages <= 3
    assert len(formats) == 5


def test_known_queries_have_one_clear_answer(library: list[DemoResource], texts: dict[str, str]) -> None:
    by_slug = {d.resource.slug: d.resource for d in library}
    for query, slug in KNOWN_QUERIES.items():
        assert slug in by_slug and by_slug[slug].public
        wanted = words(query)
        assert wanted <= words(texts[slug]), query
        assert wanted <= words(by_slug[slug].title) | words(texts[slug])
        others = [other for other, text in texts.items() if other != slug and wanted <= words(text)]
        assert others == [], (query, others)
