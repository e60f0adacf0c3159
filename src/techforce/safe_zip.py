"""Open a zip that someone uploaded without trusting it: Office documents (.docx) and other
packages are zips, and a hostile one can unpack to gigabytes (a zip bomb), hold thousands of
entries, name files outside the folder it is unpacked into (zip slip) or be encrypted. The
checks here read the zip's central directory before any entry is decompressed, and
:func:`read_entry` enforces the size again while reading, since the directory can lie.

Core layer: imports only :mod:`techforce.errors`; each capability words its own fix."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from techforce.errors import Invalid

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files, old .doc/.xls


@dataclass(frozen=True)
class ZipLimits:
    """What an uploaded zip may hold: entries, bytes once unpacked (each entry and all of
    them) and the compression ratio of any entry over ``ratio_floor`` bytes."""

    max_entries: int = 2000
    max_entry_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_floor: int = 1_000_000


def unsafe_name(name: str) -> bool:
    """True when an entry's name could land outside the folder it is unpacked into."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    if len(name) > 1 and name[1] == ":":  # a Windows drive letter
        return True
    return any(part == ".." for part in name.split("/"))


def open_checked(data: bytes, filename: str, limits: ZipLimits, fix: str) -> zipfile.ZipFile:
    """The zip in ``data``, once its directory passes the limits; else :class:`Invalid`
    naming ``filename``, what is wrong and ``fix`` (e.g. "save it again as .docx")."""
    if data[:8] == OLE_SIGNATURE:
        raise Invalid(
            f"{filename}: the file is password-protected (encrypted) or an old Office "
            f"format, not a zip package. Fix: remove the password and {fix}."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Invalid(f"{filename}: the file is not a readable zip package. Fix: {fix}.") from None
    try:
        check_entries(archive.infolist(), filename, limits, fix)
    except Invalid:
        archive.close()
        raise
    return archive


def check_entries(infos: list[zipfile.ZipInfo], filename: str, limits: ZipLimits, fix: str) -> None:
    """Refuse, from the central directory alone, too many entries, unsafe names, encrypted
    entries and entries (or a total) that unpack too large or compress suspiciously well."""
    if len(infos) > limits.max_entries:
        raise Invalid(
            f"{filename}: the package holds {len(infos):,} entries, over {limits.max_entries:,}. Fix: {fix}."
        )
    total = 0
    for info in infos:
        if unsafe_name(info.filename):
            raise Invalid(
                f"{filename}: the entry {info.filename!r} names a path outside the package "
                f"(zip slip). Fix: {fix}."
            )
        if info.flag_bits & 0x1:
            raise Invalid(
                f"{filename}: the entry {info.filename} is encrypted. Fix: remove the password and {fix}."
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.max_entry_bytes or (
            info.file_size > limits.ratio_floor and ratio > limits.max_ratio
        ):
            raise Invalid(
                f"{filename}: the entry {info.filename} unpacks to {info.file_size:,} bytes "
                f"from {info.compress_size:,} (a zip bomb?). Fix: {fix}."
            )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise Invalid(
            f"{filename}: the package unpacks to {total:,} bytes, over "
            f"{limits.max_total_bytes:,} (a zip bomb?). Fix: {fix}."
        )


def read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str, limits: ZipLimits, fix: str
) -> bytes:
    """An entry's bytes, read no further than the limit whatever the directory claimed."""
    try:
        with archive.open(info) as entry:
            raw = entry.read(limits.max_entry_bytes + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise Invalid(
            f"{filename}: the entry {info.filename} could not be unpacked ({type(exc).__name__}). Fix: {fix}."
        ) from None
    if len(raw) > limits.max_entry_bytes:
        raise Invalid(
            f"{filename}: the entry {info.filename} unpacks to more than "
            f"{limits.max_entry_bytes:,} bytes (a zip bomb?). Fix: {fix}."
        )
    return raw
