"""HESA Staff record code lists and reporting-year arithmetic (see domain.md §1).

Valid codes are plain data so that validation can run them as SQL ``IN`` lists."""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources

TERMS = {"1": "Open-ended/permanent", "2": "Fixed-term", "3": "Atypical"}
MOEMP = {
    "1": "Full-time",
    "2": "Full-time term-time",
    "3": "Part-time",
    "4": "Part-time term-time",
    "5": "Atypical",
    "6": "Dormant",
}
ACEMPFUN = {
    "1": "Teaching only",
    "2": "Research only",
    "3": "Teaching and research",
    "4": "Not academic",
    "9": "Neither teaching nor research (academic)",
}
ACADEMIC_ACEMPFUN = ("1", "2", "3", "9")

# Seniority, most senior first; the order is used for the "grade ceiling" indicator.
LEVELS = {
    "A0": "Head of institution",
    "B0": "UCEA level 2 (DVC/PVC/COO/Registrar)",
    "B1": "Level 2 (before 2016/17)",
    "B2": "Level 2 (before 2016/17)",
    "C1": "Level 3A: head of major academic area",
    "C2": "Level 3B",
    "D1": "Level 4 (D1)",
    "D2": "Level 4 (D2)",
    "D3": "Level 4 (D3)",
    "E1": "Level 5 (E1)",
    "E2": "Level 5 (E2)",
    "F1": "Professorial, no line management",
    "F2": "Professorial (F2)",
    "I0": "XpertHR level I",
    "J0": "XpertHR level J",
    "K0": "XpertHR level K",
    "L0": "XpertHR level L",
    "M0": "XpertHR level M",
    "N0": "XpertHR level N",
    "O0": "XpertHR level O",
    "P0": "XpertHR level P",
}
LEVEL_RANK = {code: rank for rank, code in enumerate(LEVELS, start=1)}
LEADERSHIP_LEVELS = ("A0", "B0", "B1", "B2", "C1", "C2", "D1", "D2", "D3", "E1", "E2")

SEXID = {"1": "Male", "2": "Female", "3": "Other"}

ETHNIC = {
    "10": "White",
    **{str(c): "White (other)" for c in range(13, 20)},
    "21": "Black",
    "22": "Black",
    "29": "Black",
    "31": "Asian",
    "32": "Asian",
    "33": "Asian",
    "34": "Asian",
    "39": "Asian",
    "41": "Mixed",
    "42": "Mixed",
    "43": "Mixed",
    "49": "Mixed",
    "50": "Arab",
    "80": "Other",
    "90": "Not known",
    "98": "Refused",
    "99": "Not available",
}


def _ethnic_group(code: str, label: str) -> str:
    if label.startswith("White"):
        return "White"
    return "Not known" if code in {"90", "98", "99"} else "Minority ethnic"


# Grouping used for published breakdowns.
ETHNIC_GROUP = {code: _ethnic_group(code, label) for code, label in ETHNIC.items()}

DISABLE = {
    "95": "No known disability",
    "51": "Learning difference",
    "53": "Social or communication impairment",
    "54": "Long-standing illness or health condition",
    "55": "Mental health condition",
    "56": "Physical impairment",
    "57": "D/deaf or serious hearing impairment",
    "58": "Blind or serious visual impairment",
    "59": "Development condition",
    "96": "Other condition",
    "98": "Prefer not to say",
    "99": "Not available",
}
DISABILITY_CODES = ("51", "53", "54", "55", "56", "57", "58", "59", "96")

# HESA cost centres from 2012/13: 101-145 academic, 201-206 non-academic.
COST_CENTRES = {
    "101": "Clinical medicine",
    "102": "Clinical dentistry",
    "103": "Nursing and allied health professions",
    "104": "Psychology and behavioural sciences",
    "105": "Health and community studies",
    "106": "Anatomy and physiology",
    "107": "Pharmacy and pharmacology",
    "108": "Sports science and leisure studies",
    "109": "Veterinary science",
    "110": "Agriculture, forestry and food science",
    "111": "Earth, marine and environmental sciences",
    "112": "Biosciences",
    "113": "Chemistry",
    "114": "Physics",
    "115": "General engineering",
    "116": "Chemical engineering",
    "117": "Mineral, metallurgy and materials engineering",
    "118": "Civil engineering",
    "119": "Electrical, electronic and computer engineering",
    "120": "Mechanical, aero and production engineering",
    "121": "IT, systems sciences and computer software engineering",
    "122": "Mathematics",
    "123": "Architecture, built environment and planning",
    "124": "Geography and environmental studies",
    "125": "Area studies",
    "126": "Archaeology",
    "127": "Anthropology and development studies",
    "128": "Politics and international studies",
    "129": "Economics and econometrics",
    "130": "Law",
    "131": "Social work and social policy",
    "132": "Sociology",
    "133": "Business and management studies",
    "134": "Catering and hospitality management",
    "135": "Education",
    "136": "Continuing education",
    "137": "Modern languages",
    "138": "English language and literature",
    "139": "History",
    "140": "Classics",
    "141": "Philosophy",
    "142": "Theology and religious studies",
    "143": "Art and design",
    "144": "Music, dance, drama and performing arts",
    "145": "Media studies",
    "201": "Academic services",
    "202": "Central administration and services",
    "203": "Staff and student facilities (pre-2012 code)",
    "204": "Staff and student facilities",
    "205": "Premises",
    "206": "Residences and catering",
}

# SOC2010 minor groups (3 digits). ACTSOC holds a minor group or a unit group within one.
SOC2010_MINOR = {
    "111",
    "112",
    "113",
    "115",
    "116",
    "117",
    "118",
    "119",
    "121",
    "122",
    "124",
    "125",
    "211",
    "212",
    "213",
    "214",
    "215",
    "221",
    "222",
    "223",
    "231",
    "241",
    "242",
    "243",
    "244",
    "245",
    "246",
    "247",
    "311",
    "312",
    "313",
    "321",
    "323",
    "331",
    "341",
    "342",
    "344",
    "351",
    "352",
    "353",
    "354",
    "355",
    "356",
    "411",
    "412",
    "413",
    "415",
    "416",
    "421",
    "511",
    "521",
    "522",
    "523",
    "524",
    "525",
    "531",
    "532",
    "533",
    "541",
    "542",
    "543",
    "544",
    "612",
    "613",
    "614",
    "621",
    "622",
    "623",
    "624",
    "711",
    "712",
    "713",
    "721",
    "722",
    "811",
    "812",
    "813",
    "814",
    "821",
    "822",
    "823",
    "911",
    "912",
    "913",
    "921",
    "923",
    "924",
    "925",
    "926",
    "927",
}


def _unit_groups(name: str) -> dict[str, str]:
    """A shipped ONS unit-group list (``data/<name>_unit_groups.csv``: one ``#`` source
    line, then ``code,title``). Every code is checked to be 4 digits, so the lists can be
    trusted as SQL literals."""
    text = (
        resources.files("techforce.workforce").joinpath("data", f"{name}_unit_groups.csv").read_text("utf-8")
    )
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    groups = {row["code"]: row["title"] for row in rows}
    bad = [c for c in groups if not (len(c) == 4 and c.isdigit())]
    if bad:  # pragma: no cover - guards the shipped file
        raise ValueError(f"{name}_unit_groups.csv: not 4-digit codes: {bad[:5]}")
    return groups


# SOC unit groups (4 digits) as published by the ONS, and the minor groups (3 digits) they
# belong to. HESA ACTSOC (SOC2010) and ACTSOC2020 hold a minor group or a unit group.
SOC2010_UNIT = _unit_groups("soc2010")
SOC2020_UNIT = _unit_groups("soc2020")
SOC2020_MINOR = {code[:3] for code in SOC2020_UNIT}

SOC_MAJOR = {
    "1": "Managers, directors and senior officials",
    "2": "Professional occupations",
    "3": "Associate professional and technical occupations",
    "4": "Administrative and secretarial occupations",
    "5": "Skilled trades occupations",
    "6": "Caring, leisure and other service occupations",
    "7": "Sales and customer service occupations",
    "8": "Process, plant and machine operatives",
    "9": "Elementary occupations",
}

# Reporting years: 2022 means 2022/23 (1 Aug 2022 - 31 Jul 2023), collection C22025.
FIRST_SOC2020_YEAR = 2023


def year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def recid_for(year: int) -> str:
    return f"{year % 100:02d}025"


def year_from_recid(recid: str) -> int | None:
    if len(recid) != 5 or not recid.isdigit() or not recid.endswith("025"):
        return None
    return 2000 + int(recid[:2])


def parse_year(text: str) -> int:
    """Accept 2022, '2022/23', '2022-23' or a RECID such as 22025."""
    cleaned = text.strip()
    recid_year = year_from_recid(cleaned)
    if recid_year is not None:
        return recid_year
    head = cleaned.replace("-", "/").split("/")[0]
    if len(head) == 4 and head.isdigit():
        return int(head)
    raise ValueError(f"not a reporting year: {text!r} (use 2022, 2022/23 or RECID 22025)")


def census_date(year: int) -> date:
    """The 1 December contract census of a reporting year."""
    return date(year, 12, 1)


def age_reference_date(year: int) -> date:
    """Age is age at 31 August of the reporting year."""
    return date(year, 8, 31)
