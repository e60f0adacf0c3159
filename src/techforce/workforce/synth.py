"""Synthetic sector: realistic HESA Staff returns for a whole sector from a seed.

Defaults follow domain.md §4: 223 providers of heavy-tailed size (a few hundred to ~20k
staff), 120 of which return non-academic staff, 54 (45%) of those with a strategic technical
leader under the default definitions; people with several contracts, split activities,
atypical and dormant contracts; a consortium of 8 providers of mixed size (like Midlands
Innovation: a few large research universities and smaller ones) with ~2,100 technical FTE.

Providers differ: each has its own technical share of non-academic staff, its own mix of
women, older and minority ethnic technicians, and its own leaver rate and growth. Each later
year has leavers (~9% a year, older people likelier: retirement; never a sector's only
leader), starters (younger, replacing leavers and adding each provider's growth, which
varies by a few percent around the sector's ~2.7%: academic headcount 240,420 -> 246,930)
and promotions. ``truth`` recomputes the headline indicators in NumPy, independently of the
SQL indicators, for the property tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from techforce.workforce import codes

NATIONS = (("England", 0.80), ("Scotland", 0.085), ("Wales", 0.04), ("Northern Ireland", 0.075))
ENGLISH_REGIONS = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
PLACES = (
    "Ashford",
    "Bramley",
    "Calder",
    "Dunmore",
    "Elmswell",
    "Fernhill",
    "Glenrock",
    "Harwood",
    "Ivybridge",
    "Juniper",
    "Kingsmere",
    "Larkfield",
    "Millbrook",
    "Northgate",
    "Oakridge",
    "Penrose",
    "Queensbury",
    "Redcliffe",
    "Stonebridge",
    "Thornbury",
    "Upton",
    "Valemount",
    "Westbrook",
    "Yarrow",
)
KINDS = ("University of {}", "{} University", "{} College", "{} Institute of Technology")

# Technician cost centres: science and engineering mostly; physics/engineering are 114-120.
TECH_CC = np.array(
    [
        "112",
        "113",
        "114",
        "115",
        "116",
        "117",
        "118",
        "119",
        "120",
        "101",
        "107",
        "111",
        "121",
        "143",
        "144",
        "201",
        "205",
    ]
)
TECH_CC_P = np.array([16, 12, 6, 5, 3, 3, 3, 5, 5, 10, 5, 5, 4, 6, 4, 4, 4], dtype=float)
PHYS_ENG_CC = {"114", "115", "116", "117", "118", "119", "120"}
CORE_SOC = np.array(["3111", "3112", "3113", "3114", "3115", "3116", "3119", "3121", "3131", "3132"])
CORE_SOC_P = np.array([40, 8, 12, 3, 3, 3, 12, 3, 10, 6], dtype=float)
BROAD_EXTRA_SOC = np.array(["3217", "3218", "6139", "5223", "5242", "5422"])
OTHER_NONACAD_SOC = np.array(
    [
        "4159",
        "4113",
        "4161",
        "4215",
        "2424",
        "2135",
        "2429",
        "3545",
        "3562",
        "3537",
        "1131",
        "1136",
        "5314",
        "6125",
        "9233",
        "9244",
        "9272",
        "3415",
    ]
)
OTHER_NONACAD_P = np.array([16, 8, 6, 6, 6, 4, 5, 5, 6, 4, 2, 1, 3, 2, 9, 4, 4, 3], dtype=float)
ACADEMIC_SOC = np.array(["2311", "2119", "2112", "2113", "2211"])
TO_SOC2020 = {
    "3121": "3120",
    "3131": "3131",
    "3132": "3132",
    "3217": "3212",
    "3218": "3213",
    "6139": "6129",
    "5223": "5224",
    "5242": "5224",
    "5422": "5421",
    "3415": "3417",
    "2119": "2119",
    "2311": "2311",
    "2424": "2439",
    "2429": "2439",
    "2135": "2134",
    # SOC2010 codes that SOC2020 dropped or gave to another occupation
    "1115": "1111",
    "1136": "1137",
    "2113": "2114",
    "3537": "3533",
    "3545": "3556",
    "3562": "3571",
    "4113": "4112",
    "4161": "4141",
    "5314": "5315",
    "6125": "6112",
    "9233": "9223",
    "9244": "9232",
    "9272": "9263",
}
CONSORTIUM = 8  # providers in the consortium peer group
# Where the consortium's members rank by size, as a fraction of the number of providers: like
# Midlands Innovation, three large research universities, two mid-sized and three smaller
# ones (in a sector of 223: the 5th, 8th, 12th, 20th, 26th, 52nd, 61st and 70th largest).
# A small sector takes its largest eight.
CONSORTIUM_RANKS = (0.018, 0.031, 0.049, 0.085, 0.112, 0.229, 0.27, 0.31)
SIZE_SIGMA = 0.95  # log-normal spread of provider size: the largest has ~20k staff
SIZE_CAP = 2.6  # no provider beyond 2.6 standard deviations (about one in 200)
FTE_PER_TECHNICIAN = 0.74  # core technical FTE per technician (part-time, split, broad SOC)
# Provider-to-provider spread (log-normal sigmas, or a logit shift for women)
SPREAD_TECH_SHARE = 0.35  # technical share of non-academic staff
SPREAD_WOMEN = 0.3  # logit of women's share of technicians
SPREAD_OLDER = 0.3  # odds of a technician being 52 or over
SPREAD_MINORITY = 0.4  # minority ethnic share
SPREAD_LEAVING = 0.2  # leaver rate
SPREAD_GROWTH = 0.02  # yearly growth, percentage points (standard deviation), around the sector's
SPREAD_GROWTH_KIND = 0.01  # and again for each staff group within a provider
LATE = 0.03  # share of contracts that start after the 1 December census
STARTER_OLDER = 0.55  # starters' odds of being 52 or over, relative to the staff they join
LEAVE_OVER_60 = 2.5  # leaving (retirement) at 60 and over, relative to 30-59
LEAVE_UNDER_30 = 1.4  # leaving under 30, relative to 30-59
TECH_LEVELS = np.array(["I0", "J0", "K0", "L0", "M0", "N0"])
TECH_LEVELS_P = np.array([4, 12, 30, 30, 18, 6], dtype=float)


@dataclass(frozen=True)
class SynthConfig:
    seed: int = 2022
    providers: int = 223
    returners: int = 120
    leaders: int = 54
    first_year: int = 2022
    years: int = 2
    academic_total: int = 240_000
    non_academic_total: int = 158_000
    atypical_total: int = 80_000
    technical_share: float = 0.14
    consortium_fte: float = 2100.0
    growth: float = 0.027  # sector growth a year (academic headcount 2022/23 -> 2023/24)
    leaving: float = 0.09  # share of staff who leave their provider in a year

    @classmethod
    def for_providers(cls, providers: int, *, seed: int = 2022) -> SynthConfig:
        """A sector of ``providers`` providers (at least 1) in the default proportions: as many
        returners of non-academic staff as leave 8 out, about a quarter with a leader."""
        if providers < 1:
            raise ValueError(f"a sector needs at least 1 provider, not {providers}")
        return cls(
            seed=seed,
            providers=providers,
            returners=min(120, max(1, providers - 8)),
            leaders=max(1, min(54, providers // 4)),
        )

    def scaled(self, factor: float) -> SynthConfig:
        return replace(
            self,
            academic_total=int(self.academic_total * factor),
            non_academic_total=int(self.non_academic_total * factor),
            atypical_total=int(self.atypical_total * factor),
            consortium_fte=self.consortium_fte * factor,
        )


@dataclass
class ProviderInfo:
    ukprn: str
    name: str
    nation: str
    region: str
    returns_non_academic: bool
    has_leader: bool
    in_consortium: bool
    manager_in_technical_cc: bool


@dataclass
class YearData:
    """Column arrays of one reporting year: persons, contracts, activities."""

    year: int
    persons: dict[str, np.ndarray] = field(default_factory=dict)
    contracts: dict[str, np.ndarray] = field(default_factory=dict)
    activities: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Traits:
    """What makes each provider different (one value per provider, drawn once)."""

    tech_share: np.ndarray  # multiplies the sector's technical share of non-academic staff
    women: np.ndarray  # added to the logit of a technician being a woman
    older: np.ndarray  # multiplies the odds of a technician being 52 or over
    minority: np.ndarray  # multiplies the minority ethnic share of technicians
    leaving: np.ndarray  # leaver rate a year
    growth: np.ndarray  # growth a year, before each staff group's own variation


def _lognormal(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    """Multipliers with mean 1."""
    values: np.ndarray = rng.lognormal(-(sigma**2) / 2, sigma, n)
    return values


def _traits(cfg: SynthConfig, infos: list[ProviderInfo]) -> Traits:
    # A stream of its own, so the traits do not shift the rest of the sector's draws.
    rng = np.random.default_rng([cfg.seed, 1])
    n = len(infos)
    london = np.array([i.region == "London" for i in infos])
    return Traits(
        tech_share=_lognormal(rng, SPREAD_TECH_SHARE, n),
        women=rng.normal(0.0, SPREAD_WOMEN, n),
        older=_lognormal(rng, SPREAD_OLDER, n),
        minority=_lognormal(rng, SPREAD_MINORITY, n) * np.where(london, 2.0, 1.0),
        leaving=np.clip(cfg.leaving * _lognormal(rng, SPREAD_LEAVING, n), 0.04, 0.2),
        growth=rng.normal(0.0, SPREAD_GROWTH, n),
    )


@dataclass
class Sector:
    config: SynthConfig
    providers: list[ProviderInfo]
    years: dict[int, YearData]
    consortium: str = "Midlands Technical Consortium"
    traits: Traits | None = None


def consortium_members(n: int) -> np.ndarray:
    """Indices (by size, largest first) of the consortium's members in a sector of ``n``:
    spread over the size ranks; a small sector is all consortium."""
    k = min(CONSORTIUM, n)
    step = np.arange(k)
    ranks = np.round(np.array(CONSORTIUM_RANKS[:k]) * n).astype(int)
    members: np.ndarray = np.maximum.accumulate(ranks - step) + step  # distinct, in order
    return members


def _providers(cfg: SynthConfig, rng: np.random.Generator) -> tuple[list[ProviderInfo], np.ndarray]:
    n = cfg.providers
    sizes = rng.lognormal(mean=0.0, sigma=SIZE_SIGMA, size=n)
    sizes = np.sort(np.minimum(sizes, np.exp(SIZE_SIGMA * SIZE_CAP)))[::-1]
    nation_names = [name for name, _ in NATIONS]
    nations = rng.choice(nation_names, size=n, p=[p for _, p in NATIONS])
    consortium = consortium_members(n)
    nations[consortium] = "England"
    optable = np.flatnonzero(np.isin(nations, ["England", "Northern Ireland"]))
    must_return = np.flatnonzero(~np.isin(nations, ["England", "Northern Ireland"]))
    need = cfg.returners - len(must_return) - len(consortium)
    others = np.setdiff1d(optable, consortium)
    chosen = rng.choice(others, size=max(0, need), replace=False)
    returners = np.zeros(n, dtype=bool)
    returners[must_return] = True
    returners[consortium] = True
    returners[chosen] = True
    ret_idx = np.flatnonzero(returners)
    leaders = np.zeros(n, dtype=bool)
    # Bigger providers are likelier to have a strategic technical leader.
    weights = sizes[ret_idx] / sizes[ret_idx].sum()
    leaders[rng.choice(ret_idx, size=min(cfg.leaders, len(ret_idx)), replace=False, p=weights)] = True
    non_leaders = ret_idx[~leaders[ret_idx]]
    managers = np.zeros(n, dtype=bool)
    managers[rng.choice(non_leaders, size=min(len(non_leaders), 14), replace=False)] = True
    infos = []
    in_consortium = np.zeros(n, dtype=bool)
    in_consortium[consortium] = True
    for i in range(n):
        place = PLACES[i % len(PLACES)] + ("" if i < len(PLACES) else f" {chr(65 + i // len(PLACES))}")
        nation = str(nations[i])
        region = str(rng.choice(ENGLISH_REGIONS)) if nation == "England" else nation
        if in_consortium[i]:
            region = ("West Midlands", "East Midlands")[int(np.searchsorted(consortium, i)) % 2]
        infos.append(
            ProviderInfo(
                ukprn=f"{10000001 + i * 37:08d}",
                name=KINDS[i % len(KINDS)].format(place),
                nation=nation,
                region=region,
                returns_non_academic=bool(returners[i]),
                has_leader=bool(leaders[i]),
                in_consortium=bool(in_consortium[i]),
                manager_in_technical_cc=bool(managers[i]),
            )
        )
    return infos, sizes


class _Builder:
    """Accumulates persons, contracts and activities of one year as column arrays.
    ``starting``: the people are the year's starters, whose contracts start during the year."""

    def __init__(
        self, year: int, rng: np.random.Generator, next_person: int, *, starting: bool = False
    ) -> None:
        self.year, self.rng, self.next_person, self.starting = year, rng, next_person, starting
        self.p: dict[str, list[np.ndarray]] = {}
        self.c: dict[str, list[np.ndarray]] = {}
        self.a: dict[str, list[np.ndarray]] = {}
        self.contract_count = 0

    @staticmethod
    def _push(store: dict[str, list[np.ndarray]], **cols: np.ndarray) -> None:
        for k, v in cols.items():
            store.setdefault(k, []).append(np.asarray(v))

    def people(
        self,
        prov: np.ndarray,
        *,
        female: np.ndarray,
        age: np.ndarray,
        minority: float | np.ndarray,
        kind: str,
    ) -> np.ndarray:
        n = len(prov)
        pid = np.arange(self.next_person, self.next_person + n)
        self.next_person += n
        rng = self.rng
        ref = np.datetime64(codes.age_reference_date(self.year).isoformat())
        birth = (
            ref - (age * 365.25).astype("timedelta64[D]") - rng.integers(1, 360, n).astype("timedelta64[D]")
        )
        ethnic = np.where(
            rng.random(n) < minority,
            rng.choice(["31", "33", "21", "22", "41", "34", "50", "80"], n),
            rng.choice(["10", "10", "10", "10", "15", "19", "99"], n),
        )
        r = rng.random(n)
        disable = np.where(
            r < 0.07, rng.choice(["54", "55", "51", "56", "54;55"], n), np.where(r < 0.10, "98", "95")
        )
        self._push(
            self.p,
            pid=pid,
            prov=prov,
            sex=np.where(female, "2", "1"),
            birth=birth,
            ethnic=ethnic,
            disable=disable,
            kind=np.full(n, kind),
        )
        return pid

    def contract(
        self,
        pid: np.ndarray,
        prov: np.ndarray,
        *,
        terms: np.ndarray,
        mode: np.ndarray,
        acempfun: np.ndarray,
        levels: np.ndarray,
        confte: np.ndarray,
        activities: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        always_in: np.ndarray | None = None,
        late: float = LATE,
    ) -> np.ndarray:
        """activities: list of (soc, ccentre, ccprop) parts, ccprop summing to 100.
        ``late``: share of contracts that start after the 1 December census (none of
        ``always_in``); outside a starters' cohort, 2.5% of fixed-term contracts ended before it."""
        n = len(pid)
        rng = self.rng
        cid = np.arange(self.contract_count, self.contract_count + n)
        self.contract_count += n
        census = np.datetime64(codes.census_date(self.year).isoformat())
        since = rng.integers(1, 123, n) if self.starting else rng.integers(30, 9000, n)  # from 1 Aug
        start = census - since.astype("timedelta64[D]")
        end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        fixed = terms == "2"
        end[fixed] = census + rng.integers(30, 900, fixed.sum()).astype("timedelta64[D]")
        atyp = terms == "3"
        end[atyp] = start[atyp] + rng.integers(1, 200, atyp.sum()).astype("timedelta64[D]")
        free = ~atyp if always_in is None else ~atyp & ~always_in
        out = rng.random(n)
        after = (out < late) & free
        start[after] = census + rng.integers(1, 200, after.sum()).astype("timedelta64[D]")
        end[after & fixed] = start[after & fixed] + np.timedelta64(365, "D")
        if not self.starting:
            ended = (out > 0.975) & fixed & free
            end[ended] = census - rng.integers(1, 100, ended.sum()).astype("timedelta64[D]")
            start[ended] = end[ended] - rng.integers(100, 700, ended.sum()).astype("timedelta64[D]")
        salary = np.round(rng.normal(38000, 9000, n).clip(19000, 150000))
        self._push(
            self.c,
            cid=cid,
            pid=pid,
            prov=prov,
            terms=terms,
            mode=mode,
            acempfun=acempfun,
            levels=levels,
            confte=confte,
            start=start,
            end=end,
            salref=salary,
        )
        for soc, cc, prop in activities:
            mask = prop > 0
            self._push(
                self.a, cid=cid[mask], prov=prov[mask], soc=soc[mask], ccentre=cc[mask], ccprop=prop[mask]
            )
        return cid

    def finish(self) -> YearData:
        data = YearData(self.year)
        data.persons = {k: np.concatenate(v) for k, v in self.p.items()}
        data.contracts = {k: np.concatenate(v) for k, v in self.c.items()}
        data.activities = {k: np.concatenate(v) for k, v in self.a.items()}
        return data


def _full(n: int, value: str) -> np.ndarray:
    return np.full(n, value, dtype=object)


def _single(soc: np.ndarray, cc: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return [(soc, cc, np.full(len(soc), 100.0))]


def _modes(rng: np.random.Generator, n: int, pt_share: float) -> tuple[np.ndarray, np.ndarray]:
    r = rng.random(n)
    mode = np.where(r < pt_share, "3", "1")
    mode[(r > 0.985)] = "6"  # dormant
    mode[(r < 0.02)] = "4"
    confte = np.where(np.isin(mode, ["3", "4"]), rng.choice([20.0, 40.0, 50.0, 60.0, 80.0], n), 100.0)
    return mode.astype(object), confte


def _with_odds(p: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Probabilities ``p`` with their odds multiplied by ``factor``."""
    odds = p / (1 - p) * factor
    result: np.ndarray = odds / (1 + odds)
    return result


def _technicians(
    b: _Builder,
    infos: list[ProviderInfo],
    counts: np.ndarray,
    traits: Traits,
    *,
    late: float = LATE,
    full_time: bool = False,
) -> np.ndarray:
    """Technicians, ``counts`` per provider; returns each provider's core technical FTE.
    ``full_time``: every one full-time on one core technical activity (1 FTE each)."""
    rng = b.rng
    prov = np.repeat(np.arange(len(infos)), counts)
    n = len(prov)
    cc = rng.choice(TECH_CC, n, p=TECH_CC_P / TECH_CC_P.sum())
    phys = np.isin(cc, list(PHYS_ENG_CC))
    female = rng.random(n) < _with_odds(np.where(phys, 0.11, 0.53), np.exp(traits.women[prov]))
    older = traits.older[prov] * (STARTER_OLDER if b.starting else 1.0)
    old = rng.random(n) < _with_odds(np.where(phys, 0.45, 0.25), older)
    top = 40 if b.starting else 52  # starters are younger
    age = np.where(old, rng.integers(52, 67, n), rng.integers(19, top, n))
    pid = b.people(
        prov, female=female, age=age, minority=np.minimum(0.9, 0.10 * traits.minority[prov]), kind="T"
    )
    whole = np.full(n, full_time)
    broad = (rng.random(n) < 0.18) & ~whole
    soc = np.where(
        broad, rng.choice(BROAD_EXTRA_SOC, n), rng.choice(CORE_SOC, n, p=CORE_SOC_P / CORE_SOC_P.sum())
    )
    levels = rng.choice(TECH_LEVELS, n, p=TECH_LEVELS_P / TECH_LEVELS_P.sum()).astype(object)
    # Strategic technical leaders: 1-3 per leader provider, 32% women, on core SOC.
    leader = np.zeros(n, dtype=bool)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    for i, info in enumerate(infos):
        if info.has_leader:
            mine = np.arange(bounds[i], bounds[i + 1])
            k = min(len(mine), 1 + int(counts[i] > 150) + int(counts[i] > 400))
            leader[rng.choice(mine, size=k, replace=False)] = True
    levels[leader] = rng.choice(["E1", "E2", "D3", "C2"], leader.sum(), p=[0.45, 0.35, 0.15, 0.05])
    soc[leader] = rng.choice(["3119", "3111", "3113"], leader.sum())
    female[leader] = rng.random(leader.sum()) < 0.32
    b.p["sex"][-1] = np.where(female, "2", "1")
    terms = np.where(rng.random(n) < 0.12, "2", "1").astype(object)
    terms[leader] = "1"
    mode, confte = _modes(rng, n, 0.14)
    whole |= leader
    mode[whole], confte[whole] = "1", 100.0
    split = (rng.random(n) < 0.10) & ~whole
    first = np.where(split, rng.choice([60.0, 70.0, 80.0], n), 100.0)
    second_soc = np.where(split, rng.choice(["2424", "4159", "2119"], n), "")
    b.contract(
        pid,
        prov,
        terms=terms,
        mode=mode,
        acempfun=_full(n, "4"),
        levels=levels,
        confte=confte,
        always_in=leader,
        late=late,
        activities=[(soc, cc, first), (second_soc, cc, np.where(split, 100.0 - first, 0.0))],
    )
    fte = np.isin(soc, CORE_SOC) * first / 100 * confte / 100
    result: np.ndarray = np.bincount(prov, weights=fte, minlength=len(infos))
    return result


def _academics(b: _Builder, counts: np.ndarray, *, late: float = LATE) -> None:
    """Academic staff; in a first year, each provider's first three are its head (A0), a
    UCEA level 2 (B0) and a head of a major academic area (C1)."""
    rng = b.rng
    prov = np.repeat(np.arange(len(counts)), counts)
    n = len(prov)
    mean_age = 37 if b.starting else 45
    pid = b.people(
        prov,
        female=rng.random(n) < 0.48,
        age=rng.normal(mean_age, 10, n).clip(23, 75).astype(int),
        minority=0.19,
        kind="A",
    )
    r = rng.random(n)
    levels = np.where(r < 0.11, rng.choice(["F1", "F2"], n), rng.choice(["I0", "J0", "K0", "L0"], n))
    levels = levels.astype(object)
    acempfun = rng.choice(["1", "2", "3", "9"], n, p=[0.32, 0.27, 0.39, 0.02]).astype(object)
    soc = np.where(acempfun == "2", "2119", np.where(acempfun == "1", "2311", rng.choice(ACADEMIC_SOC, n)))
    if not b.starting:
        heads = np.unique(prov, return_index=True)[1]
        levels[heads] = "A0"
        levels[heads + 1] = "B0"
        levels[heads + 2] = "C1"
        soc[heads] = "1115"
    mode, confte = _modes(rng, n, 0.30)
    cc = rng.choice(sorted(k for k in codes.COST_CENTRES if k.startswith("1")), n)
    b.contract(
        pid,
        prov,
        terms=np.where(r > 0.68, "2", "1").astype(object),
        mode=mode,
        acempfun=acempfun,
        levels=levels,
        confte=confte,
        late=late,
        activities=_single(soc, cc),
    )
    second = rng.random(n) < 0.08
    b.contract(
        pid[second],
        prov[second],
        terms=_full(second.sum(), "2"),
        mode=_full(second.sum(), "3"),
        acempfun=_full(second.sum(), "1"),
        levels=_full(second.sum(), "K0"),
        confte=np.full(second.sum(), 10.0),
        late=late,
        activities=_single(np.full(second.sum(), "2311"), cc[second]),
    )


def _other_staff(b: _Builder, infos: list[ProviderInfo], counts: np.ndarray, *, late: float = LATE) -> None:
    rng = b.rng
    prov = np.repeat(np.arange(len(counts)), counts)
    n = len(prov)
    mean_age = 37 if b.starting else 44
    pid = b.people(
        prov,
        female=rng.random(n) < 0.62,
        age=rng.normal(mean_age, 12, n).clip(18, 72).astype(int),
        minority=0.14,
        kind="N",
    )
    soc = rng.choice(OTHER_NONACAD_SOC, n, p=OTHER_NONACAD_P / OTHER_NONACAD_P.sum())
    cc = rng.choice(["201", "202", "204", "205", "206"], n)
    levels = rng.choice(["J0", "K0", "L0", "M0", "N0", "O0", "P0"], n).astype(object)
    manager = soc.astype("U1") == "1"
    levels[manager] = rng.choice(["E1", "E2", "D3"], manager.sum())
    # Managers coded to SOC 1 who lead technical services (the managers-variant leaders).
    for i, info in enumerate(infos):
        if info.manager_in_technical_cc:
            j = np.flatnonzero(prov == i)[0]
            soc[j], cc[j], levels[j] = "1136", "112", "E1"
    acempfun = np.where(np.isin(soc.astype("U1"), ["1", "2", "3"]), "4", rng.choice(["4", ""], n)).astype(
        object
    )
    mode, confte = _modes(rng, n, 0.25)
    b.contract(
        pid,
        prov,
        terms=np.where(rng.random(n) < 0.15, "2", "1").astype(object),
        mode=mode,
        acempfun=acempfun,
        levels=levels,
        confte=confte,
        late=late,
        activities=_single(soc, cc),
    )


def _atypical(b: _Builder, counts: np.ndarray, returners: np.ndarray) -> None:
    rng = b.rng
    prov = np.repeat(np.arange(len(counts)), counts)
    n = len(prov)
    pid = b.people(
        prov,
        female=rng.random(n) < 0.5,
        age=rng.normal(29 if b.starting else 32, 10, n).clip(18, 75).astype(int),
        minority=0.2,
        kind="X",
    )
    academic = (rng.random(n) < 0.6) | ~returners[prov]
    soc = np.where(academic, "2311", rng.choice(["4159", "9233", "3415"], n))
    b.contract(
        pid,
        prov,
        terms=_full(n, "3"),
        mode=_full(n, "5"),
        acempfun=np.where(academic, "1", "4").astype(object),
        levels=_full(n, ""),
        confte=rng.choice([1.0, 2.5, 5.0], n),
        activities=_single(soc, np.where(academic, "135", "204")),
    )


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (summing to 1), in whole numbers that add up."""
    exact = total * weights
    counts: np.ndarray = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact)[: max(0, total - int(counts.sum()))]] += 1
    return counts


def _allocate(total: int, weights: np.ndarray, rng: np.random.Generator, minimum: int = 0) -> np.ndarray:
    share = weights / weights.sum()
    counts: np.ndarray = np.maximum(minimum, rng.poisson(share * total)).astype(int)
    return counts


def generate(cfg: SynthConfig | None = None) -> Sector:
    cfg = cfg or SynthConfig()
    rng = np.random.default_rng(cfg.seed)
    infos, sizes = _providers(cfg, rng)
    traits = _traits(cfg, infos)
    returners = np.array([p.returns_non_academic for p in infos])
    academics = _allocate(cfg.academic_total, sizes, rng, minimum=20)
    non_acad = np.where(returners, _allocate(cfg.non_academic_total, sizes * returners, rng, minimum=15), 0)
    share = np.clip(cfg.technical_share * traits.tech_share, 0.02, 0.5)
    tech = np.where(returners, np.maximum(3, rng.binomial(non_acad, share)), 0)
    consortium = np.array([p.in_consortium for p in infos])
    weight = non_acad[consortium] * traits.tech_share[consortium]
    weight = weight / weight.sum()
    # Drawn a little short of the consortium's FTE (three standard deviations of the draw's
    # FTE), then topped up to it exactly with full-time technicians.
    short = 3 * 0.45 * np.sqrt(cfg.consortium_fte / FTE_PER_TECHNICIAN)
    heads = max(0.0, cfg.consortium_fte - short) / FTE_PER_TECHNICIAN * weight
    tech[consortium] = np.maximum(3, np.round(heads))
    others = np.maximum(non_acad - tech, np.where(returners, 5, 0))
    atypical = _allocate(cfg.atypical_total, sizes, rng)
    b = _Builder(cfg.first_year, rng, next_person=1)
    _academics(b, academics)
    fte = _technicians(b, infos, tech, traits)
    top_up = np.zeros_like(tech)
    top_up[consortium] = _apportion(round(max(0.0, cfg.consortium_fte - fte[consortium].sum())), weight)
    no_leader = [replace(i, has_leader=False, manager_in_technical_cc=False) for i in infos]
    _technicians(b, no_leader, top_up, traits, full_time=True)
    _other_staff(b, infos, others)
    _atypical(b, atypical, returners)
    years = {cfg.first_year: b.finish()}
    for offset in range(1, cfg.years):
        years[cfg.first_year + offset] = _next_year(
            years[cfg.first_year + offset - 1], infos, cfg, traits, rng
        )
    return Sector(cfg, infos, years, traits=traits)


def _leave_weight(persons: dict[str, np.ndarray], year: int) -> np.ndarray:
    """How likely each person is to leave, relative to their staff group at their provider:
    retirement makes those 60 and over likelier, and the young move on more often."""
    ref = np.datetime64(codes.age_reference_date(year).isoformat())
    age = (ref - persons["birth"]).astype(int) / 365.25
    weight: np.ndarray = np.select([age >= 60, age < 30], [LEAVE_OVER_60, LEAVE_UNDER_30], 1.0)
    for kind in ("A", "T", "N", "X"):
        mine = persons["kind"] == kind
        if mine.any():
            weight[mine] /= weight[mine].mean()
    return weight


def _next_year(
    prev: YearData, infos: list[ProviderInfo], cfg: SynthConfig, traits: Traits, rng: np.random.Generator
) -> YearData:
    """Leavers (each provider's rate, older people likelier; never a leader, so never a
    sector's only leader), promotions (4%), then starters: for each provider and staff group,
    as many as take it from last year's number to last year's times its growth."""
    year = prev.year + 1
    n = len(infos)
    p, c, a = prev.persons, prev.contracts, prev.activities
    # Lookups by person and contract id (dense integers): faster than np.isin.
    leader = np.zeros(int(p["pid"].max()) + 1, dtype=bool)
    leader[c["pid"][np.isin(c["levels"], codes.LEADERSHIP_LEVELS)]] = True
    chance = traits.leaving[p["prov"]] * _leave_weight(p, year)
    leaves = (rng.random(len(p["pid"])) < chance) & ~leader[p["pid"]]
    gone = np.zeros_like(leader)
    gone[p["pid"][leaves]] = True
    data = YearData(year)
    data.persons = {k: v[~leaves] for k, v in p.items()}
    keep_c = ~gone[c["pid"]]
    data.contracts = {k: v[keep_c].copy() for k, v in c.items()}
    kept = np.zeros(int(c["cid"].max()) + 1, dtype=bool)
    kept[data.contracts["cid"]] = True
    keep_a = kept[a["cid"]]
    data.activities = {k: v[keep_a].copy() for k, v in a.items()}
    shift = np.timedelta64(365, "D")
    data.contracts["end"] = data.contracts["end"] + shift
    lv = data.contracts["levels"]
    promote = (rng.random(len(lv)) < 0.04) & np.isin(lv, ["J0", "K0", "L0", "M0", "N0", "O0", "P0"])
    order = list(codes.LEVELS)
    lv[promote] = [order[order.index(x) - 1] for x in lv[promote]]
    # Starters: each provider's staff groups grow by its growth, a few points around the sector's.
    plan: dict[str, tuple[np.ndarray, float]] = {}
    for kind in ("A", "T", "N", "X"):
        before = np.bincount(p["prov"][p["kind"] == kind], minlength=n)
        stayed = np.bincount(data.persons["prov"][data.persons["kind"] == kind], minlength=n)
        growth = traits.growth + rng.normal(0.0, SPREAD_GROWTH_KIND, n)
        growth += cfg.growth - (before * growth).sum() / max(1, before.sum())  # the sector's, on average
        # rounded up or down at random, so that small groups grow on average too
        target = np.floor(before * (1 + np.clip(growth, -0.1, 0.15)) + rng.random(n)).astype(int)
        starters = np.maximum(0, target - stayed)
        # as many start after the census as did last year, so the census population grows as the staff do
        plan[kind] = (starters, min(0.6, LATE * target.sum() / max(1, starters.sum())))
    b = _Builder(year, rng, next_person=int(p["pid"].max()) + 1, starting=True)
    b.contract_count = int(c["cid"].max()) + 1
    returners = np.array([i.returns_non_academic for i in infos])
    no_leader = [replace(i, has_leader=False, manager_in_technical_cc=False) for i in infos]
    _academics(b, plan["A"][0], late=plan["A"][1])
    _technicians(b, no_leader, plan["T"][0], traits, late=plan["T"][1])
    _other_staff(b, no_leader, plan["N"][0], late=plan["N"][1])
    _atypical(b, plan["X"][0], returners)
    new = b.finish()
    for mine, theirs in (
        (data.persons, new.persons),
        (data.contracts, new.contracts),
        (data.activities, new.activities),
    ):
        for k in mine:
            mine[k] = np.concatenate([mine[k], theirs[k]])
    return data


def soc_for_year(soc: np.ndarray, year: int) -> np.ndarray:
    if year < codes.FIRST_SOC2020_YEAR:
        return soc
    return np.array([TO_SOC2020.get(s, s) for s in soc], dtype=object)


def staffid(pid: np.ndarray) -> np.ndarray:
    return np.char.add("1", np.char.zfill(pid.astype(str), 12))


def headline_date(year: int) -> date:
    return codes.census_date(year)
