"""ACRO as a second opinion on what techforce publishes.

ACRO (PyPI ``acro``, "Tools for the Semi-Automatic Checking of Research Outputs", the
checker trusted research environments run on researchers' tables) tabulates the same
microdata we publish from: the ingested Parquet snapshots, flagged technical with the core
definition (``indicators.open_staff``). For every cell it says whether it would release it:
fewer than 10 contributors (``MinimumThresholdCheck``), dominance (``NKCheck``: the two
largest contributions make 90% or more of the cell; ``PPercentCheck``: the rest add up to
less than 10% of the largest) and, in frequency tables, zeros (``PresenceOfZeroCheck``).

Our answer to a risky cell is cell key perturbation and rounding to 5, not suppression. So
the checks here are: no cell ACRO flags is published as its true value; no published
percentage rests on a population ACRO flags; and cells ACRO passes are published close to
their true values (the comparison is not vacuous). "Published" is what one provider's
explorer JSON shows (GET /api/workforce/explore, hesa-standard rules): Computation.results
for that provider, which test_the_api_publishes_these_cells checks against the page data.

Found on the way and fixed: a provider's breakdown listed only the categories that held
someone, so ACRO's zero cells could be told apart from small ones. Every category is now
listed, and the breakdowns of a population below 22.5 are suppressed as a whole."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd
import pytest

from techforce.db import Database
from techforce.disclosure import PTABLE, RULE_SETS, round_count
from techforce.settings import Settings
from techforce.workforce import definitions, indicators, pages, peer_groups, service, store
from techforce.workforce.ingest import ingest

HESA = RULE_SETS["hesa-standard"]
# Warnings from ACRO's own code under pandas 2.3 (it silences FutureWarning itself on import,
# globally; here only warnings raised from acro's modules are let through): FutureWarnings
# about pandas' future sum/replace behaviour, and SettingWithCopyWarning from its redaction.
pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning:acro\\."),
    pytest.mark.filterwarnings("ignore::pandas.errors.SettingWithCopyWarning:acro\\."),
]
# The published breakdowns (technical FPE by category) about people's characteristics. The
# others (SOC, cost centre, level) come from the same statement and the same gate, and would
# double the time ACRO takes.
BREAKDOWNS = [
    "tech.by_age",
    "tech.by_terms",
    "tech.by_mode",
    "tech.sex_by_level",
    "tech.ethnicity_by_level",
    "tech.disability_by_level",
]
# Percentages: the people of the population (person-level flags, as PEOPLE_SQL) and, for
# headcount percentages, the numerator among them.
PERCENTAGES: dict[str, tuple[str, str | None]] = {
    "tech.aged_55_plus": ("t", "age >= 55"),
    "tech.aged_60_plus": ("t", "age >= 60"),
    "tech.women_in_leadership": ("l", "sex == '2'"),
    "tech.share_non_academic": ("na", None),  # FPE over non-academic FPE
    "tech.share_all": ("c", None),  # FPE over all staff FPE
}


@dataclass
class Sector:
    wf: service.Workforce
    con: duckdb.DuckDBPyConnection
    leadership: str


@pytest.fixture(scope="module")
def acro_module() -> ModuleType:
    """acro calls logging.basicConfig(INFO) when imported; the root logger is put back as it
    was so that no other test sees it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import acro
    except ImportError as err:  # pragma: no cover - make test installs it (a dev dependency)
        pytest.fail(
            f"acro is not installed ({err}); run `make test` or `.venv/bin/pip install -e '.[web,dev]'`"
        )
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    logging.getLogger("acro").setLevel(logging.WARNING)  # it logs every table at INFO
    return acro


@pytest.fixture(scope="module")
def acro(acro_module: ModuleType) -> Any:
    """An ACRO session that reports (``outcome``: "ok" or the checks a cell fails) without
    suppressing: its redaction re-runs the table once per flagged cell, and only the verdicts
    are compared here."""
    session = acro_module.ACRO(suppress=False)
    assert session.config["safe_threshold"] == 10  # the default this file is written against
    return session


@pytest.fixture(scope="module")
def sector(small_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sector]:
    """The small synthetic sector (2022/23) ingested, with providers imported; the microdata
    loaded as ``staff`` with the core definition."""
    root = tmp_path_factory.mktemp("acro")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    ingest(settings, db, [small_files / "2022" / "csv"])
    with db.session() as session:
        peer_groups.import_providers(session, small_files / "providers.csv", actor="test")
        files, returned = store.catalogue_inputs(session, settings)
    core = definitions.get(None)
    con = duckdb.connect()
    indicators.open_staff(con, files, returned, core)
    wf = service.Workforce(settings, db)
    assert wf.computation().rules.stamp == HESA.stamp  # published figures use hesa-standard
    try:
        yield Sector(wf, con, ", ".join(f"'{v}'" for v in core.leadership_levels))
    finally:
        con.close()
        db.dispose()


def _label(category: str) -> str:
    """Our published label of a category: the sort prefix dropped ("1 Under 25" -> "Under 25")."""
    return " / ".join(p[2:] if p[:1].isdigit() and p[1:2] == " " else p for p in category.split(" / "))


def _person_cells(sector: Sector, indicator: str) -> pd.DataFrame:
    """One row per person and cell of a published table (technical staff in the 1 December
    population of providers that returned non-academic staff): the person's FPE in the cell,
    or 1 for the headcount."""
    if indicator == "tech.headcount":
        category, value = "'all'", "1.0"
    else:
        category = indicators.BREAKDOWN_SOURCE[indicator].format(
            level_group=indicators._level_group(sector.leadership)
        )
        value = "sum(fpe)"
    return sector.con.execute(
        f"SELECT ukprn, {category} AS category, person_id, {value} AS value FROM staff "
        "WHERE technical AND in_census AND returned GROUP BY ukprn, category, person_id"
    ).df()


def _published(sector: Sector, indicator: str, ukprn: str) -> dict[str, dict[str, Any]]:
    """One provider's published cells of an indicator, by category, as the explorer's JSON has
    them (test_the_api_publishes_these_cells checks that it does)."""
    return {
        r.category: {"value": r.cell.value, "shown": r.cell.display, "disclosure": r.cell.reason}
        for r in sector.wf.computation().results(indicator, ukprn, [ukprn])
    }


def _could_be(published: float) -> list[int]:
    """The true counts that could be published as ``published`` under the perturbation table."""
    return [
        n
        for n in range(1, int(published) + 2 * PTABLE.max_change + 5)
        if any(p > 0 and round_count(max(0, n + d)) == published for d, p in PTABLE.changes(n))
    ]


@pytest.mark.parametrize("indicator", ["tech.headcount", *BREAKDOWNS])
def test_no_cell_acro_flags_is_published_as_its_true_value(acro: Any, sector: Sector, indicator: str) -> None:
    """Every non-empty cell ACRO flags is suppressed, or perturbed and rounded to 5 such that
    several true counts could give it; every cell ACRO passes is published within the
    perturbation (3) and rounding (2.5) of its true value."""
    cells = _person_cells(sector, indicator)
    if indicator == "tech.headcount":
        acro.crosstab(cells.ukprn, cells.category)  # a frequency table
    else:
        acro.crosstab(cells.ukprn, cells.category, values=cells.value, aggfunc="sum")
    outcome: pd.DataFrame = acro.results.get_index(-1).outcome
    grouped = cells.groupby(["ukprn", "category"])
    truth, contributors = grouped.value.sum(), grouped.person_id.nunique()

    problems: list[str] = []
    flagged = passed = published_as_true = 0
    for ukprn in outcome.index:
        ours = _published(sector, indicator, ukprn)
        unrounded = {
            r.category: r.raw
            for r in sector.wf.computation().results(indicator, ukprn, [ukprn], true_values=True)
        }
        for category in outcome.columns:
            verdict = outcome.loc[ukprn, category]
            if (ukprn, category) not in contributors.index:
                continue  # an empty cell: see test_an_empty_cell_reads_like_a_small_one
            true, people = float(truth[(ukprn, category)]), int(contributors[(ukprn, category)])
            label = _label(category)
            where = f"{indicator} {ukprn} {label!r} ({people} people, true {true:g}, ACRO: {verdict.strip()})"
            if unrounded.get(label) is None or abs(unrounded[label] - true) > 1e-6:
                problems.append(
                    f"{where}: ACRO and techforce tabulate different values ({unrounded.get(label)})"
                )
                continue
            row = ours.get(label)
            if row is None:
                problems.append(f"{where}: not in the published table")
                continue
            value = row["value"]
            if verdict != "ok":
                flagged += 1
                if value is None:
                    continue  # suppressed
                if value % HESA.round_to or "cell key perturbation" not in row["disclosure"]:
                    problems.append(f"{where}: published {row['shown']} ({row['disclosure']})")
                elif value == true:
                    published_as_true += 1
                    if len(_could_be(value)) < 3:  # a coincidence of rounding, not a disclosure
                        problems.append(f"{where}: published {row['shown']}, which pins the true count")
            else:
                passed += 1
                if value is None and "breakdown of a population below" in row["disclosure"]:
                    continue  # stricter than ACRO: a small provider's breakdown is hidden whole
                if value is None or abs(value - true) > PTABLE.max_change + HESA.round_to / 2:
                    problems.append(f"{where}: ACRO releases it, we publish {row['shown']}")
    assert not problems, "\n".join(problems[:20])
    assert flagged, f"{indicator}: ACRO flags no cell of the small sector; the comparison is vacuous"
    assert passed, f"{indicator}: ACRO passes no cell; the comparison is vacuous"
    # Flagged cells are small: rounding to 5 can only meet the true value where it is 0 or 5.
    assert published_as_true <= flagged // 2, (indicator, published_as_true, flagged)


def test_acro_released_cells_match_our_true_values(acro_module: ModuleType, sector: Sector) -> None:
    """ACRO's suppressed table (what it would release) holds exactly our true values where it
    releases a cell: both sides tabulate the same thing."""
    cells = _person_cells(sector, "tech.by_age")
    released = acro_module.ACRO(suppress=True).crosstab(
        cells.ukprn, cells.category, values=cells.value, aggfunc="sum"
    )
    comp = sector.wf.computation()
    checked = 0
    for ukprn in released.index:
        ours = {r.category: r.raw for r in comp.results("tech.by_age", ukprn, [ukprn], true_values=True)}
        for category, value in released.loc[ukprn].dropna().items():
            assert ours[_label(str(category))] == pytest.approx(value), (ukprn, category)
            checked += 1
    assert checked >= 20


def test_the_api_publishes_these_cells(sector: Sector) -> None:
    """The explorer's JSON (GET /api/workforce/explore, one provider, the newest year) holds
    the cells compared with ACRO here, with the hesa-standard stamp."""
    cells = _person_cells(sector, "tech.by_age")
    for ukprn in sorted(cells.ukprn.unique()):
        page = pages.explore(sector.wf, "tech.by_age", scope=f"provider:{ukprn}")
        assert page.meta.disclosure == HESA.stamp
        api = {r.category: r.model_dump(include={"value", "shown", "disclosure"}) for r in page.rows}
        assert api == _published(sector, "tech.by_age", ukprn)


def _people(sector: Sector) -> pd.DataFrame:
    return sector.con.execute(
        "SELECT ukprn, person_id, bool_or(technical AND in_census) AS t, bool_or(leader) AS l, "
        "bool_or(in_census) AS c, bool_or(in_census AND non_academic) AS na, any_value(age) AS age, "
        "any_value(sex) AS sex FROM staff WHERE returned GROUP BY ukprn, person_id"
    ).df()


@pytest.mark.parametrize("indicator", list(PERCENTAGES))
def test_no_published_percentage_rests_on_a_population_acro_flags(
    acro: Any, sector: Sector, indicator: str
) -> None:
    population, numerator = PERCENTAGES[indicator]
    people = _people(sector)
    pop = people[people[population]].assign(population="all")
    acro.crosstab(pop.ukprn, pop.population)
    denominators: pd.Series = acro.results.get_index(-1).outcome["all"]
    numerators = pop.query(numerator).groupby("ukprn").size() if numerator else None
    sizes = pop.groupby("ukprn").size()

    problems, shown = [], 0
    for ukprn in sorted(people.ukprn.unique()):
        row = _published(sector, indicator, ukprn).get("all")
        if row is None or row["value"] is None:
            continue
        shown += 1
        verdict = denominators.get(ukprn, "empty population")
        if verdict != "ok":
            problems.append(
                f"{indicator} {ukprn}: {row['shown']} published over a population ACRO flags: {verdict}"
            )
        if "perturbed" not in row["disclosure"]:
            problems.append(
                f"{indicator} {ukprn}: {row['shown']} not from perturbed counts ({row['disclosure']})"
            )
        if numerators is not None:  # the percentage is one a perturbation of at most 3 either way can give
            n, d = int(numerators.get(ukprn, 0)), int(sizes[ukprn])
            low = 100 * max(0, n - PTABLE.max_change) / (d + PTABLE.max_change)
            high = min(100.0, 100 * (n + PTABLE.max_change) / max(1, d - PTABLE.max_change))
            if not low - 0.05 <= row["value"] <= high + 0.05:
                problems.append(f"{indicator} {ukprn}: {row['shown']} is not {n}/{d} perturbed")
    assert not problems, "\n".join(problems)
    # Not vacuous: technical populations include some ACRO flags (a few small providers), and
    # every population but the leaders (fewer than 10 a provider here) has published figures.
    if population != "c" and population != "na":
        assert (denominators != "ok").any(), f"{indicator}: ACRO flags no population; the check is vacuous"
    if population != "l":
        assert shown, f"{indicator}: every percentage suppressed, even over populations ACRO passes"


@pytest.mark.parametrize("indicator", ["tech.by_age", "tech.disability_by_level"])
def test_an_empty_cell_reads_like_a_small_one(sector: Sector, indicator: str) -> None:
    """With cell key perturbation zeros stay zero, so a true zero must be published like a
    small count perturbed to zero; otherwise a provider with a few technicians shows which
    age bands, sexes, levels, ethnic groups or disability statuses they have."""
    cells = _person_cells(sector, indicator)
    categories = {_label(c) for c in cells.category.unique()}
    for ukprn in sorted(cells.ukprn.unique()):
        page = pages.explore(sector.wf, indicator, scope=f"provider:{ukprn}")
        published = {r.category for r in page.rows}
        assert published >= categories, f"{ukprn} shows only {sorted(published)} of {sorted(categories)}"
