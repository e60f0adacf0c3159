"""The synthetic sector looks like the sector (domain.md §4): the first year keeps the
published figures, later years move as the sector does (growth, leavers, starters), and
providers differ from each other. Figures are the generator's truth (``synth_output``), the
values the indicators reproduce before rounding and perturbation."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from techforce.workforce import codes, definitions, synth
from techforce.workforce import synth_output as output

SCALE = 0.2  # 223 providers, a fifth of the staff: quick, and every group big enough to judge
FIRST, NEXT = 2022, 2023
SECTOR_GROWTH = 246_930 / 240_420 - 1  # academic headcount 2022/23 -> 2023/24 (domain.md §4)


@dataclass
class Year:
    """Per provider (in ``sector.providers`` order), one year."""

    tech_fte: np.ndarray
    tech_fpe: np.ndarray
    non_academic_fpe: np.ndarray
    tech_heads: np.ndarray
    women: np.ndarray  # technicians (headcount) who are women
    aged_55_plus: np.ndarray
    aged_52_plus: np.ndarray
    truth: dict[str, object]


def _year(sector: synth.Sector, year: int) -> Year:
    truth = output.truth(sector, year, definitions.get(None))
    per = truth["providers"]
    assert isinstance(per, dict)
    ukprns = [p.ukprn for p in sector.providers]
    n = len(ukprns)
    frame = output.activity_frame(sector, year)
    non_academic = ~np.isin(frame["acempfun"], ["1", "2", "3", "9"])  # ACEMPFUN 4 or blank
    persons = sector.years[year].persons
    technician = persons["kind"] == "T"
    ref = np.datetime64(codes.age_reference_date(year).isoformat())
    age = (ref - persons["birth"]).astype(int) / 365.25
    prov = persons["prov"][technician]

    def count(mask: np.ndarray) -> np.ndarray:
        counted: np.ndarray = np.bincount(prov, weights=mask[technician], minlength=n)
        return counted

    return Year(
        tech_fte=np.array([per[u]["tech_fte"] for u in ukprns]),
        tech_fpe=np.array([per[u]["tech_fpe"] for u in ukprns]),
        non_academic_fpe=np.bincount(frame["prov"], weights=frame["fpe"] * non_academic, minlength=n),
        tech_heads=count(np.ones(len(age), dtype=bool)),
        women=count(persons["sex"] == "2"),
        aged_55_plus=count(age >= 55),
        aged_52_plus=count(age >= 52),
        truth=truth,
    )


@pytest.fixture(scope="module")
def sector() -> synth.Sector:
    return synth.generate(synth.SynthConfig().scaled(SCALE))


@pytest.fixture(scope="module")
def years(sector: synth.Sector) -> dict[int, Year]:
    return {year: _year(sector, year) for year in sector.years}


@pytest.fixture(scope="module")
def groups(sector: synth.Sector, tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """The peer groups synth writes (peer_groups.csv), as masks over the providers."""
    _providers, path = output.write_metadata(sector, tmp_path_factory.mktemp("meta"))
    ukprns = [p.ukprn for p in sector.providers]
    members: dict[str, set[str]] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            members.setdefault(row["group"], set()).add(row["UKPRN"])
    return {name: np.array([u in found for u in ukprns]) for name, found in members.items()}


def _growth(before: np.ndarray, after: np.ndarray) -> float:
    return float(after.sum() / before.sum() - 1)


def _quartiles(values: np.ndarray) -> tuple[float, float, float]:
    low, mid, high = np.percentile(values, [25, 50, 75])
    return float(low), float(mid), float(high)


def test_the_first_year_keeps_the_published_figures(sector: synth.Sector, years: dict[int, Year]) -> None:
    """2022/23: 45% of the 120 providers that returned non-academic staff have a strategic
    technical leader; a consortium of 8 English providers with ~2,100 technical FTE (at
    scale); the sector's headcounts."""
    truth = years[FIRST].truth
    assert len(sector.providers) == 223
    assert truth["providers_returning"] == 120
    assert truth["providers_with_leader"] == 54
    assert truth["leader_share"] == pytest.approx(0.45)
    consortium = np.array([p.in_consortium for p in sector.providers])
    assert consortium.sum() == 8
    assert {p.nation for p in sector.providers if p.in_consortium} == {"England"}
    assert years[FIRST].tech_fte[consortium].sum() == pytest.approx(2100 * SCALE, abs=2)
    kinds = sector.years[FIRST].persons["kind"]
    assert (kinds == "A").sum() == pytest.approx(240_000 * SCALE, rel=0.02)
    assert np.isin(kinds, ["T", "N"]).sum() == pytest.approx(158_000 * SCALE, rel=0.03)


def test_provider_sizes_run_from_a_few_hundred_to_about_20k(sector: synth.Sector) -> None:
    persons = sector.years[FIRST].persons
    staff = np.bincount(persons["prov"][persons["kind"] != "X"], minlength=len(sector.providers)) / SCALE
    assert 8_000 <= staff.max() <= 22_000  # the largest may have opted out of non-academic staff
    assert 500 <= np.median(staff) <= 2_000


def test_technical_fte_grows_about_as_the_sector_does(
    sector: synth.Sector, years: dict[int, Year], groups: dict[str, np.ndarray]
) -> None:
    """A year on, the sector's technical FTE has grown by about the sector's growth, every
    peer group (the consortium, the nations) by a few points around it, and no provider of
    any size by a fifth."""
    before, after = years[FIRST].tech_fte, years[NEXT].tech_fte
    sector_growth = _growth(before, after)
    assert sector_growth == pytest.approx(SECTOR_GROWTH, abs=0.015)
    assert "Midlands Technical Consortium" in groups and len(groups) >= 3
    for name, members in groups.items():
        assert _growth(before[members], after[members]) == pytest.approx(sector_growth, abs=0.04), name
    for smallest, most in ((20, 0.2), (50, 0.12)):  # 20 FTE here is 100 in the full sector
        sizeable = before >= smallest
        assert sizeable.sum() >= 10
        growth = after[sizeable] / before[sizeable] - 1
        assert np.all(np.abs(growth - sector_growth) < most), np.round(growth, 3)
    low, mid, high = _quartiles(growth)
    assert low < mid < high and 0.01 <= high - low <= 0.08  # a few points' spread between providers


def test_leavers_and_starters(sector: synth.Sector) -> None:
    """About 9% of each staff group leave in a year; starters replace them and add the growth."""
    before, after = sector.years[FIRST].persons, sector.years[NEXT].persons
    for kind in ("T", "A", "N", None):
        was = before["pid"] if kind is None else before["pid"][before["kind"] == kind]
        now = after["pid"] if kind is None else after["pid"][after["kind"] == kind]
        leavers = 1 - np.isin(was, now).mean()
        starters = (~np.isin(now, was)).sum() / len(was)
        assert leavers == pytest.approx(0.09, abs=0.015), kind
        assert starters - leavers == pytest.approx(SECTOR_GROWTH, abs=0.005), kind


def test_technical_share_of_non_academic_staff_differs_between_providers(
    sector: synth.Sector, years: dict[int, Year], groups: dict[str, np.ndarray]
) -> None:
    """Not one share for every member of the consortium: its quartiles spread out, and the
    consortium as a whole sits within the sector's range."""
    y = years[FIRST]
    returned = np.array([p.returns_non_academic for p in sector.providers])
    share = np.divide(y.tech_fpe, y.non_academic_fpe, out=np.zeros(len(returned)), where=returned)
    consortium = groups["Midlands Technical Consortium"]
    low, mid, high = _quartiles(share[consortium])
    assert low < mid < high and (high - low) / mid >= 0.15, (low, mid, high)
    s_low, s_mid, s_high = _quartiles(share[returned])
    assert (s_high - s_low) / s_mid >= 0.2
    group_share = y.tech_fpe[consortium].sum() / y.non_academic_fpe[consortium].sum()
    assert s_low * 0.8 <= group_share <= s_high
    # a provider's share moves little in a year
    n = years[NEXT]
    later = np.divide(n.tech_fpe, n.non_academic_fpe, out=np.zeros(len(returned)), where=returned)
    big = returned & (y.tech_heads >= 100)
    assert np.all(np.abs(later[big] / share[big] - 1) < 0.15)


def test_technicians_differ_between_providers_and_hold_steady(years: dict[int, Year]) -> None:
    """~41% women and ~30% over 51 in the sector; providers differ (quartiles apart); the
    sector's age profile and mix of women hold steady from one year to the next."""
    y = years[FIRST]
    assert y.women.sum() / y.tech_heads.sum() == pytest.approx(0.41, abs=0.04)
    assert y.aged_52_plus.sum() / y.tech_heads.sum() == pytest.approx(0.30, abs=0.04)
    big = y.tech_heads >= 30
    for counts in (y.women, y.aged_55_plus):
        low, mid, high = _quartiles(counts[big] / y.tech_heads[big])
        assert low < mid < high and high - low >= 0.05
    n = years[NEXT]
    for before, after in ((y.women, n.women), (y.aged_55_plus, n.aged_55_plus)):
        change = after.sum() / n.tech_heads.sum() - before.sum() / y.tech_heads.sum()
        assert abs(change) <= 0.01


def test_the_demo_sector_consortium_grows_like_the_sector() -> None:
    """At the demo's scale (1.0): the consortium has ~2,100 technical FTE in 2022/23 and grows
    by a few points around the sector's growth, not by a fifth."""
    demo = synth.generate(synth.SynthConfig())
    consortium = np.array([p.in_consortium for p in demo.providers])
    core = definitions.get(None)
    fte = {}
    for year in (FIRST, NEXT):
        f = output.activity_frame(demo, year)
        scheme = "SOC2020" if year >= codes.FIRST_SOC2020_YEAR else "SOC2010"
        socs, index = np.unique(f["soc"].astype(str), return_inverse=True)
        technical = np.array([core.is_technical(scheme, s) for s in socs])[index] & (f["terms"] != "3")
        fte[year] = np.bincount(f["prov"], weights=f["fte"] * technical, minlength=len(demo.providers))
    sector_growth = _growth(fte[FIRST], fte[NEXT])
    consortium_growth = _growth(fte[FIRST][consortium], fte[NEXT][consortium])
    assert consortium_growth == pytest.approx(sector_growth, abs=0.03)
    assert sector_growth == pytest.approx(SECTOR_GROWTH, abs=0.01)
    assert fte[FIRST][consortium].sum() == pytest.approx(2100, abs=2)
