"""`techforce library ...` from the shell, on SQLite and PostgreSQL: resources added from files
and links, searched, listed and removed; exported as CSV and imported back; the public
catalogue as a static site and a BagIt bag; the demo. Bad files, bad fields and unknown
slugs exit 2 with a message naming the file or field and the fix, and store nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bagit
import pytest
import typer
from typer.testing import CliRunner

from techforce.cli import library as library_cli
from techforce.cli import main
from techforce.settings import Settings

runner = CliRunner()


def _app() -> typer.Typer:
    """`techforce library` as the shell runs it, with the database closed after each command
    (the shell leaves that to the process's exit; PostgreSQL's test cluster outlives it)."""
    root = typer.Typer(cls=main.Shell, no_args_is_help=True, pretty_exceptions_enable=False)

    @root.callback()
    def shell(
        ctx: typer.Context,
        data_dir: Path | None = typer.Option(None),
        user: str | None = typer.Option(None),
    ) -> None:
        main.main(ctx, data_dir, user)
        context = ctx.obj
        ctx.call_on_close(lambda: context._db.dispose() if context._db is not None else None)

    root.add_typer(library_cli.app, name="library")
    return root


APP = _app()


@pytest.fixture
def data(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder of a fresh store (SQLite, or PostgreSQL through the environment)."""
    if settings.database_url:
        monkeypatch.setenv("TECHFORCE_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("TECHFORCE_DATABASE_URL", raising=False)
    return settings.data_dir


def _run(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(APP, ["--data-dir", str(data), "--user", "curator", "library", *args])
    return result.exit_code, result.output


def _list(data: Path) -> dict[str, dict[str, object]]:
    code, out = _run(data, "list", "--format", "json")
    assert code == 0, out
    return {str(r["slug"]): r for r in json.loads(out)["rows"]}


def _pdf(js: bool = False) -> bytes:
    import weasyprint
    from pypdf import PdfReader, PdfWriter

    made = bytes(weasyprint.HTML(string="<p>Succession planning for workshop technicians.</p>").write_pdf())
    if not js:
        return made
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(made)))
    writer.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def filled(data: Path, tmp_path: Path) -> Path:
    """Three resources: a public PDF report, a private text guide and a public video."""
    report = tmp_path / "Succession.pdf"
    report.write_bytes(_pdf())
    guide = tmp_path / "guide.txt"
    guide.write_text("Mentors help apprentices register as RSciTech.\n", encoding="utf-8")
    transcript = tmp_path / "talk.txt"
    transcript.write_text("We talk about succession and retirement in workshops.", encoding="utf-8")
    added = [
        (
            str(report), "--title", "Succession planning", "--kind", "report", "--author", "Ada Lovelace",
            "--author", "Grace Hopper", "--published", "2023-06-01", "--pillar", "sustainability",
            "--keyword", "succession", "--licence", "CC-BY-4.0", "--organisation", "Midlands Consortium",
        ),
        (str(guide), "--title", "Registration guide", "--kind", "guide", "--audience", "signed-in", "--slug", "registration"),
        (
            "https://example.org/v/1", "--title", "Technicians talk", "--kind", "video",
            "--transcript", str(transcript), "--link", "programme:herbie",
        ),
    ]  # fmt: skip
    for args in added:
        code, out = _run(data, "add", *args)
        assert code == 0, out
        assert out.startswith("Added ")
    return data


def test_added_resources_are_listed_and_found(filled: Path) -> None:
    listed = _list(filled)
    assert set(listed) == {"succession-planning", "registration", "technicians-talk"}
    assert listed["registration"]["audience"] == "signed-in"
    assert listed["succession-planning"]["file"] == "Succession.pdf"
    assert listed["succession-planning"]["year"] == 2023
    code, out = _run(filled, "search", "succession", "--format", "json")
    assert code == 0, out
    found = json.loads(out)
    assert [r["slug"] for r in found["rows"]][:1] == ["succession-planning"]
    assert {r["slug"] for r in found["rows"]} == {"succession-planning", "technicians-talk"}
    assert all(r["score"] > 0 and "uccession" in r["snippet"] for r in found["rows"])
    code, out = _run(filled, "search", "register", "--format", "json")
    assert code == 0 and [r["slug"] for r in json.loads(out)["rows"]] == ["registration"], (
        "the operator sees private ones"
    )
    code, out = _run(filled, "search", "succession", "--kind", "video")
    assert code == 0, out
    assert "technicians-talk" in out and "succession-planning" not in out and "1 of 1" in out
    code, out = _run(filled, "search", "succession", "--year", "2023", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "score,slug,title,kind,year,snippet"
    assert len(out.splitlines()) == 2
    code, out = _run(filled, "list")
    assert code == 0 and "Registration" in out and "Succession.pdf" in out


def test_bad_additions_exit_2_naming_the_file_or_field_and_store_nothing(data: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.pdf"
    hostile.write_bytes(_pdf(js=True))
    wrong = tmp_path / "notes.pdf"
    wrong.write_text("plain text, not a PDF")
    cases = [
        (
            (str(tmp_path / "missing.pdf"), "--title", "T", "--kind", "report"),
            ["missing.pdf", "no such file"],
        ),
        ((str(hostile), "--title", "T", "--kind", "report"), ["hostile.pdf", "JavaScript", "Fix"]),
        ((str(wrong), "--title", "T", "--kind", "report"), ["notes.pdf"]),
        (("https://example.org", "--title", "T", "--kind", "podcast"), ["kind", "choose one of"]),
        (
            ("https://example.org", "--title", "T", "--kind", "guide", "--audience", "everyone"),
            ["audience", "provider:"],
        ),
        (
            ("https://example.org", "--title", "T", "--kind", "guide", "--published", "31/3/24"),
            ["--published", "YYYY-MM-DD"],
        ),
        (
            ("https://example.org", "--title", "T", "--kind", "guide", "--slug", "Bad Slug"),
            ["slug", "lower-case"],
        ),
    ]
    for args, words in cases:
        code, out = _run(data, "add", *args)
        assert code == 2, (args, out)
        for word in words:
            assert word in out, (word, out)
    assert _list(data) == {}


def test_remove_and_an_unknown_slug(filled: Path) -> None:
    code, out = _run(filled, "remove", "registration")
    assert code == 0 and "Removed registration" in out
    assert "registration" not in _list(filled)
    code, out = _run(filled, "remove", "registration")
    assert code == 2 and "techforce library list" in out


def test_export_then_import_and_a_bad_csv_changes_nothing(filled: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "export"
    code, out = _run(filled, "export", str(out_dir))
    assert code == 0 and "Exported 3 resources" in out, out
    assert (out_dir / "files" / "succession-planning.pdf").is_file()
    code, out = _run(filled, "import", str(out_dir / "resources.csv"))
    assert code == 0 and "0 added, 0 updated, 3 unchanged" in out, out
    _run(filled, "remove", "registration")
    code, out = _run(filled, "import", str(out_dir / "resources.csv"))
    assert code == 0 and "1 added, 0 updated, 2 unchanged" in out, out
    assert _list(filled)["registration"]["audience"] == "signed-in"
    rows = list(csv.DictReader(io.StringIO((out_dir / "resources.csv").read_text(encoding="utf-8"))))
    rows[0]["kind"] = "podcast"
    rows[1]["file"] = "../../etc/passwd"
    rows[2]["title"] = "Changed"
    with (out_dir / "resources.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = _list(filled)
    code, out = _run(filled, "import", str(out_dir / "resources.csv"))
    assert code == 2, out
    assert "resources.csv:2" in out and "resources.csv:3" in out and "nothing was written" in out
    assert _list(filled) == before
    code, out = _run(filled, "import", str(tmp_path / "nothing.csv"))
    assert code == 2 and "nothing.csv" in out


def test_the_site_and_the_bag_hold_public_resources_only(filled: Path, tmp_path: Path) -> None:
    code, out = _run(filled, "export-site", str(tmp_path / "site"))
    assert code == 0, out
    assert "2 public resources" in out
    pages = sorted(p.name for p in (tmp_path / "site" / "resources").iterdir())
    assert pages == ["succession-planning.html", "technicians-talk.html"]
    code, out = _run(filled, "export-bag", str(tmp_path / "bag"))
    assert code == 0, out
    made = bagit.Bag(str(tmp_path / "bag"))
    assert made.is_valid()
    assert sorted(p.name for p in (tmp_path / "bag" / "data" / "files").iterdir()) == [
        "succession-planning.pdf"
    ]
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("precious")
    code, out = _run(filled, "export-site", str(tmp_path / "busy"))
    assert code == 2 and "not a previous library export" in out
    assert (tmp_path / "busy" / "thesis.docx").read_text() == "precious"


def test_the_demo_loads_once(data: Path) -> None:
    code, out = _run(data, "demo", "--count", "6")
    assert code == 0, out
    assert "Loaded 6 demo resources" in out
    assert len(_list(data)) == 6
    code, out = _run(data, "demo", "--count", "6")
    assert code == 2 and "already loaded" in out
    assert len(_list(data)) == 6
    code, out = _run(data, "demo", "--count", "0")
    assert code == 2 and "1 to 1000" in out


def test_a_table_of_hits_marks_the_query_words_in_bold() -> None:
    from rich.console import Console

    rows = [{"score": 1.5, "slug": "s", "title": "[bold]T[/bold]", "kind": "guide", "year": 2024}]
    snippet = (("Plan for ", False), ("succession", True), (" now", False))
    console = Console(record=True, force_terminal=True, width=100)
    console.print(library_cli._hits_table(rows, [snippet], "succession"))
    styled = console.export_text(styles=True)
    assert "\x1b[1msuccession\x1b[0m" in styled
    assert "[bold]T[/bold]" in styled, "titles are shown as typed, never read as markup"
