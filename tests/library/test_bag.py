"""The BagIt package as an archive receiving it sees it: a bag that validates, with sha256
and sha512 manifests, bag-info naming who sent it; one altered byte makes it fail; private
resources are absent unless the institution deposits its own collection."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest
from lxml import etree

from techforce.errors import Refused
from techforce.library.bag import export_bag
from techforce.library.records import Resource, StoredFile

DC = {"dc": "http://purl.org/dc/elements/1.1/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}


@pytest.fixture
def resources(tmp_path: Path) -> list[Resource]:
    store = tmp_path / "store"
    store.mkdir()

    def stored(name: str, content: bytes) -> StoredFile:
        digest = hashlib.sha256(content).hexdigest()
        (store / digest).write_bytes(content)
        return StoredFile(sha256=digest, filename=name, media_type="application/pdf", size=len(content))

    return [
        Resource(
            slug="career-paths",
            title="Career paths",
            kind="report",
            authors=("Ada Lovelace",),
            organisation="University of Leeds",
            file=stored("Career Paths.pdf", b"%PDF-1.4 careers"),
            licence="CC-BY-4.0",
            pillars=("career-development",),
            text="Careers text",
        ),
        Resource(slug="induction-video", title="Induction", kind="video", url="https://video.example/1"),
        Resource(
            slug="internal-review",
            title="Internal staffing review",
            kind="report",
            audience=("signed-in",),
            file=stored("review.pdf", b"%PDF-1.4 internal quokka"),
        ),
    ]


def _files(tmp_path: Path) -> Callable[[StoredFile], Path]:
    return lambda f: tmp_path / "store" / f.sha256


def test_the_bag_validates_and_describes_public_resources(resources: list[Resource], tmp_path: Path) -> None:
    out = export_bag(
        resources,
        tmp_path / "bag",
        files=_files(tmp_path),
        base_url="https://lib.example.ac.uk",
        organisation="University of Leeds",
    )
    bag = bagit.Bag(str(out))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert (out / "manifest-sha256.txt").exists() and (out / "manifest-sha512.txt").exists()
    assert bag.info["Source-Organization"] == "University of Leeds"
    assert bag.info["Bag-Count"] == "1 of 1"
    assert "Bagging-Date" in bag.info and "Payload-Oxum" in bag.info
    assert "1 non-public resource withheld" in bag.info["External-Description"]
    assert sorted(bag.payload_files()) == sorted(
        [
            "data/files/career-paths.pdf",
            "data/metadata/resources.json",
            "data/metadata/dublin-core/career-paths.xml",
            "data/metadata/dublin-core/induction-video.xml",
        ]
    )
    listed = json.loads((out / "data/metadata/resources.json").read_text())["resources"]
    assert {r["slug"] for r in listed} == {"career-paths", "induction-video"}
    career = next(r for r in listed if r["slug"] == "career-paths")
    assert career["file"]["path"] == "files/career-paths.pdf"
    assert career["address"] == "https://lib.example.ac.uk/library/career-paths"
    record = etree.parse(str(out / "data/metadata/dublin-core/career-paths.xml")).getroot()
    assert record.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert record.xpath("dc:creator/text()", namespaces=DC) == ["Ada Lovelace"]
    assert record.xpath("dc:rights/text()", namespaces=DC) == ["CC-BY-4.0"]
    everything = "".join(p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*") if p.is_file())
    assert "internal-review" not in everything and "Internal staffing" not in everything
    assert "quokka" not in everything


def test_an_altered_file_fails_validation(resources: list[Resource], tmp_path: Path) -> None:
    out = export_bag(resources, tmp_path / "bag", files=_files(tmp_path))
    (out / "data/files/career-paths.pdf").write_bytes(b"%PDF-1.4 careerz")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(out)).validate()
    out2 = export_bag(resources, tmp_path / "bag2", files=_files(tmp_path))
    (out2 / "data/files/extra.txt").write_text("smuggled")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(out2)).validate()


def test_an_institution_may_deposit_its_private_resources(resources: list[Resource], tmp_path: Path) -> None:
    out = export_bag(resources, tmp_path / "bag", files=_files(tmp_path), include_private=True)
    bagit.Bag(str(out)).validate()
    assert (out / "data/files/internal-review.pdf").read_bytes() == b"%PDF-1.4 internal quokka"
    listed = json.loads((out / "data/metadata/resources.json").read_text())["resources"]
    assert {r["slug"]: r["audience"] for r in listed}["internal-review"] == ["signed-in"]
    assert "withheld" not in bagit.Bag(str(out)).info["External-Description"]


def test_a_previous_bag_is_replaced_and_other_folders_refused(
    resources: list[Resource], tmp_path: Path
) -> None:
    out = tmp_path / "bag"
    export_bag(resources, out, files=_files(tmp_path), include_private=True)
    export_bag(resources, out, files=_files(tmp_path))
    bagit.Bag(str(out)).validate()
    assert not (out / "data/files/internal-review.pdf").exists()
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"jpg")
    with pytest.raises(Refused, match="photos"):
        export_bag(resources, other, files=_files(tmp_path))
    assert [p.name for p in other.iterdir()] == ["holiday.jpg"]
