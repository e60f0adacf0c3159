"""Composing one demo interview from the phrase banks (internal to
:mod:`techforce.research.synth`).

A :class:`Writer` holds what is left to say; :func:`interview` writes the turns, the protocol
in order, each answer made of passages (one to three sentences written for one code) with
uncoded context between them, padded with stories to a target length; :func:`render` lays
the turns out as "Speaker: words" lines and records every sentence's code-point offsets.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from techforce.research import synth_text as text

Path = tuple[str, ...]


@dataclass
class Piece:
    """A sentence (or opener) of a turn; ``passage`` groups the sentences written for one code."""

    words: str
    code: Path | None = None
    passage: int | None = None
    sep: str = " "
    opener: bool = False
    start: int = 0
    end: int = 0


@dataclass
class Passage:
    code: Path
    turn: int


@dataclass
class Writer:
    """State while one interview is composed: the bank left to draw from, sentences used."""

    rng: random.Random
    slots: dict[str, str]
    perspective: str  # "F" formal or "N" informal strategic role, "S" senior leader
    turns: list[tuple[str, list[Piece]]] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    left: dict[str, list[str]] = field(default_factory=dict)
    decks: dict[str, list[str]] = field(default_factory=dict)
    exclusive: set[tuple[str, str]] = field(default_factory=set)  # at most one of these per code

    def __post_init__(self) -> None:
        allowed = {"S": ("S|",), "F": ("T|", "F|"), "N": ("T|", "N|")}[self.perspective]
        for child, bank in text.BANKS.items():
            both = (*bank, *text.MORE.get(child, ()))
            usable = [s[2:] if s[1:2] == "|" else s for s in both if s[1:2] != "|" or s[:2] in allowed]
            self.exclusive.update((child, s[1:]) for s in usable if s.startswith("!"))
            usable = [s.removeprefix("!") for s in usable]
            self.rng.shuffle(usable)
            self.left[child] = usable

    def fill(self, template: str) -> str:
        years = [str(y) for y in range(int(self.slots["year"]) - 6, int(self.slots["year"]) + 3)]
        slots = {
            **self.slots,
            "colleague": self.deal("colleague", text.COLLEAGUES),
            "year": self.deal("year", years),
        }
        return unicodedata.normalize("NFC", template.format_map(slots))

    def draw(self, child: str) -> str:
        """The next sentence written for ``child``; after one of its mutually exclusive
        sentences (where someone came from) the others are dropped."""
        sentence = self.left[child].pop()
        if (child, sentence) in self.exclusive:
            self.left[child] = [s for s in self.left[child] if (child, s) not in self.exclusive]
        return self.fill(sentence)

    def deal(self, name: str, values: Sequence[str]) -> str:
        """The next value of a shuffled deck, so that parts of stories rarely repeat."""
        deck = self.decks.get(name)
        if not deck:
            deck = list(values)
            self.rng.shuffle(deck)
            self.decks[name] = deck
        return deck.pop()

    def story(self) -> str | None:
        """A fresh uncoded context sentence, or None after a few tries."""
        for _ in range(20):
            when = self.fill(self.deal("when", text.WHENS))
            parts = {
                "when": when,
                "when_lower": when[0].lower() + when[1:],
                "agenda": self.deal("agenda", text.AGENDAS),
                "colleague": self.deal("colleague", text.COLLEAGUES),
                "duration": self.deal("duration", text.DURATIONS),
                "activity": self.deal("activity", text.ACTIVITIES),
                "event": self.deal("event", text.EVENTS),
                "facility": self.slots["facility"],
                "quip": self.deal("quip", text.QUIPS),
                "dept": self.slots["dept"],
                "change": self.deal("change", text.CHANGES),
                "day": self.deal("day", text.DAYS),
                "happened": self.deal("happened", text.HAPPENINGS),
            }
            stories = text.SENIOR_STORIES if self.perspective == "S" else text.STORIES
            template = self.deal("story", stories)
            sentence = unicodedata.normalize("NFC", template.format_map(parts))
            sentence = sentence[0].upper() + sentence[1:]
            if sentence not in self.used:
                self.used.add(sentence)
                return sentence
        return None

    def unused(self, bank: Sequence[str]) -> str | None:
        fresh = [s for s in bank if s not in self.used]
        if not fresh:
            return None
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return choice


CHILDREN: dict[str, list[str]] = {}
for _parent, _child, *_ in text.CODEBOOK:
    CHILDREN.setdefault(_parent, []).append(_child)
PARENT = {child: parent for parent, children in CHILDREN.items() for child in children}


def _pick_code(w: Writer, topic: str) -> str | None:
    own = [c for c in CHILDREN[topic] if w.left[c]]
    other = [c for c in text.BANKS if w.left[c]]
    if own and (w.rng.random() < 0.8 or not other):
        return w.rng.choice(own)
    return w.rng.choice(other) if other else None


def _lower_first(sentence: str) -> str:
    first = sentence.split(" ", 1)[0]
    if first in {"I", "I'm", "I've", "I'd", "I'll"} or first in text.COLLEAGUES:
        return sentence
    if len(first) > 1 and not first[1:].islower():
        return sentence  # an acronym or a name like UK ITSS
    return sentence[0].lower() + sentence[1:]


def _answer(w: Writer, topic: str, passages: int) -> list[Piece]:
    """One answer turn: maybe a filler, ``passages`` coded passages with stories between."""
    pieces: list[Piece] = []
    if w.rng.random() < 0.4 and (filler := w.unused(text.FILLERS_START)):
        pieces.append(Piece(filler))
    for _ in range(passages):
        child = _pick_code(w, topic)
        if child is None:
            break
        path = (PARENT[child], child)
        number = len(w.passages)  # a passage's id is its index in w.passages
        for _ in range(min(w.rng.choice((1, 2, 2, 3, 3)), len(w.left[child]))):
            if w.left[child]:
                pieces.append(Piece(w.draw(child), path, number))
        w.passages.append(Passage(path, len(w.turns)))
        if w.rng.random() < 0.45 and (story := w.story()):
            pieces.append(Piece(story))
    if w.rng.random() < 0.25 and (filler := w.unused(text.FILLERS)):
        pieces.append(Piece(filler))
    if pieces and w.rng.random() < 0.35:
        pieces[0].words = _lower_first(pieces[0].words)
        first = pieces[0].words.split(" ", 1)[0].strip(",").casefold()
        openers = [o for o in text.OPENERS if o.split(" ", 1)[0].strip(",").casefold() != first]
        pieces.insert(0, Piece(w.rng.choice(openers).strip(), opener=True))
    return pieces


def interview(w: Writer, pseudonym: str, target_words: int) -> None:
    """All turns of one interview, the protocol in order, padded with stories to the target."""
    w.turns.append(("Interviewer", [Piece(text.INTRO_Q)]))
    w.turns.append((pseudonym, [Piece(w.rng.choice(text.INTRO_A))]))
    chat = w.rng.random() < 0.4
    for n, (topic, questions) in enumerate(text.TOPICS):
        for q, question in enumerate(questions):
            lead = w.deal("transition", text.TRANSITIONS) + " " if (n or q) and w.rng.random() < 0.4 else ""
            w.turns.append(("Interviewer", [Piece(lead + question)]))
            answer = _answer(w, topic, w.rng.choice((2, 2, 3, 3)))
            if chat and topic == "Support and development" and q == 3:
                answer.append(Piece("Our group chat is mostly things like this:"))
                answer.append(Piece(w.rng.choice(text.CHAT_LINES), sep="\n"))
                chat = False
            w.turns.append((pseudonym, answer or [Piece(w.unused(text.FILLERS) or "Not really.")]))
            if w.rng.random() < 0.45:
                w.turns.append(("Interviewer", [Piece(w.deal("probe", text.PROBES))]))
                w.turns.append((pseudonym, _answer(w, topic, 1) or [Piece("Not much more to say.")]))
    w.turns.append(("Interviewer", [Piece(text.CLOSE_Q)]))
    w.turns.append((pseudonym, [Piece(w.rng.choice(text.CLOSE_A))]))
    _pad(w, target_words)


def _words(w: Writer) -> int:
    return sum(len(p.words.split()) for _, pieces in w.turns for p in pieces)


def _pad(w: Writer, target_words: int) -> None:
    """Insert stories between passages of answers until the interview reaches the target."""
    answers = [
        i for i, (speaker, pieces) in enumerate(w.turns) if speaker != "Interviewer" and len(pieces) > 1
    ]
    words = _words(w)
    while words < target_words:
        story = w.story()
        if story is None:
            break
        turn = w.rng.choice(answers)
        pieces = w.turns[turn][1]
        gaps = [i for i in range(1, len(pieces) + 1) if _gap(pieces, i)]
        at = w.rng.choice(gaps)
        pieces.insert(at, Piece(story))
        words += len(story.split())


def _gap(pieces: list[Piece], i: int) -> bool:
    """Whether a sentence may go before index ``i``: not inside a passage, not after a chat line."""
    before = pieces[i - 1]
    after = pieces[i] if i < len(pieces) else None
    inside = after is not None and before.passage is not None and before.passage == after.passage
    return not inside and not before.opener and before.sep != "\n" and (after is None or after.sep != "\n")


def render(w: Writer) -> str:
    """The file's text; sets each piece's code-point offsets in it."""
    lines: list[str] = []
    pos = 0
    for speaker, pieces in w.turns:
        if lines:
            pos += 1
        line = f"{speaker}: "
        pos += len(line)
        for i, piece in enumerate(pieces):
            if i:
                line += piece.sep
                pos += len(piece.sep)
            piece.start, piece.end = pos, pos + len(piece.words)
            line += piece.words
            pos = piece.end
        lines.append(line)
    return "\n".join(lines)


def spans(pieces: list[Piece]) -> dict[int, tuple[int, int]]:
    """Per passage id, the indexes of its first and last piece in the turn."""
    out: dict[int, tuple[int, int]] = {}
    for i, piece in enumerate(pieces):
        if piece.passage is not None:
            first = out.get(piece.passage, (i, i))[0]
            out[piece.passage] = (first, i)
    return out
