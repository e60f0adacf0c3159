"""A strategy world: two providers with their leads, an admin, an analyst, a technician,
and the shipped recommendation sets installed.

- ``lee`` leads provider A (10000001), ``lou`` leads provider B (10000002)
- ``ada`` is an admin, ``ana`` a sector analyst, ``tom`` a technician
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from techforce.accounts import service as accounts
from techforce.db import Database
from techforce.strategy import service

A, B = "10000001", "10000002"


@dataclass
class StrategyWorld:
    db: Database
    a: str = A
    b: str = B


def make_strategy_world(db: Database) -> StrategyWorld:
    with db.session() as s:
        for name, role, providers in (
            ("lee", "provider-lead", [A]),
            ("lou", "provider-lead", [B]),
            ("ada", "admin", []),
            ("ana", "sector-analyst", []),
            ("tom", "technician", []),
        ):
            accounts.create_user(
                s, name, role, providers, actor="setup", password="correct horse battery staple 9"
            )
        service.install_shipped(s, "setup")
    return StrategyWorld(db)


@pytest.fixture
def world(db: Database) -> StrategyWorld:
    return make_strategy_world(db)
