"""The self-assessment pack as a reviewer receives it: the PDF (read back with pdftotext) and the
Word file (read back with python-docx) carry the evidence values they cite, the narrative and
the action plan; text people typed is escaped, never breaks the Word file, and never makes the
PDF fetch anything."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import docx
import pytest
import vl_convert as vlc

from techforce.errors import Invalid
from techforce.present import charts
from techforce.strategy import pack as packs
from techforce.strategy.pack import (
    ActionRow,
    Chart,
    Evidence,
    Milestone,
    Pack,
    PillarSection,
    RecommendationStatus,
)

NARRATIVE = (
    "We appointed a Head of Technical Services in 2023.\n\nTechnicians now sit on the research committee."
)


def _chart() -> Chart:
    rows = [
        {"year": "2021/22", "share": 21.0, "shown": "21%"},
        {"year": "2022/23", "share": 24.5, "shown": "24.5%"},
        {"year": "2023/24", "share": 27.5, "shown": "27.5%"},
    ]
    spec = charts.bar(
        rows,
        x="year",
        y="share",
        title="Women in technical leadership",
        unit="%",
        order=[str(r["year"]) for r in rows],
    )
    return Chart(
        title="Women in technical leadership",
        svg=vlc.vegalite_to_svg(spec),
        png=vlc.vegalite_to_png(spec, scale=1),
        alt="Bar chart: women's share of technical leadership rose from 21% in 2021/22 to 27.5% in 2023/24.",
    )


@pytest.fixture(scope="module")
def chart() -> Chart:
    return _chart()


def _pack(
    chart: Chart, narrative: str = NARRATIVE, objective: str = "Publish a technician career framework"
) -> Pack:
    leader = Evidence(
        kind="indicator",
        label="Has a strategic technical leader",
        value="Yes",
        as_of="2023/24",
        definition="HESA SOC 311/312/313 and 3111-3119",
        source="/providers/10007799/indicators/strategic-leader",
    )
    women = Evidence(
        kind="indicator",
        label="Women's share of technical leadership",
        value="27.5%",
        as_of="2023/24",
        definition="HESA SOC 311/312/313 and 3111-3119",
        source="/providers/10007799/indicators/women-leadership",
    )
    herschel = Evidence(
        "programme", "Herschel programme completers", "14", "2024", "Completers", "/programmes/herschel"
    )
    framework = Evidence(
        "file", "Career framework draft", "v2", "2024-11-02", "Uploaded file", "career-framework.docx"
    )
    pillars = [
        PillarSection(
            pillar="visibility",
            label="Visibility",
            narrative=narrative,
            maturity=3,
            maturity_label="Embedded",
            evidence=[leader, women],
            recommendations=[
                RecommendationStatus(
                    "Strategic Technical Leadership", "STL-1", "Appoint a Senior Strategic Lead", "done"
                ),
                RecommendationStatus(
                    "TALENT Commission",
                    "TC-4",
                    "Technicians on decision-making committees",
                    "in-progress",
                    "Research committee seat",
                ),
            ],
        ),
        PillarSection(
            pillar="career-development",
            label="Career development",
            narrative="Protected learning time is being piloted.",
            maturity=2,
            maturity_label="Developing",
            evidence=[herschel],
            recommendations=[
                RecommendationStatus("TALENT Commission", "TC-9", "Protected learning time", "pledged")
            ],
        ),
    ]
    actions = [
        ActionRow(
            ref="A1",
            objective=objective,
            pillar_label="Career development",
            owner="Head of Technical Services",
            deadline="2025-07-31",
            status="in-progress",
            progress=60,
            milestones=[
                Milestone("Consult technicians", "2025-01-31", True),
                Milestone("Board approval", "2025-06-30", False),
            ],
            recommendations=["TC-9"],
            evidence=[framework],
        ),
        ActionRow(
            "A2",
            "Report technical workforce data yearly",
            "Visibility",
            "Planning office",
            "2025-12-31",
            "not-started",
            0,
        ),
    ]
    return Pack(
        provider="University of Testshire",
        ukprn="10007799",
        stage_label="Stage 2",
        signed="2021-03-15",
        generated="2026-12-03",
        definition="Technical staff: HESA SOC 311/312/313 and 3111-3119",
        disclosure_note="Counts are rounded to the nearest 5; percentages of fewer than 22.5 people are not shown.",
        pillars=pillars,
        actions=actions,
        charts=[chart],
    )


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text with whitespace collapsed (table cells wrap): pdftotext where poppler is
    installed, else pypdf."""
    if shutil.which("pdftotext"):
        raw = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
    else:  # pragma: no cover - poppler-utils missing
        import pypdf

        raw = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", raw)


def _docx_tables(data: bytes) -> list[list[list[str]]]:
    doc = docx.Document(io.BytesIO(data))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


# HTML


def test_html_shows_the_evidence_with_charts_inline_and_a_print_stylesheet(chart: Chart) -> None:
    html = packs.to_html(_pack(chart))
    assert "@page" in html and "counter(page)" in html
    assert html.count("<svg") == 1 and "<img" not in html  # the chart is inline, nothing to fetch
    for text in (
        "Has a strategic technical leader",
        "27.5%",
        "2023/24",
        "Embedded",
        "Head of Technical Services",
    ):
        assert text in html
    assert "<p>We appointed a Head of Technical Services in 2023.</p>" in html  # blank lines make paragraphs
    assert "In progress" in html and "60%" in html


def test_html_escapes_everything_people_typed(chart: Chart) -> None:
    evil = '<script>alert(1)</script> <img src="http://attacker.example/x.png"> =HYPERLINK("x")'
    p = replace(
        _pack(chart, narrative=evil, objective=evil),
        provider='Evil" } body { display: none } </style><script>',
    )
    html = packs.to_html(p)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=HYPERLINK(&#34;x&#34;)" in html  # formula-like text is shown as typed
    # the provider's name in the page footer is a CSS string: its quote and brackets are escaped
    style = html.split("</style>")[0]
    assert "Evil\\000022 " in style and "</style><script>" not in style


# PDF


def test_pdf_text_contains_the_evidence_values_and_the_narrative(chart: Chart) -> None:
    pdf = packs.to_pdf(_pack(chart))
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    for value in (
        "27.5%",
        "2023/24",
        "Has a strategic technical leader",
        "Herschel programme completers",
        "14",
    ):
        assert value in text
    assert "We appointed a Head of Technical Services in 2023." in text
    assert "Technicians now sit on the research committee." in text
    assert "Maturity: 3 of 4 (Embedded)" in text
    assert "Publish a technician career framework" in text and "60%" in text
    assert "Women in technical leadership" in text  # the chart's own text, drawn from the SVG


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request made to it."""
    hits: list[str] = []
    handler = type("Handler", (_Counter,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_pdf_fetches_nothing_a_narrative_points_at(chart: Chart, server: tuple[str, list[str]]) -> None:
    url, hits = server
    narrative = f'<img src="{url}/tracker.png"> <link rel="stylesheet" href="{url}/evil.css"> See the plan.'
    text = _pdf_text(packs.to_pdf(_pack(chart, narrative=narrative)))
    assert hits == []
    assert "tracker.png" in text  # shown as text, not fetched


def test_the_offline_fetcher_refuses_every_url_even_in_raw_html(server: tuple[str, list[str]]) -> None:
    url, hits = server
    html = (
        f'<html><head><link rel="stylesheet" href="{url}/a.css"></head>'
        f'<body><img src="{url}/b.png"><img src="file:///etc/hostname"><p>offline</p></body></html>'
    )
    fetcher = packs.offline_fetcher()
    pdf = packs.html_to_pdf(html, fetcher=fetcher)
    assert "offline" in _pdf_text(pdf)
    assert sorted(fetcher.refused) == sorted([f"{url}/a.css", f"{url}/b.png", "file:///etc/hostname"])
    assert hits == []
    with pytest.raises(ValueError, match="rendered offline"):
        fetcher(f"{url}/c.png")
    assert hits == []
    # the server does record requests: WeasyPrint's own fetcher, used directly, reaches it
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    with pytest.raises(Exception, match="404"):  # urllib's HTTPError
        URLFetcher()(f"{url}/d.png")
    assert hits == ["/d.png"]


# DOCX


def test_docx_has_real_headings_tables_with_the_values_and_the_charts(chart: Chart) -> None:
    data = packs.to_docx(_pack(chart))
    doc = docx.Document(io.BytesIO(data))
    headings = [
        (p.style.name, p.text)
        for p in doc.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", "Visibility") in headings and ("Heading 1", "Career development") in headings
    assert ("Heading 1", "Action plan") in headings and ("Heading 2", "Evidence") in headings
    texts = [p.text for p in doc.paragraphs]
    assert "We appointed a Head of Technical Services in 2023." in texts
    assert "Maturity: 3 of 4 (Embedded)" in texts

    evidence, recs, _, _, plan = _docx_tables(data)
    assert evidence[0] == ["Evidence", "Kind", "Value", "As of", "Definition", "Source"]
    assert evidence[1][:4] == ["Has a strategic technical leader", "indicator", "Yes", "2023/24"]
    assert evidence[2][:4] == ["Women's share of technical leadership", "indicator", "27.5%", "2023/24"]
    assert recs[1][1:4] == ["STL-1", "Appoint a Senior Strategic Lead", "Done"]
    assert recs[2][3:] == ["In progress", "Research committee seat"]
    assert plan[0] == [
        "Ref",
        "Objective",
        "Pillar",
        "Owner",
        "Deadline",
        "Supporting actions / milestones",
        "Status",
        "%",
    ]
    a1 = plan[1]
    assert a1[:5] == [
        "A1",
        "Publish a technician career framework",
        "Career development",
        "Head of Technical Services",
        "2025-07-31",
    ]
    assert "Done: Consult technicians (due 2025-01-31)" in a1[5] and "To do: Board approval" in a1[5]
    assert "Career framework draft: v2 (2024-11-02)" in a1[5]
    assert a1[6:] == ["In progress", "60%"]
    assert plan[2][6:] == ["Not started", "0%"]

    assert len(doc.inline_shapes) == 1
    doc_pr = doc.inline_shapes[0]._inline.docPr
    assert doc_pr.get("descr") == chart.alt and doc_pr.get("title") == chart.title
    assert not doc.element.body.xpath(".//w:txbxContent")  # no text boxes: reviewers edit it


def test_docx_survives_control_characters_and_keeps_markup_as_text(chart: Chart) -> None:
    narrative = "Line\x01 one\x0b with\x1f controls \ufffe<script>alert(1)</script>\x00"
    data = packs.to_docx(_pack(chart, narrative=narrative, objective="=CMD()\x02|x"))
    doc = docx.Document(io.BytesIO(data))
    assert "Line one with controls <script>alert(1)</script>" in [p.text for p in doc.paragraphs]
    assert _docx_tables(data)[4][1][1] == "=CMD()|x"
    # the same text still makes HTML and PDF
    assert "Line one" in _pdf_text(packs.to_pdf(_pack(chart, narrative=narrative)))


def test_an_empty_pack_still_renders_in_every_format() -> None:
    empty = Pack("P", "1", "First submission", "2025-01-01", "2026-12-03", "Technical staff", "")
    assert "Technician Commitment self-assessment" in packs.to_html(empty)
    assert packs.to_pdf(empty).startswith(b"%PDF")
    assert docx.Document(io.BytesIO(packs.to_docx(empty))).tables == []


# Refusals


def test_out_of_range_fields_and_unsafe_svg_are_refused_with_where_and_what(chart: Chart) -> None:
    good = _pack(chart)
    bad_pillar = replace(good.pillars[0], maturity=5)
    with pytest.raises(Invalid, match=r"pillar visibility: maturity 5 is not 0 \(not yet rated\) to 4"):
        packs.to_html(replace(good, pillars=[bad_pillar]))
    with pytest.raises(Invalid, match="action A1: progress 140% is not 0 to 100"):
        packs.to_docx(replace(good, actions=[replace(good.actions[0], progress=140)]))
    bad_rec = replace(good.pillars[0], recommendations=[RecommendationStatus("S", "X-1", "T", "finished")])
    with pytest.raises(Invalid, match="recommendation X-1 status 'finished' is not one of"):
        packs.to_pdf(replace(good, pillars=[bad_rec]))
    scripted = replace(chart, svg=chart.svg.replace("</svg>", "<script>alert(1)</script></svg>"))
    with pytest.raises(Invalid, match="not a plain vl-convert drawing"):
        packs.to_html(replace(good, charts=[scripted]))


def test_a_pillar_not_yet_rated_says_so_in_every_format(chart: Chart) -> None:
    good = _pack(chart)
    unrated = replace(good, pillars=[replace(good.pillars[0], maturity=0, maturity_label="")])
    assert "Maturity: Not yet rated" in packs.to_html(unrated)
    assert "0 of 4" not in packs.to_html(unrated)
    assert "Maturity: Not yet rated" in _pdf_text(packs.to_pdf(unrated))
    document = docx.Document(io.BytesIO(packs.to_docx(unrated)))
    assert "Maturity: Not yet rated" in [p.text for p in document.paragraphs]
    with pytest.raises(Invalid, match="maturity -1"):
        packs.to_html(replace(good, pillars=[replace(good.pillars[0], maturity=-1)]))
