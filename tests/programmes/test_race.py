"""Two people booking the last place at the same moment: exactly one gets it, the other is
waitlisted; on SQLite and on PostgreSQL, with each booker on their own connection."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.models import Booking
from techforce.settings import Settings
from tests.programmes.conftest import World, person


def _race(settings: Settings, world: World, people: list[int]) -> list[str]:
    """Each person books the workshop from their own process-like client (own engine) once a
    barrier releases them all together."""
    barrier = threading.Barrier(len(people))
    results: list[str] = []
    failures: list[BaseException] = []

    def client(participant_id: int) -> None:
        own = Database(settings)
        try:
            who = person(own, participant_id)
            barrier.wait()
            with own.session() as s:
                booking = service.book(s, world.workshop_cohort, s.merge(who), actor="race")
                results.append(booking.status)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            failures.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=client, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    return results


def test_two_people_booking_the_last_place_at_once(settings: Settings, world: World) -> None:
    for i in range(2):  # 3 places: 2 taken, the last one raced for
        with world.db.session() as s:
            service.book(s, world.workshop_cohort, s.merge(person(world.db, world.people[i])), actor="x")
    for _ in range(5):  # the race is repeated: a lucky interleaving must not pass by chance
        results = _race(settings, world, world.people[2:4])
        assert sorted(results) == ["confirmed", "waitlisted"]
        with world.db.session() as s:
            raced = list(s.scalars(select(Booking).where(Booking.participant_id.in_(world.people[2:4]))))
            confirmed = s.scalar(
                select(func.count()).where(
                    Booking.cohort_id == world.workshop_cohort, Booking.status == "confirmed"
                )
            )
            assert confirmed == 3
            for booking in raced:  # reset the two for the next round
                if booking.status == "confirmed":
                    service.cancel(s, booking, actor="x")  # promotes the other: cancel it too
            for booking in raced:
                s.refresh(booking)
                if booking.status != "cancelled":
                    service.cancel(s, booking, actor="x")
        with world.db.session() as s:  # both rebook into the race: delete their rows
            for booking in s.scalars(select(Booking).where(Booking.participant_id.in_(world.people[2:4]))):
                s.delete(booking)


def test_many_people_for_few_places_never_overbook(settings: Settings, world: World) -> None:
    results = _race(settings, world, world.people)  # six people, three places
    assert sorted(results) == ["confirmed"] * 3 + ["waitlisted"] * 3
    with world.db.session() as s:
        order = [
            b.status
            for b in s.scalars(
                select(Booking).where(Booking.cohort_id == world.workshop_cohort).order_by(Booking.queued_at)
            )
        ]
    assert order.count("confirmed") == 3
