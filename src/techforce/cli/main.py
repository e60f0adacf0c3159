"""`techforce` entry point: builds Settings once and hands them to each command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from techforce import capabilities, errors
from techforce.cli.output import Column, Format, FormatOption, emit
from techforce.db import Database
from techforce.settings import Settings


class Shell(TyperGroup):
    """Every command runs inside this: one of the four base errors becomes its message on
    stderr, as plain text (it may hold user data), and exit code 2."""

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        """An unknown command that one of the capability groups has says its full path:
        `techforce indicators` -> "did you mean `techforce workforce indicators`?" (exit 2)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            paths = _paths_to(self, ctx, name)
            if paths:
                listed = " or ".join(f"`{' '.join(['techforce', *p])}`" for p in paths)
                _error(f"no command {name!r}; did you mean {listed}?")
                raise typer.Exit(2)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except errors.TechforceError as exc:
            _error(exc.message)
            raise typer.Exit(2) from None


def _error(message: str) -> None:
    """An error on stderr, as plain text (it may hold user data)."""
    shown = Text.assemble(("error:", "bold red"), " ", message)
    Console(stderr=True).print(shown, highlight=False, soft_wrap=True)


def _paths_to(group: Any, ctx: typer.Context, name: str) -> list[list[str]]:
    """The paths (below ``group``) of every subcommand called ``name``."""
    found = []
    for sub_name in group.list_commands(ctx):
        sub = group.get_command(ctx, sub_name)
        if sub_name == name and group is not ctx.command:
            found.append([sub_name])
        if hasattr(sub, "list_commands"):  # a group of commands
            found += [[sub_name, *p] for p in _paths_to(sub, ctx, name)]
    return found


app = typer.Typer(
    cls=Shell,
    help="techforce: know, develop and evidence the technical workforce.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@dataclass
class Context:
    """Everything a command needs, created once at start-up; nothing at import time."""

    settings: Settings
    console: Console = field(default_factory=lambda: Console(stderr=True))
    _db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings)
            self._db.migrate()
        return self._db

    def close(self) -> None:
        """Release the database's connections when the command ends (a PostgreSQL server
        keeps none open for a finished command)."""
        if self._db is not None:
            self._db.dispose()
            self._db = None


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, help="Data folder (default .techforce or TECHFORCE_DATA_DIR)."
    ),
    user: str | None = typer.Option(None, help="Name recorded in the audit log."),
) -> None:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if user is not None:
        overrides["user"] = user
    context = Context(Settings(**overrides))  # type: ignore[arg-type]
    ctx.obj = context
    ctx.call_on_close(context.close)


@app.command("settings")
def show_settings(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List every setting with its current value and help text."""
    settings: Settings = ctx.obj.settings
    rows = [
        {
            "setting": f"TECHFORCE_{name.upper()}",
            "value": str(getattr(settings, name)),
            "help": info.description or "",
        }
        for name, info in Settings.model_fields.items()
    ]
    shown = [
        {
            "setting": r["setting"],
            "about": f"{'(not set)' if r['value'] == 'None' else r['value']}\n{r['help']}",
        }
        for r in rows
    ]
    columns = [Column("setting", wrap=False), Column("about", header="value, then what it is", wrap=True)]
    emit(rows, fmt, title="Settings", table_rows=shown, columns=columns, sections=range(len(rows) - 1))


from techforce.cli import demo as _demo  # noqa: E402
from techforce.cli import web as _web  # noqa: E402

for _capability in capabilities.REGISTERED:
    if _capability.cli:
        app.add_typer(capabilities.load(_capability.cli), name=_capability.cli_name)
app.command("serve")(_web.serve)
app.command("demo")(_demo.demo)
