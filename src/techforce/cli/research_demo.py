"""`techforce research demo`: the demo interview study and the demo survey in the data
folder's database, at the providers of the workforce store (synthetic names without one).
`techforce demo` calls :func:`load` too."""

from __future__ import annotations

import re

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.accounts.models import User
from techforce.cli.output import progress
from techforce.db import Database
from techforce.research import demo as research_demo
from techforce.research.synth import PROVIDERS
from techforce.research.synth_survey import SURVEY_INSTITUTIONS
from techforce.workforce.models import Provider

UKPRN = re.compile(r"^1\d{7}$")


def providers(s: Db, count: int = SURVEY_INSTITUTIONS) -> list[tuple[str, str]]:
    """Up to ``count`` (UKPRN, name) pairs spread evenly over the workforce store's providers
    (the survey spans up to 45 providers, the interview study 20 of them), or synthetic
    providers when the store has fewer than the interview study needs."""
    found = [
        (u, n or u) for u, n in s.execute(select(Provider.ukprn, Provider.name).order_by(Provider.ukprn))
    ]
    found = [(u, n) for u, n in found if UKPRN.match(u)]
    if len(found) < PROVIDERS:
        return [(f"1{90000 + i:07d}", f"Synthetic University {i}") for i in range(1, count + 1)]
    step = len(found) / count
    return [found[int(i * step)] for i in range(min(count, len(found)))]


def load(db: Database, *, owner: str, actor: str, respondents: int = 1800) -> research_demo.DemoLoaded:
    """Load the demo studies (errors.Refused when they are there already)."""
    with db.session() as s:
        chosen = providers(s)
        return research_demo.load_demo(
            s, providers=chosen, owner=owner, coders=None, actor=actor, respondents=respondents
        )


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        ctx: typer.Context,
        respondents: int = typer.Option(1800, help="Survey respondents in the demo survey (1 to 20000)."),
    ) -> None:
        """Load the demo interview study (31 interviews, two coders, six case studies) and the
        demo survey into the data folder's database, owned by --user."""
        if not 1 <= respondents <= 20000:
            raise errors.Invalid(f"--respondents: {respondents} is out of range; give 1 to 20000.")
        console: Console = ctx.obj.console
        settings = ctx.obj.settings
        with progress(console) as bars:
            step = bars.add_task("Loading the demo research study", total=None)
            loaded = load(ctx.obj.db, owner=settings.user, actor=settings.user, respondents=respondents)
            bars.update(step, total=1, completed=1)
        typer.echo(loaded.line())
        typer.echo(f"Interview study: {loaded.study}\nSurvey study: {loaded.survey}")
        with ctx.obj.db.session() as s:
            exists = s.scalar(select(User.id).where(User.username == settings.user)) is not None
        if not exists:
            typer.echo(
                f"No account {settings.user!r} yet; to see the studies on the web, run\n"
                f"  techforce users add {settings.user} --role researcher"
            )
