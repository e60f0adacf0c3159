"""Evidence shows its current value and date: a workforce indicator for the provider's latest
year (published figures, or true ones for an entitled viewer), a programme's starters and
completers, a library resource the viewer may see, an uploaded file; a reference to nothing
is refused with the fix, and a hostile or oversized upload stores nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from techforce import errors
from techforce.db import Database
from techforce.library import service as library
from techforce.programmes import impact
from techforce.programmes import service as programmes
from techforce.settings import Settings
from techforce.strategy import evidence, pack, service
from techforce.strategy.models import Evidence
from techforce.workforce import codes
from techforce.workforce.indicators import Computation
from techforce.workforce.ingest import ingest
from techforce.workforce.service import Workforce

from .conftest import StrategyWorld

PRIVATE = "a-private-plan"
PUBLIC = "a-public-guide"
LOU = frozenset({"public", "signed-in", "role:provider-lead", "provider:10000002"})


def load_staff(settings: Settings, db: Database, small_files: Path) -> Workforce:
    """The small synthetic sector (two years) in the store; provider A (10000001) is in it,
    B (10000002) is not."""
    ingest(settings, db, [small_files / "2022" / "csv", small_files / "2023" / "csv"])
    return Workforce(settings, db)


def add_resources(settings: Settings, db: Database) -> None:
    """A public guide, and a plan only provider A's people may see."""
    with db.session() as s:
        for slug, title, audience in (
            (PUBLIC, "Career pathways guide", ["public"]),
            (PRIVATE, "Secret restructuring plan", ["provider:10000001"]),
        ):
            library.save_resource(
                s,
                library.ResourceIn(
                    title=title,
                    kind="guide",
                    slug=slug,
                    published=date(2024, 5, 1),
                    audience=audience,
                    url="https://example.org/" + slug,
                ),
                actor="ada",
                data_dir=settings.data_dir,
            )


def expected(comp: Computation, indicator: str, ukprn: str, *, true_values: bool = False) -> tuple[str, str]:
    """The value and year label the evidence must show, computed straight from the Computation."""
    found = [
        r for r in comp.results(indicator, ukprn, [ukprn], true_values=true_values) if r.category == "all"
    ]
    latest = max(found, key=lambda r: r.year)
    if true_values:
        assert latest.raw is not None
        shown = (
            f"{latest.raw:.1f}%" if "%" in latest.cell.display else f"{latest.raw:,.1f}".removesuffix(".0")
        )
    else:
        shown = latest.cell.display
    return shown, codes.year_label(latest.year)


def test_an_indicator_shows_the_providers_latest_published_value_and_its_definition(
    settings: Settings, world: StrategyWorld, small_files: Path
) -> None:
    wf = load_staff(settings, world.db, small_files)
    comp = wf.computation()
    with world.db.session() as s:
        resolver = evidence.Resolver(s, wf, world.a, allowed=None)
        aged = resolver.indicator("tech.aged_55_plus")
        leader = resolver.indicator("leadership.has_leader", "Our strategic lead")
        entitled = evidence.Resolver(s, wf, world.a, allowed=None, true_values=True)
        true_aged = entitled.indicator("tech.aged_55_plus")
    value, year = expected(comp, "tech.aged_55_plus", world.a)
    assert (aged.value, aged.as_of, aged.ok) == (value, year, True) and year == "2023/24"
    assert aged.label == "Technical staff aged 55 and over"
    assert "aged 55 or over" in aged.definition and comp.definition.stamp in aged.definition
    assert aged.href == f"/workforce/providers/{world.a}"
    assert true_aged.value == expected(comp, "tech.aged_55_plus", world.a, true_values=True)[0]
    assert (leader.label, leader.value) == ("Our strategic lead", "Yes")


def test_a_provider_without_staff_data_is_told_to_upload_a_return(
    settings: Settings, world: StrategyWorld, small_files: Path
) -> None:
    wf = load_staff(settings, world.db, small_files)
    with world.db.session() as s:
        found = evidence.Resolver(s, wf, world.b, allowed=None).indicator("tech.headcount")
    assert not found.ok
    assert found.problem == f"no staff return for {world.b} yet: upload one"


def test_indicator_choices_are_single_valued() -> None:
    ids = [i for i, _ in evidence.indicator_choices()]
    assert {
        "leadership.has_leader",
        "tech.women_in_leadership",
        "tech.aged_55_plus",
        "tech.headcount",
    } <= set(ids)
    assert "tech.by_age" not in ids and "leadership.share" not in ids and "grade.ceiling" not in ids


def test_a_resource_outside_the_viewers_audience_is_not_named(
    settings: Settings, world: StrategyWorld
) -> None:
    add_resources(settings, world.db)
    wf = Workforce(settings, world.db)
    with world.db.session() as s:
        as_lou = evidence.Resolver(s, wf, world.b, allowed=LOU)
        hidden = as_lou.resource(PRIVATE, "Secret restructuring plan")
        shown = as_lou.resource(PUBLIC)
        as_curator = evidence.Resolver(s, wf, world.a, allowed=None).resource(PRIVATE)
        gone = as_lou.resource("never-there")
    assert hidden.value == evidence.HIDDEN and "Secret" not in repr(hidden) and PRIVATE not in repr(hidden)
    assert (shown.value, shown.as_of, shown.href) == (
        "Career pathways guide",
        "2024-05-01",
        f"/library/{PUBLIC}",
    )
    assert as_curator.value == "Secret restructuring plan"
    assert not gone.ok and "was removed" in gone.problem


def test_a_programme_shows_its_starters_and_completers(settings: Settings, world: StrategyWorld) -> None:
    with world.db.session() as s:
        programmes.save_programme(
            s,
            programmes.ProgrammeIn(slug="herschel", title="Herschel", kind="cohort", capacity=20),
            actor="ada",
        )
    wf = Workforce(settings, world.db)
    with world.db.session() as s:
        check = evidence.check_ref(s, wf, "programme", " herschel ")
        found = evidence.Resolver(s, wf, world.a, allowed=None, today=date(2026, 12, 3)).programme("herschel")
        gone = evidence.Resolver(s, wf, world.a, allowed=None).programme("nope")
    assert check == "herschel"
    page = impact.dashboard(settings, world.db, programme="herschel").headline  # as the impact page says
    assert (
        found.ok
        and found.value
        == f"{page.completers.display} completers of {page.starters.display} starters (0 cohorts)"
    )
    assert (found.as_of, found.href, found.label) == ("2026-12-03", "/programmes/herschel", "Herschel")
    assert "perturbed and rounded" in found.definition
    assert not gone.ok and "no longer exists" in gone.problem


def test_bad_references_are_refused_with_the_fix(settings: Settings, world: StrategyWorld) -> None:
    add_resources(settings, world.db)
    wf = Workforce(settings, world.db)
    with world.db.session() as s:
        with pytest.raises(
            errors.Invalid,
            match=r"indicator 'tech.aged55' cannot be evidence \(did you mean 'tech.aged_55_plus'",
        ):
            evidence.check_ref(s, wf, "indicator", "tech.aged55")
        with pytest.raises(errors.Invalid, match=r"'tech\.by_age' cannot be evidence"):
            evidence.check_ref(s, wf, "indicator", "tech.by_age")
        with pytest.raises(errors.NotFound, match="there is no programme 'herschel'"):
            evidence.check_ref(s, wf, "programme", "herschel")
        with pytest.raises(errors.NotFound, match="no library resource 'nope'"):
            evidence.check_ref(s, wf, "resource", "nope")
        with pytest.raises(errors.NotFound, match="no library resource"):
            evidence.check_ref(s, wf, "resource", PRIVATE, allowed=LOU)  # not probed by slug
        assert evidence.check_ref(s, wf, "resource", PRIVATE) == PRIVATE
        with pytest.raises(errors.NotFound, match="upload the file first"):
            evidence.check_ref(s, wf, "file", "0" * 64)
        with pytest.raises(errors.Invalid, match="evidence kind 'link'"):
            evidence.check_ref(s, wf, "link", "x")
        with pytest.raises(errors.Invalid, match="names nothing"):
            evidence.check_ref(s, wf, "indicator", "  ")


# Uploads


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
PDF = pack.to_pdf(pack.Pack("P", "1", "Stage", "2025-01-01", "2026-12-03", "core", ""))


def _stored(settings: Settings) -> list[Path]:
    root = settings.data_dir / "strategy" / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_good_uploads_are_kept_by_digest_and_resolve_with_name_and_size(
    settings: Settings, world: StrategyWorld
) -> None:
    kept = [
        evidence.store_upload(settings, PDF, "plan.pdf"),
        evidence.store_upload(settings, XLSX, "C:\\Users\\lee\\figures.xlsx"),
        evidence.store_upload(settings, b"\x89PNG\r\n\x1a\n" + b"0" * 100, "chart.png"),
        evidence.store_upload(settings, b"\xff\xd8\xff\xe0" + b"0" * 100, "photo.JPEG"),
        evidence.store_upload(settings, b"year,share\n2023,24\n", "data.csv"),
    ]
    assert [k[1] for k in kept] == ["plan.pdf", "figures.xlsx", "chart.png", "photo.JPEG", "data.csv"]
    assert kept[0][2] == "application/pdf" and kept[3][2] == "image/jpeg" and kept[0][3] == len(PDF)
    path = evidence.file_path(settings, kept[0][0])
    assert path.read_bytes() == PDF and path.stat().st_mode & 0o777 == 0o600
    wf = Workforce(settings, world.db)
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        sha, name, media, size = kept[0]
        row = service.attach(s, sub, "file", sha, "lee", pillar="visibility", file=(name, media, size))
        missing = service.attach(
            s, sub, "file", "f" * 64, "lee", pillar="visibility", file=("lost.pdf", media, 10)
        )
        resolver = evidence.Resolver(s, wf, world.a, allowed=None)
        found, lost = resolver.resolve(row), resolver.resolve(missing)
    assert found.ok and found.value == f"plan.pdf ({size / 1024:.1f} KB)"
    assert found.href == f"/strategy/providers/{world.a}/first-submission/evidence/{row.id}/file"
    assert found.as_of == date.today().isoformat()
    assert not lost.ok and "lost.pdf is missing from the store" in lost.problem


@pytest.mark.parametrize(
    ("data", "name", "error", "message"),
    [
        (b"x" * (evidence.MAX_UPLOAD + 1), "big.pdf", errors.Refused, "over the limit of 20 MB"),
        (b"", "empty.txt", errors.Invalid, "empty.txt: the file is empty"),
        (b"MZ\x90\x00", "tool.exe", errors.Invalid, "tool.exe: files with .exe cannot be evidence"),
        (
            b"just text",
            "report.pdf",
            errors.Invalid,
            "report.pdf: the name says .pdf but the content is text",
        ),
        (PDF, "image.png", errors.Invalid, "image.png: the name says .png but the content is not a PNG"),
        (b"GIF89a", "photo.jpg", errors.Invalid, "not a JPEG"),
        (b"\x00\x01\x02" * 50, "notes.txt", errors.Invalid, "notes.txt: the file is binary"),
        (
            _zip({"word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}),
            "m.docx",
            errors.Refused,
            "macros",
        ),
        (
            _zip({"xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": b"x"}),
            "m.xlsx",
            errors.Refused,
            "macros",
        ),
        (
            _zip({"xl/workbook.xml": b'<!DOCTYPE x [<!ENTITY a "b">]><workbook/>'}),
            "bomb.xlsx",
            errors.Refused,
            "declares a DOCTYPE",
        ),
        (_zip({"a.txt": b"x"}), "sheet.xlsx", errors.Invalid, "sheet.xlsx: not an Excel workbook"),
        (PDF, "sheet.xlsx", errors.Invalid, "the content is not a workbook"),
        (b"\x89PNG\r\n\x1a\n", "\x00\x1f", errors.Invalid, "has no name"),
    ],
)
def test_bad_uploads_are_refused_by_name_with_the_fix_and_store_nothing(
    sqlite_settings: Settings, data: bytes, name: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        evidence.store_upload(sqlite_settings, data, name)
    assert _stored(sqlite_settings) == []


def test_a_pdf_with_a_script_is_refused(sqlite_settings: Settings) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(errors.Refused, match=r"evil\.pdf: .*JavaScript"):
        evidence.store_upload(sqlite_settings, out.getvalue(), "evil.pdf")
    assert _stored(sqlite_settings) == []


def test_resolve_dispatches_on_kind(settings: Settings, world: StrategyWorld) -> None:
    add_resources(settings, world.db)
    wf = Workforce(settings, world.db)
    row = Evidence(id=7, submission_id=1, kind="resource", ref=PUBLIC, label="", added_by="lee")
    with world.db.session() as s:
        found = evidence.resolve(s, wf, world.a, row, allowed=LOU)
    assert found.kind == "resource" and found.value == "Career pathways guide"
