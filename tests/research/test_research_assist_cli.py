"""`techforce research index|suggest|search`: a study's index built with progress, suggestions
stored for the named coder, search by meaning; asking before the index exists (or without the
extra) exits 2 and says what to do. The model tests need ``techforce[nlp]``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from techforce.cli import main
from techforce.db import Database
from techforce.research import assist
from techforce.research.models import Suggestion
from techforce.settings import Settings
from tests.research.conftest import CODER_A, CODER_B, StudyWorld, make_study

runner = CliRunner()
needs_model = pytest.mark.skipif(not assist.available(), reason="needs the extra techforce[nlp]")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[StudyWorld]:
    db = Database(Settings(data_dir=tmp_path / "data", user="test"))
    db.migrate()
    yield make_study(db)
    db.dispose()


def _run(world: StudyWorld, *args: str) -> tuple[int, str]:
    folder = Path(str(world.db.engine.url.database)).parent
    result = runner.invoke(main.app, ["--data-dir", str(folder), "--user", "olivia", "research", *args])
    return result.exit_code, result.output


def test_suggest_before_the_index_exits_2_and_says_what_to_do(world: StudyWorld) -> None:
    code, out = _run(world, "suggest", world.guid, str(world.codes["Support"]), "--coder", CODER_A)
    assert code == 2
    assert "build it first" in out or "techforce[nlp]" in out
    with world.db.session() as s:
        assert s.scalars(select(Suggestion)).first() is None


@needs_model
def test_index_suggest_and_search(world: StudyWorld) -> None:
    code, out = _run(world, "index", world.guid)
    assert code == 0, out
    assert "from 2 of 2 sources" in out
    code, out = _run(
        world, "suggest", world.guid, str(world.codes["Support"]), "--coder", CODER_B, "--top", "3"
    )
    assert code == 0, out
    with world.db.session() as s:
        rows = list(s.scalars(select(Suggestion)))
    assert 0 < len(rows) <= 3 and {r.requested_by for r in rows} == {CODER_B}
    assert all(r.model == assist.MODEL_NAME and r.status == "open" for r in rows)
    code, out = _run(world, "search", world.guid, "mentoring and support", "--format", "json")
    assert code == 0, out
    found = json.loads(out)["rows"]
    assert found and found[0]["score"] >= found[-1]["score"]
    code, out = _run(world, "search", "no-such-study", "mentoring")
    assert code == 2 and "no-such-study" in out
