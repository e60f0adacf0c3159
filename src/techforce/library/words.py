"""Words for search, the same on every database: text is NFKC-normalised, case-folded, split
into words (letters and digits), and each word reduced to its English stem (Snowball), so
"technicians' careers" and "technician career" match. The stored ``terms`` and every query go
through :func:`terms`, and both databases index them with plain whitespace tokenisation, so
SQLite and PostgreSQL find the same resources."""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator

import snowballstemmer

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
MAX_QUERY_WORDS = 32
_LOCAL = threading.local()  # a Snowball stemmer is not thread-safe: one per thread


def _stemmer() -> snowballstemmer.Stemmer:
    found: snowballstemmer.Stemmer | None = getattr(_LOCAL, "stemmer", None)
    if found is None:
        found = _LOCAL.stemmer = snowballstemmer.stemmer("english")
    return found


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of a word as it appears (cached: a text's vocabulary repeats, and
    the pure-Python stemmer is the slow part of indexing and snippets)."""
    folded = unicodedata.normalize("NFKC", word).casefold()
    folded = folded.split("'")[0].split("’")[0]  # technicians' -> technicians; it's -> it
    return _stemmer().stemWord(folded) if folded else ""


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """Each word of ``text`` as (start, end, stem); offsets index ``text`` itself."""
    for match in WORD.finditer(text):
        found = stem(match.group())
        if found:
            yield match.start(), match.end(), found


def terms(text: str) -> str:
    """The stems of ``text`` joined by spaces: what the full-text index reads."""
    return " ".join(s for _, _, s in words(text))


def query_terms(query: str) -> list[str]:
    """A query's distinct stems, in order, at most :data:`MAX_QUERY_WORDS`."""
    seen: dict[str, None] = {}
    for _, _, stem in words(query):
        seen.setdefault(stem, None)
    return list(seen)[:MAX_QUERY_WORDS]
