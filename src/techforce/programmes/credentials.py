"""Recognition credentials: an Open Badges 3.0 credential for each person who completes a
programme, signed by the deployment, which anyone can check without asking us.

A credential is an ``OpenBadgeCredential`` (W3C Verifiable Credentials Data Model 2.0) signed
as a VC-JWT: a compact JWS (alg EdDSA over the deployment's Ed25519 key, typ ``vc+jwt``, kid
the key's RFC 7638 thumbprint) whose payload is the credential JSON itself, with the JWT claims
``iss``, ``jti`` and ``nbf`` beside its members. That is the only proof format techforce issues
and verifies: a credential JSON without its JWS (an embedded Data Integrity ``proof``) is not
accepted. The recipient is named twice: by a salted SHA-256 of their e-mail address (never the
address itself) and by their name, in plain text, so that a reader sees whose it is.

Revocation is public through a W3C Bitstring Status List: each credential holds a bit (its
``status_index``) in one list credential, published at ``status_url(settings)``, signed the
same way; a set bit means revoked."""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.audit import utcnow
from techforce.programmes import events, notices
from techforce.programmes.credential_checks import (
    MAX_INPUT,
    Check,
    Verification,
    check,
    check_size,
    payload_of,
    schema_problems,
    stamp,
)
from techforce.programmes.credential_keys import ALG, sign, signing_key, stored_key
from techforce.programmes.models import Booking, Cohort, Credential
from techforce.programmes.service import rule_text
from techforce.settings import Settings

__all__ = [
    "MAX_INPUT",
    "Check",
    "Verification",
    "issue",
    "issue_all",
    "payload_of",
    "public_jwk",
    "recipient_name",
    "revoke",
    "schema_problems",
    "signing_key",
    "status_list",
    "status_url",
    "verify",
    "verify_url",
]

STATUS_BITS = 131_072  # the smallest list the Bitstring Status List allows (16 KB), for herd privacy
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
STATUS_PATH = "/programmes/credentials/status"
STATUS_LIST_TTL = timedelta(days=1)  # a status list is good for a day: fetch a fresh one to check
VERIFY_PATH = "/programmes/credentials/verify"
_PG_LOCK = 0x7465_6368_6372_6564  # "techcred": issuers take turns for the next status index
ACHIEVEMENT_TYPES = {"cohort": "LearningProgram", "executive": "LearningProgram"}


# ---------------------------------------------------------------- keys and addresses


def public_jwk(settings: Settings) -> dict[str, str]:
    """The deployment's public key as a JWK (with its kid, RFC 7638 thumbprint), to publish."""
    key = signing_key(settings)
    shown = {k: str(v) for k, v in key.as_dict(private=False).items()}
    return {**shown, "kid": key.thumbprint(), "alg": ALG, "use": "sig"}


def _base(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def status_url(settings: Settings) -> str:
    """Where the status list credential is published (each credential names it)."""
    return _base(settings) + STATUS_PATH


def verify_url(settings: Settings) -> str:
    """The page where anyone can check a credential (printed on certificates)."""
    return _base(settings) + VERIFY_PATH


def recipient_name(credential: dict[str, Any]) -> str:
    """The recipient's name as the credential gives it: the plain-text IdentityObject of type
    "name" in credentialSubject.identifier ('' when there is none)."""
    subject = credential.get("credentialSubject")
    found = subject.get("identifier") if isinstance(subject, dict) else None
    for item in found if isinstance(found, list) else []:
        if isinstance(item, dict) and item.get("identityType") == "name" and item.get("hashed") is False:
            return str(item.get("identityHash", ""))
    return ""


def _day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# ---------------------------------------------------------------- issuing and revoking


def _content(
    booking: Booking, settings: Settings, credential_id: str, index: int, at: datetime
) -> dict[str, Any]:
    """The OpenBadgeCredential for a completed booking, with its JWT claims."""
    cohort, who = booking.cohort, booking.participant
    owner = cohort.programme
    salt = secrets.token_hex(16)
    email = who.email.strip().lower()
    rule = rule_text(owner)
    assert booking.completed_at is not None
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": _base(settings),
            "type": ["Profile"],
            "name": settings.issuer_name,
            "url": _base(settings),
        },
        "validFrom": stamp(at),
        "awardedDate": stamp(booking.completed_at),
        "name": owner.title,
        "description": f"{settings.issuer_name} recognises that {who.name} completed {owner.title} ({cohort.name}).",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest(),
                    "salt": salt,
                },
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": who.name},
            ],
            "term": cohort.name,
            "activityStartDate": _day(cohort.starts_on),
            "activityEndDate": _day(cohort.ends_on),
            "achievement": {
                "id": f"{_base(settings)}/programmes/{owner.slug}",
                "type": ["Achievement"],
                "achievementType": ACHIEVEMENT_TYPES.get(owner.kind, "Course"),
                "name": owner.title,
                "description": owner.description.strip() or owner.title,
                "criteria": {"narrative": f"{rule[0].upper()}{rule[1:]}."},
            },
        },
        "credentialStatus": {
            "id": f"{status_url(settings)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_url(settings),
        },
        "iss": _base(settings),
        "jti": credential_id,
        "nbf": int(at.timestamp()),
    }


def _take_turn(db: Db, booking: Booking) -> None:
    """Serialise issuing: a no-op UPDATE of the booking (its row lock on PostgreSQL, the
    database write lock on SQLite) and, on PostgreSQL, a transaction-scoped advisory lock, so
    two issuers never take the same status index nor issue one booking twice."""
    db.execute(update(Booking).where(Booking.id == booking.id).values(status=Booking.status))
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(_PG_LOCK)))


def issue(db: Db, booking: Booking, settings: Settings, *, actor: str) -> Credential:
    """Issue the credential for a completed booking (``completed_at`` set by
    service.confirm_completions), audited, with a "credential" notice queued. Issuing again
    returns the credential already issued; one revoked is refused (a booking has one)."""
    _take_turn(db, booking)
    found = db.scalar(select(Credential).where(Credential.booking_id == booking.id))
    if found is not None:
        if found.revoked_at is not None:
            raise errors.Refused(
                f"booking {booking.id}'s credential {found.id} was revoked on {stamp(found.revoked_at)[:10]} "
                f"({found.revoked_reason}); a booking has one credential, so none is issued again",
                status=409,
            )
        return found
    db.refresh(booking)
    owner = booking.cohort.programme
    if booking.status != "confirmed":
        raise errors.Refused(
            f"booking {booking.id} is {booking.status}: credentials are for confirmed places", status=409
        )
    if booking.completed_at is None:
        raise errors.Refused(
            f"{booking.participant.name} has not completed {owner.title} ({booking.cohort.name}): "
            f"the completion rule is {rule_text(owner)}. Record the registers"
            + (" and the final project" if owner.requires_project else "")
            + ", then confirm completions, before issuing a credential",
            status=409,
        )
    key = signing_key(settings)
    index = int(db.scalar(select(func.coalesce(func.max(Credential.status_index), -1))) or 0) + 1
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    at = utcnow().replace(microsecond=0)
    token = sign(_content(booking, settings, credential_id, index, at), key)
    row = Credential(
        id=credential_id,
        booking_id=booking.id,
        status_index=index,
        issued_at=at,
        issued_by=actor,
        token=token,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=events.CREDENTIAL_ISSUE,
        target=credential_id,
        payload={"booking": booking.id, "status_index": index, "kid": key.thumbprint()},
    )
    notices.queue(db, "credential", booking)
    return row


def issue_all(db: Db, cohort: Cohort, settings: Settings, actor: str) -> list[Credential]:
    """Issue a credential to every completer of ``cohort`` who has none yet; returns those issued."""
    have = select(Credential.booking_id)
    pending = db.scalars(
        select(Booking)
        .where(
            Booking.cohort_id == cohort.id,
            Booking.status == "confirmed",
            Booking.completed_at.is_not(None),
            Booking.id.not_in(have),
        )
        .order_by(Booking.id)
    )
    return [issue(db, booking, settings, actor=actor) for booking in list(pending)]


def revoke(db: Db, credential_id: str, reason: str, *, actor: str) -> Credential:
    """Revoke a credential, with the reason recorded; the status list shows it from now on."""
    reason = reason.strip()
    if not reason:
        raise errors.Invalid(
            "reason: say why the credential is revoked (it is recorded and shown to checkers)"
        )
    if len(reason) > 500:
        raise errors.Invalid(f"reason: at most 500 characters (this one has {len(reason):,}); shorten it")
    db.execute(
        update(Credential)
        .where(Credential.id == credential_id)
        .values(revoked_reason=Credential.revoked_reason)
    )
    found = db.get(Credential, credential_id)
    if found is None:
        raise errors.NotFound(
            f"no credential {credential_id!r}: give its id (urn:uuid:...) as listed when issued"
        )
    db.refresh(found)
    if found.revoked_at is not None:
        raise errors.Refused(
            f"credential {credential_id} was already revoked on {stamp(found.revoked_at)[:10]}: {found.revoked_reason}",
            status=409,
        )
    found.revoked_at, found.revoked_reason = utcnow(), reason
    db.flush()
    audit.record(
        db, actor=actor, action=events.CREDENTIAL_REVOKE, target=credential_id, payload={"reason": reason}
    )
    return found


# ---------------------------------------------------------------- the status list


def _encode_bits(bits: bytes) -> str:
    """Multibase base64url (prefix u, no padding) of the GZIP-compressed bitstring."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(bits, mtime=0)).rstrip(b"=").decode()


def status_list(db: Db, settings: Settings) -> str:
    """The BitstringStatusListCredential (revocation) as a VC-JWT: bit i, counted from the most
    significant bit of the first byte, is set when the credential with status_index i is
    revoked. The list has 131,072 bits or more (a multiple of that), so it says nothing about
    how many credentials there are."""
    top = db.scalar(select(func.max(Credential.status_index)))
    size = STATUS_BITS * ((top or 0) // STATUS_BITS + 1)
    bits = bytearray(size // 8)
    for index in db.scalars(select(Credential.status_index).where(Credential.revoked_at.is_not(None))):
        bits[index // 8] |= 0x80 >> (index % 8)
    at = utcnow().replace(microsecond=0)
    url = status_url(settings)
    payload = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": _base(settings), "type": ["Profile"], "name": settings.issuer_name},
        "validFrom": stamp(at),
        "validUntil": stamp(at + STATUS_LIST_TTL),  # a list kept longer could hide a revocation
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": _encode_bits(bytes(bits)),
        },
        "iss": _base(settings),
        "jti": url,
        "nbf": int(at.timestamp()),
        "exp": int((at + STATUS_LIST_TTL).timestamp()),
    }
    return sign(payload, signing_key(settings))


# ---------------------------------------------------------------- checking


def verify(
    token: str, settings: Settings, *, status_list_token: str | None = None, db: Db | None = None
) -> Verification:
    """Check a credential issued by this deployment, step by step: a well-formed compact JWS
    (plain, or in a JSON object under "jwt"); alg EdDSA; signed with the deployment's key; valid
    against the Open Badges 3.0 schema; within its dates; not revoked in the status list
    (``status_list_token``, itself checked, or else the current one built from ``db``; with
    neither, revocation is not checked and the status check says so). Input over 1 MB is
    errors.Invalid; anything else gives a Verification saying why it is or is not valid."""
    check_size(token, "the credential given")
    if status_list_token is not None:
        check_size(status_list_token, "the status list given")
    elif db is not None and stored_key(settings) is not None:  # checking never creates a key
        status_list_token = status_list(db, settings)
    return check(token, settings, status_list_token, db)
