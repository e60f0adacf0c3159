"""library: on PostgreSQL, search reads a stored weighted tsvector (title A, metadata B, text)
with its own GIN index, instead of building it per row at query time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:10:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# the same lexemes as 0007's expression index (so the same resources match), weighted for ranking
WEIGHTED = (
    "setweight(to_tsvector('simple', title_terms), 'A') || "
    "setweight(to_tsvector('simple', meta_terms), 'B') || to_tsvector('simple', text_terms)"
)
PG_DOCUMENT = "to_tsvector('simple', title_terms || ' ' || meta_terms || ' ' || text_terms)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite searches its FTS5 table (0007)
    op.execute(
        f"ALTER TABLE library_search ADD COLUMN weighted_document tsvector GENERATED ALWAYS AS ({WEIGHTED}) STORED"
    )
    op.execute("CREATE INDEX ix_library_search_weighted ON library_search USING gin (weighted_document)")
    op.execute("DROP INDEX IF EXISTS ix_library_search_document")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_library_search_document ON library_search USING gin ({PG_DOCUMENT})")
    op.execute("DROP INDEX IF EXISTS ix_library_search_weighted")
    op.execute("ALTER TABLE library_search DROP COLUMN weighted_document")
