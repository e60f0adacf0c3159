"""The library as an OAI-PMH 2.0 data provider, so institutional repositories, Jisc's and
CORE's harvesters can copy the public catalogue (oai_dc records) without any agreement with
us. A pure function from the request's arguments to the response's XML: the web layer passes
the query (each argument's values) and the public resources, and serves the bytes as
``text/xml`` with status 200 whatever the outcome (OAI-PMH reports errors inside the XML).

Choices: datestamps are days (granularity ``YYYY-MM-DD``: a request with times is a
badArgument); a record's datestamp is its ``extra["updated"]`` date when present, else its
publication date, else the repository's earliest date; identifiers are ``oai:<host>:<slug>``;
sets are ``kind`` / ``kind:<kind>`` and ``pillar`` / ``pillar:<pillar>``, listed only when a
public resource is in them; no deletions are tracked (``deletedRecord`` is ``no``). A
resumption token carries the verb, the filter and the offset, with a check digest: a token
altered in any way, or pointing past the end, is a badResumptionToken."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlparse

from lxml import etree

from techforce.library.dublin_core import OAI_DC_NS, OAI_DC_SCHEMA, dc_record
from techforce.library.records import KIND_LABELS, PILLAR_LABELS, Resource

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
PREFIX = "oai_dc"
# verb -> (required arguments, optional arguments); resumptionToken is handled apart
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
}
# lxml writes the None key as the default namespace (the stubs expect str keys only)
_DEFAULT_NS: dict[Any, str] = {None: OAI_NS}
_ROOT_NS: dict[Any, str] = {None: OAI_NS, "xsi": XSI_NS}
RESUMABLE = {"ListSets", "ListIdentifiers", "ListRecords"}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class OaiError(Exception):
    """An OAI-PMH error condition: ``code`` is the spec's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Query:
    """What a list request selects, and where in the list this page starts."""

    verb: str
    prefix: str
    start: date | None
    until: date | None
    set_spec: str | None
    offset: int = 0


@dataclass(frozen=True)
class _Repo:
    resources: tuple[Resource, ...]  # public only, in datestamp then slug order
    base_url: str
    endpoint: str
    host: str
    repository_name: str
    admin_email: str
    earliest: date
    page_size: int


def respond(
    params: Mapping[str, str | Sequence[str]],
    *,
    resources: Sequence[Resource],
    base_url: str,
    repository_name: str,
    admin_email: str,
    earliest: date,
    now: datetime,
    page_size: int = 100,
    oai_path: str = "/library/oai",
) -> bytes:
    """The OAI-PMH response (UTF-8 XML) to a request with ``params`` (an argument's value, or
    all its values when repeated). Only public resources are ever served, whatever is passed.
    ``base_url`` is the server's address; the endpoint is ``base_url + oai_path``."""
    public = [r for r in resources if r.public]
    repo = _Repo(
        resources=tuple(sorted(public, key=lambda r: (datestamp(r, earliest), r.slug))),
        base_url=base_url,
        endpoint=base_url.rstrip("/") + oai_path,
        host=urlparse(base_url).hostname or "localhost",
        repository_name=repository_name,
        admin_email=admin_email,
        earliest=earliest,
        page_size=max(1, page_size),
    )
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap=_ROOT_NS)
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    stamp = now.astimezone(UTC) if now.tzinfo else now
    etree.SubElement(root, f"{{{OAI_NS}}}responseDate").text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    request = etree.SubElement(root, f"{{{OAI_NS}}}request")
    request.text = repo.endpoint
    try:
        verb, args = _checked(params)
    except OaiError as e:  # badVerb / badArgument: the request element carries no attributes
        _error(root, e)
        return _bytes(root)
    for name, value in [("verb", verb), *sorted(args.items())]:
        request.set(name, value)
    try:
        root.append(_HANDLERS[verb](repo, args))
    except OaiError as e:
        if e.code == "badArgument":  # a bad date or range: the request is not echoed either
            request.attrib.clear()
        _error(root, e)
    return _bytes(root)


def datestamp(r: Resource, earliest: date) -> date:
    """A record's datestamp: its ``extra["updated"]`` date, else its publication date, else ``earliest``."""
    updated = r.extra.get("updated", "")
    if DAY.match(updated):
        try:
            return date.fromisoformat(updated[:10])
        except ValueError:
            pass
    return r.published or earliest


def oai_identifier(r: Resource, base_url: str) -> str:
    """The record's OAI identifier, ``oai:<host>:<slug>``."""
    return f"oai:{urlparse(base_url).hostname or 'localhost'}:{r.slug}"


_XML_UNSAFE = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(value: str) -> bool:
    return len(value) <= 2000 and not _XML_UNSAFE.search(value)


def _checked(params: Mapping[str, str | Sequence[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, or the badVerb / badArgument the request deserves."""
    values = {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}
    verbs = values.pop("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        why = "missing" if not verbs else "repeated" if len(verbs) > 1 else f"not a verb: {verbs[0]!r}"
        raise OaiError("badVerb", f"The verb argument is {why}; use one of {', '.join(VERBS)}.")
    verb = verbs[0]
    repeated = sorted(k for k, v in values.items() if len(v) > 1)
    if repeated:
        raise OaiError("badArgument", f"Repeated argument(s): {', '.join(repeated)}; give each once.")
    args = {k: v[0] for k, v in values.items() if v}
    required, optional = VERBS[verb]
    if "resumptionToken" in args and verb in RESUMABLE:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is exclusive: send it as the only argument.")
        return verb, args
    unknown = sorted(set(args) - required - optional)
    if unknown:
        raise OaiError("badArgument", f"{verb} does not take: {', '.join(unknown)}.")
    missing = sorted(required - set(args))
    if missing:
        raise OaiError("badArgument", f"{verb} needs: {', '.join(missing)}.")
    empty = sorted(k for k, v in args.items() if not v)
    if empty:
        raise OaiError("badArgument", f"Empty value for: {', '.join(empty)}.")
    unprintable = sorted(k for k, v in args.items() if not _xml_safe(v))
    if unprintable:
        raise OaiError("badArgument", f"Characters XML cannot hold in: {', '.join(unprintable)}.")
    return verb, args


def _identify(repo: _Repo, args: Mapping[str, str]) -> etree._Element:
    node = _el("Identify")
    for name, value in [
        ("repositoryName", repo.repository_name),
        ("baseURL", repo.endpoint),
        ("protocolVersion", "2.0"),
        ("adminEmail", repo.admin_email),
        ("earliestDatestamp", repo.earliest.isoformat()),
        ("deletedRecord", "no"),
        ("granularity", "YYYY-MM-DD"),
    ]:
        _sub(node, name, value)
    return node


def _list_metadata_formats(repo: _Repo, args: Mapping[str, str]) -> etree._Element:
    if "identifier" in args:
        _find(repo, args["identifier"])
    node = _el("ListMetadataFormats")
    fmt = _sub(node, "metadataFormat")
    _sub(fmt, "metadataPrefix", PREFIX)
    _sub(fmt, "schema", OAI_DC_SCHEMA)
    _sub(fmt, "metadataNamespace", OAI_DC_NS)
    return node


def _list_sets(repo: _Repo, args: Mapping[str, str]) -> etree._Element:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets is never split into pages: send it without a token.")
    sets = _sets(repo)
    if not sets:
        raise OaiError("noSetHierarchy", "This repository has no sets yet (it holds no public resources).")
    node = _el("ListSets")
    for spec, name in sets.items():
        item = _sub(node, "set")
        _sub(item, "setSpec", spec)
        _sub(item, "setName", name)
    return node


def _list_identifiers(repo: _Repo, args: Mapping[str, str]) -> etree._Element:
    return _list(repo, args, "ListIdentifiers")


def _list_records(repo: _Repo, args: Mapping[str, str]) -> etree._Element:
    return _list(repo, args, "ListRecords")


def _get_record(repo: _Repo, args: Mapping[str, str]) -> etree._Element:
    r = _find(repo, args["identifier"])
    _check_prefix(args["metadataPrefix"])
    node = _el("GetRecord")
    node.append(_record(repo, r))
    return node


_HANDLERS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
    "GetRecord": _get_record,
}


def _list(repo: _Repo, args: Mapping[str, str], verb: str) -> etree._Element:
    """A page of headers or records; a resumption token when more follow (empty on the last page)."""
    if "resumptionToken" in args:
        query = _decode(repo, args["resumptionToken"], verb)
    else:
        _check_prefix(args["metadataPrefix"])
        start, until = _day(args, "from"), _day(args, "until")
        if "from" in args and "until" in args and len(args["from"]) != len(args["until"]):
            raise OaiError("badArgument", "from and until must have the same granularity (YYYY-MM-DD).")
        if start and until and start > until:
            raise OaiError("badArgument", "from is later than until: swap them.")
        query = _Query(verb, PREFIX, start, until, args.get("set"))
        if query.set_spec is not None and not _sets(repo):
            raise OaiError("noSetHierarchy", "This repository has no sets yet: leave out the set argument.")
    selected = [r for r in repo.resources if _selected(repo, r, query)]
    if not selected:
        raise OaiError("noRecordsMatch", "No public resource matches these from, until and set arguments.")
    if query.offset >= len(selected):
        raise OaiError("badResumptionToken", "The resumption token points past the end of the list.")
    page = selected[query.offset : query.offset + repo.page_size]
    node = _el(verb)
    for r in page:
        node.append(_header(repo, r) if verb == "ListIdentifiers" else _record(repo, r))
    if query.offset or len(selected) > len(page):
        nxt = query.offset + len(page)
        token = _sub(
            node, "resumptionToken", _encode(repo, _replace(query, nxt)) if nxt < len(selected) else None
        )
        token.set("completeListSize", str(len(selected)))
        token.set("cursor", str(query.offset))
    return node


def _replace(q: _Query, offset: int) -> _Query:
    return _Query(q.verb, q.prefix, q.start, q.until, q.set_spec, offset)


def _selected(repo: _Repo, r: Resource, q: _Query) -> bool:
    stamp = datestamp(r, repo.earliest)
    if (q.start and stamp < q.start) or (q.until and stamp > q.until):
        return False
    return q.set_spec is None or q.set_spec in _set_specs(r)


def _set_specs(r: Resource) -> list[str]:
    specs = ["kind", f"kind:{r.kind}"]
    if r.pillars:
        specs += ["pillar", *(f"pillar:{p}" for p in r.pillars)]
    return specs


def _sets(repo: _Repo) -> dict[str, str]:
    """Every set holding at least one public resource, spec -> name, in a stable order."""
    used = {spec for r in repo.resources for spec in _set_specs(r)}
    names = {"kind": "Resources by kind", "pillar": "Resources by Technician Commitment pillar"}
    names |= {f"kind:{k}": label for k, label in KIND_LABELS.items()}
    names |= {f"pillar:{p}": label for p, label in PILLAR_LABELS.items()}
    return {spec: names.get(spec, spec) for spec in sorted(used)}


def _find(repo: _Repo, identifier: str) -> Resource:
    prefix = f"oai:{repo.host}:"
    slug = identifier[len(prefix) :] if identifier.startswith(prefix) else None
    for r in repo.resources:
        if r.slug == slug:
            return r
    raise OaiError("idDoesNotExist", f"No public record has the identifier {identifier!r}.")


def _check_prefix(prefix: str) -> None:
    if prefix != PREFIX:
        raise OaiError("cannotDisseminateFormat", f"Metadata format {prefix!r} is not offered: use oai_dc.")


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = args.get(name)
    if value is None:
        return None
    if SECOND.fullmatch(value):
        raise OaiError("badArgument", f"{name}={value}: this repository's granularity is days (YYYY-MM-DD).")
    try:
        if not DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise OaiError("badArgument", f"{name}={value!r} is not a date: write YYYY-MM-DD.") from None


def _header(repo: _Repo, r: Resource) -> etree._Element:
    node = _el("header")
    _sub(node, "identifier", oai_identifier(r, repo.base_url))
    _sub(node, "datestamp", datestamp(r, repo.earliest).isoformat())
    for spec in _set_specs(r):
        _sub(node, "setSpec", spec)
    return node


def _record(repo: _Repo, r: Resource) -> etree._Element:
    node = _el("record")
    node.append(_header(repo, r))
    _sub(node, "metadata").append(dc_record(r, base_url=repo.base_url))
    return node


def _digest(repo: _Repo, payload: bytes) -> str:
    return hashlib.sha256(repo.endpoint.encode() + b"\0" + payload).hexdigest()[:16]


def _encode(repo: _Repo, q: _Query) -> str:
    data = {
        "v": q.verb,
        "p": q.prefix,
        "f": q.start.isoformat() if q.start else None,
        "u": q.until.isoformat() if q.until else None,
        "s": q.set_spec,
        "o": q.offset,
    }
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _digest(repo, payload)


def _decode(repo: _Repo, token: str, verb: str) -> _Query:
    bad = OaiError(
        "badResumptionToken", "The resumption token is unknown or was altered: start the list again."
    )
    body, _, check = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(payload)
        if _digest(repo, payload) != check or data["v"] != verb or data["p"] != PREFIX:
            raise bad
        offset = data["o"]
        if not isinstance(offset, int) or offset < 1:
            raise bad
        start = date.fromisoformat(data["f"]) if data["f"] else None
        until = date.fromisoformat(data["u"]) if data["u"] else None
        spec = data["s"]
        if spec is not None and not isinstance(spec, str):
            raise bad
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad from None
    return _Query(verb, PREFIX, start, until, spec, offset)


def _el(name: str) -> etree._Element:
    return etree.Element(f"{{{OAI_NS}}}{name}", nsmap=_DEFAULT_NS)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        child.text = text
    return child


def _error(root: etree._Element, e: OaiError) -> None:
    _sub(root, "error", e.message).set("code", e.code)


def _bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
