"""The library in bulk as a CSV file and a folder of files: export every resource (or those
an audience may see) and import them back, or a curator's own spreadsheet in the same format.

``resources.csv`` holds one row per resource (see :data:`COLUMNS`): lists are separated by
"; ", dates are YYYY-MM-DD, ``file`` is a path relative to the CSV's folder
(``files/<slug><suffix>`` in an export) and ``sha256`` its digest. ``filename`` (the name the
file was added with) and ``transcript`` (the text of a resource held as a link, such as a
video) let an export come back exactly. Formula cells are guarded the way the programmes
exchange guards them: a quote in front on export, removed again on import, so every text
survives the round trip.

An import checks every row before writing anything (its fields, its file: present, inside
the CSV's folder, matching its sha256, and readable by text extraction) and lists one
problem per bad row (file, row, field, value, fix); a single bad row means nothing is
written. A row whose slug exists updates that resource, and only when something in it
changed, so importing an export again changes nothing and records nothing."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.library import events, extract, records, search, service
from techforce.library.models import Resource, SearchText
from techforce.library.site import copy_stored, staged
from techforce.present.tables import to_csv
from techforce.programmes.exchange_io import escape, unescape
from techforce.workforce.problems import InputError, Problem

COLUMNS = (
    "slug",
    "title",
    "kind",
    "summary",
    "authors",
    "organisation",
    "published",
    "licence",
    "pillars",
    "audience",
    "keywords",
    "url",
    "links",
    "file",
    "sha256",
    "filename",
    "transcript",
)
LISTS = ("authors", "pillars", "audience", "keywords", "links")
SEP = "; "
CSV_NAME = "resources.csv"
MAX_CSV = 50 * 1024 * 1024
MAX_FILE = extract.MAX_BYTES
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Imported:
    """What an import did: resources added, updated, and rows that changed nothing."""

    added: int
    updated: int
    unchanged: int

    @property
    def changed(self) -> int:
        return self.added + self.updated

    def line(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"


# ---------------------------------------------------------------- export


def export_csv(
    s: Db,
    out_dir: Path,
    *,
    data_dir: Path,
    allowed: frozenset[str] | None = None,
    actor: str = "",
    progress: Progress | None = None,
) -> Path:
    """Write ``out_dir/resources.csv`` and ``out_dir/files/`` for every resource ``allowed``
    may see (None: all of them), replacing a previous export there; the CSV's path. Audited
    (under ``actor``) when one is given."""
    rows = list(s.scalars(search.visible(select(Resource), allowed).order_by(Resource.slug)))
    texts: dict[int, str] = dict(s.execute(select(SearchText.resource_id, SearchText.text)).all())
    lines: list[dict[str, Any]] = []
    with staged(out_dir, looks_like=(CSV_NAME,), private=allowed != frozenset({records.PUBLIC})) as tmp:
        (tmp / "files").mkdir()
        for done, row in enumerate(rows, 1):
            rec = service.record(s, row)
            name = ""
            if rec.file is not None:
                name = "files/" + copy_stored(
                    rec, lambda f: service.file_path(data_dir, f.sha256), tmp / "files"
                )
            lines.append(
                {
                    "slug": rec.slug,
                    "title": rec.title,
                    "kind": rec.kind,
                    "summary": rec.summary,
                    "authors": SEP.join(rec.authors),
                    "organisation": rec.organisation,
                    "published": rec.published.isoformat() if rec.published else "",
                    "licence": rec.licence,
                    "pillars": SEP.join(rec.pillars),
                    "audience": SEP.join(rec.audience),
                    "keywords": SEP.join(rec.keywords),
                    "url": rec.url,
                    "links": SEP.join(rec.links),
                    "file": name,
                    "sha256": rec.file.sha256 if rec.file else "",
                    "filename": rec.file.filename if rec.file else "",
                    "transcript": "" if rec.file else texts.get(row.id, ""),
                }
            )
            if progress:
                progress(done, len(rows))
        text = (
            to_csv([{c: escape(line[c]) for c in COLUMNS} for line in lines])
            if lines
            else ",".join(COLUMNS) + "\r\n"
        )
        (tmp / CSV_NAME).write_text(text, encoding="utf-8", newline="")
    if actor:
        audit.record(s, actor=actor, action=events.EXPORT, target="csv", payload={"resources": len(rows)})
    return out_dir / CSV_NAME


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class _Planned:
    line: int
    data: service.ResourceIn
    file: tuple[Path, str] | None  # where the checked file is, and the name it is added as
    sha256: str

    def read(self) -> tuple[bytes, str] | None:
        """The file's bytes and name, as checked (Refused if it changed since)."""
        if self.file is None:
            return None
        data = self.file[0].read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise errors.Refused(
                f"row {self.line}: {self.file[0]} changed during the import: nothing was written; import again"
            )
        return data, self.file[1]


def import_csv(
    s: Db, csv_path: Path, *, data_dir: Path, actor: str, progress: Progress | None = None
) -> Imported:
    """Add or update the resources of ``csv_path`` (see the module's docstring). Raises an
    Invalid listing one problem per bad row, and writes nothing, if any row is bad."""
    planned, problems = _check(s, csv_path)
    if problems:
        raise InputError(problems)
    added = updated = unchanged = 0
    for done, plan in enumerate(planned, 1):
        existing = s.scalar(select(Resource).where(Resource.slug == plan.data.slug))
        if existing is None:
            service.save_resource(s, plan.data, actor=actor, data_dir=data_dir, file=plan.read())
            added += 1
        elif _same(s, existing, plan):
            unchanged += 1
        else:
            new_file = plan.read() if plan.file and plan.sha256 != existing.file_sha256 else None
            service.save_resource(
                s, plan.data, actor=actor, data_dir=data_dir, file=new_file, slug=existing.slug
            )
            updated += 1
        if progress:
            progress(done, len(planned))
    result = Imported(added, updated, unchanged)
    if result.changed:
        audit.record(
            s,
            actor=actor,
            action=events.IMPORT,
            target=csv_path.name,
            payload={"added": added, "updated": updated, "unchanged": unchanged},
        )
    return result


def _same(s: Db, row: Resource, plan: _Planned) -> bool:
    """Would saving ``plan`` leave ``row`` as it is?"""
    d = plan.data
    if plan.file is not None and plan.sha256 != row.file_sha256:
        return False
    if plan.file is None:
        found = s.get(SearchText, row.id)
        if d.transcript and d.transcript != (found.text if found else ""):
            return False
    return (
        row.title == " ".join(d.title.split())
        and row.kind == d.kind
        and row.summary == d.summary.strip()
        and list(row.authors) == d.authors
        and row.organisation == d.organisation.strip()
        and row.published == d.published
        and row.licence == d.licence.strip()
        and list(row.pillars) == d.pillars
        and list(row.keywords) == d.keywords
        and row.url == d.url
        and set(service.audience(s, row.id)) == set(d.audience)
        and set(service.links(s, row.id)) == set(d.links)
    )


def _read_rows(csv_path: Path) -> list[dict[str, str]]:
    """The CSV's data rows (cells unguarded), or Invalid naming the file and the fix."""
    file = csv_path.name
    if not csv_path.is_file():
        raise errors.Invalid(
            f"{csv_path}: no such file: give the path of a resources CSV (e.g. resources.csv)."
        )
    if csv_path.stat().st_size > MAX_CSV:
        raise errors.Refused(f"{file}: the file is larger than {MAX_CSV // 1024 // 1024} MB: split it.")
    try:
        text = csv_path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.Invalid(
            f"{file}: the file is not UTF-8 text: save it as UTF-8 (in Excel: 'CSV UTF-8') and import it again."
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [unescape(h.strip()) for h in reader.fieldnames or []]
    missing = [c for c in ("title", "kind") if c not in header]
    if missing:
        raise errors.Invalid(
            f"{file}: row 1: the columns {', '.join(missing)} are missing: "
            f"give a header row with the columns {', '.join(COLUMNS)}."
        )
    reader.fieldnames = header
    rows = []
    for raw in reader:
        if None in raw:
            raise errors.Invalid(
                f"{file}: row {reader.line_num}: more cells than columns: quote cells that hold commas."
            )
        rows.append({k: unescape(v or "") for k, v in raw.items()})
    return rows


def _check(s: Db, csv_path: Path) -> tuple[list[_Planned], list[Problem]]:
    """Every row checked: the planned saves, and one problem per bad row."""
    rows = _read_rows(csv_path)
    planned: list[_Planned] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows, 2):
        try:
            plan = _check_row(s, csv_path, line, cells)
        except _Bad as bad:
            problems.append(bad.problem)
            continue
        if plan.data.slug in seen:
            problems.append(
                _problem(
                    csv_path,
                    line,
                    "slug",
                    plan.data.slug,
                    f"is repeated (row {seen[plan.data.slug]})",
                    "give each row its own slug",
                )
            )
            continue
        seen[plan.data.slug] = line
        planned.append(plan)
    return planned, problems


class _Bad(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


def _problem(csv_path: Path, line: int, field: str, value: str, message: str, fix: str) -> Problem:
    return Problem(
        rule="value",
        file=csv_path.name,
        line=line,
        field=field,
        value=value if len(value) <= 200 else value[:200] + "…",
        message=message,
        fix=fix,
    )


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _check_row(s: Db, csv_path: Path, line: int, cells: dict[str, str]) -> _Planned:
    def bad(field: str, message: str, fix: str) -> _Bad:
        return _Bad(_problem(csv_path, line, field, cells.get(field, ""), message, fix))

    published: date | None = None
    if cells.get("published", "").strip():
        try:
            published = date.fromisoformat(cells["published"].strip())
        except ValueError:
            raise bad("published", "is not a date", "write it as YYYY-MM-DD, e.g. 2024-03-31") from None
    values: dict[str, Any] = {
        k: cells.get(k, "").strip()
        for k in ("slug", "title", "kind", "summary", "organisation", "licence", "url")
    }
    values |= {k: _split(cells.get(k, "")) for k in LISTS}
    if not values["audience"]:
        del values["audience"]  # the default: public
    values["published"] = published
    values["transcript"] = cells.get("transcript", "")
    try:
        data = service.checked(f"{csv_path.name}: row {line}", **values)
    except errors.Invalid as exc:
        first = exc.problems[0] if exc.problems else {"field": "", "message": exc.message}
        field = str(first["field"])
        raise bad(field, "is not accepted", str(first["message"])) from None
    slug = data.slug or service.slugify(data.title)
    if not service.SLUG.match(slug) or slug in service.RESERVED:
        raise bad(
            "slug",
            "is not a slug a resource may have",
            f"use lower-case letters, digits and single hyphens (not {', '.join(sorted(service.RESERVED))})",
        )
    data = data.model_copy(update={"slug": slug})
    file, digest = _row_file(csv_path, cells, bad)
    exists = s.scalar(select(Resource.id).where(Resource.slug == slug)) is not None
    if data.kind == "video" and not data.url:
        raise bad("url", "is empty", "a video is held as a link: give its web address")
    if file is None and not data.url and not exists:
        raise bad(
            "file", "is empty", "give the file's path (relative to the CSV's folder) or the resource's url"
        )
    return _Planned(line, data, file, digest)


def _row_file(
    csv_path: Path, cells: dict[str, str], bad: Callable[[str, str, str], _Bad]
) -> tuple[tuple[Path, str] | None, str]:
    """The row's file as (path, name) and its sha256, checked; None when the row names none."""
    given = cells.get("file", "").strip()
    if not given:
        return None, ""
    fix = "give a path inside the CSV's folder, such as files/report.pdf"
    if (
        PurePosixPath(given).is_absolute()
        or PureWindowsPath(given).is_absolute()
        or PureWindowsPath(given).drive
    ):
        raise bad("file", "is an absolute path", fix)
    if ".." in PurePosixPath(given.replace("\\", "/")).parts:
        raise bad("file", "leaves the CSV's folder (..)", fix)
    folder = csv_path.parent.resolve()
    path = (folder / given.replace("\\", "/")).resolve()
    if not path.is_relative_to(folder):
        raise bad("file", "leaves the CSV's folder (a link)", fix)
    if not path.is_file():
        raise bad(
            "file", "no such file", "put the file there, or correct the path (relative to the CSV's folder)"
        )
    if path.stat().st_size > MAX_FILE:
        raise bad("file", f"the file is over {MAX_FILE // 1024 // 1024} MB", "split it, or save it smaller")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if cells.get("sha256", "").strip() and cells["sha256"].strip().lower() != digest:
        raise bad(
            "sha256",
            "does not match the file",
            "the file changed: clear the sha256 cell, or restore the file",
        )
    wanted = cells.get("filename", "").strip()
    name = wanted if wanted and Path(wanted).suffix.lower() == path.suffix.lower() else path.name
    try:
        extract.extract(data, name)
    except (errors.Invalid, errors.Refused) as exc:
        raise bad(
            "file", exc.message, "replace the file with one that opens, without scripts, macros or encryption"
        ) from None
    return (path, name), digest


__all__: Sequence[str] = ["COLUMNS", "Imported", "export_csv", "import_csv"]
