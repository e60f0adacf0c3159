"""Assisted coding over a stored study (optional extra ``techforce[nlp]``): the study's index
of passages kept in the data folder, suggestions for a code, and search by meaning.

A coder asks for suggestions for one code. The query is the code's definition, inclusion
criteria and examples, plus the passages *that coder* has already coded with it (blind
coding: never another coder's). Passages the coder has coded with it or rejected before are
left out. Suggestions are stored with the model's name, version and score; only a person's
acceptance (``coding.decide_suggestion``) turns one into a coding.

The index is built from the study's sources (slow on a CPU: minutes for a 31-interview
study), so it is built in the background (:class:`Builds`) and reused: a rebuild embeds only
the sources that are new or changed. Model work never holds a database transaction open."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.db import Database
from techforce.research import assist, coding, permissions, service
from techforce.research.models import Code, Coding, Source, Study, Suggestion

TOP_K = 20
log = logging.getLogger(__name__)
MAX_EXAMPLES = 30  # the coder's own coded passages used as examples (most recent first)
MAX_QUERIES = 50  # examples used for a code (each is one model query)
MAX_CACHED = 4  # loaded indexes kept in memory, most recently used
MAX_BUILDS = 2  # index builds running at once in a process
_INDEXES: OrderedDict[Path, tuple[int, assist.Index]] = OrderedDict()  # path -> (mtime_ns, index)
_INDEX_LOCK = threading.Lock()


def index_file(data_dir: Path, guid: str) -> Path:
    """Where a study's index lives: ``DATA_DIR/research/index/<study guid>.npz`` (owner-only)."""
    folder = data_dir / "research" / "index"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder / f"{guid}.npz"


def _texts(s: Db, st: Study) -> dict[str, assist.SourceText]:
    rows = s.execute(select(Source.id, Source.text, Source.turns).where(Source.study_id == st.id))
    return {
        str(sid): (text, [(int(t[1]), int(t[2])) for t in turns] if turns else None)
        for sid, text, turns in rows
    }


def _cached(path: Path, embedder: assist.Embedder) -> assist.Index | None:
    """The saved index at ``path`` (read once per change of the file), or None."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _INDEX_LOCK:
        held = _INDEXES.get(path)
        if held is not None and held[0] == stamp:
            _INDEXES.move_to_end(path)
            return held[1]
    try:
        index = assist.Index.load(path, embedder)
    except (errors.Invalid, errors.Refused) as exc:  # say what to do, not where the file is
        raise errors.Refused(
            "The study's search index cannot be read (built by another model, or damaged): "
            "build it again on the Assisted coding page.",
            status=409,
        ) from exc
    with _INDEX_LOCK:
        _INDEXES[path] = (stamp, index)
        while len(_INDEXES) > MAX_CACHED:
            _INDEXES.popitem(last=False)
    return index


def _current(index: assist.Index, texts: dict[str, assist.SourceText]) -> set[str]:
    """The sources whose text and turns are unchanged since the index was built: only their
    passages may be suggested or found (a removed or replaced source's old text never is)."""
    return {
        sid
        for sid, (text, turns) in texts.items()
        if index.fingerprints.get(sid) == assist.fingerprint(text, turns)
    }


@dataclass(frozen=True)
class IndexState:
    """What the saved index covers: ``current`` sources unchanged since it was built, of
    ``sources`` in the study now."""

    built: bool
    units: int
    sources: int
    current: int
    model: str
    version: str
    built_at: datetime | None

    @property
    def stale(self) -> bool:
        return not self.built or self.current < self.sources


def index_state(db: Database, guid: str, *, data_dir: Path) -> IndexState:
    """The state of a study's index (no model is loaded)."""
    with db.session() as s:
        texts = _texts(s, service.study(s, guid))
    path = index_file(data_dir, guid)
    index = _cached(path, assist.Embedder()) if path.exists() else None
    if index is None:
        return IndexState(False, 0, len(texts), 0, assist.MODEL_NAME, "", None)
    current = len(_current(index, texts))
    built_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return IndexState(True, len(index), len(texts), current, index.model, index.version, built_at)


def build_index(
    db: Database,
    guid: str,
    *,
    data_dir: Path,
    device: str = "auto",
    progress: assist.Progress | None = None,
) -> IndexState:
    """Build or bring up to date a study's index; unchanged sources keep their vectors."""
    embedder = assist.Embedder(device=device)
    with db.session() as s:
        texts = _texts(s, service.study(s, guid))
    path = index_file(data_dir, guid)
    try:
        previous = _cached(path, embedder)
    except (errors.Invalid, errors.Refused):
        previous = None  # another model or a damaged file: rebuild from scratch
    assist.Index.build(embedder, texts, progress, previous=previous).save(path)
    return index_state(db, guid, data_dir=data_dir)


def _query(cd: Code) -> tuple[str, list[str]]:
    definition = " ".join(p for p in (cd.name, cd.definition, cd.inclusion) if p and p.strip())
    examples = [line.strip()[: assist.MAX_CHARS] for line in (cd.examples or "").splitlines() if line.strip()]
    return definition[: 4 * assist.MAX_CHARS], examples[:MAX_QUERIES]


def suggest_code(
    db: Database,
    guid: str,
    code_id: int,
    *,
    actor: str,
    data_dir: Path,
    device: str = "auto",
    top_k: int = TOP_K,
) -> int:
    """Propose passages for a code to ``actor`` (a coder or owner of the study) and store them
    as their open suggestions (replacing their earlier open ones for the code); the number
    stored."""
    if permissions.right_in(db, actor, guid) not in (permissions.OWNER, permissions.CODER):
        raise errors.Refused(
            f"{actor!r} does not code this study: suggestions are for its coders and owners."
        )
    embedder = assist.Embedder(device=device)
    with db.session() as s:
        st = service.study(s, guid)
        cd = coding.code(s, st, code_id)
        definition, examples = _query(cd)
        mine = s.execute(
            select(Coding.source_id, Coding.start, Coding.end)
            .where(
                Coding.study_id == st.id,
                Coding.code_id == cd.id,
                Coding.coder == actor,
                Coding.layer == "coder",
            )
            .order_by(Coding.id.desc())
        ).all()
        sources = _texts(s, st)
        rejected = s.execute(
            select(Suggestion.source_id, Suggestion.start, Suggestion.end).where(
                Suggestion.study_id == st.id,
                Suggestion.code_id == cd.id,
                Suggestion.requested_by == actor,
                Suggestion.status == "rejected",
            )
        ).all()
    index = _cached(index_file(data_dir, guid), embedder)
    if index is None:
        raise errors.Refused(
            "This study has no search index yet: build it first (Assisted coding page).", status=409
        )
    texts = {int(sid): text for sid, (text, _) in sources.items()}
    examples += [texts[sid][a:b][: assist.MAX_CHARS] for sid, a, b in mine[:MAX_EXAMPLES] if sid in texts]
    exclude = [(str(sid), a, b) for sid, a, b in (*mine, *rejected)]
    found = assist.suggest(
        index,
        definition=definition,
        examples=examples[:MAX_QUERIES],
        exclude=exclude,
        top_k=top_k,
        only=_current(index, sources),
    )
    proposed = [coding.Proposed(int(f.source_id), f.start, f.end, f.score, f.model, f.version) for f in found]
    with db.session() as s:
        return coding.store_suggestions(s, guid, cd.id, proposed, actor=actor)


@dataclass(frozen=True)
class Found:
    """A passage found by search, in store terms."""

    source_id: int
    source: str
    start: int
    end: int
    text: str
    score: float


def search(
    db: Database, guid: str, query: str, *, data_dir: Path, device: str = "auto", top_k: int = TOP_K
) -> list[Found]:
    """Passages of the study closest in meaning to ``query``, best first."""
    with db.session() as s:
        st = service.study(s, guid)
        names: dict[int, str] = dict(
            s.execute(select(Source.id, Source.name).where(Source.study_id == st.id)).all()
        )
        sources = _texts(s, st)
    index = _cached(index_file(data_dir, guid), assist.Embedder(device=device))
    if index is None:
        raise errors.Refused(
            "This study has no search index yet: build it first (Assisted coding page).", status=409
        )
    hits = assist.search(index, query[:1000], top_k=top_k, only=_current(index, sources))
    return [
        Found(int(h.source_id), names[int(h.source_id)], h.start, h.end, h.text, round(h.score, 3))
        for h in hits
    ]


def open_suggestions(s: Db, st: Study, actor: str) -> list[Suggestion]:
    """``actor``'s suggestions still waiting for a decision, best first."""
    return list(
        s.scalars(
            select(Suggestion)
            .where(
                Suggestion.study_id == st.id, Suggestion.requested_by == actor, Suggestion.status == "open"
            )
            .order_by(Suggestion.code_id, Suggestion.score.desc(), Suggestion.id)
        )
    )


# ---------------------------------------------------------------- background builds


@dataclass
class Build:
    """One background build: units embedded so far, and how it ended."""

    done: int = 0
    total: int = 0
    running: bool = True
    error: str = ""


class Builds:
    """Index builds running in background threads, one per study at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builds: dict[str, Build] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._slots = threading.BoundedSemaphore(MAX_BUILDS)

    def status(self, key: str) -> Build | None:
        with self._lock:
            return self._builds.get(key)

    def start(self, key: str, work: Callable[[assist.Progress], Any]) -> bool:
        """Run ``work(progress)`` in the background unless a build for ``key`` is running;
        whether one was started."""
        with self._lock:
            if key in self._builds and self._builds[key].running:
                return False
            build = self._builds[key] = Build()

        def progress(done: int, total: int) -> None:
            build.done, build.total = done, total

        def run() -> None:
            try:
                with self._slots:  # at most MAX_BUILDS at once; the others wait their turn
                    work(progress)
            except errors.TechforceError as exc:
                build.error = exc.message
            except Exception:  # a crashed build must say so on the page, not vanish
                log.exception("building a study's search index failed")
                build.error = "the index could not be built: the server's log says why; try again"
            finally:
                build.running = False

        thread = threading.Thread(target=run, name=f"research-index-{key}", daemon=True)
        with self._lock:
            self._threads[key] = thread
        thread.start()
        return True

    def wait(self, key: str | None = None, timeout: float | None = None) -> None:
        """Wait for one build (or all): at shutdown and in tests."""
        with self._lock:
            threads = [t for k, t in self._threads.items() if key is None or k == key]
        for thread in threads:
            thread.join(timeout)
