"""Upload in the browser's shape (multipart): a broken return is refused with its report
and nothing ingested; a good one is ingested and the indicators change."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

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
        assert 'id="problem-table"' in page.text and "contract.levels.code" in page.text and "CONTRACT.csv" in page.text
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

            assert any(e.action == "workforce.snapshot.add" and e.actor == "provider-lead"
                       for e in audit.recent(session, limit=50))  # fmt: skip


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
        response = client.post("/api/workforce/upload", files=[("files", (xml.name, xml.read_bytes(), "application/xml"))],
                               headers={"X-CSRF-Token": csrf})
        assert response.status_code == 201, response.text[:500]
        assert [(s["ukprn"], s["year"]) for s in response.json()["snapshots"]] == [(web.own, 2023)]
        refused = client.post("/api/workforce/upload", files=[("files", ("notes.txt", b"hello", "text/plain"))],
                              headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 422 and refused.json()["problems"][0]["rule"] == "file.type"
