"""Managers' page data on both engines (SQLite and PostgreSQL): the management page (bookings
in waiting-list order, applications), a register, the completion page, renaming a cohort, and
UK local times to and from UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from techforce import errors
from techforce.programmes import manage_pages as mp
from techforce.programmes import service
from techforce.programmes.models import Participant
from tests.programmes.conftest import World


def _book(world: World, cohort: int, people: range, *, statement: str = "") -> list[int]:
    with world.db.session() as s:
        ids = []
        for i in people:
            who = s.get(Participant, world.people[i])
            assert who is not None
            ids.append(service.book(s, cohort, who, actor="t", statement=statement).id)
        return ids


def test_the_management_page_lists_the_waiting_list_in_order(world: World) -> None:
    shop = _book(world, world.workshop_cohort, range(5))
    applied = _book(world, world.leadership_cohort, range(2), statement="Because")
    with world.db.session() as s:
        page = mp.manage_page(s, "soldering")
        leaders = mp.manage_page(s, "leaders")
    [march] = page.cohorts
    assert [(b.id, b.status, b.queue_position) for b in march.bookings] == [
        (shop[0], "confirmed", None),
        (shop[1], "confirmed", None),
        (shop[2], "confirmed", None),
        (shop[3], "waitlisted", 1),
        (shop[4], "waitlisted", 2),
    ]
    assert (march.confirmed, march.waitlisted, march.capacity) == (3, 2, 3)
    assert [a.id for a in leaders.applications] == applied
    assert leaders.programme.cost == "£1,500" and leaders.programme.managers == ["manager"]
    assert [s.id for s in leaders.cohorts[0].sessions] == world.sessions


def test_the_register_and_completion_pages(world: World) -> None:
    people = _book(world, world.workshop_cohort, range(2))
    with world.db.session() as s:
        [session] = service.cohort_by_id(s, world.workshop_cohort).sessions
        service.record_attendance(s, session, {people[0]: "present"}, actor="t")
        register = mp.register_page(s, "soldering", world.workshop_cohort, session.id)
        completion = mp.completion_page(s, "soldering", world.workshop_cohort)
        with pytest.raises(errors.NotFound):
            mp.register_page(s, "leaders", world.workshop_cohort, session.id)
        with pytest.raises(errors.NotFound):
            mp.register_page(s, "soldering", world.leadership_cohort, session.id)
    assert [(r.booking_id, r.mark) for r in register.rows] == [(people[0], "present"), (people[1], "")]
    assert register.counts == {"present": 1, "absent": 0, "excused": 0, "unmarked": 1}
    assert (completion.participants, completion.starters, completion.completers) == (
        2,
        1,
        1,
    )  # 80% of 1 session
    assert completion.rule == "present at 80% of sessions or more"


def test_a_cohort_is_renamed_and_a_clash_refused(world: World) -> None:
    with world.db.session() as s:
        data = service.CohortIn(name="Spring", starts_on="2030-03-01", ends_on="2030-03-01", capacity=4)
        row = mp.edit_cohort(s, "soldering", world.workshop_cohort, data, actor="manager")
        assert (row.id, row.name, row.capacity) == (world.workshop_cohort, "Spring", 4)
    with world.db.session() as s:
        service.save_cohort(
            s,
            "soldering",
            service.CohortIn(name="Autumn", starts_on="2030-10-01", ends_on="2030-10-01"),
            actor="m",
        )
    clash = service.CohortIn(name="Autumn", starts_on="2030-03-01", ends_on="2030-03-01")
    with world.db.session() as s, pytest.raises(errors.Refused):
        mp.edit_cohort(s, "soldering", world.workshop_cohort, clash, actor="manager")


def test_uk_local_times() -> None:
    assert mp.from_local("2026-06-02T09:30", "starts") == datetime(2026, 6, 2, 8, 30, tzinfo=UTC)
    assert mp.from_local("2026-12-02T09:30", "starts") == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    assert mp.from_local("2026-10-25T01:30", "starts") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )  # the first
    with pytest.raises(errors.Invalid, match="does not exist in UK time"):
        mp.from_local("2026-03-29T01:30", "starts")
    with pytest.raises(errors.Invalid, match="not a date and time"):
        mp.from_local("tomorrow", "starts")
    assert mp.shown(datetime(2026, 6, 2, 8, 30, tzinfo=UTC)) == "Tue 2 Jun 2026, 09:30"
    assert mp.local_input(datetime(2026, 6, 2, 8, 30)) == "2026-06-02T09:30"  # naive: UTC
