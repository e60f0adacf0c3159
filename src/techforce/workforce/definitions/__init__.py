"""Who counts as technical, and as a strategic technical leader: named, versioned data.

Built-in definitions ship as JSON beside this module; users add their own from a file
(stored in the relational store). Every output is stamped with ``name@vN``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from techforce import audit, errors
from techforce.workforce import codes, events
from techforce.workforce.models import UserDefinition

DEFAULT = "core"


class DefinitionError(errors.Invalid):
    """A definition file that cannot be used; the message says why and how to fix it."""


class UnknownDefinition(errors.NotFound):
    """No definition of that name (or version)."""


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,60}$")
    version: int = Field(default=1, ge=1)
    title: str
    description: str = ""
    soc2010: list[str]
    soc2020: list[str]
    leadership_levels: list[str] = Field(default_factory=lambda: list(codes.LEADERSHIP_LEVELS))
    managers_in_technical_cost_centres: bool = False
    technical_cost_centres: list[str] = Field(default_factory=list)
    builtin: bool = False

    @field_validator("soc2010", "soc2020")
    @classmethod
    def _soc_prefixes(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not (v.isdigit() and 1 <= len(v) <= 4)]
        if bad:
            raise ValueError(f"SOC codes must be 1-4 digits (a group or a prefix), not {bad}")
        return value

    @field_validator("leadership_levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in codes.LEVELS]
        if bad:
            raise ValueError(f"unknown LEVELS {bad}; valid: {', '.join(codes.LEVELS)}")
        return value

    @field_validator("technical_cost_centres")
    @classmethod
    def _cost_centres(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in codes.COST_CENTRES]
        if bad:
            raise ValueError(f"unknown cost centres {bad}; use HESA codes 101-145, 201-206")
        return value

    @property
    def stamp(self) -> str:
        return f"{self.name}@v{self.version}"

    def technical_sql(self, alias: str = "") -> str:
        """Boolean SQL over a snapshot row: is this activity technical?"""
        prefix = f"{alias}." if alias else ""
        parts = []
        for scheme, prefixes in (("SOC2010", self.soc2010), ("SOC2020", self.soc2020)):
            if prefixes:
                likes = " OR ".join(f"starts_with({prefix}soc, '{p}')" for p in prefixes)
                parts.append(f"({prefix}soc_scheme = '{scheme}' AND ({likes}))")
        return "(" + (" OR ".join(parts) or "false") + ")"

    def leader_sql(self, alias: str = "") -> str:
        """Boolean SQL: is this activity held by a strategic technical leader?"""
        prefix = f"{alias}." if alias else ""
        levels = ", ".join(f"'{v}'" for v in self.leadership_levels)
        who = self.technical_sql(alias)
        if self.managers_in_technical_cost_centres and self.technical_cost_centres:
            centres = ", ".join(f"'{c}'" for c in self.technical_cost_centres)
            who = f"({who} OR (starts_with({prefix}soc, '1') AND {prefix}cost_centre IN ({centres})))"
        return f"({prefix}in_census AND {prefix}levels IN ({levels}) AND {who})"

    def is_technical(self, scheme: str, soc: str) -> bool:
        prefixes = self.soc2010 if scheme == "SOC2010" else self.soc2020
        return any(soc.startswith(p) for p in prefixes)


def builtin_definitions() -> dict[str, Definition]:
    found = {}
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            found[data["name"]] = Definition(**data, builtin=True)
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != DEFAULT, kv[0])))


def all_definitions(session: Session | None = None) -> list[Definition]:
    found = list(builtin_definitions().values())
    if session is not None:
        rows = session.scalars(select(UserDefinition).order_by(UserDefinition.name, UserDefinition.version))
        found += [Definition(**row.body) for row in rows]
    return found


def get(name: str | None, session: Session | None = None) -> Definition:
    """A definition by ``name`` (newest version) or ``name@vN``."""
    wanted = name or DEFAULT
    base, _, version = wanted.partition("@v")
    matches = [d for d in all_definitions(session) if d.name == base]
    if version:
        matches = [d for d in matches if str(d.version) == version]
    if not matches:
        known = ", ".join(sorted({d.stamp for d in all_definitions(session)}))
        raise UnknownDefinition(
            f"no definition {wanted!r}; known: {known}. List them with `techforce workforce definitions`."
        )
    return max(matches, key=lambda d: d.version)


def load_file(path: Path) -> Definition:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(
            f"{path}: cannot read a JSON definition ({exc}); "
            "start from `techforce workforce definitions --show core --format json`"
        ) from None
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: the file must hold one JSON object")
    data.pop("builtin", None)
    try:
        return Definition(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DefinitionError(f"{path}: {problems}") from None


def add(session: Session, path: Path, *, actor: str) -> Definition:
    """Store a user definition; a new version when the name exists already."""
    definition = load_file(path)
    if definition.name in builtin_definitions():
        raise DefinitionError(f"{path}: {definition.name!r} is a built-in definition; choose another name")
    latest = session.scalar(
        select(func.max(UserDefinition.version)).where(UserDefinition.name == definition.name)
    )
    definition = definition.model_copy(update={"version": (latest or 0) + 1})
    session.add(
        UserDefinition(
            name=definition.name,
            version=definition.version,
            body=definition.model_dump(exclude={"builtin"}),
            created_by=actor,
        )
    )
    audit.record(
        session,
        actor=actor,
        action=events.DEFINITION_ADD,
        target=definition.stamp,
        payload={"file": str(path)},
    )
    return definition
