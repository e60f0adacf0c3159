"""`techforce research studies|import-qdpx|export-qdpx|import-codebook|export-codebook|
import-transcript|import-survey|agreement|demo`: research studies from the command line.

The command line acts as an operator on the server: it sees every study (web users see only
the studies they are members of) and records each change in the audit log under the --user
(or TECHFORCE_USER) name. Studies are named by their GUID (see `techforce research studies`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.cli.output import Column, Format, FormatOption, emit, number, progress, write_private
from techforce.research import (
    agreement,
    codebook_merge,
    coding,
    events,
    exchange,
    qdpx,
    refi,
    service,
)
from techforce.research.models import Case, Code, Coding, Source, Study

app = typer.Typer(
    help="Research studies: interviews, surveys, coding, agreement and QDA exchange.",
    no_args_is_help=True,
)

LIST_FIX = "list the studies and their GUIDs with `techforce research studies`"
CODEBOOK_SUFFIXES = (".qdc", ".csv")
MAX_FILE = 200 * 1024 * 1024  # what any import reads at most; each reader has its own limit too


def _read(path: Path, what: str) -> bytes:
    """The file's bytes, or Invalid naming the file and the fix."""
    if not path.is_file():
        raise errors.Invalid(f"{path}: no such file: give the path of {what}.")
    if path.stat().st_size > MAX_FILE:
        raise errors.Refused(f"{path}: the file is larger than {MAX_FILE // 1024 // 1024} MB: split it.")
    return path.read_bytes()


def _study(s: Db, guid: str) -> Study:
    try:
        return service.study(s, guid)
    except errors.NotFound:
        raise errors.NotFound(f"there is no study {guid!r}: {LIST_FIX}.") from None


def _counts(s: Db, model: Any) -> dict[int, int]:
    rows = s.execute(select(model.study_id, func.count()).group_by(model.study_id))
    return {int(study_id): int(n) for study_id, n in rows}


@app.command("studies")
def studies(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List every study: GUID, title, type and its numbers of cases, sources, codes and codings."""
    with ctx.obj.db.session() as s:
        cases, sources, codings = _counts(s, Case), _counts(s, Source), _counts(s, Coding)
        codes = {
            int(i): int(n)
            for i, n in s.execute(
                select(Code.study_id, func.count()).where(Code.retired.is_(False)).group_by(Code.study_id)
            )
        }
        rows = [
            {
                "guid": st.guid,
                "title": st.name,
                "type": st.kind,
                "cases": cases.get(st.id, 0),
                "sources": sources.get(st.id, 0),
                "codes": codes.get(st.id, 0),
                "codings": codings.get(st.id, 0),
            }
            for st in s.scalars(select(Study).order_by(Study.created_at, Study.id))
        ]
    shown = [  # the GUID to type goes whole under the title, so numbers share one column
        {
            "study": f"{r['title']}\n{r['guid']}",
            "type": r["type"],
            "contents": ", ".join(f"{number(r[k])} {k}" for k in ("cases", "sources", "codes", "codings")),
        }
        for r in rows
    ]
    columns = [
        Column("study", header="study (title, GUID)", wrap=True),
        Column("type", wrap=False),
        Column("contents", wrap=True),
    ]
    emit(
        rows,
        fmt,
        title="Research studies",
        console=ctx.obj.console,
        columns=columns,
        table_rows=shown,
        sections=range(len(rows) - 1),
    )


@app.command("import-qdpx")
def import_qdpx(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx) from QualCoder, NVivo, ATLAS.ti..."),
) -> None:
    """Import a REFI-QDA project as a new study you own; prints the new study's GUID."""
    data = _read(file, "a REFI-QDA project (.qdpx)")
    actor = ctx.obj.settings.user
    with progress(ctx.obj.console) as bars:
        step = bars.add_task(f"Importing {file.name}", total=None)
        project = qdpx.read_qdpx(data, file.name)
        with ctx.obj.db.session() as s:
            st = exchange.import_project(s, project, actor=actor, filename=file.name)
            guid, sources = st.guid, len(project.sources)
        bars.update(step, total=1, completed=1)
    for warning in project.warnings[:20]:
        ctx.obj.console.print(f"warning: {warning}", highlight=False, markup=False)
    typer.echo(f"Imported {file.name} as study {guid} ({sources} sources)")


@app.command("export-qdpx")
def export_qdpx(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    out: Path = typer.Argument(..., help="The file to write, ending in .qdpx."),
) -> None:
    """Write a study (sources, codes, every coder's codings, participants, memos) as a REFI-QDA
    project that QualCoder, ATLAS.ti, MAXQDA or NVivo import."""
    if out.suffix.lower() != ".qdpx":
        raise errors.Invalid(f"{out}: a REFI-QDA project ends in .qdpx: name the file e.g. study.qdpx.")
    with progress(ctx.obj.console) as bars:
        step = bars.add_task("Exporting the study", total=None)
        with ctx.obj.db.session() as s:
            _study(s, study)
            data = qdpx.write_qdpx(exchange.export_project(s, study))
            write_private(out, data)
            audit.record(
                s, actor=ctx.obj.settings.user, action=events.EXPORT, target=study, payload={"file": "qdpx"}
            )
        bars.update(step, total=1, completed=1)
    typer.echo(f"Wrote {out} ({len(data):,} bytes)")


def _codebook(path: Path) -> tuple[refi.Code, ...]:
    """The codes of a .qdc or codebook .csv, read by its ending."""
    suffix = path.suffix.lower()
    if suffix not in CODEBOOK_SUFFIXES:
        raise errors.Invalid(
            f"{path}: a codebook is a REFI-QDA .qdc or a codebook .csv: export it as one of those "
            "and name the file with that ending."
        )
    data = _read(path, "a codebook (.qdc or .csv)")
    if suffix == ".qdc":
        return refi.read_codebook(data, path.name)
    return refi.read_codebook_csv(data, path.name)


@app.command("import-codebook")
def import_codebook(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    file: Path = typer.Argument(..., help="A REFI-QDA codebook (.qdc) or a codebook CSV (.csv)."),
) -> None:
    """Merge a codebook into a study: codes match by GUID, then by path; matches take the file's
    definitions and colours, new codes are added; nothing is deleted and codings stay."""
    codes = _codebook(file)
    with ctx.obj.db.session() as s:
        _study(s, study)
        merged = codebook_merge.import_codebook(
            s, study, codes, actor=ctx.obj.settings.user, filename=file.name
        )
    typer.echo(f"{file.name}: {merged.line()}")


@app.command("export-codebook")
def export_codebook(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    out: Path = typer.Argument(..., help="The file to write: ending in .qdc (REFI-QDA) or .csv."),
) -> None:
    """Write a study's codebook as a REFI-QDA codebook (.qdc) or as CSV (.csv), by the ending."""
    suffix = out.suffix.lower()
    if suffix not in CODEBOOK_SUFFIXES:
        raise errors.Invalid(f"{out}: name the file with .qdc (REFI-QDA codebook) or .csv (a table).")
    with ctx.obj.db.session() as s:
        _study(s, study)
        codes = exchange.export_project(s, study).codes
        data = (
            refi.write_codebook(codes, origin=exchange.ORIGIN)
            if suffix == ".qdc"
            else refi.codebook_csv(codes).encode("utf-8")
        )
        write_private(out, data)
        audit.record(
            s, actor=ctx.obj.settings.user, action=events.EXPORT, target=study, payload={"file": suffix[1:]}
        )
    typer.echo(f"Wrote {out} ({sum(1 for _ in refi.walk_codes(codes))} codes)")


@app.command("import-transcript")
def import_transcript(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    file: Path = typer.Argument(..., help="A transcript: .txt, .docx, .vtt or .srt."),
    case: str | None = typer.Option(None, "--case", help="The participant's pseudonym it belongs to."),
    name: str | None = typer.Option(None, help="The source's name in the study (default: the file name)."),
) -> None:
    """Import a transcript into a study as a source, optionally a participant's."""
    data = _read(file, "a transcript (.txt, .docx, .vtt or .srt)")
    with ctx.obj.db.session() as s:
        st = _study(s, study)
        case_id = None
        if case is not None:
            case_id = s.scalar(select(Case.id).where(Case.study_id == st.id, Case.pseudonym == case))
            if case_id is None:
                raise errors.NotFound(
                    f"there is no participant {case!r} in this study: add them on the participants page "
                    "or give the pseudonym exactly as the study has it."
                )
        row = service.import_transcript(
            s, study, data, file.name, actor=ctx.obj.settings.user, name=name, case_id=case_id
        )
        line = (
            f"Imported {file.name} as source {row.id} ({len(row.text):,} characters, {len(row.turns)} turns)"
        )
    typer.echo(line)


@app.command("import-survey")
def import_survey(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    file: Path = typer.Argument(..., help="A survey export: .csv or .xlsx, one row per respondent."),
    id_column: str | None = typer.Option(None, help="The respondent id column (default: guessed)."),
    institution_column: str | None = typer.Option(None, help="The column with the provider (UKPRN)."),
    type_column: str | None = typer.Option(None, help="The column with the participant type."),
) -> None:
    """Import a survey export: one participant per respondent, Likert items as variables,
    free-text answers as sources. Respondents already in the study are refused."""
    data = _read(file, "a survey export (.csv or .xlsx)")
    with progress(ctx.obj.console) as bars:
        step = bars.add_task(f"Importing {file.name}", total=None)
        with ctx.obj.db.session() as s:
            _study(s, study)
            count = service.import_survey(
                s,
                study,
                data,
                file.name,
                actor=ctx.obj.settings.user,
                id_column=id_column,
                institution_column=institution_column,
                type_column=type_column,
            )
        bars.update(step, total=1, completed=1)
    typer.echo(f"Imported {count:,} respondents from {file.name}")


@app.command("agreement")
def agreement_command(
    ctx: typer.Context,
    study: str = typer.Argument(..., help="The study's GUID."),
    coder: list[str] = typer.Option([], help="A coder to compare (repeat; default: every coder)."),
    fmt: Format = FormatOption,
) -> None:
    """Inter-coder agreement per code and overall: Cohen's kappa (two coders), Krippendorff's
    alpha and percent agreement on characters."""
    with progress(ctx.obj.console) as bars:
        step = bars.add_task("Computing agreement", total=None)
        with ctx.obj.db.session() as s:
            units = coding.units(s, _study(s, study), coder or None)
        report = agreement.agreement(units.codings, units.lengths, coders=coder or None)
        bars.update(step, total=1, completed=1)
    if len(report.coders) < 2:
        raise errors.Refused(
            f"agreement needs two coders' codings; this study has {len(report.coders)}: "
            "code the sources with a second coder first."
        )
    rows = [
        {
            "code": " / ".join(units.code_names.get(c.code, (c.code,))),
            "kappa": _round(c.kappa),
            "alpha": _round(c.alpha),
            "percent": _percent(c.percent),
            "characters": c.coded_any,
            "notes": "; ".join(c.notes),
        }
        for c in sorted(report.codes, key=lambda c: units.code_names.get(c.code, (c.code,)))
    ]
    overall = {
        "kappa": _round(report.kappa),
        "alpha": _round(report.alpha),
        "percent": _percent(report.percent),
    }
    rows.append(
        {
            "code": "Overall (weighted)",
            **overall,
            "characters": sum(c.coded_any for c in report.codes),
            "notes": "; ".join(report.notes),
        }
    )
    columns = [
        Column("code", wrap=True),
        *(Column(k, number=True) for k in ("kappa", "alpha", "percent", "characters")),
        Column("notes", wrap=True),
    ]
    emit(
        rows,
        fmt,
        title=f"Agreement between {' and '.join(report.coders)}",
        console=ctx.obj.console,
        columns=columns,
        sections=[len(rows) - 2],
        meta={"coders": ", ".join(report.coders), "unit": "character"},
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


from techforce.cli import research_demo as _research_demo  # noqa: E402

_research_demo.register(app)

from techforce.cli import research_assist as _research_assist  # noqa: E402

_research_assist.register(app)
