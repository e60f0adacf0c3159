"""A codebook file merged into a study: matched by GUID, then by path; new codes added under
their parent; nothing deleted, codings kept, a version saved; a bad file changes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from techforce import errors
from techforce.audit import AuditEvent
from techforce.research import codebook_merge, coding, events, exchange, refi
from techforce.research.models import Code, CodebookVersion, Coding, Study
from tests.research.conftest import OWNER, StudyWorld


def _guid() -> str:
    return str(uuid.uuid4())


def _exported(w: StudyWorld) -> tuple[refi.Code, ...]:
    with w.db.session() as s:
        return exchange.export_project(s, w.guid).codes


def _state(w: StudyWorld) -> tuple[list[tuple[str, str, str, str, int | None]], int, int]:
    with w.db.session() as s:
        st = s.scalar(select(Study).where(Study.guid == w.guid))
        assert st is not None
        codes = [
            (c.guid, c.name, c.definition, c.colour, c.parent_id)
            for c in coding.codes_of(s, st.id, retired=True)
        ]
        codings = s.scalar(select(func.count()).select_from(Coding).where(Coding.study_id == st.id)) or 0
        versions = s.scalar(
            select(func.count()).select_from(CodebookVersion).where(CodebookVersion.study_id == st.id)
        )
        return codes, codings, versions or 0


def _merge(w: StudyWorld, codes: tuple[refi.Code, ...], filename: str = "book.qdc") -> codebook_merge.Merged:
    with w.db.session() as s:
        return codebook_merge.import_codebook(s, w.guid, codes, actor=OWNER, filename=filename)


def _code(w: StudyWorld, code_id: int) -> Code:
    with w.db.session() as s:
        found = s.get(Code, code_id)
        assert found is not None
        s.expunge(found)
        return found


def test_merge_by_guid_updates_and_keeps_codings(study: StudyWorld) -> None:
    codes = list(_exported(study))
    roles = codes[0]
    creation = roles.children[0]
    changed = (
        refi.Code(
            roles.guid,
            roles.name,
            "#aa0000",
            children=(refi.Code(creation.guid, creation.name, definition="New definition"),),
        ),
        *codes[1:],
    )
    _, codings_before, versions_before = _state(study)
    merged = _merge(study, changed, "shared.qdc")
    assert merged.updated == ["Roles", "Roles / Creation"]
    assert merged.added == [] and "Careers" in merged.unchanged
    assert _code(study, study.codes["Roles"]).colour == "#aa0000"
    creation_row = _code(study, study.codes["Roles/Creation"])
    assert creation_row.definition == "New definition" and creation_row.shortcut == "c"
    _, codings_after, versions_after = _state(study)
    assert codings_after == codings_before and versions_after == versions_before + 1
    with study.db.session() as s:
        version = s.scalars(select(CodebookVersion).order_by(CodebookVersion.id.desc())).first()
        assert version is not None and "shared.qdc" in version.note
        entry = s.scalars(select(AuditEvent).where(AuditEvent.action == events.CODEBOOK_IMPORT)).one()
        assert entry.payload["updated"] == 2 and entry.actor == OWNER


def test_merge_by_path_ignores_case_and_adds_a_new_child(study: StudyWorld) -> None:
    other_tool = (
        refi.Code(
            _guid(),
            "careers",
            definition="Progression and pay",
            children=(
                refi.Code(_guid(), "GRADE CEILING"),
                refi.Code(_guid(), "Recognition", "#00aa00", definition="Being seen"),
            ),
        ),
    )
    before = _state(study)[0]
    merged = _merge(study, other_tool)
    assert merged.updated == ["careers"] and merged.unchanged == ["careers / GRADE CEILING"]
    assert merged.added == ["careers / Recognition"]
    after = _state(study)[0]
    assert len(after) == len(before) + 1, "nothing deleted or retired, one code added"
    careers = _code(study, study.codes["Careers"])
    assert careers.name == "Careers" and careers.definition == "Progression and pay"
    new = next(c for c in after if c[1] == "Recognition")
    assert new[4] == study.codes["Careers"] and new[3] == "#00aa00"
    assert new[0] == other_tool[0].children[1].guid, "a new code keeps the file's GUID"


def test_a_codebook_csv_merges(study: StudyWorld) -> None:
    data = (
        b"path,name,colour,definition,guid\r\n"
        b"Support,Support,,Help people had,\r\n"
        b"Support / Mentoring,Mentoring,#123456,A named mentor,\r\n"
    )
    codes = refi.read_codebook_csv(data, "codes.csv")
    merged = _merge(study, codes, "codes.csv")
    assert merged.updated == ["Support"] and merged.added == ["Support / Mentoring"]
    support = _code(study, study.codes["Support"])
    assert support.definition == "Help people had" and support.colour == "#2ca02c", "an empty colour keeps it"


def test_an_empty_field_keeps_the_study_text(study: StudyWorld) -> None:
    codes = refi.read_codebook_csv(b"path,name\r\nRoles,Roles\r\nRoles / Creation,Creation\r\n", "names.csv")
    merged = _merge(study, codes, "names.csv")
    assert merged.updated == [] and merged.added == []
    assert _code(study, study.codes["Roles/Creation"]).definition == "How the role came to be"


def test_a_bad_file_changes_nothing(study: StudyWorld) -> None:
    before = _state(study)
    bad = (
        refi.Code(_guid(), "Brand new", definition="fine"),
        refi.Code(_guid(), "Support", "#12345g"),  # not a colour our codebook takes
        refi.Code(_guid(), "Tabbed\tname"),
    )
    with pytest.raises(errors.Invalid) as caught:
        _merge(study, bad, "broken.qdc")
    message = caught.value.message
    assert "broken.qdc" in message and "nothing changed" in message
    assert "Tabbed" in message and "fix" in message
    assert {p["code"] for p in caught.value.problems} >= {"Support", "Tabbed\tname"}
    assert _state(study) == before


def test_a_guid_used_at_another_path_is_refused(study: StudyWorld) -> None:
    roles_guid = _exported(study)[0].guid
    before = _state(study)
    moved = (refi.Code(_guid(), "Careers", children=(refi.Code(roles_guid, "Roles", definition="moved?"),)),)
    with pytest.raises(errors.Invalid) as caught:
        _merge(study, moved, "moved.qdc")
    assert "moved.qdc" in caught.value.message and "'Roles'" in caught.value.message
    assert "new GUID" in caught.value.message
    assert _state(study) == before


def test_a_merge_into_a_study_that_does_not_exist(study: StudyWorld) -> None:
    with study.db.session() as s, pytest.raises(errors.NotFound):
        codebook_merge.import_codebook(s, _guid(), _exported(study), actor=OWNER)
