"""Every CLI table fits an 80-column terminal without splitting a word.

Each command runs as a user runs it (COLUMNS=80); every table it prints is caught on its
way to the terminal, and every word of its title, headers and cells must appear whole in
what the user saw, as often as the table holds it. A word cut across two lines
("tech.headc" / "ount") is missing once, and the test names it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from techforce.cli.main import app

runner = CliRunner()
WIDTH = 80
BORDERS = re.compile(r"[\s\u2500-\u257f]+")  # whitespace and box-drawing characters


@pytest.fixture(scope="module")
def data(small_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sector: providers named, both years ingested, peer groups, an open-data table."""
    folder = tmp_path_factory.mktemp("layout") / "data"
    for args in (
        ["workforce", "providers", str(small_files / "providers.csv")],
        ["workforce", "ingest", str(small_files / "2022" / "csv"), str(small_files / "2023" / "csv")],
        ["workforce", "peers", "import", str(small_files / "peer_groups.csv")],
    ):
        result = runner.invoke(app, ["--data-dir", str(folder), *args])
        assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[Table]:
    """The tables the command prints, caught as Rich renders them."""
    caught: list[Table] = []
    original = Console.print

    def catch(self: Console, *objects: Any, **kwargs: Any) -> None:
        caught.extend(o for o in objects if isinstance(o, Table))
        original(self, *objects, **kwargs)

    monkeypatch.setattr(Console, "print", catch)
    return caught


def _words(renderable: Any) -> list[str]:
    text = renderable.plain if isinstance(renderable, Text) else str(renderable or "")
    return text.split()


def _table_words(table: Table) -> Counter[str]:
    words = Counter(_words(table.title))
    for column in table.columns:
        words.update(_words(column.header))
        for cell in column.cells:
            words.update(_words(cell))
    return words


def _check(data: Path, printed: list[Table], *args: str) -> str:
    """Run a command at 80 columns; every word of every table it printed is whole."""
    printed.clear()
    result = runner.invoke(app, ["--data-dir", str(data), *args], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    assert printed, f"{args} printed no table"
    seen = Counter(w for w in BORDERS.split(result.output) if w)
    for table in printed:
        missing = _table_words(table) - seen
        assert not missing, f"{' '.join(args)}: words split or cut: {sorted(missing)}\n{result.output}"
    too_wide = [line for line in result.output.splitlines() if len(line) > WIDTH]
    assert not too_wide, too_wide
    return result.output


def test_compare_table_keeps_words_whole(data: Path, printed: list[Table]) -> None:
    out = _check(
        data, printed, "workforce", "compare", "10000001", "--peer-group", "Midlands Technical Consortium"
    )
    assert "University of Ashford (10000001)" in out
    assert "lower q." in out and "Technical staff" in out and "tech.headcount" not in out
    assert re.search(r"\d+ of \d+", out)


@pytest.mark.parametrize(
    "args",
    [
        ("workforce", "snapshots"),
        ("workforce", "snapshots", "--provider", "ashford"),
        ("workforce", "definitions"),
        ("workforce", "definitions", "--show", "core"),
        ("workforce", "disclosure"),
        ("workforce", "indicators", "--list"),
        ("workforce", "indicators", "--year", "2022", "--year", "2023"),
        ("workforce", "indicators", "--provider", "10000001"),
        ("workforce", "indicators", "--peer-group", "Midlands Technical Consortium"),
        ("workforce", "peers", "list"),
        ("workforce", "peers", "list", "--full"),
        ("settings",),
    ],
    ids=lambda a: " ".join(a),
)
def test_every_table_fits_80_columns(data: Path, printed: list[Table], args: tuple[str, ...]) -> None:
    _check(data, printed, *args)


def test_ingest_aggregates_and_users_tables(
    small_files: Path, tmp_path: Path, small_sector: Any, printed: list[Table]
) -> None:
    data = tmp_path / "data"
    assert (
        runner.invoke(
            app, ["--data-dir", str(data), "workforce", "providers", str(small_files / "providers.csv")]
        ).exit_code
        == 0
    )
    out = _check(data, printed, "workforce", "ingest", str(small_files / "2022" / "csv"))
    assert "Ashford" in out and "(10000001)" in out  # names, wrapped between words
    from techforce.workforce import aggregates

    aggregates.write_open_data(small_sector, tmp_path / "open", 2022)
    table = next((tmp_path / "open").rglob("*.csv"))
    assert (
        runner.invoke(
            app, ["--data-dir", str(data), "workforce", "aggregates", "load", str(table), "--name", "occ"]
        ).exit_code
        == 0
    )
    _check(data, printed, "workforce", "aggregates", "show", "occ")
    for args in (
        [
            "users",
            "add",
            "lead",
            "--role",
            "provider-lead",
            "--provider",
            "10000001",
            "--provider",
            "10000038",
        ],
        ["users", "add", "someone.long@univ.example.ac.uk", "--role", "sector-analyst"],
    ):
        assert runner.invoke(app, ["--data-dir", str(data), *args]).exit_code == 0
    out = _check(data, printed, "users", "list")
    assert "Ashford" in out and "(10000001)" in out


def test_demo_tables(tmp_path: Path, printed: list[Table]) -> None:
    out = _check(tmp_path, printed, "demo", "--out", str(tmp_path / "demo"), "--scale", "0.01", "--no-serve")
    assert "Sector headline 2022/23" in out and "HTML summary:" in out
