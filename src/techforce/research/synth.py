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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from techforce.errors import Invalid
from techforce.research import synth_compose as compose
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
    """The whole demo interview study; ``name`` and ``description`` are for the study record."""

    protocol: list[dict[str, Any]]
    participants: list[DemoCase]
    transcripts: list[DemoTranscript]
    codebook: list[DemoCode]
    codings: list[DemoCoding]
    case_studies: list[DemoCaseStudy]
    name: str = "Strategic technical leadership interviews (demo)"
    description: str = (
        "Synthetic demo data modelled on the Strategic Technical Leadership report (Nov 2024): "
        "31 semi-structured interviews across 20 institutions with technicians in formal and "
        "informal strategic roles and senior leaders, coded by two coders; six case studies. "
        "Every person, quote and figure here is invented."
    )


# ---------------------------------------------------------------- two coders


def _boundary(rng: random.Random, pieces: list[compose.Piece], first: int, last: int) -> tuple[int, int]:
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
    others = [c for c in compose.CHILDREN[path[0]] if c != path[1]]
    return (path[0], rng.choice(others))


# (miss, sibling code, boundary one sentence out, extra code on the same passage)
_SLIPS = {"coder_a": (0.03, 0.03, 0.08, 0.02), "coder_b": (0.09, 0.08, 0.2, 0.07)}


def _code(w: compose.Writer, pseudonym: str, rng: random.Random) -> tuple[list[DemoCoding], set[int]]:
    """Both coders' codings of one interview, and the passages both coded exactly as written."""
    out: list[DemoCoding] = []
    exact: dict[int, int] = Counter()
    for speaker, pieces in w.turns:
        if speaker == "Interviewer":
            continue
        for pid, (first, last) in compose.spans(pieces).items():
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
                topic = rng.choice(list(compose.CHILDREN))
                path = (topic, rng.choice(compose.CHILDREN[topic]))
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


def _transcript(case: DemoCase, seed: int) -> tuple[DemoTranscript, compose.Writer]:
    rng = seeded(seed, "interview", case.pseudonym)
    perspective = {FORMAL: "F", INFORMAL: "N", SENIOR: "S"}[case.participant_type]
    w = compose.Writer(rng, _slots(rng), perspective)
    senior = case.participant_type == SENIOR
    compose.interview(w, case.pseudonym, rng.randint(4150, 4800) if senior else rng.randint(4300, 5800))
    body = compose.render(w)
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
    """Six case studies, each at the provider whose quotable interviewees said most about its
    theme (bigger groups of interviewees first on a tie), quoting passages both coders agreed."""
    by_provider: dict[str, list[DemoCase]] = {}
    for case in cases:
        by_provider.setdefault(case.ukprn, []).append(case)
    eligible = [u for u, people in sorted(by_provider.items()) if any(p.may_quote for p in people)]
    rng.shuffle(eligible)
    out = []
    for title, prefer, recs, paragraph in text.CASE_THEMES:

        def fit(ukprn: str, prefer: str = prefer) -> tuple[int, int]:
            people = [p for p in by_provider[ukprn] if p.may_quote]
            said = sum(path[1] == prefer and ok for p in people for path, _, ok in coded[p.pseudonym])
            return said, len(by_provider[ukprn])

        ukprn = max(eligible, key=fit)
        eligible.remove(ukprn)
        people = by_provider[ukprn]
        name = names[ukprn]
        body = "\n\n".join(
            (
                paragraph.format(name=name),
                _people_paragraph(people, name),
                text.CASE_THEMES_SEEN.format(themes=_themes(people, coded)),
                text.CASE_CLOSE.format(recs=recs),
            )
        )
        summary = f"{title} at {name}. What changed, how, and what interviewees say it has made possible."
        quotes = _quotes(people, coded, prefer, rng)
        out.append(DemoCaseStudy(f"{name}: {title}", ukprn, summary, body, quotes))
    return out


def _people_paragraph(people: list[DemoCase], name: str) -> str:
    kinds = {
        FORMAL: "technician, formal role",
        INFORMAL: "technician, informal role",
        SENIOR: "senior leader",
    }
    described = ", ".join(f"{p.pseudonym} ({kinds[p.participant_type]})" for p in people)
    if len(people) == 1:
        return text.CASE_PERSON.format(name=name, people=described)
    count = ("two", "three")[len(people) - 2] if len(people) <= 3 else str(len(people))
    return text.CASE_PEOPLE.format(count=f"{count} people", name=name, people=described)


def _themes(people: list[DemoCase], coded: dict[str, list[tuple[Path, str, bool]]]) -> str:
    counts = Counter(path[1] for p in people for path, _, _ in coded[p.pseudonym])
    named = [t[0].lower() + t[1:] for t, _ in counts.most_common(3)]
    return f"{named[0]}, {named[1]} and {named[2]}" if len(named) == 3 else " and ".join(named)


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


def _agreed_text(w: compose.Writer, body: str, agreed: set[int]) -> list[tuple[Path, str, bool]]:
    """Each passage's code, its text and whether both coders coded it exactly."""
    out = []
    for _, pieces in w.turns:
        for pid, (first, last) in compose.spans(pieces).items():
            out.append((w.passages[pid].code, body[pieces[first].start : pieces[last].end], pid in agreed))
    return out
