"""Commitments, self-assessments and action plans through the service: checks, history, review."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.accounts.access import Role
from techforce.accounts.service import get, principal
from techforce.audit import AuditEvent
from techforce.strategy import permissions, service
from techforce.strategy.models import Action, Change, Evidence
from techforce.strategy.service import ActionIn, MilestoneIn

from .conftest import StrategyWorld


def _action(**over: object) -> ActionIn:
    values: dict[str, object] = {
        "objective": "Appoint a senior strategic lead for technical staff",
        "pillar": "visibility",
        "owner": "lee",
        "deadline": date(2027, 6, 30),
    }
    values.update(over)
    return ActionIn(**values)  # type: ignore[arg-type]


def test_shipped_sets_install_once(world: StrategyWorld) -> None:
    with world.db.session() as s:
        again = service.install_shipped(s, "setup")
        stl = service.find_recommendation(s, "stl-2024/STL-1")
        assert stl.set.slug == "stl-2024"
        assert len(service.sets(s)) == len(again)
        with pytest.raises(errors.NotFound, match="<set>/<code>"):
            service.find_recommendation(s, "stl-2024/STL-99")


def test_action_history_records_each_field(world: StrategyWorld) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        rec = service.find_recommendation(s, "stl-2024/STL-1")
        action = service.save_action(s, sub, _action(recommendations=[rec.id]), "lee")
        action_id = action.id
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        service.save_action(
            s,
            sub,
            _action(
                status="in-progress",
                progress=40,
                recommendations=[rec.id],
                milestones=[MilestoneIn("Job description agreed", date(2027, 1, 31), done=True)],
            ),
            "ada",
            action_id=action_id,
        )
    with world.db.session() as s:
        changes = service.history(s, world.a, f"action:{action_id}").changes
        latest = {c.field: (c.before, c.after, c.actor) for c in changes if c.actor == "ada"}
        assert latest == {
            "status": ("not-started", "in-progress", "ada"),
            "progress": (0, 40, "ada"),
            "milestones": ([], [["Job description agreed", "2027-01-31", True]], "ada"),
        }
        assert {c.field for c in changes if c.actor == "lee"} >= {"objective", "owner", "deadline", "ref"}
        assert s.scalar(
            select(AuditEvent).where(AuditEvent.target == str(action_id), AuditEvent.actor == "ada")
        )


def test_bad_action_names_every_problem_and_changes_nothing(world: StrategyWorld) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        sub_id = sub.id
    bad = _action(owner="lou", pillar="visibilty", progress=140, objective=" ")
    with world.db.session() as s:
        sub = service.get_submission(s, sub_id)
        with pytest.raises(errors.Invalid) as caught:
            service.save_action(s, sub, bad, "lee")
    message = str(caught.value)
    assert "owner 'lou' is not a provider lead of 10000001" in message
    assert "did you mean 'visibility'" in message
    assert "progress 140" in message and "objective is empty" in message
    with world.db.session() as s:
        assert s.scalars(select(Action)).all() == []
        assert s.scalars(select(Change).where(Change.target.like("action:%"))).all() == []


def test_submitted_plan_is_read_only_and_reviewer_from_elsewhere(world: StrategyWorld) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        with pytest.raises(errors.Refused, match="no actions"):
            service.submit(s, sub, "lee")
        service.save_action(s, sub, _action(), "lee")
        with pytest.raises(errors.Refused, match="submit it first"):
            service.invite(s, sub, "lou", "lee")
        service.submit(s, sub, "lee", on=date(2026, 11, 1))
        with pytest.raises(errors.Refused, match="reopen it"):
            service.save_pillar(s, sub, "visibility", "lee", narrative="late", maturity=2)
        with pytest.raises(errors.Invalid, match="works for this provider"):
            service.invite(s, sub, "lee", "lee")
        service.invite(s, sub, "lou", "lee")
        sub_id = str(sub.id)
    lou = principal(_user(world, "lou"))
    tom = principal(_user(world, "tom"))
    assert lou.can(permissions.REVIEW_PLAN, sub_id, world.db)
    assert not tom.can(permissions.REVIEW_PLAN, sub_id, world.db)
    with pytest.raises(errors.NotFound):  # not invited: as if it did not exist
        tom.require(permissions.REVIEW_PLAN, sub_id, world.db)
    assert not lou.can(permissions.VIEW_PLAN, world.a)  # the provider's own pages stay closed
    with world.db.session() as s:
        service.reopen(s, service.get_submission(s, int(sub_id)), "lee")
    assert not lou.can(permissions.REVIEW_PLAN, sub_id, world.db)  # a draft again: no review


def _user(world: StrategyWorld, name: str):  # type: ignore[no-untyped-def]
    with world.db.session() as s:
        user = get(s, name)
        assert user.role in {r.value for r in Role}
        _ = list(user.providers)
        return user


def test_pledges_and_evidence(world: StrategyWorld) -> None:
    with world.db.session() as s:
        rec = service.find_recommendation(s, "stl-2024/STL-1")
        service.pledge(s, world.b, rec.id, "pledged", "lou", on=date(2025, 1, 10))
        row = service.pledge(s, world.b, rec.id, "done", "lou", on=date(2026, 3, 1))
        assert row.pledged_on == date(2025, 1, 10) and row.done_on == date(2026, 3, 1)
        with pytest.raises(errors.Invalid, match="withdrawn"):
            service.pledge(s, world.b, rec.id, "finished", "lou")
        sub = service.submission(s, world.b, "stage-2", "lou")
        with pytest.raises(errors.Invalid, match="exactly one"):
            service.attach(s, sub, "indicator", "leadership.has_leader", "lou")
        service.attach(s, sub, "indicator", "leadership.has_leader", "lou", pillar="visibility")
        assert s.scalar(select(Evidence.ref)) == "leadership.has_leader"
        assert [c.field for c in service.history(s, world.b, f"pledge:{world.b}:{rec.id}").changes] == [
            "status",
            "status",
        ]


def test_signatory_checks(world: StrategyWorld) -> None:
    with world.db.session() as s:
        with pytest.raises(errors.Invalid, match="future"):
            service.sign(s, world.a, date(2999, 1, 1), "lee")
        with pytest.raises(errors.Invalid, match="e-mail"):
            service.sign(s, world.a, date(2020, 2, 29), "lee", contact="not an address")
        with pytest.raises(errors.Invalid, match="eight digits"):
            service.sign(s, "1234", date(2020, 2, 29), "lee")
        row = service.sign(s, world.a, date(2020, 2, 29), "lee", contact="lead@a.ac.uk")
        assert row.signed == date(2020, 2, 29)


def test_a_submitted_plans_evidence_is_fixed_and_control_characters_are_refused(world: StrategyWorld) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        with pytest.raises(errors.Invalid, match="control characters"):
            service.save_pillar(s, sub, "visibility", "lee", narrative="a\x00b", maturity=1)
        with pytest.raises(errors.Invalid, match="milestone title holds control characters"):
            service.save_action(s, sub, _action(milestones=[MilestoneIn("x\x1fy", date(2027, 1, 1))]), "lee")
        service.save_action(s, sub, _action(), "lee")
        row = service.attach(s, sub, "indicator", "tech.headcount", "lee", pillar="visibility")
        service.submit(s, sub, "lee")
        with pytest.raises(errors.Refused, match="reopen it"):
            service.attach(s, sub, "indicator", "tech.fte", "lee", pillar="visibility")
        with pytest.raises(errors.Refused, match="reopen it"):
            service.detach(s, sub, row.id, "lee")


def test_history_keeps_the_first_change_and_says_what_it_leaves_out(world: StrategyWorld) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        action = service.save_action(s, sub, _action(objective="ORIGINAL objective"), "lee")
        for n in range(1, 8):
            service.save_action(
                s, sub, _action(objective="ORIGINAL objective", progress=n), "ada", action_id=action.id
            )
        found = service.history(s, world.a, f"action:{action.id}", batches=3)
        assert (found.total, found.hidden) == (8, 4)
        assert [c.after for c in found.changes if c.field == "progress"] == [7, 6, 5, 0]
        assert [c.after for c in found.changes if c.field == "objective"] == ["ORIGINAL objective"]


def test_reopening_keeps_the_first_submission_date_and_reviews_are_in_the_history(
    world: StrategyWorld,
) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, "first-submission", "lee")
        service.save_action(s, sub, _action(), "lee")
        service.submit(s, sub, "lee", on=date(2026, 1, 5))
        service.invite(s, sub, "lou", "lee")
        service.comment(s, sub, "lou", "Consider a deadline for A1.", about="A1")
        service.reopen(s, sub, "lee")
        service.submit(s, sub, "lee", on=date(2026, 9, 1))
        assert sub.submitted_on == date(2026, 1, 5)
        fields = [
            (c.field, c.after, c.actor) for c in service.history(s, world.a, f"submission:{sub.id}").changes
        ]
        assert ("reviewer", "+lou", "lee") in fields
        assert ("comment", "on A1: Consider a deadline for A1.", "lou") in fields


def test_an_undeliverable_contact_or_a_date_before_the_commitment_is_refused(world: StrategyWorld) -> None:
    with world.db.session() as s:
        for bad in ("a,b@x.ac.uk", "a;b@x.ac.uk", 'a"b@x.ac.uk', "a<b>@x.ac.uk"):
            with pytest.raises(errors.Invalid, match="not an e-mail address"):
                service.sign(s, world.a, date(2020, 1, 1), "lee", contact=bad)
        with pytest.raises(errors.Invalid, match="before the Technician Commitment began"):
            service.sign(s, world.a, date(1, 1, 1), "lee")
