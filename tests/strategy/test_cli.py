"""`techforce strategy` for sets, signatories, pledges, action plans and reminders, run as a
user runs it, on both databases: what it prints, what it writes, exit code 2 on a mistake."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techforce.cli.main import app
from techforce.settings import Settings

from .conftest import StrategyWorld

runner = CliRunner()
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(world: StrategyWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `techforce strategy ...` on the world's database as the admin ada."""
    if settings.database_url:
        monkeypatch.setenv("TECHFORCE_DATABASE_URL", settings.database_url)

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(
            app, ["--data-dir", str(settings.data_dir), "--user", "ada", "strategy", *args]
        )
        return result.exit_code, result.output

    return invoke


def test_sets_listed_exported_and_imported(run: Run, tmp_path: Path) -> None:
    code, out = run("sets", "--format", "json")
    assert code == 0, out
    found = {r["set"]: r for r in json.loads(out)["rows"]}
    assert found["stl-2024"]["recommendations"] == 6 and found["stl-2024"]["shipped"] is True
    yaml_out, csv_out = tmp_path / "stl.yaml", tmp_path / "tc.csv"
    code, out = run("export-set", "stl-2024", str(yaml_out))
    assert code == 0 and "6 recommendations" in out
    assert stat.S_IMODE(yaml_out.stat().st_mode) == 0o600
    code, out = run("import-set", str(yaml_out))
    assert code == 0 and "Stored stl-2024 version 1" in out  # the same set again changes nothing
    assert run("export-set", "talent-commission-2022@1", str(csv_out))[0] == 0
    code, out = run(
        "import-set",
        str(csv_out),
        "--id",
        "our-review-2025",
        "--title",
        "Our review",
        "--publisher",
        "Ashford",
        "--published",
        "2025-01-31",
    )
    assert code == 0, out
    assert "our-review-2025" in run("sets", "--format", "csv")[1]
    code, out = run("export-set", "nope", str(tmp_path / "x.yaml"))
    assert code == 2 and "no recommendation set 'nope'" in out and "stl-2024" in out
    code, out = run("import-set", str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such file" in out
    (tmp_path / "set.txt").write_text("x")
    code, out = run("import-set", str(tmp_path / "set.txt"))
    assert code == 2 and ".yaml, .yml or .csv" in out


def test_sign_due_and_remind(run: Run, settings: Settings) -> None:
    code, out = run("sign", "10000001", "--date", "2020-02-29", "--contact", "tc@ashford.example.ac.uk")
    assert code == 0, out
    assert "due 2021-08-29" in out and "due 2023-02-28" in out
    code, out = run("sign", "10000002", "--date", "29/02/2020")
    assert code == 2 and "YYYY-MM-DD" in out and "--date" in out
    code, out = run("due", "--today", "2021-08-01", "--format", "json")
    assert code == 0, out
    [row] = json.loads(out)["rows"]
    assert (row["ukprn"], row["milestone"], row["state"], row["days_left"]) == (
        "10000001",
        "first-submission",
        "due-soon",
        28,
    )
    code, out = run("due", "--provider", "10000002")
    assert code == 2 and "has not signed" in out and "strategy sign 10000002" in out
    code, out = run("remind", "--today", "2021-08-01", "--send")
    assert code == 0, out
    assert "Queued 1 reminder for 2021-08-01" in out and "Sent 1" in out
    assert len(list(settings.outbox_dir.glob("*-notice.eml"))) == 1
    code, out = run("remind", "--today", "2021-08-01")
    assert code == 0 and "Queued 0 reminders" in out


def test_pledge(run: Run) -> None:
    code, out = run("pledge", "10000001", "stl-2024/STL-1", "--status", "pledged")
    assert code == 0 and "stl-2024/STL-1 pledged" in out
    code, out = run("pledge", "10000001", "stl-2024/STL-1", "--status", "finnished")
    assert code == 2 and "pledge status 'finnished'" in out
    code, out = run("pledge", "10000001", "stl-2024/STL-99", "--status", "done")
    assert code == 2 and "no recommendation 'stl-2024/STL-99'" in out


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_actions_by_csv(run: Run, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    code, out = run("export-actions", "10000001", "--stage", "first-submission", str(plan))
    assert code == 0 and "Wrote 0 actions" in out
    header = plan.read_text().strip().split(",")
    base = dict.fromkeys(header, "")
    rows = [
        {**base, "ref": "A1", "objective": "=Survey technicians", "pillar": "visibility", "owner": "lee",
         "deadline": "2026-07-31", "recommendations": "stl-2024/STL-1",
         "milestones": "2026-03-31 Survey sent | 2026-06-30 Report"},
        {**base, "ref": "A2", "objective": "Careers day", "pillar": "career-development", "owner": "ada",
         "deadline": "2026-09-30", "progress": "10"},
    ]  # fmt: skip
    plan.write_text(_csv(rows))
    code, out = run("import-actions", "10000001", str(plan))
    assert code == 0, out
    assert "2 added, 0 updated, 0 unchanged" in out
    exported = tmp_path / "again.csv"
    assert run("export-actions", "10000001", str(exported))[0] == 0
    assert "'=Survey technicians" in exported.read_text()
    code, out = run("import-actions", "10000001", str(exported))
    assert code == 0 and "0 added, 0 updated, 2 unchanged" in out
    rows[0].update(owner="lou", deadline="31/07/2026")
    rows[1].update(pillar="visability")
    plan.write_text(_csv(rows))
    code, out = run("import-actions", "10000001", "--stage", "first-submission", str(plan))
    assert code == 2
    assert "plan.csv:2: owner = 'lou'" in out and "provider lead of 10000001" in out
    assert "plan.csv:2: deadline = '31/07/2026'" in out and "YYYY-MM-DD" in out
    assert "plan.csv:3: pillar = 'visability'" in out and "did you mean 'visibility'" in out
    assert "nothing was written" in out
    after = tmp_path / "after.csv"
    assert run("export-actions", "10000001", str(after))[0] == 0
    assert after.read_text() == exported.read_text()  # nothing changed
    code, out = run("import-actions", "10000001", "--stage", "stage-4", str(exported))
    assert code == 2 and "stage 'stage-4'" in out
