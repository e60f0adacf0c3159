"""The quotes page and the case studies' pages: data only, no HTTP.

The quotes page lists each coded segment of a participant who consented to be quoted as a
candidate quote, with the safety check of its speaker (:mod:`techforce.research.quotes`),
the safer attributions it proposes, and the owner's decision checked again now
(:func:`techforce.research.quoting.quote_states`). Case studies show their quotes with the
same check: a quote whose speaker withdrew consent (or that is no longer safe) is flagged,
and exports leave it out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.research import analysis_data, quoting, service
from techforce.research import analysis_models as am
from techforce.research.analysis_pages import downloads, head, layer_control, reader
from techforce.research.models import CaseStudy, Study
from techforce.research.permissions import CODER, OWNER
from techforce.research.quotes import Attribution, Groups, QuoteCheck, Verdict, check_quote
from techforce.research.records import (
    CaseRecord,
    Table,
    attribute_names,
    attribute_value,
    check_attribute,
    code_label,
)
from techforce.workforce.models import Provider

EXCERPT = 160  # characters of a quote in a chooser's label
STATUSES = ["draft", "final"]


def _shown(attribution: Attribution) -> dict[str, str]:
    return {f: v for f, v in zip(attribution.fields, attribution.values, strict=True) if v}


def _fields(fields: Sequence[str], cases: Sequence[CaseRecord]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f for f in fields if f)) or quoting.ATTRIBUTION
    for name in chosen:
        check_attribute(name, cases)
    return chosen


def quotes_page(
    s: Db,
    guid: str,
    username: str,
    *,
    k: int,
    layer: str = "",
    fields: Sequence[str] = (),
    groups: Groups | None = None,
) -> am.QuotesPage:
    """Candidate quotes of one coding layer, each with its verdict (safe or at risk with the
    chosen attribution ``fields``), proposals and decision; and the quotes that may leave
    the team now (what the quotes export holds)."""
    groups = quoting.GROUPS if groups is None else groups
    st, right = reader(s, guid, username)
    shown, choices = analysis_data.chosen_layer(s, st, username, right, layer)
    cases = analysis_data.case_records(s, st)
    attribution = _fields(fields, cases)
    by_id = {c.id: c for c in cases}
    checks: dict[int, QuoteCheck] = {
        c.id: check_quote(c, cases, attribution=attribution, k=k, groups=groups) for c in cases
    }
    segments = analysis_data.segment_records(s, st, shown)
    states = quoting.quote_states(s, st, [x.id for x in segments], k=k, groups=groups, cases=cases)
    rows: list[am.QuoteRow] = []
    withheld = 0
    for seg in sorted(segments, key=lambda x: (x.code_path, x.source_name, x.start, x.id)):
        check = checks.get(seg.case_id) if seg.case_id is not None else None
        if check is None or check.verdict is Verdict.REFUSED:
            withheld += 1
            continue
        case = by_id[check.case_id]
        state = states[seg.id]
        rows.append(
            am.QuoteRow(
                coding_id=seg.id,
                text=seg.text,
                speaker=case.pseudonym,
                may_name=case.may_name,
                attributes={n: v for n in attribute_names(cases) if (v := attribute_value(case, n))},
                code=code_label(seg.code_path),
                source=seg.source_name,
                verdict=check.verdict.value,
                reasons=list(check.reasons),
                attribution=_shown(check.attribution),
                proposals=[
                    am.Proposal(text=p.text or "no attribution", attribution=_shown(p), matching=p.matching)
                    for p in check.proposals
                ],
                decision=state.decision,
                decided=quoting.attribution_text(state.attribution)
                if state.decision not in ("", "block")
                else "",
                ok=state.ok,
                problem="" if state.ok or not state.decision else state.problem,
            )
        )
    notes = [f"Attribution: {' × '.join(attribution)}; k = {k} cases must share it."]
    if withheld:
        notes.append(
            f"{withheld} segment(s) of participants who did not consent to be quoted are not listed."
        )
    codes = {c.id: c.path for c in analysis_data.code_records(s, st)}
    published = quoting.published_quotes(s, st, k=k, groups=groups, codes=codes)
    if right == CODER:  # blind coding: other coders' codings stay hidden while one codes
        published = Table(published.title, published.columns, (), ("Shown to owners and viewers.",))
    table = Table(
        "Candidate quotes",
        ("quote", "speaker", "code", "verdict", "attribution", "decision"),
        tuple(
            (r.text, r.speaker, r.code, r.verdict, quoting.attribution_text(r.attribution), r.decision or "")
            for r in rows
        ),
        tuple(notes),
    )
    options = [am.Option(value=n, label=n) for n in attribute_names(cases)]
    return am.QuotesPage(
        **head(st, right, "quotes"),
        controls=[
            layer_control(shown, choices),
            am.Control(
                name="attribution",
                label="Attribution",
                values=list(attribution),
                multiple=True,
                options=options,
            ),
        ],
        table=am.TableView.of(table),
        downloads=downloads(guid, "quotes", right, {}),
        layer=shown,
        k=k,
        fields=list(attribution),
        quotes=rows,
        can_decide=right == OWNER,
        published=am.TableView.of(published),
    )


def published(s: Db, guid: str, *, k: int, groups: Groups | None = None) -> Table:
    """The quotes export: quotes decided publish or coarsen that still pass consent and k,
    each with its decided attribution."""
    st = service.study(s, guid)
    codes = {c.id: c.path for c in analysis_data.code_records(s, st)}
    return quoting.published_quotes(s, st, k=k, groups=groups, codes=codes)


# ---------------------------------------------------------------- case studies


def provider_names(s: Db, ukprns: Sequence[str]) -> dict[str, str]:
    """Known providers' names by UKPRN (from the providers list the workforce imports)."""
    if not ukprns:
        return {}
    rows = s.execute(select(Provider.ukprn, Provider.name).where(Provider.ukprn.in_(list(ukprns))))
    return {u: n for u, n in rows if n}


def choices(
    s: Db, st: Study, *, k: int, groups: Groups | None = None, chosen: Sequence[int] = ()
) -> list[am.Choice]:
    """The quotes that may go into a case study now (decided publish or coarsen, still
    passing), those already chosen first in their order."""
    states = quoting.quote_states(s, st, k=k, groups=groups)
    ok = [c for c, state in states.items() if state.ok]
    labels = _labels(s, st, ok, states)
    order = [c for c in chosen if c in labels] + sorted(c for c in ok if c not in chosen)
    return [am.Choice(coding_id=c, label=labels[c], chosen=c in chosen) for c in order]


def _labels(s: Db, st: Study, ids: Sequence[int], states: Mapping[int, quoting.QuoteState]) -> dict[int, str]:
    by_case = {c.id: c for c in analysis_data.case_records(s, st)}
    texts = quoting.coding_texts(s, ids)
    out = {}
    for coding_id in ids:
        text = " ".join(texts[coding_id][0].split())
        text = text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + "…"
        state = states[coding_id]
        case = by_case.get(state.case_id) if state.case_id is not None else None
        who = case.pseudonym if case else "?"
        out[coding_id] = f"“{text}” — {who}, {quoting.attribution_text(state.attribution)}"
    return out


def case_studies_page(
    s: Db, guid: str, username: str, *, k: int, groups: Groups | None = None
) -> am.CaseStudiesPage:
    """The study's case studies (each about one provider) with how many of their quotes are
    flagged, and for owners the quotes a new case study may use."""
    st, right = reader(s, guid, username)
    rows = list(
        s.scalars(
            select(CaseStudy).where(CaseStudy.study_id == st.id).order_by(CaseStudy.title, CaseStudy.id)
        )
    )
    states = quoting.quote_states(s, st, [q.coding_id for r in rows for q in r.quotes], k=k, groups=groups)
    names = provider_names(s, sorted({r.ukprn for r in rows}))
    h = head(st, right, "case-studies", "Case studies")
    return am.CaseStudiesPage(
        **h,
        case_studies=[
            am.CaseStudyRow(
                guid=r.guid,
                title=r.title,
                ukprn=r.ukprn,
                provider=names.get(r.ukprn, ""),
                status=r.status,
                quotes=len(r.quotes),
                flagged=sum(1 for q in r.quotes if not states[q.coding_id].ok),
                href=f"/research/{guid}/case-studies/{r.guid}",
            )
            for r in rows
        ],
        can_edit=right == OWNER,
        choices=choices(s, st, k=k, groups=groups) if right == OWNER else [],
        statuses=STATUSES,
    )


def case_study_page(
    s: Db, guid: str, case_study: str, username: str, *, k: int, groups: Groups | None = None
) -> am.CaseStudyPage:
    """One case study: its provider, text and quotes, each checked again now (a flagged quote
    says why it may no longer be published). Only owners read the text of a quote whose
    speaker withdrew consent (to take it out); others see that it is withheld. Coders, as on
    the quotes page, see no quote's text, code or coding id while coding is blind (each
    withheld quote is numbered by its negative position instead); viewers see them."""
    st, right = reader(s, guid, username)
    row = quoting.case_study(s, st, case_study)
    ids = [q.coding_id for q in row.quotes]
    cases = analysis_data.case_records(s, st)
    by_case = {c.id: c for c in cases}
    states = quoting.quote_states(s, st, ids, k=k, groups=groups, cases=cases)
    texts = quoting.coding_texts(s, ids)
    codes = {c.id: c.path for c in analysis_data.code_records(s, st)}
    quotes = []
    for position, coding_id in enumerate(ids, start=1):
        state = states[coding_id]
        speaker = by_case.get(state.case_id) if state.case_id is not None else None
        text, _source, code_id = texts[coding_id]
        blind = right == CODER  # as on the quotes page: coders do not see others' codings
        quotes.append(
            am.CaseQuote(
                coding_id=-position if blind else coding_id,
                text=BLIND if blind else text if right == OWNER else _for_readers(text, speaker),
                speaker=speaker.pseudonym if speaker else "",
                may_name=bool(speaker and speaker.may_name),
                attribution=quoting.attribution_text(state.attribution),
                code=BLIND_CODE if blind else code_label(codes.get(code_id, ("(retired code)",))),
                ok=state.ok,
                problem=state.problem,
            )
        )
    h = head(st, right, "case-studies", row.title)
    return am.CaseStudyPage(
        **h,
        guid=row.guid,
        case_study_title=row.title,
        ukprn=row.ukprn,
        provider=provider_names(s, [row.ukprn]).get(row.ukprn, ""),
        summary=row.summary,
        body=row.body,
        status=row.status,
        created_by=row.created_by,
        updated_at=row.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
        quotes=quotes,
        flagged=sum(1 for q in quotes if not q.ok),
        can_edit=right == OWNER,
        choices=choices(s, st, k=k, groups=groups, chosen=ids) if right == OWNER else [],
        statuses=STATUSES,
    )


WITHHELD = "[quote withheld: consent withdrawn]"
BLIND = "[quote withheld while coding is blind]"
BLIND_CODE = "[withheld while coding is blind]"


def _for_readers(text: str, speaker: CaseRecord | None) -> str:
    """A quote's text as members other than owners see it: withheld once its speaker withdrew
    consent to be quoted, or left the study."""
    return text if speaker is not None and speaker.may_quote else WITHHELD


def require_owner(right: str) -> None:
    if right != OWNER:
        raise errors.Forbidden("only the study's owners decide quotes and edit case studies")
