"""Write a synthetic sector to disk in both real shapes (submission XML, data-supply CSV),
with provider metadata, peer groups, a HESA open-data style table, and compute the
generator's truth (the headline indicators, in NumPy) for the property tests."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from techforce.workforce import codes
from techforce.workforce.definitions import Definition
from techforce.workforce.synth import Sector, YearData, soc_for_year, staffid

Progress = Callable[[int], None]


def _date_strings(values: np.ndarray) -> np.ndarray:
    text: np.ndarray = np.datetime_as_string(values, unit="D").astype(object)
    text[np.isnat(values)] = None
    return text


def _blank_to_none(values: np.ndarray) -> list[Any]:
    return [None if v == "" else v for v in values.tolist()]


def _fmt_num(values: np.ndarray) -> np.ndarray:
    return np.char.mod("%.1f", values.astype(float))


def _tables(sector: Sector, data: YearData) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Data-supply shaped tables for the whole year, sorted by provider."""
    p, c, a = data.persons, data.contracts, data.activities
    ukprns = np.array([i.ukprn for i in sector.providers])
    person = pa.table(
        {
            "UKPRN": ukprns[p["prov"]],
            "RECID": np.full(len(p["pid"]), codes.recid_for(data.year)),
            "PERSONKEY": np.char.add("P", p["pid"].astype(str)),
            "STAFFID": staffid(p["pid"]),
            "OWNSTAFFID": np.char.add("E", p["pid"].astype(str)),
            "BIRTHDTE": np.datetime_as_string(p["birth"], unit="D"),
            "SEXID": p["sex"],
            "ETHNIC": p["ethnic"],
            "DISABLE": p["disable"],
            "_prov": p["prov"],
        }
    )
    contract = pa.table(
        {
            "CONTRACTKEY": np.char.add("C", c["cid"].astype(str)),
            "PERSONKEY": np.char.add("P", c["pid"].astype(str)),
            "CONTID": np.char.add("K", c["cid"].astype(str)),
            "TERMS": c["terms"].astype(str),
            "MOEMP": c["mode"].astype(str),
            "ACEMPFUN": _blank_to_none(c["acempfun"]),
            "LEVELS": _blank_to_none(c["levels"]),
            "CONFTE": _fmt_num(c["confte"]),
            "STARTCON": _date_strings(c["start"]),
            "ENDCON": _date_strings(c["end"]),
            "SALREF": c["salref"].astype(int),
            "_prov": c["prov"],
        }
    )
    soc_field = "ACTSOC2020" if data.year >= codes.FIRST_SOC2020_YEAR else "ACTSOC"
    activity = pa.table(
        {
            "ACTIVITYKEY": np.char.add("A", np.arange(len(a["cid"])).astype(str)),
            "CONTRACTKEY": np.char.add("C", a["cid"].astype(str)),
            soc_field: soc_for_year(a["soc"], data.year).astype(str),
            "CCENTRE": a["ccentre"].astype(str),
            "CCPROP": _fmt_num(a["ccprop"]),
            "_prov": a["prov"],
        }
    )
    return person.sort_by("_prov"), contract.sort_by("_prov"), activity.sort_by("_prov")


def _slices(table: pa.Table, n: int) -> list[tuple[int, int]]:
    prov = table.column("_prov").to_numpy()
    bounds = np.searchsorted(prov, np.arange(n + 1))
    return [(int(bounds[i]), int(bounds[i + 1])) for i in range(n)]


def write_csv(sector: Sector, out: Path, year: int, on_provider: Progress | None = None) -> list[Path]:
    """One folder per provider with PERSON.csv, CONTRACT.csv and ACTIVITY.csv."""
    tables = _tables(sector, sector.years[year])
    spans = [_slices(t, len(sector.providers)) for t in tables]
    options = pacsv.WriteOptions(quoting_style="needed")
    folders = []
    for i, info in enumerate(sector.providers):
        folder = out / str(year) / "csv" / info.ukprn
        folder.mkdir(parents=True, exist_ok=True)
        for name, table, span in zip(("PERSON", "CONTRACT", "ACTIVITY"), tables, spans, strict=True):
            lo, hi = span[i]
            pacsv.write_csv(
                table.slice(lo, hi - lo).drop_columns(["_prov"]),
                folder / f"{name}.csv",
                write_options=options,
            )
        folders.append(folder)
        if on_provider:
            on_provider(1)
    return folders


def _xml_field(name: str, value: object) -> str:
    if value is None or value == "":
        return ""
    return f"<{name}>{escape(str(value))}</{name}>"


def write_xml(
    sector: Sector, out: Path, year: int, on_provider: Progress | None = None, ukprns: set[str] | None = None
) -> list[Path]:
    """One submission XML per provider: StaffRecord > Institution > Person > Contract > Activity."""
    person, contract, activity = (t.to_pydict() for t in _tables(sector, sector.years[year]))
    soc_field = "ACTSOC2020" if "ACTSOC2020" in activity else "ACTSOC"
    acts_by_contract: dict[str, list[int]] = {}
    for j, key in enumerate(activity["CONTRACTKEY"]):
        acts_by_contract.setdefault(key, []).append(j)
    contracts_by_person: dict[str, list[int]] = {}
    for j, key in enumerate(contract["PERSONKEY"]):
        contracts_by_person.setdefault(key, []).append(j)
    folder = out / str(year) / "xml"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    by_provider: dict[str, list[int]] = {}
    for j, ukprn in enumerate(person["UKPRN"]):
        by_provider.setdefault(ukprn, []).append(j)
    for info in sector.providers:
        if ukprns is not None and info.ukprn not in ukprns:
            continue
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<StaffRecord>\n<Institution>',
            f"<RECID>{codes.recid_for(year)}</RECID><UKPRN>{info.ukprn}</UKPRN>\n",
        ]
        for j in by_provider.get(info.ukprn, []):
            parts.append(
                "<Person>"
                + "".join(
                    _xml_field(f, person[f][j])
                    for f in ("STAFFID", "OWNSTAFFID", "BIRTHDTE", "SEXID", "ETHNIC")
                )
            )
            parts.extend(_xml_field("DISABLE", d) for d in str(person["DISABLE"][j]).split(";"))
            for k in contracts_by_person.get(person["PERSONKEY"][j], []):
                parts.append(
                    "\n <Contract>"
                    + "".join(
                        _xml_field(f, contract[f][k])
                        for f in (
                            "CONTID",
                            "TERMS",
                            "MOEMP",
                            "ACEMPFUN",
                            "LEVELS",
                            "CONFTE",
                            "STARTCON",
                            "ENDCON",
                            "SALREF",
                        )
                    )
                )
                for m in acts_by_contract.get(contract["CONTRACTKEY"][k], []):
                    parts.append(
                        "<Activity>"
                        + "".join(_xml_field(f, activity[f][m]) for f in (soc_field, "CCENTRE", "CCPROP"))
                        + "</Activity>"
                    )
                parts.append("</Contract>")
            parts.append("</Person>\n")
        parts.append("</Institution>\n</StaffRecord>\n")
        path = folder / f"{info.ukprn}.xml"
        path.write_text("".join(parts), encoding="utf-8")
        paths.append(path)
        if on_provider:
            on_provider(1)
    return paths


def write_metadata(sector: Sector, out: Path) -> tuple[Path, Path]:
    """providers.csv (name, nation, region) and peer_groups.csv (group, ukprn)."""
    out.mkdir(parents=True, exist_ok=True)
    providers = out / "providers.csv"
    with providers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["UKPRN", "HE provider", "Country of HE provider", "Region of HE provider"])
        writer.writerows([p.ukprn, p.name, p.nation, p.region] for p in sector.providers)
    groups = out / "peer_groups.csv"
    with groups.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group", "UKPRN"])
        nations: dict[str, list[str]] = {}
        for p in sector.providers:
            nations.setdefault(p.nation, []).append(p.ukprn)
        writer.writerows([sector.consortium, p.ukprn] for p in sector.providers if p.in_consortium)
        # a peer group needs at least 5 providers (disclosure control): small nations are left out
        writer.writerows(
            [nation, u] for nation, ukprns in nations.items() if len(ukprns) >= 5 for u in ukprns
        )
    return providers, groups


# --------------------------------------------------------------------------- truth


def _census(data: YearData) -> np.ndarray:
    c = data.contracts
    census = np.datetime64(codes.census_date(data.year).isoformat())
    start_ok = np.isnat(c["start"]) | (c["start"] <= census)
    end_ok = np.isnat(c["end"]) | (c["end"] >= census)
    members: np.ndarray = np.isin(c["terms"], ["1", "2"]) & (c["mode"] != "6") & (c["confte"] > 0)
    members &= start_ok & end_ok
    return members


def activity_frame(sector: Sector, year: int) -> dict[str, np.ndarray]:
    """Per activity: provider, person, SOC, census membership, FPE and FTE (NumPy, no SQL)."""
    data = sector.years[year]
    c, a = data.contracts, data.activities
    idx = np.searchsorted(c["cid"], a["cid"])
    in_census = _census(data)[idx]
    weight = np.where(in_census, a["ccprop"] * c["confte"][idx], 0.0)
    pid = c["pid"][idx]
    _uniq, inverse = np.unique(pid, return_inverse=True)
    person_total = np.bincount(inverse, weights=weight)
    return {
        "prov": a["prov"],
        "pid": pid,
        "soc": soc_for_year(a["soc"], year),
        "in_census": in_census,
        "fpe": np.divide(weight, person_total[inverse], out=np.zeros_like(weight), where=weight > 0),
        "fte": a["ccprop"] / 100 * c["confte"][idx] / 100,
        "levels": c["levels"][idx],
        "terms": c["terms"][idx],
        "mode": c["mode"][idx],
        "acempfun": c["acempfun"][idx],
    }


def truth(sector: Sector, year: int, definition: Definition) -> dict[str, Any]:
    """Headline indicators recomputed from the generator's arrays (no SQL, no files)."""
    f = activity_frame(sector, year)
    c = sector.years[year].contracts
    scheme = "SOC2020" if year >= codes.FIRST_SOC2020_YEAR else "SOC2010"
    technical = np.array([definition.is_technical(scheme, str(s)) for s in f["soc"]])
    in_census, pid, fpe, fte = f["in_census"], f["pid"], f["fpe"], f["fte"]
    leader = in_census & technical & np.isin(f["levels"], definition.leadership_levels)
    n = len(sector.providers)
    prov = f["prov"]
    tech_census = technical & in_census
    heads = np.zeros(n, dtype=int)
    for i, people in _group_unique(prov[tech_census], pid[tech_census]).items():
        heads[i] = people
    per_provider = {}
    non_academic = ~np.isin(c["acempfun"], ["1", "2", "3", "9"])
    returned = np.bincount(c["prov"][non_academic], minlength=n) > 0
    for i, info in enumerate(sector.providers):
        mine = prov == i
        per_provider[info.ukprn] = {
            "tech_headcount": int(heads[i]),
            "tech_fpe": float(fpe[mine & technical].sum()),
            "tech_fte": float(fte[mine & technical & (f["terms"] != "3")].sum()),
            "has_leader": bool((leader & mine).any()),
            "returned_non_academic": bool(returned[i]),
        }
    returning = [u for u, v in per_provider.items() if v["returned_non_academic"]]
    with_leader = [u for u in returning if per_provider[u]["has_leader"]]
    return {
        "providers": per_provider,
        "providers_returning": len(returning),
        "providers_with_leader": len(with_leader),
        "leader_share": len(with_leader) / len(returning) if returning else None,
    }


def _group_unique(groups: np.ndarray, values: np.ndarray) -> dict[int, int]:
    pairs = np.unique(np.stack([groups, values]), axis=1)
    ids, counts = np.unique(pairs[0], return_counts=True)
    return {int(i): int(k) for i, k in zip(ids, counts, strict=True)}


def write_truth(sector: Sector, out: Path, definition: Definition) -> Path:
    path = out / "truth.json"
    path.write_text(json.dumps({str(y): truth(sector, y, definition) for y in sector.years}, indent=1))
    return path
