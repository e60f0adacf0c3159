"""Accounts on both databases: create, sign in, sessions, roles, disable, rate limiting."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from techforce import audit
from techforce.accounts import service
from techforce.accounts.access import AccessDenied, Permission, Role
from techforce.accounts.models import User
from techforce.db import Database

PASSWORD = "correct horse battery staple"


def test_account_life_cycle(db: Database) -> None:
    with db.session() as session:
        user, one_time = service.create_user(
            session, "Lead@Example.ac.uk", "provider-lead", ["10000001"], actor="admin"
        )
        assert one_time and user.username == "lead@example.ac.uk" and user.must_change_password
        assert service.HASHER.verify(user.password_hash, one_time) and one_time not in user.password_hash
    with db.session() as session:
        assert service.authenticate(session, "lead@example.ac.uk", "not it at all", "10.0.0.1") is None
        signed = service.authenticate(session, "LEAD@example.ac.uk", one_time, "10.0.0.1")
        assert signed is not None
        token, csrf = service.start_session(session, signed)
    with db.session() as session:
        found = service.resolve_session(session, token)
        assert found is not None
        principal, session_csrf = found
        assert session_csrf == csrf and principal.role is Role.PROVIDER_LEAD
        assert principal.can(Permission.VIEW_IN_FULL, "10000001")
        assert not principal.can(Permission.VIEW_IN_FULL, "10000002")
        with pytest.raises(AccessDenied, match="provider 10000002"):
            principal.require(Permission.UPLOAD, "10000002")
        service.set_role(session, "lead@example.ac.uk", "researcher", actor="admin")
    with db.session() as session:
        assert service.resolve_session(session, token) is None  # a role change ends sessions
        actions = [e.action for e in audit.recent(session)]
    assert {"accounts.user.add", "accounts.signin", "accounts.signin.failed", "accounts.user.role"} <= set(
        actions
    )


def test_refused_account_changes_say_how_to_fix_them(db: Database) -> None:
    with db.session() as session:
        service.create_user(session, "admin", "admin", actor="setup", password="a long enough password")
    cases = [
        (lambda s: service.create_user(s, "admin", "admin", actor="t"), "exists already"),
        (lambda s: service.create_user(s, "x y", "admin", actor="t"), "username"),
        (lambda s: service.create_user(s, "a/b", "admin", actor="t"), "no spaces, slashes or line breaks"),
        (lambda s: service.create_user(s, "a\nb", "admin", actor="t"), "no spaces, slashes or line breaks"),
        (lambda s: service.create_user(s, "a\rb", "admin", actor="t"), "no spaces, slashes or line breaks"),
        (lambda s: service.create_user(s, "someone", "wizard", actor="t"), "unknown role"),
        (lambda s: service.create_user(s, "lead", "provider-lead", actor="t"), "needs at least one provider"),
        (lambda s: service.create_user(s, "lead", "provider-lead", ["123"], actor="t"), "8 digits"),
        (
            lambda s: service.create_user(s, "tech", "technician", ["10000001"], actor="t"),
            "only provider leads",
        ),
        (lambda s: service.create_user(s, "short", "technician", actor="t", password="short"), "at least 12"),
        (lambda s: service.reset_password(s, "nobody", actor="t"), "no account"),
    ]
    for action, message in cases:
        with pytest.raises(service.AccountError, match=message), db.session() as session:
            action(session)
    with db.session() as session:
        assert [u.username for u in service.list_users(session)] == ["admin"]


def test_rate_limit_counts_failures_per_account(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "FIRST_WAIT", timedelta(minutes=1))  # no race with the clock
    with db.session() as session:
        service.create_user(
            session, "analyst", "sector-analyst", actor="t", password="a long enough password"
        )
    for _ in range(service.MAX_FAILURES_PER_USER):
        with db.session() as session:
            assert service.authenticate(session, "analyst", "wrong", "10.0.0.2") is None
    with pytest.raises(service.RateLimited, match="try again in 60 seconds"), db.session() as session:
        service.authenticate(session, "analyst", "a long enough password", "10.0.0.3")


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for tests that check many passwords (the rules are the same)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(service, "HASHER", hasher)
    monkeypatch.setattr(service, "_DUMMY_HASH", hasher.hash("dummy password"))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _try(db: Database, username: str, password: str, address: str = "10.0.0.9") -> object:
    try:
        with db.session() as session:
            return service.authenticate(session, username, password, address)
    except service.RateLimited as exc:
        return exc


@pytest.mark.usefixtures("fast_hashing")
def test_back_off_doubles_and_the_owner_gets_in_after_waiting(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hard lock-out: after 5 failures the account waits 1 s, then 2 s, 4 s ... (at most 15
    minutes); the error says how long; the right password after the wait works."""
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)
    with db.session() as session:
        service.create_user(session, "owner", "researcher", actor="t", password=PASSWORD)
    for _ in range(service.MAX_FAILURES_PER_USER):
        assert _try(db, "owner", "guess") is None
    refused = _try(db, "owner", PASSWORD)
    assert isinstance(refused, service.RateLimited) and "try again in 1 second " in str(refused)
    clock.advance(1.1)
    assert _try(db, "owner", "guess") is None  # one more try after the wait: now 2 s
    refused = _try(db, "owner", PASSWORD)
    assert isinstance(refused, service.RateLimited) and "try again in 2 seconds" in str(refused)
    for expected in (4, 8, 16, 32, 64):
        clock.advance(refused.wait.total_seconds() + 0.1)  # type: ignore[union-attr]
        assert _try(db, "owner", "guess") is None
        refused = _try(db, "owner", "guess")
        assert isinstance(refused, service.RateLimited) and round(refused.wait.total_seconds()) == expected
    for _ in range(10):
        clock.advance(refused.wait.total_seconds() + 0.1)
        assert _try(db, "owner", "guess") is None
        refused = _try(db, "owner", "guess")
        assert isinstance(refused, service.RateLimited)
    assert refused.wait == service.MAX_WAIT and "try again in 15 minutes" in str(refused)
    clock.advance(service.MAX_WAIT.total_seconds() + 1)
    signed = _try(db, "owner", PASSWORD)
    assert isinstance(signed, User) and signed.username == "owner"
    assert _try(db, "owner", "guess") is None  # the right password reset the account's count


@pytest.mark.usefixtures("fast_hashing")
def test_failures_from_one_address_slow_every_account_from_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)
    for i in range(service.MAX_FAILURES_PER_ADDRESS):
        assert _try(db, f"user{i}", "guess", "192.0.2.7") is None
    assert isinstance(_try(db, "someone-else", "guess", "192.0.2.7"), service.RateLimited)
    assert _try(db, "someone-else", "guess", "192.0.2.8") is None  # another address is not slowed
    clock.advance(service.FAILURE_WINDOW.total_seconds() + 1)  # old failures, waited out, are forgotten
    assert _try(db, "someone-else", "guess", "192.0.2.7") is None


def test_parallel_wrong_passwords_are_counted_atomically(db: Database) -> None:
    """40 wrong passwords at once: only the allowed number is checked, the rest wait."""
    with db.session() as session:
        service.create_user(session, "target", "researcher", actor="t", password=PASSWORD)
    start = threading.Barrier(40)

    def attempt(_: int) -> object:
        start.wait()
        return _try(db, "target", "wrong guess")

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(attempt, range(40)))
    checked = [r for r in results if r is None]
    refused = [r for r in results if isinstance(r, service.RateLimited)]
    assert len(checked) + len(refused) == 40, results
    assert 1 <= len(checked) <= service.MAX_FAILURES_PER_USER, len(checked)
    with db.session() as session:
        failed = [e for e in audit.recent(session, limit=100) if e.action == "accounts.signin.failed"]
    assert len(failed) == len(checked)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop12", "too easy to guess"),
        ("Password123!", "too easy to guess"),
        ("my name is carol-smith", "must not contain the username"),
        ("short", "at least 12"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_weak_passwords_are_refused(db: Database, password: str, message: str) -> None:
    with pytest.raises(service.AccountError, match=message), db.session() as session:
        service.create_user(session, "carol-smith", "researcher", actor="t", password=password)
    with db.session() as session:
        service.create_user(session, "carol-smith", "researcher", actor="t", password=PASSWORD)
        user = service.get(session, "carol-smith")
        with pytest.raises(service.AccountError, match=message):
            service.change_password(session, user, PASSWORD, password)


def test_parallel_creation_of_one_account_gives_one_success(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Both databases: one account, the other tries a clear AccountExists (never an
    IntegrityError); no password hash in any log line, error or audit payload."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # SQL and its parameters, if shown
    try:
        start = threading.Barrier(8)

        def create(_: int) -> str:
            start.wait()
            try:
                with db.session() as session:
                    service.create_user(session, "twin", "researcher", actor="t", password=PASSWORD)
            except service.AccountExists as exc:
                return str(exc)
            return "created"

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(create, range(8)))
        assert _try(db, "twin", "wrong password") is None
        assert isinstance(_try(db, "twin", PASSWORD), User)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert results.count("created") == 1, results
    assert all("exists already" in r for r in results if r != "created")
    with db.session() as session:
        assert [u.username for u in service.list_users(session)] == ["twin"]
        payloads = json.dumps([(e.actor, e.target, e.payload) for e in audit.recent(session, limit=100)])
    assert "INSERT INTO users" in caplog.text  # the SQL was logged ...
    assert "$argon2" not in caplog.text and "$argon2" not in payloads  # ... but never a hash
    assert "$argon2" not in " ".join(results)
