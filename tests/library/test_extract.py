"""Reading the text of files added to the library, and refusing hostile ones: each refusal
names the file, what is wrong and the fix, and nothing is returned to store."""

from __future__ import annotations

import io
import zipfile
from functools import cache

import pytest

from techforce.errors import Invalid, Refused, TechforceError
from techforce.library.extract import extract, normalise
from techforce.library.records import MEDIA_TYPES

PAGE = """<html><head><title>Technician careers</title></head><body>
<h1>Technician careers</h1><p>Professional registration as RSciTech recognises skills.</p>
<p style="page-break-before: always">Second page about apprenticeships.</p></body></html>"""


@cache
def real_pdf() -> bytes:
    import weasyprint

    return bytes(weasyprint.HTML(string=PAGE).write_pdf())


def rewritten(*, js: bool = False, password: str | None = None, attach: bool = False) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(real_pdf())))
    if js:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert('hello');"))
    if attach:
        writer.add_attachment("payload.txt", b"hidden")
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def real_docx(title: str = "Succession planning") -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    document.add_paragraph("Plan who takes over each  technical   role.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Role"
    table.rows[0].cells[1].text = "Successor"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def repacked(source: bytes, extra: dict[str, bytes], *, replace: dict[str, bytes] | None = None) -> bytes:
    """The package in ``source`` with entries added or replaced."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.get(info.filename, old.read(info)))
        for name, data in extra.items():
            new.writestr(name, data)
    return out.getvalue()


def refused(kind: type[TechforceError], data: bytes, filename: str, *words: str, **limits: int) -> str:
    with pytest.raises(kind) as caught:
        extract(data, filename, **limits)
    message = caught.value.message
    assert message.startswith(f"{filename}: ")
    assert "Fix:" in message
    for word in words:
        assert word in message
    return message


# Reading what is fine ----------------------------------------------------------------------


def test_a_pdf_gives_its_text_pages_title_and_hash() -> None:
    data = real_pdf()
    got = extract(data, "careers.pdf")
    assert got.media_type == MEDIA_TYPES[".pdf"]
    assert got.pages == 2
    assert got.title == "Technician careers"
    assert "RSciTech" in got.text and "apprenticeships" in got.text
    import hashlib

    assert got.sha256 == hashlib.sha256(data).hexdigest()


def test_a_docx_gives_paragraphs_tables_and_title() -> None:
    got = extract(real_docx(), "plan.docx")
    assert got.title == "Succession planning"
    assert got.pages is None
    assert "Plan who takes over each technical role." in got.text
    assert "Role Successor" in got.text  # a table row, its cells apart
    assert "\n\n" in got.text


def test_html_drops_scripts_and_styles_and_keeps_paragraphs() -> None:
    page = (
        b"<html><head><title>Recognition awards</title><style>p{color:red}</style></head>"
        b"<body><script>alert('x')</script><p>First  paragraph.</p><p>Second<br>line.</p>"
        b"<noscript>enable js</noscript></body></html>"
    )
    got = extract(page, "awards.html")
    assert got.title == "Recognition awards"
    assert got.media_type == "text/html"
    assert got.text == "First paragraph.\n\nSecond\nline."


def test_html_entities_are_not_fetched() -> None:
    page = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><html><body><p>a &e; b</p></body></html>'
    got = extract(page, "page.htm")
    assert "root:" not in got.text


def test_text_with_a_byte_order_mark_and_csv() -> None:
    got = extract("\ufeffCafe\u0301  notes\r\n\r\n\r\n\r\nnext".encode(), "notes.txt")
    assert got.text == "Caf\u00e9 notes\n\nnext"
    assert extract(b"a,b\n1,2\n", "table.csv").media_type == "text/csv"


def test_text_that_mentions_a_pdf_header_is_still_text() -> None:
    assert extract(b"Files begin with %PDF-1.7 as their header.", "notes.txt").text.startswith("Files")


def test_normalise_keeps_paragraphs() -> None:
    assert normalise(" a \t b \n\n\n\n c\x07 ") == "a b\n\nc"


# Refusing what is not ----------------------------------------------------------------------


def test_oversized_files_are_refused_before_parsing() -> None:
    refused(Refused, b"x" * 2000, "big.txt", "over the limit", max_bytes=1000)


def test_a_suffix_the_content_contradicts() -> None:
    refused(Invalid, real_docx(), "report.pdf", "zip package")
    refused(Invalid, real_pdf(), "report.docx", "a PDF")
    refused(Invalid, real_pdf(), "notes.txt", "a PDF")
    refused(Invalid, b"hello", "report.exe", ".exe")


def test_binary_text_and_non_utf8_are_refused() -> None:
    refused(Invalid, b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10" * 5, "data.csv", "binary")
    refused(Invalid, b"caf\xe9", "notes.txt", "UTF-8")


def test_garbage_and_truncated_pdfs_are_invalid() -> None:
    refused(Invalid, b"%PDF-1.7\n garbage garbage", "broken.pdf", "could not be read")
    refused(Invalid, real_pdf()[:400], "truncated.pdf", "could not be read")


def test_a_pdf_with_javascript_is_refused() -> None:
    refused(Refused, rewritten(js=True), "report.pdf", "JavaScript", "print to PDF")


def test_javascript_in_an_annotation_action_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(real_pdf())))
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(9), FloatObject(9)]
            ),
            NameObject("/A"): action,
        }
    )
    writer.add_annotation(0, link)
    out = io.BytesIO()
    writer.write(out)
    refused(Refused, out.getvalue(), "linked.pdf", "JavaScript")


def test_a_launch_action_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(real_pdf())))
    launch = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = launch
    out = io.BytesIO()
    writer.write(out)
    refused(Refused, out.getvalue(), "launch.pdf", "/Launch")


def test_an_encrypted_pdf_is_refused_even_with_an_empty_password() -> None:
    refused(Refused, rewritten(password=""), "locked.pdf", "encrypted")
    refused(Refused, rewritten(password="secret"), "locked.pdf", "encrypted")


def test_a_pdf_with_embedded_files_is_refused() -> None:
    refused(Refused, rewritten(attach=True), "attached.pdf", "embedded files")


def test_too_many_pages_is_refused() -> None:
    refused(Refused, real_pdf(), "long.pdf", "2 pages", max_pages=1)


def test_too_much_text_is_refused() -> None:
    refused(Refused, real_pdf(), "wordy.pdf", "characters", max_chars=20)
    refused(Refused, b"word " * 100, "wordy.txt", "characters", max_chars=50)


def test_a_docx_zip_bomb_is_refused_from_its_directory() -> None:
    bomb = repacked(real_docx(), {"word/media/huge.xml": b"\0" * 30_000_000})
    assert len(bomb) < 200_000
    refused(Invalid, bomb, "bomb.docx", "zip bomb")


def test_a_docx_over_the_total_is_refused() -> None:
    bomb = repacked(real_docx(), {f"word/pad{i}.xml": b"<a/>" * 100_000 for i in range(5)})
    refused(Invalid, bomb, "padded.docx", "unpacks to", max_bytes=300_000)


def test_a_docx_with_too_many_entries_is_refused() -> None:
    many = repacked(real_docx(), {f"customXml/item{i}.txt": b"" for i in range(2100)})
    refused(Invalid, many, "many.docx", "entries")


def test_a_docx_with_a_doctype_entity_is_refused() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    source = real_docx()
    with zipfile.ZipFile(io.BytesIO(source)) as package:
        body = package.read("word/document.xml")
    hostile = repacked(source, {}, replace={"word/document.xml": laughs + body.split(b"?>", 1)[1]})
    refused(Refused, hostile, "laughs.docx", "DOCTYPE", "word/document.xml")


def test_a_docx_with_macros_is_refused() -> None:
    refused(Refused, repacked(real_docx(), {"word/vbaProject.bin": b"macro"}), "macro.docx", "macros")
    source = real_docx()
    with zipfile.ZipFile(io.BytesIO(source)) as package:
        types = package.read("[Content_Types].xml")
    docm = types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    assert docm != types
    refused(Refused, repacked(source, {}, replace={"[Content_Types].xml": docm}), "macro.docx", ".docm")


def test_a_zip_slip_entry_is_refused() -> None:
    refused(Invalid, repacked(real_docx(), {"../../evil.sh": b"rm -rf"}), "slip.docx", "zip slip")


def test_an_encrypted_word_document_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    refused(Refused, ole, "locked.docx", "password")


def test_a_zip_that_is_not_a_word_document_is_invalid() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("hello.txt", "hi")
    refused(Invalid, out.getvalue(), "other.docx", "word/document.xml")


def test_a_pdf_decompression_bomb_is_refused() -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(real_pdf())))
    stream = DecodedStreamObject()
    stream.set_data(b"BT ET " * 6_000_000)  # 36 MB of content from about 40 kB
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    assert len(out.getvalue()) < 200_000
    refused(Refused, out.getvalue(), "bomb.pdf", "decompression bomb")


def test_an_entity_in_a_part_not_named_xml_is_refused() -> None:
    hostile = repacked(
        real_docx(), {"customXml/item9.dat": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x/>'}
    )
    refused(Refused, hostile, "hidden.docx", "DOCTYPE", "customXml/item9.dat")
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16-le")
    refused(Refused, repacked(real_docx(), {"word/extra.bin": utf16}), "wide.docx", "DOCTYPE")
    refused(Invalid, repacked(real_docx(), {"word/extra.xml": b"\xff\xfe" + utf16}), "wide.docx", "UTF-8")


def test_an_oversized_html_page_is_refused() -> None:
    refused(Refused, b"<p>technicians</p>" * 1_200_000, "huge.html", "HTML")


def test_a_zip_whose_directory_lies_about_sizes_is_refused_while_reading() -> None:
    import struct

    package = repacked(real_docx(), {"word/pad.xml": b"<a/>" * 2_000_000})
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        info = archive.getinfo("word/pad.xml")
    local = info.header_offset
    central = package.rindex(b"word/pad.xml") - 46  # its name ends the central directory's record
    assert package[central : central + 4] == b"PK\x01\x02"
    lied = bytearray(package)
    struct.pack_into("<I", lied, local + 22, 100)  # the local header: 100 bytes unpacked
    struct.pack_into("<I", lied, central + 24, 100)  # the central directory too
    refused(Invalid, bytes(lied), "liar.docx", "could not be unpacked")
