"""Checking a credential: each step of verification in order, with the reason it fails.
``credentials.verify`` runs them; the web's verification page and the CLI show them.

Only VC-JWT is checked (a compact JWS whose payload is the credential): that is the one proof
format techforce issues. A credential's JSON without its JWS cannot be checked."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from jsonschema import Draft201909Validator  # type: ignore[import-untyped]
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.audit import utcnow
from techforce.programmes.credential_keys import ALG, REGISTRY, TYP, stored_key
from techforce.programmes.models import Credential
from techforce.settings import Settings

MAX_INPUT = 1_000_000  # bytes: the largest credential or status list accepted for checking
MAX_STATUS_BYTES = 16 * 1024 * 1024  # a larger decompressed status list is refused (a "zip bomb")
SKEW = timedelta(minutes=5)  # clocks may differ this much between issuer and checker
SCHEMA_FILE = "ob_v3p0_achievementcredential_schema.json"


class Check(BaseModel):
    """One step of checking a credential, in the order they run."""

    name: str  # format | algorithm | signature | schema | dates | status
    passed: bool
    detail: str


class Verification(BaseModel):
    """What checking a credential found. ``credential`` is the signed content (None unless the
    signature is the issuer's); ``reason`` says why it is not valid, or what it is."""

    valid: bool
    reason: str
    credential: dict[str, Any] | None = None
    revoked: bool = False
    checks: list[Check] = Field(default_factory=list)


def stamp(moment: datetime) -> str:
    """A UTC time as credentials write it: 2026-03-02T09:30:00Z."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC times
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_id(credential: dict[str, Any]) -> str:
    """The issuer's id, whether the issuer is given as a Profile or as its URI."""
    issuer = credential.get("issuer")
    return str(issuer.get("id", "")) if isinstance(issuer, dict) else str(issuer or "")


def decode_bits(encoded: str) -> bytes:
    """The bitstring of a status list's ``encodedList`` (multibase base64url, prefix u, of the
    GZIP-compressed bits); ValueError when it is not one or expands beyond MAX_STATUS_BYTES."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url (it must start with 'u')")
    try:
        packed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
        unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = unpacker.decompress(packed, MAX_STATUS_BYTES + 1)
    except (zlib.error, ValueError) as exc:
        raise ValueError(f"encodedList is not GZIP-compressed base64url: {exc}") from None
    if len(bits) > MAX_STATUS_BYTES:
        raise ValueError(f"encodedList expands beyond {MAX_STATUS_BYTES:,} bytes")
    return bits


def check_size(text: str, what: str) -> None:
    """Refuse (errors.Invalid) input over MAX_INPUT bytes before reading it."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_INPUT:
        raise errors.Invalid(
            f"{what} is {size:,} bytes; the most checked is {MAX_INPUT:,} (1 MB): "
            "give the .jwt file techforce exported"
        )


@cache
def _validator() -> Draft201909Validator:
    folder = resources.files("techforce.programmes") / "standards" / "openbadges"
    return Draft201909Validator(json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8")))


def schema_problems(credential: dict[str, Any]) -> list[str]:
    """Where ``credential`` breaks the Open Badges 3.0 JSON Schema (vendored), as 'at PATH: message'."""
    found = sorted(_validator().iter_errors(credential), key=lambda e: list(map(str, e.absolute_path)))
    return [f"at {'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in found]


def _unwrap(token: str) -> tuple[str, str]:
    """The compact JWS in ``token`` (plain, a JSON string, or a JSON object with it under
    "jwt", "token", "credential" or "vc"), or '' and why there is none."""
    text = token.strip().lstrip("\ufeff").strip()
    if not text.startswith(("{", '"')):
        return text, ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to be a credential
        return "", "not a compact JWS and not JSON: give the .jwt file (three parts joined by dots)"
    if isinstance(data, str):
        return data.strip(), ""
    if isinstance(data, dict):
        for name in ("jwt", "token", "credential", "vc"):
            if isinstance(data.get(name), str):
                return str(data[name]).strip(), ""
    return "", (
        "this is credential JSON without its signature: techforce signs credentials as VC-JWT "
        "(a compact JWS), not with an embedded proof; check the .jwt file instead"
    )


def _open(text: str, settings: Settings, checks: list[Check]) -> dict[str, Any] | None:
    """Check the JWS's form, algorithm and signature (each appended to ``checks``); the payload
    when all pass, else None."""
    try:
        parts = jws.extract_compact(text.encode(), registry=REGISTRY)
        header, payload = parts.headers(), json.loads(parts.payload)
        if not isinstance(payload, dict):
            raise ValueError("the payload is not a JSON object")
    except RecursionError:
        checks.append(
            Check(name="format", passed=False, detail="not a credential: its JSON is nested too deep")
        )
        return None
    except (JoseError, ValueError, UnicodeError) as exc:
        checks.append(Check(name="format", passed=False, detail=f"not a well-formed compact JWS: {exc}"))
        return None
    checks.append(Check(name="format", passed=True, detail="a compact JWS with a JSON payload"))
    if header.get("alg") != ALG or header.get("typ") != TYP:
        detail = f"the header says alg {header.get('alg')!r}, typ {header.get('typ')!r}; techforce signs alg {ALG}, typ {TYP}"
        checks.append(Check(name="algorithm", passed=False, detail=detail))
        return None
    checks.append(Check(name="algorithm", passed=True, detail=f"alg {ALG}, typ {TYP}"))
    key = stored_key(settings)
    mismatch = "signature does not match the issuer's key"
    if key is None:
        detail = f"{mismatch}: this deployment has no signing key yet (it has issued no credentials)"
    elif header.get("kid") != key.thumbprint():
        detail = (
            f"{mismatch}: the token names key {header.get('kid')!r}, the issuer's key is {key.thumbprint()!r}"
        )
    else:
        try:
            jws.deserialize_compact(text, key, registry=REGISTRY)
            checks.append(
                Check(
                    name="signature", passed=True, detail=f"signed with the issuer's key {key.thumbprint()}"
                )
            )
            return payload
        except BadSignatureError:
            detail = f"{mismatch}: the content was changed after signing, or another key signed it"
        except (JoseError, ValueError) as exc:
            detail = f"{mismatch}: {exc}"
    checks.append(Check(name="signature", passed=False, detail=detail))
    return None


def _parse_time(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def _dates(credential: dict[str, Any]) -> Check:
    now = utcnow()
    try:
        start = _parse_time(credential.get("validFrom"))
        end = _parse_time(credential["validUntil"]) if "validUntil" in credential else None
    except (ValueError, TypeError) as exc:
        return Check(name="dates", passed=False, detail=f"validFrom/validUntil is not a date and time: {exc}")
    if start > now + SKEW:
        return Check(name="dates", passed=False, detail=f"not valid until {stamp(start)}")
    if end is not None and end < now - SKEW:
        return Check(name="dates", passed=False, detail=f"expired on {stamp(end)[:10]}")
    return Check(
        name="dates",
        passed=True,
        detail=f"valid from {stamp(start)[:10]}" + (f" until {stamp(end)[:10]}" if end else ""),
    )


def _status(credential: dict[str, Any], lists: str, settings: Settings, db: Db | None) -> tuple[Check, bool]:
    """Look the credential's bit up in the status list token ``lists`` (itself checked)."""
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        return Check(
            name="status", passed=False, detail="the credential has no BitstringStatusListEntry to check"
        ), False
    inner: list[Check] = []
    status = _open(lists, settings, inner)
    if status is None:
        return Check(
            name="status", passed=False, detail=f"the status list is not the issuer's: {inner[-1].detail}"
        ), False
    subject = status.get("credentialSubject") or {}
    try:
        until = _parse_time(status["validUntil"])
    except (KeyError, ValueError, TypeError):
        return Check(
            name="status", passed=False, detail="the status list has no validUntil: fetch the current one"
        ), False
    if until < utcnow() - SKEW:
        detail = f"the status list expired on {stamp(until)[:16]}: fetch the current one from {entry.get('statusListCredential')}"
        return Check(name="status", passed=False, detail=detail), False
    if status.get("id") != entry.get("statusListCredential"):
        detail = f"the status list given is {status.get('id')!r}; the credential's is {entry.get('statusListCredential')!r}"
        return Check(name="status", passed=False, detail=detail), False
    if not isinstance(subject, dict) or subject.get("statusPurpose") != entry.get("statusPurpose"):
        return Check(
            name="status",
            passed=False,
            detail="the status list is for another purpose than the credential's entry",
        ), False
    try:
        bits, index = (
            decode_bits(str(subject.get("encodedList", ""))),
            int(str(entry.get("statusListIndex"))),
        )
    except ValueError as exc:
        return Check(name="status", passed=False, detail=f"the status list cannot be read: {exc}"), False
    if not 0 <= index < len(bits) * 8:
        return Check(name="status", passed=False, detail=f"index {index} is outside the status list"), False
    when = str(status.get("validFrom", ""))[:10]
    if not bits[index // 8] & (0x80 >> (index % 8)):
        return Check(name="status", passed=True, detail=f"not revoked (status list of {when})"), False
    row = db.get(Credential, credential.get("id")) if db is not None else None
    if row is not None and row.revoked_at is not None:
        return Check(
            name="status",
            passed=False,
            detail=f"revoked on {stamp(row.revoked_at)[:10]}: {row.revoked_reason}",
        ), True
    return Check(name="status", passed=False, detail=f"revoked (status list of {when})"), True


def check(text: str, settings: Settings, status_list_token: str | None, db: Db | None) -> Verification:
    """Run every check on ``text`` (see credentials.verify) against ``status_list_token``."""
    check_size(text, "the credential given")
    jwt, problem = _unwrap(text)
    checks: list[Check] = []
    if problem:
        return Verification(
            valid=False, reason=problem, checks=[Check(name="format", passed=False, detail=problem)]
        )
    credential = _open(jwt, settings, checks)
    if credential is None:
        return Verification(valid=False, reason=checks[-1].detail, checks=checks)
    problems = schema_problems(credential)
    if credential.get("jti", credential.get("id")) != credential.get("id") or credential.get(
        "iss", issuer_id(credential)
    ) != issuer_id(credential):
        problems.append("the JWT claims iss/jti differ from the credential's issuer/id")
    summary = "; ".join(problems[:3]) if problems else "an Open Badges 3.0 credential (schema 3.0.3)"
    checks.append(Check(name="schema", passed=not problems, detail=summary))
    checks.append(_dates(credential))
    revoked = False
    if status_list_token is None:
        checks.append(Check(name="status", passed=True, detail="not checked: no status list was given"))
    else:
        found, revoked = _status(credential, status_list_token.strip(), settings, db)
        checks.append(found)
    failed = [c for c in checks if not c.passed]
    if failed:
        reason = checks[-1].detail if revoked else failed[0].detail
        return Verification(valid=False, reason=reason, credential=credential, revoked=revoked, checks=checks)
    issuer = credential.get("issuer")
    named = issuer.get("name", "") if isinstance(issuer, dict) else issuer_id(credential)
    when = str(credential.get("validFrom"))[:10]
    return Verification(
        valid=True,
        reason=f"valid: {credential.get('name', 'a credential')}, issued by {named} on {when}",
        credential=credential,
        checks=checks,
    )


def payload_of(token: str) -> dict[str, Any]:
    """The content of a VC-JWT as signed, without checking it: for showing or exporting a
    credential read from this store (never for one given by someone else: use verify)."""
    parts = jws.extract_compact(token.strip().encode(), registry=REGISTRY)
    payload = json.loads(parts.payload)
    if not isinstance(payload, dict):
        raise ValueError("the token's payload is not a JSON object")
    return payload
