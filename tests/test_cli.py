"""The CLI as a user runs it: every data command takes --format, errors say how to fix."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from techforce.cli.main import app
from techforce.cli.output import Format, emit
from techforce.present.tables import to_csv
from techforce.settings import Settings

runner = CliRunner()


def _run(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data), *args])
    return result.exit_code, result.output


def test_ingest_indicators_compare_as_json(tmp_path: Path, small_files: Path) -> None:
    data = tmp_path / "data"
    code, out = _run(data, "workforce", "ingest", str(small_files / "2022" / "csv"), "--format", "json")
    assert code == 0, out
    assert len(json.loads(out)["rows"]) == 24
    assert _run(data, "workforce", "peers", "import", str(small_files / "peer_groups.csv"))[0] == 0
    assert _run(data, "workforce", "providers", str(small_files / "providers.csv"))[0] == 0
    code, out = _run(
        data, "workforce", "indicators", "-i", "tech.headcount", "-i", "leadership.share", "--format", "json"
    )
    assert code == 0, out
    body = json.loads(out)
    assert body["meta"]["definition"] == "core@v1" and body["meta"]["disclosure"] == "hesa-standard@v2+ckm-3"
    headcount = next(r for r in body["rows"] if r["indicator"] == "tech.headcount")
    assert headcount["value"] % 5 == 0 and "rounded" in headcount["disclosure"]
    code, out = _run(
        data,
        "workforce",
        "compare",
        "10000001",
        "--peer-group",
        "Midlands Technical Consortium",
        "--format",
        "csv",
    )
    assert code == 0, out
    assert out.splitlines()[0].startswith("indicator,year,provider,group,value,median")
    code, out = _run(data, "workforce", "indicators", "--list", "--format", "csv")
    assert "tech.women_in_leadership" in out


def test_broken_file_exit_code_report_and_nothing_written(tmp_path: Path, small_files: Path) -> None:
    data = tmp_path / "data"
    broken = tmp_path / "broken.xml"
    broken.write_text(
        (small_files / "2022" / "xml" / "10000001.xml").read_text().replace("<SEXID>2", "<SEXID>7", 1)
    )
    code, out = _run(data, "workforce", "ingest", str(broken), "--report", str(tmp_path / "r.csv"))
    assert code == 2
    assert "nothing was written" in out and "SEXID" in out
    assert "person.sexid.code" in (tmp_path / "r.csv").read_text()
    code, out = _run(data, "workforce", "snapshots", "--format", "json")
    assert json.loads(out)["rows"] == []


def test_unknown_definition_and_unrounded_refused(tmp_path: Path, small_files: Path) -> None:
    data = tmp_path / "data"
    _run(data, "workforce", "ingest", str(small_files / "2022" / "csv"))
    code, out = _run(data, "workforce", "indicators", "--definition", "nope")
    assert code == 2 and "core@v1" in out
    code, out = _run(data, "workforce", "indicators", "--unrounded")
    assert code == 2 and "TECHFORCE_ALLOW_UNROUNDED" in out


def test_user_definition_from_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    spec = tmp_path / "mine.json"
    spec.write_text(
        json.dumps(
            {"name": "labs", "title": "Lab technicians only", "soc2010": ["3111"], "soc2020": ["3111"]}
        )
    )
    code, out = _run(data, "workforce", "definitions", "--add", str(spec), "--format", "json")
    assert code == 0, out
    assert any(r["definition"] == "labs@v1" for r in json.loads(out[out.index("{") :])["rows"])
    spec.write_text(json.dumps({"name": "labs", "title": "x", "soc2010": ["31a"], "soc2020": []}))
    code, out = _run(data, "workforce", "definitions", "--add", str(spec))
    assert code == 2 and "soc2010" in out


def test_every_command_and_setting_is_documented() -> None:
    readme = Path(__file__).parents[1].joinpath("README.md").read_text()
    root = typer.main.get_command(app)
    commands = ["settings", "demo"]
    for name, command in getattr(root, "commands", {}).items():
        commands.append(name)
        commands += list(getattr(command, "commands", {}))  # a group's subcommands
    assert "research" in commands and "import-qdpx" in commands
    missing = [c for c in commands if not re.search(rf"\b{c}\b", readme)]
    assert not missing, f"undocumented commands: {missing}"
    missing_settings = [n for n in Settings.model_fields if f"TECHFORCE_{n.upper()}" not in readme]
    assert not missing_settings, f"undocumented settings: {missing_settings}"


def test_users_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    providers = tmp_path / "providers.csv"
    providers.write_text("UKPRN,HE provider\n10000001,University of Ashford\n10000038,Bramley University\n")
    code, out = _run(data, "users", "add", "lead", "--role", "provider-lead", "--provider", "10000001")
    assert code == 2 and "no providers are known yet" in out and "techforce workforce providers" in out
    assert _run(data, "workforce", "providers", str(providers))[0] == 0
    code, out = _run(data, "users", "add", "lead", "--role", "provider-lead", "--provider", "10000001")
    assert code == 0 and "one-time password:" in out
    code, out = _run(data, "users", "add", "lead", "--role", "admin")
    assert code == 2 and "exists already" in out
    code, out = _run(data, "users", "add", "xy", "--role", "wizard")
    assert code == 2 and "unknown role" in out and "sector-analyst" in out
    code, out = _run(data, "users", "set-role", "lead", "--role", "researcher")
    assert code == 0
    code, out = _run(data, "users", "disable", "lead")
    assert code == 0
    code, out = _run(data, "users", "reset-password", "lead")
    assert code == 0 and "one-time password for lead" in out
    code, out = _run(data, "users", "list", "--format", "json")
    rows = json.loads(out[out.index("{") :])["rows"]
    assert rows == [
        {
            "username": "lead",
            "role": "researcher",
            "providers": "",
            "disabled": True,
            "must_change_password": True,
            "created": rows[0]["created"],
        }
    ]


def test_csv_output_neutralises_formula_cells(capsys: pytest.CaptureFixture[str]) -> None:
    """OWASP CSV injection: text that a spreadsheet would run is prefixed with a quote; real
    numbers (negative ones too) stay numbers."""
    rows = [
        {"name": '=HYPERLINK("http://evil.example","x")', "change": -5, "note": "-3 points", "n": 1.5},
        {"name": "+cmd|' /C calc'!A0", "change": 0, "note": "@SUM(A1)", "n": -0.25},
        {"name": "\tTAB", "change": None, "note": "\rCR", "n": 2},
        {"name": "plain", "change": 3, "note": "a - b = c", "n": 0},
    ]
    emit(rows, Format.csv)
    parsed = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert parsed[0] == ["name", "change", "note", "n"]
    assert parsed[1] == ['\'=HYPERLINK("http://evil.example","x")', "-5", "'-3 points", "1.5"]
    assert parsed[2] == ["'+cmd|' /C calc'!A0", "0", "'@SUM(A1)", "-0.25"]
    assert parsed[3] == ["'\tTAB", "", "'\rCR", "2"]
    assert parsed[4] == ["plain", "3", "a - b = c", "0"]
    assert to_csv([{"=header": 1}]).splitlines()[0] == "'=header"


def test_data_commands_run_without_the_web_extra(tmp_path: Path) -> None:
    """`pip install techforce` (no extras): argon2, zxcvbn, FastAPI and uvicorn are missing;
    the data commands still run and `users` says what to install. (`make test` also checks a
    real plain install in a second venv.)"""
    script = """
import sys
BLOCKED = {"argon2", "zxcvbn", "fastapi", "uvicorn", "starlette", "multipart", "python_multipart"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Block())
from typer.testing import CliRunner
from techforce.cli.main import app
runner = CliRunner()
data = sys.argv[1]
for args in (["--help"], ["workforce", "synth", data + "/OUT", "--providers", "12", "--scale", "0.01"],
             ["workforce", "ingest", data + "/OUT/2022/csv", "--format", "json"], ["users", "list"]):
    result = runner.invoke(app, ["--data-dir", data + "/d", *args])
    print("EXIT", args[0], result.exit_code, result.output[-300:].replace(chr(10), " "))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    exits = [line.split()[2] for line in done.stdout.splitlines() if line.startswith("EXIT")]
    assert exits == ["0", "0", "0", "2"], done.stdout + done.stderr
    assert "pip install 'techforce[web]'" in done.stdout and "missing argon2" in done.stdout


def test_disclosure_command_publishes_the_method(tmp_path: Path) -> None:
    code, out = _run(tmp_path / "data", "workforce", "disclosure", "--format", "json")
    assert code == 0, out
    rows = {r["item"]: r["value"] for r in json.loads(out)["rows"]}
    assert rows["stamp"] == "hesa-standard@v2+ckm-3" and rows["percent_min_population"] == 22.5
    assert rows["true count 0 is published as"] == "0 (1.0)"


def test_peer_group_names_print_as_text_not_markup(tmp_path: Path, small_files: Path) -> None:
    data = tmp_path / "data"
    assert _run(data, "workforce", "ingest", str(small_files / "2022" / "csv"))[0] == 0
    members = sorted({p.name for p in (small_files / "2022" / "csv").iterdir()})[:5]
    code, out = _run(data, "workforce", "peers", "add", "[red] [bold]g", *members)
    assert code == 0, out
    code, out = _run(data, "workforce", "peers", "list")
    assert code == 0 and "[red] [bold]g" in out


# --------------------------------------------------------------------------- finding things


@pytest.fixture(scope="module")
def sector(small_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both years of the small sector ingested, providers named, peer groups imported."""
    data = tmp_path_factory.mktemp("cli") / "data"
    for args in (
        ["workforce", "providers", str(small_files / "providers.csv")],
        ["workforce", "ingest", str(small_files / "2022" / "csv"), str(small_files / "2023" / "csv")],
        ["workforce", "peers", "import", str(small_files / "peer_groups.csv")],
    ):
        code, out = _run(data, *args)
        assert code == 0, out
    return data


def _wide(data: Path, *args: str) -> tuple[int, str]:
    """Run on a wide terminal, so that a table's cells stay on one line each."""
    result = runner.invoke(app, ["--data-dir", str(data), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _error(out: str) -> str:
    """The error line(s), joined: Rich may wrap a long message."""
    return " ".join(out[out.index("error:") :].split())


GROUP = "Midlands Technical Consortium"


def test_unknown_provider_is_an_error_naming_the_nearest(sector: Path) -> None:
    code, out = _run(sector, "workforce", "indicators", "--provider", "1234")
    assert code == 2 and "no provider '1234'" in _error(out) and "nearest:" in out
    assert re.search(r"\(1\d{7}\)", _error(out))  # nearest providers, with their UKPRNs
    code, out = _run(sector, "workforce", "compare", "99999999", "--peer-group", GROUP)
    assert code == 2 and "no provider '99999999'" in _error(out)
    code, out = _run(sector, "workforce", "indicators", "--provider", "Univrsity of Ashfrd")
    assert code == 2 and "University of Ashford (10000001)" in _error(out)
    code, out = _run(sector, "workforce", "snapshots", "--provider", "nowhere")
    assert code == 2 and "no provider 'nowhere'" in _error(out)
    code, out = _run(sector, "workforce", "peers", "add", "Mine", "10000001", "99999999")
    assert code == 2 and "no provider '99999999'" in _error(out)


def test_users_add_refuses_an_unknown_provider(sector: Path) -> None:
    code, out = _run(sector, "users", "add", "x", "--role", "provider-lead", "--provider", "99999999")
    assert code == 2 and "no provider '99999999'" in _error(out) and "nearest:" in out
    code, out = _run(sector, "users", "list", "--format", "json")
    assert json.loads(out)["rows"] == []  # nothing was added
    code, out = _run(sector, "users", "set-role", "nobody", "--role", "provider-lead", "--provider", "zzz")
    assert code == 2 and "no provider 'zzz'" in _error(out)


def test_provider_by_a_unique_part_of_its_name(sector: Path) -> None:
    code, out = _run(
        sector, "workforce", "indicators", "--provider", "bramley", "-i", "tech.headcount", "-f", "json"
    )
    assert code == 0, out
    body = json.loads(out)
    assert {r["scope"] for r in body["rows"]} == {"10000038"}
    assert body["title"].startswith("Indicators: Bramley University (10000038)")
    code, out = _run(sector, "workforce", "compare", "ashford", "--peer-group", GROUP, "-f", "json")
    assert code == 0, out
    assert {r["provider"] for r in json.loads(out)["rows"]} == {"10000001"}
    code, out = _run(sector, "users", "add", "lead", "--role", "provider-lead", "--provider", "KINGSMERE")
    assert code == 0, out
    code, out = _run(sector, "users", "list", "--format", "json")
    assert json.loads(out)["rows"][0]["providers"] == "10000371"
    code, out = _run(sector, "users", "list")
    assert "Kingsmere College" in out and "(10000371)" in out


def test_an_ambiguous_name_lists_the_matches(sector: Path) -> None:
    code, out = _run(sector, "workforce", "indicators", "--provider", "university of")
    assert code == 2
    message = _error(out)
    assert "'university of' matches 6 providers" in message
    assert "University of Ashford (10000001)" in message and "type more of the name" in message


def test_unknown_indicator_year_and_group_list_the_choices(sector: Path) -> None:
    code, out = _run(sector, "workforce", "indicators", "-i", "tech.headcont")
    assert code == 2 and "no indicator 'tech.headcont'; did you mean: tech.headcount" in _error(out)
    code, out = _run(sector, "workforce", "compare", "10000001", "--peer-group", GROUP, "-i", "tech.by_soc")
    assert code == 2 and "no single-valued indicator 'tech.by_soc'" in _error(out)
    code, out = _run(sector, "workforce", "indicators", "--year", "2019")
    assert code == 2 and "no data for 2019/20; years held: 2022/23, 2023/24" in _error(out)
    code, out = _run(sector, "workforce", "indicators", "--year", "last")
    assert code == 2 and "not a reporting year" in out and "years held: 2022/23, 2023/24" in _error(out)
    code, out = _run(sector, "workforce", "compare", "10000001", "--peer-group", GROUP, "--year", "2021/22")
    assert code == 2 and "years held: 2022/23, 2023/24" in _error(out)
    code, out = _run(sector, "workforce", "snapshots", "--year", "2030")
    assert code == 2 and "years held: 2022/23, 2023/24" in _error(out)
    code, out = _run(sector, "workforce", "compare", "10000001", "--peer-group", "Midlands")
    assert code == 2 and "no peer group 'Midlands'; did you mean: Midlands Technical Consortium" in _error(
        out
    )
    code, out = _run(sector, "workforce", "indicators", "--peer-group", "Englnd")
    assert code == 2 and "did you mean: England" in _error(out)
    code, out = _run(sector, "workforce", "peers", "remove", "englnd")
    assert code == 2 and "did you mean: England" in _error(out)
    code, out = _run(sector, "workforce", "indicators", "--provider", "10000001", "--peer-group", GROUP)
    assert code == 2 and "not both" in out


def test_a_provider_without_a_return_that_year(sector: Path, tmp_path: Path) -> None:
    names = tmp_path / "more.csv"
    names.write_text("UKPRN,HE provider\n10009999,Newcome College\n")
    assert _run(sector, "workforce", "providers", str(names))[0] == 0
    code, out = _run(sector, "workforce", "indicators", "--provider", "newcome")
    assert code == 2 and "no return from Newcome College (10009999) has been ingested" in _error(out)


def test_a_top_level_command_from_a_group_names_its_full_path(tmp_path: Path) -> None:
    code, out = _run(tmp_path / "data", "indicators")
    assert code == 2 and "did you mean `techforce workforce indicators`?" in out
    code, out = _run(tmp_path / "data", "peers", "list")
    assert code == 2 and "did you mean `techforce workforce peers`?" in out
    code, out = _run(tmp_path / "data", "list")
    assert code == 2 and "`techforce workforce peers list`" in out and "`techforce users list`" in out
    assert not (tmp_path / "data").exists()  # nothing ran


def test_tables_show_names_labels_and_formatted_numbers(sector: Path) -> None:
    code, out = _wide(
        sector,
        "workforce",
        "indicators",
        "--provider",
        "10000001",
        "-i",
        "tech.by_soc",
        "-i",
        "tech.by_level",
        "-i",
        "staff.headcount",
    )
    assert code == 0, out
    assert "Technical staff by SOC unit group" in out and "Laboratory technicians" in out
    assert re.search(r"[A-Z]\d Level", out) or "XpertHR level" in out  # LEVELS carry their titles
    code, out = _wide(
        sector, "workforce", "indicators", "-i", "staff.headcount", "-i", "leadership.has_leader"
    )
    assert re.search(r"\s\d{1,3},\d{3}\s", out)  # thousands separators
    assert not re.search(r"\b\d+\.0\b", out)  # no ".0" on counts (the JSON has 6.0 providers)
    code, out = _run(
        sector, "workforce", "indicators", "--provider", "10000001", "-i", "tech.by_soc", "-f", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["category"].isdigit() and list(rows[0]) == [
        "indicator",
        "scope",
        "year",
        "category",
        "value",
        "display",
        "disclosure",
    ]  # machine output keeps the raw codes and its columns
    code, out = _wide(sector, "workforce", "compare", "10000001", "--peer-group", GROUP)
    assert "University of Ashford (10000001)" in out and "lower q." in out and "tech.fpe" not in out
    code, out = _run(sector, "workforce", "compare", "10000001", "--peer-group", GROUP, "-f", "json")
    assert list(json.loads(out)["rows"][0]) == [
        "indicator",
        "year",
        "provider",
        "group",
        "value",
        "median",
        "lower_quartile",
        "upper_quartile",
        "rank",
        "of",
        "quartile",
    ]


def test_peers_list_counts_and_full_members(sector: Path) -> None:
    code, out = _run(sector, "workforce", "peers", "list")
    assert code == 0 and GROUP in out and "10000001" not in out and "--full" in out
    assert re.search(r"Midlands Technical Consortium\s+8\b", out)
    code, out = _run(sector, "workforce", "peers", "list", "--full")
    assert "University of Ashford" in out and "10000001" in out
    code, out = _run(sector, "workforce", "peers", "list", "-f", "json")
    row = next(r for r in json.loads(out)["rows"] if r["group"] == GROUP)
    assert row["members"] == 8 and row["ukprns"].split()[0] == "10000001"


def test_snapshots_by_year_and_provider(sector: Path) -> None:
    code, out = _run(sector, "workforce", "snapshots")
    assert code == 0
    assert "2022/23: 24 snapshot(s)" in out and "2023/24: 24 snapshot(s)" in out
    assert out.index("2022/23: 24") < out.index("2023/24: 24")
    code, out = _run(sector, "workforce", "snapshots", "--provider", "ashford", "-f", "json")
    rows = json.loads(out)["rows"]
    assert [(r["ukprn"], r["year"]) for r in rows] == [("10000001", "2022/23"), ("10000001", "2023/24")]
    code, out = _run(sector, "workforce", "snapshots", "--year", "2023", "-f", "json")
    assert {r["year"] for r in json.loads(out)["rows"]} == {"2023/24"}


def test_progress_stays_off_machine_output(tmp_path: Path) -> None:
    """Progress bars draw only on a terminal (stderr): piped output stays clean."""
    result = runner.invoke(
        app,
        [
            "--data-dir",
            str(tmp_path / "d"),
            "workforce",
            "synth",
            str(tmp_path / "s"),
            "--providers",
            "6",
            "--scale",
            "0.01",
        ],
    )
    assert result.exit_code == 0 and result.output.strip() == f"synthetic sector written to {tmp_path / 's'}"
    result = runner.invoke(
        app,
        [
            "--data-dir",
            str(tmp_path / "d"),
            "workforce",
            "ingest",
            str(tmp_path / "s" / "2022" / "csv"),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0 and len(json.loads(result.output)["rows"]) == 6
