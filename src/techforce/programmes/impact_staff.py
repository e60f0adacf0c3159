"""What the impact dashboard reads from the staff data (DuckDB over the catalogued Parquet
snapshots), in one pass kept per workforce data version (StaffView): the technical
workforce's profile to set participants' beside, and every technical member of staff with a
record in a later year, by stratum, for the matched comparison of consenting participants
with non-participant technical staff.

Everything here is a true value with the cell key to publish it by; impact.py passes every
figure through the disclosure gate. Nothing here is shown to anyone as it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlalchemy.orm import Session as Db

from techforce.disclosure import KEY_MODULUS
from techforce.settings import Settings
from techforce.workforce import codes, definitions, store
from techforce.workforce.indicators import AGE_BAND, ETHNIC, SEX

M = KEY_MODULUS
RANKS = " ".join(f"WHEN '{c}' THEN {r}" for c, r in codes.LEVEL_RANK.items())
DIMENSIONS = {"Sex": SEX, "Ethnicity": ETHNIC, "Level": "coalesce(levels, 'Not given')"}


@dataclass(frozen=True)
class Treated:
    """A consenting participant: their link and the staff-data year before their programme."""

    participant_id: int
    ukprn: str
    own_id: str
    base_year: int


@dataclass
class Stratum:
    people: int = 0
    moved: int = 0
    key: int = 0


@dataclass
class Matching:
    """The matched comparison in true values (never published as they are)."""

    base_years: list[int] = field(default_factory=list)
    matched: list[int] = field(default_factory=list)  # participant ids
    moved: list[int] = field(default_factory=list)  # matched participants who moved up a level
    unmatched: list[int] = field(default_factory=list)
    comparison_rate: float | None = None  # their matched controls' rate, weighted per participant
    controls: int = 0
    controls_key: int = 0


@dataclass
class WorkforceProfile:
    """Per provider, category and dimension, the technical FPE and its cell key (latest year)."""

    year: int | None = None
    definition: str | None = None
    cells: dict[tuple[str, str], list[tuple[float, int]]] = field(default_factory=dict)


Key = tuple[int, str, int, str, str]  # base year, provider, level rank, age band, sex


@dataclass(frozen=True)
class Person:
    """A technical member of staff in a base year who has a record in a later year."""

    person_id: str
    stratum: Key
    moved: bool  # a more senior level in a later year
    k: int  # record key


@dataclass
class StaffView:
    """What the dashboard needs from the staff data, read once per workforce data version."""

    profile: WorkforceProfile = field(default_factory=WorkforceProfile)
    by_own_id: dict[tuple[int, str, str], Person] = field(default_factory=dict)  # (year, ukprn, own_id)
    strata: dict[Key, Stratum] = field(default_factory=dict)  # everyone, participants included


def open_staff(con: duckdb.DuckDBPyConnection, files: list[Path], technical: str) -> None:
    """The 1 December rows of the snapshots as the temp table ``staff``, with each row's
    level rank (1 most senior) and whether its activity is technical."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE staff AS
        SELECT ukprn, year, person_id, own_id, coalesce(record_key, hash(person_id) % {M}) AS k, age, sex,
               ethnic, levels, fpe, CASE levels {RANKS} END AS rank, {technical} AS technical
        FROM read_parquet(?, union_by_name = true) WHERE in_census""",
        [[str(f) for f in files]],
    )


def staff_view(session: Db, settings: Settings) -> StaffView:
    """Read the staff data once: the workforce profile of the latest year and the people of
    every base year with a later year."""
    files, returned = store.catalogue_inputs(session, settings)
    chosen = definitions.get(None, session)
    if not files:
        return StaffView()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        open_staff(con, files, chosen.technical_sql())
        view = StaffView(profile=_profile(con, returned, chosen.stamp))
        con.execute(_PERSONS)
        _people(con, view)
    finally:
        con.close()
    return view


def _profile(
    con: duckdb.DuckDBPyConnection, returned: dict[tuple[str, int], bool], stamp: str
) -> WorkforceProfile:
    """The technical workforce by sex, ethnic group and LEVELS in the latest year held, as the
    workforce indicators count it: FPE of technical activities in the 1 December population of
    providers that returned non-academic staff, per provider with its cell key."""
    year = max(y for _, y in returned)
    providers = [u for (u, y), r in returned.items() if y == year and r]
    out = WorkforceProfile(year=year, definition=stamp)
    for dimension, expr in DIMENSIONS.items():
        rows = con.execute(
            f"""SELECT ukprn, {expr} AS category, sum(fpe), CAST(sum(DISTINCT k) % {M} AS UBIGINT)
            FROM staff WHERE technical AND year = ? AND list_contains(?, ukprn) GROUP BY ALL""",
            [year, providers],
        ).fetchall()
        for _u, category, fpe, key in rows:
            out.cells.setdefault((dimension, str(category)), []).append((float(fpe or 0.0), int(key)))
    return out


# One row per person and year: the provider of their technical contract, whether they are
# technical staff on 1 December, their most senior level (lowest rank), age band and sex.
_PERSONS = f"""CREATE OR REPLACE TEMP TABLE persons AS
SELECT *, {AGE_BAND} AS band FROM (
  SELECT year, person_id, min(ukprn) FILTER (WHERE technical) AS ukprn,
         coalesce(bool_or(technical), false) AS tech, min(rank) AS rank, any_value(age) AS age,
         any_value(sex) AS sex, any_value(k) AS k
  FROM staff GROUP BY year, person_id)"""


def _people(con: duckdb.DuckDBPyConnection, view: StaffView) -> None:
    """Technical staff with a level in a base year and a record with a level in a later year,
    under each (provider, own staff id pseudonym) they hold that year; their strata."""
    rows = con.execute(
        """WITH base AS (
              SELECT p.year, p.person_id, p.ukprn, p.rank, p.band, coalesce(p.sex, '') AS sex, p.k,
                     bool_or(q.rank < p.rank) AS moved
              FROM persons p JOIN persons q ON q.person_id = p.person_id AND q.year > p.year
                                           AND q.rank IS NOT NULL
              WHERE p.tech AND p.rank IS NOT NULL
              GROUP BY ALL),
            own AS (SELECT DISTINCT year, person_id, ukprn AS at, own_id FROM staff WHERE own_id IS NOT NULL)
        SELECT b.year, b.person_id, b.ukprn, b.rank, b.band, b.sex, b.k, b.moved, o.at, o.own_id
        FROM base b LEFT JOIN own o USING (year, person_id)"""
    ).fetchall()
    seen: set[tuple[int, str]] = set()
    for year, person_id, ukprn, rank, band, sex, k, moved, at, own_id in rows:
        key: Key = (int(year), ukprn, int(rank), band, sex)
        person = Person(person_id, key, bool(moved), int(k))
        if own_id is not None:
            view.by_own_id[(int(year), at, own_id)] = person
        if (int(year), person_id) not in seen:
            seen.add((int(year), person_id))
            cell = view.strata.setdefault(key, Stratum())
            cell.people += 1
            cell.moved += int(bool(moved))
            cell.key = (cell.key + int(k)) % M


def matching(view: StaffView, treated: list[Treated], groups: dict[str, list[str]]) -> Matching:
    """Find each consenting participant in the staff data of the year before their programme
    (by provider and the pseudonym of their own staff id), then compare the share who moved up
    the LEVELS scale in a later year with non-participant technical staff of the same base
    year, matched exactly on provider, level, age band and sex (a participant with no such
    staff at their provider is matched within the smallest peer group holding it). Only people
    with a record in a later year count, on both sides; linked participants are never controls."""
    out = Matching(base_years=sorted({t.base_year for t in treated}))
    found: dict[int, Person] = {}
    for t in treated:
        person = view.by_own_id.get((t.base_year, t.ukprn, t.own_id))
        if person is not None:
            found[t.participant_id] = person
    strata = _without(view.strata, found.values())
    used: set[Key] = set()
    rates = []
    for t in treated:
        person = found.get(t.participant_id)
        cells = _controls(person.stratum, strata, groups) if person else []
        people = sum(c.people for _, c in cells)
        if person is None or not people:
            out.unmatched.append(t.participant_id)
            continue
        used.update(k for k, _ in cells)
        rates.append(sum(c.moved for _, c in cells) / people)
        out.matched.append(t.participant_id)
        if person.moved:
            out.moved.append(t.participant_id)
    if rates:
        out.comparison_rate = 100.0 * sum(rates) / len(rates)
    out.controls = sum(strata[k].people for k in used)
    out.controls_key = sum(strata[k].key for k in used) % M
    return out


def _without(strata: dict[Key, Stratum], linked: Iterable[Person]) -> dict[Key, Stratum]:
    """The strata less every linked participant (each person once)."""
    out = {k: Stratum(v.people, v.moved, v.key) for k, v in strata.items()}
    for person in {p.person_id: p for p in linked}.values():
        cell = out[person.stratum]
        cell.people -= 1
        cell.moved -= int(person.moved)
        cell.key = (cell.key - person.k) % M
    return out


def _controls(
    key: Key, strata: dict[Key, Stratum], groups: dict[str, list[str]]
) -> list[tuple[Key, Stratum]]:
    """The stratum at the participant's provider; if empty, the same stratum across the
    smallest peer group holding the provider."""
    own = strata.get(key)
    if own is not None and own.people > 0:
        return [(key, own)]
    base, ukprn, rank, band, sex = key
    holding = [(len(m), name, m) for name, m in groups.items() if ukprn in m]
    peers = min(holding)[2] if holding else []
    keys: list[Key] = [(base, u, rank, band, sex) for u in peers]
    return [(k, strata[k]) for k in keys if k in strata and strata[k].people > 0]
