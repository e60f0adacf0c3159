"""Demo content for the research capability: a synthetic interview study (31 interviews at 20
providers, codebook, two coders, case studies) and a synthetic technician survey."""

from __future__ import annotations

from collections import Counter

import pytest

from techforce.errors import Invalid
from techforce.research.agreement import Coding, agreement
from techforce.research.surveys import Respondent, read_survey
from techforce.research.synth import (
    CODERS,
    PARTICIPANT_TYPES,
    DemoStudy,
    synth_study,
    synth_survey,
)
from techforce.research.synth_text import SURVEY_ITEMS, TOPICS
from techforce.research.transcripts import read_transcript, utf16_offset

PROVIDERS = [(f"{10000001 + i * 37:08d}", f"University of Place {i}") for i in range(120)]


@pytest.fixture(scope="module")
def study() -> DemoStudy:
    return synth_study(PROVIDERS)


def test_thirty_one_interviews_at_twenty_providers(study: DemoStudy) -> None:
    people = study.participants
    assert len(people) == 31 == len(study.transcripts)
    per_provider = Counter(p.ukprn for p in people)
    assert len(per_provider) == 20
    assert max(per_provider.values()) == 3
    assert {p.ukprn for p in people} <= {u for u, _ in PROVIDERS}
    assert {p.participant_type for p in people} == set(PARTICIPANT_TYPES)
    assert [p.pseudonym for p in people] == [f"P{i:02d}" for i in range(1, 32)]
    assert 25 <= sum(p.may_quote for p in people) < 31
    assert 1 <= sum(p.may_name for p in people) <= 3
    assert all(p.may_quote for p in people if p.may_name)
    for p in people:
        assert p.attributes["sex"] in {"F", "M"}
        assert set(p.attributes) == {"sex", "region", "mission_group", "years_in_role"}
    assert [t["topic"] for t in study.protocol] == [t for t, _ in TOPICS]
    assert len(study.protocol) == 8


def test_transcripts_read_back_as_turns_with_non_ascii(study: DemoStudy) -> None:
    emoji = 0
    for t in study.transcripts:
        read = read_transcript(t.data, t.filename)
        assert read.text == t.body
        assert {turn.speaker for turn in read.turns} == {"Interviewer", t.pseudonym}
        assert 4000 <= len(t.body.split()) <= 8000
        assert any(ord(ch) > 127 for ch in t.body)
        emoji += utf16_offset(read.text, len(read.text)) > len(read.text)
        sentences = [s for s in t.body.replace("\n", " ").split(". ") if len(s) > 60]
        assert len(sentences) - len(set(sentences)) <= 2, "sentences repeat within a transcript"
    assert emoji >= 3
    everything = "".join(t.body for t in study.transcripts)
    assert all(ch in everything for ch in "–“”’éëáł")


def test_codebook_is_a_tree_of_eight_topics(study: DemoStudy) -> None:
    parents = [c for c in study.codebook if len(c.path) == 1]
    children = [c for c in study.codebook if len(c.path) == 2]
    assert [c.path[0] for c in parents] == [t for t, _ in TOPICS]
    assert 28 <= len(children) <= 36
    assert {c.path[0] for c in children} == {c.path[0] for c in parents}
    shortcuts = [c.shortcut for c in children]
    assert len(set(shortcuts)) == len(shortcuts) and all(len(s) == 1 for s in shortcuts)
    for code in study.codebook:
        assert code.colour.startswith("#") and len(code.colour) == 7
        assert code.definition and code.inclusion and code.exclusion
    assert all(c.examples for c in children)


def test_codings_lie_inside_their_transcripts_on_known_codes(study: DemoStudy) -> None:
    texts = {t.pseudonym: read_transcript(t.data, t.filename).text for t in study.transcripts}
    paths = {c.path for c in study.codebook}
    assert {c.coder for c in study.codings} == set(CODERS)
    turns = {t.pseudonym: read_transcript(t.data, t.filename).turns for t in study.transcripts}
    for c in study.codings:
        assert c.code_path in paths and len(c.code_path) == 2
        assert 0 <= c.start < c.end <= len(texts[c.pseudonym])
        segment = texts[c.pseudonym][c.start : c.end]
        assert segment == segment.strip() and "\n" not in segment
        said = [turn for turn in turns[c.pseudonym] if turn.start <= c.start and c.end <= turn.end]
        assert [turn.speaker for turn in said] == [c.pseudonym], "a coding lies in one answer"
    assert all(any(c.pseudonym == p for c in study.codings) for p in texts)


def test_second_coder_agrees_most_of_the_time(study: DemoStudy) -> None:
    lengths = {t.pseudonym: len(t.body) for t in study.transcripts}
    rows = [Coding(c.coder, "/".join(c.code_path), c.pseudonym, c.start, c.end) for c in study.codings]
    report = agreement(rows, lengths)
    assert report.kappa is not None and 0.6 <= report.kappa <= 0.8
    assert report.alpha is not None and 0.6 <= report.alpha <= 0.8
    assert all(code.kappa is None or code.kappa < 0.95 for code in report.codes)


def test_case_studies_quote_coded_passages_of_quotable_people(study: DemoStudy) -> None:
    assert len(study.case_studies) == 6
    assert len({cs.ukprn for cs in study.case_studies}) == 6
    people = {p.pseudonym: p for p in study.participants}
    texts = {t.pseudonym: t.body for t in study.transcripts}
    coded = {(c.pseudonym, c.code_path, texts[c.pseudonym][c.start : c.end]) for c in study.codings}
    for cs in study.case_studies:
        assert cs.title and cs.summary and cs.body.count("\n\n") >= 2
        assert 2 <= len(cs.quotes) <= 3
        for pseudonym, path, fragment in cs.quotes:
            assert people[pseudonym].ukprn == cs.ukprn and people[pseudonym].may_quote
            assert (pseudonym, path, fragment) in coded


def test_survey_reads_into_respondents_with_likert_items() -> None:
    data = synth_survey(PROVIDERS)
    survey = read_survey(data, "technician_survey.csv")
    assert len(survey.respondents) == 1800
    kinds = {item.column: item.kind for item in survey.items}
    likert = [column for column, kind in kinds.items() if kind == "likert"]
    assert likert == [statement for statement, _ in SURVEY_ITEMS]
    assert kinds["respondent_id"] == "id"
    for column in ("institution", "region", "role_family", "sex", "age_band", "grade"):
        assert kinds[column] == "attribute"
    assert sum(kind == "free_text" for kind in kinds.values()) == 2
    blanks = sum(v is None for r in survey.respondents for v in r.likert.values())
    assert 0 < blanks < 0.1 * 1800 * len(likert)
    free = [v for r in survey.respondents for v in r.free_text.values() if v]
    assert 0.2 * 1800 < len(free) < 1800 and len(set(free)) > 100
    assert len({r.attributes["institution"] for r in survey.respondents}) > 20


def test_survey_answers_lean_on_attributes() -> None:
    survey = read_survey(synth_survey(PROVIDERS), "s.csv")
    item = "I have a clear route for career progression"

    def mean(rows: list[int | None]) -> float:
        values = [v for v in rows if v is not None]
        return sum(values) / len(values)

    def grade(r: Respondent) -> int:
        return int(r.attributes["grade"].split()[1])

    high = mean([r.likert[item] for r in survey.respondents if grade(r) >= 7])
    low = mean([r.likert[item] for r in survey.respondents if grade(r) <= 4])
    assert high > low


def test_same_seed_same_content_other_seed_other_content(study: DemoStudy) -> None:
    again = synth_study(PROVIDERS)
    assert again == study
    assert synth_survey(PROVIDERS, respondents=200) == synth_survey(PROVIDERS, respondents=200)
    other = synth_study(PROVIDERS, seed=7)
    assert other.transcripts[0].body != study.transcripts[0].body
    assert synth_survey(PROVIDERS, respondents=200, seed=7) != synth_survey(PROVIDERS, respondents=200)


def test_too_few_providers_is_refused() -> None:
    with pytest.raises(Invalid, match="at least 20 providers"):
        synth_study(PROVIDERS[:19])
    with pytest.raises(Invalid, match="at least one provider"):
        synth_survey([])
