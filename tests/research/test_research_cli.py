"""`techforce research ...` from the shell: the demo studies listed, agreement, the codebook
and the whole study out and back in, a transcript and a survey imported; bad files and
unknown studies exit 2 with a message naming the file and the fix, and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from techforce import capabilities
from techforce.cli import main
from techforce.cli import research as research_cli

runner = CliRunner()


def _app() -> typer.Typer:
    """`techforce` with its research commands (a stand-in until the capability registers them)."""
    if capabilities.RESEARCH.cli:
        return main.app
    root = typer.Typer(cls=main.Shell, no_args_is_help=True, pretty_exceptions_enable=False)
    root.callback()(main.main)
    root.add_typer(research_cli.app, name="research")
    return root


APP = _app()


def _run(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(APP, ["--data-dir", str(data), "--user", "olivia", "research", *args])
    return result.exit_code, result.output


def _studies(data: Path) -> list[dict[str, object]]:
    code, out = _run(data, "studies", "--format", "json")
    assert code == 0, out
    rows: list[dict[str, object]] = json.loads(out)["rows"]
    return rows


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder with the demo studies (a small survey)."""
    folder = tmp_path / "data"
    code, out = _run(folder, "demo", "--respondents", "25")
    assert code == 0, out
    assert "31 participants" in out and "25 respondents" in out
    assert "techforce users add olivia" in out, "without an account the owner is told how to see them"
    return folder


def _guid(data: Path, kind: str) -> str:
    return str(next(r["guid"] for r in _studies(data) if r["type"] == kind))


def test_the_demo_studies_are_listed_and_a_second_demo_is_refused(data: Path) -> None:
    rows = {r["type"]: r for r in _studies(data)}
    assert rows["interview"]["cases"] == 31 and rows["interview"]["sources"] == 31
    assert int(str(rows["interview"]["codings"])) > 1000 and int(str(rows["interview"]["codes"])) > 8
    assert rows["survey"]["cases"] == 25
    code, out = _run(data, "studies")
    assert code == 0 and str(rows["interview"]["guid"]) in out and "interview" in out
    code, out = _run(data, "demo", "--respondents", "5")
    assert code == 2 and "fresh data folder" in out
    assert len(_studies(data)) == 2


def test_agreement_per_code_and_overall(data: Path) -> None:
    code, out = _run(data, "agreement", _guid(data, "interview"), "--format", "json")
    assert code == 0, out
    shown = json.loads(out)
    overall = shown["rows"][-1]
    assert overall["code"] == "Overall (weighted)" and 0.6 <= overall["kappa"] <= 0.8
    assert len(shown["rows"]) > 9 and shown["meta"]["coders"] == "coder_a, coder_b"
    code, out = _run(data, "agreement", _guid(data, "interview"))
    assert code == 0 and "kappa" in out
    code, out = _run(data, "agreement", _guid(data, "survey"))
    assert code == 2 and "second coder" in out


def test_codebook_and_project_out_and_back_in(data: Path, tmp_path: Path) -> None:
    guid = _guid(data, "interview")
    for name in ("book.csv", "book.qdc"):
        code, out = _run(data, "export-codebook", guid, str(tmp_path / name))
        assert code == 0, out
        assert (tmp_path / name).stat().st_mode & 0o077 == 0, "study data is the owner's only"
        code, out = _run(data, "import-codebook", guid, str(tmp_path / name))
        assert code == 0 and "0 added, 0 updated" in out, out
    edited = (tmp_path / "book.csv").read_text(encoding="utf-8") + "Extra,Extra,#00aa00,A new code,,yes,\r\n"
    (tmp_path / "more.csv").write_text(edited, encoding="utf-8")
    code, out = _run(data, "import-codebook", guid, str(tmp_path / "more.csv"))
    assert code == 0 and "1 added" in out, out
    code, out = _run(data, "export-qdpx", guid, str(tmp_path / "study.qdpx"))
    assert code == 0, out
    code, out = _run(data, "import-qdpx", str(tmp_path / "study.qdpx"))
    assert code == 0, out
    new = out.split("as study ")[1].split()[0]
    rows = {r["guid"]: r for r in _studies(data)}
    assert rows[new]["codings"] == rows[guid]["codings"] and rows[new]["cases"] == 31


def test_a_bad_codebook_exits_2_and_changes_nothing(data: Path, tmp_path: Path) -> None:
    guid = _guid(data, "interview")
    before = _studies(data)
    bad = tmp_path / "bad.csv"
    bad.write_text("path,name,colour\r\nNew,New,not-a-colour\r\n", encoding="utf-8")
    code, out = _run(data, "import-codebook", guid, str(bad))
    assert code == 2 and "bad.csv" in out and "#rrggbb" in out
    (tmp_path / "book.txt").write_text("x", encoding="utf-8")
    code, out = _run(data, "import-codebook", guid, str(tmp_path / "book.txt"))
    assert code == 2 and "book.txt" in out and ".qdc" in out
    good = tmp_path / "good.csv"
    good.write_text("name\r\nFine\r\n", encoding="utf-8")
    code, out = _run(data, "import-codebook", "no-such-study", str(good))
    assert code == 2 and "techforce research studies" in out
    code, out = _run(data, "export-codebook", guid, str(tmp_path / "book.txt"))
    assert code == 2 and ".csv" in out
    not_zip = tmp_path / "broken.qdpx"
    not_zip.write_bytes(b"this is not a zip archive")
    code, out = _run(data, "import-qdpx", str(not_zip))
    assert code == 2 and "broken.qdpx" in out
    code, out = _run(data, "import-qdpx", str(tmp_path / "missing.qdpx"))
    assert code == 2 and "no such file" in out
    assert _studies(data) == before


def test_a_transcript_and_a_survey_are_imported(data: Path, tmp_path: Path) -> None:
    interview, survey = _guid(data, "interview"), _guid(data, "survey")
    transcript = tmp_path / "follow_up.txt"
    transcript.write_text(
        "Interviewer: Anything to add?\nP01: Only that the café closed. ☕\n", encoding="utf-8"
    )
    code, out = _run(data, "import-transcript", interview, str(transcript), "--case", "P99")
    assert code == 2 and "P99" in out
    code, out = _run(data, "import-transcript", interview, str(transcript), "--case", "P01")
    assert code == 0 and "2 turns" in out, out
    code, out = _run(data, "import-transcript", interview, str(transcript), "--case", "P01")
    assert code == 2 and "follow_up.txt" in out, "the same source name twice is refused"
    answers = tmp_path / "wave2.csv"
    answers.write_text(
        "respondent_id,institution,I feel valued\r\nW2-1,10000001,Agree\r\nW2-2,10000002,Disagree\r\n",
        encoding="utf-8",
    )
    code, out = _run(data, "import-survey", survey, str(answers), "--institution-column", "institution")
    assert code == 0 and "2 respondents" in out, out
    code, out = _run(data, "import-survey", survey, str(answers))
    assert code == 2 and "wave2.csv" in out and "imported before" in out
    rows = {r["guid"]: r for r in _studies(data)}
    assert rows[interview]["sources"] == 32 and rows[survey]["cases"] == 27
