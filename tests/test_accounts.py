"""Accounts on both databases: create, sign in, sessions, roles, disable, rate limiting."""

from __future__ import annotations

import pytest

from techforce import audit
from techforce.accounts import service
from techforce.accounts.access import AccessDenied, Permission, Role
from techforce.db import Database


def test_account_life_cycle(db: Database) -> None:
    with db.session() as session:
        user, one_time = service.create_user(session, "Lead@Example.ac.uk", "provider-lead", ["10000001"], actor="admin")
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
    assert {"accounts.user.add", "accounts.signin", "accounts.signin.failed", "accounts.user.role"} <= set(actions)


def test_refused_account_changes_say_how_to_fix_them(db: Database) -> None:
    with db.session() as session:
        service.create_user(session, "admin", "admin", actor="setup", password="a long enough password")
    cases = [
        (lambda s: service.create_user(s, "admin", "admin", actor="t"), "exists already"),
        (lambda s: service.create_user(s, "x y", "admin", actor="t"), "username"),
        (lambda s: service.create_user(s, "someone", "wizard", actor="t"), "unknown role"),
        (lambda s: service.create_user(s, "lead", "provider-lead", actor="t"), "needs at least one provider"),
        (lambda s: service.create_user(s, "lead", "provider-lead", ["123"], actor="t"), "8 digits"),
        (lambda s: service.create_user(s, "tech", "technician", ["10000001"], actor="t"), "only provider leads"),
        (lambda s: service.create_user(s, "short", "technician", actor="t", password="short"), "at least 12"),
        (lambda s: service.reset_password(s, "nobody", actor="t"), "no account"),
    ]
    for action, message in cases:
        with pytest.raises(service.AccountError, match=message), db.session() as session:
            action(session)
    with db.session() as session:
        assert [u.username for u in service.list_users(session)] == ["admin"]


def test_rate_limit_counts_failures_per_account(db: Database) -> None:
    with db.session() as session:
        service.create_user(session, "analyst", "sector-analyst", actor="t", password="a long enough password")
    for _ in range(service.MAX_FAILURES_PER_USER):
        with db.session() as session:
            assert service.authenticate(session, "analyst", "wrong", "10.0.0.2") is None
    with pytest.raises(service.RateLimited), db.session() as session:
        service.authenticate(session, "analyst", "a long enough password", "10.0.0.3")
