"""`techforce programmes verify | credentials ... | certificate`: issue Open Badges 3.0
credentials to the people who completed a cohort, revoke and export them, check one, and print
a PDF certificate of attendance."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.text import Text

from techforce import errors
from techforce.cli.output import Column, Format, FormatOption, emit
from techforce.programmes import certificate, credential_checks, credentials, service
from techforce.programmes.models import Credential

credentials_app = typer.Typer(
    help="Open Badges 3.0 credentials for completers: issue, revoke, export.", no_args_is_help=True
)


def _read_limited(path: Path, what: str) -> str:
    """The text of ``path``, refused (errors.Invalid) when missing, over 1 MB or not UTF-8."""
    if not path.is_file():
        raise errors.NotFound(f"{path}: no such file; give the path of the {what}")
    size = path.stat().st_size
    if size > credential_checks.MAX_INPUT:
        raise errors.Invalid(
            f"{path}: {size:,} bytes; the most checked is {credential_checks.MAX_INPUT:,} (1 MB): "
            f"give the {what} techforce exported"
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise errors.Invalid(f"{path}: not UTF-8 text; give the {what} (a .jwt or .json file)") from None


def verify(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The credential: a .jwt file, or .json holding it under 'jwt'."),
    status_list: Path | None = typer.Option(
        None, "--status-list", help="A status list credential (.jwt) to check against; default: this store's."
    ),
    fmt: Format = FormatOption,
) -> None:
    """Check a credential: form, signature, schema, dates and revocation. Exit 0 when valid,
    2 (with the reason) when not."""
    token = _read_limited(file, "credential")
    listed = _read_limited(status_list, "status list") if status_list else None
    with ctx.obj.db.session() as db:
        found = credentials.verify(token, ctx.obj.settings, status_list_token=listed, db=db)
    rows = [{"check": c.name, "passed": c.passed, "detail": c.detail} for c in found.checks]
    columns = [Column("check"), Column("passed"), Column("detail", wrap=True)]
    meta = {"valid": found.valid, "revoked": found.revoked, "reason": found.reason}
    if fmt is Format.table:  # the reason once: below the table when valid, else on stderr
        emit(rows, fmt, title=f"Credential {file.name}", columns=columns, notes=[found.reason] * found.valid)
    else:
        emit(rows, fmt, title=f"Credential {file.name}", columns=columns, meta=meta)
    if not found.valid:
        ctx.obj.console.print(
            Text.assemble(("invalid:", "bold red"), " ", found.reason), highlight=False, soft_wrap=True
        )
        raise typer.Exit(2)


@credentials_app.command("issue")
def issue(
    ctx: typer.Context,
    programme: str = typer.Argument(..., help="The programme's slug."),
    cohort: str = typer.Argument(..., help="The cohort's name."),
    fmt: Format = FormatOption,
) -> None:
    """Issue a credential to every completer of a cohort who has none yet (confirm completions first)."""
    with ctx.obj.db.session() as db:
        found = service.cohort(db, programme, cohort)
        issued = credentials.issue_all(db, found, ctx.obj.settings, ctx.obj.settings.user)
        rows = [
            {
                "credential": c.id,
                "booking": c.booking_id,
                "participant": service.booking_by_id(db, c.booking_id).participant.name,
                "status_index": c.status_index,
            }
            for c in issued
        ]
    notes = (
        [] if rows else ["No credentials issued: every completer already has one, or nobody has completed."]
    )
    columns = [
        Column("credential", wrap=False),
        Column("booking", number=True),
        Column("participant", wrap=True),
        Column("status_index", header="bit", number=True),
    ]
    emit(rows, fmt, title=f"Credentials issued: {programme}, {cohort}", columns=columns, notes=notes)


@credentials_app.command("revoke")
def revoke(
    ctx: typer.Context,
    credential_id: str = typer.Argument(..., metavar="ID", help="The credential id (urn:uuid:...)."),
    reason: str = typer.Option(..., "--reason", help="Why it is revoked (recorded, and shown to checkers)."),
) -> None:
    """Revoke a credential: the published status list shows it as revoked from now on."""
    with ctx.obj.db.session() as db:
        found = credentials.revoke(db, credential_id, reason, actor=ctx.obj.settings.user)
        typer.echo(f"revoked {found.id}: {found.revoked_reason}")


@credentials_app.command("export")
def export(
    ctx: typer.Context,
    credential_id: str = typer.Argument(..., metavar="ID", help="The credential id (urn:uuid:...)."),
    out: Path = typer.Argument(..., help="Where to write: OUT.jwt (signed) and OUT.json (its content)."),
) -> None:
    """Write a credential as issued (.jwt, the signed VC-JWT) and its decoded content (.json)."""
    with ctx.obj.db.session() as db:
        found = db.get(Credential, credential_id)
        if found is None:
            raise errors.NotFound(f"no credential {credential_id!r}: give its id (urn:uuid:...) as issued")
        token = found.token
    stem = out.with_suffix("") if out.suffix in (".jwt", ".json") else out
    payload = credential_checks.payload_of(token)
    stem.parent.mkdir(parents=True, exist_ok=True)
    jwt_path, json_path = stem.with_name(stem.name + ".jwt"), stem.with_name(stem.name + ".json")
    jwt_path.write_text(token + "\n", encoding="utf-8")
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"wrote {jwt_path} and {json_path}")


def certificate_command(
    ctx: typer.Context,
    booking_id: int = typer.Argument(..., help="The booking's number."),
    out: Path = typer.Argument(..., help="The PDF file to write."),
) -> None:
    """Write a one-page PDF certificate of attendance for a booking."""
    with ctx.obj.db.session() as db:
        pdf = certificate.certificate_pdf(service.booking_by_id(db, booking_id), ctx.obj.settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"wrote {out} ({len(pdf):,} bytes)")


def register(app: typer.Typer) -> None:
    """Add these commands to `techforce programmes`."""
    app.command("verify")(verify)
    app.command("certificate")(certificate_command)
    app.add_typer(credentials_app, name="credentials")
