"""HESA open-data style tables: published, rounded aggregates (CC BY 4.0), so that a
provider without other providers' microdata can still benchmark against published figures.

Real files have a BOM, metadata lines (title, data source, canonical link, licence) above
the header row (which starts with ``UKPRN``), long format with category columns whose
spelling varies (``HE provider``/``HE Provider``, ``Academic year``/``Academic Year``),
``All``/``Total`` roll-up rows on every dimension, numbers with thousands separators, and
blank non-academic figures for providers that opted out."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from techforce import audit, errors
from techforce.disclosure import round_count
from techforce.settings import Settings
from techforce.workforce import codes, events, store
from techforce.workforce.models import AggregateTable
from techforce.workforce.problems import InputError, Problem

CANONICAL = {
    "ukprn": "UKPRN",
    "he provider": "HE provider",
    "academic year": "Academic year",
    "number": "Number",
    "country of he provider": "Country of HE provider",
    "region of he provider": "Region of HE provider",
}
IDENTITY = ("UKPRN", "HE provider", "Country of HE provider", "Region of HE provider", "Academic year")


def _err(
    path: Path, line: int | None, rule: str, message: str, fix: str, fieldname: str = "", value: str = ""
) -> InputError:
    return InputError(
        [
            Problem(
                rule=rule, file=str(path), line=line, field=fieldname, value=value, message=message, fix=fix
            )
        ]
    )


def is_rollup(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in ("all", "total") or lowered.startswith("total ")


@dataclass
class OpenDataTable:
    title: str
    metadata: list[str]
    columns: list[str]
    categories: list[str]
    rows: list[dict[str, Any]]


def read_open_data(path: Path) -> OpenDataTable:
    raw = path.read_bytes()
    if not raw.strip():
        raise _err(path, None, "file.empty", "the file is empty", "download the table again")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _err(
            path,
            line,
            "file.encoding",
            "the file is not UTF-8 text",
            "download the CSV again from HESA, or save it as CSV UTF-8",
        ) from None
    lines = text.splitlines()
    header_at = next((i for i, ln in enumerate(lines) if ln.lstrip('"').upper().startswith("UKPRN")), None)
    if header_at is None:
        raise _err(
            path,
            None,
            "opendata.header",
            "no header row starting with UKPRN was found",
            "use a HESA open-data table (its header row starts with UKPRN)",
        )
    metadata = [ln.strip().strip('"').strip(",") for ln in lines[:header_at] if ln.strip(' ,"')]
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])))
    header = [CANONICAL.get(h.strip().lower(), h.strip()) for h in next(reader)]
    if "Number" not in header:
        raise _err(
            path,
            header_at + 1,
            "opendata.number",
            "the header has no Number column",
            "use the table's long-format CSV (with a Number column)",
            "Number",
        )
    categories = [h for h in header if h not in IDENTITY and h != "Number"]
    rows = []
    for offset, cells in enumerate(reader, start=header_at + 2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise _err(
                path,
                offset,
                "opendata.columns",
                f"the row has {len(cells)} cells but the header has {len(header)}",
                "check the row for a stray comma or an unquoted thousands separator",
            )
        row: dict[str, Any] = dict(zip(header, (c.strip() for c in cells), strict=True))
        number = row["Number"].replace(",", "")
        if number in ("", ".."):
            row["Number"] = None
        else:
            try:
                row["Number"] = float(number)
            except ValueError:
                raise _err(
                    path,
                    offset,
                    "opendata.number",
                    "Number is not a number",
                    "fix the value (digits, optional thousands separators)",
                    "Number",
                    row["Number"],
                ) from None
        row["rollup"] = any(is_rollup(str(row[c])) for c in categories)
        rows.append(row)
    return OpenDataTable(metadata[0] if metadata else path.stem, metadata, header, categories, rows)


def load(session: Session, settings: Settings, path: Path, *, name: str | None = None) -> AggregateTable:
    """Normalise an open-data table to Parquet (atomically) and catalogue it."""
    table = read_open_data(path)
    name = name or path.stem
    arrow = pa.table(
        {
            **{c: [str(r.get(c, "")) for r in table.rows] for c in table.columns if c != "Number"},
            "Number": pa.array([r["Number"] for r in table.rows], pa.float64()),
            "rollup": [r["rollup"] for r in table.rows],
        }
    )
    folder = settings.data_dir / "aggregates"
    folder.mkdir(parents=True, exist_ok=True)
    table_id = str(uuid.uuid4())
    tmp, final = folder / f".tmp-{table_id}.parquet", folder / f"{table_id}.parquet"
    with store.store_lock(settings):
        pq.write_table(arrow, tmp)
        store.publish(tmp, final)
        old = session.scalar(select(AggregateTable).where(AggregateTable.name == name))
        if old is not None:
            session.delete(old)
            session.flush()
        row = AggregateTable(
            id=table_id,
            name=name,
            title=table.title,
            source_file=str(path),
            source_sha256=store.sha256_file(path),
            path=str(final.relative_to(settings.data_dir)),
            rows=len(table.rows),
            metadata_lines=table.metadata,
            loaded_by=settings.user,
        )
        session.add(row)
        audit.record(
            session,
            actor=settings.user,
            action=events.AGGREGATE_LOAD,
            target=name,
            payload={"file": str(path), "rows": len(table.rows)},
        )
    return row


def totals(session: Session, settings: Settings, name: str, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Per-provider totals for the filtered categories, never double counting roll-ups:
    an unfiltered dimension uses its All/Total row where the table has one."""
    meta = session.scalar(select(AggregateTable).where(AggregateTable.name == name))
    if meta is None:
        raise errors.NotFound(
            f"no aggregate table {name!r}; load one with `techforce workforce aggregates load`"
        )
    con = duckdb.connect()
    path = str(settings.data_dir / meta.path)
    columns = [d[0] for d in con.execute(f"SELECT * FROM read_parquet('{path}') LIMIT 0").description]
    unknown = [f for f in filters if f not in columns]
    if unknown:
        raise errors.NotFound(f"no column(s) {unknown} in {name}; columns: {', '.join(columns)}")
    where = [f'"{c}" = ?' for c in filters]
    params: list[Any] = list(filters.values())
    categories = [c for c in columns if c not in IDENTITY and c not in ("Number", "rollup")]
    for c in categories:
        if c in filters:
            continue
        has_rollup = con.execute(
            f"SELECT bool_or(lower(\"{c}\") IN ('all', 'total') OR lower(\"{c}\") LIKE 'total %') "
            f"FROM read_parquet('{path}')"
        ).fetchone()
        if has_rollup and has_rollup[0]:
            where.append(f"(lower(\"{c}\") IN ('all', 'total') OR lower(\"{c}\") LIKE 'total %')")
    clause = " AND ".join(where) or "true"
    rows = con.execute(
        f'SELECT UKPRN, any_value("HE provider"), "Academic year", sum("Number"), count("Number") '
        f"FROM read_parquet('{path}') WHERE {clause} GROUP BY ALL ORDER BY 1, 3",
        params,
    ).fetchall()
    con.close()
    return [{"ukprn": u, "provider": p, "year": y, "number": n if k else None} for u, p, y, n, k in rows]


# --------------------------------------------------------------------------- synthetic


def write_open_data(sector: Any, out: Path, year: int) -> Path:
    """A 'staff by occupation' open-data table derived from a synthetic sector (FPE of the
    1 December population, HESA-rounded, with roll-ups and metadata lines)."""
    from techforce.workforce.synth_output import activity_frame

    f = activity_frame(sector, year)
    academic = np.isin(f["acempfun"], codes.ACADEMIC_ACEMPFUN)
    major = f["soc"].astype("U1")
    part_time = np.isin(f["mode"], ["3", "4"])
    records = []
    label = codes.year_label(year)
    for i, info in enumerate(sector.providers):
        mine = (f["prov"] == i) & f["in_census"]
        for marker, sel in (("Academic", academic), ("Non-academic", ~academic)):
            blank = marker == "Non-academic" and not info.returns_non_academic
            for mode, msel in (("Full-time", ~part_time), ("Part-time", part_time), ("All", None)):
                base = mine & sel & (msel if msel is not None else True)
                for digit, soc_label in [*codes.SOC_MAJOR.items(), ("*", f"Total {marker.lower()} staff")]:
                    cell = base if digit == "*" else base & (major == digit)
                    value = "" if blank else f"{round_count(float(f['fpe'][cell].sum())):,}"
                    records.append(
                        [
                            info.ukprn,
                            info.name,
                            info.nation,
                            info.region,
                            marker,
                            mode,
                            soc_label,
                            label,
                            value,
                        ]
                    )
    path = out / "open-data" / f"staff_by_occupation_{year}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        handle.write(f'"Table 1 - HE staff by activity standard occupational classification {label}"\n')
        handle.write('"Data source: HESA (synthetic sector generated by techforce)"\n')
        handle.write('"Licence: Creative Commons Attribution 4.0 International"\n\n')
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            [
                "UKPRN",
                "HE Provider",
                "Country of HE provider",
                "Region of HE provider",
                "Academic marker",
                "Mode of employment",
                "Activity standard occupational classification",
                "Academic Year",
                "Number",
            ]
        )
        writer.writerows(records)
    return path
