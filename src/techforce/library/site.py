"""The public library as a static website: a folder any plain web server (or a browser
opening it from disk, file://) can host with no Python, so the catalogue outlives the server.

``index.html`` lists every public resource with facets (kind, pillar, year, organisation) and
a search box; ``resources/<slug>.html`` is each resource's page (its Dublin Core in ``<meta>``);
``files/<slug><suffix>`` are copies of the stored files; ``search-index.json`` and the same
data as ``search-index.js`` (a global, because browsers block fetching JSON from file://) feed
``search.js``, a keyword search with facet filters and no outside libraries.

Only public resources are written: the others are left out silently and counted as withheld.
The site is built in a hidden sibling folder and renamed over OUT, so a reader never sees a
half-written site; OUT must be new, empty, or a previous export."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jinja2 import Environment, PackageLoader, select_autoescape

from techforce.errors import Invalid, NotFound, Refused
from techforce.library.dublin_core import dc_fields, resource_address
from techforce.library.records import KIND_LABELS, PILLAR_LABELS, Resource, StoredFile

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
EXCERPT = 2000  # characters of a resource's text the search index carries
ASSETS = ("search.js", "style.css")


@dataclass(frozen=True)
class SiteSummary:
    """What an export wrote: resource pages, files copied, and non-public resources withheld."""

    out: Path
    written: int
    files: int
    withheld: int


def export_site(
    resources: Iterable[Resource],
    out: Path,
    *,
    files: Callable[[StoredFile], Path],
    title: str = "Technician resource library",
    base_url: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> SiteSummary:
    """Write the public resources as a static site in ``out`` (replacing a previous export)."""
    public, withheld = public_only(resources)
    env = Environment(
        loader=PackageLoader("techforce.library", "site_templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    env.filters["kind_label"] = lambda k: KIND_LABELS.get(k, k)
    env.filters["pillar_label"] = lambda p: PILLAR_LABELS.get(p, p)
    copied = 0
    with staged(out, looks_like=("index.html", "search-index.json")) as tmp:
        (tmp / "resources").mkdir()
        (tmp / "files").mkdir()
        entries = []
        for done, r in enumerate(public, 1):
            download = None
            if r.file is not None:
                download = copy_stored(r, files, tmp / "files", inert=True)
                copied += 1
            page = env.get_template("resource.html.j2").render(
                site_title=title, r=r, view=_view(r, download, base_url)
            )
            (tmp / "resources" / f"{r.slug}.html").write_text(page, encoding="utf-8")
            entries.append(_entry(r))
            if progress:
                progress(done, len(public))
        index = env.get_template("index.html.j2").render(
            site_title=title, items=[(r, _view(r, None, base_url)) for r in public], facets=_facets(public)
        )
        (tmp / "index.html").write_text(index, encoding="utf-8")
        data = json.dumps({"title": title, "resources": entries}, ensure_ascii=True, indent=None)
        (tmp / "search-index.json").write_text(data, encoding="utf-8")
        script = "window.LIBRARY_INDEX = " + data.replace("<", "\\u003c") + ";\n"
        (tmp / "search-index.js").write_text(script, encoding="utf-8")
        for name in ASSETS:
            (tmp / name).write_text(env.loader.get_source(env, name)[0], encoding="utf-8")  # type: ignore[union-attr]
    return SiteSummary(out=out, written=len(public), files=copied, withheld=withheld)


def public_only(resources: Iterable[Resource]) -> tuple[list[Resource], int]:
    """The public resources in catalogue order (newest first, then title) and how many were
    withheld; a slug that is not URL-safe or is repeated is refused, naming it."""
    public: list[Resource] = []
    withheld = 0
    seen: set[str] = set()
    for r in resources:
        if not r.public:
            withheld += 1
            continue
        if not SLUG.fullmatch(r.slug) or r.slug in seen:
            why = "is repeated" if r.slug in seen else "is not URL-safe (letters, digits, . _ - only)"
            raise Invalid(
                f"Resource {r.title!r}: slug {r.slug!r} {why}: give it a unique slug, then export again."
            )
        seen.add(r.slug)
        public.append(r)
    public.sort(key=lambda r: (-(r.published.toordinal() if r.published else 0), r.title.casefold(), r.slug))
    return public, withheld


ACTIVE = (".html", ".htm")  # pages a browser would run; a static site serves them as text


def export_name(r: Resource, *, inert: bool = False) -> str:
    """The name a resource's file gets in an export: ``<slug><suffix>`` (suffix of its filename);
    ``inert``: an HTML file gets ``.txt`` after it, so a web server hosting the static site
    never serves it as a page (its scripts would run on the site's address)."""
    assert r.file is not None
    suffix = Path(r.file.filename).suffix.lower()
    name = r.slug + (suffix if SUFFIX.fullmatch(suffix) else "")
    return name + ".txt" if inert and suffix in ACTIVE else name


def copy_stored(
    r: Resource, files: Callable[[StoredFile], Path], folder: Path, *, inert: bool = False
) -> str:
    """Copy the resource's stored file into ``folder`` as :func:`export_name`, checking its
    bytes against the recorded sha256 so a damaged store is never exported; the new name."""
    assert r.file is not None
    source = files(r.file)
    name = export_name(r, inert=inert)
    if not source.is_file():
        raise NotFound(
            f"Resource {r.slug!r}: its file {r.file.filename!r} is missing from the store ({source})."
        )
    digest = hashlib.sha256()
    with source.open("rb") as src, (folder / name).open("wb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
    if digest.hexdigest() != r.file.sha256:
        raise Refused(
            f"Resource {r.slug!r}: the stored file {source} does not match its recorded sha256 "
            "(damaged store): restore it from a backup or add the file again, then export again."
        )
    return name


@contextmanager
def staged(out: Path, *, looks_like: Sequence[str], private: bool = False) -> Iterator[Path]:
    """A temporary sibling of ``out`` to build in, renamed over ``out`` when the block ends
    without error (and removed when it fails). ``out`` must be missing, empty, or hold every
    name in ``looks_like`` (a previous export); anything else is refused untouched. A
    ``private`` export (it may hold resources that are not public) is readable by its owner
    only: folders 0700, files 0600."""
    out = out.absolute()
    if out.exists() and not out.is_dir():
        raise Refused(f"{out} is a file, not a folder: choose a new or empty folder for the export.")
    if out.is_dir() and any(out.iterdir()) and not all((out / n).exists() for n in looks_like):
        raise Refused(
            f"{out} is not empty and is not a previous library export: choose a new or empty folder, "
            "or remove its contents first."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    tmp.chmod(0o700 if private else 0o755)  # a web server must be able to read a published one
    try:
        yield tmp
        if private:
            for path in tmp.rglob("*"):
                path.chmod(0o700 if path.is_dir() else 0o600)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            old.rmdir()
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _view(r: Resource, download: str | None, base_url: str) -> dict[str, Any]:
    """What the templates show of a resource, with only http(s) addresses made into links."""
    return {
        "page": f"resources/{r.slug}.html",
        "download": f"../files/{download}" if download else None,
        "size": _size(r.file.size) if r.file else "",
        "url": r.url if _web_address(r.url) else "",
        "address": resource_address(r, base_url) if _web_address(base_url) else "",
        "date": r.published.isoformat() if r.published else "",
        "dc": dc_fields(r, base_url=base_url if _web_address(base_url) else ""),
    }


def _web_address(url: str) -> bool:
    return urlparse(url).scheme in {"http", "https"} and bool(urlparse(url).netloc)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / 1024:.1f} KB" if n < 1024**2 else f"{n / 1024**2:.1f} MB"


def _entry(r: Resource) -> dict[str, Any]:
    """A resource in the search index: what search reads and what the facets filter on."""
    return {
        "slug": r.slug,
        "title": r.title,
        "summary": r.summary,
        "keywords": list(r.keywords),
        "text": r.text[:EXCERPT],
        "kind": r.kind,
        "pillars": list(r.pillars),
        "year": str(r.year) if r.year else "",
        "organisation": r.organisation,
        "page": f"resources/{r.slug}.html",
    }


def _facets(public: Sequence[Resource]) -> list[dict[str, Any]]:
    """The facets of the catalogue page: each value with its label and count, in a useful order."""
    kinds = Counter(r.kind for r in public)
    pillars = Counter(p for r in public for p in r.pillars)
    years = Counter(str(r.year) for r in public if r.year)
    orgs = Counter(r.organisation for r in public if r.organisation)
    return [
        {
            "name": "kind",
            "label": "Kind",
            "values": [(k, KIND_LABELS.get(k, k), n) for k, n in sorted(kinds.items())],
        },
        {
            "name": "pillar",
            "label": "Pillar",
            "values": [(p, PILLAR_LABELS.get(p, p), n) for p, n in sorted(pillars.items())],
        },
        {
            "name": "year",
            "label": "Year",
            "values": [(y, y, n) for y, n in sorted(years.items(), reverse=True)],
        },
        {
            "name": "organisation",
            "label": "Organisation",
            "values": [(o, o, n) for o, n in sorted(orgs.items(), key=lambda i: i[0].casefold())],
        },
    ]
