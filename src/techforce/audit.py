"""Audit log: who changed what, when. Every change to the stores writes one row in the same
transaction as the change itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from techforce import errors
from techforce.db import Base

FILTER_LIMIT = 200  # the longest action, actor or target filter: longer matches nothing worth finding


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session, *, actor: str, action: str, target: str, payload: dict[str, Any] | None = None
) -> None:
    session.add(AuditEvent(actor=actor, action=action, target=target, payload=payload or {}))


def recent(
    session: Session, *, limit: int = 50, action: str | None = None, actor: str | None = None
) -> list[AuditEvent]:
    """The newest events, optionally only actions starting with ``action`` (for example
    ``accounts.`` or ``workforce.rows``) and only those by ``actor``."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    return list(session.scalars(query))


def check_filter(name: str, value: str | None) -> None:
    """Refuse (errors.Invalid) a filter value no event can match and a database may choke on."""
    if not value:
        return
    if len(value) > FILTER_LIMIT:
        raise errors.Invalid(
            f"{name}: the filter is {len(value):,} characters long; the most is {FILTER_LIMIT}: shorten it"
        )
    bad = next((c for c in value if ord(c) < 32 or 127 <= ord(c) < 160), None)
    if bad is not None:
        raise errors.Invalid(
            f"{name}: the filter holds the control character U+{ord(bad):04X}; remove it "
            "(no actor, action or target holds one)"
        )


def search(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditEvent], int]:
    """One page of events, newest first, and how many match in all: actions starting with
    ``action``, by ``actor``, whose target contains ``target`` (any case), at or after
    ``since`` and before ``before``. Every value is a bound parameter. A filter longer than
    FILTER_LIMIT or holding a control character (PostgreSQL text cannot hold NUL) is
    errors.Invalid naming it."""
    for name, value in (("action", action), ("actor", actor), ("target", target)):
        check_filter(name, value)
    conditions = []
    if action:
        conditions.append(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        conditions.append(AuditEvent.actor == actor)
    if target:
        conditions.append(AuditEvent.target.icontains(target, autoescape=True))
    if since is not None:
        conditions.append(AuditEvent.at >= since)
    if before is not None:
        conditions.append(AuditEvent.at < before)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    query = select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc()).offset(offset).limit(limit)
    return list(session.scalars(query)), total
