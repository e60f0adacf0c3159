"""The indicator catalogue, computed with DuckDB SQL over the catalogued Parquet snapshots.

Every indicator is first computed per provider and year as an unrounded numerator,
denominator and count of people; peer-group and sector figures are aggregated from those
(sums, or counts of providers) and only then pass through disclosure control. Indicators
about non-academic staff use only providers that returned non-academic staff, and say so."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from techforce.disclosure import Cell, RuleSet, Unit, protect
from techforce.workforce import codes
from techforce.workforce.definitions import Definition


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    definition: str
    unit: Unit
    population: str
    breakdown: str | None = None
    aggregate: str = "sum"  # sum | providers | ceiling
    non_academic: bool = True


def _level_group(leadership: str) -> str:
    return (f"CASE WHEN levels IN ({leadership}) THEN '1 Leadership (A0-E2)' "
            "WHEN levels IN ('F1', 'F2') THEN '2 Professorial (F1-F2)' "
            "WHEN levels IN ('I0', 'J0') THEN '3 Levels I-J' WHEN levels IN ('K0', 'L0') "
            "THEN '4 Levels K-L' WHEN levels IS NULL THEN '6 Not given' ELSE '5 Levels M-P' END")  # fmt: skip


SEX = "CASE sex WHEN '1' THEN 'Male' WHEN '2' THEN 'Female' ELSE 'Other' END"
WHITE = ", ".join(f"'{c}'" for c, g in codes.ETHNIC_GROUP.items() if g == "White")
ETHNIC = (f"CASE WHEN ethnic IN ({WHITE}) THEN 'White' WHEN ethnic IN ('90', '98', '99') "
          "THEN 'Not known' ELSE 'Minority ethnic' END")  # fmt: skip
CONDITIONS = str(list(codes.DISABILITY_CODES))
DISABILITY = (f"CASE WHEN list_has_any(string_split(coalesce(disable, ''), ';'), {CONDITIONS}) "
              "THEN 'Disabled' WHEN list_contains(string_split(coalesce(disable, ''), ';'), '95') "
              "THEN 'No known disability' ELSE 'Not known' END")  # fmt: skip
AGE_BAND = ("CASE WHEN age < 25 THEN '1 Under 25' WHEN age < 35 THEN '2 25-34' WHEN age < 45 "
            "THEN '3 35-44' WHEN age < 55 THEN '4 45-54' WHEN age < 60 THEN '5 55-59' "
            "WHEN age < 65 THEN '6 60-64' ELSE '7 65 and over' END")  # fmt: skip
TERMS = "CASE terms WHEN '1' THEN 'Open-ended/permanent' ELSE 'Fixed-term' END"
MODE = ("CASE WHEN mode IN ('1', '2') THEN 'Full-time' ELSE 'Part-time' END")

_T = "technical AND in_census"
FPE_POP = "technical staff in the 1 December population, FPE"

CATALOGUE: list[Indicator] = [
    Indicator("tech.headcount", "Technical staff (headcount)",
              "People in the 1 December contract population with at least one technical activity.",
              "people", "technical staff, 1 December population"),
    Indicator("tech.fpe", "Technical staff (FPE)",
              "Full-person equivalent of technical activities: each person counts 1, split "
              "across activities in proportion to FTE.", "people", FPE_POP),
    Indicator("tech.fte", "Technical staff (FTE)",
              "Full-time equivalent of technical activities over the year (CCPROP x CONFTE), "
              "non-atypical contracts.", "people", "technical activities, full year"),
    Indicator("tech.share_non_academic", "Technical share of non-academic staff",
              "Technical FPE as a percentage of non-academic FPE (ACEMPFUN 4 or blank).",
              "percent", "non-academic staff, 1 December population"),
    Indicator("tech.share_all", "Technical share of all staff",
              "Technical FPE as a percentage of all staff FPE.", "percent",
              "all staff, 1 December population"),
    Indicator("tech.by_soc", "Technical staff by SOC unit group", "Technical FPE by SOC code.",
              "people", FPE_POP, "soc"),
    Indicator("tech.by_cost_centre", "Technical staff by cost centre",
              "Technical FPE by HESA cost centre.", "people", FPE_POP, "cost centre"),
    Indicator("tech.by_level", "Technical staff by level", "Technical FPE by LEVELS.", "people",
              FPE_POP, "level"),
    Indicator("tech.by_terms", "Technical staff by terms", "Technical FPE by terms of employment.",
              "people", FPE_POP, "terms"),
    Indicator("tech.by_mode", "Technical staff by mode", "Technical FPE, full-time and part-time.",
              "people", FPE_POP, "mode"),
    Indicator("tech.by_age", "Technical staff by age band", "Technical FPE by age at 31 August.",
              "people", FPE_POP, "age band"),
    Indicator("tech.aged_55_plus", "Technical staff aged 55 and over",
              "Percentage of technical headcount aged 55 or over at 31 August (retirement horizon).",
              "percent", "technical staff headcount"),
    Indicator("tech.aged_60_plus", "Technical staff aged 60 and over",
              "Percentage of technical headcount aged 60 or over at 31 August.", "percent",
              "technical staff headcount"),
    Indicator("tech.sex_by_level", "Technical staff by sex and level",
              "Technical FPE by level group and sex.", "people", FPE_POP, "level group / sex"),
    Indicator("tech.ethnicity_by_level", "Technical staff by ethnicity and level",
              "Technical FPE by level group and ethnic group.", "people", FPE_POP,
              "level group / ethnicity"),
    Indicator("tech.disability_by_level", "Technical staff by disability and level",
              "Technical FPE by level group and disability status.", "people", FPE_POP,
              "level group / disability"),
    Indicator("tech.women_in_leadership", "Women's share of technical leadership roles",
              "Percentage of strategic technical leaders (headcount) who are female.", "percent",
              "strategic technical leaders"),
    Indicator("grade.ceiling", "Highest level held (grade ceiling)",
              "The most senior LEVELS held by any technician, academic and other professional "
              "(non-academic, non-technical) member of staff in the 1 December population.",
              "level", "1 December population", "staff group", "ceiling"),
    Indicator("leadership.leaders", "Strategic technical leaders (headcount)",
              "People whose 1 December contract has a technical activity at a leadership level "
              "(as the definition says).", "people", "1 December population"),
    Indicator("leadership.has_leader", "Providers with a strategic technical leader",
              "Providers that returned non-academic staff and have at least one strategic "
              "technical leader.", "providers", "providers that returned non-academic staff",
              None, "providers"),
    Indicator("leadership.share", "Share of providers with a strategic technical leader",
              "Percentage of providers that returned non-academic staff with at least one "
              "strategic technical leader (the sector figure: 45% of 120 in 2022/23).",
              "percent", "providers that returned non-academic staff", None, "providers"),
    Indicator("providers.returned_non_academic", "Providers that returned non-academic staff",
              "Providers whose return holds non-academic contracts (or declared so at ingest), "
              "out of all providers with a return.", "providers", "all providers", None,
              "providers", non_academic=False),
    Indicator("staff.headcount", "All staff (headcount)",
              "People in the 1 December contract population.", "people",
              "1 December population", non_academic=False),
    Indicator("staff.atypical_contracts", "Atypical contracts",
              "Atypical contracts in the year (counted separately, never added to fixed-term).",
              "contracts", "atypical contracts", non_academic=False),
]  # fmt: skip
BY_ID = {i.id: i for i in CATALOGUE}


_ROW = tuple[str, int, str, float, float | None, float | None]
BREAKDOWN_SOURCE = {
    "tech.by_soc": "soc", "tech.by_cost_centre": "cost_centre",
    "tech.by_level": "coalesce(levels, 'Not given')", "tech.by_terms": TERMS,
    "tech.by_mode": MODE, "tech.by_age": AGE_BAND,
    "tech.sex_by_level": "{level_group} || ' / ' || " + SEX,
    "tech.ethnicity_by_level": "{level_group} || ' / ' || " + ETHNIC,
    "tech.disability_by_level": "{level_group} || ' / ' || " + DISABILITY,
}  # fmt: skip

# Per provider-year scalars: one pass over activities, one over people (person-level flags
# first, so that headcounts are count_if, not count(DISTINCT ...) per indicator).
PROVIDER_SQL = f"""
SELECT ukprn, year, coalesce(sum(fpe) FILTER ({_T}), 0) AS tech_fpe,
       coalesce(sum(fte) FILTER (technical AND terms <> '3'), 0) AS tech_fte,
       sum(fpe) FILTER (in_census AND non_academic) AS non_academic_fpe,
       sum(fpe) FILTER (in_census) AS all_fpe,
       count(DISTINCT contract_id) FILTER (terms = '3') AS atypical,
       CAST(bool_or(leader) AS INTEGER) AS has_leader,
       CAST(any_value(returned) AS INTEGER) AS returned
FROM staff GROUP BY ALL"""
PEOPLE_SQL = f"""
SELECT ukprn, year, count_if(t) AS tech, count_if(tf) AS tech_fte, count_if(t AND age >= 55) AS a55,
       count_if(t AND age >= 60) AS a60, count_if(l) AS leaders, count_if(l AND sex = '2') AS women,
       count_if(c) AS census
FROM (SELECT ukprn, year, bool_or({_T}) AS t, bool_or(technical AND terms <> '3') AS tf,
             bool_or(leader) AS l, bool_or(in_census) AS c, any_value(age) AS age,
             any_value(sex) AS sex
      FROM staff GROUP BY ukprn, year, person_id)
GROUP BY ALL"""


def _breakdown_sql(leadership: str) -> str:
    """Every breakdown (technical FPE by category) in one statement over the technical rows."""
    level_group = _level_group(leadership)
    parts = [f"SELECT '{ind}' AS indicator, ukprn, year, "
             f"{expr.format(level_group=level_group)} AS category, sum(fpe) AS num FROM tech GROUP BY ALL"
             for ind, expr in BREAKDOWN_SOURCE.items()]  # fmt: skip
    return (f"WITH tech AS MATERIALIZED (SELECT * FROM staff WHERE {_T}) "
            + " UNION ALL ".join(parts))


def _ceiling_sql() -> str:
    ranks = " ".join(f"WHEN '{c}' THEN {r}" for c, r in codes.LEVEL_RANK.items())
    group_sql = ("CASE WHEN technical THEN 'Technical' WHEN NOT non_academic THEN 'Academic' "
                 "ELSE 'Other professional' END")  # fmt: skip
    return (f"SELECT ukprn, year, {group_sql} AS category, min(CASE levels {ranks} END) AS num "
            "FROM staff WHERE in_census AND levels IS NOT NULL AND (returned OR NOT non_academic) "
            "GROUP BY ALL")


def _provider_rows(con: duckdb.DuckDBPyConnection, leadership: str) -> dict[str, list[_ROW]]:
    """Per-provider (ukprn, year, category, num, den, n) rows of every indicator, from four
    statements: activity scalars, person scalars, breakdowns and the grade ceiling."""
    rows: dict[str, list[_ROW]] = {i.id: [] for i in CATALOGUE}
    people = {(u, y): rest for u, y, *rest in con.execute(PEOPLE_SQL).fetchall()}
    for u, y, fpe, fte, na_fpe, all_fpe, atypical, leader, returned in con.execute(PROVIDER_SQL).fetchall():
        tech, tech_fte, a55, a60, leaders, women, census = people[(u, y)]
        scalar = {
            "tech.headcount": (tech, None, tech), "tech.fpe": (fpe, None, tech),
            "tech.fte": (fte, None, tech_fte),
            "tech.share_non_academic": (100 * fpe, na_fpe, None),
            "tech.share_all": (100 * fpe, all_fpe, None),
            "tech.aged_55_plus": (100 * a55, tech, None), "tech.aged_60_plus": (100 * a60, tech, None),
            "tech.women_in_leadership": (100 * women, leaders, None),
            "leadership.leaders": (leaders, None, None), "leadership.has_leader": (leader, 1, None),
            "leadership.share": (100 * leader, 1, None),
            "providers.returned_non_academic": (returned, 1, None),
            "staff.headcount": (census, None, None), "staff.atypical_contracts": (atypical, None, None),
        }  # fmt: skip
        for ind_id, (num, den, n) in scalar.items():
            rows[ind_id].append((u, y, "all", num, den, n))
    for ind_id, u, y, category, num in con.execute(_breakdown_sql(leadership)).fetchall():
        rows[ind_id].append((u, y, category, num, None, None))
    rows["grade.ceiling"] = [(u, y, c, num, None, None) for u, y, c, num in con.execute(_ceiling_sql()).fetchall()]
    return rows


@dataclass
class Result:
    """One protected figure of an indicator for a scope (provider, peer group or sector)."""

    indicator: str
    scope: str
    year: int
    category: str
    cell: Cell
    raw: float | None = field(default=None, repr=False)
    population: float | None = field(default=None, repr=False)

    def as_dict(self, *, with_raw: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "indicator": self.indicator, "scope": self.scope, "year": codes.year_label(self.year),
            "category": self.category, "value": self.cell.value, "display": self.cell.display,
            "disclosure": self.cell.reason,
        }  # fmt: skip
        if with_raw:
            out["unrounded"] = self.raw
        return out


@dataclass
class Computation:
    """Provider-level, unrounded indicator values and how to publish them."""

    definition: Definition
    rules: RuleSet
    rows: dict[str, list[_ROW]]
    returned: dict[tuple[str, int], bool]

    def provider_values(self, indicator: str, year: int, category: str = "all") -> dict[str, float]:
        ind = BY_ID[indicator]
        values = {}
        for ukprn, y, cat, num, den, _n in self.rows[indicator]:
            if y != year or cat != category:
                continue
            if ind.non_academic and not self.returned.get((ukprn, y), False):
                continue
            if ind.unit == "percent":
                if den:
                    values[ukprn] = num / den
            else:
                values[ukprn] = num
        return values

    def provider_denominators(self, indicator: str, year: int) -> dict[str, float]:
        """The unrounded population behind each provider's percentage."""
        return {u: float(den) for u, y, cat, _num, den, _n in self.rows[indicator]
                if y == year and cat == "all" and den is not None}  # fmt: skip

    def results(self, indicator: str, scope: str, members: Iterable[str] | None) -> list[Result]:
        """Aggregate over ``members`` (all providers if None) and apply disclosure control."""
        ind = BY_ID[indicator]
        wanted = set(members) if members is not None else None
        cells: dict[tuple[int, str], list[float]] = {}
        for ukprn, year, cat, num, den, n in self.rows[indicator]:
            if wanted is not None and ukprn not in wanted:
                continue
            if ind.non_academic and not self.returned.get((ukprn, year), False):
                continue
            acc = cells.setdefault((year, cat), [0.0, 0.0, 0.0, 0.0])
            if ind.aggregate == "ceiling":
                acc[0] = num if acc[3] == 0 else min(acc[0], num)
            else:
                acc[0] += num or 0.0
            acc[1] += den or 0.0
            acc[2] += n or 0.0
            acc[3] += 1
        return [self._publish(ind, scope, year, cat, *acc) for (year, cat), acc in sorted(cells.items())]

    def _publish(self, ind: Indicator, scope: str, year: int, category: str, num: float,
                 den: float, n: float, _providers: float) -> Result:  # fmt: skip
        label = _label(category)
        if ind.unit == "level":
            level = list(codes.LEVELS)[int(num) - 1]
            return Result(ind.id, scope, year, label, protect(level, "level", self.rules), num, n)
        if ind.unit != "percent":
            return Result(ind.id, scope, year, label, protect(num, ind.unit, self.rules), num, den)
        value = num / den if den else None
        if ind.aggregate == "providers" and value is not None:  # a share of providers, not people
            cell = Cell(round(value, 1), f"{value:.1f}% of {den:,.0f} providers",
                        "a share of providers, not of people: not suppressed")
        else:
            cell = protect(value, "percent", self.rules, population=den)
        return Result(ind.id, scope, year, label, cell, value, den)


def _label(category: str) -> str:
    """Drop the sort prefix ("1 Under 25" -> "Under 25") from ordered categories."""
    return " / ".join(part[2:] if part[:1].isdigit() and part[1:2] == " " else part
                      for part in category.split(" / "))  # fmt: skip


def open_staff(con: duckdb.DuckDBPyConnection, files: list[Path], returned: dict[tuple[str, int], bool],
               definition: Definition) -> None:  # fmt: skip
    """Materialise the snapshots, flagged by the definition, as the temp table ``staff``."""
    con.execute("CREATE OR REPLACE TEMP TABLE returns (ukprn VARCHAR, year INTEGER, returned BOOLEAN)")
    if returned:
        con.executemany("INSERT INTO returns VALUES (?, ?, ?)",
                        [[u, y, r] for (u, y), r in returned.items()])  # fmt: skip
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE staff AS
        SELECT s.*, {definition.technical_sql('s')} AS technical, {definition.leader_sql('s')} AS leader,
               (s.acempfun IS NULL OR s.acempfun = '4') AS non_academic, r.returned
        FROM read_parquet({[str(f) for f in files]}) s JOIN returns r USING (ukprn, year)""")


def compute(files: list[Path], returned: dict[tuple[str, int], bool], definition: Definition,
            rules: RuleSet, indicators: Iterable[str] | None = None,
            on_indicator: Callable[[str], None] | None = None) -> Computation:  # fmt: skip
    wanted = list(indicators) if indicators is not None else [i.id for i in CATALOGUE]
    unknown = [w for w in wanted if w not in BY_ID]
    if unknown:
        raise KeyError(f"unknown indicator(s) {unknown}; list them with `techforce workforce indicators --list`")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false; SET preserve_insertion_order = false")
    try:
        every: dict[str, list[_ROW]] = {i.id: [] for i in CATALOGUE}
        if files:
            open_staff(con, files, returned, definition)
            every = _provider_rows(con, ", ".join(f"'{v}'" for v in definition.leadership_levels))
    finally:
        con.close()
    rows = {ind_id: every[ind_id] for ind_id in wanted}
    for ind_id in wanted if on_indicator else ():
        on_indicator(ind_id)  # type: ignore[misc]
    return Computation(definition, rules, rows, returned)
