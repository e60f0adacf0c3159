"""Is it safe to publish this participant's words with this attribution?

A quote is published with its speaker's pseudonym and an *attribution*: a few of their
attributes, e.g. ``participant_type × institution × sex`` ("Technician, University of Leeds,
woman"). The rules, in order:

1. **Consent.** A case that has not agreed to be quoted (``may_quote`` false) is *refused*:
   nothing of theirs is published, whatever the attribution.
2. **k rule.** Readers who know the study's population can pick out the speaker when few
   cases share the attribution. The quote is *safe* when at least ``k`` cases of the study
   (the speaker included) have the same values on every attribution field, and at *risk*
   otherwise. A field the speaker has no value for is left out of the attribution (the
   reader learns nothing from it).
3. **Coarsening.** For a quote at risk, :func:`coarsen` proposes safer attributions: it takes
   the most identifying field first (the one whose value the fewest cases share) and either
   generalises it to a broader group the caller supplies (institution → region, or every
   institution → "a UK provider") or, when no group is known for it, drops it; and again,
   until at least ``k`` cases match. Single changes that are already enough are proposed
   too, most informative first.
4. **Decision.** The researcher picks a :class:`Decision` per case: publish as is (only when
   safe), coarsen to one of the proposals, or block. :func:`decide` enforces the rules.

Decide per *case*, not per quote: the pseudonym links every quote of one speaker, so two
quotes with different attributions would tell the reader the union of both ("jigsaw").

The pseudonym is what the reader sees unless the case agreed to be named (``may_name``);
this module never sees names, so it reports ``may_name`` and the service shows the name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from techforce.errors import Invalid, Refused
from techforce.research.records import CaseRecord, attribute_value, check_attribute

# field -> (value -> broader group), or field -> one label for every value ("a UK provider")
Groups = Mapping[str, Mapping[str, str] | str]


class Verdict(StrEnum):
    SAFE = "safe"
    RISK = "risk"
    REFUSED = "refused"


class Decision(StrEnum):
    """What the researcher decides for a case's quotes."""

    PUBLISH = "publish"  # as is: only when the check says safe
    COARSEN = "coarsen"  # with one of the proposed attributions
    BLOCK = "block"  # not at all


@dataclass(frozen=True)
class Attribution:
    """The attribution a reader would see: ``fields`` in order, ``values`` as shown (a
    generalised field shows its broader group), and how many cases of the study share it."""

    fields: tuple[str, ...]
    generalised: tuple[str, ...]
    values: tuple[str, ...]
    matching: int

    @property
    def text(self) -> str:
        return ", ".join(self.values)


@dataclass(frozen=True)
class QuoteCheck:
    """The verdict on quoting one case with one attribution, why, and safer proposals."""

    case_id: int
    speaker: str
    may_name: bool
    verdict: Verdict
    k: int
    attribution: Attribution
    reasons: tuple[str, ...]
    proposals: tuple[Attribution, ...]


@dataclass(frozen=True)
class Resolution:
    """A decision applied: publish the case's quotes (with ``attribution``) or not."""

    case_id: int
    decision: Decision
    publish: bool
    speaker: str
    may_name: bool
    attribution: Attribution | None


def _shown(case: CaseRecord, name: str, generalised: bool, groups: Groups) -> str | None:
    """What the reader sees for one field; None when it cannot be generalised."""
    value = attribute_value(case, name)
    if not generalised:
        return value
    group = groups.get(name)
    if isinstance(group, str):
        return group
    return None if group is None else group.get(value)


def _matching(
    case: CaseRecord, cases: Sequence[CaseRecord], fields: Sequence[str], gen: set[str], groups: Groups
) -> int:
    want = [_shown(case, f, f in gen, groups) for f in fields]
    return sum(1 for c in cases if [_shown(c, f, f in gen, groups) for f in fields] == want)


def _attribution(
    case: CaseRecord, cases: Sequence[CaseRecord], fields: Sequence[str], gen: set[str], groups: Groups
) -> Attribution:
    values = tuple(_shown(case, f, f in gen, groups) or "" for f in fields)
    generalised = tuple(f for f in fields if f in gen)
    return Attribution(tuple(fields), generalised, values, _matching(case, cases, fields, gen, groups))


def _validate(case: CaseRecord, cases: Sequence[CaseRecord], attribution: Sequence[str], k: int) -> list[str]:
    """The attribution fields the case has values for; Invalid for a bad request."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise Invalid(f"k must be a whole number of cases, at least 1 (got {k!r}).")
    if all(c.id != case.id for c in cases):
        raise Invalid(f"Case {case.pseudonym!r} (id {case.id}) is not one of the study's cases.")
    if len(set(attribution)) != len(attribution):
        raise Invalid(f"The attribution repeats a field ({', '.join(attribution)}); name each once.")
    for name in attribution:
        check_attribute(name, cases)
    return [f for f in attribution if attribute_value(case, f)]


def _most_identifying(
    case: CaseRecord, cases: Sequence[CaseRecord], fields: Sequence[str], gen: set[str], groups: Groups
) -> str:
    """The field whose shown value the fewest cases share; ties: more distinct values in the
    study, then the field named last."""

    def rank(pos_name: tuple[int, str]) -> tuple[int, int, int]:
        pos, name = pos_name
        shared = _matching(case, cases, [name], gen, groups)
        distinct = len({_shown(c, name, name in gen, groups) for c in cases})
        return (shared, -distinct, -pos)

    return min(enumerate(fields), key=rank)[1]


def coarsen(
    case: CaseRecord,
    cases: Sequence[CaseRecord],
    *,
    attribution: tuple[str, ...],
    k: int,
    groups: Groups | None = None,
) -> tuple[Attribution, ...]:
    """Safer attributions (each shared by at least ``k`` cases), most informative first: fewest
    fields dropped, then fewest generalised, then the most specific. Empty when even no
    attribution at all is shared by ``k`` cases (the study is smaller than ``k``)."""
    groups = groups or {}
    fields = _validate(case, cases, attribution, k)
    found: dict[tuple[tuple[str, ...], tuple[str, ...]], Attribution] = {}

    def offer(chosen: Sequence[str], gen: set[str]) -> None:
        option = _attribution(case, cases, chosen, gen, groups)
        if option.matching >= k:
            found.setdefault((option.fields, option.generalised), option)

    for name in fields:  # one change alone
        if _shown(case, name, True, groups) is not None:
            offer(fields, {name})
        offer([f for f in fields if f != name], set())
    current, gen = list(fields), set[str]()
    while current and _matching(case, cases, current, gen, groups) < k:  # the greedy path
        name = _most_identifying(case, cases, current, gen, groups)
        if name not in gen and _shown(case, name, True, groups) is not None:
            gen.add(name)
        else:
            current.remove(name)
            gen.discard(name)
    offer(current, gen)
    return tuple(
        sorted(
            found.values(),
            key=lambda a: (len(fields) - len(a.fields), len(a.generalised), a.matching),
        )
    )


def check_quote(
    case: CaseRecord,
    cases: Sequence[CaseRecord],
    *,
    attribution: tuple[str, ...],
    k: int,
    groups: Groups | None = None,
) -> QuoteCheck:
    """The verdict on quoting ``case`` with ``attribution`` among the study's ``cases``:
    refused without consent to be quoted, at risk when fewer than ``k`` cases share the
    attribution (then with proposals from :func:`coarsen`), else safe."""
    groups = groups or {}
    fields = _validate(case, cases, attribution, k)
    shown = _attribution(case, cases, fields, set(), groups)
    reasons: list[str] = []
    left_out = [f for f in attribution if f not in fields]
    if left_out:
        reasons.append(f"not recorded for this case, so left out: {', '.join(left_out)}")
    if not case.may_quote:
        reasons.insert(0, "the participant has not consented to be quoted")
        return QuoteCheck(
            case.id, case.pseudonym, case.may_name, Verdict.REFUSED, k, shown, tuple(reasons), ()
        )
    label = shown.text or "no attribution"
    if shown.matching >= k:
        reasons.insert(0, f"{shown.matching} cases share '{label}' (at least k = {k})")
        return QuoteCheck(case.id, case.pseudonym, case.may_name, Verdict.SAFE, k, shown, tuple(reasons), ())
    proposals = coarsen(case, cases, attribution=attribution, k=k, groups=groups)
    reasons.insert(0, f"only {shown.matching} case(s) share '{label}' (fewer than k = {k})")
    if not proposals:
        reasons.append(f"the study has {len(cases)} case(s), fewer than k: no attribution is safe; block")
    return QuoteCheck(
        case.id, case.pseudonym, case.may_name, Verdict.RISK, k, shown, tuple(reasons), proposals
    )


def decide(check: QuoteCheck, decision: Decision, proposal: Attribution | None = None) -> Resolution:
    """Apply the researcher's decision. Publishing as is needs a safe verdict; coarsening
    needs one of the check's proposals; nothing of a case without consent is ever published.
    Blocking is always allowed."""

    def resolved(publish: bool, attribution: Attribution | None) -> Resolution:
        return Resolution(check.case_id, decision, publish, check.speaker, check.may_name, attribution)

    if decision is Decision.BLOCK:
        return resolved(False, None)
    if check.verdict is Verdict.REFUSED:
        raise Refused(f"{check.speaker} has not consented to be quoted; the only decision is to block.")
    if decision is Decision.PUBLISH:
        if check.verdict is not Verdict.SAFE:
            raise Refused(
                f"Quoting {check.speaker} as '{check.attribution.text}' is at risk "
                f"({'; '.join(check.reasons)}); coarsen to a proposed attribution or block."
            )
        return resolved(True, check.attribution)
    if proposal is None or proposal not in check.proposals:
        offered = "; ".join(f"'{p.text or 'no attribution'}'" for p in check.proposals) or "none"
        raise Invalid(f"Coarsen to one of the proposed attributions for {check.speaker}: {offered}.")
    return resolved(True, proposal)
