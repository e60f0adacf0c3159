"""Alembic environment: runs on the connection handed over by techforce.db.migrate."""

from alembic import context

import techforce.accounts.models
import techforce.audit
import techforce.library.models
import techforce.programmes.models
import techforce.research.models
import techforce.strategy.models
import techforce.workforce.models  # noqa: F401  (registers tables on Base.metadata)
from techforce.db import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via `alembic` CLI with a URL
    raise RuntimeError("run migrations through techforce.db.migrate(engine)")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
