"""Property: generate -> write XML and CSV -> ingest -> indicators equal the generator's truth,
computed independently in NumPy from the generator's arrays."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techforce.db import Database
from techforce.disclosure import RULE_SETS
from techforce.settings import Settings
from techforce.workforce import definitions, indicators, store, synth
from techforce.workforce import synth_output as output
from techforce.workforce.ingest import ingest

UNROUNDED = RULE_SETS["unrounded"]


def _check(tmp: Path, seed: int, shape: str, definition_name: str) -> None:
    cfg = synth.SynthConfig(seed=seed, providers=12, returners=7, leaders=3, years=2).scaled(0.004)
    sector = synth.generate(cfg)
    year = 2022 + seed % 2
    (output.write_xml if shape == "xml" else output.write_csv)(sector, tmp, year)
    app_settings = Settings(data_dir=tmp / "data", user="prop")
    db = Database(app_settings)
    db.migrate()
    ingest(app_settings, db, [tmp / str(year) / shape])
    with db.session() as session:
        files, returned = store.catalogue_inputs(session, app_settings)
    definition = definitions.get(definition_name)
    comp = indicators.compute(files, returned, definition, UNROUNDED)
    truth = output.truth(sector, year, definition)
    for ukprn, expected in truth["providers"].items():
        assert returned[(ukprn, year)] == expected["returned_non_academic"]
        if not expected["returned_non_academic"]:
            continue
        got = {
            ind: comp.provider_values(ind, year).get(ukprn, 0.0)
            for ind in ("tech.headcount", "tech.fpe", "tech.fte", "leadership.has_leader")
        }
        assert got["tech.headcount"] == expected["tech_headcount"], ukprn
        assert got["tech.fpe"] == pytest.approx(expected["tech_fpe"], abs=1e-6), ukprn
        assert got["tech.fte"] == pytest.approx(expected["tech_fte"], abs=1e-6), ukprn
        assert bool(got["leadership.has_leader"]) == expected["has_leader"], ukprn
    share = comp.results("leadership.share", "sector", None)[0]
    assert share.raw == pytest.approx(100 * truth["leader_share"])
    db.dispose()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    shape=st.sampled_from(["csv", "xml"]),
    definition_name=st.sampled_from(["core", "broad"]),
)
def test_indicators_equal_generator_truth(
    tmp_path_factory: pytest.TempPathFactory, seed: int, shape: str, definition_name: str
) -> None:
    _check(tmp_path_factory.mktemp("prop"), seed, shape, definition_name)


def test_default_sector_reproduces_45_percent_of_120(tmp_path: Path) -> None:
    """The sector figure: 54 of the 120 providers that returned non-academic staff (45%)."""
    sector = synth.generate(synth.SynthConfig().scaled(0.01))
    output.write_csv(sector, tmp_path, 2022)
    app_settings = Settings(data_dir=tmp_path / "data", user="prop")
    db = Database(app_settings)
    db.migrate()
    ingest(app_settings, db, [tmp_path / "2022" / "csv"])
    with db.session() as session:
        files, returned = store.catalogue_inputs(session, app_settings)
    comp = indicators.compute(files, returned, definitions.get(None), RULE_SETS["hesa-standard"])
    providers = comp.results("leadership.has_leader", "sector", None)[0]
    share = comp.results("leadership.share", "sector", None)[0]
    returning = comp.results("providers.returned_non_academic", "sector", None)[0]
    assert providers.cell.display == "54"
    assert share.cell.display == "45.0% of 120 providers"
    assert returning.cell.display == "120"
    managers = indicators.compute(
        files, returned, definitions.get("core-managers"), RULE_SETS["hesa-standard"]
    )
    assert managers.results("leadership.has_leader", "sector", None)[0].cell.value > 54
    db.dispose()
