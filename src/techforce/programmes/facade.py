"""The programmes capability's service object for the shells: the settings and database,
the impact dashboard's cache, and delivery of queued notifications after a change commits (in the background, one run at
a time, so a page never waits for a mail server)."""

from __future__ import annotations

import threading

from techforce.db import Database
from techforce.programmes.impact import Impact
from techforce.settings import Settings


class Programmes:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.impact = Impact(settings, db)  # the dashboard, cached per data version
        self._delivering = threading.Lock()
        self._again = threading.Event()

    def deliver_soon(self) -> None:
        """Deliver queued notifications in a background thread. A call while a run is going
        asks it to run once more, so nothing queued meanwhile waits for the next change."""
        self._again.set()
        if self._delivering.locked():
            return
        threading.Thread(target=self._deliver, name="programmes-mail", daemon=True).start()

    def _deliver(self) -> None:
        from techforce.programmes import mail

        with self._delivering:
            while self._again.is_set():
                self._again.clear()
                mail.deliver_pending(self.settings, self.db)
