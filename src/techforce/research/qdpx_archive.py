"""Safe reading of a zip archive (.qdpx) from a stranger: every entry's name, kind and
declared size is checked before anything is unpacked, and the bytes actually unpacked are
counted while reading, so zip-slip names, links, encrypted entries and zip bombs are refused
with the entry named."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from techforce.errors import Invalid, Refused

MAX_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 5_000
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_S_IFMT, _S_IFLNK = 0o170000, 0o120000


@dataclass
class Archive:
    """A checked zip: names are safe, sizes and counts within limits; reads count bytes."""

    zf: zipfile.ZipFile
    filename: str
    budget: int
    folded: dict[str, zipfile.ZipInfo] = field(default_factory=dict)

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.folded.get(name.lower())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, refused as soon as more come out than declared or allowed."""
        chunks, total = [], 0
        try:
            with self.zf.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    total += len(chunk)
                    if total > info.file_size or total > self.budget:
                        raise Refused(
                            f"{self.filename}: entry {info.filename} unpacks to more than its declared "
                            f"size or the {self.budget:,} bytes left; this looks like a zip bomb. "
                            "Fix: export the project again from the QDA tool."
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
            raise Invalid(
                f"{self.filename}: entry {info.filename} is damaged or uses an unknown compression ({exc}). "
                "Fix: export the project again from the QDA tool."
            ) from None
        self.budget -= total
        return b"".join(chunks)


def _unsafe_name(info: zipfile.ZipInfo) -> str | None:
    name = info.orig_filename
    if "\x00" in name or "\\" in name:
        return "has a NUL or a backslash in its name"
    if name.startswith("/") or _DRIVE.match(name):
        return "has an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the archive with '..'"
    if (info.external_attr >> 16) & _S_IFMT == _S_IFLNK:
        return "is a symbolic link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def _declared_entries(data: bytes) -> int | None:
    """The entry count in the zip's end record, read before the directory is parsed (so a
    directory of millions of entries is refused without building them); None if absent."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, at + 10)
    return None if count == 0xFFFF else int(count)


def open_archive(data: bytes, filename: str, max_bytes: int, max_entries: int, max_ratio: int) -> Archive:
    """Check the archive before anything is unpacked."""
    if len(data) > max_bytes:
        raise Refused(f"{filename}: {len(data):,} bytes is more than the {max_bytes:,} allowed. "
                      "Fix: export a smaller project, or split it.")  # fmt: skip
    count = _declared_entries(data)
    if count is not None and count > 10 * max_entries:
        raise Refused(
            f"{filename}: has {count:,} entries, more than {max_entries:,}. Fix: export a smaller project."
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise Invalid(
            f"{filename}: is not a .qdpx archive (not a zip). Fix: export a REFI-QDA project (.qdpx)."
        ) from None
    if len(infos) > max_entries:
        raise Refused(f"{filename}: has {len(infos):,} entries, more than {max_entries:,} (entry "
                      f"{infos[max_entries].filename!r} is over the limit). Fix: export a smaller project.")  # fmt: skip
    archive = Archive(zf, filename, max_bytes)
    declared = 0
    for info in infos:
        why = _unsafe_name(info)
        if why:
            raise Refused(f"{filename}: entry {info.orig_filename!r} {why}, which is refused. "
                          "Fix: export the project again from the QDA tool, without it.")  # fmt: skip
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if declared > max_bytes or (info.file_size > RATIO_FLOOR and ratio > max_ratio):
            raise Refused(f"{filename}: entry {info.filename!r} unpacks to {info.file_size:,} bytes "
                          f"({ratio:,.0f} times its packed size; limit {max_bytes:,} bytes in all, ratio "
                          f"{max_ratio}); this looks like a zip bomb. Fix: export a smaller project.")  # fmt: skip
        if info.filename.lower() in archive.folded:
            raise Refused(
                f"{filename}: entry {info.filename!r} appears twice. Fix: export the project again."
            )
        archive.folded[info.filename.lower()] = info
    return archive
