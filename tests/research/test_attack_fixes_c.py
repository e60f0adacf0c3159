"""Audit fixes in the QDA exchange, the CLI's exports and the demo load: a crafted .qdpx
with clashing names imports (no endless renaming), consent written as text is read as a
person's answer or refused, over-long codes and memos are refused whole, exports land 0600
without following links, and a study named like the demo does not block the demo."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from annotated_types import MaxLen
from pydantic import BaseModel
from sqlalchemy import func, select

from techforce import errors
from techforce.db import Database
from techforce.research import demo, exchange, qdpx, refi, service
from techforce.research.coding import CodeIn, MemoIn
from techforce.research.models import Case, Code, Consent, Member, Source, Study
from techforce.research.service import StudyIn
from tests.research.conftest import OWNER, StudyWorld
from tests.research.test_demo_load import PROVIDERS
from tests.research.test_research_cli import _guid, _run

NS = "urn:QDA-XML:project:1.0"


def _qdpx(body: str, texts: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "project.qde",
            f'<?xml version="1.0" encoding="UTF-8"?><Project xmlns="{NS}" name="crafted">{body}</Project>',
        )
        for guid, text in (texts or {}).items():
            archive.writestr(f"sources/{guid}.txt", text)
    return buffer.getvalue()


def _max_length(model: type[BaseModel], field: str) -> int:
    """The most characters the study's form allows in ``field``."""
    return next(m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen))


def _studies(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Study)) or 0)


# ---------------------------------------------------------------- 1: names that clash


def test_sources_with_one_long_name_import_under_distinct_names(study: StudyWorld) -> None:
    guids = [f"aaaaaaaa-0000-4000-8000-00000000000{i}" for i in range(3)]
    sources = "".join(
        f'<TextSource guid="{g}" name="{"N" * 300}" plainTextPath="internal://{g}.txt"/>' for g in guids
    )
    project = qdpx.read_qdpx(
        _qdpx(f"<Sources>{sources}</Sources>", dict.fromkeys(guids, "hello")), "hang.qdpx"
    )
    with study.db.session() as s:
        new = exchange.import_project(s, project, actor=OWNER, filename="hang.qdpx")
    with study.db.session() as s:
        names = list(s.scalars(select(Source.name).where(Source.study_id == new.id)))
    assert len(set(names)) == 3
    assert all(len(n) <= 300 and n.startswith("N" * 290) for n in names)


def test_cases_whose_names_clash_with_renamed_ones_import_under_distinct_names(study: StudyWorld) -> None:
    names = ["A" * 90 + " (3)", "A" * 91, "A" * 91]
    cases = "".join(
        f'<Case guid="bbbbbbbb-0000-4000-8000-00000000000{i}" name="{n}"/>' for i, n in enumerate(names)
    )
    project = qdpx.read_qdpx(_qdpx(f"<Cases>{cases}</Cases>"), "hang2.qdpx")
    with study.db.session() as s:
        new = exchange.import_project(s, project, actor=OWNER, filename="hang2.qdpx")
    with study.db.session() as s:
        got = list(s.scalars(select(Case.pseudonym).where(Case.study_id == new.id).order_by(Case.id)))
    assert len(set(got)) == 3 and got[:2] == names[:2]
    assert all(len(n) <= 100 for n in got)


# ---------------------------------------------------------------- 2: consent as text


def _consent_project(answers: list[str]) -> refi.Project:
    quoted = refi.Variable("cccccccc-0000-4000-8000-000000000001", "may be quoted", "Text")
    cases = tuple(
        refi.Case(f"dddddddd-0000-4000-8000-00000000000{i}", f"P{i}", values={quoted.guid: answer})
        for i, answer in enumerate(answers)
    )
    return refi.Project(name="consent", cases=cases, variables=(quoted,))


def test_consent_written_as_false_or_no_is_refused_consent(study: StudyWorld) -> None:
    with study.db.session() as s:
        new = exchange.import_project(
            s, _consent_project(["false", " No ", "TRUE", "1"]), actor=OWNER, filename="nvivo.qdpx"
        )
    with study.db.session() as s:
        rows = s.execute(
            select(Case.pseudonym, Consent.may_quote)
            .join(Consent, Consent.case_id == Case.id)
            .where(Case.study_id == new.id)
            .order_by(Case.pseudonym)
        ).all()
    assert [tuple(r) for r in rows] == [("P0", False), ("P1", False), ("P2", True), ("P3", True)]


def test_a_consent_answer_that_is_not_yes_or_no_is_refused_and_nothing_is_imported(
    study: StudyWorld,
) -> None:
    before = _studies(study.db)
    with pytest.raises(errors.Invalid) as caught, study.db.session() as s:
        exchange.import_project(s, _consent_project(["no", "maybe"]), actor=OWNER, filename="nvivo.qdpx")
    message = str(caught.value)
    assert "nvivo.qdpx" in message and "'P1'" in message and "may be quoted" in message
    assert "true or false" in message
    assert _studies(study.db) == before


# ---------------------------------------------------------------- 3: codes and memos too long


def test_a_code_longer_than_the_form_allows_is_refused_whole(study: StudyWorld) -> None:
    limit = _max_length(CodeIn, "examples")
    assert limit == 10000
    code = refi.Code("eeeeeeee-0000-4000-8000-000000000001", "Support", examples="x" * (limit + 1))
    before = _studies(study.db)
    with pytest.raises(errors.Invalid) as caught, study.db.session() as s:
        exchange.import_project(s, refi.Project(name="long", codes=(code,)), actor=OWNER, filename="big.qdpx")
    message = str(caught.value)
    assert "big.qdpx" in message and "'Support'" in message and "examples" in message and "shorten" in message
    assert _studies(study.db) == before
    with study.db.session() as s:  # exactly at the limit is fine
        new = exchange.import_project(
            s,
            refi.Project(name="ok", codes=(refi.Code(code.guid, "Support", examples="x" * limit),)),
            actor=OWNER,
        )
        assert len(s.scalar(select(Code.examples).where(Code.study_id == new.id)) or "") == limit


def test_a_memo_longer_than_the_form_allows_is_refused_whole(study: StudyWorld) -> None:
    limit = _max_length(MemoIn, "text")
    note = refi.Note("ffffffff-0000-4000-8000-000000000001", "Long thoughts", "y" * (limit + 1))
    before = _studies(study.db)
    with pytest.raises(errors.Invalid) as caught, study.db.session() as s:
        exchange.import_project(
            s,
            refi.Project(name="long", notes=(note,), note_refs=(note.guid,)),
            actor=OWNER,
            filename="memo.qdpx",
        )
    message = str(caught.value)
    assert "memo.qdpx" in message and "'Long thoughts'" in message and "split" in message
    assert _studies(study.db) == before


# ---------------------------------------------------------------- 4: CLI exports


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "data"
    code, out = _run(folder, "demo", "--respondents", "25")
    assert code == 0, out
    return folder


def test_an_export_over_an_existing_file_leaves_it_for_the_owner_only(
    demo_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "book.qdc"
    out.write_bytes(b"old")
    out.chmod(0o644)
    code, text = _run(demo_data, "export-codebook", _guid(demo_data, "interview"), str(out))
    assert code == 0, text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(b"<?xml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.qdc"], "no temporary file is left"


def test_an_export_to_a_link_or_a_folder_is_refused(demo_data: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.qdpx"
    target.write_bytes(b"keep me")
    target.chmod(0o644)
    link = tmp_path / "study.qdpx"
    link.symlink_to(target)
    guid = _guid(demo_data, "interview")
    code, text = _run(demo_data, "export-qdpx", guid, str(link))
    assert code == 2 and "symbolic link" in text
    assert target.read_bytes() == b"keep me" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert link.is_symlink()
    folder = tmp_path / "folder.qdpx"
    folder.mkdir()
    code, text = _run(demo_data, "export-qdpx", guid, str(folder))
    assert code == 2 and "is a folder" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.qdpx", "folder.qdpx", "study.qdpx"]


# ---------------------------------------------------------------- 5: the demo is known by its GUID


def test_a_study_named_like_the_demo_does_not_block_it(study: StudyWorld) -> None:
    with study.db.session() as s:
        squatter = service.create_study(s, StudyIn(name=demo.STUDY_NAME, kind="interview"), actor="colin")
        squat_survey = service.create_study(s, StudyIn(name=demo.SURVEY_NAME, kind="survey"), actor="colin")
        squatters = (squatter.id, squat_survey.id)
    with study.db.session() as s:
        loaded = demo.load_demo(s, providers=PROVIDERS, owner=OWNER, coders=None, actor="demo", respondents=5)
    assert loaded.study == demo.STUDY_GUID and loaded.survey == demo.SURVEY_GUID
    with study.db.session() as s:
        demo.share(s, "vera", actor="demo")
    with study.db.session() as s:  # sharing the demo shares the demo, not studies named like it
        shared = set(
            s.scalars(select(Member.study_id).where(Member.username == "vera", Member.right == "owner"))
        )
        demo_ids = set(s.scalars(select(Study.id).where(Study.guid.in_((demo.STUDY_GUID, demo.SURVEY_GUID)))))
    assert shared == demo_ids and not shared & set(squatters)
    with pytest.raises(errors.Refused), study.db.session() as s:
        demo.load_demo(s, providers=PROVIDERS, owner=OWNER, coders=None, actor="demo", respondents=5)
