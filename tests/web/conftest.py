"""A web app over the small synthetic sector, with one account per role."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from techforce.accounts import service
from techforce.db import Database
from techforce.settings import Settings
from techforce.web.app import create_app
from techforce.workforce import peer_groups
from techforce.workforce.ingest import ingest

PASSWORD = "correct horse battery staple"


@dataclass
class WebEnv:
    settings: Settings
    db: Database
    app: FastAPI
    own: str  # the provider lead's provider
    other: str  # a provider the lead does not lead
    sector_dir: Path
    five: list[str]  # five providers with returns (own and other first): the smallest peer group


def _seed(settings: Settings, db: Database, sector_dir: Path) -> list[str]:
    ingest(settings, db, [sector_dir / "2022" / "csv"])
    with db.session() as session:
        peer_groups.import_providers(session, sector_dir / "providers.csv", actor="test")
        peer_groups.import_csv(session, sector_dir / "peer_groups.csv", actor="test")
        from techforce.workforce import store

        _files, returned = store.catalogue_inputs(session, settings)
        returners = sorted(u for (u, _y), r in returned.items() if r)
        own, _other = returners[0], returners[1]
        for role in ("admin", "sector-analyst", "programme-manager", "researcher", "technician"):
            service.create_user(session, role, role, actor="test", password=PASSWORD)
        service.create_user(session, "provider-lead", "provider-lead", [own], actor="test", password=PASSWORD)
    return returners[:5]


@pytest.fixture(scope="session")
def web_template(small_files: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A seeded data folder, copied for each test that changes it."""
    root = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=root / "data", user="test")
    db = Database(settings)
    db.migrate()
    five = _seed(settings, db, small_files)
    db.dispose()
    return root / "data", five


@pytest.fixture
def web(web_template: tuple[Path, list[str]], small_files: Path, tmp_path: Path) -> Iterator[WebEnv]:
    template, five = web_template
    shutil.copytree(template, tmp_path / "data")
    settings = Settings(data_dir=tmp_path / "data", user="test")
    db = Database(settings)
    app = create_app(settings, db)
    yield WebEnv(settings, db, app, five[0], five[1], small_files, five)
    db.dispose()


def unknown_level(contracts: Path, row: int) -> None:
    """Give data row ``row`` of a CONTRACT.csv an unknown LEVELS code (Z9): file line row + 2."""
    with contracts.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[row]["LEVELS"] = "Z9"
    with contracts.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    overview = client.get("/workforce/definitions")
    return csrf_of(overview.text)
