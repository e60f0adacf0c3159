"""The migrations build exactly the tables the models declare, on SQLite and PostgreSQL: a
model changed without its migration fails here, not in a deployment."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import techforce.accounts.models
import techforce.programmes.models
import techforce.workforce.models  # noqa: F401  (registers tables)
from techforce.db import Base, Database


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
