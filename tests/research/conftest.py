"""A small study on a real store: an owner, two coders, a viewer and an outsider; three
participants with consent; two transcripts; a small codebook; each coder's codings, which
disagree in one place."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.research import coding, service
from techforce.research.coding import CodeIn
from techforce.research.service import CaseIn, StudyIn

PASSWORD = "correct horse battery staple"
OWNER, CODER_A, CODER_B, VIEWER, OUTSIDER = "olivia", "colin", "cara", "vera", "nora"

FIRST = (
    "Interviewer: How was your role created?\n"
    "P01: After the restructure the university appointed me as head of technical services. "
    "I sit on the research committee now. 🧪 It took years.\n"
    "Interviewer: And your career?\n"
    "P01: The grade ceiling at grade 8 stopped me for a decade. Café talk helped.\n"
)
SECOND = (
    "Interviewer: What support did you have?\n"
    "P02: Mentoring from a senior leader, and the Herschel programme. I wanted coaching.\n"
)


@dataclass
class StudyWorld:
    db: Database
    guid: str
    cases: list[int]  # P01 (quotable), P02 (quotable, nameable), P03 (no consent to quote)
    sources: list[int]  # FIRST (P01), SECOND (P02)
    codes: dict[str, int]  # "Roles", "Roles/Creation", "Careers", "Careers/Grade ceiling", "Support"


def make_study(db: Database) -> StudyWorld:
    with db.session() as s:
        for name, role in (
            (OWNER, "researcher"),
            (CODER_A, "researcher"),
            (CODER_B, "technician"),
            (VIEWER, "sector-analyst"),
            (OUTSIDER, "researcher"),
        ):
            accounts.create_user(s, name, role, actor="test", password=PASSWORD)
        st = service.create_study(
            s,
            StudyIn(
                name="Strategic technical leadership",
                kind="interview",
                protocol=[{"topic": "Roles", "questions": ["How was your role created?"]}],
            ),
            actor=OWNER,
        )
        guid = st.guid
        service.set_member(s, guid, CODER_A, "coder", actor=OWNER)
        service.set_member(s, guid, CODER_B, "coder", actor=OWNER)
        service.set_member(s, guid, VIEWER, "viewer", actor=OWNER)
        cases = []
        for pseudonym, kind, inst, sex, consent in (
            ("P01", "technician in a formal strategic role", "10007792", "F", (True, True, False)),
            ("P02", "senior leader (non-technical)", "10007792", "M", (True, True, True)),
            ("P03", "technician in an informal strategic role", "10007798", "F", (False, True, False)),
        ):
            row = service.save_case(
                s,
                guid,
                CaseIn(pseudonym=pseudonym, participant_type=kind, institution=inst, attributes={"sex": sex}),
                actor=OWNER,
            )
            q, a, n = consent
            service.record_consent(s, guid, row.id, may_quote=q, may_archive=a, may_name=n, actor=OWNER)
            cases.append(row.id)
        first = service.import_transcript(s, guid, FIRST.encode(), "p01.txt", actor=OWNER, case_id=cases[0])
        second = service.import_transcript(s, guid, SECOND.encode(), "p02.txt", actor=OWNER, case_id=cases[1])
        roles = coding.save_code(s, guid, CodeIn(name="Roles", colour="#1f77b4", shortcut="r"), actor=OWNER)
        creation = coding.save_code(
            s,
            guid,
            CodeIn(name="Creation", parent_id=roles.id, definition="How the role came to be", shortcut="c"),
            actor=OWNER,
        )
        careers = coding.save_code(s, guid, CodeIn(name="Careers", colour="#ff7f0e"), actor=OWNER)
        ceiling = coding.save_code(s, guid, CodeIn(name="Grade ceiling", parent_id=careers.id), actor=OWNER)
        support = coding.save_code(s, guid, CodeIn(name="Support", colour="#2ca02c"), actor=OWNER)
        text = first.text
        a = text.index("After the restructure")
        b = text.index("services.") + len("services.")
        g = text.index("The grade ceiling")
        h = text.index("decade.") + len("decade.")
        for coder in (CODER_A, CODER_B):
            coding.add_coding(s, guid, first.id, creation.id, a, b, actor=coder)
        coding.add_coding(s, guid, first.id, ceiling.id, g, h, actor=CODER_A)  # coder B missed it
        m = second.text.index("Mentoring")
        coding.add_coding(s, guid, second.id, support.id, m, m + 40, actor=CODER_A)
        coding.add_coding(s, guid, second.id, support.id, m, m + 40, actor=CODER_B)
        return StudyWorld(
            db,
            guid,
            cases,
            [first.id, second.id],
            {
                "Roles": roles.id,
                "Roles/Creation": creation.id,
                "Careers": careers.id,
                "Careers/Grade ceiling": ceiling.id,
                "Support": support.id,
            },
        )


@pytest.fixture
def study(db: Database) -> StudyWorld:
    """The small study on SQLite and on PostgreSQL."""
    return make_study(db)
