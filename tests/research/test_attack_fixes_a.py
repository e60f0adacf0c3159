"""Fixes of the security audit (research, part a), each on SQLite and PostgreSQL: two owners
who demote or remove each other at once leave the study with an owner; adding a member does
not tell whether an account exists; an imported .qdpx cannot speak for a real account or the
consensus layer; a quote decision whose attribution no longer describes its speaker is
flagged; quote audit entries hold no attribution values; viewers do not read a quote whose
consent was withdrawn."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.db import Database
from techforce.research import service
from techforce.research.models import Member, Source
from techforce.research.permissions import OWNER as OWNER_RIGHT
from techforce.research.service import CaseIn
from techforce.settings import Settings
from tests.research.conftest import CODER_A, CODER_B, OWNER, VIEWER, StudyWorld

# ---------------------------------------------------------------- 1: the owner race


def _at_once(settings: Settings, acts: list[Callable[[Database], None]]) -> list[str]:
    """Run each act on its own engine (like two server processes) once a barrier releases them
    together; each result is "done" or the refusal's class name."""
    barrier = threading.Barrier(len(acts))
    results: list[str] = []
    failures: list[BaseException] = []

    def client(act: Callable[[Database], None]) -> None:
        own = Database(settings)
        try:
            barrier.wait()
            try:
                act(own)
                results.append("done")
            except errors.Refused as exc:
                results.append(type(exc).__name__)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            failures.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=client, args=(a,)) for a in acts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    return results


def _demote(guid: str, who: str, actor: str) -> Callable[[Database], None]:
    def act(db: Database) -> None:
        with db.session() as s:
            service.set_member(s, guid, who, "viewer", actor=actor)

    return act


def _remove(guid: str, who: str, actor: str) -> Callable[[Database], None]:
    def act(db: Database) -> None:
        with db.session() as s:
            service.remove_member(s, guid, who, actor=actor)

    return act


def _owners(study: StudyWorld) -> list[str]:
    with study.db.session() as s:
        st = service.study(s, study.guid)
        return sorted(
            s.scalars(select(Member.username).where(Member.study_id == st.id, Member.right == OWNER_RIGHT))
        )


@pytest.mark.parametrize("how", [_demote, _remove])
def test_two_owners_leaving_each_other_at_once_keep_an_owner(
    settings: Settings, study: StudyWorld, how: Callable[[str, str, str], Callable[[Database], None]]
) -> None:
    for _ in range(6):  # repeated: a lucky interleaving must not pass by chance
        with study.db.session() as s:
            service.set_member(s, study.guid, CODER_A, "owner", actor=OWNER)
            service.set_member(s, study.guid, OWNER, "owner", actor=CODER_A)
        results = _at_once(settings, [how(study.guid, CODER_A, OWNER), how(study.guid, OWNER, CODER_A)])
        assert sorted(results) == ["Refused", "done"]
        assert len(_owners(study)) == 1


# ---------------------------------------------------------------- 2: no account probing


def test_adding_a_member_does_not_tell_a_missing_account_from_a_disabled_one(study: StudyWorld) -> None:
    from techforce.accounts import service as accounts

    with study.db.session() as s:
        accounts.create_user(s, "dora", "researcher", actor="test", password="correct horse battery staple")
        s.flush()
        accounts.get(s, "dora").disabled = True
    messages = []
    for name in ("dora", "nobody"):
        with study.db.session() as s, pytest.raises(errors.Invalid) as refused:
            service.set_member(s, study.guid, name, "coder", actor=OWNER)
        messages.append(str(refused.value).replace(name, "X"))
        assert "ask an admin" in str(refused.value) and name in str(refused.value)
    assert messages[0] == messages[1]
    assert "no active account" not in messages[0]


# ---------------------------------------------------------------- 3: .qdpx user names


def test_an_imported_project_cannot_speak_for_an_account_or_the_consensus_layer(study: StudyWorld) -> None:
    from dataclasses import replace

    from techforce.research import coding, exchange, qdpx
    from techforce.research.coding import MemoIn
    from techforce.research.models import Coding, Memo

    with study.db.session() as s:
        src = s.get(Source, study.sources[1])
        assert src is not None
        m = src.text.index("Mentoring")
        coding.resolve(s, study.guid, study.codes["Support"], src.id, m, m + 40, True, actor=OWNER)
        coding.save_memo(s, study.guid, MemoIn(text="Mine", source_id=src.id), actor=CODER_A)
        project = exchange.export_project(s, study.guid)
    assert {u.name for u in project.users} >= {CODER_A, "consensus"}
    # a hostile file: colin's work now says it is vera's (a real account)
    forged = replace(
        project, users=tuple(replace(u, name=VIEWER) if u.name == CODER_A else u for u in project.users)
    )
    forged = qdpx.read_qdpx(qdpx.write_qdpx(forged), "forged.qdpx")
    with study.db.session() as s:
        copy = exchange.import_project(s, forged, actor=OWNER, filename="forged.qdpx")
        rows = s.scalars(select(Coding).where(Coding.study_id == copy.id)).all()
        assert {r.coder for r in rows} == {f"import:{VIEWER}", f"import:{CODER_B}", "import:consensus"}
        assert {r.layer for r in rows} == {"coder"}
        authors = set(s.scalars(select(Memo.author).where(Memo.study_id == copy.id)))
        assert authors == {f"import:{VIEWER}"}
        copy_guid = copy.guid
    with study.db.session() as s:  # the importer owns the copy; nobody else was made a member
        assert [(st.guid, r) for st, r in service.studies_of(s, VIEWER) if st.guid == copy_guid] == []


# ---------------------------------------------------------------- 4, 5: quote decisions

K = 2  # the small study has three cases: P01 and P02 share an institution


def _coding(study: StudyWorld, source: int, code: str) -> int:
    from techforce.research import coding

    with study.db.session() as s:
        st = service.study(s, study.guid)
        rows = coding.codings_of(s, st.id, source_id=study.sources[source], coder=CODER_A)
        return next(r.id for r in rows if r.code_id == study.codes[code])


def _decide(study: StudyWorld, coding_id: int, decision: str, attribution: dict[str, str]) -> None:
    from techforce.research import quoting

    with study.db.session() as s:
        quoting.decide_quote(s, study.guid, coding_id, decision, attribution, actor=OWNER, k=K)


def _states(study: StudyWorld) -> dict[int, tuple[bool, str]]:
    from techforce.research import quoting

    with study.db.session() as s:
        st = service.study(s, study.guid)
        return {c: (q.ok, q.problem) for c, q in quoting.quote_states(s, st, k=K).items()}


def _exported(study: StudyWorld) -> list[str]:
    from techforce.research import analysis_data, quoting

    with study.db.session() as s:
        st = service.study(s, study.guid)
        codes = {c.id: c.path for c in analysis_data.code_records(s, st)}
        return [str(r[0]) for r in quoting.published_quotes(s, st, k=K, codes=codes).rows]


def _add_case(study: StudyWorld, pseudonym: str, kind: str, institution: str) -> int:
    with study.db.session() as s:
        row = service.save_case(
            s,
            study.guid,
            CaseIn(pseudonym=pseudonym, participant_type=kind, institution=institution),
            actor=OWNER,
        )
        service.record_consent(
            s, study.guid, row.id, may_quote=True, may_archive=True, may_name=False, actor=OWNER
        )
        return row.id


def test_a_decision_whose_attribution_no_longer_describes_the_speaker_needs_review(
    study: StudyWorld,
) -> None:
    _add_case(study, "P04", "senior leader (non-technical)", "10007792")  # 3 cases at 10007792
    ceiling = _coding(study, 0, "Careers/Grade ceiling")  # P01's
    _decide(study, ceiling, "coarsen", {"institution": "10007792"})
    assert _states(study)[ceiling] == (True, "")
    with study.db.session() as s:  # the owner corrects P01's institution: still 2 cases share 10007792
        service.save_case(
            s,
            study.guid,
            CaseIn(
                pseudonym="P01",
                participant_type="technician in a formal strategic role",
                institution="10007798",
                attributes={"sex": "F"},
            ),
            actor=OWNER,
            case_id=study.cases[0],
        )
    ok, problem = _states(study)[ceiling]
    assert not ok and "no longer describes P01" in problem and "needs review" in problem
    assert _exported(study) == []
    _decide(study, ceiling, "coarsen", {"institution": "a UK provider"})  # decided again: fine
    assert _states(study)[ceiling] == (True, "")


def test_one_speaker_with_two_attributions_needs_review(study: StudyWorld) -> None:
    _add_case(study, "P04", "technician in a formal strategic role", "10007792")
    ceiling = _coding(study, 0, "Careers/Grade ceiling")  # P01's
    support = _coding(study, 1, "Support")  # P02's
    _decide(study, ceiling, "coarsen", {"participant_type": "technician in a formal strategic role"})
    _decide(study, support, "coarsen", {"institution": "10007792"})
    assert len(_exported(study)) == 2
    with study.db.session() as s:  # P02's transcript turns out to be P01's: it is linked to P01
        src = s.get(Source, study.sources[1])
        assert src is not None
        src.case_id = study.cases[0]
    states = _states(study)
    for coding_id in (ceiling, support):
        ok, problem = states[coding_id]
        assert not ok and "different attributions" in problem
    assert _exported(study) == []


def test_a_quote_decision_audit_entry_holds_no_attribution_values(study: StudyWorld) -> None:
    from techforce.audit import AuditEvent
    from techforce.research import events

    ceiling = _coding(study, 0, "Careers/Grade ceiling")
    _decide(study, ceiling, "coarsen", {"institution": "10007792"})
    with study.db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == events.QUOTE_DECIDE)).one()
        assert event.payload == {"coding": ceiling, "decision": "coarsen"}
        assert "10007792" not in str(event.payload)


# ---------------------------------------------------------------- 6: withdrawn consent on a case study


def test_viewers_do_not_read_a_quote_whose_consent_was_withdrawn(study: StudyWorld) -> None:
    from techforce.research import quote_pages, quoting

    ceiling = _coding(study, 0, "Careers/Grade ceiling")
    _decide(study, ceiling, "coarsen", {"institution": "10007792"})
    with study.db.session() as s:
        made = quoting.save_case_study(
            s, study.guid, {"title": "Leeds", "ukprn": "10007792", "quotes": [ceiling]}, actor=OWNER, k=K
        )
        guid = made.guid

    def page(who: str) -> tuple[str, bool]:
        with study.db.session() as s:
            quote = quote_pages.case_study_page(s, study.guid, guid, who, k=K).quotes[0]
            return quote.text, quote.ok

    text = "The grade ceiling at grade 8 stopped me for a decade."
    blind = "[quote withheld while coding is blind]"  # coders see no codings (test_attack_fixes_d)
    assert page(VIEWER) == (text, True) and page(CODER_A) == (blind, True)
    with study.db.session() as s:
        service.record_consent(
            s, study.guid, study.cases[0], may_quote=False, may_archive=True, may_name=False, actor=OWNER
        )
    assert page(VIEWER) == ("[quote withheld: consent withdrawn]", False)
    assert page(CODER_A) == (blind, False)
    assert page(OWNER) == (text, False)  # the owner still reads it, flagged, to take it out
