"""A resource as the library's pure modules see it (text extraction, the static site, the
BagIt package, OAI-PMH, the demo): plain data with no database, so each can be built and
tested alone. The store (models.py) turns its rows into these and back.

Vocabulary: a resource's ``kind`` is one of :data:`KINDS`; its Technician Commitment
``pillars`` are from :data:`PILLARS`; its ``audience`` says who may see it: ``public``
(anyone, without signing in: the catalogue, the static site, OAI-PMH), ``signed-in`` (any
account), ``role:<role>`` (accounts with that role) or ``provider:<ukprn>`` (accounts scoped
to that provider). Only public resources ever leave the server in an export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

KINDS = (
    "report",
    "guide",
    "explainer",
    "template",
    "framework",
    "case-study",
    "video",
    "dataset",
    "toolkit",
    "presentation",
)
KIND_LABELS = {
    "report": "Research report",
    "guide": "Practical guide",
    "explainer": "Explainer",
    "template": "Self-assessment template",
    "framework": "Framework",
    "case-study": "Case study",
    "video": "Video",
    "dataset": "Dataset",
    "toolkit": "Toolkit",
    "presentation": "Presentation",
}
# the four pillars of the Technician Commitment (the strategy capability shares them)
PILLARS = ("visibility", "recognition", "career-development", "sustainability")
PILLAR_LABELS = {
    "visibility": "Visibility",
    "recognition": "Recognition",
    "career-development": "Career development",
    "sustainability": "Sustainability",
}
PUBLIC, SIGNED_IN = "public", "signed-in"
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".csv": "text/csv",
}


@dataclass(frozen=True)
class StoredFile:
    """A resource's file, kept content-addressed: ``DATA_DIR/library/files/<sha256[:2]>/<sha256>``."""

    sha256: str
    filename: str  # the name it was added with (no folders), used for downloads
    media_type: str
    size: int


@dataclass(frozen=True)
class Resource:
    """One resource of the library. ``text`` is what search reads (extracted from the file,
    or a video's transcript); ``links`` name what it supports: ``recommendation:<id>``,
    ``action:<id>``, ``programme:<slug>``."""

    slug: str  # stable, URL-safe: the resource's address everywhere (site, OAI identifier, bag)
    title: str
    kind: str
    summary: str = ""
    authors: tuple[str, ...] = ()
    organisation: str = ""
    published: date | None = None
    licence: str = ""  # an SPDX id or a licence URL, e.g. "CC-BY-4.0"
    pillars: tuple[str, ...] = ()
    audience: tuple[str, ...] = (PUBLIC,)
    url: str = ""  # a link, for resources held as links (and every video)
    file: StoredFile | None = None
    text: str = ""
    links: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return PUBLIC in self.audience

    @property
    def year(self) -> int | None:
        return self.published.year if self.published else None
