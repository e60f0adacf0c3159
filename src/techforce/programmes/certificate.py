"""A one-page PDF certificate of attendance for a booking: who, which programme and cohort,
when, the sessions they were present at, the issuer, and (when one is issued) the credential
id and where to check it. Rendered by WeasyPrint from an autoescaped HTML string, offline:
the page loads nothing (every URL fetch is refused), so it looks the same everywhere."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from typing import Any

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import object_session

from techforce import errors
from techforce.programmes.credentials import verify_url
from techforce.programmes.models import Attendance, Booking, Credential, Session
from techforce.settings import Settings

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate of attendance: {{ name }}</title>
<style>
@page { size: A4 landscape; margin: 16mm; }
body { font-family: "DejaVu Serif", serif; color: #1b1b1b; margin: 0; }
.frame { border: 3px double #2f4858; padding: 12mm 16mm; height: 150mm; position: relative; }
h1 { font-size: 28pt; font-weight: normal; letter-spacing: 0.04em; margin: 0 0 6mm; text-align: center; }
.lead { text-align: center; font-size: 12pt; margin: 2mm 0; }
.name { text-align: center; font-size: 24pt; font-weight: bold; margin: 4mm 0; }
.programme { text-align: center; font-size: 17pt; margin: 3mm 0; }
.facts { margin: 6mm auto 0; font-size: 10.5pt; border-collapse: collapse; }
.facts th { text-align: right; font-weight: normal; color: #555; padding: 1mm 4mm 1mm 0; vertical-align: top; }
.facts td { padding: 1mm 0; }
.sessions { font-size: 9pt; color: #333; }
.foot { position: absolute; bottom: 8mm; left: 16mm; right: 16mm; font-size: 8.5pt; color: #444;
        border-top: 1px solid #aaa; padding-top: 2mm; }
</style></head>
<body><div class="frame">
<h1>Certificate of attendance</h1>
<p class="lead">{{ issuer }} certifies that</p>
<p class="name">{{ name }}</p>
<p class="lead">{{ "completed" if completed else "attended" }}</p>
<p class="programme">{{ title }}</p>
<table class="facts">
<tr><th>Cohort</th><td>{{ cohort }}</td></tr>
<tr><th>Dates</th><td>{{ dates }}</td></tr>
<tr><th>Sessions attended</th><td>{{ present }} of {{ total }}
{%- if listed %}<div class="sessions">{% for s in listed %}{{ s }}{% if not loop.last %}; {% endif %}{% endfor %}</div>{% endif %}</td></tr>
{%- if completed_on %}<tr><th>Completed</th><td>{{ completed_on }}</td></tr>{% endif %}
</table>
<div class="foot">
Issued by {{ issuer }} on {{ today }}.
{% if credential %}Open Badges credential {{ credential }}: check it at {{ verify }}{% else %}No digital credential has been issued for this attendance.{% endif %}
</div>
</div></body></html>
"""

_ENV = Environment(autoescape=True)  # every value is escaped: names and titles are user text
_TEMPLATE = _ENV.from_string(_PAGE)
MAX_LISTED = 12  # sessions listed by name; more are only counted, to keep one page


def _day(day: date | datetime) -> str:
    return f"{day.day} {day:%B %Y}"


def _context(booking: Booking, settings: Settings) -> dict[str, Any]:
    db = object_session(booking)
    if db is None:
        raise ValueError("certificate_pdf needs a booking from an open database session")
    cohort = booking.cohort
    present = list(
        db.scalars(
            select(Session)
            .join(Attendance, Attendance.session_id == Session.id)
            .where(Attendance.booking_id == booking.id, Attendance.status == "present")
            .order_by(Session.starts_at)
        )
    )
    if booking.status != "confirmed" or not present:
        raise errors.Refused(
            f"booking {booking.id} ({booking.participant.name}, {cohort.programme.title}) has no session "
            "marked present: a certificate of attendance needs attendance recorded on the register first"
        )
    credential = db.scalar(
        select(Credential.id).where(Credential.booking_id == booking.id, Credential.revoked_at.is_(None))
    )
    dates = _day(cohort.starts_on)
    if cohort.ends_on != cohort.starts_on:
        dates = f"{dates} to {_day(cohort.ends_on)}"
    return {
        "name": booking.participant.name,
        "title": cohort.programme.title,
        "cohort": cohort.name,
        "dates": dates,
        "present": len(present),
        "total": len(cohort.sessions),
        "listed": [f"{s.title} ({_day(s.starts_at)})" for s in present] if len(present) <= MAX_LISTED else [],
        "completed": booking.completed_at is not None,
        "completed_on": _day(booking.completed_at) if booking.completed_at else "",
        "issuer": settings.issuer_name,
        "today": _day(datetime.now(UTC)),
        "credential": credential or "",
        "verify": verify_url(settings),
    }


def certificate_html(booking: Booking, settings: Settings) -> str:
    """The certificate as a self-contained HTML page (what the PDF is rendered from)."""
    return _TEMPLATE.render(**_context(booking, settings))


def _document(html: str) -> Any:
    """WeasyPrint's document for ``html``, laid out offline: every URL fetch is refused."""
    with warnings.catch_warnings():
        # WeasyPrint warns at import when the system lacks HarfBuzz-Subset; fonts still embed.
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint import HTML  # type: ignore[import-untyped]
        from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=[])).render()


def pages(html: str) -> int:
    """How many pages ``html`` lays out to (a certificate keeps to one)."""
    return len(_document(html).pages)


def certificate_pdf(booking: Booking, settings: Settings) -> bytes:
    """The certificate of attendance for ``booking`` as PDF bytes. The booking must come from
    an open session (its attendance and credential are read through it). A booking with no
    session marked present is errors.Refused."""
    pdf: bytes = _document(certificate_html(booking, settings)).write_pdf()
    return pdf
