"""Uploaded files on their way to an ingest: saved a chunk at a time into a new owner-only
folder, problems reported under the names the user gave, and uploads that would replace a
snapshot kept until the user confirms them.

A kept upload is the folder of one upload, renamed ``pending-<sha256(token)>``, with a
``pending.json`` (0600) beside its files: the user, an HMAC of the token under the
session's CSRF token (so only the session that saw the preview can confirm it), the time it
expires and the snapshots the preview showed. The token (32 random bytes) is only in the
preview page's form. Confirming renames the folder again (``claimed-...``): of two
confirmations of one token, one finds it. One upload waits per user (a new preview drops
the earlier one); expired folders go at the next upload."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from techforce import errors
from techforce.workforce.problems import Problem

UPLOAD_CHUNK = 1024 * 1024  # bytes read at a time: an upload is never held whole in memory
PENDING_SECONDS = 30 * 60  # how long an upload waits for its confirmation
STALE_SECONDS = 6 * 3600  # a folder left behind by a crash is removed after this
META = "pending.json"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
LONGEST_NAME_BYTES = 255  # the longest file name (in bytes) the usual file systems hold


def _now() -> float:
    return time.time()


class TooLarge(Exception):
    pass


class PendingGone(errors.Refused):
    """The kept upload was confirmed, cancelled or has expired (or belongs to another session)."""

    status = 410


def upload_folder(data_dir: Path) -> Path:
    """A new folder (mode 0700) for one upload, under data_dir/uploads (0700): removed when
    the upload is ingested or refused, or kept (renamed) until the user confirms it."""
    root = data_dir / "uploads"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=root))  # mkdtemp: mode 0700


def file_name(given: str | None) -> str:
    """The last part of a browser's file name (either slash), without control characters."""
    name = re.split(r"[/\\]", given or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name if name not in ("", ".", "..") else "upload"


def name_too_long(name: str) -> str | None:
    """Why no file can have this name here (longer than a file system allows, or not
    writable as a file name at all), or None when it can."""
    try:
        size = len(os.fsencode(name))
    except UnicodeError:
        return "the file name has characters no file name may hold"
    if size > LONGEST_NAME_BYTES:
        return f"the file name is {size:,} bytes long; a file name may be at most {LONGEST_NAME_BYTES} bytes"
    return None


def shortened(name: str) -> str:
    """A file name short enough to show: the start and the end (its extension) of a long one."""
    return name if len(name) <= 80 else f"{name[:60]}…{name[-12:]}"


def save(upload: UploadFile, target: Path, total: int, limit: int) -> int:
    """Copy one uploaded file to ``target`` (mode 0600) a chunk at a time, stopping as soon as
    the upload so far passes ``limit``. Returns the new total."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := upload.file.read(UPLOAD_CHUNK):
            total += len(chunk)
            if total > limit:
                raise TooLarge()
            out.write(chunk)
    return total


def listed(problems: list[Problem], folder: Path, names: list[str]) -> list[dict[str, object]]:
    """Problems for the user: every text (file, message, fix, value, path) under the names
    they uploaded, never the server's folder; a problem about the whole upload names its
    files."""
    whole = ", ".join(names) or "the upload"
    spellings = sorted(
        {str(folder), os.path.abspath(folder), os.path.realpath(folder)}, key=len, reverse=True
    )

    def scrub(text: str) -> str:
        for spelled in spellings:
            text = text.replace(f"in folder {spelled}", "in the upload")
            text = text.replace(spelled + os.sep, "").replace(spelled, whole)
        return text

    found = []
    for p in problems[:2000]:
        item = p.as_dict()
        found.append({key: scrub(value) if isinstance(value, str) else value for key, value in item.items()})
    return found


def named(folder: Path, names: Iterable[str]) -> list[Path]:
    return [folder / n for n in names]


# --- uploads kept until confirmed --------------------------------------------------------
@dataclass
class Pending:
    folder: Path  # the claimed folder: the caller removes it
    names: list[str]
    expected: dict[tuple[str, int], str | None]


def _binding(csrf: str, token: str) -> str:
    return hmac.new(csrf.encode(), f"pending-upload:{token}".encode(), hashlib.sha256).hexdigest()


def _pending_name(token: str) -> str:
    return "pending-" + hashlib.sha256(token.encode()).hexdigest()[:40]


def keep(
    folder: Path, *, user: str, csrf: str, names: list[str], expected: dict[tuple[str, int], str | None]
) -> str:
    """Keep an upload's folder for confirmation by this session; returns its token. The
    user's earlier kept upload, if any, goes: one waits per user, so previews cannot fill
    the disk."""
    for other in folder.parent.glob("pending-*"):
        meta = _meta(other)
        if meta is None or meta.get("user") == user:
            shutil.rmtree(other, ignore_errors=True)
    token = secrets.token_urlsafe(32)
    meta = {
        "user": user,
        "binding": _binding(csrf, token),
        "expires": _now() + PENDING_SECONDS,
        "names": names,
        "expected": [[u, y, snapshot] for (u, y), snapshot in sorted(expected.items())],
    }
    fd = os.open(folder / META, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(meta, out)
    os.rename(folder, folder.parent / _pending_name(token))
    return token


def claim(data_dir: Path, token: str, *, user: str, csrf: str) -> Pending:
    """The kept upload for ``token``, taken out of the waiting room (renamed) so that no
    second confirmation finds it. PendingGone when there is none for this session."""
    gone = PendingGone(
        "this upload is no longer waiting for confirmation (it was confirmed or cancelled, "
        f"or {PENDING_SECONDS // 60} minutes passed); upload the files again"
    )
    if not TOKEN.fullmatch(token):
        raise gone
    root = data_dir / "uploads"
    folder = root / _pending_name(token)
    meta = _meta(folder)
    if (
        meta is None
        or meta.get("user") != user
        or not hmac.compare_digest(str(meta.get("binding", "")), _binding(csrf, token))
    ):
        raise gone
    claimed = root / f"claimed-{secrets.token_hex(8)}"
    try:
        os.rename(folder, claimed)
    except FileNotFoundError:
        raise gone from None
    (claimed / META).unlink(missing_ok=True)  # read; a new preview writes its own
    if float(meta.get("expires", 0)) < _now():
        shutil.rmtree(claimed, ignore_errors=True)
        raise gone
    expected = {(str(u), int(y)): (str(s) if s else None) for u, y, s in meta.get("expected", [])}
    return Pending(claimed, [str(n) for n in meta.get("names", [])], expected)


def _meta(folder: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def sweep(data_dir: Path) -> None:
    """Remove kept uploads past their time, and folders a crash left behind."""
    root = data_dir / "uploads"
    if not root.is_dir():
        return
    now = _now()
    for folder in root.iterdir():
        try:
            age = now - folder.stat().st_mtime
        except OSError:
            continue
        if folder.name.startswith("pending-"):
            meta = _meta(folder)
            expired = meta is None or float(meta.get("expires", 0)) < now
            if (expired and age > 60) or age > PENDING_SECONDS + 60:
                shutil.rmtree(folder, ignore_errors=True)
        elif age > STALE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
