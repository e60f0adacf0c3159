"""The deployment's Ed25519 key that signs credentials (PEM, PKCS#8, at
settings.signing_key_file). Created on first use, readable by its owner alone (0600 in a 0700
folder), and written atomically: a complete key appears under its name or none does, and two
processes creating it at once end up with the same key."""

from __future__ import annotations

import json
import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey

from techforce import errors
from techforce.settings import Settings


def _private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each owner-only (0700)."""
    missing = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        with suppress(FileExistsError):  # made meanwhile by another process
            made.mkdir(mode=0o700)
            os.chmod(made, 0o700)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(path: Path) -> None:
    """Write a new key beside ``path`` and link it into place; if another process got there
    first, its key stands and ours is dropped."""
    _private_dirs(path.parent)
    pem = OKPKey.generate_key("Ed25519").as_pem(private=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with suppress(FileExistsError):
            os.link(tmp, path)  # never replaces an existing key
        _fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path) -> OKPKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise errors.Refused(
            f"{path}: the credential signing key is readable by other users (mode {mode:o}); "
            f"fix with: chmod 600 {path}"
        )
    try:
        key = OKPKey.import_key(path.read_bytes())
    except (JoseError, ValueError, TypeError):
        raise errors.Refused(f"{path}: not an Ed25519 private key in PEM; restore it from backup") from None
    if key.curve_name != "Ed25519" or not key.is_private:
        raise errors.Refused(f"{path}: not an Ed25519 private key; restore it from backup")
    return key


def signing_key(settings: Settings) -> OKPKey:
    """The deployment's signing key, created (0600, in a 0700 folder) on first use. A key file
    others can read, or one that is not an Ed25519 private key, is errors.Refused saying how
    to fix it."""
    path = settings.signing_key_file
    if not path.exists():
        _create(path)
    return _read(path)


def stored_key(settings: Settings) -> OKPKey | None:
    """The signing key if the deployment has one (checking never creates one)."""
    path = settings.signing_key_file
    return _read(path) if path.exists() else None


# ---------------------------------------------------------------- signing

ALG, TYP = "EdDSA", "vc+jwt"


class _Ed25519Only(EdDSAAlgorithm):
    """EdDSA as OB 3.0 verifiers know it. RFC 9864 deprecates the name "EdDSA" because it does
    not say which curve; we sign and check only with the deployment's own Ed25519 key, so that
    ambiguity never arises, and joserfc's warning about it is silenced here alone."""

    security_warning = ""  # falsy: no warning


class _Registry(jws.JWSRegistry):
    algorithms = {ALG: _Ed25519Only()}  # noqa: RUF012 - joserfc's class-level table, ours alone


REGISTRY = _Registry(algorithms=[ALG])


def sign(payload: dict[str, Any], key: OKPKey) -> str:
    """A VC-JWT: compact JWS over ``payload`` (alg EdDSA, typ vc+jwt, kid the key's thumbprint)."""
    header = {"alg": ALG, "typ": TYP, "kid": key.thumbprint()}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, body, key, registry=REGISTRY)
