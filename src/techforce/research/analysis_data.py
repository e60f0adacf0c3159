"""A study's store read into the records analysis works on (:mod:`techforce.research.records`):
its cases with the consent in force, its codes by path, the coded segments of one *layer*,
and its survey answers as a :class:`~techforce.research.surveys.Survey`.

A layer says whose coding is analysed: ``consensus`` (the resolved coding agreed in review),
``all`` (every coder's own coding together: a text two coders coded counts twice) or
``coder:<name>`` (one coder's). Blind coding holds here too: a coder analyses only their own
layer; owners and viewers may choose any."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.research import coding
from techforce.research.models import Case, Coding, Member, Source, Study, Value, Variable
from techforce.research.permissions import CODER, OWNER
from techforce.research.records import (
    CaseRecord,
    CodeRecord,
    SegmentRecord,
    attribute_names,
    attribute_value,
)
from techforce.research.service import consent_of
from techforce.research.surveys import Item, Respondent, Survey

ALL_CODERS = "all"
CONSENSUS = coding.CONSENSUS
LAYER_PREFIX = "coder:"


@dataclass(frozen=True)
class Layer:
    """A layer the reader may analyse: ``value`` as in the URL, ``label`` as people read it."""

    value: str
    label: str


def right_of(s: Db, st: Study, username: str) -> str:
    """``username``'s right in the study (the route's permission checked membership); a
    non-member gets the same not-found as for a study that does not exist."""
    found = s.scalar(select(Member.right).where(Member.study_id == st.id, Member.username == username))
    if found is None:
        raise errors.NotFound(f"there is no study {st.guid}")
    return found


def case_records(s: Db, st: Study) -> list[CaseRecord]:
    """Every case of the study with the consent in force (none recorded: nothing allowed)."""
    rows = s.scalars(select(Case).where(Case.study_id == st.id).order_by(Case.pseudonym, Case.id))
    out: list[CaseRecord] = []
    for row in rows:
        consent = consent_of(row)
        out.append(
            CaseRecord(
                id=row.id,
                pseudonym=row.pseudonym,
                participant_type=row.participant_type,
                institution=row.institution,
                attributes={str(k): str(v) for k, v in (row.attributes or {}).items()},
                may_quote=bool(consent and consent.may_quote),
                may_archive=bool(consent and consent.may_archive),
                may_name=bool(consent and consent.may_name and consent.may_quote),
            )
        )
    return out


def code_records(s: Db, st: Study) -> list[CodeRecord]:
    """The live codes in codebook order (parents before children), with their paths."""
    codes = coding.codes_of(s, st.id)
    names = coding.paths(codes)
    return [CodeRecord(c.id, names[c.id]) for c in codes]


def layers(s: Db, st: Study, username: str, right: str) -> tuple[str, list[Layer]]:
    """The layer shown by default and the layers the reader may choose. A coder: only their
    own. Owners and viewers: the consensus when there is one (else all coders together), and
    any coder's own layer."""
    mine = Layer(f"{LAYER_PREFIX}{username}", f"{username}'s codings")
    if right == CODER:
        return mine.value, [mine]
    coders = coding.coders_of(s, st.id)
    has_consensus = bool(
        s.scalar(
            select(func.count())
            .select_from(Coding)
            .where(Coding.study_id == st.id, Coding.layer == CONSENSUS)
        )
    )
    choices = [
        Layer(CONSENSUS, "Consensus (after review)"),
        Layer(ALL_CODERS, "All coders together"),
        *(Layer(f"{LAYER_PREFIX}{c}", f"{c}'s codings") for c in coders),
    ]
    if right == OWNER and username not in coders:
        choices.append(mine)
    return (CONSENSUS if has_consensus else ALL_CODERS), choices


def chosen_layer(s: Db, st: Study, username: str, right: str, layer: str) -> tuple[str, list[Layer]]:
    """The layer asked for (or the default), and the choices; NotFound for one the reader
    may not see (a coder asking for another coder's codings learns nothing)."""
    default, choices = layers(s, st, username, right)
    if layer and layer not in {c.value for c in choices}:
        raise errors.NotFound(f"there is no layer {layer[:80]!r} you may see in this study")
    return layer or default, choices


def segment_records(s: Db, st: Study, layer: str) -> list[SegmentRecord]:
    """The coded segments of ``layer`` (``consensus``, ``all`` or ``coder:<name>``), each with
    its text, its source's case and its code's path. Codings of retired codes are left out."""
    codes = {c.id: c.path for c in code_records(s, st)}
    query = select(Coding).where(Coding.study_id == st.id)
    if layer == CONSENSUS:
        query = query.where(Coding.layer == CONSENSUS)
    elif layer == ALL_CODERS:
        query = query.where(Coding.layer == coding.CODER)
    elif layer.startswith(LAYER_PREFIX):
        query = query.where(Coding.layer == coding.CODER, Coding.coder == layer.removeprefix(LAYER_PREFIX))
    else:
        raise errors.NotFound(f"there is no layer {layer[:80]!r} in this study")
    rows = list(s.scalars(query.order_by(Coding.source_id, Coding.start, Coding.id)))
    sources = {
        i: (name, text, case_id)
        for i, name, text, case_id in s.execute(
            select(Source.id, Source.name, Source.text, Source.case_id).where(Source.study_id == st.id)
        )
    }
    out: list[SegmentRecord] = []
    for row in rows:
        if row.code_id not in codes or row.source_id not in sources:
            continue
        name, text, case_id = sources[row.source_id]
        out.append(
            SegmentRecord(
                id=row.id,
                source_id=row.source_id,
                source_name=name,
                case_id=case_id,
                code_id=row.code_id,
                code_path=codes[row.code_id],
                start=row.start,
                end=row.end,
                text=text[row.start : row.end],
                coder=row.coder,
            )
        )
    return out


def survey_of(s: Db, st: Study, cases: list[CaseRecord]) -> Survey:
    """The study's survey answers: one respondent per case (named by the case's GUID, which
    gives each their record key), its Likert items as scale points, and the participants'
    attributes (built-in fields too) as the columns to group by."""
    variables = list(
        s.scalars(
            select(Variable)
            .where(Variable.study_id == st.id, Variable.kind == "likert")
            .order_by(Variable.position, Variable.id)
        )
    )
    guids: dict[int, str] = dict(s.execute(select(Case.id, Case.guid).where(Case.study_id == st.id)).all())
    answers: dict[int, dict[int, str]] = {}
    for case_id, variable_id, value in s.execute(
        select(Value.case_id, Value.variable_id, Value.value)
        .join(Variable, Variable.id == Value.variable_id)
        .where(Variable.study_id == st.id)
    ):
        answers.setdefault(case_id, {})[variable_id] = value
    names = [n for n in attribute_names(cases) if n not in {v.name for v in variables}]
    items = [Item(v.name, "likert", list(v.scale), v.question or None) for v in variables]
    items += [Item(n, "attribute") for n in names]
    respondents = []
    for case in cases:
        mine = answers.get(case.id, {})
        likert: dict[str, int | None] = {}
        for v in variables:
            given = mine.get(v.id)
            likert[v.name] = v.scale.index(given) + 1 if given in v.scale else None
        attributes = {n: attribute_value(case, n) for n in names}
        respondents.append(Respondent(guids.get(case.id, str(case.id)), attributes, likert))
    return Survey(respondents, items)
