"""The OAI-PMH data provider as a harvester sees it: each verb, each error condition of the
spec, selective harvesting by date and set, paging with resumption tokens (and altered tokens
refused), and private resources never listed nor retrievable."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from techforce.library.oai import respond
from techforce.library.records import Resource, StoredFile

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}
BASE = "https://library.example.ac.uk"
NOW = datetime(2026, 12, 3, 10, 30, 5, tzinfo=UTC)


def _resources() -> list[Resource]:
    pdf = StoredFile(sha256="a" * 64, filename="report.pdf", media_type="application/pdf", size=10)
    return [
        Resource(
            slug="career-paths",
            title="Career paths for technicians",
            kind="report",
            authors=("Ada Lovelace", "Tim Berners"),
            organisation="Uni of Example",
            published=date(2023, 5, 1),
            licence="CC-BY-4.0",
            pillars=("career-development",),
            summary="How technicians progress.",
            file=pdf,
            keywords=("careers",),
            links=("recommendation:3",),
        ),
        Resource(
            slug="visibility-guide",
            title="Making technicians visible",
            kind="guide",
            published=date(2024, 2, 10),
            pillars=("visibility",),
        ),
        Resource(
            slug="induction-video",
            title="Induction video",
            kind="video",
            url="https://video.example/1",
            published=date(2024, 3, 1),
        ),
        Resource(
            slug="updated-dataset",
            title="Workforce dataset",
            kind="dataset",
            published=date(2022, 1, 1),
            extra={"updated": "2025-06-30"},
        ),
        Resource(
            slug="secret-plan",
            title="Secret restructuring plan",
            kind="report",
            published=date(2024, 1, 1),
            audience=("signed-in",),
        ),
        Resource(
            slug="provider-only",
            title="Provider only",
            kind="guide",
            published=date(2024, 1, 2),
            audience=("provider:10007788",),
        ),
    ]


def _ask(
    params: dict[str, str | Sequence[str]], resources: list[Resource] | None = None, page_size: int = 100
) -> etree._Element:
    xml = respond(
        params,
        resources=_resources() if resources is None else resources,
        base_url=BASE,
        repository_name="Technician library",
        admin_email="library@example.ac.uk",
        earliest=date(2020, 1, 1),
        now=NOW,
        page_size=page_size,
    )
    assert xml.startswith(b"<?xml")
    root = etree.fromstring(xml)
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
    assert root.findtext("o:responseDate", namespaces=NS) == "2026-12-03T10:30:05Z"
    assert root.findtext("o:request", namespaces=NS) == f"{BASE}/library/oai"
    return root


def _error(root: etree._Element) -> str | None:
    err = root.find("o:error", NS)
    return None if err is None else str(err.get("code"))


def _ids(root: etree._Element) -> list[str]:
    return [str(x) for x in root.xpath("//o:header/o:identifier/text()", namespaces=NS)]


def test_identify_describes_the_repository() -> None:
    root = _ask({"verb": "Identify"})
    assert _error(root) is None
    ident = root.find("o:Identify", NS)
    assert ident is not None
    assert [c.tag.split("}")[1] for c in ident] == [
        "repositoryName",
        "baseURL",
        "protocolVersion",
        "adminEmail",
        "earliestDatestamp",
        "deletedRecord",
        "granularity",
    ]
    assert ident.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert ident.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DD"
    assert ident.findtext("o:earliestDatestamp", namespaces=NS) == "2020-01-01"
    assert root.find("o:request", NS).get("verb") == "Identify"  # type: ignore[union-attr]


def test_list_metadata_formats_offers_oai_dc() -> None:
    root = _ask({"verb": "ListMetadataFormats"})
    assert root.xpath("//o:metadataPrefix/text()", namespaces=NS) == ["oai_dc"]
    one = _ask({"verb": "ListMetadataFormats", "identifier": "oai:library.example.ac.uk:career-paths"})
    assert one.xpath("//o:metadataNamespace/text()", namespaces=NS) == [NS["oai_dc"]]
    assert _error(_ask({"verb": "ListMetadataFormats", "identifier": "oai:x:nothing"})) == "idDoesNotExist"
    hidden = "oai:library.example.ac.uk:secret-plan"
    assert _error(_ask({"verb": "ListMetadataFormats", "identifier": hidden})) == "idDoesNotExist"


def test_list_sets_names_kinds_and_pillars_in_use_only() -> None:
    root = _ask({"verb": "ListSets"})
    specs = root.xpath("//o:setSpec/text()", namespaces=NS)
    assert "kind:report" in specs and "kind:video" in specs and "pillar:visibility" in specs
    assert "kind:template" not in specs  # no public template
    assert "Research report" in root.xpath("//o:setName/text()", namespaces=NS)
    assert _error(_ask({"verb": "ListSets"}, resources=[])) == "noSetHierarchy"
    assert _error(_ask({"verb": "ListSets", "resumptionToken": "x"})) == "badResumptionToken"


def test_list_identifiers_and_records_serve_public_resources_only() -> None:
    ids = _ids(_ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}))
    assert sorted(ids) == sorted(
        f"oai:library.example.ac.uk:{s}"
        for s in ["career-paths", "visibility-guide", "induction-video", "updated-dataset"]
    )
    records = _ask({"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    text = etree.tostring(records).decode()
    assert "secret" not in text.lower() and "provider-only" not in text and "Provider only" not in text
    assert len(records.findall(".//oai_dc:dc", NS)) == 4


def test_get_record_maps_dublin_core() -> None:
    root = _ask(
        {
            "verb": "GetRecord",
            "identifier": "oai:library.example.ac.uk:career-paths",
            "metadataPrefix": "oai_dc",
        }
    )
    dc = root.find(".//oai_dc:dc", NS)
    assert dc is not None

    def values(name: str) -> list[str]:
        return [str(v) for v in dc.xpath(f"dc:{name}/text()", namespaces=NS)]

    assert values("title") == ["Career paths for technicians"]
    assert values("creator") == ["Ada Lovelace", "Tim Berners"]
    assert values("publisher") == ["Uni of Example"]
    assert values("date") == ["2023-05-01"]
    assert values("type") == ["Text", "Research report"]
    assert values("rights") == ["CC-BY-4.0"]
    assert values("subject") == ["career-development", "careers"]
    assert values("format") == ["application/pdf"]
    assert values("identifier") == [f"{BASE}/library/career-paths"]
    assert values("relation") == ["recommendation:3"]
    assert root.findtext(".//o:header/o:datestamp", namespaces=NS) == "2023-05-01"
    video = _ask(
        {
            "verb": "GetRecord",
            "identifier": "oai:library.example.ac.uk:induction-video",
            "metadataPrefix": "oai_dc",
        }
    )
    assert "MovingImage" in video.xpath("//dc:type/text()", namespaces=NS)
    assert "https://video.example/1" in video.xpath("//dc:identifier/text()", namespaces=NS)


@pytest.mark.parametrize("slug", ["secret-plan", "provider-only", "missing"])
def test_get_record_of_a_private_or_unknown_resource_does_not_exist(slug: str) -> None:
    root = _ask(
        {"verb": "GetRecord", "identifier": f"oai:library.example.ac.uk:{slug}", "metadataPrefix": "oai_dc"}
    )
    assert _error(root) == "idDoesNotExist"
    assert root.find("o:GetRecord", NS) is None
    assert root.find("o:request", NS).get("identifier") is not None  # type: ignore[union-attr]


def test_datestamp_is_the_updated_date_when_given() -> None:
    root = _ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2025-01-01"})
    assert _ids(root) == ["oai:library.example.ac.uk:updated-dataset"]
    assert root.findtext(".//o:datestamp", namespaces=NS) == "2025-06-30"


def test_selective_harvesting_by_date_and_set() -> None:
    def slugs(**params: str) -> list[str]:
        root = _ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **params})
        return [i.rsplit(":", 1)[1] for i in _ids(root)]

    assert slugs(**{"from": "2024-01-01", "until": "2024-02-10"}) == ["visibility-guide"]
    assert slugs(until="2023-12-31") == ["career-paths"]
    assert slugs(set="kind:video") == ["induction-video"]
    assert slugs(set="pillar") == ["career-paths", "visibility-guide"]
    assert sorted(slugs(set="kind")) == [
        "career-paths",
        "induction-video",
        "updated-dataset",
        "visibility-guide",
    ]
    empty = _ask({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "kind:template"})
    assert _error(empty) == "noRecordsMatch"
    late = _ask({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2030-01-01"})
    assert _error(late) == "noRecordsMatch"
    none = _ask({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "kind:report"}, resources=[])
    assert _error(none) == "noSetHierarchy"


def test_paging_with_resumption_tokens_walks_the_whole_list_once() -> None:
    seen: list[str] = []
    root = _ask({"verb": "ListRecords", "metadataPrefix": "oai_dc"}, page_size=3)
    cursors = []
    while True:
        seen += _ids(root)
        token = root.find(".//o:resumptionToken", NS)
        assert token is not None
        assert token.get("completeListSize") == "4"
        cursors.append(token.get("cursor"))
        if not token.text:
            break
        root = _ask({"verb": "ListRecords", "resumptionToken": token.text}, page_size=3)
        assert root.find("o:request", NS).get("resumptionToken") == token.text  # type: ignore[union-attr]
    assert len(seen) == 4 == len(set(seen))
    assert cursors == ["0", "3"]
    # a single page carries no token at all
    assert _ask({"verb": "ListRecords", "metadataPrefix": "oai_dc"}).find(".//o:resumptionToken", NS) is None


def test_paging_keeps_the_filter() -> None:
    root = _ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "kind"}, page_size=1)
    seen = _ids(root)
    while token := root.findtext(".//o:resumptionToken", namespaces=NS):
        root = _ask({"verb": "ListIdentifiers", "resumptionToken": token}, page_size=1)
        seen += _ids(root)
    assert len(seen) == 4


def test_altered_or_foreign_tokens_are_refused() -> None:
    first = _ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, page_size=1)
    token = first.findtext(".//o:resumptionToken", namespaces=NS)
    assert token
    body, check = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data["o"] = 0
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=") + "." + check
    for bad in [forged, token[:-1] + ("0" if token[-1] != "0" else "1"), "nonsense", "", "a.b.c"]:
        root = _ask({"verb": "ListIdentifiers", "resumptionToken": bad}, page_size=1)
        assert _error(root) in {"badResumptionToken", "badArgument"}, bad
        if bad:
            assert _error(root) == "badResumptionToken"
    # a ListIdentifiers token is not a ListRecords token
    assert (
        _error(_ask({"verb": "ListRecords", "resumptionToken": token}, page_size=1)) == "badResumptionToken"
    )
    # a token pointing past a list that has since shrunk
    assert (
        _error(
            _ask(
                {"verb": "ListIdentifiers", "resumptionToken": token}, resources=_resources()[:1], page_size=1
            )
        )
        == "badResumptionToken"
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T00:00:00Z"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-01", "until": "2024-01-01"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": ""}, "badArgument"),
        ({"verb": "Identify", "resumptionToken": "x"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {
                "verb": "GetRecord",
                "metadataPrefix": "marc21",
                "identifier": "oai:library.example.ac.uk:career-paths",
            },
            "cannotDisseminateFormat",
        ),
        ({"verb": "ListRecords", "resumptionToken": "x"}, "badResumptionToken"),
    ],
)
def test_error_conditions(params: dict[str, str | Sequence[str]], code: str) -> None:
    root = _ask(params)
    assert _error(root) == code
    request = root.find("o:request", NS)
    assert request is not None
    if code in {"badVerb", "badArgument"}:  # the spec: no attributes echoed for these
        assert dict(request.attrib) == {}
    else:
        assert request.get("verb") == params["verb"]
    assert len(root) == 3  # responseDate, request, error: no verb element


def test_naive_now_is_taken_as_utc() -> None:
    xml = respond(
        {"verb": "Identify"},
        resources=[],
        base_url=BASE,
        repository_name="R",
        admin_email="a@b.c",
        earliest=date(2020, 1, 1),
        now=datetime(2026, 1, 2, 3, 4, 5),
    )
    assert b"<responseDate>2026-01-02T03:04:05Z</responseDate>" in xml
