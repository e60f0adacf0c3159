"""The research capability's service object for the shells: its settings and database, and
the assisted-coding index builds running in the background, which the app waits for at
shutdown (so no build writes after the database is gone)."""

from __future__ import annotations

from techforce.db import Database
from techforce.research import suggesting
from techforce.settings import Settings


class Research:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.builds = suggesting.Builds()

    def stop(self) -> None:
        """Let index builds in progress finish."""
        self.builds.wait()
