"""Transcript import: normalised text, speaker turns, timestamps, code-point offsets, and
refusal of bad or hostile files."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techforce.errors import Invalid
from techforce.research import transcripts
from techforce.research.transcripts import (
    Transcript,
    codepoint_offset,
    read_transcript,
    utf16_offset,
)

SCIENTIST = "\U0001f469\u200d\U0001f52c"  # woman scientist: three code points, five UTF-16 units


def contents(t: Transcript) -> list[tuple[str | None, str]]:
    return [(turn.speaker, t.text[turn.start : turn.end]) for turn in t.turns]


def test_txt_turns_offsets_with_emoji_combining_and_cjk() -> None:
    raw = (
        f"Interviewer: Are you a {SCIENTIST}?\n"
        "P03: Cafe\u0301 first, then 研究 all day.\n"
        "and a second line\n\n"
        "[00:01:02] Dr Jones: Yes.\n"
    )
    t = read_transcript(raw.encode(), "interview.txt")
    assert t.format == "txt"
    assert contents(t) == [
        ("Interviewer", f"Are you a {SCIENTIST}?"),
        ("P03", "Café first, then 研究 all day.\nand a second line"),
        ("Dr Jones", "Yes."),
    ]
    # NFC happened before offsets: e + U+0301 became one code point
    assert "e\u0301" not in t.text and "\u00e9" in t.text
    assert t.turns[2].begins_at == 62.0 and t.turns[0].begins_at is None
    assert t.text.split("\n")[0] == f"Interviewer: Are you a {SCIENTIST}?"


def test_utf16_conversions_round_trip_around_emoji() -> None:
    text = f"a{SCIENTIST}b"
    assert len(text) == 5
    assert utf16_offset(text, 4) == 6  # two astral characters before 'b'
    assert codepoint_offset(text, 6) == 4
    for cp in range(len(text) + 1):
        assert codepoint_offset(text, utf16_offset(text, cp)) == cp
    with pytest.raises(Invalid, match="inside the character"):
        codepoint_offset(text, 2)
    with pytest.raises(Invalid, match="outside the text"):
        utf16_offset(text, 6)


def test_txt_crlf_bom_and_control_characters_are_normalised() -> None:
    raw = "\ufeffInterviewer: Hello\r\nP1: Hi\x07 there\rP2: bye\r\n".encode()
    t = read_transcript(raw, "x.txt")
    assert t.text == "Interviewer: Hello\nP1: Hi there\nP2: bye"
    assert [s for s, _ in contents(t)] == ["Interviewer", "P1", "P2"]


def test_txt_without_speakers_makes_one_turn_per_paragraph() -> None:
    t = read_transcript(b"first para\nstill first\n\nsecond\n", "notes.txt")
    assert contents(t) == [(None, "first para\nstill first"), (None, "second")]


def test_only_short_prefixes_are_speaker_labels() -> None:
    raw = (
        "Interviewer: Go on.\n"
        "P03: I told the head of school: no more.\n"
        "At 10:30 we met, see https://example.org for notes.\n\n"
        "And I said to him: go away.\n"
    )
    t = read_transcript(raw.encode(), "labels.txt")
    assert contents(t) == [
        ("Interviewer", "Go on."),
        ("P03", "I told the head of school: no more.\nAt 10:30 we met, see https://example.org for notes."),
        (None, "And I said to him: go away."),
    ]


VTT = """WEBVTT

1
00:00:01.000 --> 00:00:02.500
<v Ann Smith>Hello <b>there</b>
and welcome

00:00:02.500 --> 00:00:04.000
<v Ann Smith>to the study.

00:00:04.000 --> 00:01:05.250
P03: Thanks, Café 研究 {sci}
""".replace("{sci}", SCIENTIST)


def test_vtt_keeps_voices_timestamps_and_merges_same_speaker() -> None:
    t = read_transcript(VTT.encode(), "call.vtt")
    assert t.format == "vtt"
    assert contents(t) == [
        ("Ann Smith", "Hello there and welcome to the study."),
        ("P03", f"Thanks, Café 研究 {SCIENTIST}"),
    ]
    assert (t.turns[0].begins_at, t.turns[0].ends_at) == (1.0, 4.0)
    assert (t.turns[1].begins_at, t.turns[1].ends_at) == (4.0, 65.25)


def test_txt_that_is_really_vtt_is_read_as_vtt_with_warning() -> None:
    t = read_transcript(VTT.encode(), "call.txt")
    assert t.format == "vtt" and t.warnings


def test_vtt_malformed_timestamp_names_the_line() -> None:
    bad = "WEBVTT\n\n00:00:01.000 --> 00:00:0x.500\nhello\n"
    with pytest.raises(Invalid, match=r"call\.vtt: line 3: malformed cue timing.*00:01:02\.000"):
        read_transcript(bad.encode(), "call.vtt")


def test_vtt_without_header_is_refused() -> None:
    with pytest.raises(Invalid, match=r"call\.vtt: not a valid WebVTT file"):
        read_transcript(b"00:00:01.000 --> 00:00:02.000\nhello\n", "call.vtt")


SRT = """1
00:00:01,000 --> 00:00:02,000
Interviewer: How did the role start?

2
00:00:02,000 --> 00:00:05,500
P07: It grew out of
<i>the facility</i> work.

3
00:00:05,500 --> 00:00:06,000
P07: Mostly.
"""


def test_srt_keeps_speakers_and_times() -> None:
    t = read_transcript(SRT.encode("utf-8-sig"), "talk.srt")
    assert t.format == "srt"
    assert contents(t) == [
        ("Interviewer", "How did the role start?"),
        ("P07", "It grew out of the facility work. Mostly."),
    ]
    assert (t.turns[1].begins_at, t.turns[1].ends_at) == (2.0, 6.0)


def test_malformed_srt_is_refused() -> None:
    with pytest.raises(Invalid, match=r"talk\.srt: line .*not valid SubRip"):
        read_transcript(b"1\n00:00:01,000 -> 00:00:02,000\nhi\n\nrubbish\n", "talk.srt")


def make_docx(paragraphs: list[str], *, table: bool = False) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        document.add_table(rows=1, cols=1).cell(0, 0).text = "ignored"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_keeps_speakers_and_timestamps() -> None:
    data = make_docx(
        [
            "[00:00:05] Interviewer: Tell me about your role.",
            f"[00:00:09] P12: I run the {SCIENTIST} lab, Cafe\u0301 included.",
            "It changed in 2019.",
            "",
            "[1:02:03.5] Interviewer: Thank you.",
        ],
        table=True,
    )
    t = read_transcript(data, "P12.docx")
    assert t.format == "docx"
    assert contents(t) == [
        ("Interviewer", "Tell me about your role."),
        ("P12", f"I run the {SCIENTIST} lab, Café included.\nIt changed in 2019."),
        ("Interviewer", "Thank you."),
    ]
    assert [turn.begins_at for turn in t.turns] == [5.0, 9.0, 3723.5]
    assert any("tables" in w for w in t.warnings)


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


DOC_XML = (
    b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body>'
    b"</w:document>"
)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just text", "a.docx", "a.docx: not a Word .docx file \\(not a zip\\)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "a.docx", "password-protected"),
        (zip_bytes({"other.xml": b"<a/>"}), "a.docx", "no word/document.xml"),
        (
            zip_bytes({"word/document.xml": DOC_XML, "word/vbaProject.bin": b"x"}),
            "a.docx",
            "macros are refused",
        ),
        (
            zip_bytes({"word/document.xml": b"<a>" + b" " * 60_000_000 + b"</a>"}),
            "a.docx",
            "part word/document.xml unpacks to 60,000,007 bytes \\(a zip bomb\\?\\)",
        ),
        (
            zip_bytes(
                {
                    "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x '
                    b'SYSTEM "file:///etc/passwd">]><d>&x;</d>'
                }
            ),
            "a.docx",
            "a.docx: part word/document.xml declares a DOCTYPE",
        ),
        (zip_bytes({"word/document.xml": DOC_XML}), "a.docm", "macros are refused"),
        (
            zip_bytes(
                {
                    "word/document.xml": DOC_XML,
                    "[Content_Types].xml": '<!DOCTYPE t [<!ENTITY a "aaaa">]><t/>'.encode("utf-16"),
                }
            ),
            "a.docx",
            r"part \[Content_Types\]\.xml is not UTF-8 XML",
        ),
        (
            zip_bytes({"word/document.xml": DOC_XML, "word/styles.xml": b"<!ENTITY a 'b'>"}),
            "a.docx",
            "part word/styles.xml declares a DOCTYPE or entities",
        ),
        (b"anything", "a.doc", "save it as .docx"),
        (b"anything", "a.pdf", "unknown transcript type .pdf"),
        (zip_bytes({"word/document.xml": b"not xml"}), "a.docx", "open it in Word and save"),
    ],
)
def test_bad_docx_and_types_are_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        read_transcript(data, name)


def test_zip_bomb_total_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # the real limit is 200 MB; a small one keeps the test fast with parts that pass alone
    monkeypatch.setattr(transcripts, "MAX_DOCX_TOTAL", 5_000)
    parts = {"word/document.xml": DOC_XML}
    parts.update({f"word/media/f{i}.bin": bytes(2_000) for i in range(3)})
    with pytest.raises(Invalid, match=r"the document unpacks to 6,1\d\d bytes, over 5,000"):
        read_transcript(zip_bytes(parts), "big.docx")


def test_encrypted_zip_entry_is_refused() -> None:
    data = bytearray(zip_bytes({"word/document.xml": DOC_XML}))
    # set the "encrypted" flag bit in the local and central directory headers
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        index = data.find(signature)
        data[index + flag_at] |= 0x1
    with pytest.raises(Invalid, match="encrypted; remove the password"):
        read_transcript(bytes(data), "locked.docx")


def test_not_utf8_is_refused_with_the_fix() -> None:
    with pytest.raises(Invalid, match=r"notes\.txt: line 2 is not UTF-8.*save it as UTF-8"):
        read_transcript("P1: ok\nP2: caf\u00e9".encode("latin-1"), "notes.txt")


def test_over_size_file_is_refused() -> None:
    with pytest.raises(Invalid, match="over the limit of 10"):
        read_transcript(b"P1: " + b"x" * 20, "long.txt", max_bytes=10)


@pytest.mark.parametrize("raw", [b"", b"\xef\xbb\xbf \r\n\t\n", b"WEBVTT\n"])
def test_empty_transcript_is_refused(raw: bytes) -> None:
    with pytest.raises(Invalid, match="the transcript is empty"):
        read_transcript(raw, "empty.txt")


words = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1).filter(
    lambda s: unicodedata.normalize("NFC", s).strip() != ""
)
speakers = st.sampled_from(["Interviewer", "P03", "Dr Jones", "Zoë", "研究者"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(speakers, words), min_size=1, max_size=6))
def test_property_turn_slices_equal_their_content(turns: list[tuple[str, str]]) -> None:
    raw = "".join(f"{speaker}: {said}\n" for speaker, said in turns)
    t = read_transcript(raw.encode(), "random.txt")
    expected = [(s, unicodedata.normalize("NFC", w).strip()) for s, w in turns]
    assert contents(t) == expected
    assert unicodedata.is_normalized("NFC", t.text)
    for turn in t.turns:
        u16 = utf16_offset(t.text, turn.start)
        assert codepoint_offset(t.text, u16) == turn.start
        assert (
            t.text.encode("utf-16-le")[2 * u16 :]
            .decode("utf-16-le")
            .startswith(t.text[turn.start : turn.end])
        )


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["any.txt", "any.vtt", "any.srt"]))
def test_property_any_text_gives_clean_text_or_invalid(raw: str, name: str) -> None:
    try:
        t = read_transcript(raw.encode("utf-8", "surrogatepass"), name)
    except Invalid:
        return
    assert unicodedata.is_normalized("NFC", t.text)
    assert all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in t.text)
    assert "\r" not in t.text and not t.text.startswith("\ufeff")
    previous_end = 0
    for turn in t.turns:
        said = t.text[turn.start : turn.end]
        assert previous_end <= turn.start < turn.end <= len(t.text)
        assert said == said.strip() != ""
        previous_end = turn.end
