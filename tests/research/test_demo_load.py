"""The demo research studies in a real store: the interview study with its participants,
codebook, two coders who agree about as well as real ones, case studies with safe quotes, and
the survey study; a second load is refused and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from techforce import errors
from techforce.accounts import service as accounts
from techforce.audit import AuditEvent
from techforce.db import Database
from techforce.research import agreement, coding, quoting, service
from techforce.research.demo import load_demo
from techforce.research.models import Case, CaseStudy, Member, Source, Study

PROVIDERS = [(f"1{i:07d}", f"Provider {i}") for i in range(1, 31)]
RESPONDENTS = 60


def _load(db: Database, coders: tuple[str, str] | None = ("colin", "cara")) -> str:
    with db.session() as s:
        accounts.create_user(s, "olivia", "researcher", actor="test", password="correct horse battery staple")
        accounts.create_user(s, "colin", "researcher", actor="test", password="correct horse battery staple")
    with db.session() as s:
        loaded = load_demo(
            s, providers=PROVIDERS, owner="olivia", coders=coders, actor="demo", respondents=RESPONDENTS
        )
        assert loaded.cases == 31 and loaded.case_studies == 6 and loaded.respondents == RESPONDENTS
        assert "31 participants" in loaded.line()
        return loaded.study


def test_the_demo_study_is_loaded_with_two_coders_who_mostly_agree(db: Database) -> None:
    guid = _load(db)
    with db.session() as s:
        st = service.study(s, guid)
        assert s.scalar(select(func.count()).select_from(Case).where(Case.study_id == st.id)) == 31
        sources = list(s.scalars(select(Source).where(Source.study_id == st.id)))
        assert len(sources) == 31 and all(src.turns and src.case_id for src in sources)
        codes = coding.codes_of(s, st.id)
        assert len([c for c in codes if c.parent_id is None]) == 8 and len(codes) > 8
        assert coding.coders_of(s, st.id) == ["cara", "colin"]
        units = coding.units(s, st)
        report = agreement.agreement(units.codings, units.lengths)
        assert report.kappa is not None and 0.65 <= report.kappa <= 0.8
        members = dict(s.execute(select(Member.username, Member.right).where(Member.study_id == st.id)).all())
        assert members == {"olivia": "owner", "colin": "coder"}, "cara has no account: a name on codings only"
        mine = {(row.guid, right) for row, right in service.studies_of(s, "olivia")}
        assert len(mine) == 2 and (guid, "owner") in mine, "the owner sees both demo studies"


def test_case_studies_quote_only_what_passes_the_safety_check(db: Database) -> None:
    guid = _load(db)
    with db.session() as s:
        st = service.study(s, guid)
        studies = list(s.scalars(select(CaseStudy).where(CaseStudy.study_id == st.id)))
        assert len(studies) == 6
        quoted = [q.coding_id for cs in studies for q in cs.quotes]
        assert len(quoted) >= 12
        states = quoting.quote_states(s, st, quoted)
        assert all(state.ok for state in states.values()), [x.problem for x in states.values() if not x.ok]


def test_the_survey_is_a_second_study(db: Database) -> None:
    _load(db, coders=None)
    with db.session() as s:
        survey = s.scalar(select(Study).where(Study.kind == "survey"))
        assert survey is not None
        cases = s.scalar(select(func.count()).select_from(Case).where(Case.study_id == survey.id))
        assert cases == RESPONDENTS
        assert s.scalar(select(Case.institution).where(Case.study_id == survey.id).limit(1)), "UKPRN kept"
        interview = s.scalar(select(Study).where(Study.kind == "interview"))
        assert interview is not None and coding.coders_of(s, interview.id) == ["coder_a", "coder_b"]
        actions = [a for a in s.scalars(select(AuditEvent.action)) if a.startswith("research.")]
        assert sorted(actions) == ["research.project.import", "research.survey.import"], "one entry per study"


def test_a_second_load_is_refused_and_changes_nothing(db: Database) -> None:
    _load(db)
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(Study))
    with db.session() as s, pytest.raises(errors.Refused) as caught:
        load_demo(s, providers=PROVIDERS, owner="olivia", coders=None, actor="demo", respondents=5)
    assert "fresh data folder" in caught.value.message
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Study)) == before


def test_too_few_providers_is_invalid(db: Database) -> None:
    with db.session() as s, pytest.raises(errors.Invalid) as caught:
        load_demo(s, providers=PROVIDERS[:5], owner="olivia", coders=None, actor="demo")
    assert "at least 20 providers" in caught.value.message


def test_the_demo_admin_is_made_an_owner_of_both_studies(db: Database) -> None:
    from techforce.research.demo import share

    guid = _load(db)
    with db.session() as s:
        assert share(s, "colin", actor="demo") == 2
        assert share(s, "colin", actor="demo") == 0
        rights = {right for row, right in service.studies_of(s, "colin")}
        assert rights == {"owner"} and guid in {row.guid for row, _ in service.studies_of(s, "colin")}
        with pytest.raises(errors.Invalid):
            share(s, "nobody", actor="demo")
