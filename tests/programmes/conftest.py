"""A small programme world on a real store: one six-month cohort programme (selective, 80%
attendance plus a final project), one workshop, their cohorts and sessions, and participants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from techforce.db import Database
from techforce.programmes import service
from techforce.programmes.models import Participant


@dataclass
class World:
    db: Database
    leadership_cohort: int
    workshop_cohort: int
    sessions: list[int]  # the leadership cohort's sessions, in order
    people: list[int]  # participant ids: people[i] has username tech{i}


def make_world(db: Database, *, places: int = 3, people: int = 6) -> World:
    start = date.today() + timedelta(days=30)
    with db.session() as s:
        service.save_programme(
            s,
            service.ProgrammeIn(
                slug="leaders",
                title="Leadership for women in technical roles",
                kind="cohort",
                capacity=30,
                cost_pence=150000,
                pillars=["career-development", "visibility"],
                selective=True,
                min_attendance_pct=80,
                requires_project=True,
                audience="Women in technical roles",
            ),
            actor="manager",
        )
        service.save_programme(
            s,
            service.ProgrammeIn(slug="soldering", title="Soldering basics", kind="workshop", capacity=places),
            actor="manager",
        )
        lead = service.save_cohort(
            s,
            "leaders",
            service.CohortIn(name="Cohort 1", starts_on=start, ends_on=start + timedelta(days=180)),
            actor="manager",
        )
        shop = service.save_cohort(
            s, "soldering", service.CohortIn(name="March", starts_on=start, ends_on=start), actor="manager"
        )
        sessions = []
        for i, title in enumerate(
            [
                "You as Leader",
                "Culture & Context",
                "Influencing & Negotiating",
                "Confidence & Empowerment",
                "Action learning set",
            ]
        ):
            at = datetime.combine(start + timedelta(days=30 * i), datetime.min.time(), UTC) + timedelta(
                hours=9
            )
            row = service.save_session(
                s,
                lead,
                service.SessionIn(
                    title=title, starts_at=at, ends_at=at + timedelta(hours=7), location="Leeds"
                ),
                actor="manager",
            )
            sessions.append(row.id)
        at = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=13)
        service.save_session(
            s,
            shop,
            service.SessionIn(title="Soldering", starts_at=at, ends_at=at + timedelta(hours=3)),
            actor="manager",
        )
        ids = []
        for i in range(people):
            p = service.save_participant(
                s,
                service.ParticipantIn(
                    email=f"tech{i}@example.ac.uk",
                    name=f"Technician {i}",
                    ukprn="10007789",
                    username=f"tech{i}",
                ),
                actor="manager",
            )
            ids.append(p.id)
        return World(db, lead.id, shop.id, sessions, ids)


@pytest.fixture
def world(db: Database) -> World:
    return make_world(db)


def person(db: Database, participant_id: int) -> Participant:
    with db.session() as s:
        found = s.get(Participant, participant_id)
        assert found is not None
        return found
