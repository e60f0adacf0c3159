"""The library in bulk as CSV and files, on SQLite and PostgreSQL: an export imports into an
empty database as the same resources; importing it again changes nothing and records
nothing; a formula-like title survives the round trip; a bad row (unknown kind, bad
audience, missing file, a PDF with a script, a path out of the folder) is listed with its
row number and nothing is written."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import func, select

from techforce import errors
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.library import events, exchange, records, service
from techforce.library.models import Resource
from techforce.workforce.problems import InputError

ACTOR = "curator"


@cache
def pdf(js: bool = False) -> bytes:
    import weasyprint
    from pypdf import PdfReader, PdfWriter

    made = bytes(weasyprint.HTML(string="<p>Apprenticeships for technicians in workshops.</p>").write_pdf())
    if not js:
        return made
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(made)))
    writer.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _fill(db: Database, data_dir: Path) -> None:
    """Four resources: a PDF report, a private text guide, a video with a transcript, and a
    link whose title a spreadsheet would read as a formula."""
    with db.session() as s:
        service.save_resource(
            s,
            service.checked(
                "t",
                title="Apprenticeships in workshops",
                kind="report",
                slug="apprenticeships",
                summary="Why apprenticeships matter.",
                authors=["Ada Lovelace", "Grace Hopper"],
                organisation="Midlands Consortium",
                published=date(2023, 6, 1),
                licence="CC-BY-4.0",
                pillars=["career-development", "sustainability"],
                keywords=["apprentices", "workshops"],
                links=["programme:herbie", "recommendation:3"],
            ),
            actor=ACTOR,
            data_dir=data_dir,
            file=(pdf(), "Apprenticeships Report.pdf"),
        )
        service.save_resource(
            s,
            service.checked(
                "t",
                title="Registration guide",
                kind="guide",
                slug="registration",
                audience=["signed-in", "provider:10007788"],
            ),
            actor=ACTOR,
            data_dir=data_dir,
            file=(b"How to register; with mentors.\n", "guide.txt"),
        )
        service.save_resource(
            s,
            service.checked(
                "t",
                title="Technicians talk",
                kind="video",
                slug="talk",
                url="https://example.org/v/1",
                transcript="We talk about succession planning.",
            ),
            actor=ACTOR,
            data_dir=data_dir,
        )
        service.save_resource(
            s,
            service.checked(
                "t",
                title='=HYPERLINK("http://evil")',
                kind="toolkit",
                slug="formula",
                summary="@SUM(1) and -2 +3",
                url="https://example.org/toolkit",
            ),
            actor=ACTOR,
            data_dir=data_dir,
        )


def _all(db: Database) -> dict[str, records.Resource]:
    with db.session() as s:
        return {
            r.slug: replace(service.record(s, r, with_text=True), extra={})
            for r in s.scalars(select(Resource).order_by(Resource.slug))
        }


def _events(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _export(db: Database, data_dir: Path, out: Path, allowed: frozenset[str] | None = None) -> Path:
    with db.session() as s:
        return exchange.export_csv(s, out, data_dir=data_dir, allowed=allowed, actor=ACTOR)


def _import(db: Database, data_dir: Path, path: Path) -> exchange.Imported:
    with db.session() as s:
        return exchange.import_csv(s, path, data_dir=data_dir, actor=ACTOR)


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_an_export_imports_as_the_same_resources_and_again_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    _fill(db, source)
    before = _all(db)
    path = _export(db, source, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "files").iterdir()) == [
        "apprenticeships.pdf",
        "registration.txt",
    ]
    rows = {r["slug"]: r for r in _rows(path)}
    assert rows["apprenticeships"]["authors"] == "Ada Lovelace; Grace Hopper"
    assert rows["apprenticeships"]["file"] == "files/apprenticeships.pdf"
    assert rows["apprenticeships"]["published"] == "2023-06-01"
    assert rows["formula"]["title"] == '\'=HYPERLINK("http://evil")', "a formula cell is neutralised"
    assert rows["formula"]["summary"].startswith("'@")
    # Into an empty store: the same database with the resources removed, files in a new folder.
    with db.session() as s:
        for slug in before:
            service.remove_resource(s, slug, actor=ACTOR)
    target = tmp_path / "target"
    done = _import(db, target, path)
    assert done == exchange.Imported(added=4, updated=0, unchanged=0)
    assert _all(db) == before
    assert before["formula"].title == '=HYPERLINK("http://evil")'
    assert before["apprenticeships"].file is not None
    assert service.file_path(target, before["apprenticeships"].file.sha256).read_bytes() == pdf()
    count = _events(db)
    again = _import(db, target, path)
    assert again == exchange.Imported(added=0, updated=0, unchanged=4)
    assert _events(db) == count, "a re-imported export records nothing"
    assert _all(db) == before


def test_an_import_updates_a_changed_row_and_audits_the_import(db: Database, tmp_path: Path) -> None:
    _fill(db, tmp_path / "data")
    path = _export(db, tmp_path / "data", tmp_path / "out")
    rows = _rows(path)
    rows[0]["title"] = "A new title"
    _write(path, rows)
    count = _events(db)
    done = _import(db, tmp_path / "data", path)
    assert done == exchange.Imported(added=0, updated=1, unchanged=3)
    assert _all(db)[rows[0]["slug"]].title == "A new title"
    with db.session() as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))[count:]
        payload = s.scalars(select(AuditEvent.payload).where(AuditEvent.action == events.IMPORT)).one()
    assert actions == [events.RESOURCE_SAVE, events.IMPORT]
    assert payload == {"added": 0, "updated": 1, "unchanged": 3}


def test_an_audience_export_holds_only_what_it_may_see(db: Database, tmp_path: Path) -> None:
    _fill(db, tmp_path / "data")
    path = _export(db, tmp_path / "data", tmp_path / "out", allowed=frozenset({records.PUBLIC}))
    assert sorted(r["slug"] for r in _rows(path)) == ["apprenticeships", "formula", "talk"]
    assert not (tmp_path / "out" / "files" / "registration.txt").exists()


def test_bad_rows_are_listed_with_their_row_numbers_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    _fill(db, tmp_path / "data")
    path = _export(db, tmp_path / "data", tmp_path / "out")
    rows = _rows(path)
    files = tmp_path / "out" / "files"
    (files / "hostile.pdf").write_bytes(pdf(js=True))
    base = dict.fromkeys(rows[0], "")
    rows += [
        base | {"slug": "new-one", "title": "New one", "kind": "podcast", "url": "https://example.org/p"},
        base
        | {
            "slug": "new-two",
            "title": "New two",
            "kind": "guide",
            "audience": "everyone",
            "url": "https://x.org",
        },
        base | {"slug": "new-three", "title": "New three", "kind": "guide", "file": "files/missing.pdf"},
        base | {"slug": "new-four", "title": "New four", "kind": "report", "file": "files/hostile.pdf"},
        base | {"slug": "new-five", "title": "New five", "kind": "report", "file": "../secret.txt"},
        base | {"slug": "new-six", "title": "New six", "kind": "report", "file": "/etc/passwd"},
        base
        | {
            "slug": "new-seven",
            "title": "New seven",
            "kind": "report",
            "published": "31/03/2024",
            "url": "https://x.org",
        },
    ]
    rows[0]["title"] = "Changed, but the import is refused"
    _write(path, rows)
    (tmp_path / "out" / "secret.txt").write_text("outside")
    before, count = _all(db), _events(db)
    with pytest.raises(InputError) as caught:
        _import(db, tmp_path / "data", path)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (6, "kind"),
        (7, "audience"),
        (8, "file"),
        (9, "file"),
        (10, "file"),
        (11, "file"),
        (12, "published"),
    }
    by_line = {p.line: p for p in caught.value.problems}
    assert "report, guide" in by_line[6].fix
    assert "provider:" in by_line[7].fix and by_line[7].value == "everyone"
    assert "no such file" in by_line[8].message
    assert "JavaScript" in by_line[9].message
    assert ".." in by_line[10].message
    assert "absolute" in by_line[11].message
    assert "YYYY-MM-DD" in by_line[12].fix
    assert "nothing was written" in caught.value.message
    assert _all(db) == before and _events(db) == count


def test_a_link_out_of_the_folder_and_a_changed_file_are_refused(db: Database, tmp_path: Path) -> None:
    _fill(db, tmp_path / "data")
    path = _export(db, tmp_path / "data", tmp_path / "out")
    files = tmp_path / "out" / "files"
    (tmp_path / "outside.txt").write_text("outside the export")
    (files / "sneaky.txt").symlink_to(tmp_path / "outside.txt")
    (files / "registration.txt").write_text("Edited after the export.")
    rows = _rows(path)
    base = dict.fromkeys(rows[0], "")
    rows.append(base | {"slug": "sneaky", "title": "Sneaky", "kind": "guide", "file": "files/sneaky.txt"})
    _write(path, rows)
    with pytest.raises(InputError) as caught:
        _import(db, tmp_path / "data", path)
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"file", "sha256"}
    assert "link" in problems["file"].message and problems["file"].line == 6
    assert "does not match" in problems["sha256"].message


def test_a_file_that_is_not_a_resources_csv(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "people.csv"
    bad.write_text("name,email\nAda,ada@example.org\n")
    with pytest.raises(errors.Invalid, match="title, kind are missing"):
        _import(db, tmp_path / "data", bad)
    with pytest.raises(errors.Invalid, match="no such file"):
        _import(db, tmp_path / "data", tmp_path / "nothing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title,kind\nCaf\xe9,guide\n".encode("latin-1"))
    with pytest.raises(errors.Invalid, match="UTF-8"):
        _import(db, tmp_path / "data", latin)


def test_an_export_is_refused_over_a_folder_that_is_not_one(db: Database, tmp_path: Path) -> None:
    _fill(db, tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(errors.Refused, match="not a previous library export"):
        _export(db, tmp_path / "data", out)
    assert (out / "thesis.docx").read_text() == "precious"
    _export(db, tmp_path / "data", tmp_path / "again")
    _export(db, tmp_path / "data", tmp_path / "again")  # a previous export is replaced
    assert len(_rows(tmp_path / "again" / "resources.csv")) == 4


def test_the_demo_loads_once_and_its_export_comes_back(db: Database, tmp_path: Path) -> None:
    from techforce.library import demo, search

    data_dir = tmp_path / "data"
    with db.session() as s:
        assert demo.load_demo(s, data_dir=data_dir, actor=ACTOR, programmes=("herbie",), count=12) == 12
    with db.session() as s:
        with pytest.raises(errors.Refused, match="already loaded"):
            demo.load_demo(s, data_dir=data_dir, actor=ACTOR, count=3)
        found = search.search(s, "apprenticeship", allowed=None)
        kinds = {r.kind for r in s.scalars(select(Resource))}
    assert found.total >= 1 and len(kinds) > 3
    before = _all(db)
    assert len(before) == 12
    path = _export(db, data_dir, tmp_path / "out")
    assert _import(db, data_dir, path) == exchange.Imported(added=0, updated=0, unchanged=12)
    assert _all(db) == before
