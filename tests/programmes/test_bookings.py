"""Bookings: places, the waiting list and its promotion, applications and decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.programmes import service
from techforce.programmes.models import Booking, Notification
from tests.programmes.conftest import World, person


def _book(world: World, i: int, cohort: int | None = None, statement: str = "") -> Booking:
    with world.db.session() as s:
        who = s.merge(person(world.db, world.people[i]))
        return service.book(s, cohort or world.workshop_cohort, who, actor=f"tech{i}", statement=statement)


def test_places_then_the_waiting_list_then_promotion_on_cancel(world: World) -> None:
    statuses = [_book(world, i).status for i in range(5)]
    assert statuses == ["confirmed"] * 3 + ["waitlisted"] * 2
    with world.db.session() as s:
        first = s.scalar(select(Booking).where(Booking.status == "confirmed").order_by(Booking.id))
        assert first is not None
        promoted = service.cancel(s, first, actor="tech0")
        assert [b.participant.username for b in promoted] == ["tech3"]  # first come, first served
    with world.db.session() as s:
        by_user = {b.participant.username: b.status for b in s.scalars(select(Booking))}
        kinds = sorted(n.kind for n in s.scalars(select(Notification)))
    assert by_user == {
        "tech0": "cancelled",
        "tech1": "confirmed",
        "tech2": "confirmed",
        "tech3": "confirmed",
        "tech4": "waitlisted",
    }
    assert kinds.count("promoted") == 1 and kinds.count("cancelled") == 1 and kinds.count("waitlisted") == 2


def test_booking_twice_is_refused_and_rebooking_after_cancelling_joins_the_back(world: World) -> None:
    for i in range(4):
        _book(world, i)
    with pytest.raises(errors.Refused, match="already has a booking"):
        _book(world, 0)
    with world.db.session() as s:
        mine = s.scalar(
            select(Booking).join(Booking.participant).where(Booking.participant.has(username="tech1"))
        )
        assert mine is not None
        service.cancel(s, mine, actor="tech1")  # tech3 promoted
    assert _book(world, 1).status == "waitlisted"


def test_a_selective_programme_takes_applications_decided_with_a_reason(world: World) -> None:
    with pytest.raises(errors.Invalid, match="application statement"):
        _book(world, 0, world.leadership_cohort)
    applied = _book(world, 0, world.leadership_cohort, statement="I lead a team of six")
    assert applied.status == "applied"
    with world.db.session() as s:
        booking = s.get(Booking, applied.id)
        assert booking is not None
        with pytest.raises(errors.Invalid, match="reason"):
            service.decide(s, booking, approve=True, reason=" ", actor="manager")
    with world.db.session() as s:
        booking = s.get(Booking, applied.id)
        assert booking is not None
        decided = service.decide(s, booking, approve=True, reason="meets the criteria", actor="manager")
        assert decided.status == "confirmed" and decided.decided_by == "manager"


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "Soldering\x00"), ("location", "Room 1\r\nX-Injected: yes"), ("facilitator", "A\x1bB")],
)
def test_control_characters_are_refused_naming_the_field(field: str, value: str) -> None:
    from datetime import UTC, datetime, timedelta

    from pydantic import ValidationError

    at = datetime(2030, 1, 1, 9, tzinfo=UTC)
    fields = {"title": "Soldering", "starts_at": at, "ends_at": at + timedelta(hours=1), field: value}
    with pytest.raises(ValidationError, match=field):
        service.SessionIn(**fields)


def test_a_statement_with_nul_is_refused_before_anything_is_written(world: World) -> None:
    with pytest.raises(errors.Invalid, match="statement: holds the control character U\\+0000"):
        _book(world, 0, world.leadership_cohort, statement="I lead\x00")
    with world.db.session() as s:
        assert s.scalar(select(Booking)) is None


@pytest.mark.parametrize("slug", ["new", "me", "impact", "verify"])
def test_a_slug_that_names_a_page_is_refused(slug: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="names a page of its own"):
        service.ProgrammeIn(slug=slug, title="x", kind="course", capacity=5)
