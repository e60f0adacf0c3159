"""Validation and bookkeeping of the ingest path: one return is one provider-year, required
fields are required, SOC codes come from the ONS lists, counts are true counts, line numbers
are physical lines, --year works, and each snapshot records its own source format."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import codes, readers, store, validate
from techforce.workforce.ingest import ingest
from techforce.workforce.models import Snapshot
from techforce.workforce.problems import InputError
from tests.workforce.test_bad_input import _nothing_written, _one_csv_return, _one_xml, _set_cell


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], fields: list[str] | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _set_column(path: Path, column: str, value: str) -> None:
    rows = _rows(path)
    _write(path, [{**r, column: value} for r in rows])


def _snapshots(db: Database) -> list[Snapshot]:
    with db.session() as session:
        return list(session.scalars(select(Snapshot).order_by(Snapshot.ukprn)))


# --------------------------------------------------------------------------- --year


def test_year_given_for_a_return_without_recid(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    rows = _rows(folder / "PERSON.csv")
    _write(folder / "PERSON.csv", [{k: v for k, v in r.items() if k != "RECID"} for r in rows])
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    assert {p.rule for p in info.value.problems} == {"person.recid.required"}
    result = ingest(sqlite_settings, sqlite_db, [folder], year=2022)
    assert [(s.year, s.persons) for s in result.snapshots] == [(2022, len(rows))]
    with sqlite_db.session() as session:
        [(_snapshot, path)] = store.snapshot_files(session, sqlite_settings)
    assert duckdb.connect().execute("SELECT DISTINCT year FROM read_parquet(?)", [str(path)]).fetchall() == [
        (2022,)
    ]


def test_year_given_for_xml_without_recid(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    path = _one_xml(small_files, tmp_path)
    path.write_text(path.read_text().replace("<RECID>22025</RECID>", "", 1))
    result = ingest(sqlite_settings, sqlite_db, [path], year=2023)
    assert [s.year for s in result.snapshots] == [2023]


# --------------------------------------------------------------------------- one return, one provider-year


def test_return_with_two_providers_is_refused_naming_the_rows(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    _set_cell(folder / "PERSON.csv", "UKPRN", "10000038", row=3)  # data row 3 is line 5
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    found = [p for p in info.value.problems if p.rule == "ingest.one_return.ukprn"]
    assert len(found) == 1, [p.describe() for p in info.value.problems[:5]]
    assert (found[0].file, found[0].line, found[0].field, found[0].value) == (
        str(folder / "PERSON.csv"),
        5,
        "UKPRN",
        "10000038",
    )
    assert "--multi-provider" in found[0].fix
    _nothing_written(sqlite_settings, sqlite_db)


def test_return_with_two_years_is_refused(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    _set_cell(folder / "PERSON.csv", "RECID", "23025", row=1)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    found = [p for p in info.value.problems if p.rule == "ingest.one_return.recid"]
    assert [(p.line, p.field, p.value) for p in found] == [(3, "RECID", "23025")]


def test_xml_with_two_institutions_is_refused(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    first, second = sorted((small_files / "2022" / "xml").iterdir())[:2]
    body = second.read_text().split("<StaffRecord>", 1)[1]
    merged = tmp_path / "two.xml"
    merged.write_text(
        first.read_text().replace("</StaffRecord>", body.replace("</StaffRecord>", "") + "</StaffRecord>")
    )
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [merged])
    found = [p for p in info.value.problems if p.rule == "ingest.one_return.ukprn"]
    assert found and found[0].path.startswith("/StaffRecord/Institution[2]/Person[")
    result = ingest(sqlite_settings, sqlite_db, [merged], multi_provider=True)
    assert len(result.snapshots) == 2


def test_mis_keyed_rows_cannot_replace_another_providers_return(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    csv_root = small_files / "2022" / "csv"
    mine, theirs = sorted(csv_root.iterdir())[:2]
    ingest(sqlite_settings, sqlite_db, [mine, theirs])
    before = {s.ukprn: s.id for s in _snapshots(sqlite_db)}
    folder = tmp_path / "mine"
    shutil.copytree(mine, folder)
    for row in (0, 1):
        _set_cell(folder / "PERSON.csv", "UKPRN", theirs.name, row=row)
    with pytest.raises(InputError):
        ingest(sqlite_settings, sqlite_db, [folder])
    assert {s.ukprn: s.id for s in _snapshots(sqlite_db)} == before
    # Declared a multi-provider supply, the same file splits as before (and says so).
    result = ingest(sqlite_settings, sqlite_db, [folder], multi_provider=True)
    assert {s.ukprn for s in result.snapshots} == {mine.name, theirs.name}


# --------------------------------------------------------------------------- required fields


REQUIRED = [(table, name) for table, names in readers.CSV_REQUIRED.items() for name in names]


@pytest.mark.parametrize(("table", "field"), REQUIRED, ids=[f"{t}.{f}" for t, f in REQUIRED])
@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
def test_blank_required_field_is_an_error(
    table: str,
    field: str,
    blank: str,
    sqlite_settings: Settings,
    sqlite_db: Database,
    small_files: Path,
    tmp_path: Path,
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    _set_cell(folder / f"{table.upper()}.csv", field, blank, row=0)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    found = [p for p in info.value.problems if p.rule == f"{table}.{field.lower()}.required"]
    assert found, [p.describe() for p in info.value.problems[:5]]
    assert (found[0].file, found[0].line, found[0].field) == (str(folder / f"{table.upper()}.csv"), 2, field)
    assert found[0].severity == "error" and found[0].fix
    _nothing_written(sqlite_settings, sqlite_db)


def test_blank_confte_in_xml_is_an_error(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    path = _one_xml(small_files, tmp_path)
    text = path.read_text()
    start = text.index("<CONFTE>")
    path.write_text(text[:start] + "<CONFTE> </CONFTE>" + text[text.index("</CONFTE>", start) + 9 :])
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [path])
    found = [p for p in info.value.problems if p.rule == "contract.confte.required"]
    assert len(found) == 1 and found[0].path.endswith("/Contract[1]") and found[0].line


def test_confte_all_fractions_is_a_warning(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    rows = _rows(folder / "CONTRACT.csv")
    _write(folder / "CONTRACT.csv", [{**r, "CONFTE": f"{float(r['CONFTE']) / 100:.2f}"} for r in rows])
    result = ingest(sqlite_settings, sqlite_db, [folder])
    found = [w for w in result.warnings if w.rule == "contract.confte.fraction"]
    assert len(found) == 1 and found[0].field == "CONFTE" and found[0].line == 2
    assert "percentage" in found[0].message
    with pytest.raises(InputError):
        ingest(sqlite_settings, sqlite_db, [folder], strict=True)


# --------------------------------------------------------------------------- empty returns


def test_return_with_no_people_is_refused_and_leaves_nothing(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    for name in ("PERSON", "CONTRACT", "ACTIVITY"):
        path = folder / f"{name}.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    assert [(p.rule, p.file) for p in info.value.problems] == [
        ("ingest.no_people", str(folder / "PERSON.csv"))
    ]
    _nothing_written(sqlite_settings, sqlite_db)
    assert not list(sqlite_settings.data_dir.rglob(".tmp-*"))


def test_xml_with_no_people_is_refused(
    sqlite_settings: Settings, sqlite_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "empty.xml"
    path.write_text(
        "<StaffRecord><Institution><RECID>22025</RECID><UKPRN>10000001</UKPRN></Institution></StaffRecord>"
    )
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [path])
    assert [p.rule for p in info.value.problems] == ["ingest.no_people"]
    assert not list(sqlite_settings.data_dir.rglob(".tmp-*"))


# --------------------------------------------------------------------------- SOC codes


def test_shipped_soc_lists() -> None:
    assert (
        len(codes.SOC2020_UNIT) == 412
        and min(codes.SOC2020_UNIT) == "1111"
        and max(codes.SOC2020_UNIT) == "9269"
    )
    assert codes.SOC2020_UNIT["3120"] == "CAD, drawing and architectural technicians"
    assert len(codes.SOC2020_MINOR) == 104
    assert len(codes.SOC2010_UNIT) == 369 and {c[:3] for c in codes.SOC2010_UNIT} == codes.SOC2010_MINOR


@pytest.mark.parametrize(
    ("year", "field", "bad", "good"),
    [
        (2022, "ACTSOC", "3118", "3119"),  # SOC2010 311 has no 3118
        (2022, "ACTSOC", "1111", "1115"),  # a SOC2020 code in a SOC2010 year
        (2023, "ACTSOC2020", "3121", "3120"),  # SOC2010's 3121 is 3120 in SOC2020
        (2023, "ACTSOC2020", "3118", "311"),  # a minor group is accepted
    ],
)
def test_soc_codes_are_checked_against_the_ons_lists(
    year: int,
    field: str,
    bad: str,
    good: str,
    sqlite_settings: Settings,
    sqlite_db: Database,
    small_files: Path,
    tmp_path: Path,
) -> None:
    source = sorted((small_files / str(year) / "csv").iterdir())[0]
    folder = tmp_path / "return"
    shutil.copytree(source, folder)
    _set_cell(folder / "ACTIVITY.csv", field, bad, row=2)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    found = [p for p in info.value.problems if p.field == field and p.rule.endswith(".code")]
    assert [(p.file, p.line, p.value) for p in found] == [(str(folder / "ACTIVITY.csv"), 4, bad)]
    assert "ONS" in found[0].message and "unit group" in found[0].fix
    _set_cell(folder / "ACTIVITY.csv", field, good, row=2)
    assert len(ingest(sqlite_settings, sqlite_db, [folder]).snapshots) == 1


def test_soc_data_file_names_its_source() -> None:
    from importlib import resources

    data = resources.files("techforce.workforce").joinpath("data")
    for name, count in (("soc2020_unit_groups.csv", 412), ("soc2010_unit_groups.csv", 369)):
        lines = data.joinpath(name).read_text(encoding="utf-8").splitlines()
        assert (
            lines[0].startswith("# Source: Office for National Statistics")
            and "Open Government Licence" in lines[0]
        )
        assert lines[1] == "code,title" and len(lines) == count + 2


# --------------------------------------------------------------------------- true counts


def test_error_count_is_the_true_count(
    sqlite_settings: Settings,
    sqlite_db: Database,
    small_files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validate, "MAX_ROWS_PER_RULE", 5)
    folder = _one_csv_return(small_files, tmp_path)
    contracts = _rows(folder / "CONTRACT.csv")
    _set_column(folder / "CONTRACT.csv", "LEVELS", "Z9")
    _set_column(folder / "ACTIVITY.csv", "CCENTRE", "999")
    activities = len(_rows(folder / "ACTIVITY.csv"))
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    error = info.value
    assert error.error_count == len(contracts) + activities
    listed = [p for p in error.problems if p.severity == "error" and p.line is not None]
    assert error.listed_errors == len(listed) == 10
    assert error.summary() == f"{len(contracts) + activities:,} errors (first 10 listed)"
    assert "first 10 listed" in str(error)
    more = [p for p in error.problems if p.line is None]
    assert {p.rule for p in more} == {"contract.levels.code", "activity.ccentre.code"}
    assert all("more rows break this rule" in p.message for p in more)
    assert error.problems[-1] in more  # the summary rows come after the rows they summarise


# --------------------------------------------------------------------------- line numbers, source format


def test_line_numbers_are_physical_lines_after_a_quoted_newline(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    _set_cell(folder / "PERSON.csv", "OWNSTAFFID", "E1\nsecond line", row=0)  # lines 2-3
    _set_cell(folder / "PERSON.csv", "SEXID", "7", row=2)  # data row 3 starts on line 5
    _set_cell(folder / "CONTRACT.csv", "LEVELS", "Z9", row=2)  # no newline in this file: line 4
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    found = {p.rule: p.line for p in info.value.problems}
    assert found["person.sexid.code"] == 5
    assert found["contract.levels.code"] == 4
    lines = (folder / "PERSON.csv").read_text(encoding="utf-8").splitlines()
    assert ",7," in lines[5 - 1]  # the named line really holds the value


def test_source_format_is_recorded_per_snapshot(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path
) -> None:
    folders = sorted((small_files / "2022" / "csv").iterdir())
    xml = small_files / "2022" / "xml" / f"{folders[1].name}.xml"
    ingest(sqlite_settings, sqlite_db, [folders[0], xml])
    assert {s.ukprn: s.source_format for s in _snapshots(sqlite_db)} == {
        folders[0].name: "csv",
        folders[1].name: "xml",
    }
