"""The strategy pages' links to the capability's other modules: live evidence values and
checked uploads (strategy/evidence.py), the self-assessment pack (strategy/pack_data.py) and
the action plan as CSV (strategy/exchange.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session as Db

from techforce.accounts.access import Permission
from techforce.programmes.permissions import VIEW_IMPACT
from techforce.strategy import evidence
from techforce.strategy.models import Evidence, Submission
from techforce.strategy.page_models import Download
from techforce.strategy.pages import Resolver
from techforce.web.deps import Ctx
from techforce.web.strategy_common import allowed
from techforce.workforce.service import Workforce

PROVIDER_PAGES = ("/strategy/providers/", "/workforce/providers/")  # a reviewer is not sent there
PACK_FORMATS = (
    ("html", "HTML"),
    ("pdf", "PDF"),
    ("docx", "Word, for reviewers to edit"),
)


def workforce(ctx: Ctx) -> Workforce:
    found: Workforce = ctx.services["workforce"]
    return found


def true_values(ctx: Ctx, ukprn: str) -> bool:
    """Is the viewer entitled to the provider's true workforce figures (its own lead)?"""
    return ctx.principal.can(Permission.VIEW_IN_FULL, ukprn)


def impact(ctx: Ctx) -> bool:
    """May the viewer see programme impact figures (starters and completers)?"""
    return ctx.principal.can(VIEW_IMPACT)


def resolver(ctx: Ctx, *, reviewer: bool = False) -> Resolver:
    """How a page reads each evidence item's current value, as this viewer may see it (one
    evidence.Resolver per session and provider, so each source is read once)."""
    found: dict[tuple[int, str], evidence.Resolver] = {}
    audience, sees_impact = allowed(ctx), impact(ctx)

    def resolve(s: Db, e: Evidence) -> dict[str, str]:
        sub = s.get(Submission, e.submission_id)
        ukprn = sub.ukprn if sub is not None else ""
        key = (id(s), ukprn)
        if key not in found:
            full = not reviewer and true_values(ctx, ukprn)
            found[key] = evidence.Resolver(
                s, workforce(ctx), ukprn, allowed=audience, true_values=full, impact=sees_impact
            )
        got = found[key].resolve(e)
        return {
            "ref": got.ref,
            "label": got.label,
            "value": got.value,
            "as_of": got.as_of,
            "detail": got.definition if got.ok else got.problem,
            "ok": "yes" if got.ok else "no",
            "href": "" if reviewer and got.href.startswith(PROVIDER_PAGES) else got.href,
        }

    return resolve


def check_ref(ctx: Ctx, s: Db, kind: str, ref: str) -> str:
    """The evidence reference checked (an indicator id, a programme, a library resource the
    user may see); Invalid or NotFound names the nearest choices and the fix."""
    return evidence.check_ref(s, workforce(ctx), kind, ref, allowed=allowed(ctx))


def store_upload(ctx: Ctx, data: bytes, name: str) -> tuple[str, tuple[str, str, int]]:
    """Keep an uploaded evidence file once it passes the checks: (sha256, (name, type, size))."""
    digest, clean, media, size = evidence.store_upload(ctx.settings, data, name)
    return digest, (clean, media, size)


def file_path(ctx: Ctx, digest: str) -> Path:
    return evidence.file_path(ctx.settings, digest)


def exchange_ready() -> bool:
    return True


def downloads(base: str, *, true_ok: bool = False) -> list[Download]:
    """The pack and CSV downloads of a stage's plan at ``base``: the pack with published
    figures (fit to share), and, for a viewer entitled to them (``true_ok``), with the
    provider's true figures, labelled not to be shared."""
    found = [
        Download(
            label=f"Pack ({label}; published figures, fit to share)",
            href=f"{base}/pack.{fmt}?figures=published",
        )
        for fmt, label in PACK_FORMATS
    ]
    if true_ok:
        found += [
            Download(
                label=f"Pack ({label}; true figures: do not share)", href=f"{base}/pack.{fmt}?figures=true"
            )
            for fmt, label in PACK_FORMATS
        ]
    return [*found, Download(label="Actions (CSV)", href=f"{base}/actions.csv")]
