"""A manager's day from the command line: a workshop, its cohort and session, bookings with
the waiting list, a cancellation that promotes, the register and who completed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from techforce.cli.main import app

runner = CliRunner()


def _run(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data), "--user", "manager", *args])
    return result.exit_code, result.output


def test_a_workshop_from_booking_to_completion(tmp_path: Path) -> None:
    data = tmp_path / "data"
    day = (date.today() + timedelta(days=10)).isoformat()
    assert (
        _run(
            data,
            "programmes",
            "add",
            "solder",
            "--title",
            "Soldering",
            "--kind",
            "workshop",
            "--capacity",
            "2",
        )[0]
        == 0
    )
    code, out = _run(data, "programmes", "cohort", "solder", "May", "--starts", day, "--ends", day)
    assert code == 0, out
    code, out = _run(
        data,
        "programmes",
        "session",
        "solder",
        "May",
        "--title",
        "Soldering",
        "--starts",
        f"{day}T09:30:00+01:00",
        "--ends",
        f"{day}T12:30:00+01:00",
        "--location",
        "Room 2",
    )
    assert code == 0, out
    session_id = out.split("session ")[1].split(" ")[0]
    statuses = []
    for i in range(3):
        code, out = _run(
            data, "programmes", "book", "solder", "May", "--email", f"p{i}@x.ac.uk", "--name", f"P {i}"
        )
        assert code == 0, out
        statuses.append(out.strip().rsplit(" ", 1)[1])
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    code, out = _run(data, "programmes", "cancel", "1")
    assert code == 0 and "promoted booking 3" in out
    assert list((data / "outbox").glob("*promoted.eml")), "the promoted person is told (outbox without SMTP)"
    code, out = _run(data, "programmes", "register", session_id, "2=present", "3=late")
    assert code == 2 and "late" in out
    code, out = _run(data, "programmes", "register", session_id, "2=present", "3=absent")
    assert code == 0, out
    code, out = _run(data, "programmes", "progress", "solder", "May", "--confirm", "--format", "json")
    assert code == 0, out
    shown = json.loads(out)
    assert shown["meta"]["starters"] == 1 and shown["meta"]["completers"] == 1
    code, out = _run(data, "programmes", "list", "--format", "json")
    assert json.loads(out)["rows"][0]["places_left"] == 0  # two places: 2 and the promoted 3


def test_bad_input_names_the_field_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out = _run(
        data, "programmes", "add", "Bad Slug", "--title", "x", "--kind", "party", "--capacity", "0"
    )
    assert code == 2 and "slug" in out and "kind" in out and "capacity" in out
    code, out = _run(data, "programmes", "list", "--format", "json")
    assert json.loads(out)["rows"] == []
    code, out = _run(data, "programmes", "show", "nothing")
    assert code == 2 and "no programme 'nothing'" in out
