"""Quote decisions and case studies: what of a study's coded text may leave the team.

A quote is one coding's text. Its owner decides after the safety check of
:mod:`techforce.research.quotes`: **publish** as is (only when the check says safe now),
**coarsen** to an attribution that at least ``k`` cases of the study share, or **block**.
One speaker is shown with one attribution: two quotes of one case with different
attributions would tell a reader both ("jigsaw"), so a second attribution is refused.

Consent can be withdrawn after a decision, cases can leave the study, and an owner can change
a participant's details: every reader of a decision (case studies, exports) checks it again
(:func:`quote_states`): consent, that the stored attribution still describes the speaker,
that ``k`` cases still share it, and that the speaker's quotes still carry one attribution. A
quote that no longer passes is flagged on its case study and left out of every export until
it is decided again. Every change is audited in its transaction; the audit entry names the
coding and the decision, never the attribution's values (admins read the audit log)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.audit import utcnow
from techforce.research import analysis_data, events
from techforce.research.models import CaseStudy, CaseStudyQuote, Coding, QuoteDecision, Source, Study
from techforce.research.quotes import Decision, Groups, Verdict, check_quote
from techforce.research.records import CaseRecord, Table, Value, attribute_value, check_attribute, code_label
from techforce.research.service import Line, Prose, checked, study

DEFAULT_K = 5  # cases that must share an attribution (settings: research_quote_k)
GROUPS: Groups = {"institution": "a UK provider"}  # how a field may be generalised
ATTRIBUTION: tuple[str, ...] = ("participant_type", "institution")  # what a quote is shown with
UKPRN = r"^1\d{7}$"


@dataclass(frozen=True)
class QuoteState:
    """A coding's quote decision checked again now: ``ok`` when it may be published (a publish
    or coarsen decision, the speaker still consents to be quoted, and still at least ``k``
    cases share the attribution); else ``problem`` says why not."""

    coding_id: int
    case_id: int | None
    decision: str  # publish | coarsen | block | "" (none yet)
    attribution: dict[str, str]
    ok: bool
    problem: str


def attribution_text(attribution: Mapping[str, str]) -> str:
    return ", ".join(v for v in attribution.values() if v) or "no attribution"


def shares(case: CaseRecord, attribution: Mapping[str, str], groups: Groups) -> bool:
    """Does ``case`` fit ``attribution`` (field -> value as shown): its own value, or the
    broader group its value falls in?"""
    for name, shown in attribution.items():
        actual = attribute_value(case, name)
        group = groups.get(name)
        broader = group if isinstance(group, str) else (group.get(actual) if group is not None else None)
        if shown not in (actual, broader):
            return False
    return True


def matching(cases: Sequence[CaseRecord], attribution: Mapping[str, str], groups: Groups) -> int:
    return sum(1 for c in cases if shares(c, attribution, groups))


def _coding_case(s: Db, st: Study, coding_id: int) -> tuple[Coding, int | None]:
    row = s.get(Coding, coding_id)
    if row is None or row.study_id != st.id:
        raise errors.NotFound(f"there is no coding {coding_id} in this study")
    return row, s.scalar(select(Source.case_id).where(Source.id == row.source_id))


def _checked_attribution(
    speaker: CaseRecord,
    cases: Sequence[CaseRecord],
    decision: Decision,
    attribution: Mapping[str, str],
    k: int,
    groups: Groups,
) -> dict[str, str]:
    """The attribution to store for a publish or coarsen decision, or the reason it is refused."""
    for name in attribution:
        check_attribute(name, cases)
    if decision is Decision.PUBLISH:
        check = check_quote(speaker, cases, attribution=tuple(attribution), k=k, groups=groups)
        if check.verdict is not Verdict.SAFE:
            raise errors.Refused(
                f"Quoting {speaker.pseudonym} as '{check.attribution.text or 'no attribution'}' is not safe "
                f"({'; '.join(check.reasons)}): coarsen to a proposed attribution or block.",
                status=409,
            )
        return dict(zip(check.attribution.fields, check.attribution.values, strict=True))
    wanted = {name: value for name, value in attribution.items() if value}
    if not shares(speaker, wanted, groups):
        raise errors.Invalid(
            f"'{attribution_text(wanted)}' does not describe {speaker.pseudonym}: give each field "
            "their own value or the broader group it falls in (e.g. institution: 'a UK provider').",
            [{"field": "attribution", "value": dict(wanted)}],
        )
    found = matching(cases, wanted, groups)
    if found < k:
        raise errors.Refused(
            f"Only {found} case(s) share '{attribution_text(wanted)}', fewer than k = {k}: "
            "choose a coarser attribution (fewer or broader fields) or block.",
            status=409,
        )
    return wanted


def decide_quote(
    s: Db,
    guid: str,
    coding_id: int,
    decision: Decision | str,
    attribution: Mapping[str, str],
    *,
    actor: str,
    k: int = DEFAULT_K,
    groups: Groups | None = None,
) -> QuoteDecision:
    """Decide whether a coding's text may be quoted, and with which attribution (field ->
    value as shown). ``publish``: the check of the speaker with these fields must say safe now
    (the values shown are theirs). ``coarsen``: each value is the speaker's own or a broader
    group, and at least ``k`` cases share it. ``block``: always allowed. A speaker has one
    attribution across their quotes. Refused for a speaker who has not consented."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise errors.Invalid(
            f"There is no decision {str(decision)[:40]!r}: choose publish, coarsen or block.",
            [{"field": "decision", "value": str(decision)[:40]}],
        ) from None
    groups = GROUPS if groups is None else groups
    st = study(s, guid)
    row, case_id = _coding_case(s, st, coding_id)
    stored: dict[str, str] = {}
    if chosen is not Decision.BLOCK:
        if case_id is None:
            raise errors.Refused(
                f"Coding {coding_id} is in a source without a participant, so nobody consented to "
                "quoting it: link the source to a participant first, or block it.",
                status=409,
            )
        cases = analysis_data.case_records(s, st)
        speaker = next(c for c in cases if c.id == case_id)
        if not speaker.may_quote:
            raise errors.Refused(
                f"{speaker.pseudonym} has not consented to be quoted: the only decision is to block.",
                status=409,
            )
        stored = _checked_attribution(speaker, cases, chosen, attribution, k, groups)
        _same_attribution(s, st, speaker, row.id, stored)
    found = s.scalar(select(QuoteDecision).where(QuoteDecision.coding_id == row.id))
    if found is None:
        found = QuoteDecision(study_id=st.id, coding_id=row.id, decision=chosen.value, decided_by=actor)
        s.add(found)
    found.decision, found.attribution = chosen.value, stored
    found.decided_by, found.decided_at = actor, utcnow()
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.QUOTE_DECIDE,
        target=guid,
        payload={"coding": row.id, "decision": chosen.value},
    )
    return found


def _same_attribution(s: Db, st: Study, speaker: CaseRecord, coding_id: int, wanted: dict[str, str]) -> None:
    """Refuse a second attribution for one speaker (their quotes together would tell more)."""
    others = s.execute(
        select(QuoteDecision.coding_id, QuoteDecision.attribution)
        .join(Coding, Coding.id == QuoteDecision.coding_id)
        .join(Source, Source.id == Coding.source_id)
        .where(
            QuoteDecision.study_id == st.id,
            Source.case_id == speaker.id,
            QuoteDecision.decision != Decision.BLOCK.value,
            QuoteDecision.coding_id != coding_id,
        )
    ).all()
    for other, attribution in others:
        if dict(attribution or {}) != wanted:
            raise errors.Refused(
                f"{speaker.pseudonym}'s quote (coding {other}) is published as "
                f"'{attribution_text(attribution or {})}': one speaker has one attribution, or "
                "their quotes together identify them. Use that attribution, or block that quote first.",
                status=409,
            )


def quote_states(
    s: Db,
    st: Study,
    coding_ids: Iterable[int] | None = None,
    *,
    k: int = DEFAULT_K,
    groups: Groups | None = None,
    cases: Sequence[CaseRecord] | None = None,
) -> dict[int, QuoteState]:
    """Each decided coding (or each of ``coding_ids``, decided or not) checked again now."""
    groups = GROUPS if groups is None else groups
    cases = analysis_data.case_records(s, st) if cases is None else cases
    by_id = {c.id: c for c in cases}
    query = (
        select(Coding.id, Source.case_id, QuoteDecision.decision, QuoteDecision.attribution)
        .join(Source, Source.id == Coding.source_id)
        .outerjoin(QuoteDecision, QuoteDecision.coding_id == Coding.id)
        .where(Coding.study_id == st.id)
    )
    wanted = None if coding_ids is None else set(coding_ids)
    if wanted is None:
        query = query.where(QuoteDecision.id.is_not(None))
    rows = [row for row in s.execute(query) if wanted is None or row[0] in wanted]
    mixed = _mixed_attributions(s, st)
    out: dict[int, QuoteState] = {}
    for coding_id, case_id, decision, attribution in rows:
        shown = dict(attribution or {})
        speaker = by_id.get(case_id) if case_id is not None else None
        problem = _problem(decision, shown, speaker, cases, k, groups, mixed)
        out[coding_id] = QuoteState(coding_id, case_id, decision or "", shown, not problem, problem)
    return out


def _problem(
    decision: str | None,
    shown: dict[str, str],
    speaker: CaseRecord | None,
    cases: Sequence[CaseRecord],
    k: int,
    groups: Groups,
    mixed: set[int],
) -> str:
    """Why a decided quote may not be published now, or "" when it may."""
    if not decision:
        return "no quote decision yet: decide it on the quotes page"
    if decision == Decision.BLOCK.value:
        return "blocked"
    if speaker is None:
        return "the participant is no longer in the study"
    if not speaker.may_quote:
        return f"{speaker.pseudonym} has withdrawn consent to be quoted"
    if not shares(speaker, shown, groups):
        return (
            f"'{attribution_text(shown)}' no longer describes {speaker.pseudonym} (their details "
            "changed): needs review, decide the quote again"
        )
    if (n := matching(cases, shown, groups)) < k:
        return f"only {n} case(s) now share '{attribution_text(shown)}' (fewer than k = {k})"
    if speaker.id in mixed:
        return (
            f"{speaker.pseudonym}'s quotes carry different attributions, which together tell more: "
            "needs review, decide them again with one attribution"
        )
    return ""


def _mixed_attributions(s: Db, st: Study) -> set[int]:
    """The cases whose publish or coarsen decisions carry more than one attribution."""
    seen: dict[int, set[tuple[tuple[str, str], ...]]] = {}
    found = s.execute(
        select(Source.case_id, QuoteDecision.attribution)
        .join(Coding, Coding.id == QuoteDecision.coding_id)
        .join(Source, Source.id == Coding.source_id)
        .where(
            QuoteDecision.study_id == st.id,
            QuoteDecision.decision != Decision.BLOCK.value,
            Source.case_id.is_not(None),
        )
    )
    for case_id, attribution in found:
        if case_id is not None:
            seen.setdefault(case_id, set()).add(tuple(sorted(dict(attribution or {}).items())))
    return {case_id for case_id, kinds in seen.items() if len(kinds) > 1}


def published_quotes(
    s: Db,
    st: Study,
    *,
    k: int = DEFAULT_K,
    groups: Groups | None = None,
    codes: Mapping[int, tuple[str, ...]],
) -> Table:
    """The quotes that may leave the team: decided publish or coarsen and still passing (consent
    and k), each with the decided attribution. ``codes``: code id -> path."""
    cases = analysis_data.case_records(s, st)
    states = quote_states(s, st, k=k, groups=groups, cases=cases)
    by_case = {c.id: c for c in cases}
    ok = [state for state in states.values() if state.ok]
    rows: list[tuple[Value, ...]] = []
    texts = coding_texts(s, [state.coding_id for state in ok])
    for state in sorted(ok, key=lambda q: (texts[q.coding_id][1], q.coding_id)):
        speaker = by_case[state.case_id] if state.case_id is not None else None
        text, source_name, code_id = texts[state.coding_id]
        rows.append(
            (
                text,
                speaker.pseudonym if speaker else "",
                "yes" if speaker and speaker.may_name else "no",
                attribution_text(state.attribution),
                code_label(codes.get(code_id, ("(retired code)",))),
                source_name,
                state.decision,
            )
        )
    left_out = len(states) - len(ok)
    notes = [f"Quotes decided publish or coarsen that still pass consent and k = {k}."]
    if left_out:
        notes.append(f"{left_out} decided quote(s) left out: blocked, consent withdrawn or no longer safe.")
    columns = ("quote", "speaker", "may be named", "attribution", "code", "source", "decision")
    return Table("Published quotes", columns, tuple(rows), tuple(notes))


def coding_texts(s: Db, coding_ids: Sequence[int]) -> dict[int, tuple[str, str, int]]:
    """coding id -> (its text, its source's name, its code id)."""
    if not coding_ids:
        return {}
    found = s.execute(
        select(Coding.id, Coding.start, Coding.end, Coding.code_id, Source.name, Source.text)
        .join(Source, Source.id == Coding.source_id)
        .where(Coding.id.in_(list(coding_ids)))
    )
    return {i: (text[a:b], name, code_id) for i, a, b, code_id, name, text in found}


# ---------------------------------------------------------------- case studies


class CaseStudyIn(BaseModel):
    title: Line = Field(min_length=1, max_length=300)
    ukprn: str = Field(pattern=UKPRN, description="the provider's UKPRN: eight digits starting with 1")
    summary: Prose = Field(default="", max_length=5000)
    body: Prose = Field(default="", max_length=100_000)
    status: Literal["draft", "final"] = "draft"
    quotes: list[int] = Field(default_factory=list, max_length=100, description="coding ids, in order")


def case_study(s: Db, st: Study, case_study_guid: str) -> CaseStudy:
    found = s.scalar(select(CaseStudy).where(CaseStudy.study_id == st.id, CaseStudy.guid == case_study_guid))
    if found is None:
        raise errors.NotFound(f"there is no case study {case_study_guid[:40]} in this study")
    return found


def save_case_study(
    s: Db,
    guid: str,
    data: CaseStudyIn | Mapping[str, object],
    *,
    actor: str,
    case_study_id: str | None = None,
    k: int = DEFAULT_K,
    groups: Groups | None = None,
) -> CaseStudy:
    """Add a case study about one provider, or change one (``case_study_id``: its GUID). Each
    quote must be a coding of this study with a publish or coarsen decision that still passes
    (consent and k); quotes are kept in the order given, each once."""
    fields = data if isinstance(data, CaseStudyIn) else checked(CaseStudyIn, "case study", **dict(data))
    st = study(s, guid)
    if len(set(fields.quotes)) != len(fields.quotes):
        raise errors.Invalid("quotes: a quote is listed twice; list each once.", [{"field": "quotes"}])
    states = quote_states(s, st, fields.quotes, k=k, groups=groups)
    for coding_id in fields.quotes:
        state = states.get(coding_id)
        if state is None:
            raise errors.Invalid(
                f"quotes: there is no coding {coding_id} in this study.",
                [{"field": "quotes", "value": coding_id}],
            )
        if not state.ok:
            raise errors.Refused(
                f"quotes: coding {coding_id} may not be quoted ({state.problem}); decide it "
                "publish or coarsen on the quotes page, or leave it out.",
                status=409,
            )
    row = case_study(s, st, case_study_id) if case_study_id is not None else None
    if row is None:
        row = CaseStudy(study_id=st.id, created_by=actor)
        s.add(row)
    row.title, row.ukprn, row.summary, row.body = fields.title, fields.ukprn, fields.summary, fields.body
    row.status, row.updated_at = fields.status, utcnow()
    row.quotes.clear()
    s.flush()
    for position, coding_id in enumerate(fields.quotes):
        row.quotes.append(CaseStudyQuote(case_study_id=row.id, coding_id=coding_id, position=position))
    s.flush()
    audit.record(
        s,
        actor=actor,
        action=events.CASE_STUDY_SAVE,
        target=guid,
        payload={
            "case_study": row.guid,
            "created": case_study_id is None,
            "ukprn": row.ukprn,
            "status": row.status,
            "quotes": list(fields.quotes),
        },
    )
    return row
