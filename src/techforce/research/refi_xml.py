"""XML and error helpers shared by the REFI-QDA modules (:mod:`techforce.research.refi`,
:mod:`techforce.research.qdpx`): hardened parsing of untrusted XML (no DTD, no entities, no
network, DOCTYPE refused), GUIDs and colours in canonical form, the standard's XSDs, and the
problem list raised as one Invalid so that nothing partial is ever returned."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from lxml import etree

from techforce.errors import Invalid, Refused

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMAS = Path(__file__).with_name("refi_qda")


# ---------------------------------------------------------------- problems


@dataclass
class Problems:
    """Problems found in one file; raised together as one Invalid, so nothing partial is
    ever returned. Each names the file, the archive entry, where, the field and the fix."""

    file: str
    entry: str = ""
    outcome: str = "nothing was imported"
    found: list[dict[str, object]] = field(default_factory=list)

    def add(self, where: str, field_name: str, message: str, fix: str, *, row: int | None = None) -> None:
        self.found.append(
            {
                "file": self.file,
                "entry": self.entry,
                "row": row,
                "where": where,
                "field": field_name,
                "message": message,
                "fix": fix,
            }
        )

    def raise_if_any(self) -> None:
        if not self.found:
            return
        first = self.found[0]
        place = ", ".join(
            str(p)
            for p in (
                first["file"],
                first["entry"] and f"entry {first['entry']}",
                first["row"] and f"row {first['row']}",
                first["where"],
                first["field"] and f"field {first['field']}",
            )
            if p
        )
        more = f" (and {len(self.found) - 1} more problems)" if len(self.found) > 1 else ""
        raise Invalid(
            f"{place}: {first['message']}. Fix: {first['fix']}{more}; {self.outcome}.",
            list(self.found),
        )


# ---------------------------------------------------------------- XML helpers

_HEX_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GUID = re.compile(rf"({_HEX_GUID})|\{{({_HEX_GUID})\}}")
_COLOR = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HOSTILE = tuple(
    mark.encode(encoding)
    for mark in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)


def new_guid() -> str:
    """A fresh random GUID in the canonical form."""
    return str(uuid.uuid4())


def canonical_guid(value: str | None) -> str | None:
    """``value`` as a lower-case GUID without braces, or None when it is not a GUID."""
    found = _GUID.fullmatch((value or "").strip())
    return (found.group(1) or found.group(2)).lower() if found else None


def canonical_color(value: str | None) -> str | None:
    """``#abc`` or ``#AABBCC`` as ``#aabbcc``; None when not a colour."""
    found = _COLOR.fullmatch((value or "").strip())
    if not found:
        return None
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.lower()


def xml_text(value: str) -> str:
    """Text safe to put in XML 1.0: characters XML cannot carry become U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network; a DOCTYPE is refused."""
    if any(mark in data for mark in _HOSTILE):
        raise Refused(
            f"{where}: declares a DOCTYPE or ENTITY, which is refused (entity tricks such as "
            "billion laughs or XXE hide there; REFI-QDA files never need one). Fix: export the "
            "file again from the QDA tool, or remove the DOCTYPE."
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Invalid(
            f"{where}: is not well-formed XML ({exc}). Fix: export the file again from the QDA tool."
        ) from None
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise Refused(f"{where}: declares a DOCTYPE, which is refused. Fix: remove the DOCTYPE.")
    return root


def check_root(root: etree._Element, namespace: str, name: str, where: str) -> None:
    """Refuse a file whose root is not the REFI-QDA element expected."""
    if root.tag != f"{{{namespace}}}{name}":
        raise Invalid(
            f"{where}: the root element is <{root.tag}>, not a REFI-QDA <{name}> in namespace "
            f"{namespace}. Fix: export a REFI-QDA {'codebook (.qdc)' if name == 'CodeBook' else 'project (.qdpx)'} "
            "from the QDA tool."
        )


@functools.cache
def _schema(schema_name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"{schema_name}.xsd")))


def validate(root: etree._Element, schema_name: str) -> list[str]:
    """XSD errors for ``root`` against the standard's schema (``Project`` or ``Codebook``)."""
    schema = _schema(schema_name)
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in cast(Iterable[Any], schema.error_log)]


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def read_datetime(value: str | None) -> datetime | None:
    """An xsd:dateTime, or None when missing or unreadable (a date is not worth refusing)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def sub(
    parent: etree._Element, ns: str, name: str, attrs: Mapping[str, str | None] | None = None
) -> etree._Element:
    """A child element with the attributes that are not None."""
    kept = {k: xml_text(v) for k, v in (attrs or {}).items() if v is not None}
    return etree.SubElement(parent, f"{{{ns}}}{name}", kept)


def text_child(parent: etree._Element, ns: str, name: str, text: str) -> None:
    if text:
        sub(parent, ns, name).text = xml_text(text)


def children(element: etree._Element, ns: str, name: str) -> list[etree._Element]:
    return list(element.iterchildren(f"{{{ns}}}{name}"))


def child_text(element: etree._Element, ns: str, name: str) -> str:
    found = element.find(f"{{{ns}}}{name}")
    return (found.text or "") if found is not None else ""
