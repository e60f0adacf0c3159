"""Search by meaning and hybrid ranking (the nlp extra): a query sharing no word with a
resource finds it by meaning; the audience filter holds for meaning too; a changed resource
is embedded again; rank fusion is reciprocal-rank. Without the model, search stays keyword."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from techforce import embeddings
from techforce.db import Database
from techforce.library import permissions, search, semantic, service
from techforce.library.models import Embedding
from tests.library.test_search import DOCS, PUBLIC

needs_model = pytest.mark.skipif(not embeddings.available(), reason="needs the extra techforce[nlp]")


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = semantic.fuse([[1, 2, 3], [3, 1, 4]], k=60)
    assert max(fused, key=lambda i: fused[i]) == 1  # 1st and 2nd beats 3rd and 1st
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[4] == pytest.approx(1 / 63) and 2 in fused


@pytest.fixture
def library(db: Database, tmp_path: Path) -> Database:
    with db.session() as s:
        for slug, (kind, title, body, pillars, audience, published, org) in DOCS.items():
            data = service.checked(
                slug, slug=slug, title=title, kind=kind, summary=body.split(".")[0], pillars=pillars,
                audience=audience, published=published, organisation=org,
            )  # fmt: skip
            service.save_resource(s, data, actor="c", data_dir=tmp_path, file=(body.encode(), f"{slug}.txt"))
    return db


@needs_model
def test_meaning_finds_what_words_do_not(library: Database) -> None:
    model = embeddings.Embedder(device="cpu")
    with library.session() as s:
        assert semantic.embed_missing(s, model) == len(DOCS)
        assert semantic.embed_missing(s, model) == 0  # nothing new
    query = "people getting older and stopping work"
    with library.session() as s:
        words_only = search.search(s, query, allowed=PUBLIC)
        hybrid = search.search(s, query, allowed=PUBLIC, embedder=model)
    assert "succession-report" not in [h.resource.slug for h in words_only.hits][:1]
    assert hybrid.mode == "hybrid" and hybrid.hits[0].resource.slug == "succession-report"
    with library.session() as s:
        outsider = search.search(s, "salary of technicians", allowed=PUBLIC, embedder=model)
        lead = search.search(
            s,
            "salary of technicians",
            allowed=permissions.audience_of(None) | {"role:provider-lead"},
            embedder=model,
        )
        similar = search.more_like(
            s, service.resource(s, "apprenticeship-toolkit"), allowed=PUBLIC, embedder=model
        )
    assert "leads-briefing" not in {h.resource.slug for h in outsider.hits}
    assert lead.hits[0].resource.slug == "leads-briefing"
    assert "leads-briefing" not in {r.slug for r in similar} and "apprenticeship-toolkit" not in {
        r.slug for r in similar
    }


@needs_model
def test_a_changed_resource_is_embedded_again(library: Database, tmp_path: Path) -> None:
    model = embeddings.Embedder(device="cpu")
    with library.session() as s:
        semantic.embed_missing(s, model)
        data = service.checked("x", title="Glassblowing for laboratories", kind="report")
        row = service.save_resource(s, data, actor="c", data_dir=tmp_path, slug="succession-report")
        assert s.scalar(select(Embedding).where(Embedding.resource_id == row.id)) is None
        assert semantic.embed_missing(s, model) == 1


def test_the_embed_command_reports_or_says_how_to_install(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from techforce.cli import main

    result = CliRunner().invoke(main.app, ["--data-dir", str(tmp_path / "data"), "library", "embed"])
    if embeddings.available():
        assert result.exit_code == 0 and "0 resources embedded" in result.output, result.output
    else:
        assert result.exit_code == 2 and "techforce[nlp]" in result.output
