"""Evidence as a reader sees it now: each linked item resolved to its current value and date.

Evidence is linked, not pasted (models.Evidence: a kind and a reference), so a self-assessment
always shows today's figures:

- ``indicator``: a workforce indicator for the provider, its latest year with data, with the
  indicator's definition and the staff definition stamped; published (disclosure-controlled)
  values unless the caller says the viewer is entitled to the true ones;
- ``programme``: the programme's starters and completers, through the programmes' disclosure
  gate, as the impact page shows them;
- ``resource``: a library resource's title and date, only if the viewer's audience may see it;
- ``file``: an uploaded file's name and size (kept content-addressed under
  ``DATA_DIR/strategy/files``).

Uploads are hostile until they pass :func:`store_upload`: a size limit, an allowed type
whose bytes match its name, and the library's checks for PDFs and Word files."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import blobs, errors
from techforce.audit import utcnow
from techforce.disclosure import RULE_SETS
from techforce.library import extract
from techforce.library.models import Audience, Resource
from techforce.programmes import impact_data, impact_sections
from techforce.programmes.models import Programme
from techforce.safe_zip import ZipLimits, open_checked, read_entry
from techforce.settings import Settings
from techforce.strategy.models import Evidence, Submission
from techforce.workforce import codes, store
from techforce.workforce.indicators import BY_ID, CATALOGUE, Computation, Indicator, Result
from techforce.workforce.service import Workforce

__all__ = [
    "MAX_UPLOAD",
    "UPLOAD_TYPES",
    "Resolved",
    "Resolver",
    "check_ref",
    "file_path",
    "indicator_choices",
    "store_upload",
]

MAX_UPLOAD = 20 * 1024 * 1024
UPLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
ALLOWED = "PDF, Word (.docx), Excel (.xlsx), CSV, plain text (.txt), PNG or JPEG"
HIDDEN = "a resource you cannot see"
PROGRAMME_HIDDEN = "a programme figure you cannot see"
YES_NO = ("leadership.has_leader",)  # a fact about the provider, shown as Yes or No


@dataclass(frozen=True)
class Resolved:
    """One evidence item as a reader sees it now. ``ok`` is False when the thing it points at
    is gone or has no data, and ``problem`` says what and the fix."""

    kind: str
    ref: str
    label: str
    value: str
    as_of: str
    definition: str
    href: str
    ok: bool = True
    problem: str = ""


def _choosable(ind: Indicator) -> bool:
    """Single-valued indicators that describe one provider (not breakdowns, not shares of providers)."""
    return ind.breakdown is None and (ind.aggregate == "sum" or ind.id in YES_NO)


def indicator_choices() -> list[tuple[str, str]]:
    """The workforce indicators that make sense as evidence: (id, title), catalogue order."""
    return [(i.id, i.title) for i in CATALOGUE if _choosable(i)]


def _near(value: str, choices: list[str]) -> str:
    near = get_close_matches(value, choices, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""


def check_ref(s: Db, wf: Workforce, kind: str, ref: str, *, allowed: frozenset[str] | None = None) -> str:
    """``ref`` checked for an evidence ``kind`` (trimmed), before service.attach links it:
    Invalid or NotFound names what is wrong and the fix. ``allowed``: the viewer's library
    audience (library.permissions.audience_of); None for a curator or the operator."""
    ref = ref.strip()
    if not ref:
        raise errors.Invalid(f"the {kind} evidence names nothing: give its reference")
    if kind == "indicator":
        ids = [i for i, _ in indicator_choices()]
        if ref not in ids:
            raise errors.Invalid(
                f"indicator {ref!r} cannot be evidence{_near(ref, ids)}: choose one of {', '.join(ids)}"
            )
    elif kind == "programme":
        slugs = list(s.scalars(select(Programme.slug)))
        if ref not in slugs:
            raise errors.NotFound(
                f"there is no programme {ref!r}{_near(ref, slugs)}: see `techforce programmes list` for slugs"
            )
    elif kind == "resource":
        if _resource(s, ref, allowed) is None:
            raise errors.NotFound(
                f"there is no library resource {ref!r} you can see: search the library for its slug"
            )
    elif kind == "file":
        if not re.fullmatch(r"[0-9a-f]{64}", ref) or not file_path(wf.settings, ref).is_file():
            raise errors.NotFound(f"there is no uploaded file {ref[:64]!r}: upload the file first")
    else:
        kinds = "indicator, programme, resource, file"
        raise errors.Invalid(f"evidence kind {kind!r} is not one of {kinds}{_near(kind, kinds.split(', '))}")
    return ref


def _resource(s: Db, slug: str, allowed: frozenset[str] | None) -> Resource | None:
    query = select(Resource).where(Resource.slug == slug)
    if allowed is not None:
        query = query.join(Audience, Audience.resource_id == Resource.id).where(Audience.who.in_(allowed))
    return s.scalars(query.limit(1)).first()


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


class Resolver:
    """Resolves the evidence of one provider for one viewer, reading each source once (the
    workforce computation, the programmes' figures) however many items cite it.

    ``allowed``: the viewer's library audience (None: sees every resource). ``true_values``:
    the viewer is entitled to the provider's true workforce figures (its own provider lead,
    or the operator); the caller decides, never this class. ``impact``: the viewer may see
    programme impact (programmes.permissions.VIEW_IMPACT); without it a programme's starters
    and completers are shown as "a programme figure you cannot see"."""

    def __init__(
        self,
        s: Db,
        wf: Workforce,
        ukprn: str,
        *,
        allowed: frozenset[str] | None,
        true_values: bool = False,
        impact: bool = True,
        today: date | None = None,
    ) -> None:
        self.s, self.wf, self.ukprn = s, wf, ukprn
        self.allowed, self.true_values, self.impact = allowed, true_values, impact
        self.today = today or date.today()
        self._comp: Computation | None = None
        self._programmes: tuple[impact_data.Data, impact_sections.Gate] | None = None

    def computation(self) -> Computation:
        if self._comp is None:
            self._comp = self.wf.computation()
        return self._comp

    def resolve(self, ev: Evidence) -> Resolved:
        """What ``ev`` shows now."""
        if ev.kind == "indicator":
            return self.indicator(ev.ref, ev.label)
        if ev.kind == "programme":
            return self.programme(ev.ref, ev.label)
        if ev.kind == "resource":
            return self.resource(ev.ref, ev.label)
        return self.file(ev)

    # ------------------------------------------------------------ indicators

    def indicator(self, ref: str, label: str = "") -> Resolved:
        ind = BY_ID.get(ref)
        href = f"/workforce/providers/{self.ukprn}"
        if ind is None:
            return _missing("indicator", ref, label, "is no longer in the catalogue: link another indicator")
        comp = self.computation()
        stamp = f"{ind.definition} Staff definition {comp.definition.stamp}."
        base = Resolved("indicator", ref, label or ind.title, "", "", stamp, href)
        if not any(u == self.ukprn for u, _ in comp.returned):
            return _broken(base, f"no staff return for {self.ukprn} yet: upload one")
        found = [
            r
            for r in comp.results(ref, self.ukprn, [self.ukprn], true_values=self.true_values)
            if r.category == "all"
        ]
        if not found:
            return _broken(
                base,
                f"the staff returns of {self.ukprn} hold no non-academic staff, so this indicator "
                "has no value: upload a return with non-academic staff",
            )
        latest = max(found, key=lambda r: r.year)
        return Resolved(
            "indicator", ref, base.label, self._shown(ind, latest), codes.year_label(latest.year), stamp, href
        )

    def _shown(self, ind: Indicator, r: Result) -> str:
        if ind.id in YES_NO:
            return ".." if r.cell.value is None else ("Yes" if float(r.cell.value) > 0 else "No")
        if self.true_values and r.raw is not None:
            return f"{r.raw:.1f}%" if ind.unit == "percent" else f"{r.raw:,.1f}".removesuffix(".0")
        return r.cell.display

    # ------------------------------------------------------------ programmes

    def _programme_data(self) -> tuple[impact_data.Data, impact_sections.Gate]:
        if self._programmes is None:
            settings = self.wf.settings
            data = impact_data.load(self.s, utcnow())
            key = store.load_or_create_key(settings.key_file)
            keys = {i: impact_data.participant_key(key, i) for i in data.people}
            self._programmes = data, impact_sections.Gate(RULE_SETS[settings.disclosure_rules], keys)
        return self._programmes

    def programme(self, slug: str, label: str = "") -> Resolved:
        if not self.impact:  # figures are not read at all for a viewer who may not see them
            title = self.s.scalar(select(Programme.title).where(Programme.slug == slug))
            if title is None:
                return _missing(
                    "programme", slug, label, "no longer exists: link another or remove this evidence"
                )
            return Resolved(
                "programme", slug, label or title, PROGRAMME_HIDDEN, "", "", f"/programmes/{slug}"
            )
        data, gate = self._programme_data()
        found = next((p for p in data.programmes.values() if p.slug == slug), None)
        if found is None:
            return _missing(
                "programme", slug, label, "no longer exists: link another or remove this evidence"
            )
        cohorts = [c for c, (pid, *_rest) in data.cohorts.items() if pid == found.id]
        places = [p for p in data.places if p.programme_id == found.id]
        row = impact_sections.headline(data, gate, places, cohorts, found.title, slug, None)
        value = (
            f"{row.completers.display} completers of {row.starters.display} starters "
            f"({row.cohorts} cohort{'s' if row.cohorts != 1 else ''})"
        )
        definition = (
            "Starters were present at one session or more; completers met the programme's completion "
            f"rule. Counts of people perturbed and rounded ({gate.rules.stamp})."
        )
        when = self.today.isoformat()
        return Resolved(
            "programme", slug, label or found.title, value, when, definition, f"/programmes/{slug}"
        )

    # ------------------------------------------------------------ library and files

    def resource(self, slug: str, label: str = "") -> Resolved:
        found = _resource(self.s, slug, self.allowed)
        if found is None:
            if _resource(self.s, slug, None) is not None:  # there, but not for this viewer
                return Resolved("resource", "", "Library resource", HIDDEN, "", "", "")
            return _missing("resource", slug, label, "was removed: link another or remove this evidence")
        when = found.published.isoformat() if found.published else ""
        kind = found.kind.replace("-", " ")
        source = f"Library {kind}" + (f", {found.organisation}" if found.organisation else "")
        return Resolved("resource", slug, label or found.title, found.title, when, source, f"/library/{slug}")

    def file(self, ev: Evidence) -> Resolved:
        name = ev.file_name or "uploaded file"
        sub = self.s.get(Submission, ev.submission_id)
        stage = sub.stage if sub is not None else ""
        href = f"/strategy/providers/{self.ukprn}/{stage}/evidence/{ev.id}/file"
        value = f"{name} ({_size(ev.file_size or 0)})"
        when = ev.added_at.date().isoformat() if ev.added_at else ""
        base = Resolved(
            "file", ev.ref, ev.label or name, value, when, f"Uploaded file ({ev.file_type})", href
        )
        try:
            there = file_path(self.wf.settings, ev.ref).is_file()
        except errors.NotFound:
            there = False
        return base if there else _broken(base, f"{name} is missing from the store: upload it again")


def _missing(kind: str, ref: str, label: str, what: str) -> Resolved:
    shown = {"indicator": "indicator", "programme": "programme", "resource": "library resource"}[kind]
    return Resolved(kind, ref, label or ref, "", "", "", "", False, f"{shown} {ref!r} {what}")


def _broken(base: Resolved, problem: str) -> Resolved:
    return Resolved(
        base.kind, base.ref, base.label, base.value, base.as_of, base.definition, base.href, False, problem
    )


def resolve(
    s: Db,
    wf: Workforce,
    ukprn: str,
    ev: Evidence,
    *,
    allowed: frozenset[str] | None,
    true_values: bool = False,
) -> Resolved:
    """One evidence item as ``allowed``'s viewer sees it now (see Resolver for many)."""
    return Resolver(s, wf, ukprn, allowed=allowed, true_values=true_values).resolve(ev)


# ---------------------------------------------------------------- uploads


def file_path(settings: Settings, sha256: str) -> Path:
    """Where an uploaded evidence file is kept (NotFound for a digest that is not one)."""
    return blobs.path(settings.data_dir / "strategy" / "files", sha256)


def _clean_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    return base.strip()[:255]


XLSX_FIX = "open it in Excel and save it again as .xlsx (Excel Workbook)"


def _check_xlsx(data: bytes, name: str) -> None:
    """An Excel workbook: a zip within limits, with a workbook part, no macros and no XML
    DOCTYPE or entity declarations (which Excel never writes)."""
    limits = ZipLimits(max_entry_bytes=4 * MAX_UPLOAD, max_total_bytes=8 * MAX_UPLOAD)
    with open_checked(data, name, limits, XLSX_FIX) as archive:
        names = {i.filename.lower() for i in archive.infolist()}
        if "xl/workbook.xml" not in names:
            raise errors.Invalid(f"{name}: not an Excel workbook (no xl/workbook.xml). Fix: {XLSX_FIX}.")
        if any(n.endswith("vbaproject.bin") for n in names):
            raise errors.Refused(f"{name}: the workbook contains macros. Fix: {XLSX_FIX}, not .xlsm.")
        for info in archive.infolist():
            if info.filename.lower().endswith((".xml", ".rels")):
                raw = read_entry(archive, info, name, limits, XLSX_FIX).lower()
                if b"<!doctype" in raw or b"<!entity" in raw or b"macroenabled" in raw:
                    raise errors.Refused(
                        f"{name}: part {info.filename} declares a DOCTYPE, entities or macros, "
                        f"which Excel never writes. Fix: {XLSX_FIX}."
                    )


def _check_content(data: bytes, name: str, suffix: str) -> None:
    if suffix in (".pdf", ".docx", ".csv", ".txt"):
        extract.extract(data, name, max_bytes=MAX_UPLOAD)  # the library's checks: hostile files refused
    elif suffix == ".xlsx":
        if data[:4] != b"PK\x03\x04":
            raise errors.Invalid(
                f"{name}: the name says .xlsx but the content is not a workbook. Fix: {XLSX_FIX}."
            )
        _check_xlsx(data, name)
    elif suffix == ".png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise errors.Invalid(f"{name}: the name says .png but the content is not a PNG. Fix: save it as PNG.")
    elif suffix in (".jpg", ".jpeg") and not data.startswith(b"\xff\xd8\xff"):
        raise errors.Invalid(
            f"{name}: the name says {suffix} but the content is not a JPEG. Fix: save it as JPEG."
        )


def store_upload(settings: Settings, data: bytes, name: str) -> tuple[str, str, str, int]:
    """Keep an evidence file: (sha256, file name, media type, size). Refused over 20 MB; only
    PDF, DOCX, XLSX, CSV, TXT, PNG and JPEG, checked by their bytes (not only the suffix);
    PDFs with scripts or attachments and Word files with macros or entities are refused.
    Nothing is stored when the file is refused."""
    clean = _clean_name(name)
    if not clean:
        raise errors.Invalid("the uploaded file has no name: give it one with its usual suffix")
    if len(data) > MAX_UPLOAD:
        raise errors.Refused(
            f"{clean}: the file is {len(data):,} bytes, over the limit of {MAX_UPLOAD // 1024 // 1024} MB. "
            "Fix: split it, or save it again with smaller images."
        )
    if not data:
        raise errors.Invalid(f"{clean}: the file is empty. Fix: upload the file with its content.")
    suffix = "." + clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if suffix not in UPLOAD_TYPES:
        raise errors.Invalid(
            f"{clean}: files with {suffix or 'no suffix'} cannot be evidence. "
            f"Fix: upload it as {ALLOWED}, named with its usual suffix."
        )
    _check_content(data, clean, suffix)
    sha = blobs.store(settings.data_dir / "strategy" / "files", data)
    return sha, clean, UPLOAD_TYPES[suffix], len(data)
