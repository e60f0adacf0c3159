"""The migrations build exactly the tables the models declare, on SQLite and PostgreSQL: a
model changed without its migration fails here, not in a deployment."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import techforce.accounts.models
import techforce.library.models
import techforce.programmes.models
import techforce.research.models
import techforce.workforce.models  # noqa: F401  (registers tables)
from techforce.db import Base, Database

# Made by the library's migrations for full-text search and not declared as models: SQLite's
# FTS5 table with its shadow tables, and PostgreSQL's stored weighted tsvector with its GIN index.
SEARCH_ONLY = ("library_fts", "ix_library_search_document", "ix_library_search_weighted", "weighted_document")


def _declared_here(name: str | None, kind: str, parents: object) -> bool:
    return not (name or "").startswith(SEARCH_ONLY)


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _declared_here}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
