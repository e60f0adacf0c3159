"""A provider's Technician Commitment self-assessment pack, as HTML, PDF and DOCX.

The pack is assembled from typed data (the dataclasses below), which the strategy service
fills from stored evidence with its current values, so nothing is re-keyed. This module reads
no database and fetches nothing: the PDF is laid out offline (every URL refused) and charts
arrive ready-made (SVG for HTML and PDF, PNG for Word).

Everything people typed (narratives, objectives, notes) is treated as untrusted: HTML
autoescapes it, and characters XML cannot hold (control characters) are dropped so a Word
file is always produced. The DOCX has real headings and tables, no text boxes, because
reviewers edit it."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from docx.table import Table
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from techforce.errors import Invalid

EVIDENCE_KINDS = ("indicator", "programme", "resource", "file")
RECOMMENDATION_STATUSES = ("not-started", "pledged", "in-progress", "done")


@dataclass(frozen=True)
class Evidence:
    """One linked evidence item with its current value, e.g. an indicator's figure for a year."""

    kind: str  # indicator | programme | resource | file
    label: str
    value: str  # the display value, e.g. "27%" or "Yes"
    as_of: str  # e.g. "2023/24" or a date
    definition: str
    source: str  # a URL path or a file name


@dataclass(frozen=True)
class RecommendationStatus:
    """Where the provider stands on one recommendation of a set."""

    set_title: str
    code: str
    title: str
    status: str  # not-started | pledged | in-progress | done
    note: str = ""


@dataclass(frozen=True)
class PillarSection:
    """The self-assessment for one Technician Commitment pillar."""

    pillar: str
    label: str
    narrative: str
    maturity: int  # 0 (not yet rated) to 4
    maturity_label: str
    evidence: list[Evidence] = field(default_factory=list)
    recommendations: list[RecommendationStatus] = field(default_factory=list)


@dataclass(frozen=True)
class Milestone:
    """A supporting action or output of an action, with its due date."""

    title: str
    due: str
    done: bool


@dataclass(frozen=True)
class ActionRow:
    """One row of the action plan."""

    ref: str
    objective: str
    pillar_label: str
    owner: str
    deadline: str
    status: str
    progress: int  # 0-100
    milestones: list[Milestone] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    """A chart rendered by vl-convert: SVG for HTML and PDF, PNG for Word, with alt text."""

    title: str
    svg: str
    png: bytes
    alt: str


@dataclass(frozen=True)
class Pack:
    """Everything the pack shows, for one provider and stage."""

    provider: str
    ukprn: str
    stage_label: str
    signed: str
    generated: str
    definition: str  # the workforce definition stamped on figures
    disclosure_note: str
    pillars: list[PillarSection] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    stage: str = ""  # the stage's code (records.STAGES), for file names


# Characters XML 1.0 cannot hold (C0 controls but tab, newline and return; lone surrogates;
# U+FFFE and U+FFFF): lxml refuses them, so one pasted from a spreadsheet would stop a DOCX.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SVG_REFUSED = re.compile(r"<\s*(script|foreignobject|iframe|object|embed)\b|\son\w+\s*=|javascript:", re.I)


def clean(text: str) -> str:
    """``text`` without the characters XML cannot hold; everything else is kept as typed."""
    return _XML_ILLEGAL.sub("", text)


def paragraphs(text: str) -> list[str]:
    """``text`` split into paragraphs at blank lines (single newlines stay within one)."""
    return [p.strip() for p in re.split(r"\n\s*\n", clean(text).replace("\r\n", "\n")) if p.strip()]


def status_label(status: str) -> str:
    """A status code as people read it: "in-progress" is "In progress"."""
    text = clean(status).replace("-", " ").strip()
    return text[:1].upper() + text[1:]


NOT_RATED = "Not yet rated"


def maturity_line(section: PillarSection) -> str:
    """The maturity as the pack prints it: "Maturity: 3 of 4 (Established ...)", or
    "Maturity: Not yet rated" for 0 (a rating nobody has given is not a score of nought)."""
    if section.maturity == 0:
        return f"Maturity: {NOT_RATED}"
    label = clean(section.maturity_label)
    return f"Maturity: {section.maturity} of 4" + (f" ({label})" if label else "")


def _css_string(text: str) -> Markup:
    """``text`` safe inside a quoted CSS string in a <style> element: anything but letters,
    digits, spaces and plain punctuation is a CSS hex escape (so no quote, backslash or
    "</style" can end the string or the element)."""
    out = [
        ch if (ch.isalnum() and ch.isascii()) or ch in " .,-_()/:" else f"\\{ord(ch):06x}"
        for ch in clean(text)
    ]
    return Markup("".join(out))  # noqa: S704 (every character outside a safe set is escaped)


def _check(pack: Pack) -> None:
    """Refuse a pack whose structured fields are out of range, naming where and the fix."""
    problems: list[str] = []
    for s in pack.pillars:
        if not 0 <= s.maturity <= 4:
            problems.append(f"pillar {s.pillar}: maturity {s.maturity} is not 0 (not yet rated) to 4")
        problems += [
            f"pillar {s.pillar}: recommendation {r.code} status {r.status!r} is not one of "
            f"{', '.join(RECOMMENDATION_STATUSES)}"
            for r in s.recommendations
            if r.status not in RECOMMENDATION_STATUSES
        ]
    for a in pack.actions:
        if not 0 <= a.progress <= 100:
            problems.append(f"action {a.ref}: progress {a.progress}% is not 0 to 100")
    for c in pack.charts:
        if not c.svg.lstrip().startswith(("<svg", "<?xml")) or _SVG_REFUSED.search(c.svg):
            problems.append(f"chart {c.title!r}: the SVG is not a plain vl-convert drawing; render it again")
    if problems:
        raise Invalid("The pack cannot be made: " + "; ".join(problems), problems)


def _finalize(value: Any) -> Any:
    """Every {{ value }} in the template loses XML-illegal characters before it is escaped."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


_ENV = Environment(
    loader=PackageLoader("techforce.strategy", "pack_templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
    finalize=_finalize,
)
_ENV.filters.update(
    paragraphs=paragraphs, status_label=status_label, css_string=_css_string, maturity_line=maturity_line
)


def to_html(pack: Pack) -> str:
    """The pack as one self-contained HTML page with a print stylesheet; charts inline as SVG."""
    _check(pack)
    # The SVG is vl-convert's drawing (trusted, and checked in _check); nothing else is marked safe.
    charts = [{"title": c.title, "alt": c.alt, "svg": Markup(c.svg)} for c in pack.charts]  # noqa: S704
    return _ENV.get_template("pack.html.j2").render(pack=pack, charts=charts)


def _weasyprint() -> tuple[Any, Any]:
    with warnings.catch_warnings():
        # WeasyPrint warns at import when the system lacks HarfBuzz-Subset; fonts still embed.
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint import HTML  # type: ignore[import-untyped]
        from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]
    return HTML, URLFetcher


def offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL (http, file, data, anything): the pack
    is laid out offline, so a link someone typed is never requested. The URLs it was asked
    for are listed in its ``refused`` attribute."""
    _, url_fetcher = _weasyprint()

    class Offline(url_fetcher):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=[], allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            self.refused.append(url)
            raise ValueError(f"the self-assessment pack is rendered offline; {url[:200]} was not fetched")

    return Offline()


def html_to_pdf(html: str, *, fetcher: Any = None) -> bytes:
    """``html`` laid out as PDF by WeasyPrint, offline (``fetcher`` defaults to a fresh
    offline_fetcher())."""
    weasy_html, _ = _weasyprint()
    document = weasy_html(string=html, url_fetcher=fetcher or offline_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf


def to_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes, laid out from to_html() with no network or file access."""
    return html_to_pdf(to_html(pack))


def _header_row(table: Table) -> None:
    """Mark the first row as a header that repeats on every page Word breaks the table over."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)
    for cell in table.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True


def _table(doc: Document, headers: list[str], rows: list[list[str]]) -> Table:
    """A real Word table (Table Grid style) with a bold repeating header row."""
    table: Table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0].add_run(text)
    for row in rows:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]
        for cell, text in zip(cells, row, strict=True):
            lines = clean(text).split("\n")
            cell.paragraphs[0].add_run(lines[0])
            for line in lines[1:]:
                cell.add_paragraph(line)
    _header_row(table)
    return table


def _docx_pillar(doc: Document, s: PillarSection) -> None:
    doc.add_heading(clean(s.label), level=1)
    for para in paragraphs(s.narrative):
        doc.add_paragraph(para)
    doc.add_paragraph().add_run(maturity_line(s)).bold = True
    if s.evidence:
        doc.add_heading("Evidence", level=2)
        rows = [[e.label, e.kind, e.value, e.as_of, e.definition, e.source] for e in s.evidence]
        _table(doc, ["Evidence", "Kind", "Value", "As of", "Definition", "Source"], rows)
    if s.recommendations:
        doc.add_heading("Recommendations", level=2)
        recs = [[r.set_title, r.code, r.title, status_label(r.status), r.note] for r in s.recommendations]
        _table(doc, ["Set", "Code", "Recommendation", "Status", "Note"], recs)


def _supporting(a: ActionRow) -> str:
    """The "supporting actions / outputs" cell: milestones, then linked recommendations and evidence."""
    lines = [f"{'Done' if m.done else 'To do'}: {m.title} (due {m.due})" for m in a.milestones]
    if a.recommendations:
        lines.append("Recommendations: " + "; ".join(a.recommendations))
    if a.evidence:
        lines.append("Evidence: " + "; ".join(f"{e.label}: {e.value} ({e.as_of})" for e in a.evidence))
    return "\n".join(lines)


def _docx_actions(doc: Document, actions: list[ActionRow]) -> None:
    doc.add_heading("Action plan", level=1)
    headers = [
        "Ref",
        "Objective",
        "Pillar",
        "Owner",
        "Deadline",
        "Supporting actions / milestones",
        "Status",
        "%",
    ]
    rows = [
        [
            a.ref,
            a.objective,
            a.pillar_label,
            a.owner,
            a.deadline,
            _supporting(a),
            status_label(a.status),
            f"{a.progress}%",
        ]
        for a in actions
    ]
    _table(doc, headers, rows)


def _docx_chart(doc: Document, c: Chart) -> None:
    """The chart's PNG as an inline picture whose alt text (title and description) is set."""
    run = doc.add_paragraph().add_run()
    shape = run.add_picture(io.BytesIO(c.png), width=Inches(6.2))
    doc_pr = shape._inline.docPr
    doc_pr.set("title", clean(c.title))
    doc_pr.set("descr", clean(c.alt))
    caption = doc.add_paragraph(clean(c.title))
    caption.runs[0].italic = True


def to_docx(pack: Pack) -> bytes:
    """The pack as a Word document: a heading per pillar with its narrative, maturity line,
    evidence and recommendation tables; the action plan as one table; the charts as PNG
    pictures with alt text. Text is written as typed, without characters XML cannot hold."""
    _check(pack)
    doc = docx.Document()
    doc.core_properties.title = clean(f"Technician Commitment self-assessment: {pack.provider}")
    normal = doc.styles["Normal"].font
    normal.size = Pt(10)
    doc.add_heading("Technician Commitment self-assessment", level=0)
    doc.add_paragraph(clean(f"{pack.provider} (UKPRN {pack.ukprn}) · {pack.stage_label}"))
    doc.add_paragraph(clean(f"Signed {pack.signed} · generated {pack.generated}"))
    doc.add_paragraph(clean(f"Workforce figures use this definition: {pack.definition}"))
    if pack.disclosure_note:
        doc.add_paragraph(clean(pack.disclosure_note))
    for section in pack.pillars:
        _docx_pillar(doc, section)
    if pack.actions:
        _docx_actions(doc, pack.actions)
    if pack.charts:
        doc.add_heading("Charts", level=1)
        for chart in pack.charts:
            _docx_chart(doc, chart)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
