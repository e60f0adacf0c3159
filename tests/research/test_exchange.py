"""A study to a .qdpx and back: the project validates against the standard's schema, and a
round trip through the store keeps GUIDs, offsets, codes, coders, participants and memos."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from techforce import errors
from techforce.research import coding, exchange, qdpx, service
from techforce.research.coding import MemoIn
from techforce.research.models import Coding, Memo, Source
from techforce.research.refi_xml import SCHEMAS
from tests.research.conftest import CODER_A, OWNER, StudyWorld

SCHEMA = SCHEMAS / "Project.xsd"  # the vendored copy of the standard's schema
STANDARD = Path(__file__).resolve().parents[3] / "shared" / "standards" / "refi-qda"


@pytest.mark.skipif(not STANDARD.is_dir(), reason="the shared standards folder is not beside this checkout")
def test_vendored_schemas_are_the_standard() -> None:
    for name in ("Project.xsd", "Codebook.xsd"):
        assert (SCHEMAS / name).read_bytes() == (STANDARD / name).read_bytes(), name


def _export(study: StudyWorld, guid: str) -> bytes:
    with study.db.session() as s:
        return qdpx.write_qdpx(exchange.export_project(s, guid))


def _signature(study: StudyWorld, guid: str) -> tuple[object, ...]:
    with study.db.session() as s:
        project = exchange.export_project(s, guid)
    codes = sorted((c.guid, c.name) for c, _ in _walk(project.codes))
    selections = sorted(
        (src.guid, sel.guid, sel.start, sel.end, tuple(sorted(c.code_guid for c in sel.codings)))
        for src in project.sources
        for sel in src.selections
    )
    cases = sorted((c.guid, c.name, tuple(sorted(c.source_guids))) for c in project.cases)
    texts = sorted((src.guid, src.text) for src in project.sources)
    return codes, selections, cases, texts, len(project.notes)


def _users(study: StudyWorld, guid: str) -> list[str]:
    with study.db.session() as s:
        return sorted(u.name for u in exchange.export_project(s, guid).users)


def _walk(codes, parent=None):  # type: ignore[no-untyped-def]
    for c in codes:
        yield c, parent
        yield from _walk(c.children, c)


def test_export_validates_against_the_standard(study: StudyWorld) -> None:
    with study.db.session() as s:
        coding.save_memo(
            s, study.guid, MemoIn(text="A strong case", source_id=study.sources[0]), actor=CODER_A
        )
    data = _export(study, study.guid)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        names = archive.namelist()
        project = archive.read("project.qde")
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(etree.fromstring(project)), schema.error_log
    with study.db.session() as s:
        guids = set(s.scalars(select(Source.guid)))
    assert {f"sources/{g}.txt" for g in guids} <= set(names)


def test_round_trip_keeps_guids_offsets_and_coders(study: StudyWorld) -> None:
    """Everything comes back; the file's user names come back as ``import:<name>`` (a file
    cannot speak for an account), and stay so through a second round trip."""
    with study.db.session() as s:
        st = service.study(s, study.guid)
        first = coding.codings_of(s, st.id, coder=CODER_A)[0]
        coding.save_memo(s, study.guid, MemoIn(text="Why this code", coding_id=first.id), actor=CODER_A)
        coding.save_memo(
            s, study.guid, MemoIn(text="Codebook note", code_id=study.codes["Support"]), actor=OWNER
        )
    before = _signature(study, study.guid)
    project = qdpx.read_qdpx(_export(study, study.guid), "study.qdpx")
    with study.db.session() as s:
        copy = exchange.import_project(s, project, actor=OWNER, filename="study.qdpx").guid
    after = _signature(study, copy)
    assert after == before
    assert _users(study, study.guid) == ["cara", "colin", "olivia"]
    # the copy's creator is the importer; the file's coders and memo authors are imported names
    assert _users(study, copy) == ["import:cara", "import:colin", "import:olivia", "olivia"]
    again = qdpx.read_qdpx(_export(study, copy), "copy.qdpx")
    with study.db.session() as s:
        twice = exchange.import_project(s, again, actor=OWNER, filename="copy.qdpx").guid
    assert _signature(study, twice) == before
    assert _users(study, twice) == _users(study, copy)  # not import:import:colin
    with study.db.session() as s:
        new = service.study(s, copy)
        rows = coding.codings_of(s, new.id)
        assert {r.coder for r in rows} == {"import:colin", "import:cara"}
        emoji_source = s.scalar(select(Source).where(Source.study_id == new.id, Source.text.contains("🧪")))
        assert emoji_source is not None
        for r in rows:  # offsets are code points: the coded text is the same text
            assert r.end <= len(emoji_source.text) or r.source_id != emoji_source.id
        memos = s.scalars(select(Memo).where(Memo.study_id == new.id)).all()
        assert {(m.text, m.code_id is not None, m.coding_id is not None) for m in memos} == {
            ("Why this code", False, True),
            ("Codebook note", True, False),
        }
        # consent came back with the participants
        p03 = next(c for c in new_cases(s, new.id) if c.pseudonym == "P03")
        consent = service.consent_of(p03)
        assert consent is not None and not consent.may_quote


def new_cases(s, study_id):  # type: ignore[no-untyped-def]
    from techforce.research.models import Case

    return s.scalars(select(Case).where(Case.study_id == study_id)).all()


def test_the_same_project_imports_twice(study: StudyWorld) -> None:
    project = qdpx.read_qdpx(_export(study, study.guid), "study.qdpx")
    with study.db.session() as s:
        a = exchange.import_project(s, project, actor=OWNER).guid
        b = exchange.import_project(s, project, actor=OWNER).guid
    assert a != b
    with study.db.session() as s:
        assert len(s.scalars(select(Coding)).all()) == 3 * 5


def test_a_project_with_an_unknown_code_is_refused_before_anything_is_stored(study: StudyWorld) -> None:
    data = _export(study, study.guid)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    with study.db.session() as s:
        some_code = s.scalar(select(Coding)).code_id  # type: ignore[union-attr]
        from techforce.research.models import Code

        guid = s.get(Code, some_code).guid  # type: ignore[union-attr]
    files["project.qde"] = files["project.qde"].replace(
        f'targetGUID="{guid}"'.encode(), b'targetGUID="00000000-0000-4000-8000-000000000001"'
    )
    broken = BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for n, body in files.items():
            archive.writestr(n, body)
    with pytest.raises(errors.Invalid):
        qdpx.read_qdpx(broken.getvalue(), "broken.qdpx")
