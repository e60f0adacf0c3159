"""Accounts as a library: create, authenticate (argon2, rate limited), sessions, roles.
The CLI (`techforce users ...`) and the web app both call these; every change is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from techforce import audit, errors
from techforce.accounts.access import Principal, Role
from techforce.accounts.models import SigninThrottle, User, UserProvider, WebSession
from techforce.audit import utcnow

HASHER = PasswordHasher()
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte per try would be a cheap denial of service
MIN_STRENGTH = 3  # zxcvbn score 0-4; 3: "safely unguessable", beyond the common-password lists
SESSION_HOURS = 12
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(hours=24)  # a run of failures is forgotten after a day without any
FIRST_WAIT = timedelta(seconds=1)  # after the allowed failures: wait 1 s, doubling with each failure
MAX_WAIT = timedelta(minutes=15)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,99}")
_DUMMY_HASH = HASHER.hash("techforce-dummy-password")


class AccountError(errors.Refused):
    """A refused account change or sign-in, with a message saying how to fix it."""


class RateLimited(AccountError):
    """Too many failed sign-ins for the account or from the address; ``wait`` says how long."""

    status = 429

    def __init__(self, wait: timedelta) -> None:
        self.wait = wait
        super().__init__(
            f"too many failed sign-ins; try again in {_duration(wait)} "
            "(or ask an administrator to reset the password)"
        )


class AccountExists(AccountError):
    """The username is taken (also when two requests create it at the same moment)."""

    status = 409


SIGNIN_REFUSED = "unknown username or wrong password (or the account is disabled)"


def _duration(wait: timedelta) -> str:
    seconds = max(1, round(wait.total_seconds() + 0.499))
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{round(seconds / 60)} minutes"


def check_password(password: str, username: str = "") -> None:
    """Refuse a password that is short, contains the username, or is easy to guess: zxcvbn
    (Dropbox's estimator, with its lists of common passwords, names and words) must score it
    at least MIN_STRENGTH of 4. The message says what is wrong and what works."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must be at most {MAX_PASSWORD} characters long")
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        raise AccountError("the password must not contain the username")
    result = zxcvbn(password[:100], user_inputs=[name, "techforce"] if name else ["techforce"])
    if result["score"] < MIN_STRENGTH:
        why = str(result["feedback"].get("warning") or "it is easy to guess").rstrip(".")
        raise AccountError(
            f"the password is too easy to guess ({why[:1].lower() + why[1:]}); "
            "use a passphrase of four or more unrelated words"
        )


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


def create_user(
    session: Session,
    username: str,
    role: str,
    providers: Iterable[str] = (),
    *,
    actor: str,
    password: str | None = None,
) -> tuple[User, str | None]:
    """Add an account. Without ``password`` a one-time password is generated and returned;
    the user must change it at first sign-in."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise AccountError(
            "a username is 2-100 characters: letters, digits and . _ @ - (no spaces, slashes or line breaks)"
        )
    exists = f"the account {name!r} exists already; choose another name"
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AccountExists(exists)
    chosen_role = _role(role)
    ukprns = _providers(chosen_role, providers)
    generated = None
    if password is None:
        password = generated = one_time_password()
    else:
        check_password(password, name)
    user = User(
        username=name,
        password_hash=HASHER.hash(password),
        role=chosen_role.value,
        must_change_password=generated is not None,
        providers=[UserProvider(ukprn=u) for u in ukprns],
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # created by a parallel request since the check above
        # "from None": the database error carries the row (with the hash); it is never shown or logged
        raise AccountExists(exists) from None
    audit.record(
        session,
        actor=actor,
        action="accounts.user.add",
        target=name,
        payload={"role": chosen_role.value, "providers": ukprns},
    )
    return user, generated


def principal(user: User) -> Principal:
    return Principal(
        user.id,
        user.username,
        Role(user.role),
        frozenset(p.ukprn for p in user.providers),
        user.must_change_password,
    )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive UTC
        return moment.replace(tzinfo=utcnow().tzinfo)
    return moment


def _throttles(session: Session, keys: list[str]) -> list[SigninThrottle]:
    """The throttle rows of ``keys``, created if new and locked for this transaction: FOR
    UPDATE on PostgreSQL; on SQLite the insert takes the database's write lock. Parallel
    attempts for the same account or address therefore pass one at a time."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key in keys:  # sorted: two attempts lock their rows in the same order (no deadlock)
        session.execute(insert(SigninThrottle).values(key=key, failures=0).on_conflict_do_nothing())
    rows = session.scalars(
        select(SigninThrottle)
        .where(SigninThrottle.key.in_(keys))
        .order_by(SigninThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _limit(key: str) -> int:
    return MAX_FAILURES_PER_USER if key.startswith("user:") else MAX_FAILURES_PER_ADDRESS


def _failed(row: SigninThrottle, now: datetime) -> None:
    row.failures += 1
    row.last_failure = now
    over = row.failures - _limit(row.key)
    if over >= 0:  # back off exponentially: 1 s, 2 s, 4 s ... at most MAX_WAIT
        row.blocked_until = now + min(FIRST_WAIT * 2 ** min(over, 30), MAX_WAIT)


def _printable(text: str, limit: int = 100) -> str:
    """A user-typed name for the audit log: one line, bounded."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)[:limit]


def authenticate(session: Session, username: str, password: str, address: str) -> User | None:
    """The user for these credentials, or None (the failure is audited and counted: let the
    session commit). After MAX_FAILURES_PER_USER failures for an account, or
    MAX_FAILURES_PER_ADDRESS from an address, each further attempt must wait (RateLimited,
    before any hash is checked): 1 s, then twice as long after each failure, at most
    MAX_WAIT; the right password after the wait resets the account's count. Counting is
    atomic: the account's and the address's rows stay locked until the caller commits."""
    name = username.strip().lower()
    now = utcnow()
    rows = _throttles(session, sorted({f"user:{name[:150]}", f"address:{address[:150]}"}))
    waits = [until - now for r in rows if (until := _aware(r.blocked_until)) is not None and until > now]
    if waits:
        raise RateLimited(max(waits))
    for row in rows:  # an old run of failures, waited out, is forgotten
        last = _aware(row.last_failure)
        if last is not None and now - last > FAILURE_WINDOW:
            row.failures, row.blocked_until = 0, None
    user = session.scalar(select(User).where(User.username == name)) if USERNAME.fullmatch(name) else None
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password[:MAX_PASSWORD])
        ok = user is not None and not user.disabled and len(password) <= MAX_PASSWORD
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        for row in rows:
            _failed(row, now)
        shown = _printable(name) or "-"
        audit.record(
            session,
            actor=shown,
            action="accounts.signin.failed",
            target=shown,
            payload={"address": _printable(address)},
        )
        return None
    for row in rows:
        if row.key.startswith("user:"):
            row.failures, row.blocked_until = 0, None
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
    session.add(
        WebSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        )
    )
    return token, csrf


def resolve_session(session: Session, token: str) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None. Runs on every request, so
    it reads columns (no ORM objects) in one query, plus one for a provider lead's providers."""
    found = session.execute(
        select(
            WebSession.csrf_token,
            WebSession.expires_at,
            User.id,
            User.username,
            User.role,
            User.disabled,
            User.must_change_password,
        )
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _token_hash(token))
    ).first()
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
        providers = frozenset(
            session.scalars(select(UserProvider.ukprn).where(UserProvider.user_id == user_id))
        )
    return Principal(user_id, username, Role(role), providers, must_change), csrf


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


def _end_all(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def change_password(
    session: Session, user: User, current: str, new: str, *, keep_token: str | None = None
) -> None:
    """Change a password; every other session of the user ends (``keep_token`` is the
    session making the change)."""
    try:
        HASHER.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("the current password is wrong") from None
    if new == current:
        raise AccountError("choose a new password, not the current one")
    check_password(new, user.username)
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


def set_role(
    session: Session, username: str, role: str, providers: Iterable[str] = (), *, actor: str
) -> User:
    user = get(session, username)
    chosen = _role(role)
    ukprns = _providers(chosen, providers)
    user.role = chosen.value
    user.providers = [UserProvider(ukprn=u) for u in ukprns]
    _end_all(session, user)
    audit.record(
        session,
        actor=actor,
        action="accounts.user.role",
        target=user.username,
        payload={"role": chosen.value, "providers": ukprns},
    )
    return user


def set_disabled(session: Session, username: str, disabled: bool, *, actor: str) -> User:
    user = get(session, username)
    user.disabled = disabled
    if disabled:
        _end_all(session, user)
    audit.record(
        session,
        actor=actor,
        action="accounts.user.disable" if disabled else "accounts.user.enable",
        target=user.username,
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def as_row(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "providers": " ".join(p.ukprn for p in user.providers),
        "disabled": user.disabled,
        "must_change_password": user.must_change_password,
        "created": user.created_at.isoformat(timespec="seconds"),
    }
