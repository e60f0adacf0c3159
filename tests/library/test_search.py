"""Keyword search on SQLite (FTS5) and PostgreSQL (full-text search): known queries find
their resource first, both databases match the same resources, facets count what the viewer
may see, private resources never show to outsiders (not even in a count), snippets mark the
query's words, and a bad resource changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from techforce import errors
from techforce.accounts.access import Principal, Role
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.library import permissions, search, service
from techforce.library.models import Resource

DOCS = {
    "registration-guide": (
        "guide",
        "Professional registration for technicians",
        "How to apply for RSciTech, RSci and CSci through the Science Council. Registration "
        "recognises technicians' competence; mentors help with the application.",
        ["recognition"],
        ["public"],
        date(2021, 3, 1),
        "Science Skills Network",
    ),
    "succession-report": (
        "report",
        "Succession planning in university workshops",
        "An ageing workforce: a third of workshop technicians retire within ten years. "
        "Succession plans pair apprentices with experienced staff.",
        ["sustainability"],
        ["public"],
        date(2023, 6, 1),
        "Midlands Technical Consortium",
    ),
    "apprenticeship-toolkit": (
        "toolkit",
        "Technician apprenticeships: a toolkit",
        "Recruiting apprentices, levy funding and mentoring for laboratory technician apprenticeships.",
        ["career-development", "sustainability"],
        ["public"],
        date(2022, 9, 1),
        "Midlands Technical Consortium",
    ),
    "leads-briefing": (
        "explainer",
        "Confidential briefing on technician pay",
        "Pay benchmarking for heads of technical services; grade drift and market supplements.",
        ["recognition"],
        ["role:provider-lead"],
        date(2024, 1, 15),
        "Heads of Technical Services",
    ),
}


@pytest.fixture
def library(db: Database, tmp_path: Path) -> Database:
    with db.session() as s:
        for slug, (kind, title, body, pillars, audience, published, org) in DOCS.items():
            data = service.checked(
                slug,
                slug=slug,
                title=title,
                kind=kind,
                summary=body.split(".")[0],
                pillars=pillars,
                audience=audience,
                published=published,
                organisation=org,
                licence="CC-BY-4.0",
            )
            service.save_resource(
                s, data, actor="curator", data_dir=tmp_path, file=(body.encode(), f"{slug}.txt")
            )
    return db


def _who(role: Role, providers: frozenset[str] = frozenset()) -> frozenset[str] | None:
    return permissions.audience_of(Principal(1, "someone", role, providers))


PUBLIC = permissions.audience_of(None)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("RSciTech registration", "registration-guide"),
        ("retire ageing workshop", "succession-report"),
        ("apprentice levy", "apprenticeship-toolkit"),
        ("technicians' registrations", "registration-guide"),  # stems: plural, possessive
    ],
)
def test_known_queries_find_their_resource_first(library: Database, query: str, first: str) -> None:
    with library.session() as s:
        found = search.search(s, query, allowed=PUBLIC)
    assert found.hits and found.hits[0].resource.slug == first, [h.resource.slug for h in found.hits]


def test_every_word_must_match_else_any_word(library: Database) -> None:
    with library.session() as s:
        both = search.search(s, "apprentices mentoring", allowed=PUBLIC)
        either = search.search(s, "levy Council", allowed=PUBLIC)
    assert [h.resource.slug for h in both.hits] == ["apprenticeship-toolkit"] and not both.any_word
    assert either.any_word
    assert {h.resource.slug for h in either.hits} == {"apprenticeship-toolkit", "registration-guide"}


def test_private_resources_never_show_to_outsiders(library: Database) -> None:
    with library.session() as s:
        public = search.search(s, "pay benchmarking", allowed=PUBLIC)
        technician = search.search(s, "pay benchmarking", allowed=_who(Role.TECHNICIAN))
        lead = search.search(s, "pay benchmarking", allowed=_who(Role.PROVIDER_LEAD, frozenset({"10007792"})))
        curator = search.search(s, "pay benchmarking", allowed=_who(Role.PROGRAMME_MANAGER))
        listing = search.search(s, "", allowed=PUBLIC)
    assert public.total == technician.total == 0 and public.hits == []
    assert all(count == 0 or value != "explainer" for value, count in public.facets["kind"])
    assert [h.resource.slug for h in lead.hits] == ["leads-briefing"]
    assert [h.resource.slug for h in curator.hits] == ["leads-briefing"]
    assert "leads-briefing" not in {h.resource.slug for h in listing.hits}
    assert dict(listing.facets["organisation"]).get("Heads of Technical Services") is None


def test_facets_count_the_visible_matches_and_filter(library: Database) -> None:
    with library.session() as s:
        everything = search.search(s, "", allowed=PUBLIC)
        midlands = search.search(
            s, "", allowed=PUBLIC, filters=search.Filters(organisations=("Midlands Technical Consortium",))
        )
        sustainable_2022 = search.search(
            s,
            "technicians",
            allowed=PUBLIC,
            filters=search.Filters(pillars=("sustainability",), years=(2022,)),
        )
    assert everything.total == 3
    assert dict(everything.facets["pillar"]) == {
        "recognition": 1,
        "sustainability": 2,
        "career-development": 1,
    }
    assert dict(everything.facets["year"]) == {"2023": 1, "2022": 1, "2021": 1}
    assert [h.resource.slug for h in everything.hits] == [
        "succession-report",
        "apprenticeship-toolkit",
        "registration-guide",
    ]
    assert {h.resource.slug for h in midlands.hits} == {"succession-report", "apprenticeship-toolkit"}
    assert [h.resource.slug for h in sustainable_2022.hits] == ["apprenticeship-toolkit"]


def test_snippets_mark_the_query_words(library: Database) -> None:
    with library.session() as s:
        found = search.search(s, "mentors application", allowed=PUBLIC)
    marked = [t for t, hit in found.hits[0].snippet if hit]
    assert marked == ["mentors", "application"]
    assert "mentors help with the application" in "".join(t for t, _ in found.hits[0].snippet)


def test_a_changed_resource_is_found_by_its_new_words_only(library: Database, tmp_path: Path) -> None:
    with library.session() as s:
        data = service.checked("x", title="Succession planning in research facilities", kind="report")
        service.save_resource(s, data, actor="curator", data_dir=tmp_path, slug="succession-report")
    with library.session() as s:
        assert search.search(s, "facilities", allowed=PUBLIC).hits[0].resource.slug == "succession-report"
        assert search.search(s, "workshops", allowed=PUBLIC).total == 1  # the text still says workshop
        assert search.search(s, "universities", allowed=PUBLIC).total == 0  # the old title is gone


def test_a_removed_resource_leaves_the_index(library: Database) -> None:
    with library.session() as s:
        service.remove_resource(s, "apprenticeship-toolkit", actor="curator")
    with library.session() as s:
        assert search.search(s, "levy", allowed=PUBLIC).total == 0


def test_a_bad_resource_changes_nothing(library: Database, tmp_path: Path) -> None:
    with library.session() as s:
        before = (
            s.scalar(select(func.count()).select_from(Resource)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )
    with pytest.raises(errors.Invalid, match="kind"):
        service.checked("row 3", title="x", kind="poster")
    with pytest.raises(errors.Invalid, match="audience"):
        service.checked("row 4", title="x", kind="guide", audience=["everyone"])
    talk = service.checked("v", title="A talk", kind="video")
    with pytest.raises(errors.Invalid, match="video"), library.session() as s:
        service.save_resource(s, talk, actor="c", data_dir=tmp_path)
    dup = service.checked(
        "d", title="Dup", kind="guide", slug="succession-report", url="https://example.org/x"
    )
    with pytest.raises(errors.Refused, match="taken"), library.session() as s:
        service.save_resource(s, dup, actor="c", data_dir=tmp_path)
    with library.session() as s:
        after = (
            s.scalar(select(func.count()).select_from(Resource)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )
    assert after == before


def test_a_file_is_stored_once_under_its_digest(library: Database, tmp_path: Path) -> None:
    with library.session() as s:
        row = service.resource(s, "registration-guide")
        path = service.file_path(tmp_path, row.file_sha256 or "")
    assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert path.read_bytes().startswith(b"How to apply")


def test_private_words_never_decide_the_answer(library: Database) -> None:
    """An outsider cannot learn whether a private text holds a word: "registration pay" finds
    the same public resources whether or not a private resource has both words."""
    with library.session() as s:
        both_private = search.search(s, "registration benchmarking", allowed=PUBLIC)
        neither = search.search(s, "registration zebras", allowed=PUBLIC)
    assert (both_private.total, both_private.any_word) == (neither.total, neither.any_word) == (1, True)


def test_a_long_text_costs_no_more_than_its_start() -> None:
    text = "Mentoring helps. " + "Filler words about nothing in particular. " * 50_000 + "mentors again"
    cut = search.snippet(text, ["mentor"])
    assert [t for t, hit in cut if hit] == ["Mentoring"]
