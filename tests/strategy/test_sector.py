"""The sector view as an analyst reads it: counts of providers per recommendation and stage,
small groups hidden with the marker and the reason, percentages from the published counts,
withdrawn pledges left out, cohorts by signing year, and pledges to appoint a strategic lead
against the staff returns; no row names a provider."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from techforce import errors
from techforce.db import Database
from techforce.settings import Settings
from techforce.strategy import sector, service
from techforce.strategy.models import Recommendation
from techforce.workforce import peer_groups
from techforce.workforce.ingest import ingest
from techforce.workforce.service import Workforce
from tests.strategy.conftest import StrategyWorld

TODAY = date(2025, 9, 30)


def _ukprns(n: int, start: int = 10000101) -> list[str]:
    return [str(start + i) for i in range(n)]


def _rec(db: Database, ref: str) -> int:
    with db.session() as s:
        return service.find_recommendation(s, ref).id


def _pledge(db: Database, ukprns: list[str], ref: str, status: str) -> None:
    rec = _rec(db, ref)
    with db.session() as s:
        for u in ukprns:
            service.pledge(s, u, rec, status, "setup", on=date(2025, 1, 10))


def _view(db: Database, settings: Settings, today: date = TODAY) -> sector.SectorView:
    with db.session() as s:
        return sector.sector_view(s, Workforce(settings, db), today)


def _row(view: sector.SectorView, code: str) -> sector.AdoptionRow:
    return next(r for r in view.adoption if r.code == code)


SMALL = "suppressed: a group of fewer than 5 providers"


def test_a_group_of_two_providers_is_hidden_in_full_with_the_marker_and_the_reason(
    world: StrategyWorld, settings: Settings
) -> None:
    _pledge(world.db, [world.a, world.b], "stl-2024/STL-2", "pledged")
    row = _row(_view(world.db, settings), "STL-2")
    assert row.pledged.display == ".." and row.pledged.value is None
    for name in sector.ADOPTION_MEASURES:  # zeros too: "done 0" would say what both did
        cell = getattr(row, name)
        assert (cell.display, cell.value, cell.reason) == ("..", None, SMALL)
    untouched = _row(_view(world.db, settings), "STL-3")  # nobody pledged: nothing about anyone
    assert untouched.providers.display == "0" and untouched.done.display == "0"


def test_in_a_group_big_enough_a_zero_shows_and_a_count_below_five_hides(
    world: StrategyWorld, settings: Settings
) -> None:
    providers = _ukprns(9)
    _pledge(world.db, providers[:7], "stl-2024/STL-3", "pledged")
    _pledge(world.db, providers[7:], "stl-2024/STL-3", "done")
    row = _row(_view(world.db, settings), "STL-3")
    assert (row.providers.display, row.pledged.display, row.in_progress.display) == ("10", "5", "0")
    assert row.done.display == ".." and row.done.reason == "suppressed: fewer than 5 providers"


def test_counts_are_rounded_and_percentages_come_from_the_published_counts(
    world: StrategyWorld, settings: Settings
) -> None:
    providers = _ukprns(23)
    _pledge(world.db, providers[:8], "talent-commission-2022/TC-3", "done")
    _pledge(world.db, providers[8:15], "talent-commission-2022/TC-3", "in-progress")
    _pledge(world.db, providers[15:], "talent-commission-2022/TC-3", "pledged")
    row = _row(_view(world.db, settings), "TC-3")
    assert (row.done.display, row.in_progress.display, row.pledged.display) == ("10", "5", "10")
    assert row.providers.display == "25"  # 23 rounded to the nearest 5
    assert row.done_share.value == 40.0 and row.done_share.display == "40.0%"  # 10 / 25, not 8 / 23
    assert "published" in row.done_share.reason


def test_a_percentage_of_fewer_than_the_threshold_is_hidden(world: StrategyWorld, settings: Settings) -> None:
    _pledge(world.db, _ukprns(12), "stl-2024/STL-5", "done")
    row = _row(_view(world.db, settings), "STL-5")
    assert row.done.display == "10" and row.providers.display == "10"
    assert row.done_share.value is None and row.done_share.reason == "suppressed: fewer than 22.5 providers"


def test_withdrawn_pledges_are_left_out(world: StrategyWorld, settings: Settings) -> None:
    providers = _ukprns(7)
    _pledge(world.db, providers, "stl-2024/STL-4", "pledged")
    _pledge(world.db, providers[:3], "stl-2024/STL-4", "withdrawn")
    row = _row(_view(world.db, settings), "STL-4")
    assert row.providers.display == ".." and row.providers.reason == SMALL  # 4 left: below the floor


def _sign(db: Database, signed: dict[str, date], submitted: dict[str, tuple[str, date]]) -> None:
    with db.session() as s:
        for u, on in signed.items():
            service.sign(s, u, on, "setup")
        for u, (stage, on) in submitted.items():
            sub = service.submission(s, u, stage, "setup")
            service.save_action(
                s,
                sub,
                service.ActionIn(
                    objective="Fund registration", pillar="recognition", owner="ada", deadline=on
                ),
                "setup",
            )
            service.submit(s, sub, "setup", on=on)


def test_stage_compliance_by_cohort(world: StrategyWorld, settings: Settings) -> None:
    early, late_signers = _ukprns(6), _ukprns(6, 10000201)
    signed = {u: date(2020, 1, 15) for u in early} | {u: date(2025, 3, 1) for u in late_signers}
    # due 2021-07-15: five on time, one never; nothing yet of the 2025 cohort
    submitted = {u: ("first-submission", date(2021, 5, 1)) for u in early[:5]}
    _sign(world.db, signed, submitted)
    view = _view(world.db, settings)
    rows = {(r.stage, r.cohort): r for r in view.compliance}
    first_2020 = rows[("first-submission", "2020")]
    assert first_2020.signatories.display == "5"  # 6 rounded
    assert first_2020.on_time.display == "5" and first_2020.late.display == "0"
    assert first_2020.overdue.display == ".." and first_2020.overdue.reason.startswith("suppressed")
    assert first_2020.not_yet_due.display == "0"
    assert rows[("first-submission", "2025")].not_yet_due.display == "5"
    assert rows[("first-submission", "2025")].overdue.display == "0"
    every = rows[("first-submission", sector.ALL_COHORTS)]
    assert every.signatories.display == "10" and every.due.display == "5"
    assert every.on_time_share.display == ".."  # a population of 6: too small for a percentage
    assert rows[("stage-2", "2020")].overdue.display == "5"  # due 2023-01-15, none in
    assert {r.stage for r in view.compliance} == {"first-submission", "stage-2", "stage-3"}


def test_a_single_signatory_cohort_cannot_be_read_from_the_table(
    world: StrategyWorld, settings: Settings
) -> None:
    """Who signed when is public: 27 signed in 2022, one provider alone in 2019. Its rows are
    hidden in full, and the tables read the same whether it submitted on time or is overdue,
    also where 27 + 1 would cross a rounding edge (27 shows as 25, 28 as 30)."""
    target = "10099999"
    _sign(world.db, {u: date(2022, 3, 1) for u in _ukprns(27)} | {target: date(2019, 5, 1)}, {})
    overdue = _view(world.db, settings)
    rows = [r for r in overdue.compliance if r.cohort == "2019"]
    assert [r.stage for r in rows] == ["first-submission", "stage-2", "stage-3"]  # listed, all hidden
    for row in rows:
        for name in sector.COMPLIANCE_MEASURES:
            cell = getattr(row, name)
            assert (cell.display, cell.value, cell.reason) == ("..", None, SMALL)
    shown = {(r.stage, r.cohort): r for r in overdue.compliance}
    assert shown[("first-submission", sector.ALL_COHORTS)].overdue.display == "25"  # 27, not 28
    _sign(world.db, {}, {target: ("first-submission", date(2020, 6, 1))})  # on time after all
    on_time = _view(world.db, settings)
    assert sector.tables(on_time) == sector.tables(overdue)
    assert sector.sector_csv(on_time) == sector.sector_csv(overdue)


def test_the_view_is_as_on_the_day_given(world: StrategyWorld, settings: Settings) -> None:
    _sign(world.db, {u: date(2020, 1, 15) for u in _ukprns(6)}, {})
    before = {(r.stage, r.cohort): r for r in _view(world.db, settings, date(2020, 6, 1)).compliance}
    after = {(r.stage, r.cohort): r for r in _view(world.db, settings, date(2021, 8, 1)).compliance}
    assert before[("first-submission", "2020")].not_yet_due.display == "5"
    assert before[("first-submission", "2020")].overdue.display == "0"
    assert after[("first-submission", "2020")].overdue.display == "5"


def test_the_csv_has_every_cell_with_its_reason_and_neutralises_formulas(
    world: StrategyWorld, settings: Settings
) -> None:
    with world.db.session() as s:
        rec = s.scalar(select(Recommendation).where(Recommendation.code == "STL-6"))
        assert rec is not None
        rec.title = '=HYPERLINK("http://x")'
    _pledge(world.db, [world.a, world.b], "stl-2024/STL-6", "pledged")
    text = sector.sector_csv(_view(world.db, settings))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"table", "row", "measure", "value", "shown", "disclosure"} <= set(rows[0])
    hidden = [r for r in rows if "STL-6" in r["row"] and r["measure"] == "pledged"]
    assert hidden[0]["shown"] == ".." and hidden[0]["value"] == ""
    assert hidden[0]["disclosure"] == SMALL
    assert all(not r["row"].startswith("=") for r in rows)
    assert rows[-1]["measure"] == "disclosure" and "hesa-standard" in rows[-1]["disclosure"]
    assert world.a not in text and world.b not in text  # no provider is named


def test_unrounded_rules_are_refused_for_the_sector_view(world: StrategyWorld, tmp_path: Path) -> None:
    loose = Settings(data_dir=tmp_path / "d", disclosure_rules="unrounded", allow_unrounded=True)
    with pytest.raises(errors.Forbidden, match="unrounded"):
        sector.gate_for(Workforce(loose, world.db))


# ---------------------------------------------------------------- against the staff data


@pytest.fixture
def staffed(world: StrategyWorld, settings: Settings, small_files: Path) -> Workforce:
    """The strategy world with both years of the small synthetic sector's staff returns."""
    ingest(settings, world.db, [small_files / "2022" / "csv", small_files / "2023" / "csv"])
    with world.db.session() as s:
        peer_groups.import_providers(s, small_files / "providers.csv", actor="setup")
    return Workforce(settings, world.db)


def test_lead_pledges_against_the_staff_data_year_by_year(world: StrategyWorld, staffed: Workforce) -> None:
    truth = sector.has_leader_by_year(staffed)
    latest = max(truth)
    with_leader = sorted(u for u, has in truth[latest].items() if has)
    without = sorted(u for u, has in truth[latest].items() if not has)
    pledgers = with_leader[:5] + without[:2]
    _pledge(world.db, pledgers[:4], "stl-2024/STL-1", "done")
    _pledge(world.db, pledgers[4:], "talent-commission-2022/TC-1", "pledged")
    _pledge(world.db, without[2:3], "talent-commission-2022/TC-1", "withdrawn")
    with world.db.session() as s:
        view = sector.sector_view(s, staffed, TODAY)
    assert [r.group for r in view.leaders] == [sector.PLEDGED_GROUP, sector.OTHER_GROUP] * len(truth)
    gate = sector.gate_for(staffed)
    for row, (year, group) in zip(
        view.leaders, [(y, g) for y in sorted(truth) for g in (True, False)], strict=True
    ):
        mine = [has for u, has in truth[year].items() if (u in pledgers) is group]
        if 0 < len(mine) < 5:  # a small group shows nothing, not even a zero
            assert {row.returned.reason, row.with_leader.reason, row.share.reason} == {SMALL}
            continue
        assert row.returned == gate.count(len(mine))
        assert row.with_leader == gate.count(sum(mine))
        assert row.share == gate.percent(row.with_leader, row.returned)
    pledged_latest = next(
        r for r in view.leaders if r.group == sector.PLEDGED_GROUP and r.year.startswith(str(latest))
    )
    assert pledged_latest.returned.display == "5"  # 7 pledged, rounded
    assert pledged_latest.with_leader.display == "5"
    assert pledged_latest.share.display == ".."  # too few providers for a percentage
