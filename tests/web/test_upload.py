"""Upload in the browser's shape (multipart): a broken return is refused with its report
and nothing ingested; a good one is ingested and the indicators change."""

from __future__ import annotations

import io
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import UploadFile
from fastapi.testclient import TestClient

from techforce.web import upload_files
from techforce.web import workforce_manage as workforce
from techforce.web.app import create_app
from techforce.workforce.problems import InputError
from tests.web.conftest import WebEnv, sign_in, unknown_level
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser import server as server  # the app on a real server


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
    with pytest.raises(upload_files.TooLarge):
        upload_files.save(upload, tmp_path / "PERSON.csv", 0, 3 * upload_files.UPLOAD_CHUNK)
    assert source.read_bytes <= 5 * upload_files.UPLOAD_CHUNK


def test_upload_folder_and_files_are_owner_only(
    web: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}

    def fake_ingest(_settings: object, _db: object, files: list[Path], **_kw: object) -> None:
        folder = files[0].parent
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
    assert upload_files.file_name("C:\\data\\PER\r\nSON.csv") == "PERSON.csv"
    assert upload_files.file_name("../..") == "upload" and upload_files.file_name(None) == "upload"


def test_a_file_name_too_long_for_the_disk_is_refused_before_anything_is_written(web: WebEnv) -> None:
    """Was a 500 (ENAMETOOLONG from os.open); now a 422 naming the file (shortened) and the fix."""
    long_name = "ACTIVITY-" + "a" * 260 + ".csv"
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        files = [
            ("files", ("PERSON.csv", b"a\n1\n", "text/csv")),
            ("files", (long_name, b"a\n1\n", "text/csv")),
        ]
        refused = client.post("/api/workforce/upload", files=files, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    assert problem["rule"] == "file.name" and problem["file"] == long_name[:60] + "…" + long_name[-12:]
    assert problem["message"] == "the file name is 273 bytes long; a file name may be at most 255 bytes"
    assert problem["fix"].startswith("rename the file to a short name")
    assert not (web.settings.data_dir / "uploads").exists() or not list(
        (web.settings.data_dir / "uploads").iterdir()
    )
    assert upload_files.name_too_long("P" * 251 + ".csv") is None
    assert upload_files.name_too_long("é" * 126 + ".csv") is not None  # 256 bytes in UTF-8


# --- re-upload: see what will change, then confirm ---------------------------------------
def _fewer_technicians(web: WebEnv, tmp: Path, drop: int = 3) -> Path:
    """The provider lead's 2022 return (already held) without ``drop`` technical staff
    (SOC2010 311: science technicians): fewer people, contracts and technicians."""
    import csv

    folder = tmp / "again" / web.own
    shutil.copytree(web.sector_dir / "2022" / "csv" / web.own, folder)

    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(newline="") as handle:
            return list(csv.DictReader(handle))

    def write(name: str, kept: list[dict[str, str]]) -> None:
        with (folder / name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(kept[0]))
            writer.writeheader()
            writer.writerows(kept)

    activities, contracts, people = rows("ACTIVITY.csv"), rows("CONTRACT.csv"), rows("PERSON.csv")
    person_of = {c["CONTRACTKEY"]: c["PERSONKEY"] for c in contracts}
    gone = list(
        dict.fromkeys(person_of[a["CONTRACTKEY"]] for a in activities if a["ACTSOC"].startswith("311"))
    )
    gone = gone[:drop]
    assert len(gone) == drop
    gone_contracts = {c["CONTRACTKEY"] for c in contracts if c["PERSONKEY"] in gone}
    write("PERSON.csv", [p for p in people if p["PERSONKEY"] not in gone])
    write("CONTRACT.csv", [c for c in contracts if c["PERSONKEY"] not in gone])
    write("ACTIVITY.csv", [a for a in activities if a["CONTRACTKEY"] not in gone_contracts])
    return folder


def _store_state(web: WebEnv) -> tuple[list[tuple[str, str, int, int]], int, list[str]]:
    """Catalogue rows, audit events and snapshot files: what an ingest would change."""
    from sqlalchemy import func, select

    from techforce.audit import AuditEvent
    from techforce.workforce.models import Snapshot

    with web.db.session() as session:
        snapshots = [
            (s.id, s.ukprn, s.year, s.persons)
            for s in session.scalars(select(Snapshot).order_by(Snapshot.ukprn, Snapshot.year))
        ]
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    files = sorted(str(p) for p in web.settings.snapshot_dir.rglob("*.parquet"))
    return snapshots, events, files


def _held(web: WebEnv, year: int = 2022) -> tuple[str, int, int]:
    from sqlalchemy import select

    from techforce.workforce.models import Snapshot

    with web.db.session() as session:
        found = session.scalar(select(Snapshot).where(Snapshot.ukprn == web.own, Snapshot.year == year))
        assert found is not None
        return found.id, found.persons, found.contracts


def test_reupload_through_the_api_is_409_with_the_changes_until_replace_is_sent(
    web: WebEnv, tmp_path: Path
) -> None:
    folder = _fewer_technicians(web, tmp_path)
    old_id, old_persons, old_contracts = _held(web)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        before_page = client.get(f"/api/workforce/providers/{web.own}").json()
        head = next(i for i in before_page["indicators"] if i["indicator"] == "tech.headcount")
        state = _store_state(web)
        asked = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        assert asked.status_code == 409, asked.text[:500]
        body = asked.json()
        assert body["replaces"] == 1 and "replace=true" in body["detail"] and not body["token"]
        change = body["changes"][0]
        assert (change["ukprn"], change["year"], change["replaces"]) == (web.own, 2022, True)
        assert change["before_exact"] is True  # the lead's own provider
        assert change["persons"]["before"] == old_persons and change["persons"]["after"] == old_persons - 3
        assert change["contracts"]["before"] == old_contracts
        assert change["contracts"]["after"] < old_contracts
        assert change["technical"]["before"] == head["provider"]["value"]  # as the profile says
        assert change["technical"]["after"] == change["technical"]["before"] - 3
        assert _store_state(web) == state  # nothing written: no snapshot, catalogue row or audit event
        assert list((web.settings.data_dir / "uploads").iterdir()) == []  # the files are gone

        replaced = client.post(
            "/api/workforce/upload",
            files=_files(folder),
            data={"replace": "true"},
            headers={"X-CSRF-Token": csrf},
        )
        assert replaced.status_code == 201, replaced.text[:500]
        assert replaced.json()["snapshots"][0]["replaced"] is True
        new_id, new_persons, _ = _held(web)
        assert new_id != old_id and new_persons == old_persons - 3
        after_page = client.get(f"/api/workforce/providers/{web.own}").json()
        after = next(i for i in after_page["indicators"] if i["indicator"] == "tech.headcount")
        assert after["provider"]["value"] == head["provider"]["value"] - 3


def test_a_new_provider_year_is_ingested_at_once(web: WebEnv, tmp_path: Path) -> None:
    folder = _return_of(web, web.own, tmp_path)  # 2023: nothing held yet
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        assert page.status_code == 200 and 'id="accepted"' in page.text and "upload-preview" not in page.text


def test_reupload_on_the_page_previews_then_ingests_on_confirmation(web: WebEnv, tmp_path: Path) -> None:
    folder = _fewer_technicians(web, tmp_path)
    old_id, old_persons, _ = _held(web)
    uploads = web.settings.data_dir / "uploads"
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        state = _store_state(web)
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        assert page.status_code == 200 and 'id="upload-preview"' in page.text
        assert "nothing is ingested until you confirm" in page.text
        assert f"{old_persons:,} → {old_persons - 3:,}" in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token is not None
        assert _store_state(web) == state  # previewed, not written
        kept = list(uploads.iterdir())
        assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o700
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in kept[0].iterdir())

        with TestClient(web.app) as other:  # another session (even the same user) cannot confirm it
            other_csrf = sign_in(other, "provider-lead")
            stolen = other.post(
                "/workforce/upload", data={"csrf_token": other_csrf, "token": token.group(1), "op": "replace"}
            )
            assert stolen.status_code == 410 and "upload the files again" in stolen.text
        assert _held(web)[0] == old_id

        confirmed = client.post(
            "/workforce/upload", data={"csrf_token": csrf, "token": token.group(1), "op": "replace"}
        )
        assert confirmed.status_code == 200 and 'id="accepted"' in confirmed.text
        assert "replaced the earlier return" in confirmed.text
        assert _held(web)[1] == old_persons - 3 and _held(web)[0] != old_id
        assert list(uploads.iterdir()) == []
        again = client.post(
            "/workforce/upload", data={"csrf_token": csrf, "token": token.group(1), "op": "replace"}
        )
        assert again.status_code == 410  # one confirmation ingests once


def test_cancelled_or_expired_reupload_changes_nothing(
    web: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _fewer_technicians(web, tmp_path)
    old_id, _, _ = _held(web)
    uploads = web.settings.data_dir / "uploads"
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token is not None
        cancelled = client.post(
            "/workforce/upload", data={"csrf_token": csrf, "token": token.group(1), "op": "cancel"}
        )
        assert cancelled.status_code == 200 and "Cancelled: nothing was ingested." in cancelled.text
        assert list(uploads.iterdir()) == [] and _held(web)[0] == old_id

        first = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token is not None
        assert len(list(uploads.iterdir())) == 1  # one upload waits per user: the newer one
        earlier = re.search(r'name="token" value="([^"]+)"', first.text)
        assert earlier is not None
        dropped = client.post(
            "/workforce/upload", data={"csrf_token": csrf, "token": earlier.group(1), "op": "replace"}
        )
        assert dropped.status_code == 410 and _held(web)[0] == old_id
        later = upload_files._now() + upload_files.PENDING_SECONDS + 1
        monkeypatch.setattr(upload_files, "_now", lambda: later)  # time passes
        late = client.post(
            "/workforce/upload", data={"csrf_token": csrf, "token": token.group(1), "op": "replace"}
        )
        assert late.status_code == 410 and "upload the files again" in late.text
        assert _held(web)[0] == old_id and list(uploads.iterdir()) == []


def test_a_change_between_preview_and_confirmation_shows_a_new_preview(web: WebEnv, tmp_path: Path) -> None:
    folder = _fewer_technicians(web, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        page = client.post("/workforce/upload", files=_files(folder), data={"csrf_token": csrf})
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token is not None
        meanwhile = client.post(
            "/api/workforce/upload",
            files=_files(web.sector_dir / "2022" / "csv" / web.own),
            data={"replace": "true"},
            headers={"X-CSRF-Token": csrf},
        )
        assert meanwhile.status_code == 201
        held = _held(web)[0]
        confirmed = client.post(
            "/workforce/upload", data={"csrf_token": csrf, "token": token.group(1), "op": "replace"}
        )
        assert confirmed.status_code == 200 and 'id="upload-preview"' in confirmed.text
        assert "changed since your preview" in confirmed.text
        assert _held(web)[0] == held  # not replaced behind the user's back


def test_ingest_with_expect_refuses_before_writing(web: WebEnv, tmp_path: Path) -> None:
    from techforce.workforce.ingest import SnapshotChanged, ingest

    folder = _fewer_technicians(web, tmp_path)
    state = _store_state(web)
    with pytest.raises(SnapshotChanged, match=web.own):
        ingest(web.settings, web.db, [folder], expect={})
    assert _store_state(web) == state
    assert not list(web.settings.snapshot_dir.glob(".tmp-*"))


def test_analyst_sees_the_held_figures_as_published(web: WebEnv, tmp_path: Path) -> None:
    folder = _fewer_technicians(web, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "sector-analyst")
        published = client.get(f"/api/workforce/providers/{web.own}").json()
        head = next(i for i in published["indicators"] if i["indicator"] == "tech.headcount")
        asked = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        assert asked.status_code == 409
        change = asked.json()["changes"][0]
        assert change["before_exact"] is False
        assert change["technical"]["before_display"] == head["provider"]["display"]
        assert change["persons"]["before"] % 5 == 0 and "rounded" in change["persons"]["before_disclosure"]


# --- refused uploads name the user's files -------------------------------------------------
def _no_server_path(web: WebEnv, body: str) -> None:
    uploads = str(web.settings.data_dir / "uploads")
    assert not re.search(r"upload-[a-z0-9_]{8}(?![a-z])|claimed-|pending-|uploads[/\\]", body), body[:2000]
    assert uploads not in body and str(web.settings.data_dir) not in body


def test_refused_uploads_name_the_users_files_never_the_server_folder(web: WebEnv, tmp_path: Path) -> None:
    other = _return_of(web, web.other, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        cases = {
            "scope": _files(other),  # a whole-return problem (its file was the folder)
            "missing table": [f for f in _files(other) if "ACTIVITY" not in f[1][0]],
            "two tables": [
                *_files(other),
                ("files", ("PERSON-copy.csv", (other / "PERSON.csv").read_bytes(), "text/csv")),
            ],
        }
        for case, files in cases.items():
            for path, kwargs in (
                ("/api/workforce/upload", {"headers": {"X-CSRF-Token": csrf}}),
                ("/workforce/upload", {"data": {"csrf_token": csrf}}),
            ):
                response = client.post(path, files=files, **kwargs)  # type: ignore[arg-type]
                assert response.status_code == 422, (case, response.text[:300])
                _no_server_path(web, response.text)
            problems = client.post(
                "/api/workforce/upload", files=files, headers={"X-CSRF-Token": csrf}
            ).json()["problems"]
            sent = {f[1][0] for f in files}
            for p in problems:
                named = {n.strip() for n in str(p["file"]).split(",")}
                assert named <= sent, (case, p)
        scope = client.post("/api/workforce/upload", files=cases["scope"], headers={"X-CSRF-Token": csrf})
        assert scope.json()["problems"][0]["file"] == "ACTIVITY.csv, CONTRACT.csv, PERSON.csv"


def test_the_preview_is_escaped(web: WebEnv, tmp_path: Path) -> None:
    from tests.web.test_peer_builder import render_hostile

    folder = _fewer_technicians(web, tmp_path)
    with TestClient(web.app) as client:
        csrf = sign_in(client, "provider-lead")
        asked = client.post("/api/workforce/upload", files=_files(folder), headers={"X-CSRF-Token": csrf})
        request = client.get("/workforce/definitions").request
    data = {**asked.json(), "token": "t", "note": "n", "message": "m", "scope": ["s"]}
    data["warnings"] = [{"message": "m", "file": "f"}]
    render_hostile(request, "upload.html.j2", data)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_reupload_confirmation_in_a_browser(web: WebEnv, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.web.test_peer_builder import DESKTOP, shoot, sign_in_browser

    folder = _fewer_technicians(web, tmp_path)
    old_id, old_persons, _ = _held(web)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=DESKTOP)
        sign_in_browser(page, server, "provider-lead")
        page.goto(f"{server}/workforce/upload")
        shoot(page, "upload")
        page.get_by_label("Files (.xml or .csv)").set_input_files(
            sorted(str(f) for f in folder.glob("*.csv"))
        )
        page.get_by_role("button", name="Upload and validate").click()
        expect(page.locator("#preview")).to_contain_text("nothing is ingested until you confirm")
        row = page.locator("#preview-table tbody tr").first
        expect(row).to_contain_text(f"{old_persons:,} → {old_persons - 3:,}")
        shoot(page, "upload-preview")
        assert _held(web)[0] == old_id  # asked, not written
        page.get_by_role("button", name="Replace and ingest").click()
        expect(page.locator("#accepted")).to_have_text("Accepted")
        expect(page.locator("#upload-result")).to_contain_text("replaced the earlier return")
        shoot(page, "upload-replaced")
        browser.close()
    assert _held(web)[1] == old_persons - 3


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_refused_upload_in_a_browser_names_the_files(web: WebEnv, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.web.test_peer_builder import DESKTOP, shoot, sign_in_browser

    other = _return_of(web, web.other, tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=DESKTOP)
        sign_in_browser(page, server, "provider-lead")
        page.goto(f"{server}/workforce/upload")
        page.get_by_label("Files (.xml or .csv)").set_input_files(sorted(str(f) for f in other.glob("*.csv")))
        page.get_by_role("button", name="Upload and validate").click()
        first = page.locator("#problem-table tbody tr").first.locator("td").first
        expect(first).to_have_text("ACTIVITY.csv, CONTRACT.csv, PERSON.csv")
        shoot(page, "upload-refused")
        browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_upload_preview_passes_axe(web: WebEnv, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import _violations
    from tests.web.test_peer_builder import sign_in_browser

    axe = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
    folder = _fewer_technicians(web, tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(bypass_csp=True).new_page()  # only so that the test can inject axe
        sign_in_browser(page, server, "provider-lead")
        page.goto(f"{server}/workforce/upload")
        page.get_by_label("Files (.xml or .csv)").set_input_files(
            sorted(str(f) for f in folder.glob("*.csv"))
        )
        page.get_by_role("button", name="Upload and validate").click()
        page.wait_for_selector("#upload-preview")
        page.add_script_tag(content=axe)
        violations = _violations(page)
        browser.close()
    assert not violations, violations
