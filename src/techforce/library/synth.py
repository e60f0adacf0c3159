"""Demo content for the library: about a hundred resources of a technical-workforce legacy
suite (research reports, practical guides, explainers, self-assessment templates,
frameworks, case studies, videos, datasets, toolkits and presentations) with invented
authors and organisations, dates from 2017 to 2025, licences, pillars and audiences, and
real files (PDF, Word, HTML, text, CSV) whose text extraction and search can read.

Nothing here touches the store: :func:`synth_library` returns :class:`DemoResource` values
(a :class:`~techforce.library.records.Resource` plus its file's bytes); a loader extracts and
stores them. Everything is deterministic from ``seed``, files included (byte for byte).
Each topic of :mod:`~techforce.library.synth_text` has one *anchor* resource with a fixed slug
that alone holds every word of a known query: :data:`KNOWN_QUERIES` maps the query to the
slug that search should rank first.

Rendering PDFs is the slow part (about 0.2 s each), so only reports, frameworks,
presentations and half the explainers are PDFs; pass ``with_files=False`` for metadata alone."""

from __future__ import annotations

import hashlib
import html
import io
import random
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from techforce.library import synth_text as bank
from techforce.library.records import KIND_LABELS, KINDS, MEDIA_TYPES, PUBLIC, Resource, StoredFile

__all__ = ["KNOWN_QUERIES", "DemoResource", "synth_library"]

KNOWN_QUERIES: dict[str, str] = {topic.query: topic.anchor_slug for topic in bank.TOPICS}
"""A query and the slug of the resource search should rank first for it."""

FORMATS = {
    "report": ".pdf",
    "framework": ".pdf",
    "presentation": ".pdf",
    "explainer": ".pdf",  # every other one .html
    "guide": ".docx",
    "template": ".docx",
    "toolkit": ".docx",
    "case-study": ".docx",  # every other one .txt
    "dataset": ".csv",
    "video": "",  # a link, with its transcript as the text
}
LINK_ONLY_SHARE = 0.08  # resources held as a link to elsewhere, not a file
PUBLIC_SHARE = 0.85
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DemoResource:
    """A resource to load, with its file: ``data`` and ``filename`` are None for links and
    videos, and for every resource when generated with ``with_files=False`` (``filename``
    still says what the file would be called). ``resource.text`` is empty except for videos
    (their transcript): for files it comes from extraction."""

    resource: Resource
    data: bytes | None = None
    filename: str | None = None


@dataclass(frozen=True)
class _Plan:
    topic: bank.Topic
    kind: str
    anchor: bool


def synth_library(
    *,
    count: int = 100,
    seed: int = 2025,
    programmes: Sequence[str] = (),
    with_files: bool = True,
) -> list[DemoResource]:
    """``count`` demo resources: first one anchor per topic (see :data:`KNOWN_QUERIES`),
    then resources cycling through every kind; some link to ``programme:<slug>`` for the
    ``programmes`` given."""
    rng = random.Random(seed)  # noqa: S311 - demo content, not for security
    links_rng = random.Random(f"{seed}-links")  # noqa: S311 - demo content
    used: set[str] = set()
    result: list[DemoResource] = []
    seen: Counter[str] = Counter()
    for plan in _plans(count, rng):
        seen[plan.kind] += 1
        resource, suffix = _resource(plan, seen[plan.kind], rng, used)
        if programmes and links_rng.random() < 0.3:
            resource = replace(resource, links=(f"programme:{links_rng.choice(list(programmes))}",))
        result.append(_with_file(resource, plan, suffix, rng, with_files))
    return result


def _plans(count: int, rng: random.Random) -> list[_Plan]:
    plans = [_Plan(topic, topic.anchor_kind, True) for topic in bank.TOPICS[:count]]
    rest = [kind for kind in KINDS if kind == "video"] + [kind for kind in KINDS if kind != "video"]
    for i in range(max(count - len(plans), 0)):
        plans.append(_Plan(rng.choice(bank.TOPICS), rest[i % len(rest)], False))
    return plans


def _resource(plan: _Plan, nth: int, rng: random.Random, used: set[str]) -> tuple[Resource, str]:
    topic, kind = plan.topic, plan.kind
    organisation = rng.choice(bank.ORGANISATIONS)
    title = plan.topic.anchor_title if plan.anchor else _title(topic, kind, organisation, rng, used)
    slug = topic.anchor_slug if plan.anchor else _unique(_slugify(title), used)
    used.update((slug, title))
    authors = tuple(
        f"{rng.choice(bank.FIRST_NAMES)} {rng.choice(bank.LAST_NAMES)}" for _ in range(rng.randint(0, 3))
    )
    published = date(rng.randint(2017, 2025), rng.randint(1, 12), rng.randint(1, 28))
    audience = (PUBLIC,) if plan.anchor or rng.random() < PUBLIC_SHARE else (rng.choice(bank.RESTRICTED),)
    suffix = FORMATS[kind]
    if kind == "explainer" and nth % 2 == 0:
        suffix = ".html"
    if kind == "case-study" and nth % 2 == 0:
        suffix = ".txt"
    if suffix and not plan.anchor and rng.random() < LINK_ONLY_SHARE:
        suffix = ""
    url = ""
    if kind == "video":
        url = f"https://media.example.org/technicians/{slug}"
    elif not suffix:
        url = f"https://resources.example.org/{slug}"
    pillars = tuple(p for p in topic.pillars if plan.anchor or rng.random() < 0.8) or topic.pillars[:1]
    resource = Resource(
        slug=slug,
        title=title,
        kind=kind,
        summary=f"{KIND_LABELS[kind]} on {topic.name}. {rng.choice(topic.sentences)}",
        authors=authors,
        organisation=organisation,
        published=published,
        licence=rng.choice(bank.LICENCES),
        pillars=pillars,
        audience=audience,
        url=url,
        keywords=(*topic.keywords, KIND_LABELS[kind].lower()),
        extra={"topic": topic.key, "format": suffix.lstrip(".") or "link"},
    )
    return resource, suffix


def _title(topic: bank.Topic, kind: str, organisation: str, rng: random.Random, used: set[str]) -> str:
    patterns = list(bank.TITLE_PATTERNS[kind])
    rng.shuffle(patterns)
    name = topic.name
    for pattern in patterns:
        title = pattern.format(name=name, Name=name[:1].upper() + name[1:], org=organisation)
        if title not in used:
            return title
    return f"{title} ({len(used)})"


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80].rstrip("-")


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _sections(plan: _Plan, rng: random.Random) -> list[tuple[str, list[str]]]:
    """Headed sections of sentences: the anchor's own sentences first, then the topic's."""
    sentences = rng.sample(plan.topic.sentences, k=min(4, len(plan.topic.sentences)))
    general = rng.sample(bank.GENERAL, k=3)
    first = [*plan.topic.anchor_sentences, sentences[0]] if plan.anchor else sentences[:2]
    return [
        ("Background", [general[0], *first]),
        ("What we found" if plan.kind in ("report", "dataset") else "What to do", sentences[1:]),
        ("Next steps", general[1:]),
    ]


def _with_file(
    resource: Resource, plan: _Plan, suffix: str, rng: random.Random, with_files: bool
) -> DemoResource:
    sections = _sections(plan, rng)
    if plan.kind == "video":
        return DemoResource(replace(resource, text=_transcript(resource, sections)))
    if not suffix:
        return DemoResource(resource)
    filename = f"{resource.slug}{suffix}"
    if not with_files:
        return DemoResource(resource, None, filename)
    pages = 1 + len(resource.slug) % 3
    render = {".pdf": _pdf, ".docx": _docx, ".html": _html, ".txt": _txt, ".csv": _csv}[suffix]
    data = render(resource, sections, pages)
    stored = StoredFile(hashlib.sha256(data).hexdigest(), filename, MEDIA_TYPES[suffix], len(data))
    return DemoResource(replace(resource, file=stored), data, filename)


def _byline(resource: Resource) -> str:
    people = ", ".join(resource.authors)
    year = resource.year
    return f"{people + '; ' if people else ''}{resource.organisation}, {year}. Licence: {resource.licence}."


def _transcript(resource: Resource, sections: list[tuple[str, list[str]]]) -> str:
    lines = [f"Presenter: Welcome to {resource.title}."]
    speakers = ("Technician", "Presenter")
    for i, sentence in enumerate(s for _, body in sections for s in body):
        lines.append(f"{speakers[i % 2]}: {sentence}")
    return "\n\n".join(lines)


def _page_html(resource: Resource, sections: list[tuple[str, list[str]]], pages: int) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>",
        f"<title>{e(resource.title)}</title><meta name='author' content='{e(', '.join(resource.authors))}'>",
        "<style>@page{size:A4;margin:2cm} body{font-family:sans-serif;font-size:11pt;"
        "font-variant-ligatures:none} .page{break-before:page}</style></head><body>",
        f"<h1>{e(resource.title)}</h1><p><em>{e(_byline(resource))}</em></p><p>{e(resource.summary)}</p>",
    ]
    for page in range(pages):
        if page:
            parts.append("<div class='page'>")
        for heading, body in sections if page == 0 else sections[1:]:
            parts.append(f"<h2>{e(heading)}</h2>")
            parts.extend(f"<p>{e(sentence)}</p>" for sentence in body)
        if page:
            parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def _pdf(resource: Resource, sections: list[tuple[str, list[str]]], pages: int) -> bytes:
    import weasyprint  # type: ignore[import-untyped]

    rendered: bytes = weasyprint.HTML(string=_page_html(resource, sections, pages)).write_pdf()
    return rendered


def _html(resource: Resource, sections: list[tuple[str, list[str]]], pages: int) -> bytes:
    return _page_html(resource, sections, 1).encode("utf-8")


def _txt(resource: Resource, sections: list[tuple[str, list[str]]], pages: int) -> bytes:
    lines = [resource.title, "", _byline(resource), "", resource.summary]
    for heading, body in sections:
        lines += ["", heading, "", " ".join(body)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv(resource: Resource, sections: list[tuple[str, list[str]]], pages: int) -> bytes:
    """Long-format figures: one row per institution, year and measure; the dataset's title
    in its first column, as a combined download would have it."""
    rng = random.Random(resource.slug)  # noqa: S311 - demo content
    rows = ["dataset,institution,year,measure,value"]
    for organisation in bank.ORGANISATIONS[:4]:
        for year in (2021, 2022, 2023):
            for measure in ("headcount", "registered", "apprentices"):
                rows.append(f'"{resource.title}",{organisation},{year},{measure},{rng.randint(5, 400)}')
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def _docx(resource: Resource, sections: list[tuple[str, list[str]]], pages: int) -> bytes:
    import docx

    document = docx.Document()
    properties = document.core_properties
    properties.title = resource.title
    properties.author = ", ".join(resource.authors)
    moment = datetime(resource.published.year, resource.published.month, 1) if resource.published else None
    properties.created = properties.modified = moment or datetime(2020, 1, 1)
    document.add_heading(resource.title, level=0)
    document.add_paragraph().add_run(_byline(resource)).italic = True
    document.add_paragraph(resource.summary)
    for heading, body in sections:
        document.add_heading(heading, level=1)
        for sentence in body:
            document.add_paragraph(sentence)
    if resource.kind == "template":
        table = document.add_table(rows=1, cols=3)
        for cell, label in zip(table.rows[0].cells, ("Statement", "Evidence", "Rating"), strict=True):
            cell.text = label
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The package again with fixed entry times, so the same seed gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            new.writestr(entry, old.read(info))
    return out.getvalue()
