"""A study's analysis through the real app: the matrix after coding, the survey table that
suppresses a small group for a viewer but shows true counts to the owner, quote decisions,
the quotes workbook (openpyxl opens it and finds the quote), case studies whose quote is
flagged after consent is withdrawn, and an outsider who gets 404 on every analysis route."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from techforce.audit import AuditEvent
from techforce.research import coding, events, service
from techforce.research.models import Coding
from techforce.research.service import CaseIn, StudyIn
from tests.research.conftest import CODER_A, CODER_B, OUTSIDER, OWNER, VIEWER, StudyWorld, make_study
from tests.web.conftest import WebEnv, sign_in
from tests.web.research_analysis_matrix import ROUTES

P01_TYPE = "technician in a formal strategic role"
CEILING = "The grade ceiling at grade 8 stopped me for a decade."


@dataclass
class Site:
    web: WebEnv
    world: StudyWorld

    def client(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(self.web.app)
        return c, sign_in(c, username)


@pytest.fixture
def site(web: WebEnv) -> Site:
    return Site(web, make_study(web.db))


def _ceiling(site: Site) -> int:
    with site.web.db.session() as s:
        return s.scalars(
            select(Coding.id).where(Coding.code_id == site.world.codes["Careers/Grade ceiling"])
        ).one()


def test_matrix_counts_follow_the_coding_and_its_layers(site: Site) -> None:
    guid = site.world.guid
    c, _ = site.client(VIEWER)
    page = c.get(f"/api/research/{guid}/analysis/matrix").json()
    assert page["layer"] == "all"  # no consensus yet: every coder's codings together
    rows = {r[0]: r[1:] for r in page["table"]["rows"]}
    assert page["table"]["columns"] == ["code", "P01", "P02", "P03"]
    assert rows["Roles > Creation"] == [2, 0, 0]  # both coders coded it
    assert rows["Careers > Grade ceiling"] == [1, 0, 0] and rows["Support"] == [0, 2, 0]
    assert rows["Roles"] == [0, 0, 0]  # unused codes keep their row, in codebook order
    assert [r[0] for r in page["table"]["rows"]][:2] == ["Roles", "Roles > Creation"]

    with site.web.db.session() as s:  # coder B codes the grade ceiling too
        src = service.source(s, service.study(s, guid), site.world.sources[0])
        start = src.text.index("The grade ceiling")
        coding.add_coding(
            s, guid, src.id, site.world.codes["Careers/Grade ceiling"], start, start + 17, actor=CODER_B
        )
    again = c.get(f"/api/research/{guid}/analysis/matrix").json()
    assert {r[0]: r[1:] for r in again["table"]["rows"]}["Careers > Grade ceiling"] == [2, 0, 0]
    one = c.get(
        f"/api/research/{guid}/analysis/matrix", params={"layer": f"coder:{CODER_A}", "mode": "presence"}
    )
    assert {r[0]: r[1:] for r in one.json()["table"]["rows"]}["Roles > Creation"] == [1, 0, 0]
    only = c.get(f"/api/research/{guid}/analysis/matrix", params={"only": "sex=M"}).json()
    assert only["table"]["columns"] == ["code", "P02"]

    html = c.get(f"/research/{guid}/analysis/matrix").text
    assert (
        "data-sort" in html and 'data-csv="research-' in html and "Download CSV" not in html
    )  # owners export

    coder, _ = site.client(CODER_B)  # blind coding: a coder sees only their own layer
    assert coder.get(f"/api/research/{guid}/analysis/matrix").json()["layer"] == f"coder:{CODER_B}"
    assert coder.get(f"/api/research/{guid}/analysis/matrix", params={"layer": "all"}).status_code == 404
    freq = c.get(f"/api/research/{guid}/analysis/frequencies", params={"by": "sex"}).json()
    assert freq["table"]["columns"][:3] == ["code", "segments", "cases"] and freq["charts"][0]["spec"]
    co = c.get(f"/api/research/{guid}/analysis/cooccurrence").json()
    assert co["table"]["columns"][0] == "code"
    assert c.get(f"/api/research/{guid}/analysis/matrix", params={"mode": "sum"}).status_code == 422


def _survey_study(site: Site) -> str:
    lines = ["id,institution,I have a clear career route"]
    answers = ("Agree", "Disagree", "Strongly agree", "Neither agree nor disagree")
    lines += [f"R{n:02},Leeds,{answers[n % 4]}" for n in range(30)]
    lines += ["S01,York,Agree", "S02,York,Strongly disagree"]
    with site.web.db.session() as s:
        st = service.create_study(s, StudyIn(name="Technician survey", kind="survey"), actor=OWNER)
        service.set_member(s, st.guid, VIEWER, "viewer", actor=OWNER)
        service.import_survey(
            s, st.guid, "\n".join(lines).encode(), "survey.csv", actor=OWNER, institution_column="institution"
        )
        return st.guid


def test_survey_table_protects_small_groups_except_for_the_owner(site: Site) -> None:
    guid = _survey_study(site)
    viewer, _ = site.client(VIEWER)
    shown = viewer.get(f"/api/research/{guid}/analysis/survey", params={"by": "institution"}).json()
    assert shown["protected"] and shown["item"] == "I have a clear career route"
    groups = [r[0] for r in shown["table"]["rows"]]
    assert "York" not in groups and any(g.startswith("Smaller groups combined") for g in groups)
    small = next(r for r in shown["table"]["rows"] if str(r[0]).startswith("Smaller groups"))
    assert small[1] == ".."  # two answers: suppressed, never shown
    assert shown["charts"][0]["spec"] and shown["reasons"]
    refused = viewer.get(
        f"/api/research/{guid}/analysis/survey", params={"by": "institution", "counts": "true"}
    )
    assert refused.status_code == 403
    html = viewer.get(f"/research/{guid}/analysis/survey", params={"by": "institution"}).text
    assert "York" not in html.split("<main", 1)[1].split("<select", 1)[0]

    owner, _ = site.client(OWNER)
    true = owner.get(
        f"/api/research/{guid}/analysis/survey", params={"by": "institution", "counts": "true"}
    ).json()
    rows = {r[0]: r for r in true["table"]["rows"]}
    assert not true["protected"] and rows["York"][1] == 2 and rows["Leeds"][1] == 30
    csv = owner.get(f"/research/{guid}/analysis/survey.csv", params={"by": "institution"})
    assert csv.status_code == 200 and "York" not in csv.text and "Smaller groups" in csv.text


def test_quote_decisions_the_quotes_workbook_and_case_studies(site: Site) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    guid, ceiling = site.world.guid, _ceiling(site)
    with site.web.db.session() as s:  # four more like P01: five share their attribution (k = 5)
        for n in range(4, 8):
            row = service.save_case(
                s,
                guid,
                CaseIn(pseudonym=f"P0{n}", participant_type=P01_TYPE, institution="10007792"),
                actor=OWNER,
            )
            service.record_consent(
                s, guid, row.id, may_quote=True, may_archive=True, may_name=False, actor=OWNER
            )
    owner, csrf = site.client(OWNER)
    quotes = owner.get(f"/api/research/{guid}/analysis/quotes").json()
    mine = next(q for q in quotes["quotes"] if q["coding_id"] == ceiling)
    assert mine["verdict"] == "safe" and mine["speaker"] == "P01" and quotes["k"] == 5
    assert all(q["speaker"] != "P03" for q in quotes["quotes"])  # no consent: never listed

    bad = owner.post(
        f"/research/{guid}/analysis/quotes/{ceiling}/decision",
        data={"csrf_token": csrf, "decision": "coarsen", "field": ["institution"], "value": ["10007798"]},
    )
    assert bad.status_code == 422 and "does not describe" in bad.text
    done = owner.post(
        f"/research/{guid}/analysis/quotes/{ceiling}/decision",
        data={
            "csrf_token": csrf,
            "decision": "publish",
            "field": ["participant_type", "institution"],
            "value": [P01_TYPE, "10007792"],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    viewer, vcsrf = site.client(VIEWER)
    assert viewer.get(f"/research/{guid}/analysis/quotes.xlsx").status_code == 403
    refused = viewer.post(
        f"/api/research/{guid}/analysis/quotes/{ceiling}/decision",
        json={"decision": "block"},
        headers={"X-CSRF-Token": vcsrf},
    )
    assert refused.status_code == 403

    workbook = owner.get(f"/research/{guid}/analysis/quotes.xlsx")
    assert workbook.status_code == 200 and "attachment" in workbook.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:4] == ["quote", "speaker", "may be named", "attribution"]
    assert cells[1][:2] == [CEILING, "P01"] and cells[1][3] == f"{P01_TYPE}, 10007792"
    with site.web.db.session() as s:
        exported = s.scalars(select(AuditEvent).where(AuditEvent.action == events.EXPORT)).all()
        assert [e.payload["format"] for e in exported] == ["xlsx"] and exported[0].actor == OWNER

    made = owner.post(
        f"/research/{guid}/case-studies",
        data={
            "csrf_token": csrf,
            "title": "A head of technical services",
            "ukprn": site.web.own,
            "quotes": [str(ceiling)],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text[:500]
    page_url = made.headers["location"].split("?")[0]
    shown = viewer.get("/api" + page_url).json()
    assert shown["quotes"][0]["text"] == CEILING and shown["flagged"] == 0 and not shown["can_edit"]
    assert shown["provider"]  # the provider's name, from the providers list

    with site.web.db.session() as s:  # P01 withdraws consent to be quoted
        service.record_consent(
            s, guid, site.world.cases[0], may_quote=False, may_archive=True, may_name=False, actor=OWNER
        )
    flagged = viewer.get(page_url)
    assert flagged.status_code == 200 and "Flagged" in flagged.text and "withdrawn consent" in flagged.text
    assert viewer.get(f"/api/research/{guid}/case-studies").json()["case_studies"][0]["flagged"] == 1
    csv = owner.get(f"/research/{guid}/analysis/quotes.csv")
    assert csv.status_code == 200 and CEILING not in csv.text and csv.text.startswith("quote,speaker")


def test_an_outsider_gets_not_found_on_every_analysis_route(site: Site) -> None:
    c, csrf = site.client(OUTSIDER)
    for (method, template), _kind in sorted(ROUTES.items()):
        path = template.replace("{study}", site.world.guid).replace("{coding_id}", "1")
        path = path.replace("{case_study}", "00000000-0000-4000-8000-000000000000")
        response = c.request(method, path, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Strategic technical leadership" not in response.text


def test_every_analysis_page_renders_for_each_right(site: Site) -> None:
    from techforce.present import charts

    guid = site.world.guid
    for who in (OWNER, CODER_A, VIEWER):
        c, _ = site.client(who)
        for name in ("matrix", "frequencies", "cooccurrence", "survey", "quotes"):
            page = c.get(f"/research/{guid}/analysis/{name}")
            assert page.status_code == 200, (who, name, page.text[:300])
            assert "<script>" not in page.text and 'aria-current="page"' in page.text
            for chart in c.get(f"/api/research/{guid}/analysis/{name}").json()["charts"]:
                assert "<svg" in charts.to_svg(chart["spec"])  # a valid Vega-Lite spec
        listing = c.get(f"/research/{guid}/case-studies")
        assert listing.status_code == 200
        assert ("New case study" in listing.text) == (who == OWNER)
        quotes = c.get(f"/research/{guid}/analysis/quotes").text
        assert ("Block</button>" in quotes) == (who == OWNER)
        assert ("Download XLSX" in quotes) == (who == OWNER)


@pytest.mark.parametrize(
    ("name", "params", "status"),
    [
        ("matrix", {"layer": "coder:<script>"}, 404),
        ("matrix", {"only": "nope=1"}, 422),
        ("frequencies", {"by": "'; DROP TABLE research_case; --"}, 422),
        ("survey", {"item": "nope"}, 422),
        ("survey", {"counts": "all"}, 422),
        ("quotes", {"attribution": ["<b>nope</b>"]}, 422),
    ],
)
def test_bad_choices_are_refused_with_the_reason(
    site: Site, name: str, params: dict[str, str | list[str]], status: int
) -> None:
    c, _ = site.client(OWNER)
    response = c.get(f"/api/research/{site.world.guid}/analysis/{name}", params=params)
    assert response.status_code == status, response.text[:300]
    page = c.get(f"/research/{site.world.guid}/analysis/{name}", params=params)
    assert page.status_code == status and "<b>nope</b>" not in page.text and "<script>" not in page.text
