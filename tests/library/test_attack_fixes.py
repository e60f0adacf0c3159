"""Findings of the library's security audit, each as a plain test: OAI arguments XML cannot
hold, PDFs with risky actions, HTML files in the static site, private exports readable by
their owner only, reserved slugs in a CSV import."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import weasyprint
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from techforce import errors
from techforce.db import Database
from techforce.library import exchange, extract, oai, records, service, site

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def test_oai_arguments_xml_cannot_hold_are_a_bad_argument() -> None:
    r = records.Resource(slug="a", title="A", kind="guide", published=date(2024, 1, 1))
    for bad in ("\x01", "\ufffe"):
        body = oai.respond(
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": bad},
            resources=[r],
            base_url="https://x.example",
            repository_name="R",
            admin_email="a@x.example",
            earliest=date(2020, 1, 1),
            now=datetime.now(UTC),
        )
        assert [e.get("code") for e in etree.fromstring(body).iter(f"{OAI}error")] == ["badArgument"]


def _pdf_opening(action: DictionaryObject) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(weasyprint.HTML(string="<p>Hello</p>").write_pdf())))
    writer._root_object[NameObject("/OpenAction")] = action
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "action",
    [
        {"/S": NameObject("/URI"), "/URI": TextStringObject("javascript:app.alert(1)")},
        {"/S": NameObject("/SubmitForm"), "/F": TextStringObject("https://evil.example/")},
        {"/S": NameObject("/ImportData"), "/F": TextStringObject("data.fdf")},
        {"/S": NameObject("/GoToR"), "/F": TextStringObject("\\\\server\\share\\x.pdf")},
    ],
)
def test_pdfs_with_risky_actions_are_refused(action: dict[str, object]) -> None:
    data = _pdf_opening(DictionaryObject({NameObject(k): v for k, v in action.items()}))
    with pytest.raises(errors.Refused, match=r"x\.pdf: .*Fix:"):
        extract.extract(data, "x.pdf")
    safe = _pdf_opening(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/URI"),
                NameObject("/URI"): TextStringObject("https://example.org/"),
            }
        )
    )
    assert "Hello" in extract.extract(safe, "ok.pdf").text


def _html_resource(tmp_path: Path) -> tuple[records.Resource, Path]:
    data = b"<html><body><script>alert(document.domain)</script><p>Page</p></body></html>"
    stored = tmp_path / "blob"
    stored.write_bytes(data)
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    r = records.Resource(
        slug="page",
        title="A page",
        kind="guide",
        file=records.StoredFile(digest, "page.html", "text/html", len(data)),
    )
    return r, stored


def test_an_html_file_is_served_as_text_by_the_static_site(tmp_path: Path) -> None:
    r, stored = _html_resource(tmp_path)
    site.export_site([r], tmp_path / "site", files=lambda f: stored)
    assert (tmp_path / "site" / "files" / "page.html.txt").is_file()
    assert not (tmp_path / "site" / "files" / "page.html").exists()


def test_an_export_with_private_resources_is_readable_by_its_owner_only(db: Database, tmp_path: Path) -> None:
    with db.session() as s:
        data = service.checked("m", slug="memo", title="Memo", kind="guide", audience=["signed-in"])
        service.save_resource(s, data, actor="t", data_dir=tmp_path / "d", file=(b"secret memo", "memo.txt"))
        out = tmp_path / "export"
        exchange.export_csv(s, out, data_dir=tmp_path / "d")
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) in ("0o600", "0o700") for p in out.rglob("*"))


def test_a_reserved_slug_in_a_csv_is_a_row_problem(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "resources.csv").write_text("slug,title,kind,url\noai,Harvest,guide,https://example.org/\n")
    with db.session() as s, pytest.raises(errors.Invalid) as caught:
        exchange.import_csv(s, folder / "resources.csv", data_dir=tmp_path / "d", actor="t")
    assert "slug" in caught.value.message and "oai" in caught.value.message, caught.value.message


def test_removed_files_are_collected(db: Database, tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    with db.session() as s:
        for slug, body in (("keep", b"kept bytes"), ("drop", b"sensitive bytes")):
            data = service.checked(slug, slug=slug, title=slug, kind="guide")
            service.save_resource(s, data, actor="t", data_dir=data_dir, file=(body, f"{slug}.txt"))
        gone = service.file_path(data_dir, service.resource(s, "drop").file_sha256 or "")
        kept = service.file_path(data_dir, service.resource(s, "keep").file_sha256 or "")
        service.remove_resource(s, "drop", actor="t")
    with db.session() as s:
        assert service.collect_garbage(s, data_dir, actor="t") == 1
    assert not gone.exists() and kept.read_bytes() == b"kept bytes"
