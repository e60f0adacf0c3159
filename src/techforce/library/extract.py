"""The text of a file added to the library, for search: PDF, Word (.docx), HTML, plain text
and CSV. Files come from anyone with the right to add resources, so each is treated as
hostile until it passes: its size is checked before parsing, its suffix must match what the
bytes are, and PDFs with scripts, launch actions, attachments or encryption, and Word
packages that are zip bombs, hold macros, or declare XML entities are refused with a message
that names the file, what is wrong and how to fix it.

:func:`extract` is pure: it stores nothing, so the caller stores a file only when it
returns. Errors: :class:`Invalid` for a file that is broken or not what its name says;
:class:`Refused` for a well-formed file the rules do not accept (too big, scripts, macros,
encryption, attachments)."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from techforce.errors import Invalid, Refused
from techforce.library.records import MEDIA_TYPES
from techforce.safe_zip import OLE_SIGNATURE, ZipLimits, open_checked, read_entry

MAX_BYTES = 50 * 1024 * 1024
MAX_PAGES = 2000
MAX_CHARS = 5_000_000
MAX_HTML_BYTES = 20 * 1024 * 1024  # a parsed page takes several times its size in memory
MAX_PDF_OBJECTS = 500_000  # objects visited while looking for scripts and attachments
PDF_STREAM_LIMIT = 25_000_000  # bytes any one PDF stream may decompress to
DOCX_MACRO_TYPE = "macroenabled"  # in [Content_Types].xml of .docm/.dotm packages
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"})
SUPPORTED = "PDF, Word (.docx), HTML, plain text (.txt) or CSV"


@dataclass(frozen=True)
class Extracted:
    """What search needs from a file: its ``text`` (NFC, paragraphs separated by a blank
    line), ``media_type``, ``pages`` (PDFs only), the ``title`` from its metadata ("" when
    it has none) and the ``sha256`` of its bytes (its address in the store)."""

    text: str
    media_type: str
    pages: int | None
    title: str
    sha256: str


def extract(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
) -> Extracted:
    """The text of ``data`` read as ``filename``'s suffix says, or an error saying why not."""
    suffix = _suffix(filename)
    if len(data) > max_bytes:
        raise Refused(
            f"{filename}: the file is {len(data):,} bytes, over the limit of {max_bytes:,}. "
            "Fix: split it, or save it again with smaller images."
        )
    if not data:
        raise Invalid(f"{filename}: the file is empty. Fix: add the file with its content.")
    _check_matches(data, filename, suffix)
    media_type = MEDIA_TYPES[suffix]
    sha = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        text, pages, title = _pdf(data, filename, max_pages, max_chars)
    elif suffix == ".docx":
        text, title = _docx(data, filename, max_bytes, max_chars)
        pages = None
    elif suffix in (".html", ".htm"):
        text, title = _html(data, filename)
        pages = None
    else:
        text, title, pages = _plain(data, filename), "", None
    text = normalise(text)
    if len(text) > max_chars:
        raise Refused(_too_much_text(filename, max_chars))
    return Extracted(text, media_type, pages, normalise(title).replace("\n", " "), sha)


def normalise(text: str) -> str:
    """NFC (typographic ligatures such as "ﬁ" spelt out), one space for each run of spaces
    within a line, lines trimmed, and at most one blank line between paragraphs; control
    characters other than newlines dropped."""
    text = unicodedata.normalize("NFC", text.translate(LIGATURES))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\f", "\n\n").replace("\v", "\n")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc" or ch == "\t")
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def _suffix(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in MEDIA_TYPES:
        shown = suffix or "no suffix"
        raise Invalid(
            f"{filename}: files with {shown} are not read by the library. "
            f"Fix: add it as {SUPPORTED}, named with its usual suffix."
        )
    return suffix


def _sniff(data: bytes, suffix: str) -> str:
    """What the bytes are, by their first bytes: pdf, zip, ole or text. Readers accept a
    PDF header anywhere in the first kilobyte, so a .pdf may have junk before it."""
    if data.startswith(b"%PDF-") or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return "pdf"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:8] == OLE_SIGNATURE:
        return "ole"
    return "text"


_DESCRIBED = {
    "pdf": "a PDF",
    "zip": "a zip package",
    "ole": "an encrypted or old-format Office file",
    "text": "text or an unknown format",
}


def _check_matches(data: bytes, filename: str, suffix: str) -> None:
    """Refuse a suffix that the bytes contradict (a .pdf that is a zip, a .docx that is a PDF)."""
    found = _sniff(data, suffix)
    expected = {".pdf": "pdf", ".docx": "zip"}.get(suffix, "text")
    if found == expected:
        return
    if suffix == ".docx" and found == "ole":
        raise Refused(
            f"{filename}: the document is password-protected (encrypted) or an old .doc. "
            "Fix: remove the password in Word and save it as .docx."
        )
    raise Invalid(
        f"{filename}: the name says {suffix} but the content is {_DESCRIBED[found]}. "
        f"Fix: add it with the suffix of its real format ({SUPPORTED})."
    )


def _too_much_text(filename: str, max_chars: int) -> str:
    return (
        f"{filename}: the text is over {max_chars:,} characters. Fix: split the document into smaller files."
    )


# PDF ---------------------------------------------------------------------------------------


def _pdf(data: bytes, filename: str, max_pages: int, max_chars: int) -> tuple[str, int, str]:
    import pypdf
    import pypdf.errors

    limits = {
        "zlib_maximum_output_length": PDF_STREAM_LIMIT,
        "lzw_maximum_output_length": PDF_STREAM_LIMIT,
        "run_length_maximum_output_length": PDF_STREAM_LIMIT,
        "jbig2_maximum_output_length": PDF_STREAM_LIMIT,
        "brotli_maximum_output_length": PDF_STREAM_LIMIT,
        "array_based_stream_maximum_output_length": PDF_STREAM_LIMIT,
        "stream_decoding_work_maximum_length": 4 * PDF_STREAM_LIMIT,
    }
    try:
        with warnings.catch_warnings(), pypdf.apply_configuration(None, **limits):
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise Refused(
                    f"{filename}: the PDF is encrypted (password-protected, even if it opens "
                    "without one). Fix: save or print it again to PDF without a password."
                )
            _check_pdf_objects(reader, filename)
            pages = len(reader.pages)
            if pages > max_pages:
                raise Refused(
                    f"{filename}: the PDF has {pages:,} pages, over the limit of {max_pages:,}. "
                    "Fix: split it into smaller files."
                )
            text = _pdf_text(reader, filename, max_chars)
            title = _pdf_title(reader)
    except (Invalid, Refused):
        raise
    except pypdf.errors.LimitReachedError:
        raise Refused(
            f"{filename}: the PDF has content that unpacks to more than pypdf's safety limits "
            f"({PDF_STREAM_LIMIT:,} bytes a stream; a decompression bomb?). "
            "Fix: print it again to PDF, or split it into smaller files."
        ) from None
    except Exception as exc:  # pypdf raises many kinds for a broken or hostile file
        raise Invalid(
            f"{filename}: the PDF could not be read ({type(exc).__name__}: {str(exc)[:120]}). "
            "Fix: open it and save or print it again to PDF."
        ) from None
    return text, pages, title


def _pdf_text(reader: Any, filename: str, max_chars: int) -> str:
    parts: list[str] = []
    total = 0
    for page in reader.pages:
        part = page.extract_text() or ""
        total += len(part)
        if total > max_chars:
            raise Refused(_too_much_text(filename, max_chars))
        parts.append(part)
    return "\n\n".join(parts)


def _pdf_title(reader: Any) -> str:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:  # a broken Info dictionary only loses the title
        return ""
    return str(title) if title else ""


def _check_pdf_objects(reader: Any, filename: str) -> None:
    """Walk every object reachable from the document catalogue (names tree, OpenAction,
    pages, annotations and their actions) and refuse scripts, launch actions and attachments."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    root = reader.trailer.get("/Root")
    stack: list[tuple[Any, str]] = [(root, "")]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj, where = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise Refused(
                f"{filename}: the PDF holds over {MAX_PDF_OBJECTS:,} objects. "
                "Fix: split it, or print it again to PDF."
            )
        if isinstance(obj, DictionaryObject):
            for name, value in obj.items():
                _check_pdf_entry(filename, str(name), value, where)
                if name != "/Parent":
                    stack.append((value, _where(where, str(name))))
        elif isinstance(obj, ArrayObject):
            stack.extend((item, where) for item in obj)
        elif isinstance(obj, NameObject):
            continue


def _where(where: str, name: str) -> str:
    """A short path for messages: the last three names, e.g. ``/Annots/A/JS``."""
    return "/".join([*where.split("/"), name.lstrip("/")][-3:]).lstrip("/")


RISKY_ACTIONS = frozenset(
    {"/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/RichMedia", "/RichMediaExecute"}
)


def _check_pdf_entry(filename: str, name: str, value: Any, where: str) -> None:
    place = f" in /{where}" if where else " in the document catalogue"
    if name in ("/JS", "/JavaScript") or (name == "/S" and str(value) == "/JavaScript"):
        raise Refused(
            f"{filename}: the PDF contains JavaScript ({name}{place}). "
            "Fix: export it again without scripts, e.g. print to PDF."
        )
    if name == "/S" and str(value) == "/Launch":
        raise Refused(
            f"{filename}: the PDF has a /Launch action{place}, which can start programs. "
            "Fix: export it again without actions, e.g. print to PDF."
        )
    if name == "/S" and str(value) in RISKY_ACTIONS:
        raise Refused(
            f"{filename}: the PDF has a {value} action{place}, which sends or fetches data or opens "
            "other files. Fix: export it again without actions, e.g. print to PDF."
        )
    if name == "/XFA":
        raise Refused(
            f"{filename}: the PDF holds an XFA form{place}, which can carry scripts. "
            "Fix: flatten the form or print to PDF."
        )
    if name == "/URI" and not str(value).strip().lower().startswith(("http://", "https://", "mailto:")):
        raise Refused(
            f"{filename}: the PDF links to {str(value)[:60]!r}{place}, which is not a web or mail address. "
            "Fix: remove the link or export again without it."
        )
    if name in ("/EmbeddedFiles", "/EF"):
        raise Refused(
            f"{filename}: the PDF carries embedded files ({name}{place}). "
            "Fix: remove the attachments (or print to PDF) and add them as their own resources."
        )


# Word ---------------------------------------------------------------------------------------

DOCX_FIX = "open it in Word and save it again as .docx"


def _docx(data: bytes, filename: str, max_bytes: int, max_chars: int) -> tuple[str, str]:
    limits = ZipLimits(max_entry_bytes=max(max_bytes, 1), max_total_bytes=4 * max(max_bytes, 1))
    with open_checked(data, filename, limits, DOCX_FIX) as archive:
        _check_docx_package(archive, filename, limits)
    import docx

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = docx.Document(io.BytesIO(data))
            text = "\n\n".join(_docx_blocks(document))
            title = document.core_properties.title or ""
    except Exception as exc:  # python-docx raises many kinds for a broken package
        raise Invalid(
            f"{filename}: the Word document could not be read ({type(exc).__name__}). Fix: {DOCX_FIX}."
        ) from None
    if len(text) > max_chars:
        raise Refused(_too_much_text(filename, max_chars))
    return text, title


def _check_docx_package(archive: zipfile.ZipFile, filename: str, limits: ZipLimits) -> None:
    """Before python-docx sees the package: a main document, no macros, and every XML part
    plain UTF-8 with no DOCTYPE or entity declarations (billion laughs, XXE)."""
    infos = archive.infolist()
    names = {info.filename.lower() for info in infos}
    if "word/document.xml" not in names:
        raise Invalid(f"{filename}: not a Word document (no word/document.xml). Fix: {DOCX_FIX}.")
    if any(name.endswith(("vbaproject.bin", "vbadata.xml")) for name in names):
        raise Refused(
            f"{filename}: the document contains macros (vbaProject.bin). "
            "Fix: save it in Word as a plain .docx (Word Document), not .docm."
        )
    total = 0
    for info in infos:  # every part: python-docx parses whatever the content types call XML
        raw = read_entry(archive, info, filename, limits, DOCX_FIX)
        total += len(raw)
        if total > limits.max_total_bytes:
            raise Invalid(
                f"{filename}: the document unpacks to too many bytes (a zip bomb?). Fix: {DOCX_FIX}."
            )
        _check_xml_part(raw, info.filename, filename)


DECLARATIONS = tuple(
    word.encode(codec) for word in ("<!doctype", "<!entity") for codec in ("ascii", "utf-16-le", "utf-16-be")
)


def _check_xml_part(raw: bytes, part: str, filename: str) -> None:
    is_xml = part.lower().endswith((".xml", ".rels"))
    if is_xml and (b"\x00" in raw[:4] or raw[:2] in (b"\xff\xfe", b"\xfe\xff")):
        raise Invalid(f"{filename}: part {part} is not UTF-8 XML, which Word always writes. Fix: {DOCX_FIX}.")
    lowered = raw.lower()
    if any(declaration in lowered for declaration in DECLARATIONS):
        raise Refused(
            f"{filename}: part {part} declares a DOCTYPE or entities (an XML entity attack?), "
            f"which Word never writes. Fix: {DOCX_FIX}."
        )
    if part.lower() == "[content_types].xml" and DOCX_MACRO_TYPE.encode() in lowered:
        raise Refused(
            f"{filename}: the document is macro-enabled (.docm content types). "
            "Fix: save it in Word as a plain .docx (Word Document), not .docm."
        )


def _docx_blocks(document: Any) -> Iterator[str]:
    """Paragraphs and table rows in document order; a row's cells separated by tabs."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                yield "\t".join(cell.text for cell in row.cells)
        else:
            yield block.text


# HTML and text -----------------------------------------------------------------------------

HTML_DROPPED = ("head", "script", "style", "noscript", "template", "iframe", "object", "embed")
HTML_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "address",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)


def _decode(data: bytes, filename: str) -> str:
    """UTF-8 (a byte-order mark is dropped; UTF-16 with its mark is accepted); binary refused."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
    if text is None:
        raise Invalid(f"{filename}: the text is not UTF-8. Fix: save it again as UTF-8.")
    controls = sum(1 for ch in text[:100_000] if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if "\x00" in text or controls > 8:
        raise Invalid(
            f"{filename}: the file is binary, not text. Fix: add it as {SUPPORTED}, with its usual suffix."
        )
    return text


def _plain(data: bytes, filename: str) -> str:
    return _decode(data, filename)


def _html(data: bytes, filename: str) -> tuple[str, str]:
    import lxml.html
    from lxml import etree

    if len(data) > MAX_HTML_BYTES:
        raise Refused(
            f"{filename}: the page is {len(data):,} bytes, over the limit of {MAX_HTML_BYTES:,} "
            "for HTML. Fix: save it as PDF, or split it into smaller pages."
        )
    text = _decode(data, filename)
    parser = lxml.html.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
    )
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise Invalid(
            f"{filename}: the HTML could not be read ({exc}). Fix: save the page again as HTML."
        ) from None
    title = root.findtext(".//title") or ""
    dropped: Any = root.xpath("|".join(f"//{tag}" for tag in HTML_DROPPED))
    for element in dropped:
        element.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif element.tag in HTML_BLOCKS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif element.tag in ("td", "th"):
            element.tail = "\t" + (element.tail or "")
    body: Any = root
    return str(body.text_content()), title
