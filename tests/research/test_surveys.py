"""Survey import: CSV/XLSX reading, kind inference, Likert mapping, refusals, distributions."""

from __future__ import annotations

import io
import random
import zipfile

import openpyxl
import pytest

from techforce.errors import Invalid
from techforce.research.surveys import distribution, read_survey

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]


def xlsx(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_csv_with_bom_semicolons_crlf_and_label_mapping() -> None:
    text = (
        "ResponseId;Institution;Q1;Q2;Comments\r\n"
        "R1;Leeds;strongly AGREE;Never;The lab induction was thorough and the team welcoming.\r\n"
        ";;;;\r\n"
        "R2;York; Disagree ;Always;Too few training days for technicians in my department.\r\n"
        "R3;Leeds;;Sometimes;I would like a clearer route to promotion as a technician.\r\n"
    )
    survey = read_survey(("\ufeff" + text).encode(), "s.csv")
    kinds = {i.column: i.kind for i in survey.items}
    assert kinds == {
        "ResponseId": "id",
        "Institution": "attribute",
        "Q1": "likert",
        "Q2": "likert",
        "Comments": "free_text",
    }
    assert [r.id for r in survey.respondents] == ["R1", "R2", "R3"]
    assert [r.likert["Q1"] for r in survey.respondents] == [5, 2, None]
    assert [r.likert["Q2"] for r in survey.respondents] == [1, 5, 3]
    assert survey.item("Q1").scale == AGREE
    assert survey.respondents[1].attributes == {"Institution": "York"}
    assert survey.warnings == []


def test_tab_separated_integer_scale_and_row_number_ids() -> None:
    text = "Role\tScore\nTechnician\t4\nManager\t7\nTechnician\t1\n"
    survey = read_survey(text.encode(), "s.tsv")
    assert survey.item("Score").scale == [str(n) for n in range(1, 8)]
    assert [r.id for r in survey.respondents] == ["2", "3", "4"]
    assert [r.likert["Score"] for r in survey.respondents] == [4, 7, 1]
    assert survey.warnings


def test_qualtrics_three_header_rows() -> None:
    text = (
        "StartDate,ResponseId,Role,Q1\n"
        "Start Date,Response ID,What is your role?,I feel valued at work\n"
        '{"ImportId":"startDate"},{"ImportId":"_recordId"},{"ImportId":"QID1"},{"ImportId":"QID2"}\n'
        "2026-01-01,R_1,Technician,Agree\n"
        "2026-01-02,R_2,Manager,Strongly agree\n"
    )
    survey = read_survey(text.encode(), "q.csv", kinds={"StartDate": "free_text"})
    assert [r.id for r in survey.respondents] == ["R_1", "R_2"]
    assert survey.item("Q1").label == "I feel valued at work"
    assert survey.item("Role").label == "What is your role?"
    assert [r.likert["Q1"] for r in survey.respondents] == [4, 5]


def test_legacy_two_header_rows() -> None:
    text = "ResponseId,Q1\nResponse ID,How satisfied are you?\nR1,Very satisfied\n"
    survey = read_survey(text.encode(), "q.csv")
    assert survey.item("Q1").label == "How satisfied are you?"
    assert survey.respondents[0].likert["Q1"] == 5


def patch_part(data: bytes, part: str, old: bytes, new: bytes) -> bytes:
    """The workbook with one XML part edited by hand (as another tool might write it)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                assert old in body
                body = body.replace(old, new, 1)
            zf.writestr(info, body)
    return buf.getvalue()


def test_xlsx_named_sheet_formula_cached_values_and_override() -> None:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.append(["ignored"])
    ws = wb.create_sheet("Responses")
    ws.append(["id", "Grade", "Q1", "Note"])
    ws.append([1, 5, "Agree", "=1+1"])
    ws.append([2, 6, "Disagree", "ok"])
    ws.append([])
    ws.append([3, 5, "strongly agree", "fine"])
    buf = io.BytesIO()
    wb.save(buf)
    # the cached value a spreadsheet saved is what we read; the formula is never evaluated
    data = patch_part(
        buf.getvalue(), "xl/worksheets/sheet2.xml", b"<f>1+1</f><v></v>", b"<f>1+1</f><v>99</v>"
    )
    survey = read_survey(data, "s.xlsx", sheet="Responses", kinds={"Grade": "attribute"})
    assert [r.id for r in survey.respondents] == ["1", "2", "3"]
    assert survey.item("Grade").kind == "attribute"
    assert survey.respondents[1].attributes["Grade"] == "6"
    assert [r.likert["Q1"] for r in survey.respondents] == [4, 2, 5]
    assert survey.respondents[0].attributes["Note"] == "99"
    with pytest.raises(Invalid, match="no sheet 'Nope'"):
        read_survey(data, "s.xlsx", sheet="Nope")
    first_sheet = read_survey(data, "s.xlsx")
    assert [i.column for i in first_sheet.items] == ["ignored"]


def test_override_likert_reports_values_outside_scale() -> None:
    text = "id,Q1\n1,Agree\n2,Maybe\n"
    with pytest.raises(Invalid) as info:
        read_survey(text.encode(), "s.csv", kinds={"Q1": "likert"})
    msg = info.value.message
    assert "s.csv, row 3, column B (Q1)" in msg
    assert "'Maybe'" in msg and "Strongly disagree, Disagree" in msg


@pytest.mark.parametrize(
    ("data", "name", "needle"),
    [
        (b"id,Q1\n1,caf\xe9\n", "s.csv", "row 2: is not UTF-8"),
        (b"id,Q1\n1,Agree\n1,Agree\n", "s.csv", "row 3, column id: respondent id '1' repeats row 2"),
        (b"id,Q1,q1\n1,a,b\n", "s.csv", "column C: duplicates column B"),
        (b"id,Q1\n,Agree\n", "s.csv", "has no respondent id"),
        (b"not a zip", "s.xlsx", "not a zip"),
    ],
)
def test_refusals(data: bytes, name: str, needle: str) -> None:
    with pytest.raises(Invalid, match=needle.replace("(", r"\(").replace(")", r"\)")):
        read_survey(data, name)


def test_size_and_row_limits() -> None:
    data = b"id,Q1\n" + b"".join(f"{n},Agree\n".encode() for n in range(10))
    with pytest.raises(Invalid, match="the limit is 20"):
        read_survey(data, "s.csv", max_bytes=20)
    with pytest.raises(Invalid, match="more than 5 respondents"):
        read_survey(data, "s.csv", max_rows=5)


def test_zip_bomb_refused_before_opening() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * 20_000_000)
    with pytest.raises(Invalid, match="zip bomb"):
        read_survey(buf.getvalue(), "bomb.xlsx")


def test_doctype_refused() -> None:
    good = xlsx([["id", "Q1"], [1, "Agree"]])
    evil = patch_part(good, "xl/workbook.xml", b"<workbook", b'<!DOCTYPE x [<!ENTITY a "b">]><workbook')
    with pytest.raises(Invalid, match=r"xl/workbook\.xml declares a DOCTYPE"):
        read_survey(evil, "evil.xlsx")


def test_unknown_kind_and_column_in_override() -> None:
    data = b"id,Q1\n1,Agree\n"
    with pytest.raises(Invalid, match="kind 'number' is unknown"):
        read_survey(data, "s.csv", kinds={"Q1": "number"})
    with pytest.raises(Invalid, match="column Q9: is not in the file"):
        read_survey(data, "s.csv", kinds={"Q9": "likert"})


def test_1800_respondents_and_distribution_by_attribute() -> None:
    rng = random.Random(11)
    institutions = ["Leeds", "York", "Bath"]
    lines = ["Respondent,Institution,Sex,Valued,Comments"]
    expected: dict[str, dict[str, int]] = {i: dict.fromkeys(AGREE, 0) for i in institutions}
    for n in range(1800):
        inst, answer = rng.choice(institutions), rng.choice(AGREE)
        expected[inst][answer] += 1
        comment = f"Respondent {n} says the training offer at {inst} could improve in year {n % 7}."
        lines.append(f"T{n:04d},{inst},{rng.choice('FM')},{answer},{comment}")
    survey = read_survey("\n".join(lines).encode(), "big.csv")
    assert len(survey.respondents) == 1800
    assert survey.item("Comments").kind == "free_text"
    assert survey.item("Sex").kind == "attribute"
    assert distribution(survey, "Valued", by="Institution") == expected
    overall = distribution(survey, "Valued")
    assert list(overall) == [None] and sum(overall[None].values()) == 1800
    with pytest.raises(Invalid, match="not a Likert item"):
        distribution(survey, "Sex")
    with pytest.raises(Invalid, match="not an attribute"):
        distribution(survey, "Valued", by="Comments")
