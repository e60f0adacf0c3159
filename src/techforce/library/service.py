"""Changes to the library: add, edit and remove resources, each audited in the same
transaction. A file is checked and its text extracted (extract.py) before anything is
stored; it is then kept content-addressed under ``DATA_DIR/library/files/`` (written to a
temporary name, fsynced and renamed, so a crash never leaves half a file under a real name;
a file no resource holds any more (removed, replaced, or whose row never committed) is
deleted by :func:`collect_garbage`, ``techforce library gc``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as Db

from techforce import audit, blobs, errors
from techforce.accounts.access import Role
from techforce.library import events, extract, records, words
from techforce.library.models import Audience, Embedding, Link, Resource, SearchText

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LINK = re.compile(r"^(recommendation|action):[1-9][0-9]{0,9}$|^programme:[a-z0-9]+(?:-[a-z0-9]+)*$")
PROVIDER = re.compile(r"^provider:[0-9]{8}$")
ROLES = {f"role:{r.value}" for r in Role}
MAX_TEXT = 2_000_000  # characters of a transcript typed or pasted in


class ResourceIn(BaseModel):
    """What a curator gives for a resource (the web form, the JSON API, a CSV row)."""

    title: str = Field(min_length=1, max_length=500)
    kind: str
    slug: str = Field(default="", max_length=120)
    summary: str = Field(default="", max_length=20_000)
    authors: list[str] = Field(default_factory=list, max_length=50)
    organisation: str = Field(default="", max_length=300)
    published: date | None = None
    licence: str = Field(default="", max_length=200)
    pillars: list[str] = Field(default_factory=list)
    audience: list[str] = Field(default_factory=lambda: [records.PUBLIC], min_length=1, max_length=50)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    url: str = Field(default="", max_length=2000)
    links: list[str] = Field(default_factory=list, max_length=200)
    transcript: str = Field(default="", max_length=MAX_TEXT)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in records.KINDS:
            raise ValueError(f"choose one of {', '.join(records.KINDS)}")
        return value

    @field_validator("pillars")
    @classmethod
    def _pillars(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in records.PILLARS]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: choose from {', '.join(records.PILLARS)}")
        return list(dict.fromkeys(value))

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: list[str]) -> list[str]:
        fixed = {records.PUBLIC, records.SIGNED_IN} | ROLES
        bad = [a for a in value if a not in fixed and not PROVIDER.match(a)]
        if bad:
            raise ValueError(
                f"{', '.join(bad)}: use public, signed-in, role:<role> or provider:<8-digit UKPRN>"
            )
        return list(dict.fromkeys(value))

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s<>\"]+$", value):
            raise ValueError("give a web address starting with https:// (or http://)")
        return value

    @field_validator("links")
    @classmethod
    def _links(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not LINK.match(v)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: use recommendation:<id>, action:<id> or programme:<slug>")
        return list(dict.fromkeys(value))

    @field_validator("authors", "keywords")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(v.split())[:300] for v in value]
        return [v for v in dict.fromkeys(cleaned) if v]


def checked(what: str, **values: Any) -> ResourceIn:
    """``values`` as a ResourceIn, or Invalid naming each field and its fix."""
    try:
        return ResourceIn(**values)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"].removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        listed = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise errors.Invalid(f"{what}: {listed}", problems=problems) from None


def slugify(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))[:80].strip("-") or "resource"


RESERVED = frozenset({"new", "catalogue", "import", "export", "oai"})  # the library's own pages


def _free_slug(s: Db, wanted: str, given: bool, own_id: int | None) -> str:
    if given and (not SLUG.match(wanted) or wanted in RESERVED):
        raise errors.Invalid(
            f"slug {wanted!r}: use lower-case letters, digits and single hyphens "
            f"(not {', '.join(sorted(RESERVED))})"
        )
    slug, n = wanted, 1
    while True:
        taken = s.scalar(select(Resource.id).where(Resource.slug == slug)) if slug not in RESERVED else -1
        if taken is None or taken == own_id:
            return slug
        if given:
            raise errors.Refused(f"slug {wanted!r} is taken by another resource: choose another", status=409)
        n += 1
        slug = f"{wanted[:75]}-{n}"


# ---------------------------------------------------------------- files


def files_dir(data_dir: Path) -> Path:
    return data_dir / "library" / "files"


def file_path(data_dir: Path, sha256: str) -> Path:
    """Where the file with this digest is kept."""
    return blobs.path(files_dir(data_dir), sha256)


def store_file(data_dir: Path, data: bytes) -> str:
    """Keep ``data`` under its sha256 (once, whoever adds it again); its digest."""
    return blobs.store(files_dir(data_dir), data)


# ---------------------------------------------------------------- changes


def resource(s: Db, slug: str) -> Resource:
    found = s.scalar(select(Resource).where(Resource.slug == slug))
    if found is None:
        raise errors.NotFound(f"there is no resource {slug!r}")
    return found


def _index(s: Db, row: Resource, text: str) -> None:
    """Write the resource's search text (the FTS5 triggers or the GIN index follow it)."""
    meta = " ".join(
        [row.summary, *row.keywords, *row.authors, row.organisation, records.KIND_LABELS[row.kind]]
    )
    found = s.get(SearchText, row.id) or SearchText(resource_id=row.id)
    found.text = text
    found.title_terms = words.terms(row.title)
    found.meta_terms = words.terms(meta)
    found.text_terms = words.terms(text)
    s.add(found)


def save_resource(
    s: Db,
    data: ResourceIn,
    *,
    actor: str,
    data_dir: Path,
    file: tuple[bytes, str] | None = None,
    slug: str | None = None,
) -> Resource:
    """Add a resource (``slug`` None) or change the one at ``slug``. A new ``file``
    (bytes, name) replaces its file; its text is extracted first and a bad file changes
    nothing. A video is a link (``url``) with an optional ``transcript``."""
    row = resource(s, slug) if slug is not None else None
    found = extract.extract(file[0], file[1]) if file is not None else None
    if data.kind == "video" and not data.url:
        raise errors.Invalid("url: a video is held as a link; give its web address")
    if row is None and found is None and not data.url:
        raise errors.Invalid("file: add a file, or give the resource's web address (url)")
    if row is not None and not data.slug:
        new_slug = row.slug  # an edit keeps the resource's address unless given a new one
    else:
        new_slug = _free_slug(s, data.slug or slugify(data.title), bool(data.slug), row.id if row else None)
    if row is None:
        row = Resource(created_by=actor)
        s.add(row)
    row.slug = new_slug
    row.title, row.kind, row.summary = " ".join(data.title.split()), data.kind, data.summary.strip()
    row.authors, row.organisation, row.published = data.authors, data.organisation.strip(), data.published
    row.licence, row.pillars, row.keywords, row.url = (
        data.licence.strip(),
        data.pillars,
        data.keywords,
        data.url,
    )
    row.updated_at = audit.utcnow()
    if found is not None and file is not None:
        row.file_sha256 = store_file(data_dir, file[0])
        row.file_name = PurePath(file[1].replace("\\", "/")).name[:255]
        row.file_type, row.file_size = found.media_type, len(file[0])
    s.flush()
    old = s.get(SearchText, row.id)
    _index(s, row, found.text if found is not None else data.transcript or (old.text if old else ""))
    s.execute(delete(Embedding).where(Embedding.resource_id == row.id))  # made again (semantic.py)
    s.execute(delete(Audience).where(Audience.resource_id == row.id))
    s.add_all(Audience(resource_id=row.id, who=w) for w in data.audience)
    s.execute(delete(Link).where(Link.resource_id == row.id))
    s.add_all(Link(resource_id=row.id, target=t) for t in data.links)
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.RESOURCE_SAVE,
        target=row.slug,
        payload={"new": slug is None, "file": row.file_sha256, "audience": data.audience},
    )
    return row


def collect_garbage(s: Db, data_dir: Path, *, actor: str) -> int:
    """Delete stored files no resource holds any more (removed or replaced ones, or left by
    an add that never committed); how many. Audited."""
    held = set(s.scalars(select(Resource.file_sha256).where(Resource.file_sha256.is_not(None))))
    removed = 0
    folder = files_dir(data_dir)
    for path in sorted(folder.glob("??/*")) if folder.is_dir() else []:
        if path.is_file() and (path.name.startswith(".part-") or path.name not in held):
            path.unlink()
            removed += 1
    if removed:
        audit.record(
            s, actor=actor, action=events.RESOURCE_REMOVE, target="files", payload={"collected": removed}
        )
    return removed


def remove_resource(s: Db, slug: str, *, actor: str) -> None:
    """Remove a resource (its file stays while another resource holds the same bytes)."""
    row = resource(s, slug)
    s.delete(row)
    audit.record(
        s, actor=actor, action=events.RESOURCE_REMOVE, target=slug, payload={"file": row.file_sha256}
    )


def audience(s: Db, resource_id: int) -> list[str]:
    return list(
        s.scalars(select(Audience.who).where(Audience.resource_id == resource_id).order_by(Audience.who))
    )


def links(s: Db, resource_id: int) -> list[str]:
    return list(s.scalars(select(Link.target).where(Link.resource_id == resource_id).order_by(Link.target)))


def records_of(s: Db, rows: list[Resource]) -> list[records.Resource]:
    """Many rows as records (without text) in three queries, not three per row (OAI-PMH)."""
    ids = [r.id for r in rows]
    who: dict[int, list[str]] = {}
    for rid, name in s.execute(
        select(Audience.resource_id, Audience.who).where(Audience.resource_id.in_(ids))
    ):
        who.setdefault(rid, []).append(name)
    targets: dict[int, list[str]] = {}
    for rid, target in s.execute(select(Link.resource_id, Link.target).where(Link.resource_id.in_(ids))):
        targets.setdefault(rid, []).append(target)
    return [_record(r, sorted(who.get(r.id, [])), sorted(targets.get(r.id, [])), "") for r in rows]


def record(s: Db, row: Resource, *, with_text: bool = False) -> records.Resource:
    """The row as the pure modules' record (exports, OAI-PMH)."""
    text = ""
    if with_text:
        found = s.get(SearchText, row.id)
        text = found.text if found else ""
    return _record(row, audience(s, row.id), links(s, row.id), text)


def _record(row: Resource, who: list[str], targets: list[str], text: str) -> records.Resource:
    stored = (
        records.StoredFile(row.file_sha256, row.file_name or "file", row.file_type or "", row.file_size or 0)
        if row.file_sha256
        else None
    )
    return records.Resource(
        slug=row.slug,
        title=row.title,
        kind=row.kind,
        summary=row.summary,
        authors=tuple(row.authors),
        organisation=row.organisation,
        published=row.published,
        licence=row.licence,
        pillars=tuple(row.pillars),
        audience=tuple(who),
        url=row.url,
        file=stored,
        text=text,
        links=tuple(targets),
        keywords=tuple(row.keywords),
        extra={"updated": row.updated_at.date().isoformat()},
    )
