"""Content-addressed files: kept once under their sha256 in a folder of the data directory,
written owner-only and atomically (a temporary file, fsync, rename), so a crash leaves either
the whole file or none. The library's files and the strategy's evidence uploads use it, each
in its own folder (each collects its own garbage)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from techforce import errors


def path(root: Path, sha256: str) -> Path:
    """Where the file with this digest is kept under ``root``."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise errors.NotFound("there is no such file")
    return root / sha256[:2] / sha256


def store(root: Path, data: bytes) -> str:
    """Keep ``data`` under its sha256 (once, whoever adds it again); its digest."""
    digest = hashlib.sha256(data).hexdigest()
    target = path(root, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=".part-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest
