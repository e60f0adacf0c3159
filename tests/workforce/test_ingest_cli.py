"""`techforce workforce ingest | synth | gc` as a user runs them: user data printed as plain
text, report paths checked first, --year and --multi-provider, small synthetic sectors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techforce.cli.main import app
from techforce.workforce import validate
from tests.workforce.test_bad_input import _one_csv_return, _one_xml, _set_cell

runner = CliRunner()


def _run(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def test_values_and_rule_ids_print_as_plain_text(small_files: Path, tmp_path: Path) -> None:
    path = _one_xml(small_files, tmp_path)
    text = path.read_text()
    text = text.replace("<SEXID>1</SEXID>", "<SEXID>[/x]</SEXID>", 1).replace(
        "<LEVELS>K0</LEVELS>", "<LEVELS>[bold]</LEVELS>", 1
    )
    path.write_text(text)
    code, out = _run(tmp_path / "data", "workforce", "ingest", str(path))
    assert code == 2
    assert "'[/x]'" in out and "[person.sexid.code]" in out
    assert "'[bold]'" in out and "[contract.levels.code]" in out
    assert "nothing was written" in out


def test_warnings_print_as_plain_text(small_files: Path, tmp_path: Path) -> None:
    path = _one_xml(small_files, tmp_path)
    path.write_text(path.read_text().replace("<OWNSTAFFID>", "<NOTE>[/red] see HR</NOTE><OWNSTAFFID>", 1))
    code, out = _run(tmp_path / "data", "workforce", "ingest", str(path))
    assert code == 0, out
    assert "[xml.unknown_element]" in out and "1 warning(s)" in out


def test_a_file_name_is_not_markup(small_files: Path, tmp_path: Path) -> None:
    folder = tmp_path / "[red]returns[bold]"
    folder.mkdir()
    path = folder / "x.txt"
    path.write_text("not a return")
    code, out = _run(tmp_path / "data", "workforce", "ingest", str(path))
    assert code == 2 and f"{folder}/x.txt" in out and "not an .xml or .csv file" in out


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("problems.txt", "must end in .csv or .json"),
        ("missing/folder/problems.csv", "does not exist"),
    ],
)
def test_bad_report_path_is_refused_before_ingesting(
    report: str, message: str, small_files: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    path = _one_xml(small_files, tmp_path)
    path.write_text(path.read_text().replace("<SEXID>1</SEXID>", "<SEXID>7</SEXID>", 1))
    code, out = _run(data, "workforce", "ingest", str(path), "--report", str(tmp_path / report))
    assert code == 2 and message in out
    assert "person.sexid.code" not in out  # refused before the return was read
    assert not data.exists()


def test_report_is_written_with_the_true_count(
    small_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate, "MAX_ROWS_PER_RULE", 3)
    folder = _one_csv_return(small_files, tmp_path)
    with (folder / "CONTRACT.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in range(len(rows)):
        _set_cell(folder / "CONTRACT.csv", "LEVELS", "Z9", row=row)
    report = tmp_path / "report.json"
    code, out = _run(tmp_path / "data", "workforce", "ingest", str(folder), "--report", str(report))
    assert code == 2
    assert f"{len(rows):,} errors (first 3 listed) found; nothing was written" in out
    assert f"{report.parent / 'return' / 'CONTRACT.csv'}:2: LEVELS = 'Z9'" in out  # one line, not wrapped
    listed = json.loads(report.read_text())
    assert [p["rule"] for p in listed] == ["contract.levels.code"] * 4
    assert f"{len(rows):,} in all" in listed[-1]["message"]


def test_year_option_for_a_return_without_recid(small_files: Path, tmp_path: Path) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    person = folder / "PERSON.csv"
    with person.open(newline="") as handle:
        rows = [{k: v for k, v in r.items() if k != "RECID"} for r in csv.DictReader(handle)]
    with person.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out = _run(
        tmp_path / "data", "workforce", "ingest", str(folder), "--year", "2022/23", "--format", "json"
    )
    assert code == 0, out
    assert [r["year"] for r in json.loads(out)["rows"]] == ["2022/23"]
    code, out = _run(tmp_path / "data", "workforce", "ingest", str(folder), "--year", "[/x]")
    assert code == 2 and "not a reporting year: '[/x]'" in out


def test_multi_provider_flag(small_files: Path, tmp_path: Path) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    other = sorted((small_files / "2022" / "csv").iterdir())[1].name
    _set_cell(folder / "PERSON.csv", "UKPRN", other, row=0)
    code, out = _run(tmp_path / "data", "workforce", "ingest", str(folder))
    assert code == 2 and "[ingest.one_return.ukprn]" in out and "--multi-provider" in out
    code, out = _run(
        tmp_path / "data", "workforce", "ingest", str(folder), "--multi-provider", "--format", "json"
    )
    assert code == 0, out
    assert len(json.loads(out)["rows"]) == 2


def test_synth_small_sector_then_ingest(tmp_path: Path) -> None:
    out_dir = tmp_path / "sector"
    code, out = _run(
        tmp_path / "data",
        "workforce",
        "synth",
        str(out_dir),
        "--providers",
        "4",
        "--scale",
        "0.01",
        "--shape",
        "csv",
    )
    assert code == 0, out
    assert len(list((out_dir / "2022" / "csv").iterdir())) == 4
    code, out = _run(
        tmp_path / "data",
        "workforce",
        "ingest",
        str(out_dir / "2022" / "csv"),
        str(out_dir / "2023" / "csv"),
        "--format",
        "json",
    )
    assert code == 0, out
    assert len(json.loads(out)["rows"]) == 8


@pytest.mark.parametrize("providers", ["0", "-3"])
def test_synth_refuses_fewer_than_one_provider(providers: str, tmp_path: Path) -> None:
    code, out = _run(
        tmp_path / "data", "workforce", "synth", str(tmp_path / "sector"), "--providers", providers
    )
    assert code == 2 and "--providers must be at least 1" in out
    assert not (tmp_path / "sector").exists()


def test_gc_on_a_new_folder_creates_nothing(tmp_path: Path) -> None:
    code, out = _run(tmp_path / "data", "workforce", "gc")
    assert code == 0 and "nothing to remove" in out
    assert not (tmp_path / "data").exists()


def test_gc_removes_what_an_interrupted_ingest_left(small_files: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(data, "workforce", "ingest", str(small_files / "2022" / "csv"))[0] == 0
    left = data / "snapshots" / ".tmp-interrupted"
    left.mkdir()
    (left / "part.parquet").write_bytes(b"x")
    shutil.copy(next((data / "snapshots").rglob("*.parquet")), data / "snapshots" / "stray.parquet")
    code, out = _run(data, "workforce", "gc")
    assert code == 0 and "removed 2 unreferenced file(s)" in out
    assert not left.exists()
