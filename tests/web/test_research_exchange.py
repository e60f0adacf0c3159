"""Exchange files on the web: the codebook (.qdc, CSV) and the study (.qdpx) for owners."""

from __future__ import annotations

import zipfile
from io import BytesIO

from fastapi.testclient import TestClient
from lxml import etree

from techforce.research import coding, qdpx, service
from techforce.research.coding import CodeIn
from techforce.research.refi_xml import SCHEMAS
from techforce.research.service import StudyIn
from tests.web.conftest import WebEnv, sign_in


def test_owner_downloads_the_codebook_and_the_study_and_a_coder_may_not(web: WebEnv) -> None:
    """The .qdc and .qdpx downloads are valid REFI-QDA files; coders get 403."""
    guid = _exchange_study(web)
    with TestClient(web.app) as client:
        sign_in(client, "researcher")
        assert f"/research/{guid}/project.qdpx" in client.get(f"/research/{guid}/codebook").text
        qdc = client.get(f"/research/{guid}/codebook.qdc")
        assert qdc.status_code == 200 and "attachment" in qdc.headers["content-disposition"]
        schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))
        assert schema.validate(etree.fromstring(qdc.content)), schema.error_log
        csv_file = client.get(f"/research/{guid}/codebook.csv")
        assert csv_file.status_code == 200 and "Careers" in csv_file.text
        project = client.get(f"/research/{guid}/project.qdpx")
        assert project.status_code == 200
        with zipfile.ZipFile(BytesIO(project.content)) as archive:
            assert "project.qde" in archive.namelist()
        read = qdpx.read_qdpx(project.content, "study.qdpx")
        assert [c.name for c in read.codes] == ["Careers"]
    with TestClient(web.app) as client:
        sign_in(client, "technician")
        assert client.get(f"/research/{guid}/project.qdpx").status_code == 403


def _exchange_study(web: WebEnv) -> str:
    with web.db.session() as s:
        st = service.create_study(s, StudyIn(name="Exchange", kind="interview"), actor="researcher")
        service.set_member(s, st.guid, "technician", "coder", actor="researcher")
        careers = coding.save_code(
            s, st.guid, CodeIn(name="Careers", definition="Career talk"), actor="researcher"
        )
        src = service.import_transcript(
            s, st.guid, "P1: My career 🧪 stalled.\n".encode(), "p1.txt", actor="researcher"
        )
        coding.add_coding(s, st.guid, src.id, careers.id, 4, 10, actor="technician")
        return st.guid
