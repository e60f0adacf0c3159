"""The research pages' data: a reader's studies, a study's overview, the coding view of a
source, the codebook and the review of agreement. No HTTP here: web/research.py turns these
into pages and their /api twins.

Blind coding: a coder sees only their own codings (counts too); owners and viewers may look
at any coder's layer or at the consensus. The review compares coders, so coders do not see it
(web/research_coding.py refuses them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.audit import AuditEvent
from techforce.research import agreement, coding, events, service
from techforce.research import page_models as pm
from techforce.research.models import Case, Code, CodebookVersion, Coding, Member, Memo, Source, Study
from techforce.research.permissions import CODER, OWNER, RIGHTS

EXCERPT = 160  # characters of a coding's text shown in lists


def right_of(s: Db, st: Study, username: str) -> str:
    """``username``'s right in the study (the route's permission has checked membership)."""
    found = s.scalar(select(Member.right).where(Member.study_id == st.id, Member.username == username))
    if found is None:
        raise errors.NotFound(f"there is no study {st.guid}")
    return found


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _count(s: Db, column: Any, study_ids: Sequence[int], *where: Any) -> dict[int, int]:
    rows = s.execute(select(column, func.count()).where(column.in_(study_ids), *where).group_by(column)).all()
    return {int(k): int(n) for k, n in rows}


def studies_page(s: Db, username: str, *, can_create: bool) -> pm.StudiesPage:
    """The studies ``username`` is a member of, with their right and counts."""
    mine = service.studies_of(s, username)
    ids = [st.id for st, _ in mine]
    cases = _count(s, Case.study_id, ids)
    sources = _count(s, Source.study_id, ids)
    codes = _count(s, Code.study_id, ids, Code.retired.is_(False))
    codings = _count(s, Coding.study_id, ids, Coding.coder == username, Coding.layer == coding.CODER)
    return pm.StudiesPage(
        studies=[
            pm.StudyRow(
                guid=st.guid,
                name=st.name,
                kind=st.kind,
                right=right,
                participants=cases.get(st.id, 0),
                sources=sources.get(st.id, 0),
                codes=codes.get(st.id, 0),
                codings=codings.get(st.id, 0),
                href=f"/research/{st.guid}",
            )
            for st, right in mine
        ],
        can_create=can_create,
        kinds=list(service.KINDS),
    )


def protocol_from_text(text: str) -> list[dict[str, Any]]:
    """A protocol typed as text: a line per topic, its questions on the lines below it, each
    starting with "-" (e.g. "Roles" then "- How was your role created?")."""
    topics: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("-"):
            if not topics:
                raise errors.Invalid(
                    f"protocol, line {number}: the question {line[:60]!r} comes before any topic; "
                    "write a topic on the line above it"
                )
            topics[-1]["questions"].append(line.lstrip("- ").strip())
        else:
            topics.append({"topic": line, "questions": []})
    return topics


def protocol_as_text(protocol: Sequence[dict[str, Any]]) -> str:
    return "\n".join(
        "\n".join([str(t.get("topic", "")), *(f"- {q}" for q in t.get("questions", []))]) for t in protocol
    )


def _participant(row: Case) -> pm.ParticipantView:
    consent = service.consent_of(row)
    return pm.ParticipantView(
        id=row.id,
        pseudonym=row.pseudonym,
        participant_type=row.participant_type,
        institution=row.institution,
        attributes=dict(row.attributes or {}),
        consent=pm.ConsentView(
            may_quote=consent.may_quote,
            may_archive=consent.may_archive,
            may_name=consent.may_name,
            note=consent.note,
            recorded_by=consent.recorded_by,
            recorded_at=_when(consent.recorded_at),
        )
        if consent
        else None,
    )


def study_page(s: Db, guid: str, username: str) -> pm.StudyPage:
    """A study's overview: protocol, members, participants with consent, sources, links."""
    st = service.study(s, guid)
    right = right_of(s, st, username)
    cases = list(s.scalars(select(Case).where(Case.study_id == st.id).order_by(Case.pseudonym)))
    names = {c.id: c.pseudonym for c in cases}
    rows = s.execute(
        select(Source.id, Source.name, Source.kind, Source.format, Source.case_id, Source.turns)
        .add_columns(func.length(Source.text))
        .where(Source.study_id == st.id)
        .order_by(Source.name)
    ).all()
    base = f"/research/{guid}"
    return pm.StudyPage(
        title=st.name,
        guid=guid,
        name=st.name,
        kind=st.kind,
        description=st.description,
        right=right,
        owner=right == OWNER,
        protocol=[pm.TopicView(topic=t["topic"], questions=list(t["questions"])) for t in st.protocol],
        members=[
            pm.MemberView(username=m.username, right=m.right)
            for m in sorted(st.members, key=lambda m: (RIGHTS.index(m.right), m.username))
        ],
        participants=[_participant(c) for c in cases],
        sources=[
            pm.SourceRow(
                id=i,
                name=name,
                kind=kind,
                format=fmt,
                participant=names.get(case_id) if case_id else None,
                case_id=case_id,
                characters=int(length or 0),
                turns=len(turns or []),
                href=f"{base}/sources/{i}",
            )
            for i, name, kind, fmt, case_id, turns, length in rows
        ],
        rights=list(RIGHTS),
        links={
            "codebook": f"{base}/codebook",
            "review": f"{base}/review",
            "analysis": f"{base}/analysis",
            "matrix": f"{base}/analysis/matrix",
        },
    )


# ---------------------------------------------------------------- the coding view


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def code_views(s: Db, st: Study) -> list[pm.CodeView]:
    codes = coding.codes_of(s, st.id)
    named = coding.paths(codes)
    return [
        pm.CodeView(
            id=c.id,
            name=c.name,
            path=" / ".join(named[c.id]),
            parent_id=c.parent_id,
            depth=len(named[c.id]) - 1,
            colour=c.colour,
            shortcut=c.shortcut,
            definition=c.definition,
            inclusion=c.inclusion,
            exclusion=c.exclusion,
            examples=c.examples,
        )
        for c in codes
    ]


def _turns(src: Source) -> list[pm.TurnView]:
    turns = src.turns or [[None, 0, len(src.text), None, None]]
    return [
        pm.TurnView(
            speaker=speaker,
            start=start,
            end=end,
            begins_at=_clock(begins),
            ends_at=_clock(ends),
            text=src.text[start:end],
        )
        for speaker, start, end, begins, ends in turns
    ]


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def coding_view(row: Coding, text: str, codes: dict[int, pm.CodeView], removable: bool) -> pm.CodingView:
    found = codes.get(row.code_id)
    return pm.CodingView(
        id=row.id,
        code_id=row.code_id,
        code=found.path if found else f"code {row.code_id}",
        colour=found.colour if found else "#888888",
        coder=row.coder,
        layer=row.layer,
        start=row.start,
        end=row.end,
        text=_excerpt(text[row.start : row.end]),
        removable=removable,
    )


def layers(s: Db, st: Study, username: str, right: str) -> tuple[str, list[pm.LayerChoice]]:
    """The layer shown by default and those the reader may switch to: a coder sees only their
    own codings; owners and viewers any coder's, or the consensus."""
    if right == CODER:
        return f"coder:{username}", []
    coders = sorted({*coding.coders_of(s, st.id), *([username] if right == OWNER else [])})
    choices = [pm.LayerChoice(value=f"coder:{c}", label=f"{c}'s codings") for c in coders]
    choices.append(pm.LayerChoice(value=coding.CONSENSUS, label="Consensus (after review)"))
    return (f"coder:{username}" if right == OWNER else coding.CONSENSUS), choices


def source_page(s: Db, guid: str, source_id: int, username: str, layer: str = "") -> pm.SourcePage:
    """The coding view: the source's text by turns, the code panel, the codings of one layer
    and the memos on the source."""
    st = service.study(s, guid)
    right = right_of(s, st, username)
    src = service.source(s, st, source_id)
    default, choices = layers(s, st, username, right)
    if layer and layer != default and layer not in {c.value for c in choices}:
        raise errors.NotFound(f"there is no layer {layer[:80]!r} you may see in this study")
    shown = layer or default
    coder = shown.removeprefix("coder:") if shown.startswith("coder:") else None
    rows = coding.codings_of(
        s, st.id, source_id=src.id, coder=coder, layer=coding.CODER if coder else coding.CONSENSUS
    )
    can_code = right in (OWNER, CODER) and coder == username
    codes = code_views(s, st)
    by_id = {c.id: c for c in codes}
    case = s.get(Case, src.case_id) if src.case_id else None
    return pm.SourcePage(
        title=src.name,
        study=guid,
        study_name=st.name,
        id=src.id,
        name=src.name,
        participant=case.pseudonym if case else None,
        characters=len(src.text),
        turns=_turns(src),
        codes=codes,
        codings=[
            coding_view(r, src.text, by_id, can_code or (coder is None and right == OWNER)) for r in rows
        ],
        memos=memo_views(s, st, username, right, source_id=src.id),
        layer=shown,
        layers=choices,
        can_code=can_code,
        api=f"/api/research/{guid}/sources/{src.id}/codings",
    )


def memo_views(s: Db, st: Study, username: str, right: str, *, source_id: int) -> list[pm.MemoView]:
    """The memos on a source (and on its codings); a coder sees only their own memos, as
    memos on codings would show other coders' work."""
    query = select(Memo).where(Memo.study_id == st.id, Memo.source_id == source_id)
    if right == CODER:
        query = query.where(Memo.author == username)
    return [
        pm.MemoView(
            id=m.id,
            title=m.title,
            text=m.text,
            author=m.author,
            coding_id=m.coding_id,
            code_id=m.code_id,
            updated_at=_when(m.updated_at),
            mine=m.author == username,
        )
        for m in s.scalars(query.order_by(Memo.updated_at.desc(), Memo.id.desc()))
    ]


# ---------------------------------------------------------------- codebook and review


def codebook_page(s: Db, guid: str, username: str) -> pm.CodebookPage:
    """The codebook tree with each code's use, its saved versions and (for owners) each
    code's codings, to split it."""
    st = service.study(s, guid)
    right = right_of(s, st, username)
    codes = code_views(s, st)
    query = select(Coding.code_id, func.count()).where(Coding.study_id == st.id)
    if right == CODER:
        query = query.where(Coding.coder == username, Coding.layer == coding.CODER)
    used = {int(k): int(n) for k, n in s.execute(query.group_by(Coding.code_id)).all()}
    for c in codes:
        c.codings = used.get(c.id, 0)
    versions = s.scalars(
        select(CodebookVersion)
        .where(CodebookVersion.study_id == st.id)
        .order_by(CodebookVersion.number.desc())
    )
    return pm.CodebookPage(
        title=f"Codebook: {st.name}",
        study=guid,
        study_name=st.name,
        owner=right == OWNER,
        codes=codes,
        versions=[
            pm.VersionView(
                number=v.number,
                note=v.note,
                codes=len(v.codes),
                created_by=v.created_by,
                created_at=_when(v.created_at),
            )
            for v in versions
        ],
        splits=_splits(s, st, codes) if right == OWNER else [],
    )


def _splits(s: Db, st: Study, codes: list[pm.CodeView]) -> list[pm.CodeCodings]:
    texts = dict(s.execute(select(Source.id, Source.text).where(Source.study_id == st.id)).all())
    by_id = {c.id: c for c in codes}
    out: dict[int, list[pm.CodingView]] = {}
    for row in coding.codings_of(s, st.id):
        out.setdefault(row.code_id, []).append(coding_view(row, texts.get(row.source_id, ""), by_id, False))
    return [pm.CodeCodings(code_id=k, codings=v) for k, v in sorted(out.items()) if k in by_id]


def _resolutions(s: Db, guid: str) -> list[dict[str, Any]]:
    """Every resolve decision taken in review, oldest first (the audit trail keeps them all)."""
    rows = s.scalars(
        select(AuditEvent.payload)
        .where(AuditEvent.action == events.CONSENSUS_RESOLVE, AuditEvent.target == guid)
        .order_by(AuditEvent.id)
    )
    return [dict(p) for p in rows]


def _state(seg: agreement.Segment, decisions: list[dict[str, Any]]) -> str:
    state = ""
    for d in decisions:
        if (
            str(d.get("code")) == seg.code
            and str(d.get("source")) == seg.source
            and d.get("start", 0) <= seg.start
            and d.get("end", 0) >= seg.end
        ):
            state = "applied" if d.get("apply") else "not applied"
    return state


def review_page(s: Db, guid: str, coders: Sequence[str] = (), *, coded_only: bool = False) -> pm.ReviewPage:
    """Agreement between the chosen coders (default: all), per code and overall, and each
    disagreement with its text, who applied the code and how it was resolved."""
    st = service.study(s, guid)
    everyone = coding.coders_of(s, st.id)
    chosen = [c for c in coders if c in everyone] or everyone
    units = coding.units(s, st, chosen)
    codes = {c.id: c for c in code_views(s, st)}
    page = pm.ReviewPage(
        title=f"Review: {st.name}",
        study=guid,
        study_name=st.name,
        owner=False,
        all_coders=everyone,
        coders=chosen,
        coded_only=coded_only,
        kappa=None,
        alpha=None,
        percent=None,
        notes=[],
        codes=[],
        disagreements=[],
    )
    try:
        report = agreement.agreement(units.codings, units.lengths, coders=chosen, coded_only=coded_only)
    except errors.Invalid as exc:
        page.notes = [exc.message]
        return page
    page.kappa, page.alpha, page.percent = report.kappa, report.alpha, report.percent
    page.notes = list(report.notes)
    page.codes = [
        pm.AgreementRow(
            code_id=int(r.code),
            code=codes[int(r.code)].path if int(r.code) in codes else r.code,
            units=r.units,
            kappa=r.kappa,
            alpha=r.alpha,
            percent=r.percent,
            coded_by=r.coded_by,
            notes=list(r.notes),
        )
        for r in report.codes
    ]
    page.disagreements = _disagreements(s, st, guid, units, report, codes)
    return page


def _disagreements(
    s: Db,
    st: Study,
    guid: str,
    units: coding.Units,
    report: agreement.AgreementReport,
    codes: dict[int, pm.CodeView],
) -> list[pm.DisagreementView]:
    texts = dict(s.execute(select(Source.id, Source.text).where(Source.study_id == st.id)).all())
    decisions = _resolutions(s, guid)
    out: list[pm.DisagreementView] = []
    for row in report.codes:
        found = codes.get(int(row.code))
        for seg in agreement.disagreements(units.codings, units.lengths, row.code, report.coders):
            text = texts.get(int(seg.source), "")
            out.append(
                pm.DisagreementView(
                    code_id=int(seg.code),
                    code=found.path if found else seg.code,
                    colour=found.colour if found else "#888888",
                    source_id=int(seg.source),
                    source=units.source_names.get(seg.source, seg.source),
                    start=seg.start,
                    end=seg.end,
                    text=text[seg.start : seg.end],
                    applied_by=list(seg.applied_by),
                    not_applied_by=list(seg.not_applied_by),
                    resolved=_state(seg, decisions),
                )
            )
    return out
