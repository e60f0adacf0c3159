"""The programmes capability's service object for the shells: the settings and database,
the impact dashboard's cache, and delivery of queued notifications after a change commits (in the background, one run at
a time, so a page never waits for a mail server)."""

from __future__ import annotations

import logging
import threading

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
