"""`techforce strategy`: recommendation sets, Technician Commitment signatories and due dates,
action plans by CSV, reminders, the sector view, the self-assessment pack and the demo.

The command line acts as an operator on the server and records each change in the audit
log under the --user (or TECHFORCE_USER) name."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Recommendations, Technician Commitment self-assessments and action plans linked to evidence.",
    no_args_is_help=True,
)

# each topic adds its commands (one line each, below)
from techforce.cli import strategy_sector  # noqa: E402

strategy_sector.register(app)
from techforce.cli import strategy_plans  # noqa: E402

strategy_plans.register(app)
from techforce.cli import strategy_pack  # noqa: E402

strategy_pack.register(app)
