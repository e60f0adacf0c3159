"""Ingest HESA Staff returns: read (XML and CSV) -> validate -> pseudonymise -> atomic
Parquet snapshot per provider and year -> catalogue row. Errors mean nothing is written,
not even the data folder, the catalogue database or the pseudonym key.

DuckDB runs locked down: no extension is installed or loaded, it may read only the input
CSV files and write only this ingest's temporary folder, and its configuration is locked
before any input is read. Every path is a bound parameter."""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from techforce import audit, errors
from techforce.db import Database
from techforce.disclosure import KEY_MODULUS
from techforce.settings import Settings
from techforce.workforce import codes, events, readers, store
from techforce.workforce.definitions import Definition
from techforce.workforce.models import Provider, Snapshot
from techforce.workforce.problems import InputError, Problem
from techforce.workforce.validate import Validation, validate, year_sql

Progress = Callable[[int], None]

SNAPSHOT_COLUMNS = """
    ukprn VARCHAR, year INTEGER, person_id VARCHAR, record_key UBIGINT, own_id VARCHAR, contract_id VARCHAR, age INTEGER,
    sex VARCHAR, ethnic VARCHAR, disable VARCHAR, terms VARCHAR, mode VARCHAR,
    acempfun VARCHAR, levels VARCHAR, confte DOUBLE, startcon DATE, endcon DATE,
    salref DOUBLE, spoint VARCHAR, soc_scheme VARCHAR, soc VARCHAR, cost_centre VARCHAR,
    ccprop DOUBLE, in_census BOOLEAN, fte DOUBLE, fpe DOUBLE
"""


@dataclass
class IngestedSnapshot:
    ukprn: str
    year: int
    persons: int
    contracts: int
    activities: int
    returned_non_academic: bool
    replaced: bool


@dataclass
class IngestResult:
    snapshots: list[IngestedSnapshot] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0  # every row that breaks a warning rule (warnings lists the first)


DatabaseSource = Database | Callable[[], Database]


def discover(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split the given files and folders (searched recursively) into XML and CSV files."""
    xml: list[Path] = []
    csv: list[Path] = []
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise InputError(
            [
                Problem(
                    rule="file.missing", file=str(p), message="no such file or folder", fix="check the path"
                )
                for p in missing
            ]
        )
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            suffix = f.suffix.lower()
            if suffix == ".xml":
                xml.append(f)
            elif suffix == ".csv":
                csv.append(f)
            elif not path.is_dir():
                raise InputError(
                    [
                        Problem(
                            rule="file.type",
                            file=str(f),
                            message="not an .xml or .csv file",
                            fix="give HESA Staff XML files or data-supply CSV tables",
                        )
                    ]
                )
    if not xml and not csv:
        raise InputError(
            [
                Problem(
                    rule="file.none",
                    file=", ".join(map(str, paths)),
                    message="no .xml or .csv files found",
                    fix="point at the return's files",
                )
            ]
        )
    return xml, csv


def load(
    con: duckdb.DuckDBPyConnection,
    xml: list[Path],
    csv_sets: list[readers.CsvSet],
    warnings: list[Problem],
    on_progress: Progress | None = None,
) -> None:
    readers.create_raw_tables(con)
    for path in xml:
        readers.load_xml(con, path, warnings, on_progress)
    if csv_sets:
        readers.load_csv_sets(con, csv_sets, warnings, on_progress)


def snapshot_query(con: duckdb.DuckDBPyConnection, key: bytes, year_override: int | None) -> str:
    """The typed, pseudonymised, activity-level table with HESA derived fields:
    1 December census membership (XPOPC01), FTE (XSFTE01) and FPE (XSFPE01).

    person_id is HMAC-SHA256(key, STAFFID), once per person; contract_id hashes person_id
    with CONTID, so it is as unlinkable to the real ids as person_id at half the cost.
    own_id is store.own_pseudonym of the provider's own staff id (OWNSTAFFID): what a
    programme participant who consents gives, to link their development to their record."""
    con.execute(store.hmac_sql_macro(key))
    return f"""
    WITH p AS (
      SELECT _set, PERSONKEY, UKPRN AS ukprn, {year_sql(year_override)} AS year,
             pseudonym(STAFFID) AS person_id,
             CAST('0x' || substr(pseudonym('record-key/' || STAFFID), 1, 8) AS UBIGINT) AS record_key,
             CASE WHEN coalesce(OWNSTAFFID, '') <> ''
                  THEN pseudonym('own/' || UKPRN || '/' || OWNSTAFFID) END AS own_id,
             CAST(strptime(BIRTHDTE, '%Y-%m-%d') AS DATE) AS birth, SEXID, ETHNIC, DISABLE
      FROM person_raw),
    c AS (
      SELECT _set, PERSONKEY, CONTRACTKEY, CONTID, TERMS, MOEMP, ACEMPFUN, LEVELS,
             CAST(CONFTE AS DOUBLE) AS confte,
             CAST(TRY_STRPTIME(STARTCON, '%Y-%m-%d') AS DATE) AS startcon,
             CAST(TRY_STRPTIME(ENDCON, '%Y-%m-%d') AS DATE) AS endcon,
             TRY_CAST(SALREF AS DOUBLE) AS salref, SPOINT
      FROM contract_raw),
    j AS (
      SELECT p.ukprn, p.year, p.person_id, p.record_key, p.own_id,
             substr(sha256(p.person_id || '/' || c.CONTID), 1, 32) AS contract_id,
             CAST(p.year - year(p.birth) - CASE WHEN month(p.birth) > 8 THEN 1 ELSE 0 END
                  AS INTEGER) AS age,
             p.SEXID AS sex, p.ETHNIC AS ethnic, p.DISABLE AS disable,
             c.TERMS AS terms, c.MOEMP AS mode, c.ACEMPFUN AS acempfun, c.LEVELS AS levels,
             c.confte, c.startcon, c.endcon, c.salref, c.SPOINT AS spoint,
             CASE WHEN (p.year >= 2023 AND a.ACTSOC2020 IS NOT NULL) OR a.ACTSOC IS NULL
                  THEN 'SOC2020' ELSE 'SOC2010' END AS soc_scheme,
             CASE WHEN (p.year >= 2023 AND a.ACTSOC2020 IS NOT NULL) OR a.ACTSOC IS NULL
                  THEN a.ACTSOC2020 ELSE a.ACTSOC END AS soc,
             a.CCENTRE AS cost_centre, CAST(a.CCPROP AS DOUBLE) AS ccprop,
             (c.TERMS IN ('1', '2') AND c.MOEMP <> '6' AND c.confte > 0
              AND (c.startcon IS NULL OR c.startcon <= make_date(p.year, 12, 1))
              AND (c.endcon IS NULL OR c.endcon >= make_date(p.year, 12, 1))) AS in_census
      FROM activity_raw a
      JOIN c ON c._set = a._set AND c.CONTRACTKEY = a.CONTRACTKEY
      JOIN p ON p._set = c._set AND p.PERSONKEY = c.PERSONKEY)
    SELECT * EXCLUDE (in_census), in_census,
           ccprop / 100 * confte / 100 AS fte,
           CASE WHEN in_census THEN (ccprop * confte) / sum(ccprop * confte)
                FILTER (WHERE in_census) OVER (PARTITION BY ukprn, year, person_id) END AS fpe
    FROM j
    """


def _provider_years(
    con: duckdb.DuckDBPyConnection, year_override: int | None
) -> list[tuple[str, int, list[str]]]:
    rows = con.execute(
        "SELECT UKPRN, year, list(DISTINCT _set ORDER BY _set) FROM "
        f"(SELECT UKPRN, {year_sql(year_override)} AS year, _set FROM person_raw) "
        "GROUP BY UKPRN, year ORDER BY UKPRN, year"
    ).fetchall()
    clashes = [
        Problem(
            rule="ingest.provider_year.twice",
            file=sets[1],
            field="UKPRN",
            value=ukprn,
            message=f"provider {ukprn} {year} is supplied by more than one return in this call (also {sets[0]})",
            fix="ingest one return per provider and year",
        )
        for ukprn, year, sets in rows
        if len(sets) > 1
    ]
    if clashes:
        raise InputError(clashes)
    return [(str(u), int(y), list(s)) for u, y, s in rows]


def _empty_returns(con: duckdb.DuckDBPyConnection, set_files: dict[str, list[Path]]) -> list[Problem]:
    """A return (XML file or CSV folder) with no people: nothing to store, so refuse it."""
    people = dict(con.execute("SELECT _set, count(*) FROM person_raw GROUP BY _set").fetchall())
    return [
        Problem(
            rule="ingest.no_people",
            file=str(files[0]),
            message="the return holds no people (no PERSON rows, or no <Person> elements)",
            fix="export the return again with its staff; a Staff return lists at least one person",
        )
        for name, files in set_files.items()
        if not people.get(name)
    ]


def _check_scope(provider_years: list[tuple[str, int, list[str]]], allowed: frozenset[str] | None) -> None:
    if allowed is None:
        return
    outside = [
        Problem(
            rule="ingest.provider.scope",
            file=sets[0],
            field="UKPRN",
            value=ukprn,
            message=f"provider {ukprn} is not one of the providers you may upload for "
            f"({', '.join(sorted(allowed)) or 'none'})",
            fix="upload only your own provider's return, or ask an administrator",
        )
        for ukprn, _year, sets in provider_years
        if ukprn not in allowed
    ]
    if outside:
        raise InputError(outside)


def _summaries(
    con: duckdb.DuckDBPyConnection, written: Path
) -> dict[tuple[str, int], tuple[int, int, int, bool]]:
    """Per provider-year, from the files just written: persons, contracts, activities, and
    whether non-academic staff were returned (any contract with ACEMPFUN 4 or blank)."""
    rows = con.execute(
        "SELECT ukprn, year, count(DISTINCT person_id), count(DISTINCT contract_id), count(*), "
        "bool_or(acempfun IS NULL OR acempfun = '4') "
        "FROM read_parquet(?, hive_partitioning = false) GROUP BY ALL",
        [f"{written}/**/*.parquet"],
    ).fetchall()
    return {(u, y): (p, c, a, bool(flag)) for u, y, p, c, a, flag in rows}


def _set_files(xml: list[Path], csv_sets: list[readers.CsvSet]) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {str(p): [p] for p in xml}
    for s in csv_sets:
        files[str(s.folder)] = [s.person, s.contract, s.activity]
    return files


def ingest(
    settings: Settings,
    db: DatabaseSource,
    paths: list[Path],
    *,
    year: int | None = None,
    non_academic: bool | None = None,
    on_progress: Progress | None = None,
    strict: bool = False,
    allowed_ukprns: frozenset[str] | None = None,
    multi_provider: bool = False,
    expect: Mapping[tuple[str, int], str | None] | None = None,
) -> IngestResult:
    """Validate and store every return found under ``paths``. All or nothing: any error
    raises InputError and leaves the store exactly as it was (a refused ingest into a new
    data folder creates nothing). ``db`` may be a function that opens the catalogue, called
    only once the input is valid. ``allowed_ukprns`` limits the providers the caller may
    write (a provider lead uploading their own return). A return is one provider's data for
    one year unless ``multi_provider`` says the input is a multi-provider data supply.

    ``expect``, when given, is the snapshot each provider-year must hold now (its id; None or
    absent: none yet), as a preview showed it: ``{}`` ingests only new provider-years. When the
    catalogue holds something else, SnapshotChanged is raised before anything is written
    (checked again in the commit's transaction, so a parallel ingest cannot slip between)."""
    xml, csv = discover(paths)
    csv_sets = readers.group_csv_sets(csv) if csv else []
    set_files = _set_files(xml, csv_sets)
    tmp_dir = Path(os.path.abspath(settings.snapshot_dir)) / f".tmp-{uuid.uuid4().hex}"
    result = IngestResult()
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashes = pool.submit(lambda: {str(p): store.sha256_file(p) for p in xml + csv})
        con = readers.locked_connection([str(p) for p in csv], f"{tmp_dir}{os.sep}")
        try:
            provider_years = _checked(
                con,
                xml,
                csv_sets,
                set_files,
                result,
                year=year,
                on_progress=on_progress,
                strict=strict,
                allowed_ukprns=allowed_ukprns,
                multi_provider=multi_provider,
            )
            store.private_dir(settings.data_dir)
            database = db() if callable(db) else db
            if expect is not None:
                with database.session() as session:
                    _check_expected(session, provider_years, expect)
            key = store.load_or_create_key(settings.key_file)
            query = snapshot_query(con, key, year)
            file_hashes = hashes.result()
            _write(
                settings,
                database,
                con,
                query,
                tmp_dir,
                provider_years,
                set_files,
                file_hashes,
                non_academic,
                result,
                xml_sets={str(p) for p in xml},
                expect=expect,
            )
        finally:
            con.close()
    return result


def _checked(
    con: duckdb.DuckDBPyConnection,
    xml: list[Path],
    csv_sets: list[readers.CsvSet],
    set_files: dict[str, list[Path]],
    result: IngestResult,
    *,
    year: int | None,
    on_progress: Progress | None,
    strict: bool,
    allowed_ukprns: frozenset[str] | None,
    multi_provider: bool,
) -> list[tuple[str, int, list[str]]]:
    """Load and validate the returns; raise InputError on any error (or warning, when
    ``strict``) and for providers outside ``allowed_ukprns``. Returns the provider-years."""
    load(con, xml, csv_sets, result.warnings, on_progress)
    found = validate(con, year, multi_provider=multi_provider)
    found.extend(_empty_returns(con, set_files) + result.warnings)
    _refuse_or_keep(found, result, strict=strict)
    provider_years = _provider_years(con, year)
    _check_scope(provider_years, allowed_ukprns)
    return provider_years


class SnapshotChanged(errors.Refused):
    """The catalogue does not hold the snapshots the caller expected (what a preview showed,
    or nothing for an upload that may only add): nothing was written."""

    status = 409

    def __init__(self, message: str, provider_years: list[tuple[str, int]]) -> None:
        super().__init__(message)
        self.provider_years = provider_years


def _check_expected(
    session: Session,
    provider_years: list[tuple[str, int, list[str]]],
    expect: Mapping[tuple[str, int], str | None],
) -> None:
    current = _current(session, [(u, y) for u, y, _ in provider_years])
    changed = [
        (u, y)
        for u, y, _ in provider_years
        if (current[(u, y)].id if (u, y) in current else None) != expect.get((u, y))
    ]
    if changed:
        listed = ", ".join(f"{u} {codes.year_label(y)}" for u, y in changed)
        raise SnapshotChanged(
            f"the store holds another return than expected for {listed} "
            "(a snapshot would be replaced, or was replaced meanwhile); nothing was written: "
            "check what will change, then confirm",
            changed,
        )


def _current(session: Session, provider_years: list[tuple[str, int]]) -> dict[tuple[str, int], Snapshot]:
    """The catalogued snapshots of these provider-years."""
    wanted = set(provider_years)
    rows = session.scalars(select(Snapshot).where(Snapshot.ukprn.in_(sorted({u for u, _ in wanted}))))
    return {(s.ukprn, s.year): s for s in rows if (s.ukprn, s.year) in wanted}


@dataclass
class HeldSnapshot:
    """The snapshot a provider-year holds now: its id and exact counts, and the cell keys
    that perturb its counts for anyone who may not see them exact (disclosure.py): the sum
    of the record keys of its people, and of the holders of its contracts (one per contract)."""

    id: str
    persons: int
    contracts: int
    technical: int  # technical headcount, 1 December population, under the preview's definition
    persons_key: int = 0
    contracts_key: int = 0


@dataclass
class ProviderYearChange:
    """What an ingest would store for one provider-year, and what it holds now (None: new)."""

    ukprn: str
    year: int
    persons: int
    contracts: int
    technical: int
    current: HeldSnapshot | None


@dataclass
class Preview:
    """What ingesting the returns would change, found without writing anything."""

    changes: list[ProviderYearChange]
    definition: str  # the stamp of the definition the technical headcounts use
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0

    @property
    def replaces(self) -> list[ProviderYearChange]:
        return [c for c in self.changes if c.current is not None]

    def expected(self) -> dict[tuple[str, int], str | None]:
        """The snapshots this preview saw, for ingest(expect=...)."""
        return {(c.ukprn, c.year): c.current.id if c.current else None for c in self.changes}


def _counts_sql(source: str, definition: Definition) -> str:
    """Persons, contracts and technical headcount (people with a technical activity in the
    1 December population, as the tech.headcount indicator counts them) per provider-year."""
    return (
        "SELECT ukprn, year, count(DISTINCT person_id), count(DISTINCT contract_id), "
        f"count(DISTINCT person_id) FILTER (WHERE {definition.technical_sql()} AND in_census) "
        f"FROM {source} GROUP BY ALL"
    )


def preview(
    settings: Settings,
    db: Database,
    paths: list[Path],
    *,
    definition: Definition,
    year: int | None = None,
    strict: bool = False,
    allowed_ukprns: frozenset[str] | None = None,
    multi_provider: bool = False,
) -> Preview:
    """Validate the returns under ``paths`` exactly as ingest() does (raising InputError
    the same way) and say what ingesting them would change: per provider-year the persons,
    contracts and technical headcount it would hold, and those of the snapshot it would
    replace. Writes nothing: no snapshot, catalogue row, audit event or pseudonym key (the
    counts use a throwaway key; distinct counts do not depend on it)."""
    xml, csv = discover(paths)
    csv_sets = readers.group_csv_sets(csv) if csv else []
    set_files = _set_files(xml, csv_sets)
    result = IngestResult()
    con = readers.locked_connection([str(p) for p in csv])
    try:
        provider_years = _checked(
            con,
            xml,
            csv_sets,
            set_files,
            result,
            year=year,
            on_progress=None,
            strict=strict,
            allowed_ukprns=allowed_ukprns,
            multi_provider=multi_provider,
        )
        query = snapshot_query(con, secrets.token_bytes(32), year)
        after = {
            (u, y): (p, c, t)
            for u, y, p, c, t in con.execute(_counts_sql(f"({query})", definition)).fetchall()
        }
    finally:
        con.close()
    with db.session() as session:
        current = _current(session, [(u, y) for u, y, _ in provider_years])
    changes = []
    for ukprn, year_, _sets in provider_years:
        persons, contracts, technical = after.get((ukprn, year_), (0, 0, 0))
        held = current.get((ukprn, year_))
        changes.append(
            ProviderYearChange(
                ukprn,
                year_,
                persons,
                contracts,
                technical,
                _held(settings, held, definition) if held is not None else None,
            )
        )
    return Preview(changes, definition.stamp, result.warnings, result.warning_count)


def _keys_sql(source: str) -> str:
    """The cell keys of a snapshot's persons count (the sum of its people's record keys, as
    indicators.py keys a cell of people) and contracts count (the sum, over its contracts, of
    the holder's record key), modulo KEY_MODULUS."""
    key = f"coalesce(record_key, hash(person_id) % {KEY_MODULUS})"
    return f"""
    WITH rows AS (SELECT person_id, contract_id, {key} AS k FROM {source}),
    people AS (SELECT any_value(k) AS k FROM rows WHERE person_id IS NOT NULL GROUP BY person_id),
    held AS (SELECT any_value(k) AS k FROM rows WHERE contract_id IS NOT NULL GROUP BY contract_id)
    SELECT CAST(coalesce((SELECT sum(k) FROM people), 0) % {KEY_MODULUS} AS UBIGINT),
           CAST(coalesce((SELECT sum(k) FROM held), 0) % {KEY_MODULUS} AS UBIGINT)"""


def _held(settings: Settings, snapshot: Snapshot, definition: Definition) -> HeldSnapshot:
    """The counts of a catalogued snapshot (its technical headcount and cell keys read from
    its file)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    path = [str(settings.data_dir / snapshot.path)]
    try:
        con.execute("SET enable_progress_bar = false")
        row = con.execute(_counts_sql("read_parquet(?)", definition), path).fetchone()
        keys = con.execute(_keys_sql("read_parquet(?)"), path).fetchone()
    finally:
        con.close()
    technical = int(row[4]) if row else 0
    persons_key, contracts_key = (int(keys[0]), int(keys[1])) if keys else (0, 0)
    return HeldSnapshot(
        snapshot.id, snapshot.persons, snapshot.contracts, technical, persons_key, contracts_key
    )


def _refuse_or_keep(found: Validation, result: IngestResult, *, strict: bool) -> None:
    """Raise InputError (with the true error count) on any error, or on any warning when
    ``strict``; otherwise keep the warnings in the result."""
    problems = found.ordered()
    result.warnings = [p for p in problems if p.severity == "warning"]
    result.warning_count = found.count("warning")
    if found.count("error") or (strict and result.warning_count):
        raise InputError(problems, error_count=found.count("error"), listed_errors=found.listed("error"))


def _write(
    settings: Settings,
    db: Database,
    con: duckdb.DuckDBPyConnection,
    query: str,
    tmp_dir: Path,
    provider_years: list[tuple[str, int, list[str]]],
    set_files: dict[str, list[Path]],
    file_hashes: dict[str, str],
    non_academic: bool | None,
    result: IngestResult,
    *,
    xml_sets: set[str],
    expect: Mapping[tuple[str, int], str | None] | None = None,
) -> None:
    with store.store_lock(settings):
        with db.session() as session:
            store.collect_garbage(session, settings)
        store.private_dir(settings.snapshot_dir)
        tmp_dir.mkdir(mode=0o700)
        staged: list[tuple[str, int, list[str], str, Path]] = []
        try:
            parts_dir = tmp_dir / "parts"
            con.execute(
                f"COPY ({query}) TO ? (FORMAT parquet, PARTITION_BY (ukprn, year), "
                "WRITE_PARTITION_COLUMNS true)",
                [str(parts_dir)],
            )
            summaries = _summaries(con, parts_dir)
            for ukprn, year, sets in provider_years:
                snapshot_id = str(uuid.uuid4())
                parts = sorted((parts_dir / f"ukprn={ukprn}" / f"year={year}").glob("*.parquet"))
                final = settings.snapshot_dir / str(year) / ukprn / f"{snapshot_id}.parquet"
                if len(parts) > 1:  # large partitions may be split; merge to one immutable file
                    merged = tmp_dir / f"{snapshot_id}.parquet"
                    con.execute(
                        "COPY (SELECT * FROM read_parquet(?)) TO ? (FORMAT parquet)",
                        [[str(p) for p in parts], str(merged)],
                    )
                    parts = [merged]
                store.publish(parts[0], final)
                staged.append((ukprn, year, sets, snapshot_id, final))
            replaced = _commit(
                settings,
                db,
                staged,
                set_files,
                file_hashes,
                summaries,
                non_academic,
                result,
                xml_sets,
                expect,
            )
        except BaseException:
            for *_, final in staged:
                final.unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        for path in replaced:  # no longer referenced once the catalogue commit is done
            (settings.data_dir / path).unlink(missing_ok=True)


def _commit(
    settings: Settings,
    db: Database,
    staged: list[tuple[str, int, list[str], str, Path]],
    set_files: dict[str, list[Path]],
    file_hashes: dict[str, str],
    summaries: dict[tuple[str, int], tuple[int, int, int, bool]],
    non_academic: bool | None,
    result: IngestResult,
    xml_sets: set[str],
    expect: Mapping[tuple[str, int], str | None] | None = None,
) -> list[str]:
    """Replace the catalogue rows of every staged snapshot in one transaction; returns the
    paths of the replaced files."""
    replaced: list[str] = []
    with db.session() as session:
        if expect is not None:
            _check_expected(session, [(u, y, sets) for u, y, sets, *_ in staged], expect)
        existing = {
            (s.ukprn, s.year): s
            for s in session.scalars(select(Snapshot).where(Snapshot.ukprn.in_([u for u, *_ in staged])))
        }
        known = set(session.scalars(select(Provider.ukprn)))
        for ukprn, year, sets, snapshot_id, final in staged:
            persons, contracts, activities, detected = summaries[(ukprn, year)]
            returned = detected if non_academic is None else non_academic
            sources = [
                {"path": str(f), "sha256": file_hashes[str(f)], "bytes": f.stat().st_size}
                for s in sets
                for f in set_files[s]
            ]
            old = existing.get((ukprn, year))
            if old is not None:
                replaced.append(old.path)
                session.delete(old)
                session.flush()
            if ukprn not in known:
                session.add(Provider(ukprn=ukprn))
                known.add(ukprn)
            session.add(
                Snapshot(
                    id=snapshot_id,
                    ukprn=ukprn,
                    year=year,
                    path=str(final.relative_to(settings.data_dir)),
                    parquet_sha256=store.sha256_file(final),
                    source_format="xml" if all(s in xml_sets for s in sets) else "csv",
                    source_files=sources,
                    persons=persons,
                    contracts=contracts,
                    activities=activities,
                    returned_non_academic=returned,
                    non_academic_basis="detected" if non_academic is None else "declared",
                    warnings=result.warning_count,
                    ingested_by=settings.user,
                )
            )
            audit.record(
                session,
                actor=settings.user,
                action=events.SNAPSHOT_REPLACE if old else events.SNAPSHOT_ADD,
                target=f"{ukprn}/{year}",
                payload={"snapshot": snapshot_id, "sources": sources, "replaced": old.id if old else None},
            )
            result.snapshots.append(
                IngestedSnapshot(ukprn, year, persons, contracts, activities, returned, old is not None)
            )
    return replaced
