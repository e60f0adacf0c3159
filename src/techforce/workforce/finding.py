"""Finding providers, indicators, years and groups by what a person types.

A UKPRN, or a fragment of a provider's name (case and accents ignored), is resolved to one
provider; anything unknown is a NotFound that names what was typed and the nearest known
choices, anything ambiguous a Refused that lists the matches. Used by the CLI and the web
app alike, so that one mistake reads the same everywhere. No I/O: callers pass the names
(``Workforce.names()``: UKPRN -> provider name) or the choices."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

from techforce import errors

SHOWN_MATCHES = 8  # an ambiguous fragment lists this many matches, then "and N more"
SHOWN_NEAREST = 5  # an unknown value suggests this many nearest choices
SHOWN_KNOWN = 12  # ... and lists this many known ones
LONGEST_TYPED = 200  # longer text matches no name or choice and is compared with none


def fold(text: str) -> str:
    """``text`` for matching: accents removed, case folded, runs of whitespace made one."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _shown(typed: str) -> str:
    """What was typed, cut for a message when it is too long to be any name."""
    return typed if len(typed) <= LONGEST_TYPED else typed[:40] + f"… ({len(typed):,} characters)"


def provider_label(names: dict[str, str], ukprn: str) -> str:
    """ "University of Ashford (10000001)"; the bare UKPRN when no name is known."""
    name = names.get(ukprn)
    return f"{name} ({ukprn})" if name and name != ukprn else ukprn


def _rank(ukprn: str, name: str, typed: str, folded: str) -> int | None:
    """How well one provider matches (lower is better), or None."""
    fname = fold(name)
    if ukprn == typed:
        return 0
    if fname == folded:
        return 1
    if typed.isdigit() and ukprn.startswith(typed):
        return 2
    if fname.startswith(folded):
        return 3
    if any(word.startswith(folded) for word in fname.split()):
        return 4
    if folded in fname:
        return 5
    return None


def search_providers(names: dict[str, str], query: str, limit: int | None = 10) -> list[tuple[str, str]]:
    """(ukprn, name) pairs matching a UKPRN prefix or a name fragment, best first: the exact
    UKPRN, the exact name, UKPRNs starting with it, names starting with it, names with a word
    starting with it, names containing it; ties in name (UKPRN prefixes in UKPRN) order. ``limit=None``: all of them."""
    typed = query.strip()
    if len(typed) > LONGEST_TYPED:
        return []
    folded = fold(typed)
    if not folded:
        return []
    ranked: list[tuple[int, str, str, str]] = []
    for ukprn, name in names.items():
        rank = _rank(ukprn, name or ukprn, typed, folded)
        if rank is not None:
            order = ukprn if rank in (0, 2) else fold(name or ukprn)  # UKPRN prefixes by UKPRN
            ranked.append((rank, order, ukprn, name or ukprn))
    ranked.sort()
    found = [(ukprn, name) for _, _, ukprn, name in ranked]
    return found if limit is None else found[:limit]


def _listed(labels: list[str], most: int) -> str:
    shown = ", ".join(labels[:most])
    return f"{shown} and {len(labels) - most} more" if len(labels) > most else shown


def nearest_providers(names: dict[str, str], query: str, most: int = SHOWN_NEAREST) -> list[str]:
    """UKPRNs of the providers nearest to something that matched none: similar names, then
    UKPRNs sharing the longest prefix with what was typed."""
    typed = query.strip()
    if len(typed) > LONGEST_TYPED:
        return []  # no name is this long; difflib over it would take seconds
    by_folded: dict[str, list[str]] = {}
    for ukprn, name in names.items():
        by_folded.setdefault(fold(name or ukprn), []).append(ukprn)
    near: list[str] = []
    for folded in difflib.get_close_matches(fold(typed), list(by_folded), n=most, cutoff=0.5):
        near.extend(sorted(by_folded[folded]))
    if typed.isdigit() and names:

        def shared(ukprn: str) -> int:
            return len(_common_prefix(ukprn, typed))

        longest = max(shared(u) for u in names)
        if longest:
            near.extend(sorted(u for u in names if shared(u) == longest))
        else:
            near.extend(difflib.get_close_matches(typed, sorted(names), n=most, cutoff=0.0))
    return list(dict.fromkeys(near))[:most]


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return a[:size]


def resolve_provider(names: dict[str, str], query: str) -> str:
    """The UKPRN for an exact UKPRN, an exact name, or a name fragment (or UKPRN prefix) that
    matches exactly one provider. Unknown: NotFound naming the nearest providers; more than
    one match: Refused listing them."""
    typed = query.strip()
    if typed in names:
        return typed
    if not names:
        raise errors.NotFound(
            f"no provider {_shown(typed)!r}: no providers are known yet; import the provider list "
            "(`techforce workforce providers FILE.csv`) or ingest returns first"
        )
    matches = search_providers(names, typed, limit=None)
    folded = fold(typed)
    exact = [u for u, name in matches if fold(name) == folded]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0][0]
    if matches:
        labels = [provider_label(names, u) for u, _ in matches]
        raise errors.Refused(
            f"{typed!r} matches {len(matches)} providers: {_listed(labels, SHOWN_MATCHES)}; "
            "type more of the name, or the UKPRN"
        )
    near = [provider_label(names, u) for u in nearest_providers(names, typed)]
    hint = f"; nearest: {', '.join(near)}" if near else ""
    raise errors.NotFound(f"no provider {_shown(typed)!r} (give a UKPRN or part of a name){hint}")


def check_choice(what: str, value: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices`` (or the one choice equal to it ignoring case and
    accents); else NotFound "no {what} 'x'; did you mean: ...; known: ..." (nearest first)."""
    known = list(dict.fromkeys(choices))
    if value in known:
        return value
    near: list[str] = []
    if len(value) <= LONGEST_TYPED:  # longer is no choice, and difflib over it would take seconds
        folded = fold(value)  # once, not once per choice
        pairs = [(fold(c), c) for c in known]
        same = [c for f, c in pairs if f == folded]
        if len(same) == 1:
            return same[0]
        by_folded = dict(pairs)
        near = [by_folded[f] for f in difflib.get_close_matches(folded, list(by_folded), n=SHOWN_NEAREST)]
        near += [c for f, c in pairs if folded and folded in f and c not in near]
    message = f"no {what} {_shown(value)!r}"
    if near:
        message += f"; did you mean: {_listed(near, SHOWN_NEAREST)}"
    message += f"; known: {_listed(known, SHOWN_KNOWN) or 'none'}"
    raise errors.NotFound(message)
