"""Assisted coding: candidate passages (always), and, with the ``nlp`` extra installed, the
packaged model, the index kept on disk, suggestions for a code and semantic search."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techforce.errors import Invalid, Refused
from techforce.research import assist
from techforce.research.assist import MAX_CHARS, candidate_units

SCIENTIST = "\U0001f469\u200d\U0001f52c"  # woman scientist: three code points
PARTY = "\U0001f389"


def texts_of(text: str, units: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in units]


# ---------------------------------------------------------------- candidate units (no model)


def test_units_are_sentences_in_code_points_with_emoji() -> None:
    text = f"I started as an apprentice {SCIENTIST} in 2010. Then I moved to the imaging core {PARTY}! Was it hard? Very much so, honestly."
    units = candidate_units(text, None)
    assert texts_of(text, units) == [
        f"I started as an apprentice {SCIENTIST} in 2010.",
        f"Then I moved to the imaging core {PARTY}!",
        "Was it hard? Very much so, honestly.",  # three words merged with the next sentence
    ]
    assert units == candidate_units(text, None)


def test_units_never_cross_a_turn_and_skip_speaker_labels() -> None:
    text = "Interviewer: What changed when the new manager arrived?\nP01: Nothing at first. Later we got a proper career framework for technicians."
    turns = [(13, 55), (61, len(text))]
    units = candidate_units(text, turns)
    assert texts_of(text, units) == [
        "What changed when the new manager arrived?",
        "Nothing at first. Later we got a proper career framework for technicians.",
    ]
    assert all(any(ts <= s and e <= te for ts, te in turns) for s, e in units)


def test_a_short_answer_alone_in_its_turn_is_kept() -> None:
    text = "Did you apply?\nYes."
    assert texts_of(text, candidate_units(text, [(0, 14), (15, 19)])) == ["Did you apply?", "Yes."]


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    text = (
        "Prof. J. Evans and Dr. Patel ran the workshop on e.g. lathes and mills. It was great for all of us."
    )
    assert texts_of(text, candidate_units(text, None)) == [
        "Prof. J. Evans and Dr. Patel ran the workshop on e.g. lathes and mills.",
        "It was great for all of us.",
    ]


def test_long_sentences_are_cut_at_a_comma_or_space() -> None:
    text = ", ".join(f"we calibrated instrument number {i} again" for i in range(60)) + "."
    units = candidate_units(text, None)
    assert len(units) > 1
    assert all(e - s <= MAX_CHARS for s, e in units)
    assert " ".join(texts_of(text, units)).split() == text.split()


def test_punctuation_and_blank_turns_give_no_units() -> None:
    assert candidate_units("", None) == []
    assert candidate_units("...   \n  ?!", None) == []
    assert candidate_units("   ", [(0, 3)]) == []


@pytest.mark.parametrize(
    ("turns", "message"),
    [([(0, 99)], "outside the text"), ([(-1, 3)], "outside the text"), ([(0, 10), (5, 12)], "overlaps")],
)
def test_bad_turns_are_refused(turns: list[tuple[int, int]], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        candidate_units("Some words that were said here.", turns)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab .!?\n,", SCIENTIST, PARTY, "é", "Dr."]), max_size=150).map("".join),
    st.lists(st.integers(min_value=0, max_value=300), max_size=8),
)
def test_units_are_ordered_trimmed_and_inside_their_turns(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts})
    turns = list(zip(points[::2], points[1::2], strict=False))
    units = candidate_units(text, turns)
    previous = 0
    for start, end in units:
        assert previous <= start < end
        assert any(ts <= start and end <= te for ts, te in turns)
        piece = text[start:end]
        assert piece == piece.strip()
        assert any(ch.isalnum() for ch in piece)
        previous = end
    assert units == candidate_units(text, turns)


def test_without_the_extra_the_model_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def missing(name: str, *args: Any) -> Any:
        return None if name == "sentence_transformers" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", missing)
    assert assist.available() is False
    for attempt in (assist.Embedder, assist.device):
        with pytest.raises(Refused, match=r"pip install 'techforce\[nlp\]'"):
            attempt()


# ---------------------------------------------------------------- with the model


@pytest.fixture(scope="module")
def embedder() -> assist.Embedder:
    pytest.importorskip("sentence_transformers")
    return assist.Embedder(device="cpu")


INTERVIEWS = {
    "p01": (
        f"Interviewer: How has your career gone?\nP01: I was promoted to senior technician last year {PARTY}, after I completed the leadership programme. "
        "Before that I had been on the same grade for eight years.",
        [(13, 38), (44, 189)],
    ),
    "p02": (
        f"We keep the fume cupboards checked every week {SCIENTIST}. Everyone wears goggles and gloves in the lab. "
        "The safety officer audits the chemical store each term.",
        None,
    ),
}


@pytest.fixture(scope="module")
def index(embedder: assist.Embedder) -> assist.Index:
    return assist.Index.build(embedder, INTERVIEWS)


def test_encode_gives_unit_float32_rows(embedder: assist.Embedder) -> None:
    rows = embedder.encode(["one sentence", "another one"])
    assert rows.dtype == np.float32
    assert rows.shape == (2, embedder.dimension)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, embedder.dimension)
    assert embedder.device == "cpu" == assist.device("cpu")
    assert embedder.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder.version == "0.1.0"
    with pytest.raises(Invalid, match="list of texts"):
        embedder.encode("one string")  # type: ignore[arg-type]


def test_career_progression_ranks_promotion_above_lab_safety(index: assist.Index) -> None:
    found = assist.suggest(index, definition="Career progression: moving up grades, promotion", min_score=-1)
    texts = [s.text for s in found]
    promoted = next(i for i, t in enumerate(texts) if "promoted" in t)
    goggles = next(i for i, t in enumerate(texts) if "goggles" in t)
    assert promoted < goggles
    assert found[0].source_id == "p01"
    assert found[0].model == "sentence-transformers/all-MiniLM-L6-v2"
    assert found[0].version == "0.1.0"
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_offsets_point_at_the_exact_text_including_emoji(index: assist.Index) -> None:
    for found in assist.suggest(index, definition="anything at all", min_score=-1, top_k=50):
        source = INTERVIEWS[found.source_id][0]
        assert source[found.start : found.end] == found.text
    hit = assist.search(index, "personal protective equipment", top_k=1)[0]
    assert hit.text == "Everyone wears goggles and gloves in the lab."
    assert INTERVIEWS["p02"][0][hit.start : hit.end] == hit.text
    emoji = [s for s in assist.suggest(index, definition="promotion", min_score=-1) if PARTY in s.text]
    assert emoji
    assert INTERVIEWS["p01"][0][emoji[0].start : emoji[0].end] == emoji[0].text


def test_examples_count_and_coded_spans_are_left_out(index: assist.Index) -> None:
    promoted = next(
        s for s in assist.suggest(index, definition="promotion", min_score=-1) if "promoted" in s.text
    )
    coded = ("p01", promoted.start + 3, promoted.start + 10)
    again = assist.suggest(index, definition="promotion", examples=["same grade for years"], exclude=[coded])
    assert all(s.start != promoted.start for s in again if s.source_id == "p01")
    assert any("grade" in s.text for s in again)
    assert assist.suggest(index, definition="promotion", min_score=0.99) == []
    assert len(assist.suggest(index, definition="promotion", min_score=-1, top_k=2)) == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda i: assist.suggest(i, definition="  ", examples=[""]), "definition or at least one example"),
        (lambda i: assist.suggest(i, definition="x", top_k=0), "top_k"),
        (lambda i: assist.suggest(i, definition="x", min_score=2), "min_score"),
        (lambda i: assist.search(i, ""), "empty"),
    ],
)
def test_bad_requests_are_refused(index: assist.Index, call: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        call(index)


def test_saved_index_gives_the_same_results(
    index: assist.Index, embedder: assist.Embedder, tmp_path: Path
) -> None:
    path = tmp_path / "study.npz"
    index.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = assist.Index.load(path, embedder)
    assert loaded.texts == index.texts
    assert np.array_equal(loaded.vectors, index.vectors)
    for query in ("promotion and career", "chemical safety"):
        assert assist.search(loaded, query) == assist.search(index, query)
        assert assist.suggest(loaded, definition=query, min_score=-1) == assist.suggest(
            index, definition=query, min_score=-1
        )


def test_rebuild_embeds_only_changed_sources(index: assist.Index, embedder: assist.Embedder) -> None:
    calls: list[tuple[int, int]] = []
    changed = {**INTERVIEWS, "p03": ("A new interview about apprenticeships and training budgets.", None)}
    rebuilt = assist.Index.build(
        embedder, changed, lambda done, total: calls.append((done, total)), previous=index
    )
    assert calls == [(1, 1)]
    fresh = assist.Index.build(embedder, changed)
    assert rebuilt.texts == fresh.texts
    assert np.allclose(rebuilt.vectors, fresh.vectors, atol=1e-5)


def test_a_broken_or_foreign_index_file_is_refused(
    index: assist.Index, embedder: assist.Embedder, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(Invalid, match="rebuild it"):
        assist.Index.load(broken, embedder)
    foreign = tmp_path / "foreign.npz"
    index.version = "9.9"
    try:
        index.save(foreign)
    finally:
        index.version = embedder.version
    with pytest.raises(Refused, match="rebuild it"):
        assist.Index.load(foreign, embedder)


def test_device_names_are_checked(embedder: assist.Embedder) -> None:
    with pytest.raises(Invalid, match="unknown"):
        assist.device("tpu")
    if assist.device("auto") == "cpu":
        with pytest.raises(Refused, match="no GPU"):
            assist.device("cuda")


def test_the_model_loads_with_no_network(embedder: assist.Embedder) -> None:
    """A fresh process with no network and no Hugging Face settings or cache loads the
    model the package ships."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["HF_HOME"] = "/nonexistent/hf-home"
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network used")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from techforce.research import assist
        rows = assist.Embedder(device="cpu").encode(["offline works"])
        print(rows.shape)
        """
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"(1, {embedder.dimension})"
