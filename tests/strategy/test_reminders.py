"""Reminders of Technician Commitment submissions: what is due or overdue per provider, one
e-mail per provider, milestone and state however often the run repeats, delivered to the
outbox naming the provider and the due date."""

from __future__ import annotations

import email
from datetime import date
from email.message import EmailMessage
from email.policy import default

from sqlalchemy import func, select

from techforce.audit import AuditEvent
from techforce.programmes import mail
from techforce.settings import Settings
from techforce.strategy import events, reminders, schedule, service
from techforce.workforce.models import Provider

from .conftest import StrategyWorld

CONTACT = "tc-lead@ashford.example.ac.uk"


def _sign(world: StrategyWorld, signed_a: date, signed_b: date) -> None:
    with world.db.session() as s:
        s.add(Provider(ukprn=world.a, name="University of Ashford"))
        service.sign(s, world.a, signed_a, "ada", contact=CONTACT)
        service.sign(s, world.b, signed_b, "ada")  # no contact: no e-mail


def _queue(world: StrategyWorld, settings: Settings, today: date) -> int:
    with world.db.session() as s:
        return reminders.queue_due(s, settings, today)


def _outbox(settings: Settings) -> list[EmailMessage]:
    files = sorted(settings.outbox_dir.glob("*-notice.eml")) if settings.outbox_dir.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=default) for f in files]


def test_a_run_twice_queues_once_and_the_outbox_names_provider_and_date(
    world: StrategyWorld, settings: Settings
) -> None:
    _sign(world, date(2020, 2, 29), date(2020, 2, 29))
    today = date(2021, 8, 1)  # 28 days before the first submission is due (29 August 2021)
    assert _queue(world, settings, today) == 1
    assert _queue(world, settings, today) == 0
    assert _queue(world, settings, date(2021, 8, 2)) == 0  # still due soon: not again
    done = mail.deliver_pending(settings, world.db)
    assert (done.sent, done.channel) == (1, "outbox")
    [message] = _outbox(settings)
    assert message["To"].addresses[0].addr_spec == CONTACT
    assert "University of Ashford" in message["Subject"] and "29 August 2021" in message["Subject"]
    body = message.get_content()
    assert "signed the Technician Commitment on 29 February 2020" in body
    assert "in 28 days" in body and f"/strategy/providers/{world.a}" in body
    # the day after the due date it is overdue: one more reminder, once
    assert _queue(world, settings, date(2021, 8, 30)) == 1
    assert _queue(world, settings, date(2021, 9, 30)) == 0
    mail.deliver_pending(settings, world.db)
    overdue = _outbox(settings)[-1]
    assert overdue["Subject"].startswith("Overdue:") and "29 August 2021" in overdue["Subject"]
    with world.db.session() as s:
        logged = s.scalars(select(AuditEvent).where(AuditEvent.action == events.REMIND)).all()
        assert [(e.target, e.payload["state"]) for e in logged] == [
            (world.a, "due-soon"),
            (world.a, "overdue"),
        ]
        assert all(CONTACT not in str(e.payload) for e in logged)


def test_a_provider_without_a_contact_gets_no_email(world: StrategyWorld, settings: Settings) -> None:
    _sign(world, date(2021, 1, 15), date(2020, 2, 29))
    today = date(2021, 8, 20)  # B's first submission is due soon; A's window is not open yet
    with world.db.session() as s:
        due = reminders.due_list(s, today)
    assert [(p.ukprn, [d.state for d in p.dues]) for p in due] == [(world.b, ["due-soon"])]
    assert _queue(world, settings, today) == 0
    with world.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == events.REMIND))
            == 0
        )


def test_due_list_per_provider_with_submissions_and_leap_years(world: StrategyWorld) -> None:
    _sign(world, date(2024, 2, 29), date(2020, 2, 29))
    with world.db.session() as s:
        sub = service.submission(s, world.b, "first-submission", "lou")
        service.save_action(
            s,
            sub,
            service.ActionIn(
                objective="Survey", pillar="visibility", owner="lou", deadline=date(2022, 1, 31)
            ),
            "lou",
        )
        service.submit(s, sub, "lou", on=date(2021, 7, 1))
    with world.db.session() as s:
        mine = reminders.due_list(s, date(2025, 8, 30), world.a, every_state=True)
        sector = reminders.due_list(s, date(2025, 8, 30))
        b_then = reminders.due_list(s, date(2021, 8, 1), world.b, every_state=True)
        nobody = reminders.due_list(s, date(2025, 8, 30), "10000099")
    [a] = mine
    first = a.dues[0]
    assert a.name == "University of Ashford" and a.signed == date(2024, 2, 29)
    assert (first.milestone.opens, first.milestone.due, first.state) == (
        date(2025, 2, 28),
        date(2025, 8, 29),
        schedule.OVERDUE,
    )
    assert [d.milestone.due for d in a.dues[1:]] == [date(2027, 2, 28), date(2030, 2, 28)]
    # B is overdue for stage 2 (due 28 February 2023), which sorts it first across the sector
    assert [(p.ukprn, [d.milestone.kind for d in p.dues]) for p in sector] == [
        (world.b, ["stage-2"]),
        (world.a, ["first-submission"]),
    ]
    assert (b_then[0].dues[0].milestone.kind, b_then[0].dues[0].state) == (
        "first-submission",
        schedule.SUBMITTED,
    )
    assert nobody == []
