"""Blind coding through the real app, on SQLite and PostgreSQL: a coder acting on another
coder's coding, memo or suggestion gets the very same 404 as for an id that does not exist,
on the JSON API and on the form routes; nothing in the answer names the other coder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from techforce.db import Database
from techforce.research import coding, service
from techforce.research.coding import MemoIn
from techforce.research.models import Suggestion
from techforce.settings import Settings
from techforce.web.app import create_app
from tests.research.conftest import CODER_A, CODER_B, PASSWORD, make_study
from tests.web.conftest import csrf_of
from tests.web.test_research_pages import Site, _api


@pytest.fixture
def site(settings: Settings, db: Database) -> Iterator[Site]:
    """The small study behind the real app (as in test_research_pages.py)."""
    world = make_study(db)
    app = create_app(settings, db)
    clients: list[TestClient] = []

    def client(username: str) -> tuple[TestClient, str]:
        c = TestClient(app)
        clients.append(c)
        page = c.get("/login")
        done = c.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        return c, csrf_of(c.get("/research").text)

    yield Site(world, client)
    for c in clients:
        c.close()


MISSING = 987_654


def _same(other: Any, missing: Any, number: int) -> None:
    assert other.status_code == missing.status_code == 404

    def plain(text: str, n: int) -> str:
        return re.sub(rf"\b(coding|memo|suggestion)(s?[ /]){n}\b", r"\1\2N", text)

    assert plain(other.text, number) == plain(missing.text, MISSING)
    assert "no " in other.text  # the message says what is missing
    assert CODER_A not in other.text.split("<main", 1)[-1]


def _theirs(site: Site) -> tuple[int, int, int]:
    """Colin's coding, a memo of his and an open suggestion of his."""
    w = site.world
    with w.db.session() as s:
        st = service.study(s, w.guid)
        their_coding = coding.codings_of(s, st.id, coder=CODER_A)[0].id
        memo = coding.save_memo(s, w.guid, MemoIn(text="colin's", source_id=w.sources[0]), actor=CODER_A).id
        proposal = coding.Proposed(w.sources[0], 0, 20, 0.6, "all-MiniLM-L6-v2", "0.1.0")
        coding.store_suggestions(s, w.guid, w.codes["Support"], [proposal], actor=CODER_A)
        suggestion = s.scalars(select(Suggestion.id).where(Suggestion.requested_by == CODER_A)).one()
    return their_coding, memo, suggestion


def test_another_coders_rows_answer_as_missing_ones(site: Site) -> None:
    w = site.world
    their_coding, memo, suggestion = _theirs(site)
    b, csrf = site.client(CODER_B)
    api = f"/api/research/{w.guid}"
    for number, call in (
        (their_coding, lambda n: _api(b, csrf, "DELETE", f"{api}/codings/{n}")),
        (their_coding, lambda n: _api(b, csrf, "POST", f"{api}/memos", {"text": "peek", "coding_id": n})),
        (memo, lambda n: _api(b, csrf, "DELETE", f"{api}/memos/{n}")),
        (suggestion, lambda n: _api(b, csrf, "POST", f"{api}/suggestions/{n}", {"accept": True})),
    ):
        _same(call(number), call(MISSING), number)


def test_the_form_routes_answer_the_same(site: Site) -> None:
    w = site.world
    their_coding, memo, _ = _theirs(site)
    b, csrf = site.client(CODER_B)
    base = f"/research/{w.guid}"
    src = w.sources[0]
    for number, call in (
        (their_coding, lambda n: b.post(f"{base}/codings/{n}/remove", data={"csrf_token": csrf})),
        (memo, lambda n: b.post(f"{base}/sources/{src}/memos/{n}/remove", data={"csrf_token": csrf})),
        (
            their_coding,
            lambda n: b.post(
                f"{base}/sources/{src}/memos", data={"csrf_token": csrf, "text": "x", "coding_id": n}
            ),
        ),
    ):
        _same(call(number), call(MISSING), number)
    with w.db.session() as s:  # nothing of colin's changed
        st = service.study(s, w.guid)
        assert any(c.id == their_coding for c in coding.codings_of(s, st.id, coder=CODER_A))
