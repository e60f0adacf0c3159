"""Read interview transcripts (.txt, .docx, .vtt, .srt) into one normalised plain text with
speaker turns, timestamps and stable Unicode code-point offsets.

Offsets are what REFI-QDA / QDA-XML uses: 0-based positions counted in Unicode code points
(not bytes, not UTF-16 units) into the normalised text. The text is normalised BEFORE any
offset is computed: NFC, line endings as ``\\n``, no byte-order mark, no control characters
except ``\\n`` and ``\\t``. So a coding made on the text we store stays valid for as long as
the text is kept.

Rendering: each turn is one paragraph, ``"Speaker: words"`` (or just ``"words"`` when no
speaker is known), paragraphs separated by one ``\\n``. A turn's ``start``/``end`` point at
its words only, not at the speaker label, so ``text[turn.start:turn.end]`` is what was said.

Speaker labels in .txt and .docx: a short prefix (at most 40 characters and 3 words,
starting with a letter) before a colon at the start of a line or paragraph, optionally
after a ``[hh:mm:ss]`` timestamp: ``Interviewer: ...``, ``P03: ...``,
``[00:01:02] Dr Jones: ...``. A line without a label continues the previous turn (joined
with ``\\n``) unless a blank line came between, when it starts a turn without speaker.

Subtitles (.vtt, .srt): the speaker comes from a WebVTT voice tag ``<v Name>`` or a
``Name:`` prefix in the cue text, and the cue's times are kept. Consecutive cues by the
same named speaker are merged into one turn (from the first cue's start to the last cue's
end, texts joined with a space); cues without a speaker stay one turn each.

Browsers count in UTF-16 units: convert with :func:`utf16_offset` and
:func:`codepoint_offset`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from techforce.errors import Invalid

MAX_BYTES = 20 * 1024 * 1024
MAX_DOCX_PART = 50 * 1024 * 1024
MAX_DOCX_TOTAL = 200 * 1024 * 1024
MAX_DOCX_ENTRIES = 2000
MAX_DOCX_RATIO = 200

TEXT_FORMATS = {".txt": "txt", ".text": "txt", ".vtt": "vtt", ".srt": "srt", ".docx": "docx"}

_LABEL = r"(?P<label>[^\W\d_][\w.'’\- ]{0,39}?)"
_STAMP = r"\[(?P<stamp>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\]"
_STAMPED = re.compile(rf"^\s*{_STAMP}\s*(?P<rest>.*)$", re.S)
_LABELLED = re.compile(rf"^\s*{_LABEL}\s*:(?:\s+|$)(?P<rest>.*)$", re.S)
MAX_LABEL_WORDS = 3
_VTT_TIME = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}"
_VTT_TIMING = re.compile(rf"^\s*({_VTT_TIME})\s+-->\s+({_VTT_TIME})(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>")
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]+)*\s+([^>]+)>")
_LINE_BREAKS = re.compile("\r\n|\r|\u2028|\u2029|\x85|\x0b|\x0c")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


@dataclass(frozen=True)
class Turn:
    """One speaker turn: ``text[start:end]`` (code points) is what was said."""

    speaker: str | None
    start: int
    end: int
    begins_at: float | None = None
    ends_at: float | None = None


@dataclass(frozen=True)
class Transcript:
    """Normalised transcript text, its turns, the format read and any warnings."""

    text: str
    turns: list[Turn]
    format: str
    warnings: list[str] = field(default_factory=list)

    def content(self, turn: Turn) -> str:
        """What was said in ``turn``."""
        return self.text[turn.start : turn.end]


@dataclass
class _Piece:
    speaker: str | None
    content: str
    begins_at: float | None = None
    ends_at: float | None = None


def normalise(text: str) -> str:
    """NFC, ``\\n`` line endings, no BOM, no control characters but ``\\n`` and ``\\t``."""
    text = text.removeprefix("\ufeff")
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text)


def read_transcript(data: bytes, filename: str, *, max_bytes: int = MAX_BYTES) -> Transcript:
    """Read a transcript file's bytes; the format comes from the extension (and, for .txt,
    the content: a .txt holding WebVTT or SubRip is read as such). Raises Invalid naming
    the file, the line or cue, and the fix."""
    ext = _extension(filename)
    if len(data) > max_bytes:
        raise Invalid(
            f"{filename}: the file is {len(data):,} bytes, over the limit of {max_bytes:,}; "
            "split the transcript into smaller files"
        )
    if ext in (".docm", ".dotm"):
        raise Invalid(f"{filename}: documents with macros are refused; save it as .docx")
    if ext == ".doc":
        raise Invalid(f"{filename}: old Word .doc files are not read; save it as .docx")
    fmt = TEXT_FORMATS.get(ext)
    if fmt is None:
        known = ", ".join(sorted(TEXT_FORMATS))
        raise Invalid(f"{filename}: unknown transcript type {ext or '(none)'}; use one of {known}")
    warnings: list[str] = []
    if fmt == "docx":
        pieces = _pieces_from_lines(_docx_lines(data, filename, warnings))
    else:
        text = normalise(_decode(data, filename))
        if fmt == "txt":
            fmt = _sniff(text)
            if fmt != "txt":
                warnings.append(f"{filename}: the content is {fmt.upper()}; read it as such")
        if fmt == "vtt":
            pieces = _merge(_vtt_pieces(text, filename))
        elif fmt == "srt":
            pieces = _merge(_srt_pieces(text, filename))
        else:
            pieces = _pieces_from_lines(text.split("\n"))
    return _render(pieces, fmt, filename, warnings)


def utf16_offset(text: str, cp_offset: int) -> int:
    """The UTF-16 (JavaScript) position of code-point position ``cp_offset`` in ``text``."""
    if not 0 <= cp_offset <= len(text):
        raise Invalid(f"offset {cp_offset} is outside the text (0 to {len(text)})")
    return cp_offset + sum(1 for ch in text[:cp_offset] if ord(ch) > 0xFFFF)


def codepoint_offset(text: str, utf16_offset: int) -> int:
    """The code-point position of UTF-16 (JavaScript) position ``utf16_offset`` in ``text``;
    a position inside a surrogate pair is refused."""
    if utf16_offset < 0:
        raise Invalid(f"UTF-16 offset {utf16_offset} is negative; give a position from 0")
    units = 0
    for index, ch in enumerate(text):
        if units == utf16_offset:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > utf16_offset:
            raise Invalid(
                f"UTF-16 offset {utf16_offset} falls inside the character at {index}; select whole characters"
            )
    if units == utf16_offset:
        return len(text)
    raise Invalid(f"UTF-16 offset {utf16_offset} is outside the text (0 to {units})")


def _extension(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Invalid(
            f"{filename}: line {line} is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8 and upload it again"
        ) from None


def _sniff(text: str) -> str:
    head = text.lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    lines = [ln.strip() for ln in head.split("\n", 3)]
    if len(lines) >= 2 and lines[0].isdigit() and "-->" in lines[1]:
        return "srt"
    return "txt"


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _pieces_from_lines(lines: list[str]) -> list[_Piece]:
    """Paragraph-wise speaker turns from lines of plain text or .docx paragraphs."""
    pieces: list[_Piece] = []
    open_turn = False
    for line in lines:
        if not line.strip():
            open_turn = False
            continue
        stamped = _STAMPED.match(line)
        stamp = stamped["stamp"] if stamped else None
        label, rest = _split_label(stamped["rest"] if stamped else line)
        if label is None and stamp is None and open_turn:
            last = pieces[-1]
            last.content = f"{last.content}\n{rest}" if last.content else rest
            continue
        begins = _seconds(stamp) if stamp else None
        pieces.append(_Piece(label, rest, begins))
        open_turn = True
    return pieces


def _split_label(line: str) -> tuple[str | None, str]:
    """``("P03", "words")`` for ``"P03: words"``; ``(None, line)`` when there is no short label."""
    match = _LABELLED.match(line)
    if match is None or len(match["label"].split()) > MAX_LABEL_WORDS:
        return None, line.strip()
    return match["label"].strip(), match["rest"].strip()


def _check_vtt_timings(text: str, filename: str) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        if "-->" in line and not _VTT_TIMING.match(line):
            raise Invalid(
                f"{filename}: line {number}: malformed cue timing {line.strip()!r}; "
                "write it as 00:01:02.000 --> 00:01:05.500 (cue text may not contain -->)"
            )


def _vtt_pieces(text: str, filename: str) -> list[_Piece]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    _check_vtt_timings(text, filename)
    try:
        captions = webvtt.from_buffer(io.StringIO(text)).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise Invalid(
            f"{filename}: not a valid WebVTT file ({exc}); it must start with WEBVTT "
            "and each cue needs a timing line"
        ) from None
    pieces = []
    for caption in captions:
        raw = caption.raw_text
        voice = _VOICE.match(raw)
        body = " ".join(ln.strip() for ln in _TAG.sub("", raw).split("\n") if ln.strip())
        pieces.append(
            _cue_piece(
                voice[1].strip() if voice else None,
                body,
                _seconds(caption.start),
                _seconds(caption.end),
            )
        )
    return pieces


def _srt_pieces(text: str, filename: str) -> list[_Piece]:
    import srt  # type: ignore[import-untyped]

    try:
        subtitles = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as exc:
        line = text[: getattr(exc, "expected_start", 0)].count("\n") + 1
        raise Invalid(
            f"{filename}: line {line}: not valid SubRip ({exc}); each cue is a number, "
            "a line 00:01:02,000 --> 00:01:05,500 and its text"
        ) from None
    pieces = []
    for sub in subtitles:
        raw = sub.content
        voice = _VOICE.match(raw)
        body = " ".join(ln.strip() for ln in _TAG.sub("", raw).split("\n") if ln.strip())
        pieces.append(
            _cue_piece(
                voice[1].strip() if voice else None,
                body,
                sub.start.total_seconds(),
                sub.end.total_seconds(),
            )
        )
    return pieces


def _cue_piece(speaker: str | None, body: str, begins: float, ends: float) -> _Piece:
    if speaker is None:
        speaker, body = _split_label(body)
    return _Piece(speaker, body, begins, ends)


def _merge(pieces: list[_Piece]) -> list[_Piece]:
    """Join consecutive cues by the same named speaker into one turn."""
    merged: list[_Piece] = []
    for piece in pieces:
        if not piece.content:
            continue
        last = merged[-1] if merged else None
        if last is not None and piece.speaker is not None and last.speaker == piece.speaker:
            last.content = f"{last.content} {piece.content}"
            last.ends_at = piece.ends_at
        else:
            merged.append(piece)
    return merged


def _render(pieces: list[_Piece], fmt: str, filename: str, warnings: list[str]) -> Transcript:
    parts: list[str] = []
    turns: list[Turn] = []
    position = 0
    for piece in pieces:
        # pieces come from normalised text; NFC again as removing tags can join characters
        content = unicodedata.normalize("NFC", piece.content).strip()
        if not content:
            continue
        if parts:
            parts.append("\n")
            position += 1
        speaker = unicodedata.normalize("NFC", piece.speaker).strip() if piece.speaker else None
        prefix = f"{speaker}: " if speaker else ""
        parts.append(prefix + content)
        start = position + len(prefix)
        position = start + len(content)
        turns.append(Turn(speaker, start, position, piece.begins_at, piece.ends_at))
    if not turns:
        raise Invalid(f"{filename}: the transcript is empty; upload a file with the text in it")
    return Transcript("".join(parts), turns, fmt, warnings)


def _docx_lines(data: bytes, filename: str, warnings: list[str]) -> list[str]:
    _check_docx_archive(data, filename)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a broken package
        raise Invalid(
            f"{filename}: Word could not be read ({type(exc).__name__}); "
            "open it in Word and save it again as .docx"
        ) from None
    if document.tables:
        warnings.append(f"{filename}: text in tables was not read; move it into paragraphs")
    lines: list[str] = []
    for paragraph in document.paragraphs:
        lines.extend(normalise(paragraph.text).split("\n"))
    return lines


def _check_docx_archive(data: bytes, filename: str) -> None:
    """Refuse what is not a plain .docx before python-docx (lxml) sees it: encrypted
    documents, zip bombs, macros and XML with a DOCTYPE (entity tricks)."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise Invalid(
            f"{filename}: the document is password-protected (encrypted) or an old .doc; "
            "remove the password and save it as .docx"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Invalid(f"{filename}: not a Word .docx file (not a zip); save it as .docx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        _check_entries(infos, filename)
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels")):
                _check_xml_part(archive, info, filename)


def _check_entries(infos: list[zipfile.ZipInfo], filename: str) -> None:
    names = {info.filename for info in infos}
    if "word/document.xml" not in names:
        raise Invalid(f"{filename}: not a Word document (no word/document.xml); save it as .docx")
    if len(infos) > MAX_DOCX_ENTRIES:
        raise Invalid(f"{filename}: {len(infos)} parts is too many; save it again as .docx")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Invalid(f"{filename}: documents with macros are refused; save it as .docx")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise Invalid(f"{filename}: the document is encrypted; remove the password")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_DOCX_PART or (info.file_size > 1_000_000 and ratio > MAX_DOCX_RATIO):
            raise Invalid(
                f"{filename}: part {info.filename} unpacks to {info.file_size:,} bytes "
                "(a zip bomb?); save the document again as .docx"
            )
    if total > MAX_DOCX_TOTAL:
        raise Invalid(
            f"{filename}: the document unpacks to {total:,} bytes, over {MAX_DOCX_TOTAL:,}; "
            "split it into smaller files"
        )


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> None:
    with archive.open(info) as part:
        raw = part.read(MAX_DOCX_PART + 1)
    if len(raw) > MAX_DOCX_PART:
        raise Invalid(
            f"{filename}: part {info.filename} unpacks to more than {MAX_DOCX_PART:,} bytes "
            "(a zip bomb?); save the document again as .docx"
        )
    if b"\x00" in raw[:4] or raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise Invalid(
            f"{filename}: part {info.filename} is not UTF-8 XML, which Word always writes; "
            "save the document again as .docx from Word"
        )
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise Invalid(
            f"{filename}: part {info.filename} declares a DOCTYPE or entities, which Word "
            "never writes; save the document again as .docx from Word"
        )
