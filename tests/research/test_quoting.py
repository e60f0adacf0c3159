"""Quote decisions and case studies on a real store (SQLite and PostgreSQL): publish only when
safe now, coarsen only to an attribution at least k cases share, one attribution per speaker,
block always; a withdrawn consent drops a quote from the export and flags its case study."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.research import analysis_data, coding, events, quoting, service
from techforce.research.models import CaseStudy, QuoteDecision
from techforce.research.quoting import CaseStudyIn
from techforce.research.service import CaseIn
from tests.research.conftest import CODER_A, OWNER, StudyWorld, make_study

K = 2  # the small study has three cases: P01 and P02 share an institution


@pytest.fixture
def world(db: Database) -> StudyWorld:
    return make_study(db)


def _coding(world: StudyWorld, source: int, code: str) -> int:
    with world.db.session() as s:
        st = service.study(s, world.guid)
        rows = coding.codings_of(s, st.id, source_id=world.sources[source], coder=CODER_A)
        return next(r.id for r in rows if r.code_id == world.codes[code])


def _decide(world: StudyWorld, coding_id: int, decision: str, attribution: dict[str, str]) -> QuoteDecision:
    with world.db.session() as s:
        return quoting.decide_quote(s, world.guid, coding_id, decision, attribution, actor=OWNER, k=K)


def _exported(world: StudyWorld) -> list[str]:
    with world.db.session() as s:
        st = service.study(s, world.guid)
        codes = {c.id: c.path for c in analysis_data.code_records(s, st)}
        table = quoting.published_quotes(s, st, k=K, codes=codes)
        return [str(r[0]) for r in table.rows]


def test_publish_needs_a_safe_check_and_coarsen_must_reach_k(world: StudyWorld) -> None:
    ceiling = _coding(world, 0, "Careers/Grade ceiling")  # P01: the only one of their type
    p01 = {"participant_type": "technician in a formal strategic role", "institution": "10007792"}
    with pytest.raises(errors.Refused, match="not safe"):
        _decide(world, ceiling, "publish", p01)
    with pytest.raises(errors.Refused, match="fewer than k"):
        _decide(world, ceiling, "coarsen", {"participant_type": p01["participant_type"]})
    with pytest.raises(errors.Invalid, match="does not describe"):
        _decide(world, ceiling, "coarsen", {"institution": "10007798"})  # not P01's institution
    with pytest.raises(errors.Invalid, match="no decision"):
        _decide(world, ceiling, "hide", {})
    with world.db.session() as s:
        assert s.scalar(select(QuoteDecision)) is None  # bad input changed nothing

    done = _decide(world, ceiling, "coarsen", {"institution": "10007792"})  # P01 and P02: k = 2
    assert (done.decision, done.attribution) == ("coarsen", {"institution": "10007792"})
    assert _exported(world) == ["The grade ceiling at grade 8 stopped me for a decade."]
    with world.db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == events.QUOTE_DECIDE)).one()
        assert event.payload["decision"] == "coarsen" and event.target == world.guid

    # the same speaker's other quote must carry the same attribution (no jigsaw)
    creation = _coding(world, 0, "Roles/Creation")
    with pytest.raises(errors.Refused, match="one speaker has one attribution"):
        _decide(world, creation, "coarsen", {"institution": "a UK provider"})
    _decide(world, creation, "coarsen", {"institution": "10007792"})
    assert len(_exported(world)) == 2

    # block is always allowed and leaves the export
    _decide(world, creation, "block", {"institution": "ignored"})
    assert _exported(world) == ["The grade ceiling at grade 8 stopped me for a decade."]


def test_publish_as_is_when_enough_cases_share_the_attribution(world: StudyWorld) -> None:
    support = _coding(world, 1, "Support")  # P02
    with world.db.session() as s:
        service.save_case(
            s,
            world.guid,
            CaseIn(pseudonym="P04", participant_type="senior leader (non-technical)", institution="10007792"),
            actor=OWNER,
        )
    done = _decide(world, support, "publish", {"participant_type": "", "institution": ""})
    assert done.attribution == {
        "participant_type": "senior leader (non-technical)",
        "institution": "10007792",
    }


def test_no_consent_means_block_only(world: StudyWorld) -> None:
    with world.db.session() as s:
        st = service.study(s, world.guid)
        p03_source = service.import_transcript(
            s, world.guid, b"P03: I was never asked.", "p03.txt", actor=OWNER, case_id=world.cases[2]
        )
        row = coding.add_coding(s, world.guid, p03_source.id, world.codes["Support"], 0, 10, actor=OWNER)
        coding_id = row.id
        assert st.id
    with pytest.raises(errors.Refused, match="not consented"):
        _decide(world, coding_id, "coarsen", {})
    assert _decide(world, coding_id, "block", {}).decision == "block"


def test_withdrawn_consent_drops_the_quote_and_flags_the_case_study(world: StudyWorld) -> None:
    ceiling = _coding(world, 0, "Careers/Grade ceiling")
    support = _coding(world, 1, "Support")
    _decide(world, ceiling, "coarsen", {"institution": "10007792"})
    with world.db.session() as s:
        with pytest.raises(errors.Refused, match="no quote decision"):
            quoting.save_case_study(
                s, world.guid, {"title": "Leeds", "ukprn": "10007792", "quotes": [support]}, actor=OWNER, k=K
            )
        with pytest.raises(errors.Invalid, match="ukprn"):
            quoting.save_case_study(s, world.guid, {"title": "Leeds", "ukprn": "leeds"}, actor=OWNER, k=K)
    with world.db.session() as s:
        made = quoting.save_case_study(
            s,
            world.guid,
            CaseStudyIn(
                title="Leeds", ukprn="10007792", summary="A head of technical services.", quotes=[ceiling]
            ),
            actor=OWNER,
            k=K,
        )
        guid = made.guid
        assert [q.coding_id for q in made.quotes] == [ceiling]
    with world.db.session() as s:  # edit: same row, new fields
        quoting.save_case_study(
            s,
            world.guid,
            {"title": "Leeds (final)", "ukprn": "10007792", "status": "final", "quotes": [ceiling]},
            actor=OWNER,
            case_study_id=guid,
            k=K,
        )
        assert len(list(s.scalars(select(CaseStudy)))) == 1
        assert (
            s.scalars(select(AuditEvent.action).where(AuditEvent.action == events.CASE_STUDY_SAVE)).all()
            == [events.CASE_STUDY_SAVE] * 2
        )

    with world.db.session() as s:  # P01 withdraws consent to be quoted
        service.record_consent(
            s, world.guid, world.cases[0], may_quote=False, may_archive=True, may_name=False, actor=OWNER
        )
    assert _exported(world) == []
    with world.db.session() as s:
        st = service.study(s, world.guid)
        state = quoting.quote_states(s, st, [ceiling], k=K)[ceiling]
        assert not state.ok and "withdrawn consent" in state.problem
        with pytest.raises(errors.Refused, match="withdrawn consent"):
            quoting.save_case_study(
                s, world.guid, {"title": "Leeds", "ukprn": "10007792", "quotes": [ceiling]}, actor=OWNER, k=K
            )


def test_a_decision_no_longer_safe_when_cases_leave(world: StudyWorld) -> None:
    ceiling = _coding(world, 0, "Careers/Grade ceiling")
    _decide(world, ceiling, "coarsen", {"institution": "10007792"})
    with world.db.session() as s:  # P02 moves: only P01 is left at 10007792
        service.save_case(
            s,
            world.guid,
            CaseIn(pseudonym="P02", participant_type="senior leader (non-technical)", institution="10007798"),
            actor=OWNER,
            case_id=world.cases[1],
        )
    assert _exported(world) == []
