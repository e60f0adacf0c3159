"""library: resources, audiences, links, search text (FTS5 on SQLite, a GIN full-text index on
PostgreSQL) and embeddings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# What search matches on, identical in the index and in the queries (library/search.py).
PG_DOCUMENT = "to_tsvector('simple', title_terms || ' ' || meta_terms || ' ' || text_terms)"
FTS_TRIGGERS = (
    """CREATE TRIGGER library_search_ai AFTER INSERT ON library_search BEGIN
  INSERT INTO library_fts(rowid, title_terms, meta_terms, text_terms)
  VALUES (new.resource_id, new.title_terms, new.meta_terms, new.text_terms);
END""",
    """CREATE TRIGGER library_search_ad AFTER DELETE ON library_search BEGIN
  INSERT INTO library_fts(library_fts, rowid, title_terms, meta_terms, text_terms)
  VALUES ('delete', old.resource_id, old.title_terms, old.meta_terms, old.text_terms);
END""",
    """CREATE TRIGGER library_search_au AFTER UPDATE ON library_search BEGIN
  INSERT INTO library_fts(library_fts, rowid, title_terms, meta_terms, text_terms)
  VALUES ('delete', old.resource_id, old.title_terms, old.meta_terms, old.text_terms);
  INSERT INTO library_fts(rowid, title_terms, meta_terms, text_terms)
  VALUES (new.resource_id, new.title_terms, new.meta_terms, new.text_terms);
END""",
)


def upgrade() -> None:
    op.create_table(
        "library_resource",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("pillars", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_type", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_resource")),
        sa.UniqueConstraint("slug", name=op.f("uq_library_resource_slug")),
    )
    op.create_index(op.f("ix_library_resource_kind"), "library_resource", ["kind"], unique=False)
    op.create_index(
        op.f("ix_library_resource_organisation"), "library_resource", ["organisation"], unique=False
    )
    op.create_table(
        "library_embedding",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resource.id"],
            name=op.f("fk_library_embedding_resource_id_library_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_library_embedding")),
    )
    op.create_table(
        "library_link",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resource.id"],
            name=op.f("fk_library_link_resource_id_library_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "target", name=op.f("pk_library_link")),
    )
    op.create_index(op.f("ix_library_link_target"), "library_link", ["target"], unique=False)
    op.create_table(
        "library_audience",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resource.id"],
            name=op.f("fk_library_audience_resource_id_library_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "who", name=op.f("pk_library_audience")),
    )
    op.create_index(op.f("ix_library_audience_who"), "library_audience", ["who"], unique=False)
    op.create_table(
        "library_search",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("meta_terms", sa.Text(), nullable=False),
        sa.Column("text_terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resource.id"],
            name=op.f("fk_library_search_resource_id_library_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_library_search")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE library_fts USING fts5(title_terms, meta_terms, text_terms, "
            "content='library_search', content_rowid='resource_id', tokenize='unicode61')"
        )
        for trigger in FTS_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(f"CREATE INDEX ix_library_search_document ON library_search USING gin ({PG_DOCUMENT})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("library_search_ai", "library_search_ad", "library_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS library_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_library_search_document")
    op.drop_table("library_search")
    op.drop_index(op.f("ix_library_audience_who"), table_name="library_audience")
    op.drop_table("library_audience")
    op.drop_index(op.f("ix_library_link_target"), table_name="library_link")
    op.drop_table("library_link")
    op.drop_table("library_embedding")
    op.drop_index(op.f("ix_library_resource_organisation"), table_name="library_resource")
    op.drop_index(op.f("ix_library_resource_kind"), table_name="library_resource")
    op.drop_table("library_resource")
