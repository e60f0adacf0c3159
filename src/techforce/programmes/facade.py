"""The programmes capability's service object for the shells: the settings and database,
the impact dashboard's cache, and delivery of queued notifications after a change commits (in the background, one run at
a time, so a page never waits for a mail server)."""

from __future__ import annotations

import logging
import threading

from techforce.audit import utcnow
from techforce.db import Database
from techforce.programmes.impact import Impact
from techforce.settings import Settings

log = logging.getLogger(__name__)


class Programmes:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.impact = Impact(settings, db)  # the dashboard, cached per data version
        self._state = threading.Lock()  # guards _again and _worker
        self._again = False
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self._schedule: threading.Thread | None = None

    def start(self) -> None:
        """Every ``notify_minutes`` (a setting; 0: never), queue the reminders and feedback
        requests that are due and send what is queued, until stop(). The first run is one
        interval after start. Several app processes may each run it: queueing is one run at a
        time and keyed, so nothing is queued or sent twice."""
        minutes = self.settings.notify_minutes
        if minutes <= 0 or self._schedule is not None:
            return
        self._stop.clear()
        self._schedule = threading.Thread(
            target=self._every, args=(minutes * 60.0,), name="programmes-schedule", daemon=True
        )
        self._schedule.start()

    def stop(self) -> None:
        """End the schedule and wait for delivery in progress (before the database is closed)."""
        self._stop.set()
        if self._schedule is not None:
            self._schedule.join(30)
            self._schedule = None
        self.wait_idle()

    def run_due(self) -> int:
        """Queue what is due now, then deliver in the background; returns how many were queued."""
        from techforce.programmes import mail

        with self.db.session() as session:
            queued = mail.queue_due(session, self.settings, utcnow())
        self.deliver_soon()
        return queued

    def _every(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.run_due()
            except Exception:  # the next run tries again; `techforce programmes notify` shows errors
                log.exception("queueing due reminders and feedback requests failed")

    def deliver_soon(self) -> None:
        """Deliver queued notifications in a background thread. A call while a run is going
        asks it to run once more, so nothing queued meanwhile waits for the next change; at
        most one delivery thread runs at a time."""
        with self._state:
            self._again = True
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._deliver, name="programmes-mail", daemon=True)
            self._worker.start()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait for a delivery run to end (before the database is closed, at shutdown and in tests)."""
        with self._state:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _deliver(self) -> None:
        from techforce.programmes import mail

        while True:
            with self._state:
                if not self._again:
                    self._worker = None
                    return
                self._again = False
            try:
                mail.deliver_pending(self.settings, self.db)
            except Exception:  # a message stays queued; `techforce programmes notify` retries it
                log.exception("delivering queued notifications failed; they stay queued")
