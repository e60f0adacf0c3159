"""A corpus of broken inputs: each gets a specific error naming file, line and field, and
nothing is written. A CSV saved from Excel (BOM, CRLF) is accepted."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import store
from techforce.workforce.ingest import ingest
from techforce.workforce.problems import InputError


def _one_csv_return(small_files: Path, tmp: Path) -> Path:
    source = next(p for p in sorted((small_files / "2022" / "csv").iterdir()))
    target = tmp / "return"
    shutil.copytree(source, target)
    return target


def _one_xml(small_files: Path, tmp: Path) -> Path:
    source = sorted((small_files / "2022" / "xml").iterdir())[0]
    target = tmp / "return.xml"
    shutil.copy(source, target)
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _nothing_written(settings: Settings, db: Database) -> None:
    with db.session() as session:
        assert store.snapshot_files(session, settings) == []
    assert not list(settings.snapshot_dir.rglob("*.parquet")) if settings.snapshot_dir.exists() else True


def _set_cell(path: Path, column: str, value: str, row: int = 0) -> None:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[row][column] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _row(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[n]


CSV_CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "unknown TERMS code": (
        lambda d: _set_cell(d / "CONTRACT.csv", "TERMS", "7"),
        "contract.terms.code",
        "TERMS",
    ),
    "duplicate PERSONKEY": (
        lambda d: (d / "PERSON.csv").write_text(
            (d / "PERSON.csv").read_text() + _row(d / "PERSON.csv", 1).replace('"1', '"9', 1) + "\n"
        ),
        "person.personkey.duplicate",
        "PERSONKEY",
    ),
    "orphan contract": (
        lambda d: (d / "CONTRACT.csv").write_text(
            (d / "CONTRACT.csv").read_text() + '"CX1","P999999","KX1",1,1,4,K0,100.0,2010-01-01,,30000\n'
        ),
        "contract.orphan",
        "PERSONKEY",
    ),
    "CCPROP not summing to 100": (
        lambda d: _set_cell(d / "ACTIVITY.csv", "CCPROP", "90.0"),
        "contract.ccprop.sum",
        "CCPROP",
    ),
    "missing column": (
        lambda d: (d / "CONTRACT.csv").write_text(
            "\n".join(
                ",".join(line.split(",")[:4] + line.split(",")[5:])
                for line in (d / "CONTRACT.csv").read_text().splitlines()
            )
            + "\n"
        ),
        "csv.missing_column",
        "MOEMP",
    ),
    "bad date": (
        lambda d: _edit(d / "PERSON.csv", _row(d / "PERSON.csv", 1).split(",")[5], '"1984-02-31"'),
        "person.birthdte.format",
        "BIRTHDTE",
    ),
    "orphan activity": (
        lambda d: (d / "ACTIVITY.csv").write_text(
            (d / "ACTIVITY.csv").read_text() + '"AX","C-none","3111","112",100.0\n'
        ),
        "activity.orphan",
        "CONTRACTKEY",
    ),
    "empty file": (lambda d: (d / "PERSON.csv").write_text(""), "file.empty", ""),
    "wrong encoding": (
        lambda d: (d / "PERSON.csv").write_bytes((d / "PERSON.csv").read_bytes().replace(b'"E', b'"\xe9', 1)),
        "file.encoding",
        "",
    ),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_broken_csv_is_refused_and_nothing_written(
    case: str, sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    breaker, rule, field = CSV_CASES[case]
    breaker(folder)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    found = [p for p in info.value.problems if p.rule == rule]
    assert found, [p.describe() for p in info.value.problems[:5]]
    assert str(folder) in found[0].file
    assert found[0].field == field
    assert found[0].fix
    if rule not in ("file.empty", "csv.missing_column", "file.encoding"):
        assert found[0].line is not None and found[0].line >= 2
    _nothing_written(sqlite_settings, sqlite_db)


def test_excel_csv_with_bom_and_crlf_is_accepted(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    for f in folder.iterdir():
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes().replace(b"\n", b"\r\n"))
    result = ingest(sqlite_settings, sqlite_db, [folder])
    assert len(result.snapshots) == 1 and result.snapshots[0].persons > 0


def test_extra_column_is_a_warning(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    lines = (folder / "PERSON.csv").read_text().splitlines()
    (folder / "PERSON.csv").write_text(
        "\n".join([lines[0] + ",NICKNAME"] + [ln + ",x" for ln in lines[1:]]) + "\n"
    )
    result = ingest(sqlite_settings, sqlite_db, [folder])
    assert any(w.rule == "csv.extra_column" and w.field == "NICKNAME" for w in result.warnings)
    with pytest.raises(InputError):
        ingest(sqlite_settings, sqlite_db, [folder], strict=True)


XML_CASES = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "xml.truncated"),
    "XXE": (
        lambda p: p.write_text(
            p.read_text().replace(
                "<StaffRecord>",
                '<!DOCTYPE StaffRecord [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<StaffRecord>',
                1,
            )
        ),
        "xml.doctype",
    ),
    "billion laughs": (
        lambda p: p.write_text(
            p.read_text()
            .replace(
                "<StaffRecord>",
                '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<StaffRecord>',
                1,
            )
            .replace("<OWNSTAFFID>", "<OWNSTAFFID>&lol2;", 1)
        ),
        "xml.doctype",
    ),
    "wrong encoding": (
        lambda p: p.write_bytes(p.read_bytes().replace(b"<OWNSTAFFID>E", b"<OWNSTAFFID>\xe9", 1)),
        "file.encoding",
    ),
    "wrong root": (
        lambda p: p.write_text(p.read_text().replace("StaffRecord>", "StudentRecord>")),
        "xml.root",
    ),
    "unknown LEVELS": (
        lambda p: _edit(p, "<LEVELS>K0</LEVELS>", "<LEVELS>Z9</LEVELS>"),
        "contract.levels.code",
    ),
    "empty": (lambda p: p.write_text(""), "file.empty"),
}


@pytest.mark.parametrize("case", list(XML_CASES))
def test_broken_xml_is_refused_and_nothing_written(
    case: str, sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    path = _one_xml(small_files, tmp_path)
    breaker, rule = XML_CASES[case]
    breaker(path)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [path])
    found = [p for p in info.value.problems if p.rule == rule]
    assert found, [p.describe() for p in info.value.problems[:5]]
    assert found[0].file == str(path)
    if case == "unknown LEVELS":
        assert found[0].path.startswith("/StaffRecord/Institution[1]/Person[")
        assert found[0].value == "Z9" and found[0].line
    _nothing_written(sqlite_settings, sqlite_db)


def test_report_lists_every_problem(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    import json

    from techforce.workforce.problems import write_report

    path = _one_xml(small_files, tmp_path)
    _edit(path, "<LEVELS>K0</LEVELS>", "<LEVELS>Z9</LEVELS>", count=-1)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [path])
    write_report(info.value.problems, tmp_path / "report.json")
    rows = json.loads((tmp_path / "report.json").read_text())
    assert len(rows) == len(info.value.problems) > 1
    assert {"file", "line", "path", "field", "value", "rule", "fix"} <= set(rows[0])


def test_csv_problem_names_the_exact_line_among_many_files(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    """Clean CSV loads skip line numbering; on the error path every line must still be exact."""
    csv_root = tmp_path / "csv"
    shutil.copytree(small_files / "2022" / "csv", csv_root)
    folders = sorted(p for p in csv_root.iterdir() if p.is_dir())
    target = folders[len(folders) // 2] / "CONTRACT.csv"
    rows = target.read_text(encoding="utf-8").splitlines()
    bad_row = min(7, len(rows) - 2)
    _set_cell(target, "LEVELS", "Z9", row=bad_row)  # data row n is file line n + 2
    _set_cell(folders[-1] / "CONTRACT.csv", "LEVELS", "Y8", row=0)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [csv_root])
    found = {p.value: p for p in info.value.problems if p.rule == "contract.levels.code"}
    assert found["Z9"].file == str(target) and found["Z9"].line == bad_row + 2
    assert found["Y8"].file == str(folders[-1] / "CONTRACT.csv") and found["Y8"].line == 2
    assert _row(target, bad_row + 1).count("Z9") == 1  # the named line really holds the value
    _nothing_written(sqlite_settings, sqlite_db)


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    """Append rows, each a copy of data row ``_base`` with the given fields changed."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        existing = list(csv.DictReader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(existing[0]), lineterminator="\n")
        for row in rows:
            changes = {k: v for k, v in row.items() if k != "_base"}
            writer.writerow({**existing[int(row["_base"])], **changes})


def test_every_cross_table_rule_fires(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    """Each key, orphan, sum and dependency rule is found in one return (the one-pass screen
    that decides which rules to list must never miss one)."""
    from techforce.workforce.validate import YEAR_SQL, cross_rules

    d = _one_csv_return(small_files, tmp_path)
    _append(
        d / "PERSON.csv",
        [
            {"_base": "0", "STAFFID": "9999999999991"},  # PERSONKEY twice
            {"_base": "1", "PERSONKEY": "PX2"},  # STAFFID twice; PX2 has no contract
        ],
    )
    _append(
        d / "CONTRACT.csv",
        [
            {"_base": "0", "CONTID": "KX1"},  # CONTRACTKEY twice
            {"_base": "1", "CONTRACTKEY": "CX3"},  # STAFFID + CONTID twice; no activity
            {"_base": "2", "CONTRACTKEY": "CX4", "PERSONKEY": "P-none", "CONTID": "KX4"},  # orphan
            {"_base": "2", "CONTRACTKEY": "CX5", "CONTID": "KX5", "ACEMPFUN": ""},
        ],
    )
    _append(
        d / "ACTIVITY.csv",
        [{"_base": "0", "CONTRACTKEY": "C-none"}]  # key twice, orphan
        + [
            {
                "_base": "1",
                "ACTIVITYKEY": f"AX5-{i}",
                "CONTRACTKEY": "CX5",
                "ACTSOC": "2111",
                "CCPROP": "10.0",
            }
            for i in range(7)
        ],
    )  # 7 activities summing to 70, SOC 2 w/o ACEMPFUN
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [d])
    found = {p.rule for p in info.value.problems}
    expected = {rule.id for rule in cross_rules(YEAR_SQL)}
    assert expected <= found, expected - found
    _nothing_written(sqlite_settings, sqlite_db)
