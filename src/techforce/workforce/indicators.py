"""The indicator catalogue, computed with DuckDB SQL over the catalogued Parquet snapshots.

Every indicator is first computed per provider and year as an unrounded numerator,
denominator and count of people; peer-group and sector figures are aggregated from those
(sums, or counts of providers) and only then pass through disclosure control. Indicators
about non-academic staff use only providers that returned non-academic staff, and say so."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from techforce import errors
from techforce.disclosure import KEY_MODULUS, RULE_SETS, Cell, RuleSet, Unit, protect
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
    return (
        f"CASE WHEN levels IN ({leadership}) THEN '1 Leadership (A0-E2)' "
        "WHEN levels IN ('F1', 'F2') THEN '2 Professorial (F1-F2)' "
        "WHEN levels IN ('I0', 'J0') THEN '3 Levels I-J' WHEN levels IN ('K0', 'L0') "
        "THEN '4 Levels K-L' WHEN levels IS NULL THEN '6 Not given' ELSE '5 Levels M-P' END"
    )


SEX = "CASE sex WHEN '1' THEN 'Male' WHEN '2' THEN 'Female' ELSE 'Other' END"
WHITE = ", ".join(f"'{c}'" for c, g in codes.ETHNIC_GROUP.items() if g == "White")
ETHNIC = (
    f"CASE WHEN ethnic IN ({WHITE}) THEN 'White' WHEN ethnic IN ('90', '98', '99') "
    "THEN 'Not known' ELSE 'Minority ethnic' END"
)
CONDITIONS = str(list(codes.DISABILITY_CODES))
DISABILITY = (
    f"CASE WHEN list_has_any(string_split(coalesce(disable, ''), ';'), {CONDITIONS}) "
    "THEN 'Disabled' WHEN list_contains(string_split(coalesce(disable, ''), ';'), '95') "
    "THEN 'No known disability' ELSE 'Not known' END"
)
AGE_BAND = (
    "CASE WHEN age < 25 THEN '1 Under 25' WHEN age < 35 THEN '2 25-34' WHEN age < 45 "
    "THEN '3 35-44' WHEN age < 55 THEN '4 45-54' WHEN age < 60 THEN '5 55-59' "
    "WHEN age < 65 THEN '6 60-64' ELSE '7 65 and over' END"
)
TERMS = "CASE terms WHEN '1' THEN 'Open-ended/permanent' ELSE 'Fixed-term' END"
MODE = "CASE WHEN mode IN ('1', '2') THEN 'Full-time' ELSE 'Part-time' END"

_T = "technical AND in_census"
FPE_POP = "technical staff in the 1 December population, FPE"

CATALOGUE: list[Indicator] = [
    Indicator(
        "tech.headcount",
        "Technical staff (headcount)",
        "People in the 1 December contract population with at least one technical activity.",
        "people",
        "technical staff, 1 December population",
    ),
    Indicator(
        "tech.fpe",
        "Technical staff (FPE)",
        "Full-person equivalent of technical activities: each person counts 1, split "
        "across activities in proportion to FTE.",
        "people",
        FPE_POP,
    ),
    Indicator(
        "tech.fte",
        "Technical staff (FTE)",
        "Full-time equivalent of technical activities over the year (CCPROP x CONFTE), "
        "non-atypical contracts.",
        "people",
        "technical activities, full year",
    ),
    Indicator(
        "tech.share_non_academic",
        "Technical share of non-academic staff",
        "Technical FPE as a percentage of non-academic FPE (ACEMPFUN 4 or blank).",
        "percent",
        "non-academic staff, 1 December population",
    ),
    Indicator(
        "tech.share_all",
        "Technical share of all staff",
        "Technical FPE as a percentage of all staff FPE.",
        "percent",
        "all staff, 1 December population",
    ),
    Indicator(
        "tech.by_soc",
        "Technical staff by SOC unit group",
        "Technical FPE by SOC code.",
        "people",
        FPE_POP,
        "soc",
    ),
    Indicator(
        "tech.by_cost_centre",
        "Technical staff by cost centre",
        "Technical FPE by HESA cost centre.",
        "people",
        FPE_POP,
        "cost centre",
    ),
    Indicator(
        "tech.by_level", "Technical staff by level", "Technical FPE by LEVELS.", "people", FPE_POP, "level"
    ),
    Indicator(
        "tech.by_terms",
        "Technical staff by terms",
        "Technical FPE by terms of employment.",
        "people",
        FPE_POP,
        "terms",
    ),
    Indicator(
        "tech.by_mode",
        "Technical staff by mode",
        "Technical FPE, full-time and part-time.",
        "people",
        FPE_POP,
        "mode",
    ),
    Indicator(
        "tech.by_age",
        "Technical staff by age band",
        "Technical FPE by age at 31 August.",
        "people",
        FPE_POP,
        "age band",
    ),
    Indicator(
        "tech.aged_55_plus",
        "Technical staff aged 55 and over",
        "Percentage of technical headcount aged 55 or over at 31 August (retirement horizon).",
        "percent",
        "technical staff headcount",
    ),
    Indicator(
        "tech.aged_60_plus",
        "Technical staff aged 60 and over",
        "Percentage of technical headcount aged 60 or over at 31 August.",
        "percent",
        "technical staff headcount",
    ),
    Indicator(
        "tech.sex_by_level",
        "Technical staff by sex and level",
        "Technical FPE by level group and sex.",
        "people",
        FPE_POP,
        "level group / sex",
    ),
    Indicator(
        "tech.ethnicity_by_level",
        "Technical staff by ethnicity and level",
        "Technical FPE by level group and ethnic group.",
        "people",
        FPE_POP,
        "level group / ethnicity",
    ),
    Indicator(
        "tech.disability_by_level",
        "Technical staff by disability and level",
        "Technical FPE by level group and disability status.",
        "people",
        FPE_POP,
        "level group / disability",
    ),
    Indicator(
        "tech.women_in_leadership",
        "Women's share of technical leadership roles",
        "Percentage of strategic technical leaders (headcount) who are female.",
        "percent",
        "strategic technical leaders",
    ),
    Indicator(
        "grade.ceiling",
        "Highest level held (grade ceiling)",
        "The most senior LEVELS held by any technician, academic and other professional "
        "(non-academic, non-technical) member of staff in the 1 December population.",
        "level",
        "1 December population",
        "staff group",
        "ceiling",
        non_academic=False,
    ),
    Indicator(
        "leadership.leaders",
        "Strategic technical leaders (headcount)",
        "People whose 1 December contract has a technical activity at a leadership level "
        "(as the definition says).",
        "people",
        "1 December population",
    ),
    Indicator(
        "leadership.has_leader",
        "Providers with a strategic technical leader",
        "Providers that returned non-academic staff and have at least one strategic technical leader.",
        "providers",
        "providers that returned non-academic staff",
        None,
        "providers",
    ),
    Indicator(
        "leadership.share",
        "Share of providers with a strategic technical leader",
        "Percentage of providers that returned non-academic staff with at least one "
        "strategic technical leader (the sector figure: 45% of 120 in 2022/23).",
        "percent",
        "providers that returned non-academic staff",
        None,
        "providers",
    ),
    Indicator(
        "providers.returned_non_academic",
        "Providers that returned non-academic staff",
        "Providers whose return holds non-academic contracts (or declared so at ingest), "
        "out of all providers with a return.",
        "providers",
        "all providers",
        None,
        "providers",
        non_academic=False,
    ),
    Indicator(
        "staff.headcount",
        "All staff (headcount)",
        "People in the 1 December contract population.",
        "people",
        "1 December population",
        non_academic=False,
    ),
    Indicator(
        "staff.atypical_contracts",
        "Atypical contracts",
        "Atypical contracts in the year (counted separately, never added to fixed-term).",
        "contracts",
        "atypical contracts",
        non_academic=False,
    ),
]
BY_ID = {i.id: i for i in CATALOGUE}


class Row(NamedTuple):
    """One provider-year figure before disclosure control: a numerator (a count of people,
    FPE or FTE, or a level rank), an optional denominator (for percentages), the number of
    people behind an average, and the cell keys of the numerator's and denominator's people."""

    ukprn: str
    year: int
    category: str
    num: float
    den: float | None = None
    n: float | None = None
    key: int = 0
    den_key: int = 0


BREAKDOWN_SOURCE = {
    "tech.by_soc": "soc",
    "tech.by_cost_centre": "cost_centre",
    "tech.by_level": "coalesce(levels, 'Not given')",
    "tech.by_terms": TERMS,
    "tech.by_mode": MODE,
    "tech.by_age": AGE_BAND,
    "tech.sex_by_level": "{level_group} || ' / ' || " + SEX,
    "tech.ethnicity_by_level": "{level_group} || ' / ' || " + ETHNIC,
    "tech.disability_by_level": "{level_group} || ' / ' || " + DISABILITY,
}
M = KEY_MODULUS

# Per provider-year scalars: one pass over activities, one over people (person-level flags
# first, so that headcounts are count_if, not count(DISTINCT ...) per indicator). Each set of
# people also gets its cell key: the sum of its record keys modulo 2**32.
PROVIDER_SQL = f"""
SELECT ukprn, year, coalesce(sum(fpe) FILTER ({_T}), 0) AS tech_fpe,
       coalesce(sum(fte) FILTER (technical AND terms <> '3'), 0) AS tech_fte,
       sum(fpe) FILTER (in_census AND non_academic) AS non_academic_fpe,
       sum(fpe) FILTER (in_census) AS all_fpe,
       count(DISTINCT contract_id) FILTER (terms = '3') AS atypical,
       CAST(bool_or(leader) AS INTEGER) AS has_leader,
       CAST(any_value(returned) AS INTEGER) AS returned
FROM staff GROUP BY ALL"""
_PEOPLE_SETS = {
    "tech": "t",
    "tech_fte": "tf",
    "a55": "t AND age >= 55",
    "a60": "t AND age >= 60",
    "leaders": "l",
    "women": "l AND sex = '2'",
    "census": "c",
    "non_academic": "na",
    "atypical": "atyp",
}
PEOPLE_SQL = f"""
SELECT ukprn, year,
       {", ".join(f"count_if({cond}) AS {name}" for name, cond in _PEOPLE_SETS.items())},
       {
    ", ".join(
        f"CAST(coalesce(sum(k) FILTER ({cond}), 0) % {M} AS UBIGINT) AS k_{name}"
        for name, cond in _PEOPLE_SETS.items()
    )
}
FROM (SELECT ukprn, year, bool_or({_T}) AS t, bool_or(technical AND terms <> '3') AS tf,
             bool_or(leader) AS l, bool_or(in_census) AS c, bool_or(in_census AND non_academic) AS na,
             bool_or(terms = '3') AS atyp, any_value(age) AS age, any_value(sex) AS sex,
             any_value(record_key) AS k
      FROM staff GROUP BY ukprn, year, person_id)
GROUP BY ALL"""


def _breakdown_sql(leadership: str) -> str:
    """Every breakdown (technical FPE by category) in one statement over the technical rows;
    a cell's key sums the record keys of the distinct people in it."""
    level_group = _level_group(leadership)
    parts = [
        f"SELECT '{ind}' AS indicator, ukprn, year, {expr.format(level_group=level_group)} AS category, "
        f"sum(fpe) AS num, CAST(sum(DISTINCT record_key) % {M} AS UBIGINT) AS key FROM tech GROUP BY ALL"
        for ind, expr in BREAKDOWN_SOURCE.items()
    ]
    return f"WITH tech AS MATERIALIZED (SELECT * FROM staff WHERE {_T}) " + " UNION ALL ".join(parts)


def _ceiling_sql() -> str:
    """The most senior level per staff group. Academic staff count for every provider;
    technical and other professional staff only where non-academic staff were returned."""
    ranks = " ".join(f"WHEN '{c}' THEN {r}" for c, r in codes.LEVEL_RANK.items())
    group_sql = "CASE WHEN technical THEN 'Technical' WHEN NOT non_academic THEN 'Academic' ELSE 'Other professional' END"
    return (
        f"SELECT ukprn, year, {group_sql} AS category, min(CASE levels {ranks} END) AS num "
        "FROM staff WHERE in_census AND levels IS NOT NULL AND (returned OR NOT non_academic) "
        "GROUP BY ALL"
    )


def _provider_rows(con: duckdb.DuckDBPyConnection, leadership: str) -> dict[str, list[Row]]:
    """Per-provider rows of every indicator, from four statements: activity scalars, person
    scalars, breakdowns and the grade ceiling."""
    rows: dict[str, list[Row]] = {i.id: [] for i in CATALOGUE}
    cursor = con.execute(PEOPLE_SQL)
    names = [d[0] for d in cursor.description]
    people = {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    for u, y, fpe, fte, na_fpe, all_fpe, atypical, leader, returned in con.execute(PROVIDER_SQL).fetchall():
        p = people[(u, y)]
        k = {name: int(p[f"k_{name}"]) for name in _PEOPLE_SETS}
        scalar = {
            "tech.headcount": Row(u, y, "all", p["tech"], None, p["tech"], k["tech"]),
            "tech.fpe": Row(u, y, "all", fpe, None, p["tech"], k["tech"]),
            "tech.fte": Row(u, y, "all", fte, None, p["tech_fte"], k["tech_fte"]),
            "tech.share_non_academic": Row(u, y, "all", fpe, na_fpe, None, k["tech"], k["non_academic"]),
            "tech.share_all": Row(u, y, "all", fpe, all_fpe, None, k["tech"], k["census"]),
            "tech.aged_55_plus": Row(u, y, "all", p["a55"], p["tech"], None, k["a55"], k["tech"]),
            "tech.aged_60_plus": Row(u, y, "all", p["a60"], p["tech"], None, k["a60"], k["tech"]),
            "tech.women_in_leadership": Row(
                u, y, "all", p["women"], p["leaders"], None, k["women"], k["leaders"]
            ),
            "leadership.leaders": Row(u, y, "all", p["leaders"], None, None, k["leaders"]),
            "leadership.has_leader": Row(u, y, "all", leader, 1),
            "leadership.share": Row(u, y, "all", leader, 1),
            "providers.returned_non_academic": Row(u, y, "all", returned, 1),
            "staff.headcount": Row(u, y, "all", p["census"], None, None, k["census"]),
            "staff.atypical_contracts": Row(u, y, "all", atypical, None, None, k["atypical"]),
        }
        for ind_id, row in scalar.items():
            rows[ind_id].append(row)
    for ind_id, u, y, category, num, key in con.execute(_breakdown_sql(leadership)).fetchall():
        rows[ind_id].append(Row(u, y, category, num, key=int(key)))
    rows["grade.ceiling"] = [Row(u, y, c, num) for u, y, c, num in con.execute(_ceiling_sql()).fetchall()]
    return rows


@dataclass
class Result:
    """One published figure of an indicator for a population (provider, peer group or sector).
    ``raw`` is the true value, present only when true values were asked for."""

    indicator: str
    scope: str
    year: int
    category: str
    cell: Cell
    raw: float | None = None

    def as_dict(self, *, with_raw: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "indicator": self.indicator,
            "scope": self.scope,
            "year": codes.year_label(self.year),
            "category": self.category,
            "value": self.cell.value,
            "display": self.cell.display,
            "disclosure": self.cell.reason,
        }
        if with_raw:
            out["unrounded"] = self.raw
        return out


TRUE_VALUES = RULE_SETS["unrounded"]


@dataclass
class Computation:
    """Provider-level indicator values with their cell keys, and how to publish them.

    Published figures (the default) are computed from perturbed provider cells: a population's
    count is the sum of its providers' perturbed counts, and its percentage the ratio of two
    such sums, suppressed on the true population. ``true_values`` is for a viewer entitled to
    the population's true figures (a provider lead for their own provider), never the default."""

    definition: Definition
    rules: RuleSet
    rows: dict[str, list[Row]]
    returned: dict[tuple[str, int], bool]

    def _rows(self, indicator: str, members: set[str] | None) -> Iterable[Row]:
        ind = BY_ID[indicator]
        for row in self.rows[indicator]:
            if members is not None and row.ukprn not in members:
                continue
            if ind.non_academic and not self.returned.get((row.ukprn, row.year), False):
                continue
            yield row

    def _perturbed(self, ind: Indicator, row: Row, rules: RuleSet) -> tuple[float, float | None]:
        """The numerator and denominator a viewer of published figures is given."""
        if ind.aggregate != "sum" or ind.unit not in ("people", "contracts", "percent"):
            return row.num, row.den
        return rules.perturb(row.num, row.key) or 0.0, rules.perturb(row.den, row.den_key)

    def provider_cells(self, indicator: str, year: int, *, true_values: bool = False) -> dict[str, Cell]:
        """Each provider's published cell of a single-valued indicator."""
        found = {}
        for row in self._rows(indicator, None):
            if row.year == year and row.category == "all":
                found[row.ukprn] = self._one(BY_ID[indicator], [row], true_values)[0]
        return found

    def provider_values(self, indicator: str, year: int, category: str = "all") -> dict[str, float]:
        """True provider values (percent for percentages): for checks against the truth and
        for a viewer entitled to them, never for publication."""
        values = {}
        for row in self._rows(indicator, None):
            if row.year == year and row.category == category:
                if BY_ID[indicator].unit == "percent":
                    if row.den:
                        values[row.ukprn] = 100 * row.num / row.den
                else:
                    values[row.ukprn] = row.num
        return values

    def results(
        self, indicator: str, scope: str, members: Iterable[str] | None, *, true_values: bool = False
    ) -> list[Result]:
        """Aggregate over ``members`` (all providers if None) and apply disclosure control."""
        ind = BY_ID[indicator]
        wanted = set(members) if members is not None else None
        cells: dict[tuple[int, str], list[Row]] = {}
        for row in self._rows(indicator, wanted):
            cells.setdefault((row.year, row.category), []).append(row)
        small: set[int] = set()
        if ind.breakdown and ind.unit != "level":
            small = self._complete_breakdown(ind, cells, true_values)
        out = []
        for (year, category), rows in sorted(cells.items()):
            cell, raw = self._one(ind, rows, true_values)
            if year in small:
                cell = Cell(
                    None,
                    self.rules.marker,
                    f"suppressed: a breakdown of a population below {self.rules.percent_min_population:g}",
                )
            out.append(Result(ind.id, scope, year, _label(category), cell, raw))
        return out

    def _complete_breakdown(
        self, ind: Indicator, cells: dict[tuple[int, str], list[Row]], true_values: bool
    ) -> set[int]:
        """Every category the indicator has anywhere that year, empty ones as 0, so that an
        empty cell reads like a small one; returns the years whose population is too small
        to break down (its published total below the percentage threshold), for published figures."""
        years = {year for year, _ in cells}
        for row in self._rows(ind.id, None):
            if row.year in years:
                cells.setdefault((row.year, row.category), [])
        if true_values or not self.rules.rounding:
            return set()
        totals: dict[int, float] = dict.fromkeys(
            years, 0.0
        )  # published (perturbed) totals, as for percentages
        for (year, _), rows in cells.items():
            totals[year] += sum(self._perturbed(ind, r, self.rules)[0] for r in rows)
        return {year for year, total in totals.items() if total < self.rules.percent_min_population}

    def _one(self, ind: Indicator, rows: list[Row], true_values: bool) -> tuple[Cell, float | None]:
        rules = TRUE_VALUES if true_values else self.rules
        if ind.unit == "level":
            level = list(codes.LEVELS)[int(min(r.num for r in rows)) - 1]
            return protect(level, "level", rules), None
        num = den = 0.0
        for row in rows:
            p_num, p_den = self._perturbed(ind, row, rules)
            num += p_num
            den += p_den or 0.0
        raw = None
        if ind.unit != "percent":
            if not rules.rounding:
                raw = num
            return protect(num, ind.unit, rules), raw
        value = min(100.0, 100 * num / den) if den else None
        if not rules.rounding:
            raw = value
        if ind.aggregate == "providers" and value is not None:  # a share of providers, not people
            cell = Cell(
                round(value, 1),
                f"{value:.1f}% of {den:,.0f} providers",
                "a share of providers, not of people: not suppressed",
            )
            return cell, raw
        # Suppression is decided on the published (perturbed) population: deciding it on the
        # true one answers "is the true total at least 22.5?" for any set of providers a user
        # can group, which pins true counts (SECURITY.md, "suppression").
        return protect(value, "percent", rules, population=den), raw


def _label(category: str) -> str:
    """Drop the sort prefix ("1 Under 25" -> "Under 25") from ordered categories."""
    return " / ".join(
        part[2:] if part[:1].isdigit() and part[1:2] == " " else part for part in category.split(" / ")
    )


def open_staff(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    returned: dict[tuple[str, int], bool],
    definition: Definition,
) -> None:
    """Materialise the snapshots, flagged by the definition, as the temp table ``staff``.
    Snapshots written before record keys existed get one from their pseudonymised id."""
    con.execute("CREATE OR REPLACE TEMP TABLE returns (ukprn VARCHAR, year INTEGER, returned BOOLEAN)")
    if returned:
        con.executemany("INSERT INTO returns VALUES (?, ?, ?)", [[u, y, r] for (u, y), r in returned.items()])
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE staff AS
        SELECT s.* REPLACE (coalesce(s.record_key, hash(s.person_id) % {M}) AS record_key),
               {definition.technical_sql("s")} AS technical, {definition.leader_sql("s")} AS leader,
               (s.acempfun IS NULL OR s.acempfun = '4') AS non_academic, r.returned
        FROM read_parquet(?, union_by_name = true) s JOIN returns r USING (ukprn, year)""",
        [[str(f) for f in files]],
    )


def compute(
    files: list[Path],
    returned: dict[tuple[str, int], bool],
    definition: Definition,
    rules: RuleSet,
    indicators: Iterable[str] | None = None,
    on_indicator: Callable[[str], None] | None = None,
) -> Computation:
    wanted = list(indicators) if indicators is not None else [i.id for i in CATALOGUE]
    unknown = [w for w in wanted if w not in BY_ID]
    if unknown:
        raise errors.NotFound(
            f"unknown indicator(s) {unknown}; list them with `techforce workforce indicators --list`"
        )
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false; SET preserve_insertion_order = false")
    try:
        every: dict[str, list[Row]] = {i.id: [] for i in CATALOGUE}
        if files:
            open_staff(con, files, returned, definition)
            every = _provider_rows(con, ", ".join(f"'{v}'" for v in definition.leadership_levels))
    finally:
        con.close()
    rows = {ind_id: every[ind_id] for ind_id in wanted}
    for ind_id in wanted if on_indicator else ():
        on_indicator(ind_id)  # type: ignore[misc]
    return Computation(definition, rules, rows, returned)
