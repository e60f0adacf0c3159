"""Studies, members, participants, consent, sources, the codebook and codings on a real store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.accounts.models import User
from techforce.accounts.service import principal
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.research import coding, permissions, service
from techforce.research.coding import CodeIn
from techforce.research.models import Coding, Source
from tests.research.conftest import CODER_A, CODER_B, OUTSIDER, OWNER, VIEWER, StudyWorld


def _principal(db: Database, name: str):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return principal(s.scalar(select(User).where(User.username == name)))  # type: ignore[arg-type]


def test_rights_follow_membership_and_outsiders_get_not_found(study: StudyWorld) -> None:
    db = study.db
    owner, coder, viewer, outsider = (_principal(db, n) for n in (OWNER, CODER_A, VIEWER, OUTSIDER))
    assert owner.can(permissions.OWN_STUDY, study.guid, db)
    assert coder.can(permissions.CODE_STUDY, study.guid, db)
    assert not coder.can(permissions.OWN_STUDY, study.guid, db)
    assert viewer.can(permissions.VIEW_STUDY, study.guid, db)
    assert not viewer.can(permissions.CODE_STUDY, study.guid, db)
    with pytest.raises(errors.Forbidden):
        viewer.require(permissions.CODE_STUDY, study.guid, db)
    with pytest.raises(errors.NotFound) as real:
        outsider.require(permissions.VIEW_STUDY, study.guid, db)
    with pytest.raises(errors.NotFound) as made_up:
        outsider.require(permissions.VIEW_STUDY, "00000000-0000-4000-8000-000000000000", db)
    assert "Strategic" not in str(real.value)
    assert str(real.value).replace(study.guid, "X") == str(made_up.value).replace(
        "00000000-0000-4000-8000-000000000000", "X"
    )
    with db.session() as s:
        assert [st.name for st, _ in service.studies_of(s, OUTSIDER)] == []
        assert [(st.guid, r) for st, r in service.studies_of(s, CODER_B)] == [(study.guid, "coder")]


def test_the_last_owner_stays(study: StudyWorld) -> None:
    with study.db.session() as s, pytest.raises(errors.Refused, match="only owner"):
        service.set_member(s, study.guid, OWNER, "viewer", actor=OWNER)
    with study.db.session() as s, pytest.raises(errors.Invalid, match="ask an admin whether"):
        service.set_member(s, study.guid, "nobody", "coder", actor=OWNER)


def test_consent_history_is_kept_and_latest_wins(study: StudyWorld) -> None:
    with study.db.session() as s:
        service.record_consent(
            s, study.guid, study.cases[0], may_quote=False, may_archive=True, may_name=True, actor=OWNER
        )
    with study.db.session() as s:
        row = service.case(s, service.study(s, study.guid), study.cases[0])
        assert len(row.consents) == 2
        now = service.consent_of(row)
        assert now is not None and not now.may_quote and not now.may_name  # naming needs quoting


def test_transcript_import_keeps_turns_and_refuses_duplicates(study: StudyWorld) -> None:
    with study.db.session() as s:
        src = s.get(Source, study.sources[0])
        assert src is not None and "🧪" in src.text
        assert [t[0] for t in src.turns][:2] == ["Interviewer", "P01"]
    with study.db.session() as s, pytest.raises(errors.Refused, match="already has a source"):
        service.import_transcript(s, study.guid, b"Interviewer: hi\n", "p01.txt", actor=OWNER)


def test_coding_offsets_are_checked_and_coders_kept_apart(study: StudyWorld) -> None:
    creation = study.codes["Roles/Creation"]
    with study.db.session() as s, pytest.raises(errors.Invalid, match="outside the source"):
        coding.add_coding(s, study.guid, study.sources[1], creation, 5, 10_000, actor=CODER_A)
    with study.db.session() as s:
        st = service.study(s, study.guid)
        a = coding.codings_of(s, st.id, coder=CODER_A)
        b = coding.codings_of(s, st.id, coder=CODER_B)
        assert len(a) == 3 and len(b) == 2
        with pytest.raises(errors.NotFound, match=f"no coding {a[0].id} in this study"):
            coding.remove_coding(s, study.guid, a[0].id, actor=CODER_B)


def test_merge_moves_codings_and_split_keeps_them(study: StudyWorld) -> None:
    with study.db.session() as s:
        moved = coding.merge_codes(
            s, study.guid, [study.codes["Careers/Grade ceiling"]], study.codes["Support"], actor=OWNER
        )
        assert moved == 1
    with study.db.session() as s:
        st = service.study(s, study.guid)
        names = [c.name for c in coding.codes_of(s, st.id)]
        assert "Grade ceiling" not in names
        support = coding.codings_of(s, st.id)
        on_support = [c for c in support if c.code_id == study.codes["Support"]]
        assert len(on_support) == 3
        made = coding.split_code(
            s,
            study.guid,
            study.codes["Support"],
            [CodeIn(name="Mentoring"), CodeIn(name="Formal programmes")],
            {on_support[0].id: 0},
            actor=OWNER,
        )
        assert len(made) == 2
    with study.db.session() as s:
        total = s.scalars(select(Coding)).all()
        assert len(total) == 5  # none lost
        assert sum(1 for c in total if c.code_id == made[0].id) == 1


def test_code_rules(study: StudyWorld) -> None:
    with study.db.session() as s, pytest.raises(errors.Refused, match="already there"):
        coding.save_code(s, study.guid, CodeIn(name="roles"), actor=OWNER)
    with study.db.session() as s, pytest.raises(errors.Refused, match="shortcut"):
        coding.save_code(s, study.guid, CodeIn(name="Other", shortcut="R"), actor=OWNER)
    with study.db.session() as s, pytest.raises(errors.Invalid, match="under itself"):
        coding.save_code(
            s,
            study.guid,
            CodeIn(name="Roles", parent_id=study.codes["Roles/Creation"]),
            actor=OWNER,
            code_id=study.codes["Roles"],
        )


def test_versions_and_audit(study: StudyWorld) -> None:
    with study.db.session() as s:
        v1 = coding.save_version(s, study.guid, "first", actor=OWNER)
        coding.save_code(s, study.guid, CodeIn(name="Benefits"), actor=OWNER)
        v2 = coding.save_version(s, study.guid, actor=OWNER)
        assert (v1.number, v2.number) == (1, 2)
        assert len(v2.codes) == len(v1.codes) + 1
        actions = {e.action for e in s.scalars(select(AuditEvent))}
        assert {"research.study.save", "research.coding.add", "research.codebook.version"} <= actions


def test_consensus_resolves_a_disagreement(study: StudyWorld) -> None:
    ceiling = study.codes["Careers/Grade ceiling"]
    with study.db.session() as s:
        st = service.study(s, study.guid)
        (row,) = [c for c in coding.codings_of(s, st.id, coder=CODER_A) if c.code_id == ceiling]
        coding.resolve(s, study.guid, ceiling, row.source_id, row.start, row.end, True, actor=OWNER)
    with study.db.session() as s:
        st = service.study(s, study.guid)
        cons = coding.codings_of(s, st.id, layer="consensus")
        assert [(c.code_id, c.start, c.end) for c in cons] == [(ceiling, row.start, row.end)]
        # the creation code, where both agreed, is seeded on first review
        creation = study.codes["Roles/Creation"]
        agreed = next(c for c in coding.codings_of(s, st.id, coder=CODER_A) if c.code_id == creation)
        coding.resolve(
            s, study.guid, creation, agreed.source_id, agreed.start, agreed.start + 5, False, actor=OWNER
        )
        cons = [c for c in coding.codings_of(s, st.id, layer="consensus") if c.code_id == creation]
        assert [(c.start, c.end) for c in cons] == [(agreed.start + 5, agreed.end)]


def test_suggestions_become_codings_only_when_accepted(study: StudyWorld) -> None:
    support = study.codes["Support"]
    with study.db.session() as s:
        n = coding.store_suggestions(
            s,
            study.guid,
            support,
            [
                coding.Proposed(study.sources[0], 0, 20, 0.61, "all-MiniLM-L6-v2", "0.1.0"),
                coding.Proposed(study.sources[0], 30, 60, 0.55, "all-MiniLM-L6-v2", "0.1.0"),
            ],
            actor=CODER_A,
        )
        assert n == 2
        st = service.study(s, study.guid)
        before = len(coding.codings_of(s, st.id))
    with study.db.session() as s:
        from techforce.research.models import Suggestion

        first, second = s.scalars(select(Suggestion).order_by(Suggestion.id)).all()
        made = coding.decide_suggestion(s, study.guid, first.id, True, actor=CODER_A)
        assert made is not None and made.coder == CODER_A
        assert coding.decide_suggestion(s, study.guid, second.id, False, actor=CODER_A) is None
        with pytest.raises(errors.Refused, match="already"):
            coding.decide_suggestion(s, study.guid, second.id, True, actor=CODER_A)
    with study.db.session() as s:
        st = service.study(s, study.guid)
        assert len(coding.codings_of(s, st.id)) == before + 1
