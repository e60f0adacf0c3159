"""Checks for imported recommendation sets: each problem names the file, the place (``row N``
of a CSV counting the header as row 1, ``recommendation N`` of a YAML file counting from 1, or
nothing for the set's own fields), the field and the fix, and all of them are raised together as
one :class:`techforce.errors.Invalid`, so a user fixes a file in one go (see
:mod:`techforce.strategy.recsets`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from techforce import errors

LIMITS = {
    "title": 200,
    "publisher": 200,
    "text": 4000,
    "theme": 100,
    "citation": 1000,
    "url": 500,
    "note": 2000,
}
WORDINGS = ("", "verbatim", "paraphrase")
SOURCE_FIELDS = ("citation", "url")
SHOWN = 50  # problems written out in the message; ``Invalid.problems`` holds every one
_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_URL = re.compile(r"^https?://\S+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF and CR are text


@dataclass(frozen=True)
class Problem:
    """One problem in an imported file; ``row`` is the number in ``where`` (None for the set)."""

    file: str
    where: str
    field: str
    message: str
    fix: str
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        named = f"field {self.field}" if self.field else ""
        place = ", ".join(part for part in (self.file, self.where, named) if part)
        stop = "" if self.message.endswith(("?", ".")) else "."
        return f"{place}: {self.message}{stop} Fix: {self.fix}"


def nearest(value: str, allowed: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest allowed value, or nothing."""
    match = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.5)
    return f"; did you mean {match[0]!r}?" if match else ""


@dataclass
class Problems:
    """The problems found in one file so far."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def at(self, where: str = "", row: int | None = None) -> Place:
        return Place(self, where, row)

    def error(self) -> errors.Invalid:
        count = len(self.found)
        head = f"{self.file}: {count} problem{'s' if count != 1 else ''}; nothing was imported"
        lines = [head, *(p.describe() for p in self.found[:SHOWN])]
        if count > SHOWN:
            lines.append(f"… and {count - SHOWN} more")
        return errors.Invalid("\n".join(lines), list(self.found))

    def fail(self, message: str, fix: str, field: str = "") -> errors.Invalid:
        """The Invalid to raise for a problem that stops reading the file at once."""
        self.at().add(field, message, fix)
        return self.error()

    def raise_if_any(self) -> None:
        if self.found:
            raise self.error()


@dataclass(frozen=True)
class Place:
    """A place in the file (a row, a recommendation, or the set itself) and its checks."""

    problems: Problems
    where: str = ""
    row: int | None = None

    def add(self, field: str, message: str, fix: str) -> None:
        self.problems.found.append(Problem(self.problems.file, self.where, field, message, fix, self.row))

    def has(self, field: str) -> bool:
        return any(p.field == field and p.where == self.where for p in self.problems.found)

    def text(self, value: Any, field: str, *, required: bool = True) -> str:
        """Text, stripped; empty (when required), too long or not text is a problem."""
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(field, f"is a {type(value).__name__}, not text", f"write {field} as text")
            return ""
        text = value.strip()
        if required and not text:
            self.add(field, "is empty", f"give the {field}")
        if _CONTROL.search(text):
            self.add(field, "holds a control character (such as NUL)", f"remove it from the {field}")
        limit = LIMITS.get(field.rpartition(".")[2])
        if limit and len(text) > limit:
            self.add(field, f"is {len(text)} characters, over {limit}", f"shorten the {field} to {limit}")
        return text

    def terms(self, value: Any, field: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        """At least one term from ``allowed``, in a list or separated by ';'. ``Professional
        bodies`` reads as ``professional-bodies``; an unknown term is reported with the allowed
        ones and the nearest of them; a repeated term counts once."""
        if isinstance(value, str):
            value = value.split(";")
        if not isinstance(value, list):
            self.add(field, "is not a list", f"list {field} separated by ';'")
            return ()
        found: list[str] = []
        for item in value:
            if not isinstance(item, str):
                self.add(
                    field, f"has a {type(item).__name__} item, not text", f"write each of {field} as text"
                )
                continue
            term = re.sub(r"[\s_]+", "-", item.strip().casefold())
            if term and term not in allowed:
                listed = ", ".join(allowed)
                self.add(
                    field,
                    f"{item.strip()!r} is not one of {listed}{nearest(term, allowed)}",
                    f"use only {listed}",
                )
            elif term and term not in found:
                found.append(term)
        if not found and not self.has(field):
            self.add(field, "is empty", f"give at least one of {', '.join(allowed)}")
        return tuple(found)

    def code(self, value: Any) -> str:
        code = self.text(value, "code")
        if code and not _CODE.match(code):
            self.add(
                "code",
                f"{code!r} is not a code",
                "use up to 32 letters, digits, '.', '_' or '-' (e.g. STL-1)",
            )
        return code

    def unknown(self, keys: Iterable[Any], allowed: tuple[str, ...], what: str) -> None:
        for key in keys:
            if key not in allowed:
                name = str(key)
                self.add(
                    name,
                    f"is not a field of {what}{nearest(name, allowed)}",
                    f"use only {', '.join(allowed)}",
                )


# ---------------------------------------------------------------- the set's own fields


def slug(value: Any, at: Place) -> str:
    text = at.text(value, "id")
    if text and not _ID.match(text):
        at.add("id", f"{text!r} is not a slug", "use lower-case letters, digits and '-', e.g. my-report-2025")
    return text


def version(value: Any, at: Place) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int or value < 1:
        at.add("version", f"{value!r} is not a version number", "give a whole number from 1 up, e.g. 1")
        return 1
    return value


def published(value: Any, at: Place) -> date:
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    at.add(
        "published", f"{value!r} is not a date", "write the publication date as YYYY-MM-DD, e.g. 2024-11-01"
    )
    return date.min


def source(value: Any, at: Place) -> tuple[str, str]:
    """(citation, url): text, or a mapping with citation and url; a url must be a web address."""
    if value is None or value == "":
        return "", ""
    if isinstance(value, str):
        value = {"citation": value}
    if not isinstance(value, dict):
        at.add("source", "is not a citation", "give source as text, or as citation: and url:")
        return "", ""
    at.unknown((f"source.{key}" for key in value), tuple(f"source.{f}" for f in SOURCE_FIELDS), "source")
    url = at.text(value.get("url"), "source.url", required=False)
    if url and not _URL.match(url):
        at.add(
            "source.url", f"{url!r} is not a web address", "give an address starting https:// or leave it out"
        )
    return at.text(value.get("citation"), "source.citation", required=False), url


def wording(value: Any, at: Place) -> str:
    if value is None:
        return ""
    text = value.strip().casefold() if isinstance(value, str) else None
    if text not in WORDINGS:
        at.add(
            "wording",
            f"{value!r} is not one of verbatim, paraphrase",
            "write verbatim, paraphrase or leave it out",
        )
        return ""
    return str(text)


def unique_codes(codes: Iterable[tuple[Place, str]]) -> None:
    """Each code once in a set, compared without case (STL-1 and stl-1 are the same)."""
    first: dict[str, str] = {}
    for at, code in codes:
        key = code.casefold()
        if key and key in first:
            at.add(
                "code", f"{code!r} is already used by {first[key]}", "give each recommendation its own code"
            )
        elif key:
            first[key] = at.where
