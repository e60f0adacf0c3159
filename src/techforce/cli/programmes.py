"""`techforce programmes ...`: programmes, cohorts, sessions, bookings, registers,
credentials, calendar feeds, notifications, CSV exchange and impact."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Develop the workforce: programmes, bookings, attendance, credentials and impact.",
    no_args_is_help=True,
)


from techforce.cli import programmes_core  # noqa: E402

programmes_core.register(app)

from techforce.cli import programmes_calendar  # noqa: E402

programmes_calendar.register(app)

from techforce.cli import programmes_credentials  # noqa: E402

programmes_credentials.register(app)

from techforce.cli import programmes_exchange  # noqa: E402

programmes_exchange.register(app)

from techforce.cli import programmes_impact  # noqa: E402

programmes_impact.register(app)
