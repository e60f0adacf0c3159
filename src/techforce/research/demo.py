"""The demo research studies in the store: the synthetic interview study of
:func:`techforce.research.synth.synth_study` (protocol, 31 participants with attributes and
consent, transcripts with turns, the codebook, two coders' codings, six case studies with
quotes) and the synthetic national technician survey as a second study.

Rows are written in bulk (thousands of codings), with one audit entry per study loaded. A
second load is refused while the demo interview study is in the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as Db

from techforce import audit, errors
from techforce.accounts.models import User
from techforce.research import events, synth, synth_survey
from techforce.research.coding import codebook_json, codes_of
from techforce.research.models import (
    Case,
    CaseStudy,
    CaseStudyQuote,
    Code,
    CodebookVersion,
    Coding,
    Consent,
    Member,
    QuoteDecision,
    Source,
    Study,
)
from techforce.research.permissions import OWNER
from techforce.research.quoting import DEFAULT_K, GROUPS
from techforce.research.service import import_survey, set_member
from techforce.research.transcripts import read_transcript

CODER_RIGHT = "coder"
STUDY_NAME = synth.DemoStudy.name
SURVEY_NAME = "National technician survey (demo)"
SURVEY_DESCRIPTION = (
    "Synthetic demo data: a national technician survey export with ten statements on a "
    "five-point agree scale and two free-text questions. Every respondent and answer is invented."
)
SURVEY_FILE = "technician_survey_demo.csv"
# the demo studies are known by these GUIDs, never by their names, which anyone may give a study
STUDY_GUID = "7e3c5a1d-0d6f-4c1e-9b1a-de0000000001"
SURVEY_GUID = "7e3c5a1d-0d6f-4c1e-9b1a-de0000000002"
Path = tuple[str, ...]


@dataclass
class DemoLoaded:
    """What a demo load put in the store."""

    study: str  # the interview study's GUID
    survey: str  # the survey study's GUID
    cases: int = 0
    sources: int = 0
    codes: int = 0
    codings: int = 0
    case_studies: int = 0
    respondents: int = 0
    coders: tuple[str, ...] = ()
    members: list[str] = field(default_factory=list)  # accounts added as members

    def line(self) -> str:
        """A summary for people, in lines that fit an 80-column terminal."""
        return (
            f"Research: demo interviews, {self.cases} participants, {self.codes} codes, "
            f"{self.codings:,} codings\n"
            f"Research: {self.case_studies} case studies; demo survey of {self.respondents:,} respondents"
        )


def load_demo(
    s: Db,
    *,
    providers: Sequence[tuple[str, str]],
    owner: str,
    coders: tuple[str, str] | None,
    actor: str,
    respondents: int = 1800,
) -> DemoLoaded:
    """Load the demo interview study and the demo survey; ``providers`` are (UKPRN, name)
    pairs (at least 20). ``owner`` owns both studies; ``coders`` (default the synthetic
    "coder_a" and "coder_b") are named on the codings and become members where they have an
    active account. Refused when the demo study is there already."""
    if s.scalar(select(Study.id).where(Study.guid.in_((STUDY_GUID, SURVEY_GUID)))) is not None:
        raise errors.Refused(
            f"The demo study {STUDY_NAME!r} is there already: use a fresh data folder to load it again.",
            status=409,
        )
    demo = synth.synth_study(providers)
    names = coders or synth.CODERS
    rename = dict(zip(synth.CODERS, names, strict=True))
    st = _study(s, STUDY_GUID, demo.name, "interview", demo.description, owner, demo.protocol)
    members = _members(s, st, [n for n in names if n != owner])
    cases = _cases(s, st, demo.participants, actor)
    sources = _sources(s, st, demo.transcripts, cases, owner)
    codes = _codes(s, st, demo.codebook, owner)
    coding_ids = _codings(s, st, demo.codings, sources, codes, rename)
    texts = {pseudonym: text for pseudonym, (_, text) in sources.items()}
    made = _case_studies(s, st, demo, cases, texts, coding_ids, owner)
    loaded = DemoLoaded(
        study=st.guid,
        survey="",
        cases=len(cases),
        sources=len(sources),
        codes=len(codes),
        codings=len(coding_ids),
        case_studies=made,
        coders=tuple(names),
        members=members,
    )
    audit.record(
        s,
        actor=actor,
        action=events.PROJECT_IMPORT,
        target=st.guid,
        payload={"file": "demo", "demo": True, "sources": loaded.sources, "codings": loaded.codings},
    )
    survey = _study(s, SURVEY_GUID, SURVEY_NAME, "survey", SURVEY_DESCRIPTION, owner, [])
    _members(s, survey, [n for n in names if n != owner])
    data = synth_survey.synth_survey(providers, respondents=respondents)
    loaded.respondents = import_survey(
        s,
        survey.guid,
        data,
        SURVEY_FILE,
        actor=actor,
        institution_column="institution",
        type_column="role_family",
    )
    loaded.survey = survey.guid
    return loaded


def share(s: Db, username: str, *, actor: str) -> int:
    """Make ``username`` (an active account) an owner of the demo studies, e.g. the demo's
    admin, who would otherwise not see them; returns how many studies changed."""
    changed = 0
    for st in list(s.scalars(select(Study).where(Study.guid.in_((STUDY_GUID, SURVEY_GUID))))):
        current = s.get(Member, (st.id, username))
        if current is None or current.right != OWNER:
            set_member(s, st.guid, username, OWNER, actor=actor)
            changed += 1
    return changed


def _study(
    s: Db, guid: str, name: str, kind: str, description: str, owner: str, protocol: list[dict[str, object]]
) -> Study:
    st = Study(guid=guid, name=name, kind=kind, description=description, protocol=protocol, created_by=owner)
    s.add(st)
    s.flush()
    s.add(Member(study_id=st.id, username=owner, right=OWNER))
    return st


def _members(s: Db, st: Study, names: Sequence[str]) -> list[str]:
    """Coders with an active account become coders of the study; others stay names only."""
    known = set(
        s.scalars(select(User.username).where(User.username.in_(list(names)), User.disabled.is_(False)))
    )
    added = [n for n in names if n in known]
    s.add_all(Member(study_id=st.id, username=n, right=CODER_RIGHT) for n in added)
    s.flush()
    return added


def _cases(s: Db, st: Study, people: Sequence[synth.DemoCase], actor: str) -> dict[str, Case]:
    out: dict[str, Case] = {}
    for p in people:
        row = Case(
            study_id=st.id,
            pseudonym=p.pseudonym,
            participant_type=p.participant_type,
            institution=p.ukprn,
            attributes=dict(p.attributes),
        )
        row.consents.append(
            Consent(
                may_quote=p.may_quote,
                may_archive=p.may_archive,
                may_name=p.may_name and p.may_quote,
                note="demo consent form",
                recorded_by=actor,
            )
        )
        out[p.pseudonym] = row
    s.add_all(out.values())
    s.flush()
    return out


def _sources(
    s: Db, st: Study, transcripts: Sequence[synth.DemoTranscript], cases: dict[str, Case], owner: str
) -> dict[str, tuple[int, str]]:
    """Each pseudonym's transcript source: (id, text)."""
    rows: dict[str, Source] = {}
    for t in transcripts:
        read = read_transcript(t.data, t.filename)
        rows[t.pseudonym] = Source(
            study_id=st.id,
            name=t.filename,
            kind="transcript",
            format=read.format,
            text=read.text,
            turns=[[x.speaker, x.start, x.end, x.begins_at, x.ends_at] for x in read.turns],
            case_id=cases[t.pseudonym].id,
            created_by=owner,
        )
    s.add_all(rows.values())
    s.flush()
    return {p: (row.id, row.text) for p, row in rows.items()}


def _codes(s: Db, st: Study, codebook: Sequence[synth.DemoCode], owner: str) -> dict[Path, int]:
    out: dict[Path, int] = {}
    positions: dict[Path, int] = {}
    for c in codebook:  # parents come before their children
        parent = c.path[:-1]
        row = Code(
            study_id=st.id,
            parent_id=out[parent] if parent else None,
            name=c.path[-1],
            colour=c.colour,
            definition=c.definition,
            inclusion=c.inclusion,
            exclusion=c.exclusion,
            examples=c.examples,
            shortcut=c.shortcut,
            position=positions.get(parent, 0),
        )
        positions[parent] = positions.get(parent, 0) + 1
        s.add(row)
        s.flush()
        out[c.path] = row.id
    s.add(
        CodebookVersion(
            study_id=st.id,
            number=1,
            note="The demo codebook",
            codes=codebook_json(codes_of(s, st.id)),
            created_by=owner,
        )
    )
    return out


def _codings(
    s: Db,
    st: Study,
    codings: Sequence[synth.DemoCoding],
    sources: dict[str, tuple[int, str]],
    codes: dict[Path, int],
    rename: dict[str, str],
) -> dict[tuple[str, str, Path, int, int], int]:
    """Insert the codings in bulk; returns their ids by (coder, pseudonym, path, start, end)."""
    keys = [(rename[c.coder], c.pseudonym, c.code_path, c.start, c.end) for c in codings]
    rows = [
        {
            "study_id": st.id,
            "source_id": sources[pseudonym][0],
            "code_id": codes[path],
            "coder": coder,
            "layer": "coder",
            "start": start,
            "end": end,
        }
        for coder, pseudonym, path, start, end in keys
    ]
    if rows:
        s.execute(insert(Coding), rows)
    by_code = {v: k for k, v in codes.items()}
    by_source = {v[0]: k for k, v in sources.items()}
    found = s.execute(
        select(Coding.id, Coding.coder, Coding.source_id, Coding.code_id, Coding.start, Coding.end).where(
            Coding.study_id == st.id
        )
    )
    return {(c, by_source[src], by_code[cd], a, b): i for i, c, src, cd, a, b in found}


def _case_studies(
    s: Db,
    st: Study,
    demo: synth.DemoStudy,
    cases: dict[str, Case],
    texts: dict[str, str],
    coding_ids: dict[tuple[str, str, Path, int, int], int],
    owner: str,
) -> int:
    """Each case study with its quotes: a coarsened decision (participant type at a UK
    provider, shared by at least k participants) on one coder's coding of each quote."""
    by_type: dict[str, int] = {}
    for c in cases.values():
        by_type[c.participant_type] = by_type.get(c.participant_type, 0) + 1
    quote_of = {(p, path, texts[p][a:b]): i for (_, p, path, a, b), i in sorted(coding_ids.items())}
    decided: set[int] = set()
    for number, cs in enumerate(demo.case_studies):
        row = CaseStudy(
            study_id=st.id,
            title=cs.title[:300],
            ukprn=cs.ukprn,
            summary=cs.summary,
            body=cs.body,
            status="final" if number % 2 == 0 else "draft",
            created_by=owner,
        )
        s.add(row)
        s.flush()
        for position, (pseudonym, path, words) in enumerate(cs.quotes):
            coding_id = quote_of.get((pseudonym, path, words))
            speaker = cases[pseudonym]
            if coding_id is None or not speaker.consents[-1].may_quote:
                continue
            if coding_id not in decided:
                kind = speaker.participant_type
                shown = {"participant_type": kind} if by_type[kind] >= DEFAULT_K else {}
                s.add(
                    QuoteDecision(
                        study_id=st.id,
                        coding_id=coding_id,
                        decision="coarsen",
                        attribution={**shown, "institution": str(GROUPS["institution"])},
                        decided_by=owner,
                    )
                )
                decided.add(coding_id)
            s.add(CaseStudyQuote(case_study_id=row.id, coding_id=coding_id, position=position))
    s.flush()
    return len(demo.case_studies)
