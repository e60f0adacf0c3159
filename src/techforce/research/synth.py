"""Demo content for the research capability: a synthetic interview study modelled on the
Strategic Technical Leadership report (31 semi-structured interviews at 20 providers, eight
topics, six case studies) and a synthetic national technician survey.

Nothing here touches the store: :func:`synth_study` returns plain frozen dataclasses and
:func:`synth_survey` returns CSV bytes; a loader puts them in the database. Everything is
deterministic from ``seed``. Transcripts are composed from the phrase banks in
:mod:`techforce.research.synth_text`; because we compose them we know which passage was
written for which code, so two coders' codings can be derived from the truth with realistic
slips (a missed passage, a sibling code, a boundary one sentence out, an extra code).
Offsets are code points into the text as :func:`~techforce.research.transcripts.read_transcript`
returns it, which is checked for every transcript.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from techforce.errors import Invalid
from techforce.research import synth_text as text
from techforce.research.synth_survey import provider_profile, seeded, synth_survey
from techforce.research.transcripts import read_transcript

__all__ = [
    "DemoCase",
    "DemoCaseStudy",
    "DemoCode",
    "DemoCoding",
    "DemoStudy",
    "DemoTranscript",
    "synth_study",
    "synth_survey",
]

FORMAL = "technician in a formal strategic role"
INFORMAL = "technician in an informal strategic role"
SENIOR = "senior leader (non-technical)"
PARTICIPANT_TYPES = (FORMAL, INFORMAL, SENIOR)
CODERS = ("coder_a", "coder_b")
INTERVIEWS = 31
PROVIDERS = 20
SHORTCUTS = "123456789abcdefghijklmnopqrstuvwxyz"

Path = tuple[str, ...]


@dataclass(frozen=True)
class DemoCase:
    """One interviewee: pseudonym, type, provider, attributes and what they consented to."""

    pseudonym: str
    participant_type: str
    ukprn: str
    attributes: dict[str, str]
    may_quote: bool
    may_archive: bool
    may_name: bool


@dataclass(frozen=True)
class DemoTranscript:
    """A transcript file: ``body`` is the .txt content ("Speaker: words", one turn a line)."""

    pseudonym: str
    filename: str
    body: str

    @property
    def data(self) -> bytes:
        """The file's bytes, as a user would upload them."""
        return self.body.encode("utf-8")


@dataclass(frozen=True)
class DemoCode:
    """A code in the codebook; ``path`` is (parent,) or (parent, child)."""

    path: Path
    colour: str
    definition: str
    inclusion: str
    exclusion: str
    examples: str
    shortcut: str


@dataclass(frozen=True)
class DemoCoding:
    """``coder`` applied ``code_path`` to code points ``start:end`` of the pseudonym's transcript
    as read_transcript returns it."""

    coder: str
    pseudonym: str
    code_path: Path
    start: int
    end: int


@dataclass(frozen=True)
class DemoCaseStudy:
    """A write-up about one provider; quotes are (pseudonym, code path, coded text)."""

    title: str
    ukprn: str
    summary: str
    body: str
    quotes: list[tuple[str, Path, str]]


@dataclass(frozen=True)
class DemoStudy:
    protocol: list[dict[str, Any]]
    participants: list[DemoCase]
    transcripts: list[DemoTranscript]
    codebook: list[DemoCode]
    codings: list[DemoCoding]
    case_studies: list[DemoCaseStudy]


# ---------------------------------------------------------------- composing transcripts


@dataclass
class _Piece:
    """A sentence (or opener) of a turn; ``passage`` groups the sentences written for one code."""

    words: str
    code: Path | None = None
    passage: int | None = None
    sep: str = " "
    opener: bool = False
    start: int = 0
    end: int = 0


@dataclass
class _Passage:
    code: Path
    turn: int


@dataclass
class _Writer:
    """State while one interview is composed: the bank left to draw from, sentences used."""

    rng: random.Random
    slots: dict[str, str]
    perspective: str  # "T" technician or "S" senior leader
    turns: list[tuple[str, list[_Piece]]] = field(default_factory=list)
    passages: list[_Passage] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    left: dict[str, list[str]] = field(default_factory=dict)
    decks: dict[str, list[str]] = field(default_factory=dict)
    exclusive: set[tuple[str, str]] = field(default_factory=set)  # at most one of these per code

    def __post_init__(self) -> None:
        skip = "S|" if self.perspective == "T" else "T|"
        for child, bank in text.BANKS.items():
            both = (*bank, *text.MORE.get(child, ()))
            usable = [s[2:] if s[1:2] == "|" else s for s in both if not s.startswith(skip)]
            self.exclusive.update((child, s[1:]) for s in usable if s.startswith("!"))
            usable = [s.removeprefix("!") for s in usable]
            self.rng.shuffle(usable)
            self.left[child] = usable

    def fill(self, template: str) -> str:
        slots = {**self.slots, "colleague": self.deal("colleague", text.COLLEAGUES)}
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


_CHILDREN: dict[str, list[str]] = {}
for _parent, _child, *_ in text.CODEBOOK:
    _CHILDREN.setdefault(_parent, []).append(_child)
_PARENT = {child: parent for parent, children in _CHILDREN.items() for child in children}


def _pick_code(w: _Writer, topic: str) -> str | None:
    own = [c for c in _CHILDREN[topic] if w.left[c]]
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


def _answer(w: _Writer, topic: str, passages: int) -> list[_Piece]:
    """One answer turn: maybe a filler, ``passages`` coded passages with stories between."""
    pieces: list[_Piece] = []
    if w.rng.random() < 0.4 and (filler := w.unused(text.FILLERS_START)):
        pieces.append(_Piece(filler))
    for _ in range(passages):
        child = _pick_code(w, topic)
        if child is None:
            break
        path = (_PARENT[child], child)
        number = len(w.passages)  # a passage's id is its index in w.passages
        for _ in range(min(w.rng.choice((1, 2, 2, 3, 3)), len(w.left[child]))):
            if w.left[child]:
                pieces.append(_Piece(w.draw(child), path, number))
        w.passages.append(_Passage(path, len(w.turns)))
        if w.rng.random() < 0.45 and (story := w.story()):
            pieces.append(_Piece(story))
    if w.rng.random() < 0.25 and (filler := w.unused(text.FILLERS)):
        pieces.append(_Piece(filler))
    if pieces and w.rng.random() < 0.35:
        pieces[0].words = _lower_first(pieces[0].words)
        pieces.insert(0, _Piece(w.rng.choice(text.OPENERS).strip(), opener=True))
    return pieces


def _interview(w: _Writer, pseudonym: str, target_words: int) -> None:
    """All turns of one interview, the protocol in order, padded with stories to the target."""
    w.turns.append(("Interviewer", [_Piece(text.INTRO_Q)]))
    w.turns.append((pseudonym, [_Piece(w.rng.choice(text.INTRO_A))]))
    chat = w.rng.random() < 0.4
    for n, (topic, questions) in enumerate(text.TOPICS):
        for q, question in enumerate(questions):
            lead = w.rng.choice(text.TRANSITIONS) + " " if (n or q) and w.rng.random() < 0.4 else ""
            w.turns.append(("Interviewer", [_Piece(lead + question)]))
            answer = _answer(w, topic, w.rng.choice((2, 2, 3, 3)))
            if chat and topic == "Support and development" and q == 3:
                answer.append(_Piece("Our group chat is mostly things like this:"))
                answer.append(_Piece(w.rng.choice(text.CHAT_LINES), sep="\n"))
                chat = False
            w.turns.append((pseudonym, answer or [_Piece(w.unused(text.FILLERS) or "Not really.")]))
            if w.rng.random() < 0.45:
                w.turns.append(("Interviewer", [_Piece(w.rng.choice(text.PROBES))]))
                w.turns.append((pseudonym, _answer(w, topic, 1) or [_Piece("Not much more to say.")]))
    w.turns.append(("Interviewer", [_Piece(text.CLOSE_Q)]))
    w.turns.append((pseudonym, [_Piece(w.rng.choice(text.CLOSE_A))]))
    _pad(w, target_words)


def _words(w: _Writer) -> int:
    return sum(len(p.words.split()) for _, pieces in w.turns for p in pieces)


def _pad(w: _Writer, target_words: int) -> None:
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
        pieces.insert(at, _Piece(story))
        words += len(story.split())


def _gap(pieces: list[_Piece], i: int) -> bool:
    """Whether a sentence may go before index ``i``: not inside a passage, not after a chat line."""
    before = pieces[i - 1]
    after = pieces[i] if i < len(pieces) else None
    inside = after is not None and before.passage is not None and before.passage == after.passage
    return not inside and not before.opener and before.sep != "\n" and (after is None or after.sep != "\n")


def _render(w: _Writer) -> str:
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


# ---------------------------------------------------------------- two coders


def _spans(pieces: list[_Piece]) -> dict[int, tuple[int, int]]:
    """Per passage id, the indexes of its first and last piece in the turn."""
    out: dict[int, tuple[int, int]] = {}
    for i, piece in enumerate(pieces):
        if piece.passage is not None:
            first = out.get(piece.passage, (i, i))[0]
            out[piece.passage] = (first, i)
    return out


def _boundary(rng: random.Random, pieces: list[_Piece], first: int, last: int) -> tuple[int, int]:
    """The passage's span one sentence out at one end: earlier, later, longer or shorter."""
    options: list[tuple[int, int]] = []
    if first > 0 and pieces[first - 1].sep != "\n":
        options.append((pieces[first - 1].start, pieces[last].end))
    if last > first:
        options.append((pieces[first + 1].start, pieces[last].end))
        options.append((pieces[first].start, pieces[last - 1].end))
    if last + 1 < len(pieces) and pieces[last + 1].sep != "\n":
        options.append((pieces[first].start, pieces[last + 1].end))
    return rng.choice(options) if options else (pieces[first].start, pieces[last].end)


def _sibling(rng: random.Random, path: Path) -> Path:
    others = [c for c in _CHILDREN[path[0]] if c != path[1]]
    return (path[0], rng.choice(others))


# (miss, sibling code, boundary one sentence out, extra code on the same passage)
_SLIPS = {"coder_a": (0.03, 0.03, 0.08, 0.02), "coder_b": (0.07, 0.07, 0.17, 0.06)}


def _code(w: _Writer, pseudonym: str, rng: random.Random) -> tuple[list[DemoCoding], set[int]]:
    """Both coders' codings of one interview, and the passages both coded exactly as written."""
    out: list[DemoCoding] = []
    exact: dict[int, int] = Counter()
    for _, pieces in w.turns:
        for pid, (first, last) in _spans(pieces).items():
            path = w.passages[pid].code
            for coder in CODERS:
                miss, sibling, boundary, extra = _SLIPS[coder]
                span = (pieces[first].start, pieces[last].end)
                roll = rng.random()
                if roll < miss:
                    continue
                if roll < miss + sibling:
                    out.append(DemoCoding(coder, pseudonym, _sibling(rng, path), *span))
                    continue
                if roll < miss + sibling + boundary:
                    span = _boundary(rng, pieces, first, last)
                else:
                    exact[pid] += 1
                out.append(DemoCoding(coder, pseudonym, path, *span))
                if rng.random() < extra:
                    out.append(DemoCoding(coder, pseudonym, _sibling(rng, path), *span))
        for piece in pieces:
            if piece.passage is None and len(piece.words) > 40 and rng.random() < 0.02:
                topic = rng.choice(list(_CHILDREN))
                path = (topic, rng.choice(_CHILDREN[topic]))
                out.append(DemoCoding("coder_b", pseudonym, path, piece.start, piece.end))
    return out, {pid for pid, n in exact.items() if n == len(CODERS)}


# ---------------------------------------------------------------- participants


def _participants(providers: Sequence[tuple[str, str]], rng: random.Random, seed: int) -> list[DemoCase]:
    """31 interviewees at 20 providers: two providers with three, seven with two."""
    chosen = rng.sample(sorted(providers), PROVIDERS)
    sizes = [3, 3] + [2] * 7 + [1] * 11
    rng.shuffle(sizes)
    people: list[tuple[str, str]] = []
    extras = 0
    for (ukprn, _), size in zip(chosen, sizes, strict=True):
        people.append((ukprn, FORMAL if rng.random() < 0.55 else INFORMAL))
        for _ in range(size - 1):
            extras += 1
            kind = SENIOR if extras % 2 else rng.choice((FORMAL, INFORMAL))
            people.append((ukprn, kind))
    rng.shuffle(people)
    no_quote = set(rng.sample(range(INTERVIEWS), 4))
    named = set(rng.sample(sorted(set(range(INTERVIEWS)) - no_quote), 2))
    cases = []
    for i, (ukprn, kind) in enumerate(people):
        region, group, _, _ = provider_profile(ukprn, seed)
        women = 0.45 if kind == SENIOR else 0.38
        attributes = {
            "sex": "F" if rng.random() < women else "M",
            "region": region,
            "mission_group": group,
            "years_in_role": str(rng.randint(1, 15)),
        }
        quote = i not in no_quote
        cases.append(
            DemoCase(
                f"P{i + 1:02d}", kind, ukprn, attributes, quote, quote and rng.random() < 0.85, i in named
            )
        )
    return cases


def _slots(rng: random.Random) -> dict[str, str]:
    return {
        "dept": rng.choice(text.DEPTS),
        "facility": rng.choice(text.FACILITIES),
        "n": str(rng.randrange(40, 600, 5)),
        "grade": str(rng.choice((6, 7, 8))),
        "year": str(rng.randint(2014, 2022)),
        "colleague": rng.choice(text.COLLEAGUES),
        "boss": rng.choice(text.BOSSES),
        "network": rng.choice(text.NETWORKS),
    }


def _transcript(case: DemoCase, seed: int) -> tuple[DemoTranscript, _Writer]:
    rng = seeded(seed, "interview", case.pseudonym)
    w = _Writer(rng, _slots(rng), "S" if case.participant_type == SENIOR else "T")
    senior = case.participant_type == SENIOR
    _interview(w, case.pseudonym, rng.randint(4200, 5200) if senior else rng.randint(4500, 6500))
    body = _render(w)
    filename = f"interview_{case.pseudonym}.txt"
    if read_transcript(body.encode("utf-8"), filename).text != body:
        raise RuntimeError(f"{filename}: read_transcript changed the composed text")
    return DemoTranscript(case.pseudonym, filename, body), w


# ---------------------------------------------------------------- codebook and case studies


def _codebook() -> list[DemoCode]:
    """Eight parent codes (the protocol's topics) and their children, with rules and examples."""
    out: list[DemoCode] = []
    keys = iter(SHORTCUTS)
    slots = {
        "dept": "Chemistry",
        "facility": "the NMR suite",
        "n": "120",
        "grade": "7",
        "year": "2019",
        "colleague": "Siân",
        "boss": "the Registrar",
        "network": "UK ITSS network",
    }
    for number, (topic, _) in enumerate(text.TOPICS):
        colour = text.COLOURS[number % len(text.COLOURS)]
        out.append(
            DemoCode(
                (topic,),
                colour,
                f"Everything the interviewee says under the topic '{topic}'.",
                "Use a child code where one fits; the parent only for passages no child fits.",
                "Passages coded to a child are not also coded to the parent.",
                "",
                "",
            )
        )
        for parent, child, definition, inclusion, exclusion in text.CODEBOOK:
            if parent != topic:
                continue
            samples = [s.split("|", 1)[-1].lstrip("!").format_map(slots) for s in text.BANKS[child][:2]]
            examples = " / ".join(f"“{s}”" for s in samples)
            out.append(
                DemoCode((parent, child), colour, definition, inclusion, exclusion, examples, next(keys))
            )
    return out


def _case_studies(
    cases: list[DemoCase],
    names: dict[str, str],
    coded: dict[str, list[tuple[Path, str, bool]]],
    rng: random.Random,
) -> list[DemoCaseStudy]:
    """Six case studies at providers with a quotable interviewee, quoting agreed codings."""
    by_provider: dict[str, list[DemoCase]] = {}
    for case in cases:
        by_provider.setdefault(case.ukprn, []).append(case)
    eligible = [u for u, people in sorted(by_provider.items()) if any(p.may_quote for p in people)]
    rng.shuffle(eligible)
    eligible.sort(key=lambda u: -len(by_provider[u]))
    out = []
    for (title, prefer, recs, paragraph), ukprn in zip(text.CASE_THEMES, eligible[:6], strict=True):
        people = by_provider[ukprn]
        name = names[ukprn]
        quotes = _quotes(people, coded, prefer, rng)
        themes = Counter(path[1] for p in people for path, _, _ in coded[p.pseudonym])
        described = ", ".join(f"{p.pseudonym} ({p.participant_type})" for p in people)
        count = f"{len(people)} {'person' if len(people) == 1 else 'people'}"
        body = "\n\n".join(
            (
                paragraph.format(name=name),
                text.CASE_PEOPLE.format(count=count, name=name, people=described),
                text.CASE_THEMES_SEEN.format(themes=", ".join(t.lower() for t, _ in themes.most_common(3))),
                text.CASE_CLOSE.format(recs=recs),
            )
        )
        summary = f"{title} at {name}. What changed, how, and what interviewees say it has made possible."
        out.append(DemoCaseStudy(f"{name}: {title}", ukprn, summary, body, quotes))
    return out


def _quotes(
    people: list[DemoCase], coded: dict[str, list[tuple[Path, str, bool]]], prefer: str, rng: random.Random
) -> list[tuple[str, Path, str]]:
    """Two or three short passages both coders coded alike, the preferred code first."""
    pool = [
        (p.pseudonym, path, words)
        for p in people
        if p.may_quote
        for path, words, agreed in coded[p.pseudonym]
        if agreed and 40 <= len(words) <= 320
    ]
    rng.shuffle(pool)
    pool.sort(key=lambda q: q[1][1] != prefer)
    chosen: list[tuple[str, Path, str]] = []
    for quote in pool:
        if all(quote[1] != c[1] for c in chosen):
            chosen.append(quote)
        if len(chosen) == 3:
            break
    return chosen


def synth_study(providers: Sequence[tuple[str, str]], *, seed: int = 2024) -> DemoStudy:
    """A demo interview study: 31 interviews at 20 of ``providers`` ((UKPRN, name) pairs), the
    protocol, a codebook, two coders' codings and six case studies. Deterministic from ``seed``."""
    names = dict(providers)
    if len(names) < PROVIDERS:
        raise Invalid(
            f"The demo study needs at least {PROVIDERS} providers with distinct UKPRNs; got "
            f"{len(names)}. Generate a larger synthetic sector first."
        )
    rng = seeded(seed, "study")
    cases = _participants(sorted(names.items()), rng, seed)
    transcripts: list[DemoTranscript] = []
    codings: list[DemoCoding] = []
    coded: dict[str, list[tuple[Path, str, bool]]] = {}
    for case in cases:
        transcript, writer = _transcript(case, seed)
        mine, agreed = _code(writer, case.pseudonym, seeded(seed, "coding", case.pseudonym))
        transcripts.append(transcript)
        codings.extend(mine)
        coded[case.pseudonym] = _agreed_text(writer, transcript.body, agreed)
    return DemoStudy(
        protocol=[{"topic": topic, "questions": list(questions)} for topic, questions in text.TOPICS],
        participants=cases,
        transcripts=transcripts,
        codebook=_codebook(),
        codings=codings,
        case_studies=_case_studies(cases, names, coded, rng),
    )


def _agreed_text(w: _Writer, body: str, agreed: set[int]) -> list[tuple[Path, str, bool]]:
    """Each passage's code, its text and whether both coders coded it exactly."""
    out = []
    for _, pieces in w.turns:
        for pid, (first, last) in _spans(pieces).items():
            out.append((w.passages[pid].code, body[pieces[first].start : pieces[last].end], pid in agreed))
    return out
