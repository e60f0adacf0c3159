"""Upload in the browser's shape (multipart): a broken return is refused with its report
and nothing ingested; a good one is ingested and the indicators change."""

from __future__ import annotations

import io
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import UploadFile
from fastapi.testclient import TestClient

from techforce.web import workforce_manage as workforce
from techforce.web.app import create_app
from techforce.workforce.problems import InputError
from tests.web.conftest import WebEnv, sign_in, unknown_level


def _files(folder: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (f.name, f.read_bytes(), "text/csv")) for f in sorted(folder.glob("*.csv"))]


def _return_of(web: WebEnv, ukprn: str, tmp: Path) -> Path:
    target = tmp / ukprn
    shutil.copytree(web.sector_dir / "2023" / "csv" / ukprn, target)
    return target


def test_broken_upload_shows_its_errors_and_ingests_nothing(web: WebEnv, tmp_path: Path) -> None:
    folder = _return_of(web, web.own, tmp_path)
    unknown_level(folder / "CONTRACT.csv", 3)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        before = client.get("/api/workforce/overview").json()["years"]
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        assert page.status_code == 422
        assert (
            'id="problem-table"' in page.text
            and "contract.levels.code" in page.text
            and "CONTRACT.csv" in page.text
        )
        api = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        assert api.status_code == 422 and api.json()["accepted"] is False
        problem = next(p for p in api.json()["problems"] if p["rule"] == "contract.levels.code")
        assert problem["file"] == "CONTRACT.csv" and problem["line"] == 5 and problem["fix"]
        assert client.get("/api/workforce/overview").json()["years"] == before  # nothing ingested


def test_good_upload_is_ingested_and_indicators_change(web: WebEnv, tmp_path: Path) -> None:
    folder = _return_of(web, web.own, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        assert client.get("/api/workforce/overview").json()["years"] == ["2022/23"]
        response = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        assert response.status_code == 201, response.text[:500]
        body = response.json()
        assert body["snapshots"][0]["ukprn"] == web.own and body["snapshots"][0]["year"] == 2023
        assert any(i["indicator"] == "tech.headcount" for i in body["indicators"][0]["indicators"])
        overview = client.get("/api/workforce/overview").json()
        assert overview["years"] == ["2022/23", "2023/24"] and overview["title"].endswith("2023/24")
        with web.db.session() as session:
            from techforce import audit

            assert any(
                e.action == "workforce.snapshot.add" and e.actor == "provider-lead"
                for e in audit.recent(session, limit=50)
            )


def test_lead_cannot_upload_another_providers_return(web: WebEnv, tmp_path: Path) -> None:
    folder = _return_of(web, web.other, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        response = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        assert response.status_code == 422
        assert response.json()["problems"][0]["rule"] == "ingest.provider.scope"
        assert client.get("/api/workforce/overview").json()["years"] == ["2022/23"]


def test_xml_upload_is_ingested_too(web: WebEnv) -> None:
    xml = web.sector_dir / "2023" / "xml" / f"{web.own}.xml"
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        response = client.post(
            "/api/workforce/upload",
            files=[("files", (xml.name, xml.read_bytes(), "application/xml"))],
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 201, response.text[:500]
        assert [(s["ukprn"], s["year"]) for s in response.json()["snapshots"]] == [(web.own, 2023)]
        refused = client.post(
            "/api/workforce/upload",
            files=[("files", ("notes.txt", b"hello", "text/plain"))],
            headers={"X-CSRF-Token": csrf},
        )
        assert refused.status_code == 422 and refused.json()["problems"][0]["rule"] == "file.type"


def _small_limit_app(web: WebEnv, limit: int) -> TestClient:
    settings = web.settings.model_copy(update={"max_upload_bytes": limit})
    return TestClient(create_app(settings, web.db))


def test_upload_over_the_limit_is_refused_while_read_and_leaves_no_file(web: WebEnv, tmp_path: Path) -> None:
    folder = _return_of(web, web.own, tmp_path)
    uploads = web.settings.data_dir / "uploads"
    limit = sum(f.stat().st_size for f in folder.glob("*.csv")) - 10  # the last bytes are one too many
    assert limit < 2**20
    with _small_limit_app(web, limit) as client:
        csrf = sign_in(client, "provider-lead")
        assert client.get("/api/workforce/upload").json()["max_bytes"] == limit
        response = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        assert response.status_code == 413
        problem = response.json()["problems"][0]
        assert problem["rule"] == "upload.size" and f"larger than {limit} bytes" in problem["message"]
        assert "techforce workforce ingest" in problem["fix"]
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        assert page.status_code == 413 and f"larger than {limit} bytes" in page.text
        assert list(uploads.iterdir()) == []  # the temporary folder went with the refusal
        assert client.get("/api/workforce/overview").json()["years"] == ["2022/23"]


def test_far_too_large_upload_is_refused_before_it_is_read(web: WebEnv) -> None:
    with _small_limit_app(web, 2000) as client:
        csrf = sign_in(client, "provider-lead")
        big = [("files", ("PERSON.csv", b"x" * 200_000, "text/csv"))]
        declared = client.post("/api/workforce/upload", files=big, headers={"X-CSRF-Token": csrf})
        assert declared.status_code == 413 and "larger than" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
            yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="PERSON.csv"\r\n\r\n'
            for _ in range(100):
                yield b"x" * 10_000

        streamed = client.post(
            "/api/workforce/upload",
            content=chunks(),
            headers={"X-CSRF-Token": csrf, "content-type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413, streamed.text


def test_save_stops_reading_at_the_limit(tmp_path: Path) -> None:
    """The copy reads a chunk at a time and stops at the limit (never the whole file)."""

    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = b"x" * len(buffer)
            self.read_bytes += len(buffer)
            return len(buffer)

    source = Endless()
    upload = UploadFile(file=io.BufferedReader(source), filename="PERSON.csv")  # type: ignore[arg-type]
    with pytest.raises(workforce._TooLarge):
        workforce._save(upload, tmp_path / "PERSON.csv", 0, 3 * workforce.UPLOAD_CHUNK)
    assert source.read_bytes <= 5 * workforce.UPLOAD_CHUNK


def test_upload_folder_and_files_are_owner_only(
    web: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}

    def fake_ingest(_settings: object, _db: object, folders: list[Path], **_kw: object) -> None:
        folder = folders[0]
        seen["uploads"] = stat.S_IMODE(folder.parent.stat().st_mode)
        seen["folder"] = stat.S_IMODE(folder.stat().st_mode)
        seen.update({f.name: stat.S_IMODE(f.stat().st_mode) for f in folder.iterdir()})
        raise InputError([])

    monkeypatch.setattr(workforce, "ingest", fake_ingest)
    folder = _return_of(web, web.own, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
    assert seen == {
        "uploads": 0o700,
        "folder": 0o700,
        "ACTIVITY.csv": 0o600,
        "CONTRACT.csv": 0o600,
        "PERSON.csv": 0o600,
    }
    assert list((web.settings.data_dir / "uploads").iterdir()) == []


def test_upload_file_names_lose_folders_and_control_characters(web: WebEnv) -> None:
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        files = [("files", ("..\\..\\evil.txt", b"x", "text/plain"))]
        refused = client.post("/api/workforce/upload", files=files, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 422 and refused.json()["problems"][0]["file"] == "evil.txt"
    assert workforce._file_name("C:\\data\\PER\r\nSON.csv") == "PERSON.csv"
    assert workforce._file_name("../..") == "upload" and workforce._file_name(None) == "upload"
