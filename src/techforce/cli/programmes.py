"""`techforce programmes ...`: programmes, cohorts, sessions, bookings, registers,
credentials, calendar feeds, notifications, CSV exchange and impact."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Develop the workforce: programmes, bookings, attendance, credentials and impact.",
    no_args_is_help=True,
)
