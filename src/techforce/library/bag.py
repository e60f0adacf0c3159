"""The library as a BagIt package (RFC 8493) for deposit with an archive or an institutional
repository: the files and their descriptions, with sha256 and sha512 manifests so the
receiver can prove nothing was lost or altered on the way.

Layout of ``data/``: ``metadata/dublin-core/<slug>.xml`` (one oai_dc record per resource, each
a standalone document valid against the oai_dc schema, so a repository can ingest them one
by one), ``metadata/resources.json`` (every field of every resource, for a faithful re-import)
and ``files/<slug><suffix>`` (the stored files). Public resources only, unless the depositing
institution asks for its own private ones too (``include_private``). The bag is built in a
hidden sibling folder and renamed over OUT, which must be new, empty or a previous bag."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import bagit
from lxml import etree

from techforce.library.dublin_core import dc_record, resource_address
from techforce.library.records import KIND_LABELS, PUBLIC, Resource, StoredFile
from techforce.library.site import copy_stored, export_name, public_only, staged

CHECKSUMS = ["sha256", "sha512"]


def export_bag(
    resources: Iterable[Resource],
    out: Path,
    *,
    files: Callable[[StoredFile], Path],
    base_url: str = "",
    organisation: str = "",
    include_private: bool = False,
) -> Path:
    """Write a valid BagIt bag of the resources to ``out`` and return it. Only public
    resources unless ``include_private`` (an institution depositing its own collection)."""
    everything = list(resources)
    chosen, withheld = public_only(everything)
    if include_private:  # the same order and slug checks, over every resource
        by_slug = {r.slug: r for r in everything}
        chosen = [
            by_slug[r.slug] for r in public_only([replace(r, audience=(PUBLIC,)) for r in everything])[0]
        ]
        withheld = 0
    with staged(out, looks_like=("bagit.txt", "data/metadata/resources.json")) as tmp:
        meta = tmp / "metadata"
        (meta / "dublin-core").mkdir(parents=True)
        (tmp / "files").mkdir()
        described = []
        for r in chosen:
            name = copy_stored(r, files, tmp / "files") if r.file else None
            record = dc_record(r, base_url=base_url)
            (meta / "dublin-core" / f"{r.slug}.xml").write_bytes(
                etree.tostring(record, xml_declaration=True, encoding="UTF-8", pretty_print=True)
            )
            described.append(_described(r, name, base_url))
        (meta / "resources.json").write_text(
            json.dumps({"resources": described}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        bagit.make_bag(str(tmp), bag_info=_bag_info(organisation, len(chosen), withheld), checksums=CHECKSUMS)
    return out


def _bag_info(organisation: str, count: int, withheld: int) -> dict[str, str]:
    """bag-info.txt: who made the bag and what it holds (Bagging-Date and Payload-Oxum are added by bagit)."""
    what = f"{count} resource{'s' if count != 1 else ''} of the technician resource library"
    if withheld:
        what += f"; {withheld} non-public resource{'s' if withheld != 1 else ''} withheld"
    info = {
        "External-Description": f"{what}: the files, one oai_dc record each (data/metadata/dublin-core) "
        "and every field as JSON (data/metadata/resources.json).",
        "Bag-Count": "1 of 1",
        "Bag-Software-Agent": "techforce library export",
        "Internal-Sender-Description": "Exported by techforce; checksums sha256 and sha512.",
    }
    if organisation:
        info["Source-Organization"] = organisation
    return info


def _described(r: Resource, name: str | None, base_url: str) -> dict[str, Any]:
    """Every field of a resource, as resources.json holds it; ``file.path`` is inside data/."""
    return {
        "slug": r.slug,
        "title": r.title,
        "kind": r.kind,
        "kind_label": KIND_LABELS.get(r.kind, r.kind),
        "summary": r.summary,
        "authors": list(r.authors),
        "organisation": r.organisation,
        "published": r.published.isoformat() if r.published else None,
        "licence": r.licence,
        "pillars": list(r.pillars),
        "audience": list(r.audience),
        "url": r.url,
        "address": resource_address(r, base_url),
        "file": None
        if r.file is None
        else {
            "path": f"files/{name or export_name(r)}",
            "filename": r.file.filename,
            "media_type": r.file.media_type,
            "size": r.file.size,
            "sha256": r.file.sha256,
        },
        "links": list(r.links),
        "keywords": list(r.keywords),
        "extra": dict(r.extra),
        "text": r.text,
    }
