"""What Technician Commitment submissions are due or overdue, per provider and across the
sector, and reminders of them by e-mail.

Each signatory's milestones come from ``schedule.standing`` (signing date, the dates its
submissions were submitted, today). A milestone that is ``due-soon`` or ``overdue`` is
reminded to the signatory's contact address through the notification channel the
programmes capability runs (``programmes.notices.queue_notice``: SMTP when configured, else
``.eml`` files in the outbox). A reminder is keyed by provider, milestone, state and due
date, so running this daily sends each reminder once: one when a submission falls due soon,
one when it becomes overdue (and another if the signing date is corrected)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session as Db

from techforce import audit
from techforce.programmes.models import Notification
from techforce.programmes.notices import queue_notice
from techforce.settings import Settings
from techforce.strategy import events, schedule, service
from techforce.strategy.models import Signatory, Submission
from techforce.workforce.models import Provider

REMINDED = (schedule.DUE_SOON, schedule.OVERDUE)
LOCK_KEY = 0x5354524154  # "STRAT": one reminder run at a time on PostgreSQL


@dataclass(frozen=True)
class ProviderDue:
    """A signatory and its milestones as they stand on a day (``dues``: only the due-soon and
    overdue ones, unless every state was asked for)."""

    ukprn: str
    name: str
    signed: date
    contact: str
    dues: list[schedule.Due] = field(default_factory=list)


def _names(s: Db, ukprns: list[str]) -> dict[str, str]:
    if not ukprns:
        return {}
    rows = s.execute(select(Provider.ukprn, Provider.name).where(Provider.ukprn.in_(ukprns)))
    return {u: n for u, n in rows if n}


def _submitted(s: Db, ukprns: list[str]) -> dict[str, dict[str, date]]:
    """When each stage was first submitted (a plan reopened for a correction keeps its date)."""
    found: dict[str, dict[str, date]] = {}
    query = select(Submission.ukprn, Submission.stage, Submission.submitted_on).where(
        Submission.submitted_on.is_not(None), Submission.ukprn.in_(ukprns)
    )
    for ukprn, stage, on in s.execute(query):
        if stage in schedule.KINDS and on is not None:
            found.setdefault(ukprn, {})[stage] = on
    return found


def due_list(s: Db, today: date, ukprn: str | None = None, *, every_state: bool = False) -> list[ProviderDue]:
    """Per signatory (one, with ``ukprn``), what is due soon or overdue on ``today``; with
    ``every_state`` every milestone and its state. Providers with nothing due are left out
    (unless ``ukprn`` names one). Overdue first, then by due date."""
    query = select(Signatory).order_by(Signatory.ukprn)
    if ukprn is not None:
        query = query.where(Signatory.ukprn == service.check_ukprn(ukprn))
    signatories = list(s.scalars(query))
    ukprns = [sig.ukprn for sig in signatories]
    names, submitted = _names(s, ukprns), _submitted(s, ukprns)
    found = []
    for sig in signatories:
        # a submission dated before signing (a corrected signing date) counts as not in yet
        given = {k: on for k, on in submitted.get(sig.ukprn, {}).items() if on >= sig.signed}
        dues = [d for d in schedule.standing(sig.signed, given, today) if every_state or d.state in REMINDED]
        if dues or ukprn is not None:
            found.append(ProviderDue(sig.ukprn, names.get(sig.ukprn, ""), sig.signed, sig.contact, dues))
    found.sort(
        key=lambda p: min(
            ((d.state != schedule.OVERDUE, d.milestone.due) for d in p.dues), default=(True, date.max)
        )
    )
    return found


def _one_run_at_a_time(s: Db) -> None:
    """Two runs at once cannot queue one reminder twice: an advisory lock on PostgreSQL, the
    write lock (a no-op UPDATE) on SQLite."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    else:
        s.execute(update(Notification).where(Notification.id == -1).values(status=Notification.status))


def message(p: ProviderDue, due: schedule.Due, today: date, settings: Settings) -> tuple[str, list[str]]:
    """The subject and lines of a reminder: the provider, the submission, its due date."""
    who = f"{p.name} ({p.ukprn})" if p.name else p.ukprn
    m = due.milestone
    on = f"{m.due.day} {m.due:%B %Y}"
    if due.state == schedule.OVERDUE:
        subject = f"Overdue: {m.label} for {who} was due on {on}"
        when = f"It was due on {on} ({(today - m.due).days} days ago) and has not been submitted yet."
    else:
        subject = f"Due soon: {m.label} for {who} is due on {on}"
        when = f"It is due on {on}, in {(m.due - today).days} days."
    lines = [
        f"{who} signed the Technician Commitment on {p.signed.day} {p.signed:%B %Y}.",
        f"Its {m.label[0].lower()}{m.label[1:]} ({m.kind}) is next. {when}",
        "",
        f"Prepare and submit it at {settings.public_url.rstrip('/')}/strategy/providers/{p.ukprn}",
        "",
        "You receive this as the provider's Technician Commitment contact.",
    ]
    return subject, lines


def queue_due(s: Db, settings: Settings, today: date) -> int:
    """Queue a reminder of every due-soon or overdue milestone to each signatory with a
    contact address; each (provider, milestone, state, due date, address) once, however often this
    runs. Returns how many were queued now; each is audited."""
    _one_run_at_a_time(s)
    queued = 0
    for p in due_list(s, today):
        if not p.contact:
            continue
        for due in p.dues:
            # the address is part of the key (hashed): a new contact is told, once
            to = hashlib.sha256(p.contact.casefold().encode()).hexdigest()[:12]
            key = f"strategy:{p.ukprn}:{due.milestone.kind}:{due.state}:{due.milestone.due.isoformat()}:{to}"
            subject, lines = message(p, due, today, settings)
            name = f"Technician Commitment contact, {p.name or p.ukprn}"
            if queue_notice(s, key, p.contact, name, subject, lines) is None:
                continue
            queued += 1
            audit.record(
                s,
                actor=settings.user,
                action=events.REMIND,
                target=p.ukprn,
                payload={
                    "milestone": due.milestone.kind,
                    "state": due.state,
                    "due": due.milestone.due.isoformat(),
                },
            )
    return queued
