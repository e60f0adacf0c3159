"""Vectorised validation of a HESA Staff return loaded into the ``*_raw`` tables.

Per-row rules run as one DuckDB scan per table (``count_if`` of every rule's predicate);
the rows of a rule are fetched only when it fired. Cross-table rules (keys, orphans,
CCPROP sums, ACEMPFUN against SOC, one provider and year per return) are set queries. No
Python loop touches the rows. Only our own SQL reaches DuckDB: rule predicates, code lists
from codes.py (checked on load) and integers; values from the files are data in tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from techforce.workforce import codes, readers
from techforce.workforce.problems import Problem, Severity

MAX_ROWS_PER_RULE = 1000  # listed rows per rule; the count of all is always given
SUMMARY = "... and {more:,} more rows break this rule ({count:,} in all; the first {listed:,} are listed)"


def _in(values: object) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # type: ignore[attr-defined]


def _code(column: str, valid: object) -> str:
    return f'"{column}" IS NOT NULL AND "{column}" NOT IN {_in(valid)}'


def _date(column: str) -> str:
    return f'"{column}" IS NOT NULL AND TRY_STRPTIME("{column}", \'%Y-%m-%d\') IS NULL'


def _number(column: str, low: float, high: float, *, low_open: bool = False) -> str:
    op = "<=" if low_open else "<"
    return (
        f'"{column}" IS NOT NULL AND (TRY_CAST("{column}" AS DOUBLE) IS NULL OR '
        f'TRY_CAST("{column}" AS DOUBLE) {op} {low} OR TRY_CAST("{column}" AS DOUBLE) > {high})'
    )


def _required(column: str) -> str:
    """Missing: NULL (an empty CSV cell or XML element) or only spaces. (A blank value sorts
    before '!', so DuckDB's column statistics skip the trim for a column with none.)"""
    return f'("{column}" IS NULL OR ("{column}" < \'!\' AND trim("{column}") = \'\'))'


@dataclass(frozen=True)
class Rule:
    id: str
    table: str
    field: str
    bad: str
    message: str
    fix: str
    severity: Severity = "error"


YEAR_SQL = (
    "CASE WHEN regexp_full_match(RECID, '[0-9]{2}025') THEN 2000 + CAST(substr(RECID, 1, 2) AS INTEGER) END"
)


def row_rules(year_override: int | None) -> list[Rule]:
    year_given = year_override is not None
    rules = [
        Rule(
            "person.ukprn.required",
            "person",
            "UKPRN",
            _required("UKPRN"),
            "the provider's UKPRN is missing",
            "give the 8-digit UKPRN of the provider",
        ),
        Rule(
            "person.ukprn.format",
            "person",
            "UKPRN",
            "UKPRN IS NOT NULL AND NOT regexp_full_match(UKPRN, '[0-9]{8}')",
            "UKPRN must be 8 digits",
            "use the provider's 8-digit UK provider reference number",
        ),
        Rule(
            "person.recid.format",
            "person",
            "RECID",
            f"RECID IS NOT NULL AND {YEAR_SQL} IS NULL",
            "RECID is not a Staff record collection id (e.g. 22025 for 2022/23)",
            "use the collection's RECID, such as 22025",
        ),
        Rule(
            "person.personkey.required",
            "person",
            "PERSONKEY",
            _required("PERSONKEY"),
            "PERSONKEY is missing",
            "give every PERSON row its PERSONKEY",
        ),
        Rule(
            "person.staffid.required",
            "person",
            "STAFFID",
            _required("STAFFID"),
            "STAFFID is missing",
            "give the person's 13-digit HESA staff identifier",
        ),
        Rule(
            "person.staffid.format",
            "person",
            "STAFFID",
            "STAFFID IS NOT NULL AND NOT regexp_full_match(STAFFID, '[0-9]{13}')",
            "STAFFID must be 13 digits",
            "correct the HESA staff identifier (13 digits)",
        ),
        Rule(
            "person.ownstaffid.length",
            "person",
            "OWNSTAFFID",
            "length(OWNSTAFFID) > 20",
            "OWNSTAFFID is longer than 20 characters",
            "shorten the provider's own staff id",
        ),
        Rule(
            "person.birthdte.required",
            "person",
            "BIRTHDTE",
            _required("BIRTHDTE"),
            "date of birth is missing",
            "give BIRTHDTE as YYYY-MM-DD",
        ),
        Rule(
            "person.birthdte.format",
            "person",
            "BIRTHDTE",
            _date("BIRTHDTE"),
            "date of birth is not a valid YYYY-MM-DD date",
            "write BIRTHDTE as YYYY-MM-DD",
        ),
        Rule(
            "person.sexid.required",
            "person",
            "SEXID",
            _required("SEXID"),
            "SEXID is missing",
            "code SEXID as 1 (male), 2 (female) or 3 (other)",
        ),
        Rule(
            "person.sexid.code",
            "person",
            "SEXID",
            _code("SEXID", codes.SEXID),
            "SEXID is not a valid code",
            "code SEXID as 1 (male), 2 (female) or 3 (other)",
        ),
        Rule(
            "person.ethnic.required",
            "person",
            "ETHNIC",
            _required("ETHNIC"),
            "ETHNIC is missing",
            "code ETHNIC from the HESA list (99 if not available)",
        ),
        Rule(
            "person.ethnic.code",
            "person",
            "ETHNIC",
            _code("ETHNIC", codes.ETHNIC),
            "ETHNIC is not a valid HESA code",
            "use a 2-digit HESA ETHNIC code (e.g. 10, 31, 99)",
        ),
        Rule(
            "person.disable.code",
            "person",
            "DISABLE",
            f"CASE WHEN DISABLE IS NULL OR DISABLE IN {_in(sorted(codes.DISABLE))} THEN false "
            f"ELSE NOT list_has_all({sorted(codes.DISABLE)}, string_split(DISABLE, ';')) END",
            "DISABLE holds a code that is not valid",
            "use HESA DISABLE codes (95 none known, 51-59/96 conditions, 98, 99)",
        ),
        Rule(
            "person.disable.count",
            "person",
            "DISABLE",
            "length(DISABLE) > 26 AND len(string_split(DISABLE, ';')) > 9",
            "DISABLE is repeated more than 9 times",
            "return at most 9 DISABLE codes per person",
        ),
        Rule(
            "person.disable.none_with_condition",
            "person",
            "DISABLE",
            "contains(DISABLE, ';') AND list_contains(string_split(DISABLE, ';'), '95')",
            "DISABLE 95 (no known disability) is returned together with other codes",
            "return 95 alone, or only the condition codes",
            "warning",
        ),
        Rule(
            "contract.personkey.required",
            "contract",
            "PERSONKEY",
            _required("PERSONKEY"),
            "PERSONKEY is missing",
            "link every CONTRACT row to its PERSON by PERSONKEY",
        ),
        Rule(
            "contract.contractkey.required",
            "contract",
            "CONTRACTKEY",
            _required("CONTRACTKEY"),
            "CONTRACTKEY is missing",
            "give every CONTRACT row its CONTRACTKEY",
        ),
        Rule(
            "contract.contid.required",
            "contract",
            "CONTID",
            _required("CONTID"),
            "CONTID is missing",
            "give every contract its contract identifier",
        ),
        Rule(
            "contract.contid.length",
            "contract",
            "CONTID",
            "length(CONTID) > 20",
            "CONTID is longer than 20 characters",
            "shorten the contract id to 20 characters",
        ),
        Rule(
            "contract.terms.required",
            "contract",
            "TERMS",
            _required("TERMS"),
            "TERMS is missing",
            "code TERMS 1 (open-ended), 2 (fixed-term) or 3 (atypical)",
        ),
        Rule(
            "contract.terms.code",
            "contract",
            "TERMS",
            _code("TERMS", codes.TERMS),
            "TERMS is not a valid code",
            "code TERMS 1 (open-ended), 2 (fixed-term) or 3 (atypical)",
        ),
        Rule(
            "contract.moemp.required",
            "contract",
            "MOEMP",
            _required("MOEMP"),
            "MOEMP is missing",
            "code MOEMP 1-6 (1 full-time ... 6 dormant)",
        ),
        Rule(
            "contract.moemp.code",
            "contract",
            "MOEMP",
            _code("MOEMP", codes.MOEMP),
            "MOEMP is not a valid code",
            "code MOEMP 1-6 (1 full-time ... 6 dormant)",
        ),
        Rule(
            "contract.acempfun.code",
            "contract",
            "ACEMPFUN",
            _code("ACEMPFUN", codes.ACEMPFUN),
            "ACEMPFUN is not a valid code",
            "code ACEMPFUN 1, 2, 3, 9 (academic) or 4 (not academic)",
        ),
        Rule(
            "contract.levels.code",
            "contract",
            "LEVELS",
            _code("LEVELS", codes.LEVELS),
            "LEVELS is not a valid code",
            "use a UCEA/XpertHR level code such as E1, I0 or K0",
        ),
        Rule(
            "contract.levels.required",
            "contract",
            "LEVELS",
            "LEVELS IS NULL AND TERMS IN ('1', '2')",
            "LEVELS is missing on a non-atypical contract",
            "give the contract's UCEA/XpertHR level (A0 ... P0)",
        ),
        Rule(
            "contract.confte.required",
            "contract",
            "CONFTE",
            _required("CONFTE"),
            "CONFTE is missing: without it the contract is left out of every count",
            "give the contract's FTE for the year as a percentage, nnn.n (100.0 = full time)",
        ),
        Rule(
            "contract.confte.number",
            "contract",
            "CONFTE",
            _number("CONFTE", 0, 100),
            "CONFTE is not a percentage between 0 and 100",
            "give CONFTE as nnn.n, 100.0 = full time",
        ),
        Rule(
            "contract.startcon.format",
            "contract",
            "STARTCON",
            _date("STARTCON"),
            "STARTCON is not a valid YYYY-MM-DD date",
            "write STARTCON as YYYY-MM-DD",
        ),
        Rule(
            "contract.endcon.format",
            "contract",
            "ENDCON",
            _date("ENDCON"),
            "ENDCON is not a valid YYYY-MM-DD date",
            "write ENDCON as YYYY-MM-DD",
        ),
        Rule(
            "contract.endcon.before_start",
            "contract",
            "ENDCON",
            "TRY_STRPTIME(ENDCON, '%Y-%m-%d') < TRY_STRPTIME(STARTCON, '%Y-%m-%d')",
            "the contract ends before it starts",
            "check STARTCON and ENDCON",
        ),
        Rule(
            "contract.salref.number",
            "contract",
            "SALREF",
            _number("SALREF", 0, 10_000_000),
            "SALREF is not a salary in pounds",
            "give SALREF as a whole number of pounds",
        ),
        Rule(
            "contract.atypical.mode",
            "contract",
            "MOEMP",
            "(TERMS = '3') <> (MOEMP = '5')",
            "TERMS and MOEMP disagree about whether the contract is atypical",
            "use TERMS 3 together with MOEMP 5 for atypical contracts",
            "warning",
        ),
        Rule(
            "activity.contractkey.required",
            "activity",
            "CONTRACTKEY",
            _required("CONTRACTKEY"),
            "CONTRACTKEY is missing",
            "link every ACTIVITY row to its CONTRACT by CONTRACTKEY",
        ),
        Rule(
            "activity.soc.required",
            "activity",
            "ACTSOC",
            "ACTSOC IS NULL AND ACTSOC2020 IS NULL",
            "the activity has no SOC code",
            "give ACTSOC (SOC2010, to 2022/23) or ACTSOC2020 (from 2023/24)",
        ),
        Rule(
            "activity.actsoc.code",
            "activity",
            "ACTSOC",
            "ACTSOC IS NOT NULL AND ACTSOC NOT IN (SELECT code FROM _soc2010)",
            "ACTSOC is not a SOC2010 unit group (4 digits) or minor group (3 digits) in the ONS SOC2010 list",
            "code the activity to a SOC2010 unit group from the ONS list, e.g. 3111 (laboratory technicians)",
        ),
        Rule(
            "activity.actsoc2020.code",
            "activity",
            "ACTSOC2020",
            "ACTSOC2020 IS NOT NULL AND ACTSOC2020 NOT IN (SELECT code FROM _soc2020)",
            "ACTSOC2020 is not a SOC2020 unit group (4 digits) or minor group (3 digits) in the ONS "
            "SOC2020 list",
            "code the activity to a SOC2020 unit group from the ONS list, e.g. 3111 (laboratory "
            "technicians) or 3120 (CAD, drawing and architectural technicians)",
        ),
        Rule(
            "activity.ccentre.required",
            "activity",
            "CCENTRE",
            _required("CCENTRE"),
            "CCENTRE is missing",
            "give the HESA cost centre (101-145, 201-206)",
        ),
        Rule(
            "activity.ccentre.code",
            "activity",
            "CCENTRE",
            _code("CCENTRE", codes.COST_CENTRES),
            "CCENTRE is not a HESA cost centre",
            "use a cost centre 101-145 or 201-206",
        ),
        Rule(
            "activity.ccprop.required",
            "activity",
            "CCPROP",
            _required("CCPROP"),
            "CCPROP is missing",
            "give the percentage of the contract in this activity",
        ),
        Rule(
            "activity.ccprop.number",
            "activity",
            "CCPROP",
            _number("CCPROP", 0, 100, low_open=True),
            "CCPROP is not a percentage above 0 and at most 100",
            "give CCPROP as nnn.n",
        ),
    ]
    if year_given:
        rules.append(
            Rule(
                "person.recid.year",
                "person",
                "RECID",
                f"RECID IS NOT NULL AND {YEAR_SQL} IS NOT NULL AND {YEAR_SQL} <> {int(year_override or 0):d}",
                f"RECID is for another year than the {codes.year_label(year_override or 0)} "
                "given with --year",
                "drop --year, or ingest the file for its own year",
            )
        )
    else:
        rules.append(
            Rule(
                "person.recid.required",
                "person",
                "RECID",
                "RECID IS NULL",
                "the reporting year is unknown: RECID is missing",
                "add RECID (e.g. 22025 for 2022/23) or give --year",
            )
        )
    year = year_sql(year_override)
    rules.append(
        Rule(
            "person.birthdte.range",
            "person",
            "BIRTHDTE",
            f"BIRTHDTE IS NOT NULL AND {_age_expr(year)} NOT BETWEEN 14 AND 100",
            "age at 31 August is outside 14-100",
            "check the date of birth",
            "warning",
        )
    )
    return rules


def year_sql(year_override: int | None) -> str:
    """The reporting year of a person row: the --year given (an integer, never text from a
    file or form), else derived from RECID."""
    return f"CAST({int(year_override):d} AS INTEGER)" if year_override is not None else YEAR_SQL


def _age_expr(year: str) -> str:
    birth = "TRY_CAST(BIRTHDTE AS DATE)"  # one parse; the format rule checks the exact form
    return f"({year} - year({birth}) - CAST(month({birth}) > 8 AS INTEGER))"


def _value_expr(rule: Rule) -> str:
    return f'CAST("{rule.field}" AS VARCHAR)'


class _Rows:
    """Fetches the rows behind a problem, numbering CSV lines the first time any are needed
    (ingest of a clean return never pays for line numbers)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.numbered = False

    def fetch(self, sql: str) -> list[tuple[str, int | None, str | None, str | None]]:
        rows = self.con.execute(sql).fetchall()
        if rows and not self.numbered:
            readers.number_csv_lines(self.con)
            self.numbered = True
            rows = self.con.execute(sql).fetchall()
        return rows


@dataclass
class Validation:
    """Problems found (the first MAX_ROWS_PER_RULE rows of each rule, then a summary row
    per rule with more) and the true number of errors and warnings."""

    problems: list[Problem] = field(default_factory=list)
    summaries: list[Problem] = field(default_factory=list)
    counts: dict[str, tuple[Severity, int]] = field(default_factory=dict)

    def add(
        self, rule_id: str, severity: Severity, field_name: str, fix: str, rows: list[Problem], count: int
    ) -> None:
        listed = rows[:MAX_ROWS_PER_RULE]
        self.problems += listed
        count = max(count, len(listed))
        self.counts[rule_id] = (severity, count)
        if count > len(listed):
            last = listed[-1]
            self.summaries.append(
                Problem(
                    severity=severity,
                    rule=rule_id,
                    file=last.file,
                    field=field_name,
                    message=SUMMARY.format(more=count - len(listed), count=count, listed=len(listed)),
                    fix=fix,
                )
            )

    def extend(self, problems: list[Problem]) -> None:
        """Problems found outside the rules (file-level, reader warnings): each one counts."""
        for problem in problems:
            self.problems.append(problem)
            _severity, count = self.counts.get(problem.rule, (problem.severity, 0))
            self.counts[problem.rule] = (problem.severity, count + 1)

    def count(self, severity: Severity) -> int:
        return sum(n for s, n in self.counts.values() if s == severity)

    def listed(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    def ordered(self) -> list[Problem]:
        """Errors first (by file and line, then each rule's summary row), then warnings."""
        ordered = sorted(self.problems, key=lambda p: (p.severity != "error", p.file, p.line or 0))
        errors = [p for p in ordered if p.severity == "error"]
        warnings = [p for p in ordered if p.severity != "error"]
        summary = {s: [p for p in self.summaries if p.severity == s] for s in ("error", "warning")}
        return errors + summary["error"] + warnings + summary["warning"]


def _code_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The valid SOC codes (ONS unit groups and their minor groups) as tables: a hash join
    is far faster than an IN list of some 500 literals. The codes are bound parameters."""
    for name, units, minor in (
        ("_soc2010", codes.SOC2010_UNIT, codes.SOC2010_MINOR),
        ("_soc2020", codes.SOC2020_UNIT, codes.SOC2020_MINOR),
    ):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest(?::VARCHAR[]) AS code",
            [sorted(set(units) | minor)],
        )


def check_rows(
    con: duckdb.DuckDBPyConnection, year_override: int | None, fetch: _Rows, found: Validation
) -> None:
    rules = row_rules(year_override)
    _code_tables(con)
    for table in ("person", "contract", "activity"):
        mine = [r for r in rules if r.table == table]
        counts = con.execute(
            "SELECT " + ", ".join(f"count_if(coalesce({r.bad}, false))" for r in mine) + f" FROM {table}_raw"
        ).fetchone()
        assert counts is not None
        for rule, count in zip(mine, counts, strict=True):
            if count:
                found.add(rule.id, rule.severity, rule.field, rule.fix, _rows_of(fetch, table, rule), count)


def _rows_of(fetch: _Rows, table: str, rule: Rule) -> list[Problem]:
    rows = fetch.fetch(
        f"SELECT _file, _line, coalesce(_path, ''), coalesce({_value_expr(rule)}, '') "
        f"FROM {table}_raw WHERE coalesce({rule.bad}, false) ORDER BY _file, _line "
        f"LIMIT {MAX_ROWS_PER_RULE}"
    )
    return [
        Problem(
            severity=rule.severity,
            rule=rule.id,
            file=f,
            line=line,
            path=path or "",
            field=rule.field,
            value=value or "",
            message=rule.message,
            fix=rule.fix,
        )
        for f, line, path, value in rows
    ]


@dataclass(frozen=True)
class CrossRule:
    id: str
    field: str
    sql: str  # returns _file, _line, _path, value
    message: str
    fix: str
    severity: Severity = "error"


def cross_rules(year_expr: str) -> list[CrossRule]:
    return [
        CrossRule(
            "person.personkey.duplicate",
            "PERSONKEY",
            "SELECT _file, _line, _path, PERSONKEY FROM person_raw QUALIFY "
            "count(*) OVER (PARTITION BY _set, PERSONKEY) > 1 AND PERSONKEY IS NOT NULL",
            "PERSONKEY appears on more than one PERSON row",
            "give each person one row with a unique PERSONKEY",
        ),
        CrossRule(
            "person.staffid.duplicate",
            "STAFFID",
            f"SELECT _file, _line, _path, STAFFID FROM person_raw QUALIFY count(*) OVER "
            f"(PARTITION BY UKPRN, {year_expr}, STAFFID) > 1 AND STAFFID IS NOT NULL",
            "the same STAFFID is returned more than once for this provider and year",
            "return each person once, with all their contracts under that person",
        ),
        CrossRule(
            "contract.contractkey.duplicate",
            "CONTRACTKEY",
            "SELECT _file, _line, _path, CONTRACTKEY FROM contract_raw QUALIFY "
            "count(*) OVER (PARTITION BY _set, CONTRACTKEY) > 1 AND CONTRACTKEY IS NOT NULL",
            "CONTRACTKEY appears on more than one CONTRACT row",
            "give each contract a unique CONTRACTKEY",
        ),
        # PERSONKEY stands for STAFFID here: both are checked unique above, so no join.
        CrossRule(
            "contract.contid.duplicate",
            "CONTID",
            "SELECT _file, _line, _path, CONTID FROM contract_raw QUALIFY count(*) OVER "
            "(PARTITION BY _set, PERSONKEY, CONTID) > 1 AND CONTID IS NOT NULL",
            "STAFFID + CONTID is not unique: the person has two contracts with this CONTID",
            "give each of a person's contracts its own CONTID",
        ),
        CrossRule(
            "activity.activitykey.duplicate",
            "ACTIVITYKEY",
            "SELECT _file, _line, _path, ACTIVITYKEY FROM activity_raw QUALIFY "
            "count(*) OVER (PARTITION BY _set, ACTIVITYKEY) > 1 AND ACTIVITYKEY IS NOT NULL",
            "ACTIVITYKEY appears on more than one ACTIVITY row",
            "give each activity a unique ACTIVITYKEY",
        ),
        CrossRule(
            "contract.orphan",
            "PERSONKEY",
            "SELECT _file, _line, _path, PERSONKEY FROM contract_raw c WHERE PERSONKEY IS "
            "NOT NULL AND NOT EXISTS (SELECT 1 FROM person_raw p WHERE p._set = c._set AND "
            "p.PERSONKEY = c.PERSONKEY)",
            "the contract's PERSONKEY matches no PERSON row",
            "add the person to the PERSON table or correct the PERSONKEY",
        ),
        CrossRule(
            "activity.orphan",
            "CONTRACTKEY",
            "SELECT _file, _line, _path, CONTRACTKEY FROM activity_raw a WHERE CONTRACTKEY "
            "IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contract_raw c WHERE c._set = a._set "
            "AND c.CONTRACTKEY = a.CONTRACTKEY)",
            "the activity's CONTRACTKEY matches no CONTRACT row",
            "add the contract to the CONTRACT table or correct the CONTRACTKEY",
        ),
        CrossRule(
            "contract.no_activity",
            "CONTRACTKEY",
            "SELECT _file, _line, _path, CONTRACTKEY FROM contract_raw c WHERE NOT EXISTS "
            "(SELECT 1 FROM activity_raw a WHERE a._set = c._set AND "
            "a.CONTRACTKEY = c.CONTRACTKEY)",
            "the contract has no activity",
            "return at least one Activity for every contract",
        ),
        CrossRule(
            "contract.activities.too_many",
            "CONTRACTKEY",
            "SELECT c._file, c._line, c._path, CAST(n AS VARCHAR) FROM contract_raw c JOIN "
            "(SELECT _set, CONTRACTKEY, count(*) AS n FROM activity_raw GROUP BY ALL "
            "HAVING n > 6) USING (_set, CONTRACTKEY)",
            "the contract has more than 6 activities",
            "merge activities so that a contract has at most 6",
        ),
        CrossRule(
            "contract.ccprop.sum",
            "CCPROP",
            "SELECT c._file, c._line, c._path, CAST(round(s, 2) AS VARCHAR) FROM "
            "contract_raw c JOIN (SELECT _set, CONTRACTKEY, sum(TRY_CAST(CCPROP AS DOUBLE)) "
            "AS s FROM activity_raw GROUP BY ALL HAVING abs(s - 100) > 0.05) "
            "USING (_set, CONTRACTKEY)",
            "the CCPROP of the contract's activities do not sum to 100",
            "make the activities' CCPROP add up to 100.0 for each contract",
        ),
        CrossRule(
            "contract.acempfun.required",
            "ACEMPFUN",
            "SELECT c._file, c._line, c._path, '' FROM contract_raw c WHERE ACEMPFUN IS NULL "
            "AND EXISTS (SELECT 1 FROM activity_raw a WHERE a._set = c._set AND "
            "a.CONTRACTKEY = c.CONTRACTKEY AND "
            "substr(coalesce(a.ACTSOC2020, a.ACTSOC), 1, 1) IN ('1', '2', '3'))",
            "ACEMPFUN is blank but an activity is in SOC major group 1-3",
            "code ACEMPFUN (4 if the contract is not academic)",
        ),
        CrossRule(
            "person.no_contract",
            "PERSONKEY",
            "SELECT _file, _line, _path, PERSONKEY FROM person_raw p WHERE NOT EXISTS "
            "(SELECT 1 FROM contract_raw c WHERE c._set = p._set AND "
            "c.PERSONKEY = p.PERSONKEY)",
            "the person has no contract; they are left out of every count",
            "add the person's contracts or remove the person",
            "warning",
        ),
    ]


def return_rules() -> list[CrossRule]:
    """Rules about a whole return (an XML file, or a folder of PERSON/CONTRACT/ACTIVITY
    tables). CONFTE all at 1 or less looks like fractions for percentages (the first row is
    named). A return is one provider's data for one year: rows keyed to another provider or
    year are listed, against the value most of the return's rows hold."""
    return [
        CrossRule(
            "contract.confte.fraction",
            "CONFTE",
            "SELECT _file, _line, _path, CONFTE FROM contract_raw JOIN (SELECT _set FROM "
            "contract_raw GROUP BY _set HAVING max(TRY_CAST(CONFTE AS DOUBLE)) <= 1) "
            "USING (_set) QUALIFY row_number() OVER (PARTITION BY _set ORDER BY _file, _line) = 1",
            "every contract in this return has CONFTE 1 or less: CONFTE is a percentage "
            "(100.0 = full time), and these look like fractions",
            "give CONFTE as a percentage: 100.0 for full time all year, 50.0 for half time",
            "warning",
        ),
    ] + [
        CrossRule(
            f"ingest.one_return.{name.lower()}",
            name,
            f"SELECT _file, _line, _path, {name} FROM person_raw JOIN (SELECT _set, mode({name}) "
            f"AS main FROM person_raw GROUP BY _set HAVING min({name}) <> max({name})) USING (_set) "
            f"WHERE {name} <> main",
            f"this return holds rows for more than one {what}: one return is one provider's "
            f"data for one year, and this row's {name} differs from that of most of the "
            "return's rows",
            f"correct the {name} of this row, or split the file into one return per provider "
            "and year; if this is a multi-provider data supply, ingest it with --multi-provider",
        )
        for name, what in (("UKPRN", "provider (UKPRN)"), ("RECID", "year (RECID)"))
    ]


def _screen_sql(year_expr: str) -> str:
    """One pass that counts, for every cross rule, an upper bound of its rows: the keyed
    aggregates are built once and shared, and a rule's own (row-listing) query runs only
    when its count is not zero. A clean return pays for this query alone."""
    return f"""
    WITH pk AS (
      SELECT _set, PERSONKEY, count(*) AS n FROM person_raw WHERE PERSONKEY IS NOT NULL
      GROUP BY ALL),
    cp AS (
      SELECT _set, PERSONKEY, count(*) AS n FROM contract_raw WHERE PERSONKEY IS NOT NULL
      GROUP BY ALL),
    ck AS (
      SELECT _set, CONTRACTKEY, count(*) AS n, bool_or(ACEMPFUN IS NULL) AS no_acempfun
      FROM contract_raw GROUP BY ALL),
    ak AS (
      SELECT _set, CONTRACTKEY, count(*) AS n, sum(TRY_CAST(CCPROP AS DOUBLE)) AS s,
             bool_or(substr(coalesce(ACTSOC2020, ACTSOC), 1, 1) IN ('1', '2', '3')) AS soc123
      FROM activity_raw WHERE CONTRACTKEY IS NOT NULL GROUP BY ALL),
    persons AS (
      SELECT count_if(pk.n > 1) AS dup, sum(cp.n) FILTER (WHERE pk.n IS NULL) AS orphans,
             count_if(cp.n IS NULL) AS childless
      FROM pk FULL JOIN cp USING (_set, PERSONKEY)),
    contracts AS (
      SELECT count_if(ck.n > 1) AS dup, count_if(ck.n IS NULL) AS orphans,
             count_if(ak.n IS NULL) AS childless, count_if(ak.n > 6) AS too_many,
             count_if(abs(ak.s - 100) > 0.05) AS ccprop,
             count_if(ck.no_acempfun AND ak.soc123) AS acempfun
      FROM ck FULL JOIN ak USING (_set, CONTRACTKEY))
    SELECT
      persons.dup,
      (SELECT count(*) FROM (SELECT 1 FROM person_raw WHERE STAFFID IS NOT NULL
                             GROUP BY UKPRN, {year_expr}, STAFFID HAVING count(*) > 1)),
      contracts.dup,
      (SELECT count(*) FROM (SELECT 1 FROM contract_raw WHERE CONTID IS NOT NULL
                             GROUP BY _set, PERSONKEY, CONTID HAVING count(*) > 1)),
      (SELECT count(*) FROM (SELECT 1 FROM activity_raw WHERE ACTIVITYKEY IS NOT NULL
                             GROUP BY _set, ACTIVITYKEY HAVING count(*) > 1)),
      coalesce(persons.orphans, 0), contracts.orphans, contracts.childless, contracts.too_many,
      contracts.ccprop, contracts.acempfun, persons.childless,
      (SELECT count(*) FROM (SELECT 1 FROM contract_raw GROUP BY _set
                             HAVING max(TRY_CAST(CONFTE AS DOUBLE)) <= 1)),
      (SELECT count(*) FROM (SELECT 1 FROM person_raw GROUP BY _set HAVING min(UKPRN) <> max(UKPRN))),
      (SELECT count(*) FROM (SELECT 1 FROM person_raw GROUP BY _set HAVING min(RECID) <> max(RECID)))
    FROM persons, contracts
    """


def check_cross(
    con: duckdb.DuckDBPyConnection,
    year_override: int | None,
    fetch: _Rows,
    found: Validation,
    *,
    multi_provider: bool = False,
) -> None:
    sql = year_sql(year_override)
    rules = cross_rules(sql) + return_rules()
    counts = con.execute(_screen_sql(sql)).fetchone()
    assert counts is not None and len(counts) == len(rules)
    for rule, count in zip(rules, counts, strict=True):
        if not count or (multi_provider and rule.id.startswith("ingest.one_return.")):
            continue
        rows = fetch.fetch(f"SELECT * FROM ({rule.sql}) ORDER BY 1, 2 LIMIT {MAX_ROWS_PER_RULE + 1}")
        if len(rows) > MAX_ROWS_PER_RULE:  # the screen's count is an upper bound: count them all
            total = con.execute(f"SELECT count(*) FROM ({rule.sql})").fetchone()
            count = total[0] if total is not None else count
        else:
            count = len(rows)
        problems = [
            Problem(
                severity=rule.severity,
                rule=rule.id,
                file=f,
                line=line,
                path=path or "",
                field=rule.field,
                value=value or "",
                message=rule.message,
                fix=rule.fix,
            )
            for f, line, path, value in rows
        ]
        if problems:
            found.add(rule.id, rule.severity, rule.field, rule.fix, problems, count)


def validate(
    con: duckdb.DuckDBPyConnection, year_override: int | None, *, multi_provider: bool = False
) -> Validation:
    """All problems of the loaded return, and the true count of each rule's rows."""
    fetch = _Rows(con)
    found = Validation()
    check_rows(con, year_override, fetch, found)
    if not any(
        rule.endswith(".required") and rule.split(".")[1] in ("personkey", "contractkey")
        for rule in found.counts
    ):
        check_cross(con, year_override, fetch, found, multi_provider=multi_provider)
    return found
