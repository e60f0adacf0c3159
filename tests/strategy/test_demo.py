"""The demo commitments as someone exploring the demo finds them: most synthetic providers signed
the Technician Commitment across cohorts 2017-2025, action plans of 5 to 12 actions with
milestones, progress and a history dated as it happened (some overdue), evidence linked to
indicators and programmes, pledges to appoint a strategic lead that the staff data mostly
confirm; loading twice changes nothing; and the shell commands print the sector view."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from techforce import errors
from techforce.accounts import service as accounts
from techforce.audit import AuditEvent
from techforce.cli import main
from techforce.db import Database
from techforce.library import service as library
from techforce.programmes import service as programmes
from techforce.settings import Settings
from techforce.strategy import demo, records, sector, service, synth
from techforce.strategy import evidence as strategy_evidence
from techforce.strategy.models import Action, Change, Evidence, Pledge, Recommendation, Signatory, Submission
from techforce.workforce import peer_groups
from techforce.workforce.ingest import ingest
from techforce.workforce.service import Workforce

TODAY = date(2025, 9, 30)


def _staff(settings: Settings, db: Database, small_files: Path) -> Workforce:
    ingest(settings, db, [small_files / "2022" / "csv", small_files / "2023" / "csv"])
    with db.session() as s:
        peer_groups.import_providers(s, small_files / "providers.csv", actor="setup")
    return Workforce(settings, db)


@pytest.fixture
def wf(settings: Settings, db: Database, small_files: Path) -> Workforce:
    """The small synthetic sector's staff returns, a demo programme, and the demo loaded."""
    found = _staff(settings, db, small_files)
    with db.session() as s:
        programmes.save_programme(
            s,
            programmes.ProgrammeIn(
                slug="herschel",
                title="Leadership for women in technical roles",
                kind="cohort",
                capacity=30,
                pillars=["career-development", "visibility", "recognition", "sustainability"],
            ),
            actor="setup",
        )
        resource = library.checked(
            "test resource",
            title="Technician Commitment self-assessment guide",
            kind="guide",
            slug="tc-guide",
            pillars=list(records.PILLARS),
            url="https://example.org/tc-guide",
        )
        library.save_resource(s, resource, actor="setup", data_dir=settings.data_dir)
        summary = demo.load_demo(s, found, "setup", TODAY)
    assert summary.loaded and summary.actions > 0
    return found


def test_most_providers_signed_across_cohorts_with_plans_of_five_to_twelve_actions(wf: Workforce) -> None:
    with wf.db.session() as s:
        signed = list(s.scalars(select(Signatory)))
        assert len(signed) > len(wf.names()) / 2
        cohorts = Counter(sig.signed.year for sig in signed)
        assert set(cohorts) <= set(range(2017, 2026)) and len(cohorts) >= 4
        assert all(sig.signed <= TODAY for sig in signed)
        subs = list(s.scalars(select(Submission)))
        assert {sub.stage for sub in subs} >= {"first-submission", "stage-2"}
        assert {sub.status for sub in subs} == {"draft", "submitted"}
        for sub in subs:
            assert 5 <= len(sub.actions) <= 12
            assert {p.pillar for p in sub.pillars} == set(records.PILLARS)
            assert all(p.narrative and 1 <= p.maturity <= 4 for p in sub.pillars)
        narratives = {p.narrative for sub in subs for p in sub.pillars}
        assert len(narratives) > len(subs)  # varied, not one text
        actions = [a for sub in subs for a in sub.actions]
        statuses = Counter(a.status for a in actions)
        assert statuses["done"] and statuses["in-progress"]
        overdue = [a for a in actions if a.deadline < TODAY and a.status not in ("done", "dropped")]
        assert overdue, "some actions are overdue"
        assert all(a.owner == "admin" and a.milestones for a in actions)
        assert any(m.due < TODAY and not m.done for a in actions for m in a.milestones)
        assert all(a.progress == 100 for a in actions if a.status == "done")


def test_every_action_has_a_dated_history_ending_in_its_current_values(wf: Workforce) -> None:
    with wf.db.session() as s:
        actions = list(s.scalars(select(Action)))
        changes: dict[str, list[Change]] = defaultdict(list)
        for c in s.scalars(select(Change).where(Change.target.like("action:%")).order_by(Change.id)):
            changes[c.target].append(c)
        updated = 0
        for a in actions:
            mine = changes[f"action:{a.id}"]
            created = [c for c in mine if c.field == "objective"]
            assert created and created[0].before is None and created[0].after == a.objective
            progress = [c.after for c in mine if c.field == "progress"]
            assert progress[-1] == a.progress
            days = [c.at for c in mine]
            assert days == sorted(days)
            updated += len({c.batch for c in mine if c.field == "progress"}) > 1
        assert updated > len(actions) / 2, "most actions have progress updates over time"
        ukprn = actions[0].submission.ukprn
        newest_first = [c.at for c in service.history(s, ukprn).changes]
        assert newest_first == sorted(newest_first, reverse=True)


def test_evidence_links_live_indicators_and_the_programmes_and_resources_there_are(wf: Workforce) -> None:
    with wf.db.session() as s:
        evidence = list(s.scalars(select(Evidence)))
    kinds = Counter(e.kind for e in evidence)
    assert kinds["indicator"] and kinds["programme"] and kinds["resource"]
    assert {e.ref for e in evidence if e.kind == "resource"} == {"tc-guide"}
    assert {e.ref for e in evidence if e.kind == "programme"} == {"herschel"}
    assert all(e.pillar for e in evidence if e.kind == "indicator" and e.ref != "leadership.has_leader")
    assert all(e.action_id for e in evidence if e.kind == "programme")
    lead = [e for e in evidence if e.ref == "leadership.has_leader"]
    assert lead and all(e.action_id for e in lead)
    with wf.db.session() as s:
        for e in evidence:  # every link passes the check a user's link passes
            assert strategy_evidence.check_ref(s, wf, e.kind, e.ref) == e.ref


def test_lead_pledges_are_mostly_confirmed_by_the_staff_data(wf: Workforce) -> None:
    truth = sector.has_leader_by_year(wf)
    latest = truth[max(truth)]
    with wf.db.session() as s:
        pledgers = sector.lead_pledgers(s)
        done = set(
            s.scalars(
                select(Pledge.ukprn)
                .join(Recommendation, Pledge.recommendation_id == Recommendation.id)
                .where(Pledge.status == "done", Recommendation.code.in_(["STL-1", "TC-1"]))
            )
        )
    pledged = [latest[u] for u in latest if u in pledgers]
    others = [latest[u] for u in latest if u not in pledgers]
    assert pledged and others
    assert sum(pledged) / len(pledged) > sum(others) / len(others)
    assert all(latest.get(u, False) for u in done), "a pledge reported done shows a leader"


def _counts(db: Database) -> list[int]:
    with db.session() as s:
        return [
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Signatory, Pledge, Submission, Action, Evidence, Change, AuditEvent)
        ]


def test_loading_twice_changes_nothing(wf: Workforce) -> None:
    before = _counts(wf.db)
    with wf.db.session() as s:
        again = demo.load_demo(s, wf, "setup", TODAY)
    assert not again.loaded and "earlier run" in again.line()
    assert _counts(wf.db) == before


def test_a_demo_plan_can_be_worked_on_with_the_service(wf: Workforce) -> None:
    with wf.db.session() as s:
        accounts.create_user(s, "admin", "admin", actor="setup", password="correct horse battery staple 9")
        sub = s.scalars(select(Submission).where(Submission.status == "draft")).first()
        assert sub is not None
        action = sub.actions[0]
        before = len(service.history(s, sub.ukprn, f"action:{action.id}").changes)
        service.save_action(
            s,
            sub,
            service.ActionIn(
                objective=action.objective,
                pillar=action.pillar,
                owner="admin",
                deadline=action.deadline,
                status="in-progress",
                progress=min(95, action.progress + 5),
                recommendations=list(action.recommendations),
            ),
            "admin",
            action_id=action.id,
        )
        assert len(service.history(s, sub.ukprn, f"action:{action.id}").changes) > before


def test_the_plan_is_the_same_for_the_same_seed_and_day() -> None:
    src = synth.Sources(
        providers={str(10000001 + i): f"Provider {i}" for i in range(30)},
        has_leader={2022: {str(10000001 + i): i % 3 == 0 for i in range(20)}},
        recommendations={"stl-2024": ["STL-1", "STL-2"], "talent-commission-2022": ["TC-1", "TC-2", "TC-3"]},
    )
    first, second = synth.plan(src, TODAY), synth.plan(src, TODAY)
    assert first == second
    assert synth.plan(src, TODAY, seed=1) != first
    for p in first:
        assert all(sub.submitted_on is None or sub.submitted_on <= TODAY for sub in p.submissions)


def test_no_providers_or_a_future_day_is_refused(settings: Settings, db: Database) -> None:
    wf = Workforce(settings, db)
    with db.session() as s, pytest.raises(errors.Refused, match="load the demo sector first"):
        demo.load_demo(s, wf, "setup", TODAY)
    with db.session() as s, pytest.raises(errors.Invalid, match="in the future"):
        demo.load_demo(s, wf, "setup", date(date.today().year + 1, 1, 1))
    assert _counts(db) == [0] * 7


# ---------------------------------------------------------------- the shell


def test_the_shell_loads_the_demo_and_prints_the_sector_view(tmp_path: Path, small_files: Path) -> None:
    folder = tmp_path / "data"
    settings = Settings(data_dir=folder, user="setup")
    db = Database(settings)
    db.migrate()
    _staff(settings, db, small_files)
    db.dispose()
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main.app, ["--data-dir", str(folder), "strategy", *args])
        return result.exit_code, result.output

    code, out = run("demo", "--today", "2025-09-30")
    assert code == 0, out
    assert "Technician Commitment signatories" in out and "overdue" in out
    code, out = run("demo", "--today", "2025-09-30")
    assert code == 0 and "earlier run" in out
    code, out = run("sector", "--today", "2025-09-30", "--format", "csv")
    assert code == 0, out
    assert out.startswith("table,row,measure,value,shown,disclosure")
    assert "suppressed: fewer than 5 providers" in out
    code, out = run("sector", "--today", "2025-09-30")
    assert code == 0, out
    assert "Adoption of each recommendation" in out and "stage compliance" in out
    code, out = run("sector", "--format", "json")
    assert code == 0 and '"adoption"' in out
    code, out = run("sector", "--today", "30/09/2025")
    assert code == 2 and "YYYY-MM-DD" in out
