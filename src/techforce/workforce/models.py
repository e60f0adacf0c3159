"""Relational tables of the workforce domain: providers, the snapshot catalogue, peer groups,
user definitions and loaded open-data aggregate tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from techforce.audit import utcnow
from techforce.db import Base


class Provider(Base):
    __tablename__ = "providers"

    ukprn: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    nation: Mapped[str] = mapped_column(String(40), default="")
    region: Mapped[str] = mapped_column(String(100), default="")


class Snapshot(Base):
    """Catalogue row of one immutable Parquet snapshot: one per provider and reporting year.
    The row is committed only after the file is durably in place."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("ukprn", "year", name="provider_year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ukprn: Mapped[str] = mapped_column(String(8), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    path: Mapped[str] = mapped_column(String(500))
    parquet_sha256: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(10))
    source_files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    persons: Mapped[int] = mapped_column(Integer)
    contracts: Mapped[int] = mapped_column(Integer)
    activities: Mapped[int] = mapped_column(Integer)
    returned_non_academic: Mapped[bool] = mapped_column(Boolean)
    non_academic_basis: Mapped[str] = mapped_column(String(20))
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    ingested_by: Mapped[str] = mapped_column(String(200))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PeerGroup(Base):
    __tablename__ = "peer_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The user who created it; NULL for shared groups (imported, or made on the CLI), which
    # only administrators change.
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True, default=None)
    members: Mapped[list[PeerGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="PeerGroupMember.ukprn"
    )


class PeerGroupMember(Base):
    __tablename__ = "peer_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("peer_groups.id", ondelete="CASCADE"), primary_key=True)
    ukprn: Mapped[str] = mapped_column(String(8), primary_key=True)
    group: Mapped[PeerGroup] = relationship(back_populates="members")


class UserDefinition(Base):
    """A definition of "technical" / "strategic technical leader" added by a user."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("name", "version", name="name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AggregateTable(Base):
    """A loaded HESA open-data style table, normalised to Parquet."""

    __tablename__ = "aggregate_tables"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    source_file: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    metadata_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
