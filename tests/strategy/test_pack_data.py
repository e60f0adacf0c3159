"""The pack assembled from a stored submission: the PDF (pdftotext) and the Word file
(python-docx) carry the live workforce values the evidence cites, computed here straight from
the indicator Computation; a resource outside the viewer's audience is never named; recommendation
statuses, pledges, the action plan, the date signed and the charts come from the store."""

from __future__ import annotations

import io
import stat
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from techforce import errors
from techforce.audit import AuditEvent
from techforce.cli.main import app
from techforce.db import Database
from techforce.programmes import service as programmes
from techforce.settings import Settings
from techforce.strategy import events, pack_data, service
from techforce.workforce.service import Workforce

from .conftest import StrategyWorld
from .test_evidence import LOU, PRIVATE, PUBLIC, add_resources, expected, load_staff
from .test_pack import _pdf_text

STAGE = "first-submission"
LEE = frozenset({"public", "signed-in", "role:provider-lead", "provider:10000001"})
runner = CliRunner()
CITED = ("tech.aged_55_plus", "tech.headcount", "tech.women_in_leadership")


def _write_submission(db: Database, ukprn: str) -> None:
    """Provider A's first self-assessment: a signed date, a pledge, statuses, narratives (one
    pillar not yet rated), evidence on pillars and on an action."""
    with db.session() as s:
        service.sign(s, ukprn, date(2024, 3, 1), "lee")
        stl1 = service.find_recommendation(s, "stl-2024/STL-1")
        tc1 = service.find_recommendation(s, "talent-commission-2022/TC-1")
        stl3 = service.find_recommendation(s, "stl-2024/STL-3")
        service.pledge(s, ukprn, stl3.id, "in-progress", "lee")
        sub = service.submission(s, ukprn, STAGE, "lee")
        service.save_pillar(
            s, sub, "visibility", "lee", narrative="We appointed a Head of Technical Services.", maturity=3
        )
        service.save_pillar(s, sub, "recognition", "lee", narrative="Awards launched.", maturity=0)
        service.set_status(s, sub, stl1.id, "done", "lee", note="Appointed 2023")
        service.set_status(s, sub, tc1.id, "in-progress", "lee")
        action = service.save_action(
            s,
            sub,
            service.ActionIn(
                objective="Publish a technician career framework",
                pillar="career-development",
                owner="lee",
                deadline=date.today() + timedelta(days=200),
                status="in-progress",
                progress=40,
                recommendations=[tc1.id],
                milestones=[service.MilestoneIn("Consult technicians", date.today() + timedelta(days=30))],
            ),
            "lee",
        )
        for ref in ("tech.aged_55_plus", "leadership.has_leader", "tech.women_in_leadership"):
            service.attach(s, sub, "indicator", ref, "lee", pillar="visibility")
        service.attach(s, sub, "resource", PUBLIC, "lee", pillar="career-development")
        service.attach(s, sub, "resource", PRIVATE, "lee", pillar="career-development")
        service.attach(s, sub, "indicator", "tech.headcount", "lee", action_id=action.id)


@pytest.fixture
def stored(settings: Settings, world: StrategyWorld, small_files: Path) -> Workforce:
    wf = load_staff(settings, world.db, small_files)
    add_resources(settings, world.db)
    _write_submission(world.db, world.a)
    return wf


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("true_values", [False, True])
def test_pdf_and_docx_carry_the_live_indicator_values_the_evidence_cites(
    stored: Workforce, world: StrategyWorld, true_values: bool
) -> None:
    wf = stored
    with world.db.session() as s:
        built = pack_data.build_pack(
            s, wf, world.a, STAGE, names=wf.names(), allowed=LEE, true_values=true_values
        )
    comp = wf.computation()
    values = {i: expected(comp, i, world.a, true_values=true_values) for i in CITED}
    pdf = _pdf_text(pack_data.render(built, "pdf")[0])
    word = _docx_text(pack_data.render(built, "docx")[0])
    html = pack_data.render(built, "html")[0].decode()
    for ind, (value, year) in values.items():
        for text in (pdf, word, html):
            assert value in text, (ind, value)
            assert year in text
    visibility = built.pillars[0]
    assert [e.value for e in visibility.evidence] == [
        values["tech.aged_55_plus"][0],
        "Yes",
        values["tech.women_in_leadership"][0],
    ]
    assert built.actions[0].evidence[0].value == values["tech.headcount"][0]
    assert comp.definition.stamp in built.definition
    assert ("true values" in built.disclosure_note) is true_values


def test_the_pack_holds_statuses_pledges_actions_signing_and_charts(
    stored: Workforce, world: StrategyWorld
) -> None:
    wf = stored
    with world.db.session() as s:
        built = pack_data.build_pack(s, wf, world.a, STAGE, names=wf.names(), allowed=LEE, true_values=False)
    assert built.signed == "2024-03-01" and built.stage == STAGE
    by_pillar = {p.pillar: p for p in built.pillars}
    visibility = by_pillar["visibility"]
    assert (visibility.maturity, visibility.maturity_label.split(":")[0]) == (3, "Established")
    assert by_pillar["recognition"].maturity == 0
    codes = {r.code: r for p in built.pillars for r in p.recommendations}
    assert codes["STL-1"].status == "done" and codes["STL-1"].note == "Appointed 2023"
    assert codes["STL-3"].status == "in-progress" and codes["STL-3"].note.startswith("Pledged ")
    assert codes["TC-1"].status == "in-progress"
    action = built.actions[0]
    assert (action.ref, action.recommendations, action.progress) == ("A1", ["TC-1"], 40)
    assert action.milestones[0].title == "Consult technicians"
    assert 2 <= len(built.charts) <= 3
    assert all(c.svg.lstrip().startswith("<svg") and c.png.startswith(b"\x89PNG") for c in built.charts)
    assert "Line chart of technical staff aged 55 and over" in built.charts[0].alt
    pdf = _pdf_text(pack_data.render(built, "pdf")[0])
    assert "Maturity: Not yet rated" in pdf and "Appoint a Senior Strategic Lead" in pdf


def test_a_resource_outside_the_viewers_audience_is_not_named_in_any_format(
    stored: Workforce, world: StrategyWorld
) -> None:
    wf = stored
    with world.db.session() as s:
        outsider = pack_data.build_pack(
            s, wf, world.a, STAGE, names=wf.names(), allowed=LOU, true_values=False
        )
        insider = pack_data.build_pack(
            s, wf, world.a, STAGE, names=wf.names(), allowed=LEE, true_values=False
        )
    for fmt in ("html", "pdf", "docx"):
        data = pack_data.render(outsider, fmt)[0]
        text = _pdf_text(data) if fmt == "pdf" else _docx_text(data) if fmt == "docx" else data.decode()
        assert "Secret restructuring plan" not in text and PRIVATE not in text
        assert "Career pathways guide" in text
        assert "a resource you cannot see" in text
    inside = _pdf_text(pack_data.render(insider, "pdf")[0])
    assert "Secret restructuring plan" in inside


def test_a_provider_without_a_submission_or_staff_data(settings: Settings, world: StrategyWorld) -> None:
    wf = Workforce(settings, world.db)
    with world.db.session() as s:
        with pytest.raises(
            errors.NotFound, match="10000002 has no First self-assessment and action plan yet"
        ):
            pack_data.build_pack(s, wf, world.b, STAGE, names={}, allowed=None, true_values=False)
        with pytest.raises(errors.Invalid, match="stage 'stage-9' is not one of"):
            pack_data.build_pack(s, wf, world.b, "stage-9", names={}, allowed=None, true_values=False)
        sub = service.submission(s, world.b, STAGE, "lou")
        service.attach(s, sub, "indicator", "tech.headcount", "lou", pillar="visibility")
    with world.db.session() as s:
        built = pack_data.build_pack(s, wf, world.b, STAGE, names={}, allowed=None, true_values=False)
    cited = built.pillars[0].evidence[0]
    assert (
        cited.value == "Not available" and "no staff return for 10000002 yet: upload one" in cited.definition
    )
    assert built.charts == [] and built.signed == "not signed yet" and built.provider == world.b
    data, media, name = pack_data.render(built, "docx")
    assert name == "self-assessment-10000002-first-submission.docx" and media.endswith("document")
    assert "upload one" in _docx_text(data)
    with pytest.raises(errors.Invalid, match="format 'odt' is not one of html, pdf, docx"):
        pack_data.render(built, "odt")


def test_programme_figures_are_hidden_from_a_viewer_without_impact(
    settings: Settings, world: StrategyWorld
) -> None:
    wf = Workforce(settings, world.db)
    with world.db.session() as s:
        programmes.save_programme(
            s,
            programmes.ProgrammeIn(slug="herschel", title="Herschel", kind="cohort", capacity=20),
            actor="t",
        )
        sub = service.submission(s, world.b, STAGE, "lou")
        service.attach(s, sub, "programme", "herschel", "lou", pillar="visibility")
    with world.db.session() as s:
        seen = pack_data.build_pack(s, wf, world.b, STAGE, names={}, allowed=None, true_values=False)
        hidden = pack_data.build_pack(
            s, wf, world.b, STAGE, names={}, allowed=None, true_values=False, impact=False
        )
    assert "completers of" in seen.pillars[0].evidence[0].value
    item = hidden.pillars[0].evidence[0]
    assert item.value == "a programme figure you cannot see" and item.label == "Herschel"
    text = _docx_text(pack_data.render(hidden, "docx")[0])
    assert "a programme figure you cannot see" in text and "completers of" not in text
    assert hidden.disclosure_note.startswith(pack_data.PUBLISHED_LINE)


# The command line


def test_cli_writes_the_pack_0600_with_true_values_and_refuses_links(
    stored: Workforce,
    world: StrategyWorld,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings.database_url:
        monkeypatch.setenv("TECHFORCE_DATABASE_URL", settings.database_url)
    base = ["--data-dir", str(settings.data_dir), "--user", "ada", "strategy", "pack"]
    out = tmp_path / "pack.docx"
    result = runner.invoke(app, [*base, world.a, "--format", "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output and stat.S_IMODE(out.stat().st_mode) == 0o600
    true_value, _ = expected(stored.computation(), "tech.aged_55_plus", world.a, true_values=True)
    assert true_value in _docx_text(out.read_bytes())
    published = tmp_path / "published.pdf"
    result = runner.invoke(app, [*base, world.a, "--published", "--out", str(published)])
    assert result.exit_code == 0, result.output
    shown, _ = expected(stored.computation(), "tech.headcount", world.a)
    assert shown in _pdf_text(published.read_bytes())
    link = tmp_path / "link.pdf"
    link.symlink_to(tmp_path / "elsewhere.pdf")
    result = runner.invoke(app, [*base, world.a, "--out", str(link)])
    assert result.exit_code == 2 and "symbolic link" in result.output
    assert not (tmp_path / "elsewhere.pdf").exists()
    result = runner.invoke(app, [*base, world.b, "--out", str(tmp_path / "b.pdf")])
    assert result.exit_code == 2 and "10000002 has no First self-assessment" in result.output
    result = runner.invoke(app, [*base, world.a, "--format", "odt"])
    assert result.exit_code == 2 and "--format 'odt' is not one of html, pdf, docx" in result.output
    with world.db.session() as s:
        logged = s.scalars(select(AuditEvent).where(AuditEvent.action == events.PACK)).all()
    assert [(e.actor, e.target) for e in logged] == [("ada", f"{world.a}:first-submission")] * 2
