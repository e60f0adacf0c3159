"""Registers, the completion rule (80% of sessions plus the final project), starters and
completers, and consent to link the staff record (withdrawal removes the link)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from techforce import audit, errors
from techforce.programmes import followup, service
from techforce.programmes.models import Booking, Cohort, WorkforceLink
from techforce.workforce.store import own_pseudonym
from tests.programmes.conftest import World, person


def _confirmed_on_leadership(world: World, n: int) -> list[int]:
    ids = []
    for i in range(n):
        with world.db.session() as s:
            b = service.book(
                s,
                world.leadership_cohort,
                s.merge(person(world.db, world.people[i])),
                actor="t",
                statement="why",
            )
            service.decide(s, b, approve=True, reason="eligible", actor="manager")
            ids.append(b.id)
    return ids


def _mark(world: World, session_index: int, marks: dict[int, str]) -> None:
    with world.db.session() as s:
        service.record_attendance(
            s, service.session_by_id(s, world.sessions[session_index]), marks, actor="facilitator"
        )


def test_completion_needs_80_percent_and_the_project(world: World) -> None:
    full, four, three, never = _confirmed_on_leadership(world, 4)
    for k in range(5):  # five sessions: full 5/5, four 4/5 (80%), three 3/5 (60%), never 0/5
        _mark(
            world,
            k,
            {
                full: "present",
                four: "present" if k < 4 else "excused",
                three: "present" if k < 3 else "absent",
                never: "absent",
            },
        )
    with world.db.session() as s:
        for b in (full, four, three):
            service.record_project(s, s.get(Booking, b), done=True, actor="manager")
    with world.db.session() as s:
        cohort = s.get(Cohort, world.leadership_cohort)
        state = {p.booking_id: p for p in service.progress(s, cohort)}
        assert [state[b].started for b in (full, four, three, never)] == [True, True, True, False]
        assert [state[b].complete for b in (full, four, three, never)] == [True, True, False, False]
        assert state[four].attendance_pct == 80.0 and state[four].excused == 1
        assert "final project" in state[full].rule
        new = service.confirm_completions(s, cohort, actor="manager")
        assert sorted(b.id for b in new) == sorted([full, four])
    with world.db.session() as s:  # the project is required: without it, no completion
        service.record_project(s, s.get(Booking, four), done=False, actor="manager")
        service.confirm_completions(s, s.get(Cohort, world.leadership_cohort), actor="manager")
    with world.db.session() as s:
        assert s.get(Booking, four).completed_at is None
        assert s.get(Booking, full).completed_at is not None


def test_a_register_with_a_bad_mark_saves_nothing(world: World) -> None:
    (one,) = _confirmed_on_leadership(world, 1)
    with pytest.raises(errors.Invalid) as caught:
        _mark(world, 0, {one: "present", 999: "present"})
    assert "999" in caught.value.message
    with pytest.raises(errors.Invalid, match="late"):
        _mark(world, 0, {one: "late"})
    with world.db.session() as s:
        state = service.progress(s, s.get(Cohort, world.leadership_cohort))
    assert state[0].present == 0 and state[0].absent == 0


def test_consent_links_the_own_staff_id_and_withdrawal_removes_it(world: World) -> None:
    key = b"k" * 32
    with world.db.session() as s:
        who = s.merge(person(world.db, world.people[0]))
        link = followup.give_consent(
            s, who, followup.ConsentIn(ukprn="10007789", staff_id=" E123 "), key, actor="tech0"
        )
        assert link.person_id == own_pseudonym(key, "10007789", "E123")
    with world.db.session() as s:
        stored = s.scalar(select(WorkforceLink))
        assert stored is not None and "E123" not in stored.person_id
        assert followup.withdraw_consent(s, s.merge(person(world.db, world.people[0])), actor="tech0") is True
    with world.db.session() as s:
        assert s.scalar(select(WorkforceLink)) is None
        assert (
            followup.withdraw_consent(s, s.merge(person(world.db, world.people[0])), actor="tech0") is False
        )
        actions = [e.action for e in audit.recent(s, action="programmes.consent")]
    assert actions == ["programmes.consent.withdraw", "programmes.consent.give"]


def test_feedback_waits_for_the_first_session(world: World) -> None:
    (one,) = _confirmed_on_leadership(world, 1)
    with world.db.session() as s, pytest.raises(errors.Refused, match="first session"):
        followup.submit_feedback(
            s,
            s.get(Booking, one),
            followup.FeedbackIn(reaction=5, recommend=True, before=2, after=4),
            actor="tech0",
        )
