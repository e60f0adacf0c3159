"""REFI-QDA codebooks (.qdc) and codebook CSV: valid exports, faithful round trips, codebooks
from other tools, and hostile or broken files refused with the place and the fix."""

from __future__ import annotations

import csv
import io

import pytest
from lxml import etree

from techforce.errors import Invalid, Refused
from techforce.research.refi import (
    Code,
    codebook_csv,
    describe_code,
    parse_description,
    read_codebook,
    read_codebook_csv,
    walk_codes,
    write_codebook,
)
from techforce.research.refi_xml import SCHEMAS, canonical_guid

CB = "urn:QDA-XML:codebook:1.0"
G1 = "0b0f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
G2 = "0b0f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5c"
G3 = "0b0f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5d"
G4 = "0b0f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5e"


def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))


def sample_codes() -> tuple[Code, ...]:
    grandchild = Code(G3, "Night shifts 🌙", color="#0000ff", definition="Shifts after 22:00.")
    child = Code(
        G2,
        "Workload",
        color="#00ff00",
        definition="Amount of work.\nInclude: this line looks like a label but is part of the definition",
        inclusion="rotas, shifts",
        exclusion="pay",
        examples='"The rota was awful"\n\\ a line starting with a backslash',
        children=(grandchild,),
    )
    top = Code(G1, "Working life", color="#ff0000", is_codable=False, children=(child,))
    return (top, Code(G4, '=HYPERLINK("http://evil")', definition="-1 + 2", examples="@SUM(A1)"))


# ---------------------------------------------------------------- .qdc


def test_codebook_export_is_valid_against_the_standard_schema() -> None:
    data = write_codebook(sample_codes(), origin="techforce")
    root = etree.fromstring(data)
    schema = codebook_schema()
    assert schema.validate(root), schema.error_log
    assert root.tag == f"{{{CB}}}CodeBook"
    assert root.get("origin") == "techforce"


def test_codebook_round_trip_keeps_guids_names_colours_hierarchy_and_criteria() -> None:
    codes = sample_codes()
    assert read_codebook(write_codebook(codes, origin="techforce"), "codes.qdc") == codes


def test_a_code_with_only_a_definition_is_written_as_plain_text_for_other_tools() -> None:
    data = write_codebook([Code(G1, "Noise", definition="Complaints about noise.")], origin="t")
    description = etree.fromstring(data).find(f"{{{CB}}}Codes/{{{CB}}}Code/{{{CB}}}Description")
    assert description is not None and description.text == "Complaints about noise."


def test_criteria_are_labelled_sections_in_the_description() -> None:
    code = Code(G1, "Workload", definition="Work.", inclusion="rotas", exclusion="pay", examples="e.g.")
    assert describe_code(code) == "Definition: Work.\n\nInclude: rotas\n\nExclude: pay\n\nExamples: e.g."
    assert parse_description(describe_code(code)) == {
        "definition": "Work.",
        "inclusion": "rotas",
        "exclusion": "pay",
        "examples": "e.g.",
    }


def test_a_plain_description_from_another_tool_becomes_the_definition() -> None:
    found = parse_description("Who helps whom.\nKeep it to people, not systems.")
    assert found["definition"] == "Who helps whom.\nKeep it to people, not systems."
    assert found["inclusion"] == found["exclusion"] == found["examples"] == ""


def test_codebook_from_another_tool_with_braces_upper_case_and_short_colours() -> None:
    data = f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{CB}" origin="ATLAS.ti 23">
  <Codes>
    <Code guid="{{{G1.upper()}}}" name="Support" isCodable="false" color="#E6194B">
      <Description>inclusion: people who help
EXAMPLES: my mentor</Description>
      <Code guid="{G2.upper()}" name="Mentor" isCodable="1" color="#fc0"/>
    </Code>
  </Codes>
</CodeBook>""".encode()
    (support,) = read_codebook(data, "atlas.qdc")
    assert support.guid == G1 and support.color == "#e6194b" and not support.is_codable
    assert support.inclusion == "people who help" and support.examples == "my mentor"
    assert support.definition == ""
    (mentor,) = support.children
    assert (mentor.guid, mentor.name, mentor.color, mentor.is_codable) == (G2, "Mentor", "#ffcc00", True)


def test_the_codebook_inside_a_project_file_is_read_too() -> None:
    data = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes>
<Code guid="{G1}" name="A" isCodable="true"/></Codes></CodeBook></Project>""".encode()
    assert [c.name for c in read_codebook(data, "project.qde")] == ["A"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="0b0f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
 name="&lol3;" isCodable="true"/></Codes></CodeBook>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="0b0f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
 name="&xxe;" isCodable="true"/></Codes></CodeBook>"""


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, XXE, XXE.decode().replace('"1.0"?>', '"1.0" encoding="utf-16"?>', 1).encode("utf-16")],
)
def test_entity_tricks_are_refused(data: bytes) -> None:
    with pytest.raises(Refused, match=r"evil\.qdc: declares a DOCTYPE"):
        read_codebook(data, "evil.qdc")


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ('<Codes xmlns="urn:QDA-XML:codebook:1.0"/>', r"root element is <\{urn:QDA-XML:codebook:1.0\}Codes>"),
        ("<CodeBook><Codes/></CodeBook>", "not a REFI-QDA <CodeBook>"),
        (f'<CodeBook xmlns="{CB}"><Codes><Code name="A" isCodable="true"/></Codes></CodeBook>', "field guid"),
        (
            f'<CodeBook xmlns="{CB}"><Codes><Code guid="A" name="A" isCodable="true"/></Codes></CodeBook>',
            "'A' is not a GUID",
        ),
        (
            f'<CodeBook xmlns="{CB}"><Codes><Code guid="{G1}" isCodable="true"/></Codes></CodeBook>',
            "has no name",
        ),
        (
            f'<CodeBook xmlns="{CB}"><Codes><Code guid="{G1}" name="A" isCodable="true" color="red"/></Codes></CodeBook>',
            "'red' is not a colour",
        ),
        (
            f'<CodeBook xmlns="{CB}"><Codes><Code guid="{G1}" name="A" isCodable="true"/><Code guid="{G1.upper()}" name="B" isCodable="true"/></Codes></CodeBook>',
            "is used twice",
        ),
        (f'<CodeBook xmlns="{CB}"><Codes/></CodeBook>', "has no codes"),
        (f'<CodeBook xmlns="{CB}"><Codes>', "not well-formed XML"),
    ],
)
def test_broken_codebooks_are_refused_with_the_place_and_fix(xml: str, expected: str) -> None:
    with pytest.raises(Invalid, match=expected) as caught:
        read_codebook(xml.encode(), "codes.qdc")
    assert "codes.qdc" in caught.value.message and "Fix:" in caught.value.message


def test_an_oversized_codebook_is_refused_before_parsing() -> None:
    with pytest.raises(Refused, match=r"big\.qdc"):
        read_codebook(b" " * 101, "big.qdc", max_bytes=100)


def test_export_refuses_a_code_whose_guid_is_not_a_guid() -> None:
    with pytest.raises(Invalid, match="schema"):
        write_codebook([Code("not-a-guid", "A")], origin="t")
    with pytest.raises(Invalid, match="no codes"):
        write_codebook([], origin="t")


def test_canonical_guid_accepts_braces_and_case_only_as_the_standard_does() -> None:
    assert canonical_guid("{" + G1.upper() + "}") == G1
    assert canonical_guid("{" + G1) is None
    assert canonical_guid("A") is None


# ---------------------------------------------------------------- CSV


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_codebook_csv_lists_paths_parents_first_and_neutralises_formulas() -> None:
    rows = parse(codebook_csv(sample_codes()))
    assert [r["path"] for r in rows] == [
        "Working life",
        "Working life / Workload",
        "Working life / Workload / Night shifts 🌙",
        '\'=HYPERLINK("http://evil")',
    ]
    evil = rows[3]
    assert (
        evil["name"].startswith("'=") and evil["definition"] == "'-1 + 2" and evil["examples"] == "'@SUM(A1)"
    )
    assert (
        rows[0]["codable"] == "no"
        and rows[0]["colour"] == "#ff0000"
        and rows[1]["inclusion"] == "rotas, shifts"
    )


def test_codebook_csv_round_trip_keeps_everything() -> None:
    codes = sample_codes()
    assert read_codebook_csv(codebook_csv(codes).encode("utf-8"), "codes.csv") == codes


def test_a_spreadsheet_codebook_without_guids_gets_new_ones_and_its_hierarchy() -> None:
    data = "\ufeffName,Path,Color,Definition\nNoise,Environment / Noise,#ABC,Loud\nEnvironment,,,\n".encode()
    (environment,) = read_codebook_csv(data, "sheet.csv")
    (noise,) = environment.children
    assert noise.color == "#aabbcc" and noise.definition == "Loud"
    assert canonical_guid(noise.guid) == noise.guid != environment.guid
    with pytest.raises(
        Invalid, match=r"sheet\.csv, row 2, code 'Noise', field path: no code has the path 'Environ'"
    ):
        read_codebook_csv(b"name,path\nNoise,Environ / Noise\nEnvironment,\n", "sheet.csv")


def test_every_bad_row_is_listed_with_row_field_and_fix() -> None:
    data = (
        "path,name,colour,guid,codable\n"
        ",,#fff,,\n"
        "A,A,purple,,maybe\n"
        f"B,B,,{G1},\n"
        f"B,B,,{G2},\n"
        f"C,C,,{G1},\n"
        "X / D,Y,,,\n"
    ).encode()
    with pytest.raises(Invalid) as caught:
        read_codebook_csv(data, "codes.csv")
    found = {(p["row"], p["field"]) for p in caught.value.problems}
    assert found == {
        (2, "name"),
        (3, "colour"),
        (3, "codable"),
        (5, "path"),
        (6, "guid"),
        (7, "path"),
    }
    assert all(p["file"] == "codes.csv" and p["fix"] for p in caught.value.problems)
    assert caught.value.message.startswith("codes.csv, row 2")
    assert "nothing was imported" in caught.value.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"\xff\xfe\x00bad", "not UTF-8"), (b"path,colour\nA,#fff\n", "no 'name' column")],
)
def test_unreadable_csv_is_refused(data: bytes, expected: str) -> None:
    with pytest.raises(Invalid, match=expected):
        read_codebook_csv(data, "codes.csv")


def test_an_empty_codebook_csv_is_just_the_header() -> None:
    assert codebook_csv([]).startswith("path,name,colour,definition")
    assert read_codebook_csv(codebook_csv([]).encode(), "empty.csv") == ()


def test_walk_codes_gives_ancestors() -> None:
    names = [(tuple(p.name for p in parents), c.name) for parents, c in walk_codes(sample_codes())]
    assert names[2] == (("Working life", "Workload"), "Night shifts 🌙")
