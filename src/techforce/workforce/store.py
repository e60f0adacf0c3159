"""The analytical store: immutable Parquet snapshots, one per provider and reporting year.

Atomicity: a snapshot is written under a temporary name, fsynced and renamed to a new,
versioned file name; only then is its catalogue row committed (one transaction for the
whole ingest). A crash before the commit leaves unreferenced files, which ``collect_garbage``
removes; a crash after it leaves the replaced files, removed the same way. Readers only
ever open files named by the catalogue, so they see the store before or after, never half.

Every folder and file the store creates is owner-only (0700 / 0600), whatever the umask."""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from techforce import errors
from techforce.settings import Settings
from techforce.workforce.models import AggregateTable, Snapshot

KEY_BYTES = 32


class KeyFileError(errors.Refused):
    pass


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents owner-only (0700, whatever the umask). A
    folder that exists already is left as it is."""
    missing = []
    folder = path
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # pragma: no cover - made by a concurrent ingest
            continue
        os.chmod(folder, 0o700)


def load_or_create_key(path: Path) -> bytes:
    """The pseudonymisation key; created with mode 0600 on first use."""
    if not path.exists():
        private_dir(path.parent)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # pragma: no cover - created by a concurrent ingest
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES).hex().encode())
            handle.flush()
            os.fsync(handle.fileno())
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"{path}: the pseudonym key is readable by other users (mode {mode:o}); "
            f"fix with: chmod 600 {path}"
        )
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        raise KeyFileError(f"{path}: not a hex-encoded key; restore it from backup") from None
    if len(key) < 16:
        raise KeyFileError(f"{path}: the key is shorter than 16 bytes; restore it from backup")
    return key


def hmac_sql_macro(key: bytes) -> str:
    """A DuckDB macro computing HMAC-SHA256(key, x) as hex, vectorised over a column."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    return (
        "CREATE OR REPLACE TEMP MACRO pseudonym(x) AS substr(sha256("
        f"unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(x)))), 1, 32)"
    )


def pseudonym(key: bytes, value: str) -> str:
    """The same pseudonym as the SQL macro, for one value (used by tests and look-ups)."""
    import hmac

    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def own_pseudonym(key: bytes, ukprn: str, own_staff_id: str) -> str:
    """The snapshot's ``own_id``: the pseudonym of a provider's own staff id (OWNSTAFFID), the
    id a person knows, so a consenting programme participant can be linked to their record."""
    return pseudonym(key, f"own/{ukprn}/{own_staff_id}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path) -> None:
    """Durably move a finished file into place, owner-only (0600) in owner-only folders."""
    private_dir(final.parent)
    os.chmod(tmp, 0o600)
    fsync_path(tmp)
    os.replace(tmp, final)
    fsync_path(final.parent)


@contextmanager
def store_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time per data folder."""
    private_dir(settings.data_dir)
    fd = os.open(settings.data_dir / ".lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def referenced_files(session: Session, settings: Settings) -> set[Path]:
    """Every file the catalogue points at (paths as data_dir / relative path)."""
    paths = set(session.scalars(select(Snapshot.path))) | set(session.scalars(select(AggregateTable.path)))
    return {settings.data_dir / p for p in paths}


def collect_garbage(session: Session, settings: Settings) -> list[Path]:
    """Remove temporary and unreferenced files left by an interrupted or replaced write.
    Call with the store lock held."""
    removed: list[Path] = []
    keep = referenced_files(session, settings)
    for folder in (settings.snapshot_dir, settings.data_dir / "aggregates"):
        if not folder.exists():
            continue
        for tmp in folder.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            removed.append(tmp)
        for path in folder.rglob("*.parquet"):
            if path not in keep:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def snapshot_files(
    session: Session, settings: Settings, *, years: list[int] | None = None, ukprns: list[str] | None = None
) -> list[tuple[Snapshot, Path]]:
    query = select(Snapshot).order_by(Snapshot.year, Snapshot.ukprn)
    if years:
        query = query.where(Snapshot.year.in_(years))
    if ukprns:
        query = query.where(Snapshot.ukprn.in_(ukprns))
    return [(s, settings.data_dir / s.path) for s in session.scalars(query)]


def catalogue_inputs(
    session: Session, settings: Settings, *, years: list[int] | None = None, ukprns: list[str] | None = None
) -> tuple[list[Path], dict[tuple[str, int], bool]]:
    """The snapshot files to read and, per provider-year, whether non-academic staff were
    returned (the population of every non-academic indicator)."""
    found = snapshot_files(session, settings, years=years, ukprns=ukprns)
    return [p for _, p in found], {(s.ukprn, s.year): s.returned_non_academic for s, _ in found}


def latest_year(session: Session) -> int | None:
    from sqlalchemy import func

    return session.scalar(select(func.max(Snapshot.year)))
