"""The web app's schedule: due reminders are queued and sent without cron; stopping waits for
delivery in progress, so nothing is cut off when the app shuts down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.facade import Programmes
from techforce.programmes.models import Cohort, Notification
from techforce.settings import Settings
from tests.programmes.conftest import make_world, person


def test_due_reminders_are_queued_and_sent_by_the_app(sqlite_settings: Settings, sqlite_db: Database) -> None:
    world = make_world(sqlite_db)
    with sqlite_db.session() as s:
        service.book(s, world.workshop_cohort, s.merge(person(sqlite_db, world.people[0])), actor="tech0")
        cohort = s.get(Cohort, world.workshop_cohort)
        assert cohort is not None
        soon = datetime.now(UTC) + timedelta(hours=5)  # within the 48 hours before a session
        cohort.sessions[0].starts_at, cohort.sessions[0].ends_at = soon, soon + timedelta(hours=2)
    app_service = Programmes(sqlite_settings, sqlite_db)
    assert app_service.run_due() == 1
    assert app_service.run_due() == 0  # queued once, however often it runs
    app_service.stop()  # waits for the delivery thread
    with sqlite_db.session() as s:
        sent = {(n.kind, n.status) for n in s.scalars(select(Notification))}
    assert sent == {("confirmed", "sent"), ("reminder", "sent")}
    reminders = list((sqlite_settings.outbox_dir).glob("*-reminder.eml"))
    assert len(reminders) == 1 and "Soldering" in reminders[0].read_text()


def test_the_schedule_starts_only_when_asked_and_stops(
    sqlite_settings: Settings, sqlite_db: Database
) -> None:
    off = Programmes(sqlite_settings.model_copy(update={"notify_minutes": 0}), sqlite_db)
    off.start()
    assert off._schedule is None
    on = Programmes(sqlite_settings.model_copy(update={"notify_minutes": 5}), sqlite_db)
    on.start()
    assert on._schedule is not None and on._schedule.is_alive()
    on.stop()
    assert on._schedule is None
