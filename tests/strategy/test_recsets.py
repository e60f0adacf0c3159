"""Recommendation sets as data: the shipped sets, user imports from CSV and YAML, and the
exports that read back to the same set."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from techforce import errors
from techforce.present.tables import FORMULA_START
from techforce.strategy import recsets
from techforce.strategy.recsets import Recommendation, RecommendationSet, Source

HEADER = "code,title,text,addressees,theme,pillars\n"


def _csv(body: str, **overrides: Any) -> RecommendationSet:
    kwargs: dict[str, Any] = {
        "set_id": "our-review-2025",
        "title": "Our technical review",
        "publisher": "Example University",
        "published": "2025-03-14",
        "version": 1,
    }
    kwargs.update(overrides)
    return recsets.read_csv(body.encode(), "review.csv", **kwargs)


def _problems(excinfo: pytest.ExceptionInfo[errors.Invalid]) -> list[tuple[str, str]]:
    return [(p.where, p.field) for p in excinfo.value.problems]


def _validator() -> jsonschema.Draft202012Validator:
    schema = recsets.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# ---------------------------------------------------------------- shipped sets


def test_shipped_sets_load_and_satisfy_the_schema() -> None:
    validator = _validator()
    sets = recsets.shipped()
    assert [s.id for s in sets] == ["stl-2024", "talent-commission-2022"]  # newest first
    for rs in sets:
        assert list(validator.iter_errors(recsets.as_dict(rs))) == []
        file = f"{rs.id}.yaml"
        raw = yaml.safe_load(recsets._data(file))  # the file as written, not as we read it
        assert list(validator.iter_errors(raw)) == [], file
        assert rs.version >= 1 and rs.source.citation and rs.publisher


def test_the_stl_report_has_its_six_recommendations() -> None:
    stl = recsets.shipped_set("stl-2024")
    assert [r.code for r in stl.recommendations] == [f"STL-{n}" for n in range(1, 7)]
    assert stl.published == date(2024, 11, 1)
    assert "Senior Strategic Lead" in stl.recommendation("stl-1").text  # codes match without case
    assert "decision-making committees" in stl.recommendation("STL-4").text
    assert "mentoring and coaching" in stl.recommendation("STL-5").text
    assert stl.wording == "paraphrase" and "paraphrase" in stl.note
    with pytest.raises(errors.NotFound, match="STL-1, STL-2"):
        stl.recommendation("STL-7")


def test_the_talent_commission_has_sixteen_addressed_to_the_named_groups() -> None:
    tc = recsets.shipped_set("talent-commission-2022")
    assert [r.code for r in tc.recommendations] == [f"TC-{n}" for n in range(1, 17)]
    assert tc.source.url == "https://www.mitalent.ac.uk/theTALENTCommission"
    assert tc.wording == "paraphrase" and tc.note
    addressed = {a for r in tc.recommendations for a in r.addressees}
    assert {
        "employers",
        "funders",
        "government",
        "professional-bodies",
        "learned-societies",
        "technicians",
    } <= addressed
    assert {p for r in tc.recommendations for p in r.pillars} == set(recsets.PILLARS)
    with pytest.raises(errors.NotFound, match="stl-2024"):
        recsets.shipped_set("talent-2099")


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("set_id", ["stl-2024", "talent-commission-2022"])
def test_yaml_and_csv_read_back_to_the_same_set(set_id: str) -> None:
    rs = recsets.shipped_set(set_id)
    assert recsets.read_yaml(recsets.to_yaml(rs).encode(), "export.yaml") == rs
    back = recsets.read_csv(
        recsets.to_csv(rs).encode(),
        "export.csv",
        set_id=rs.id,
        title=rs.title,
        publisher=rs.publisher,
        published=rs.published,
        version=rs.version,
        citation=rs.source.citation,
        url=rs.source.url,
        wording=rs.wording,
        note=rs.note,
    )
    assert back == rs


def test_formula_cells_are_guarded_in_csv_and_read_back_exactly() -> None:
    risky = Recommendation(
        code="R-1",
        title='=HYPERLINK("http://evil.example","click")',
        text="+44 20 7946 0000 is the helpline; '=already quoted",
        addressees=("employers",),
        theme="@SUM(A1:A9)",
        pillars=("visibility",),
    )
    quoted = dataclasses.replace(
        risky, code="R-2", title="'=looks guarded already", text="-1 plus\ttab", theme=""
    )
    rs = RecommendationSet("risky", 1, "Risky", "Us", date(2025, 1, 2), Source("test"), (risky, quoted))
    text = recsets.to_csv(rs)
    for row in csv.reader(io.StringIO(text)):
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
    back = recsets.read_csv(
        text.encode(),
        "risky.csv",
        set_id="risky",
        title="Risky",
        publisher="Us",
        published="2025-01-02",
        citation="test",
    )
    assert back == rs


def test_a_spreadsheet_csv_with_a_bom_and_friendly_terms_is_read() -> None:
    body = (
        "\ufeffCode,Title,Text,Addressees,Theme,Pillars\r\n"
        "A1,Lead,Appoint a lead,Professional bodies; Employers;employers,leadership,Career development\r\n"
        ",,,,,\r\n"
    )
    rs = _csv(body)
    (rec,) = rs.recommendations
    assert rec.addressees == ("professional-bodies", "employers")
    assert rec.pillars == ("career-development",)
    assert list(_validator().iter_errors(recsets.as_dict(rs))) == []
    assert recsets.read_yaml(recsets.to_yaml(rs).encode(), "x.yaml") == rs


# ---------------------------------------------------------------- bad input: CSV


def test_every_problem_in_a_csv_is_reported_at_once_with_row_and_field() -> None:
    body = HEADER + (
        "A1,,Appoint a lead,employer,leadership,visibility\n"  # empty title, unknown addressee
        "a1,Second,,funders,,visibilty\n"  # duplicate code (any case), empty text, unknown pillar
        "B 2,Third,Text,funders,,\n"  # bad code, no pillar
    )
    with pytest.raises(errors.Invalid) as excinfo:
        _csv(body, set_id="Not A Slug", published="2024-02-30", version="one")
    found = _problems(excinfo)
    assert found == [
        ("row 2", "title"),
        ("row 2", "addressees"),
        ("row 3", "text"),
        ("row 3", "pillars"),
        ("row 4", "code"),
        ("row 4", "pillars"),
        ("row 3", "code"),
        ("", "id"),
        ("", "version"),
        ("", "published"),
    ]
    message = excinfo.value.message
    assert "review.csv: 10 problems; nothing was imported" in message
    assert "review.csv, row 2, field addressees: 'employer' is not one of employers" in message
    assert "did you mean 'employers'?" in message
    assert "did you mean 'visibility'?" in message and "career-development, sustainability" in message
    assert "'a1' is already used by row 2" in message
    assert "YYYY-MM-DD" in message
    detail = excinfo.value.problem()
    assert detail["status"] == 422 and detail["problems"][0]["row"] == 2


@pytest.mark.parametrize(
    ("body", "where", "field", "words"),
    [
        ("code,title,text,addressees,theme,pilars\n", "row 1", "pilars", "did you mean 'pillars'"),
        ("code,title,text,addressees,theme,pilars\n", "row 1", "pillars", "column is missing"),
        (HEADER, "", "recommendations", "no rows"),
        (HEADER + "A,T,X,funders,t,visibility,extra\n", "row 2", "", "7 cells"),
        (HEADER + "A,T,X\x00Y,funders,t,visibility\n", "row 2", "text", "control character"),
        (HEADER + 'A,T,"X,funders,t,visibility\n', "row 2", "", "3 cells where the header has 6"),
    ],
)
def test_csv_shape_problems_name_the_row(body: str, where: str, field: str, words: str) -> None:
    with pytest.raises(errors.Invalid) as excinfo:
        _csv(body)
    assert (where, field) in _problems(excinfo)
    assert words in excinfo.value.message


def test_a_csv_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(errors.Invalid, match=r"not UTF-8 text.*save it as UTF-8"):
        recsets.read_csv(
            (HEADER + "A,Caf\xe9,X,funders,,visibility\n").encode("latin-1"),
            "latin.csv",
            set_id="x",
            title="x",
            publisher="x",
            published="2025-01-01",
            version=1,
        )


def test_a_csv_over_the_limits_is_refused() -> None:
    rows = "".join(f"R{n},T,X,funders,,visibility\n" for n in range(recsets.MAX_RECOMMENDATIONS + 1))
    with pytest.raises(errors.Invalid, match="501 rows, over the limit of 500"):
        _csv(HEADER + rows)
    with pytest.raises(errors.Invalid, match="over the limit of 2,097,152"):
        _csv(HEADER + "A,T," + "x" * recsets.MAX_BYTES + ",funders,,visibility\n")


# ---------------------------------------------------------------- bad input: YAML


GOOD_YAML = """
id: my-set
version: 2
title: My set
publisher: Us
published: 2025-01-31
source: {citation: Our own review, url: "https://example.org/review"}
recommendations:
  - {code: M-1, title: One, text: First, addressees: [employers], theme: t, pillars: [visibility]}
"""


def test_a_yaml_set_with_an_unquoted_date_is_read() -> None:
    rs = recsets.read_yaml(GOOD_YAML.encode(), "mine.yaml")
    assert rs.published == date(2025, 1, 31) and rs.version == 2
    assert rs.source == Source("Our own review", "https://example.org/review")


def test_every_problem_in_a_yaml_set_names_the_recommendation_and_field() -> None:
    text = """
id: my-set
version: 0
title: ""
publisher: Us
published: 2025-02-30
source: {citation: x, url: "javascript:alert(1)", pages: 3}
wording: exact
recomendation_note: typo
recommendations:
  - {code: M-1, title: One, text: First, addressees: [employers], theme: t, pillars: [visibility]}
  - just text
  - {code: M-1, titel: Two, text: "", addressees: government, pillars: [sustainabilty]}
  - {code: M-3, title: [a list], text: Third, addressees: [], theme: 5, pillars: [recognition, 7]}
"""
    with pytest.raises(errors.Invalid) as excinfo:
        recsets.read_yaml(text.encode(), "mine.yaml")
    found = _problems(excinfo)
    for expected in [
        ("", "recomendation_note"),
        ("recommendation 2", "recommendations"),
        ("recommendation 3", "titel"),
        ("recommendation 3", "title"),
        ("recommendation 3", "text"),
        ("recommendation 3", "pillars"),
        ("recommendation 3", "code"),
        ("recommendation 4", "title"),
        ("recommendation 4", "addressees"),
        ("recommendation 4", "theme"),
        ("recommendation 4", "pillars"),
        ("", "version"),
        ("", "title"),
        ("", "published"),
        ("", "source.url"),
        ("", "source.pages"),
        ("", "wording"),
    ]:
        assert expected in found, expected
    message = excinfo.value.message
    assert (
        "mine.yaml, recommendation 3, field titel: is not a field of a recommendation; did you mean 'title'?"
        in message
    )
    assert "'M-1' is already used by recommendation 1" in message
    assert "'2025-02-30' is not a date" in message
    assert all(p.file == "mine.yaml" for p in excinfo.value.problems)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"- just\n- a list\n", "does not hold a recommendation set"),
        (b"id: [unclosed\n", "not valid YAML"),
        (b"id: x\nrecommendations: []\n", "is missing, empty or not a list"),
        (b"\xff\xfeid: x\n", "not UTF-8"),
        (b"id: !!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    ],
)
def test_yaml_that_is_not_a_set_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(errors.Invalid, match=words):
        recsets.read_yaml(data, "odd.yaml")


def test_a_yaml_set_with_a_bom_is_read() -> None:
    rs = recsets.read_yaml(b"\xef\xbb\xbf" + GOOD_YAML.encode(), "bom.yaml")
    assert rs.id == "my-set"


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 12):  # 9**12 items if expanded
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    lines.append("recommendations: *l")
    with pytest.raises(errors.Invalid, match=r"aliases \(\*name\) are not allowed"):
        recsets.read_yaml("\n".join(lines).encode(), "bomb.yaml")


def test_huge_or_deeply_nested_yaml_is_refused() -> None:
    with pytest.raises(errors.Invalid, match="over the limit"):
        recsets.read_yaml(b"note: " + b"x" * recsets.MAX_BYTES, "huge.yaml")
    with pytest.raises(errors.Invalid, match="nested too deeply"):
        recsets.read_yaml(b"[" * 200_000, "deep.yaml")
    many = "".join(
        f"  - {{code: R{n}, title: T, text: X, addressees: [funders], pillars: [visibility]}}\n"
        for n in range(501)
    )
    with pytest.raises(errors.Invalid, match="501 recommendations, over the limit of 500"):
        recsets.read_yaml(f"id: big\nrecommendations:\n{many}".encode(), "many.yaml")
