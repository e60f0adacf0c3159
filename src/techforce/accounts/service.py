"""Accounts as a library: create, authenticate (argon2, rate limited), sessions, roles.
The CLI (`techforce users ...`) and the web app both call these; every change is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from techforce import audit
from techforce.accounts.access import Principal, Role
from techforce.accounts.models import User, UserProvider, WebSession
from techforce.audit import AuditEvent, utcnow

HASHER = PasswordHasher()
MIN_PASSWORD = 12
SESSION_HOURS = 12
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,99}")
_DUMMY_HASH = HASHER.hash("techforce-dummy-password")


class AccountError(ValueError):
    """A refused account change or sign-in, with a message saying how to fix it."""


class RateLimited(AccountError):
    pass


SIGNIN_REFUSED = "unknown username or wrong password (or the account is disabled)"


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters long")


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccountError(f"unknown role {value!r}; use one of {', '.join(r.value for r in Role)}") from None


def _providers(role: Role, ukprns: Iterable[str]) -> list[str]:
    chosen = sorted(set(ukprns))
    bad = [u for u in chosen if not re.fullmatch(r"\d{8}", u)]
    if bad:
        raise AccountError(f"not a UKPRN (8 digits): {', '.join(bad)}")
    if role is Role.PROVIDER_LEAD and not chosen:
        raise AccountError("a provider lead needs at least one provider (--provider UKPRN)")
    if role is not Role.PROVIDER_LEAD and chosen:
        raise AccountError("only provider leads have providers; leave them out for this role")
    return chosen


def get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise AccountError(f"no account {username!r}; list them with `techforce users list`")
    return user


def create_user(session: Session, username: str, role: str, providers: Iterable[str] = (), *,
                actor: str, password: str | None = None) -> tuple[User, str | None]:  # fmt: skip
    """Add an account. Without ``password`` a one-time password is generated and returned;
    the user must change it at first sign-in."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise AccountError("a username is 2-100 characters: letters, digits and . _ @ -")
    if session.scalar(select(User).where(User.username == name)) is not None:
        raise AccountError(f"the account {name!r} exists already")
    chosen_role = _role(role)
    ukprns = _providers(chosen_role, providers)
    generated = None
    if password is None:
        password = generated = one_time_password()
    _check_password(password)
    user = User(username=name, password_hash=HASHER.hash(password), role=chosen_role.value,
                must_change_password=generated is not None,
                providers=[UserProvider(ukprn=u) for u in ukprns])  # fmt: skip
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="accounts.user.add", target=name,
                 payload={"role": chosen_role.value, "providers": ukprns})  # fmt: skip
    return user, generated


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, Role(user.role),
                     frozenset(p.ukprn for p in user.providers), user.must_change_password)  # fmt: skip


def _recent_failures(session: Session) -> list[AuditEvent]:
    """Failed sign-ins in the rate-limit window (they are audit events anyway)."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "accounts.signin.failed", AuditEvent.at >= utcnow() - FAILURE_WINDOW)))


def authenticate(session: Session, username: str, password: str, address: str) -> User | None:
    """The user for these credentials, or None (the failure is audited: let the session
    commit). Repeated failures for one account or from one address are refused for a while
    (RateLimited), before any hash is checked."""
    name = username.strip().lower()
    failures = _recent_failures(session)
    if (sum(f.target == name for f in failures) >= MAX_FAILURES_PER_USER
            or sum(f.payload.get("address") == address for f in failures) >= MAX_FAILURES_PER_ADDRESS):
        raise RateLimited(f"too many failed sign-ins; wait {FAILURE_WINDOW.seconds // 60} minutes "
                          "or ask an administrator to reset the password")
    user = session.scalar(select(User).where(User.username == name))
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        audit.record(session, actor=name or "-", action="accounts.signin.failed", target=name,
                     payload={"address": address})  # fmt: skip
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    audit.record(session, actor=name, action="accounts.signin", target=name, payload={"address": address})
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> tuple[str, str]:
    """A new session (always a fresh token: no fixation). Returns (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))  # tidy expired ones
    session.add(WebSession(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf,
                           expires_at=utcnow() + timedelta(hours=SESSION_HOURS)))  # fmt: skip
    return token, csrf


def resolve_session(session: Session, token: str) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None. Runs on every request, so
    it reads columns (no ORM objects) in one query, plus one for a provider lead's providers."""
    found = session.execute(
        select(WebSession.csrf_token, WebSession.expires_at, User.id, User.username, User.role,
               User.disabled, User.must_change_password)
        .join(User, User.id == WebSession.user_id).where(WebSession.token_hash == _token_hash(token))
    ).first()  # fmt: skip
    if found is None:
        return None
    csrf, expires, user_id, username, role, disabled, must_change = found
    if expires.tzinfo is None:  # SQLite returns naive UTC
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    if expires < utcnow() or disabled:
        session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))
        return None
    providers: frozenset[str] = frozenset()
    if role == Role.PROVIDER_LEAD.value:
        providers = frozenset(session.scalars(select(UserProvider.ukprn).where(UserProvider.user_id == user_id)))
    return Principal(user_id, username, Role(role), providers, must_change), csrf


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


def _end_all(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def change_password(session: Session, user: User, current: str, new: str, *, keep_token: str | None = None) -> None:
    """Change a password; every other session of the user ends (``keep_token`` is the
    session making the change)."""
    try:
        HASHER.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("the current password is wrong") from None
    if new == current:
        raise AccountError("choose a new password, not the current one")
    _check_password(new)
    user.password_hash = HASHER.hash(new)
    user.must_change_password = False
    others = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_token is not None:
        others = others.where(WebSession.token_hash != _token_hash(keep_token))
    session.execute(others)
    audit.record(session, actor=user.username, action="accounts.password.change", target=user.username)


def reset_password(session: Session, username: str, *, actor: str) -> str:
    """A new one-time password (to be changed at next sign-in); the user's sessions end."""
    user = get(session, username)
    password = one_time_password()
    user.password_hash = HASHER.hash(password)
    user.must_change_password = True
    _end_all(session, user)
    audit.record(session, actor=actor, action="accounts.password.reset", target=user.username)
    return password


def set_role(session: Session, username: str, role: str, providers: Iterable[str] = (), *,
             actor: str) -> User:  # fmt: skip
    user = get(session, username)
    chosen = _role(role)
    ukprns = _providers(chosen, providers)
    user.role = chosen.value
    user.providers = [UserProvider(ukprn=u) for u in ukprns]
    _end_all(session, user)
    audit.record(session, actor=actor, action="accounts.user.role", target=user.username,
                 payload={"role": chosen.value, "providers": ukprns})  # fmt: skip
    return user


def set_disabled(session: Session, username: str, disabled: bool, *, actor: str) -> User:
    user = get(session, username)
    user.disabled = disabled
    if disabled:
        _end_all(session, user)
    audit.record(session, actor=actor, action="accounts.user.disable" if disabled else "accounts.user.enable",
                 target=user.username)  # fmt: skip
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def as_row(user: User) -> dict[str, object]:
    return {"username": user.username, "role": user.role,
            "providers": " ".join(p.ukprn for p in user.providers),
            "disabled": user.disabled, "must_change_password": user.must_change_password,
            "created": user.created_at.isoformat(timespec="seconds")}  # fmt: skip

