"""A resource as unqualified Dublin Core, the one description every harvester and archive
reads: the OAI-PMH ``oai_dc`` record, the BagIt package's metadata and the static site all
use this single mapping so a resource is described the same way wherever it travels."""

from __future__ import annotations

from lxml import etree

from techforce.library.records import KIND_LABELS, Resource

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
NSMAP = {"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}

# DCMI Type Vocabulary for our kinds; anything not listed is a Text.
DCMI_TYPES = {"video": "MovingImage", "dataset": "Dataset", "presentation": "Text", "toolkit": "Text"}


def dcmi_type(kind: str) -> str:
    """The DCMI type term for a kind: MovingImage for videos, Dataset for datasets, else Text."""
    return DCMI_TYPES.get(kind, "Text")


def resource_address(r: Resource, base_url: str) -> str:
    """Where the resource lives on the server (``<base_url>/library/<slug>``); empty without a base."""
    return f"{base_url.rstrip('/')}/library/{r.slug}" if base_url else ""


def dc_fields(r: Resource, *, base_url: str) -> list[tuple[str, str]]:
    """The (element, value) pairs of the record, in the conventional DC order, empty values left out."""
    pairs: list[tuple[str, str]] = [("title", r.title)]
    pairs += [("creator", a) for a in r.authors]
    pairs += [("subject", p) for p in r.pillars]
    pairs += [("subject", k) for k in r.keywords]
    pairs.append(("description", r.summary))
    pairs.append(("publisher", r.organisation))
    pairs.append(("date", r.published.isoformat() if r.published else ""))
    pairs.append(("type", dcmi_type(r.kind)))
    pairs.append(("type", KIND_LABELS.get(r.kind, r.kind)))
    pairs.append(("format", r.file.media_type if r.file else ""))
    pairs.append(("identifier", resource_address(r, base_url)))
    pairs.append(("identifier", r.url))
    pairs += [("relation", link) for link in r.links]
    pairs.append(("rights", r.licence))
    return [(name, value) for name, value in pairs if value]


def dc_record(r: Resource, *, base_url: str) -> etree._Element:
    """An ``oai_dc:dc`` element describing ``r`` (the OAI-PMH oai_dc schema's conventions)."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap=NSMAP)
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    for name, value in dc_fields(r, base_url=base_url):
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = _xml_safe(value)
    return root


def _xml_safe(text: str) -> str:
    """Text with the characters XML 1.0 cannot hold (control characters) removed."""
    return "".join(
        c
        for c in text
        if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c > "\uffff"
    )
