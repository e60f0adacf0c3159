"""Intercoder agreement on character-overlap units, and consensus from reviewed disagreements.

The unit of analysis is each code point of a source. A coder *applies* a code to a character
when any of their codings of that code covers it, so overlapping codings by one coder count
once. Per code we report Cohen's kappa (exactly two coders), Krippendorff's alpha (two or more,
nominal, via the ``krippendorff`` package), percent agreement and how many characters each
coder coded.

Choices, so the figures can be compared with other tools:

- **Units.** By default (``coded_only=False``) every character of every source is a unit: a
  stretch nobody coded is a real agreement that the code does not apply. With
  ``coded_only=True`` only characters that at least one coder coded *with any code* count, the
  "coded units only" variant many QDA tools use; it gives lower, stricter figures.
- **Overall.** The overall kappa, alpha and percent agreement are the per-code figures
  averaged with weights equal to the characters coded by any coder with that code (codes
  nobody used, and codes whose figure is undefined, carry no weight). A pooled nominal alpha
  on one code per character is not used because a character may carry several codes.
- **Undefined.** Kappa is undefined when chance agreement is total (both coders all-absent or
  both all-present); alpha when every unit has the same value. The figure is then ``None``
  and the report's ``notes`` say why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import krippendorff
import numpy as np
import numpy.typing as npt

from techforce.errors import Invalid

CONSENSUS = "consensus"

Vector = npt.NDArray[np.int8]


@dataclass(frozen=True)
class Coding:
    """One coder's application of a code to ``source[start:end]`` (code-point offsets)."""

    coder: str
    code: str
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """A maximal run of characters where the coders disagree about ``code``."""

    code: str
    source: str
    start: int
    end: int
    applied_by: tuple[str, ...]
    not_applied_by: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """A reviewer's decision on a disagreement: ``apply`` the code to it in the consensus or not."""

    segment: Segment
    apply: bool


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code; ``None`` figures are explained in ``notes``."""

    code: str
    units: int
    kappa: float | None
    alpha: float | None
    percent: float | None
    coded_by: dict[str, int]
    coded_any: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgreementReport:
    """Per-code agreement and the overall figures (weighted by characters coded per code)."""

    coders: tuple[str, ...]
    coded_only: bool
    codes: tuple[CodeAgreement, ...]
    kappa: float | None
    alpha: float | None
    percent: float | None
    notes: tuple[str, ...] = field(default=())


def _check(codings: Iterable[Coding], lengths: Mapping[str, int]) -> list[Coding]:
    """All codings, or Invalid listing every one that is out of its source."""
    rows = list(codings)
    problems: list[str] = []
    for i, c in enumerate(rows):
        where = f"coding {i + 1} ({c.coder}, code {c.code!r}, source {c.source!r})"
        if c.source not in lengths:
            problems.append(f"{where}: unknown source; known sources are {sorted(lengths)}")
        elif c.start >= c.end:
            problems.append(f"{where}: start {c.start} must be before end {c.end}")
        elif c.start < 0 or c.end > lengths[c.source]:
            problems.append(
                f"{where}: offsets {c.start}-{c.end} lie outside the source "
                f"(0-{lengths[c.source]}); code points, end exclusive"
            )
    if problems:
        raise Invalid("Some codings do not fit their sources: " + "; ".join(problems), problems)
    return rows


def _offsets(lengths: Mapping[str, int]) -> dict[str, int]:
    """Where each source starts in the concatenated vector (sources in sorted order)."""
    out: dict[str, int] = {}
    pos = 0
    for name in sorted(lengths):
        if lengths[name] < 0:
            raise Invalid(f"Source {name!r} has a negative length {lengths[name]}.")
        out[name] = pos
        pos += lengths[name]
    return out


def presence(
    codings: Iterable[Coding], lengths: Mapping[str, int], code: str, coders: Sequence[str]
) -> dict[str, Vector]:
    """Per coder, a 0/1 vector over all characters of all sources (sorted by source name):
    1 where that coder applied ``code``."""
    rows = _check(codings, lengths)
    offsets = _offsets(lengths)
    total = sum(lengths.values())
    out = {coder: np.zeros(total, dtype=np.int8) for coder in coders}
    for c in rows:
        if c.code == code and c.coder in out:
            base = offsets[c.source]
            out[c.coder][base + c.start : base + c.end] = 1
    return out


def _kappa_why(a: Vector, b: Vector) -> tuple[float | None, str | None]:
    if a.shape != b.shape:
        raise Invalid(f"Kappa needs two vectors over the same units; got {a.size} and {b.size} units.")
    if a.size == 0:
        return None, "kappa undefined: there are no units"
    po = float(np.mean(a == b))
    pa, pb = float(np.mean(a)), float(np.mean(b))
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1.0:
        state = "applied it everywhere" if pa == 1.0 else "never applied it"
        return None, f"kappa undefined: both coders {state}, so chance agreement is total"
    return 1 - (1 - po) / (1 - pe), None


def cohen_kappa(a: Vector, b: Vector) -> float | None:
    """Cohen's kappa for two coders' 0/1 vectors: 1 - (1 - po) / (1 - pe), which equals
    (po - pe) / (1 - pe). ``None`` when undefined (no units, or both coders constant and
    equal, so pe = 1)."""
    return _kappa_why(np.asarray(a), np.asarray(b))[0]


def _alpha_why(matrix: npt.ArrayLike) -> tuple[float | None, str | None]:
    data = np.asarray(matrix, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        raise Invalid(
            "Krippendorff's alpha needs a coders x units matrix with at least two coders "
            f"(rows); got shape {data.shape}."
        )
    values = np.unique(data[~np.isnan(data)])
    if values.size < 2:
        return None, "alpha undefined: every unit has the same value, so no disagreement is possible"
    pairable = np.sum(~np.isnan(data), axis=0) >= 2
    if not pairable.any():
        return None, "alpha undefined: no unit was coded by two or more coders"
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), None


def krippendorff_alpha(matrix: npt.ArrayLike) -> float | None:
    """Nominal Krippendorff's alpha for a coders x units matrix (NaN = missing). ``None`` when
    undefined (a single value throughout, or no unit with two values)."""
    return _alpha_why(matrix)[0]


def _coders(codings: Sequence[Coding], coders: Sequence[str] | None) -> tuple[str, ...]:
    chosen = (
        tuple(coders)
        if coders is not None
        else tuple(sorted({c.coder for c in codings if c.coder != CONSENSUS}))
    )
    if len(set(chosen)) != len(chosen):
        raise Invalid(f"Coders are listed more than once: {list(chosen)}; list each coder once.")
    if len(chosen) < 2:
        raise Invalid(
            f"Agreement needs at least two coders (kappa exactly two, alpha two or more); "
            f"got {len(chosen)} ({', '.join(chosen) or 'none'}). Add a second coder's codings "
            "or name two coders."
        )
    return chosen


def _one_code(code: str, vecs: dict[str, Vector], mask: Vector | None) -> CodeAgreement:
    coders = tuple(vecs)
    if mask is not None:
        keep = mask.astype(bool)
        vecs = {k: v[keep] for k, v in vecs.items()}
    stack = np.vstack([vecs[c] for c in coders])
    units = int(stack.shape[1])
    notes: list[str] = []
    kappa: float | None = None
    if len(coders) == 2:
        kappa, why = _kappa_why(stack[0], stack[1])
        if why:
            notes.append(why)
    alpha, why = _alpha_why(stack) if units else (None, "alpha undefined: there are no units")
    if why:
        notes.append(why)
    percent = float(np.mean(np.all(stack == stack[0], axis=0))) if units else None
    return CodeAgreement(
        code=code,
        units=units,
        kappa=kappa,
        alpha=alpha,
        percent=percent,
        coded_by={c: int(vecs[c].sum()) for c in coders},
        coded_any=int(np.any(stack == 1, axis=0).sum()),
        notes=tuple(notes),
    )


def _weighted(rows: Sequence[CodeAgreement], attr: str) -> float | None:
    pairs = [(getattr(r, attr), r.coded_any) for r in rows if getattr(r, attr) is not None]
    weight = sum(w for _, w in pairs)
    if weight == 0:
        return None
    return float(sum(v * w for v, w in pairs) / weight)


def agreement(
    codings: Iterable[Coding],
    lengths: Mapping[str, int],
    *,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    unit: str = "character",
    coded_only: bool = False,
) -> AgreementReport:
    """Agreement per code and overall (see the module docstring for the choices). ``coders``
    defaults to everyone but "consensus"; ``codes`` to every code used. ``coded_only`` keeps
    only characters that some chosen coder coded with any code."""
    if unit != "character":
        raise Invalid(f"Unit {unit!r} is not supported; use unit='character'.")
    rows = _check(codings, lengths)
    chosen = _coders(rows, coders)
    wanted = tuple(codes) if codes is not None else tuple(sorted({c.code for c in rows}))
    mine = [c for c in rows if c.coder in chosen]
    per_code = {code: presence(mine, lengths, code, chosen) for code in wanted}
    mask: Vector | None = None
    if coded_only:
        mask = np.zeros(sum(lengths.values()), dtype=np.int8)
        for code in sorted({c.code for c in mine}):
            for vec in presence(mine, lengths, code, chosen).values():
                mask |= vec
    results = tuple(_one_code(code, per_code[code], mask) for code in wanted)
    notes = () if results else ("no codes to compare",)
    return AgreementReport(
        coders=chosen,
        coded_only=coded_only,
        codes=results,
        kappa=_weighted(results, "kappa") if len(chosen) == 2 else None,
        alpha=_weighted(results, "alpha"),
        percent=_weighted(results, "percent"),
        notes=notes,
    )


def disagreements(
    codings: Iterable[Coding], lengths: Mapping[str, int], code: str, coders: Sequence[str]
) -> list[Segment]:
    """Maximal runs where the coders differ on ``code``; a run ends where the set of coders
    who applied it changes. In source-name order, then by offset."""
    rows = list(codings)
    chosen = _coders(rows, coders)
    vecs = presence(rows, lengths, code, chosen)
    offsets = _offsets(lengths)
    weights = np.array([1 << i for i in range(len(chosen))], dtype=np.int64)
    full = sum(int(w) for w in weights)
    out: list[Segment] = []
    for source in sorted(lengths):
        base, size = offsets[source], lengths[source]
        if size == 0:
            continue
        block = np.vstack([vecs[k][base : base + size] for k in chosen]).astype(np.int64)
        pattern = weights @ block  # which coders applied the code, as bits, per character
        edges = [0, *(np.flatnonzero(np.diff(pattern)) + 1).tolist(), size]
        for start, end in pairwise(edges):
            if int(pattern[start]) not in (0, full):
                col = tuple(int(v) for v in block[:, start])
                out.append(_segment(code, source, start, end, chosen, col))
    return out


def _segment(
    code: str, source: str, start: int, end: int, coders: Sequence[str], col: tuple[int, ...]
) -> Segment:
    return Segment(
        code=code,
        source=source,
        start=start,
        end=end,
        applied_by=tuple(c for c, v in zip(coders, col, strict=True) if v),
        not_applied_by=tuple(c for c, v in zip(coders, col, strict=True) if not v),
    )


def consensus(codings: Iterable[Coding], resolutions: Iterable[Resolution]) -> list[Coding]:
    """Consensus codings (coder "consensus"): per code, the characters every coder applied it
    to, plus the disagreement segments resolved with ``apply=True``; segments resolved with
    ``apply=False`` or left unresolved stay out. Adjacent characters merge into one coding."""
    rows = [c for c in codings if c.coder != CONSENSUS]
    chosen = sorted({c.coder for c in rows})
    marks: dict[tuple[str, str], set[int]] = {}
    for code in sorted({c.code for c in rows}):
        for source in sorted({c.source for c in rows if c.code == code}):
            per = [
                set().union(
                    *(range(c.start, c.end) for c in rows if (c.coder, c.code, c.source) == (k, code, source))
                )
                for k in chosen
            ]
            marks[(code, source)] = set.intersection(*per) if per else set()
    for r in resolutions:
        s = r.segment
        if s.start >= s.end or s.start < 0:
            raise Invalid(f"Resolution for {s.code!r} in {s.source!r}: start must be before end.")
        if r.apply:
            marks.setdefault((s.code, s.source), set()).update(range(s.start, s.end))
    return [
        Coding(CONSENSUS, code, source, start, end)
        for (code, source), chars in sorted(marks.items())
        for start, end in _runs(sorted(chars))
    ]


def _runs(chars: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for ch in chars:
        if runs and runs[-1][1] == ch:
            runs[-1] = (runs[-1][0], ch + 1)
        else:
            runs.append((ch, ch + 1))
    return runs
