"""Tables of the library: resources with their metadata, audience and stored file; the links
from a resource to what it supports (a recommendation, an action, a programme); the search
text of each resource; and, with the ``nlp`` extra, its embedding.

Search reads ``library_search``'s ``*_terms``: the resource's words as :mod:`techforce.library.words`
normalises them (case-folded, stemmed), so that SQLite's FTS5 (tokenizer ``unicode61``) and
PostgreSQL's full-text search (configuration ``simple``) index the very same tokens and
match the same resources. On SQLite the FTS5 table ``library_fts`` mirrors it through
triggers (both made by the migration, not declared here); on PostgreSQL a stored weighted
``tsvector`` of the three fields (title A, metadata B, text) with a GIN index serves it (migrations 0007 and 0009)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from techforce.audit import utcnow
from techforce.db import Base, UTCDateTime


class Resource(Base):
    """A report, guide, template, case study, video or dataset (``kind``)."""

    __tablename__ = "library_resource"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisation: Mapped[str] = mapped_column(String(300), default="", index=True)
    published: Mapped[date | None] = mapped_column(Date)
    licence: Mapped[str] = mapped_column(String(200), default="")
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str] = mapped_column(String(2000), default="")
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Link(Base):
    """What a resource supports: ``target`` is ``recommendation:<id>``, ``action:<id>`` or
    ``programme:<slug>``."""

    __tablename__ = "library_link"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resource.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class Audience(Base):
    """Who may see a resource, one row each: ``public``, ``signed-in``, ``role:<role>`` or
    ``provider:<ukprn>`` (records.py). Search and every list filter on these rows."""

    __tablename__ = "library_audience"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resource.id", ondelete="CASCADE"), primary_key=True
    )
    who: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class SearchText(Base):
    """A resource's text for search: ``text`` as extracted (for snippets), and its normalised
    words (what the full-text index reads) in three fields ranked by weight: the title, the
    rest of the metadata (summary, keywords, authors, organisation), and the text."""

    __tablename__ = "library_search"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resource.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    title_terms: Mapped[str] = mapped_column(Text, default="")
    meta_terms: Mapped[str] = mapped_column(Text, default="")
    text_terms: Mapped[str] = mapped_column(Text, default="")


class Embedding(Base):
    """A resource's unit vector from the local sentence-embedding model (extra ``nlp``),
    with the model that made it: a different model means it is made again."""

    __tablename__ = "library_embedding"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resource.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(50))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
