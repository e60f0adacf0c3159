"""The impact dashboard: its numbers against hand-counted worlds, starters and completers kept
apart, the disclosure gate on every figure about people, consent withdrawal, the CSV and the
charts, and the cache following the data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from techforce import errors
from techforce.db import Database
from techforce.disclosure import RULE_SETS
from techforce.programmes import followup, impact, service, synth
from techforce.programmes.impact_models import ImpactPage
from techforce.programmes.models import Participant, WorkforceLink
from techforce.settings import Settings
from techforce.workforce.ingest import ingest
from techforce.workforce.page_models import Cell

from .conftest import World, make_world

TRUE = RULE_SETS["unrounded"]
LATER = datetime(2100, 1, 1, tzinfo=UTC)  # every session of the world has taken place by then


def _run(db: Database, world: World) -> dict[str, int]:
    """Four approved applicants on the leadership cohort (A completes with 5 of 5 sessions and
    the project, B with 4 of 5 and the project, C attends 4 of 5 without the project, D never
    comes), four bookers of the three-place workshop (one cancels: the waiting one is promoted),
    two of whom come. Returns the booking ids by name."""
    ids: dict[str, int] = {}
    with db.session() as s:
        people = [s.get(Participant, i) for i in world.people]
        for name, who in zip("ABCD", people[:4], strict=True):
            assert who is not None
            b = service.book(s, world.leadership_cohort, who, actor=who.username or "", statement="Please.")
            service.decide(s, b, approve=True, reason="Meets the criteria", actor="manager")
            ids[name] = b.id
        for name, who in zip("EFGH", people[2:6], strict=True):
            assert who is not None
            ids[name] = service.book(s, world.workshop_cohort, who, actor="manager").id
        service.cancel(s, service.booking_by_id(s, ids["F"]), actor="manager")  # H is promoted
        marks = {
            ids["A"]: ["present"] * 5,
            ids["B"]: ["present"] * 4 + ["excused"],
            ids["C"]: ["present"] * 4 + ["absent"],
            ids["D"]: ["absent"] * 5,
        }
        for k, sid in enumerate(world.sessions):
            where = service.session_by_id(s, sid)
            service.record_attendance(s, where, {b: m[k] for b, m in marks.items()}, actor="manager")
        for name in "AB":
            service.record_project(s, service.booking_by_id(s, ids[name]), done=True, actor="manager")
        shop = service.cohort_by_id(s, world.workshop_cohort).sessions[0]
        service.record_attendance(
            s, shop, {ids["E"]: "present", ids["G"]: "present", ids["H"]: "absent"}, actor="manager"
        )
    return ids


def _true_page(settings: Settings, db: Database, **kw: Any) -> ImpactPage:
    return impact.build(settings, db, rules=TRUE, now=LATER, **kw)[0]


def test_headline_matches_a_hand_count(settings: Settings, db: Database) -> None:
    world = make_world(db)
    _run(db, world)
    page = _true_page(settings, db)
    h = page.headline
    # people 0-3 on the leadership cohort; people 2, 4, 5 on the workshop (3 cancelled)
    assert (h.cohorts, h.sessions) == (2, 6)
    assert h.places.value == 4 + 3
    assert h.participants.value == 6  # tech0-tech5, each once (tech2 holds two places)
    assert h.starters.value == 4  # A, B, C (tech0-2) and the workshop's G (tech4); E is C's tech2
    assert h.completers.value == 4  # A, B, and the workshop's E (tech2) and G (tech4)
    assert h.cost.value == pytest.approx(4 * 1500.0)
    assert h.cost_per_participant.value == pytest.approx(4 * 1500.0 / 6)
    lead = next(r for r in page.by_programme if r.programme == "leaders")
    assert (lead.places.value, lead.starters.value, lead.completers.value) == (4, 3, 2)
    shop = next(r for r in page.by_programme if r.programme == "soldering")
    assert (shop.places.value, shop.starters.value, shop.completers.value) == (3, 2, 2)


def test_starters_and_completers_follow_the_completion_rule(settings: Settings, db: Database) -> None:
    """The dashboard's starters and completers are service.progress's, per cohort."""
    world = make_world(db)
    _run(db, world)
    with db.session() as s:
        progress = service.progress(s, service.cohort_by_id(s, world.leadership_cohort))
    page = _true_page(settings, db, programme="leaders")
    assert page.headline.starters.value == sum(p.started for p in progress) == 3
    assert page.headline.completers.value == sum(p.complete for p in progress) == 2
    assert page.headline.starters.value != page.headline.completers.value


def _cells(value: Any) -> list[Cell]:
    if isinstance(value, Cell):
        return [value]
    if isinstance(value, list):
        return [c for v in value for c in _cells(v)]
    if isinstance(value, BaseModel):
        return [c for name in type(value).model_fields for c in _cells(getattr(value, name))]
    return []


def test_small_groups_never_show_their_true_counts(settings: Settings, db: Database) -> None:
    world = make_world(db)
    _run(db, world)
    page = impact.build(settings, db, now=LATER)[0]
    assert page.meta.disclosure == RULE_SETS["hesa-standard"].stamp
    shop = next(r for r in page.by_programme if r.programme == "soldering")
    assert shop.places.value in (0, 5) and shop.places.display in ("0–5", "5")  # 3 places, never "3"
    for cell in (shop.participants, shop.starters, shop.completers, page.headline.participants):
        assert isinstance(cell.value, int) and cell.value % 5 == 0
        assert cell.display not in ("1", "2", "3", "4", "6")
    if page.headline.participants.value <= 5:  # decided on the published count, as the workforce's are
        assert page.headline.providers.value is None  # where a handful come from is not shown
        assert page.headline.cost_per_participant.value is None
    for cell in _cells(page):
        if "%" in cell.display or cell.disclosure.startswith("average"):
            pytest.fail(f"a percentage or mean of a handful of people is shown: {cell}")
    for f in page.feedback:
        assert f.reaction.display == ".." and f.recommend.display == ".."
    text = impact.impact_csv(page)
    assert "hesa-standard@v2+ckm-3" in text and ",3,3," not in text


def test_feedback_and_outcomes_are_counted_of_those_who_answered(settings: Settings, db: Database) -> None:
    world = make_world(db)
    ids = _run(db, world)
    with db.session() as s:  # the cohort took place: its sessions move into the past
        for k, sid in enumerate(world.sessions):
            row = service.session_by_id(s, sid)
            row.starts_at = datetime(2024, 1, 10 + k, 9, tzinfo=UTC)
            row.ends_at = datetime(2024, 1, 10 + k, 16, tzinfo=UTC)
        row.cohort.starts_on, row.cohort.ends_on = date(2024, 1, 10), date(2024, 1, 20)
    with db.session() as s:
        for name, (reaction, before, after) in {"A": (5, 2, 4), "B": (3, 1, 2)}.items():
            b = service.booking_by_id(s, ids[name])
            data = followup.FeedbackIn(reaction=reaction, recommend=name == "A", before=before, after=after)
            followup.submit_feedback(s, b, data, actor="tester")
            followup.record_outcome(s, b, followup.OutcomeIn(months=6, promoted=name == "A"), actor="tester")
    page = _true_page(settings, db, programme="leaders")
    fb = page.feedback[0]
    assert (fb.responses.value, fb.reaction.value, fb.recommend.value) == (2, 4.0, 50.0)
    assert (fb.before.value, fb.after.value, fb.gain.value) == (1.5, 3.0, 1.5)
    six = next(o for o in page.outcomes if o.months == 6)
    assert (six.reported.value, six.promoted.value, six.committee_seat.value) == (2, 50.0, 0.0)


def test_unknown_programme_or_year_is_not_found(settings: Settings, db: Database) -> None:
    make_world(db)
    with pytest.raises(errors.NotFound, match="no programme 'nope'"):
        impact.dashboard(settings, db, programme="nope")
    with pytest.raises(errors.NotFound, match="academic years with cohorts"):
        impact.dashboard(settings, db, year=1999)


def test_page_csv_and_charts(settings: Settings, db: Database) -> None:
    world = make_world(db)
    _run(db, world)
    page = impact.build(settings, db, now=LATER)[0]
    assert [c.title for c in page.charts] == [
        "Participants and completers per academic year",
        "Participants' profile against the technical workforce",
        "Outcomes reported 6 and 12 months after",
    ]
    assert all(c.spec is not None and c.alt for c in page.charts)
    text = impact.impact_csv(page)
    assert text.startswith("section,row,measure,value,shown,disclosure,rules\r\n")
    assert "Matched comparison" in text and "Profile,Sex: " in text
    ImpactPage.model_validate_json(page.model_dump_json())  # the JSON twin round-trips


def test_impact_cache_follows_the_data(settings: Settings, db: Database) -> None:
    world = make_world(db)
    cache = impact.Impact(settings, db)
    first = cache.dashboard()
    assert cache.dashboard() is first
    _run(db, world)
    cache.invalidate()
    second = cache.dashboard()
    assert second is not first and (second.meta.data_version or 0) > (first.meta.data_version or 0)


def test_withdrawing_consent_removes_the_person_from_the_comparison(
    settings: Settings, db: Database, small_files: Path
) -> None:
    ingest(settings, db, [small_files / "2022" / "csv", small_files / "2023" / "csv"])
    synth.generate(settings, db, seed=3, scale=0.05)
    before = impact.true_matching(settings, db)
    assert before.matched, "the demo links some participants to staff records that match"
    someone = before.matched[0]
    with db.session() as s:
        who = s.get(Participant, someone)
        assert who is not None
        assert followup.withdraw_consent(s, who, actor="tester")
    with db.session() as s:
        assert s.get(WorkforceLink, someone) is None
    after = impact.true_matching(settings, db)
    assert someone not in after.matched and someone not in after.unmatched
    assert len(after.matched) == len(before.matched) - 1
    page = impact.dashboard(settings, db)
    assert "no causal claim" in page.matched.limits or "not proof" in page.matched.limits
    assert page.matched.method
