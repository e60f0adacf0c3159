"""Hostile input against the ingest path: SQL through a CSV header, DuckDB reaching other
files, XML entities behind padding or another encoding, files and keys readable by others,
and a refused ingest that leaves things behind."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from techforce.cli.main import app
from techforce.db import Database
from techforce.settings import Settings
from techforce.workforce import ingest as ingest_module
from techforce.workforce import readers
from techforce.workforce.ingest import ingest
from techforce.workforce.problems import InputError
from tests.workforce.test_bad_input import _nothing_written, _one_csv_return, _one_xml

SECRET = "TOP-SECRET-4711"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\n", encoding="utf-8")
    return path


def _all_text(problems: object) -> str:
    return json.dumps([p.as_dict() for p in problems], default=str)  # type: ignore[attr-defined]


def _add_person_column(folder: Path, header_cell: str, value: str = "95") -> None:
    person = folder / "PERSON.csv"
    lines = person.read_text(encoding="utf-8").splitlines()
    person.write_text(
        "\n".join([f"{lines[0]},{header_cell}"] + [f"{line},{value}" for line in lines[1:]]) + "\n"
    )


def _payloads(secret: Path) -> list[str]:
    """Column names that, pasted into SQL, read another file into the DISABLE values (the
    first one did so before column names were matched against the known fields)."""
    path_hex = str(secret).encode().hex().upper()  # survives the header's upper-casing
    read = f"(SELECT content FROM read_text(decode(unhex('{path_hex}'))))"
    return [
        f'DISABLE" || {read} || "DISABLE',
        '"DISABLE"" || ' + read.replace("'", "''") + ' || ""DISABLE"',  # a quoted CSV cell, commas allowed
        f"DISABLE1) || {read} || (DISABLE",
    ]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_csv_header_cannot_reach_sql(
    which: int,
    secret: Path,
    sqlite_settings: Settings,
    sqlite_db: Database,
    small_files: Path,
    tmp_path: Path,
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    _add_person_column(folder, _payloads(secret)[which])
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    problems = info.value.problems
    assert SECRET not in _all_text(problems) and SECRET not in str(info.value)
    bad = [p for p in problems if p.rule == "csv.column_name"]
    assert bad, [p.describe() for p in problems[:5]]
    assert bad[0].file == str(folder / "PERSON.csv") and bad[0].line == 1
    assert "DISABLE" in bad[0].field and bad[0].fix
    _nothing_written(sqlite_settings, sqlite_db)


@pytest.mark.parametrize("name", ["DISABLE_X", "DISABLE100", "XDISABLE"])
def test_near_disable_columns_are_ignored_not_read(
    name: str, sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    """Only DISABLE and DISABLE<n> are repeated DISABLE fields; a look-alike is an unknown
    column (a warning), and its values are never read."""
    folder = _one_csv_return(small_files, tmp_path)
    _add_person_column(folder, name, "77")
    result = ingest(sqlite_settings, sqlite_db, [folder])
    assert any(w.rule == "csv.extra_column" and w.field == name for w in result.warnings)


def test_repeated_disable_columns_are_read(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    folder = _one_csv_return(small_files, tmp_path)
    _add_person_column(folder, "DISABLE2", "77")
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [folder])
    assert any(p.rule == "person.disable.code" and p.value.endswith(";77") for p in info.value.problems)


def test_duckdb_cannot_read_other_files_during_ingest(
    secret: Path,
    sqlite_settings: Settings,
    sqlite_db: Database,
    small_files: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defence in depth: even a subverted query cannot reach a file that is not an input."""
    original = ingest_module.snapshot_query

    def subverted(con: duckdb.DuckDBPyConnection, key: bytes, year: int | None) -> str:
        return (
            f"SELECT q.* REPLACE (q.sex || (SELECT content FROM read_text('{secret}')) AS sex) "
            f"FROM ({original(con, key, year)}) q"
        )

    monkeypatch.setattr(ingest_module, "snapshot_query", subverted)
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        ingest(sqlite_settings, sqlite_db, [small_files / "2022" / "csv"])
    _nothing_written(sqlite_settings, sqlite_db)
    assert not list(sqlite_settings.snapshot_dir.glob(".tmp-*"))


def test_locked_connection_cannot_widen_itself(secret: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "in.csv"
    allowed.write_text("a\n1\n")
    con = readers.locked_connection([str(allowed)], f"{tmp_path / 'out'}{os.sep}")
    assert con.execute("SELECT count(*) FROM read_csv(?)", [str(allowed)]).fetchone() == (1,)
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        con.execute("SELECT * FROM read_text(?)", [str(secret)])
    for statement in (
        "SET enable_external_access = true",
        "SET allowed_paths = ['/']",
        "SET autoload_known_extensions = true",
        "RESET lock_configuration",
    ):
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute(statement)
    with pytest.raises(duckdb.Error):
        con.execute("INSTALL httpfs")
    con.close()


def test_data_dir_with_a_quote_is_safe(tmp_path: Path, small_files: Path) -> None:
    """The data folder is a setting: its path is a parameter, never pasted into SQL."""
    settings = Settings(data_dir=tmp_path / "it's data", user="tester")
    db = Database(settings)
    db.migrate()
    result = ingest(settings, db, [small_files / "2022" / "csv"])
    assert len(result.snapshots) == 24
    db.dispose()


# --------------------------------------------------------------------------- XML

XXE = '<!DOCTYPE StaffRecord [<!ENTITY x SYSTEM "file://{secret}">]>\n'
LAUGHS = (
    '<!DOCTYPE StaffRecord [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>\n"
)


def _with_prolog(path: Path, prolog: str, *, entity: str, encoding: str = "utf-8") -> None:
    text = path.read_text(encoding="utf-8")
    text = text.replace("<StaffRecord>", prolog + "<StaffRecord>", 1)
    text = text.replace("<OWNSTAFFID>", f"<OWNSTAFFID>&{entity};", 1)
    if encoding != "utf-8":
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1)
    path.write_bytes(text.encode(encoding))


def _xml_cases(secret: Path) -> dict[str, tuple[str, str, str]]:
    padding = "<!-- " + "padding " * 9000 + "-->\n"  # 72 KB of comment before the DOCTYPE
    spaces = "\n" * 70_000
    return {
        "DOCTYPE after 70 KB of comments": (padding + XXE.format(secret=secret), "x", "utf-8"),
        "UTF-16 with a BOM, DOCTYPE and entity": (XXE.format(secret=secret), "x", "utf-16"),
        "billion laughs after 70 KB of whitespace": (spaces + LAUGHS, "lol9", "utf-8"),
        "billion laughs in UTF-16": (LAUGHS, "lol9", "utf-16"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "DOCTYPE after 70 KB of comments",
        "UTF-16 with a BOM, DOCTYPE and entity",
        "billion laughs after 70 KB of whitespace",
        "billion laughs in UTF-16",
    ],
)
def test_xml_doctype_refused_whatever_the_prolog(
    case: str, secret: Path, sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    path = _one_xml(small_files, tmp_path)
    prolog, entity, encoding = _xml_cases(secret)[case]
    _with_prolog(path, prolog, entity=entity, encoding=encoding)
    with pytest.raises(InputError) as info:
        ingest(sqlite_settings, sqlite_db, [path])
    problems = info.value.problems
    assert [p.rule for p in problems] == ["xml.doctype"], [p.describe() for p in problems[:5]]
    assert problems[0].file == str(path) and "DOCTYPE" in problems[0].fix
    text = _all_text(problems)
    assert SECRET not in text and "lollol" not in text  # nothing fetched, nothing expanded
    _nothing_written(sqlite_settings, sqlite_db)


def test_utf16_xml_without_doctype_is_accepted(
    sqlite_settings: Settings, sqlite_db: Database, small_files: Path, tmp_path: Path
) -> None:
    path = _one_xml(small_files, tmp_path)
    text = path.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    path.write_bytes(("<!-- " + "x" * 70_000 + " -->\n").join(text.split("\n", 1)).encode("utf-16"))
    result = ingest(sqlite_settings, sqlite_db, [path])
    assert len(result.snapshots) == 1


# --------------------------------------------------------------------------- nothing left behind


def _broken_xml(small_files: Path, tmp_path: Path) -> Path:
    path = _one_xml(small_files, tmp_path)
    path.write_text(path.read_text().replace("<SEXID>1</SEXID>", "<SEXID>7</SEXID>", 1))
    return path


def test_refused_ingest_into_a_new_folder_creates_nothing(small_files: Path, tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    result = CliRunner().invoke(
        app, ["--data-dir", str(data), "workforce", "ingest", str(_broken_xml(small_files, tmp_path))]
    )
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.output
    assert not data.exists() and not (tmp_path / "fresh").exists()


def test_refused_library_ingest_opens_no_catalogue_and_makes_no_key(
    small_files: Path, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", user="tester")
    opened: list[Database] = []

    def open_db() -> Database:  # pragma: no cover - must not be called
        opened.append(Database(settings))
        return opened[-1]

    with pytest.raises(InputError):
        ingest(settings, open_db, [_broken_xml(small_files, tmp_path)])
    assert opened == [] and not settings.data_dir.exists() and not settings.key_file.exists()


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, as on many desktops: modes must not depend on it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_files_and_folders_are_owner_only(open_umask: None, small_files: Path, tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    result = CliRunner().invoke(
        app, ["--data-dir", str(data), "workforce", "ingest", str(small_files / "2022" / "csv")]
    )
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o700
    snapshots = sorted(data.joinpath("snapshots").rglob("*.parquet"))
    assert len(snapshots) == 24
    assert {_mode(p) for p in snapshots} == {0o600}
    folders = {p.parent for p in snapshots} | {p.parent.parent for p in snapshots} | {data / "snapshots"}
    assert {_mode(p) for p in folders} == {0o700}
    key = Settings(data_dir=data).key_file
    assert _mode(key) == 0o600 and _mode(key.parent) == 0o700
    assert _mode(data / ".lock") == 0o600
