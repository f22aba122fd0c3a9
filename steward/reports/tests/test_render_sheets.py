"""The spreadsheets (ODS, XLSX): a sheet per table, cells typed, never a formula, and native
XLSX charts that LibreOffice opens as charts over the right cells."""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from odf import table, teletype
from odf.opendocument import load
from openpyxl import load_workbook

from steward.reports.document import ReportDocument, Section
from steward.reports.render import render
from steward.reports.tests.render_documents import convert, empty_document, quarterly_document

HOSTILE = '=HYPERLINK("http://example.com","x")'
SHEETS = [
    "報告內容",
    "各機關開放資料集辦理情形",
    "各機關資料集開放數與目標",
    "各機關績效指標達成率",
    "開放星等",
    "品質標章歷次變化",
    "回復天數與期限",
    "民眾意見回復情形",
    "工作時程",
    "停止提供之資料集",
]


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hant"):
        yield


@pytest.fixture
def quarterly() -> ReportDocument:
    return quarterly_document()


def _chart_parts(content: bytes) -> dict[str, str]:
    package = zipfile.ZipFile(io.BytesIO(content))
    return {
        name: package.read(name).decode()
        for name in package.namelist()
        if re.fullmatch(r"xl/charts/chart\d+\.xml", name)
    }


def test_xlsx_has_a_sheet_per_table_with_numbers_dates_and_text_typed(
    quarterly: ReportDocument,
) -> None:
    rendered = render(quarterly, "xlsx")
    assert rendered.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(rendered.content))

    assert book.sheetnames == SHEETS
    text = [row[0] for row in book["報告內容"].iter_rows(values_only=True)]
    assert text[:4] == [
        "勞動部 115 年第 4 季資料開放辦理情形報告",
        "勞動部",
        "115 年第 4 季",
        "製表日期：115 年 12 月 5 日",
    ]
    assert "壹、辦理概況" in text
    agencies = book["各機關開放資料集辦理情形"]
    assert agencies["A1"].value == "各機關開放資料集辦理情形"
    assert [c.value for c in agencies[2]] == [
        "機關",
        "目標值",
        "已開放",
        "達成率（%）",
        "最近上架日",
    ]
    assert [c.value for c in agencies[3]] == [
        "勞動部勞動力發展署", 50, 41, 82, datetime.datetime(2026, 9, 1)
    ]  # fmt: skip
    assert agencies["B3"].data_type == "n" and agencies["E3"].is_date
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    [hostile] = [cell for cell in cells if cell.value == HOSTILE]
    assert hostile.data_type == "s" and hostile.quotePrefix
    empty = book["停止提供之資料集"]
    assert empty["A3"].value == "本期無停止提供之資料集。"


def test_xlsx_charts_are_native_and_refer_to_the_tables_cells(quarterly: ReportDocument) -> None:
    parts = _chart_parts(render(quarterly, "xlsx").content)
    assert len(parts) == 6
    by_title = {}
    for xml in parts.values():
        [title] = re.findall(r"<a:t>([^<]+)</a:t>", xml)[:1]
        by_title[title] = xml

    stars = by_title["開放星等"]
    assert "<barChart>" in stars
    assert "<f>'開放星等'!$B$3:$B$8</f>" in stars  # the six star counts
    assert "<f>'開放星等'!$A$3:$A$8</f>" in stars  # their labels
    ranked = by_title["各機關績效指標達成率"]
    assert re.search(r'<barDir val="bar" ?/>', ranked)
    assert "<f>'各機關績效指標達成率'!$B$3:$B$9</f>" in ranked
    columns = by_title["各機關資料集開放數與目標"]
    assert re.search(r'<barDir val="col" ?/>', columns)
    timeline = by_title["工作時程"]
    assert "<f>'工作時程'!$B$3:$B$6</f>" in timeline  # the deadlines, as dates
    # Long form (a period per mark): the chart reads a block beside the table, one column a mark.
    marks = by_title["品質標章歷次變化"]
    assert "<f>'品質標章歷次變化'!$E$3:$E$5</f>" in marks  # the periods
    assert "<f>'品質標章歷次變化'!F2</f>" in marks  # the first series' name (金標章)
    assert "<f>'品質標章歷次變化'!$F$3:$F$5</f>" in marks  # its values
    book = load_workbook(io.BytesIO(render(quarterly, "xlsx").content))
    block = [[c.value for c in row] for row in book["品質標章歷次變化"]["E2:H5"]]
    assert block == [
        ["期別", "金標章", "銀標章", "銅標章"],
        ["115 年第 1 季", 10, 20, 30],
        ["115 年第 2 季", 14, 28, 42],
        ["115 年第 3 季", 19, 38, 57],
    ]


def test_libreoffice_opens_the_xlsx_charts_as_charts_over_the_same_cells(
    quarterly: ReportDocument, tmp_path: Path
) -> None:
    ods = convert(render(quarterly, "xlsx").content, "xlsx", "ods", tmp_path)
    package = zipfile.ZipFile(ods)
    charts = [
        package.read(name).decode()
        for name in package.namelist()
        if re.fullmatch(r"Object \d+/content\.xml", name)
    ]
    assert len(charts) == 6
    ranges = " ".join(charts)
    assert 'chart:values-cell-range-address="開放星等.B3:開放星等.B8"' in ranges
    assert 'table:cell-range-address="開放星等.A3:開放星等.A8"' in ranges


def test_ods_has_the_same_sheets_with_typed_cells(quarterly: ReportDocument) -> None:
    rendered = render(quarterly, "ods")
    assert rendered.content_type == "application/vnd.oasis.opendocument.spreadsheet"
    doc = load(io.BytesIO(rendered.content))
    sheets = {sheet.getAttribute("name"): sheet for sheet in doc.getElementsByType(table.Table)}

    assert list(sheets) == SHEETS
    rows = sheets["各機關開放資料集辦理情形"].getElementsByType(table.TableRow)
    cells = rows[2].getElementsByType(table.TableCell)
    assert [c.getAttribute("valuetype") for c in cells] == [
        "string", "float", "float", "float", "date"
    ]  # fmt: skip
    assert cells[2].getAttribute("value") == "41"
    assert cells[4].getAttribute("datevalue") == "2026-09-01"
    every = [c for s in sheets.values() for c in s.getElementsByType(table.TableCell)]
    assert all(not c.getAttribute("formula") for c in every)
    [hostile] = [c for c in every if teletype.extractText(c) == HOSTILE]
    assert hostile.getAttribute("valuetype") == "string"


def test_libreoffice_reads_the_ods_numbers_as_numbers_and_formulas_as_text(
    quarterly: ReportDocument, tmp_path: Path
) -> None:
    xlsx = convert(render(quarterly, "ods").content, "ods", "xlsx", tmp_path)
    book = load_workbook(xlsx)
    assert book.sheetnames == SHEETS
    ranked = book["各機關績效指標達成率"]
    assert [c.value for c in ranked["B"]][2:9] == [95, 87.5, 80, 72.5, 65, 50, None]
    feedback = book["民眾意見回復情形"]
    assert feedback["B3"].value == 1234 and feedback["B3"].data_type == "n"
    assert feedback["D3"].value == HOSTILE and feedback["D3"].data_type == "s"
    assert book["工作時程"]["B3"].value == datetime.datetime(2026, 3, 10)


def test_a_period_with_no_data_gives_sheets_that_say_so_and_no_empty_charts() -> None:
    rendered = render(empty_document(), "xlsx")
    assert _chart_parts(rendered.content) == {}
    book = load_workbook(io.BytesIO(rendered.content))
    assert book["各機關開放資料集辦理情形"]["A3"].value == "本期無資料。"
    assert book["開放星等"]["A3"].value == "本期無資料。"
    assert book["回復天數與期限"]["A3"].value == "本期無回復。"
    ods = load(io.BytesIO(render(empty_document(), "ods").content))
    texts = [teletype.extractText(c) for c in ods.getElementsByType(table.TableCell)]
    assert "本期無回復。" in texts


def test_achievement_decimals_stay_numbers() -> None:
    with translation.override("zh-hant"):
        book = load_workbook(io.BytesIO(render(quarterly_document(), "xlsx").content))
    value = book["各機關績效指標達成率"]["B4"].value
    assert value == Decimal("87.5")


@pytest.mark.parametrize(("kind", "part"), [("pie", "<pieChart>"), ("line", "<lineChart>")])
def test_pie_and_line_charts_are_native_too(kind: str, part: str) -> None:
    base = quarterly_document()
    stars = next(c for c in base.charts() if c.key == "star_distribution")
    document = ReportDocument(
        kind=base.kind,
        title=base.title,
        organisation=base.organisation,
        period_label=base.period_label,
        generated_at=base.generated_at,
        sections=(Section("參、資料品質", (dataclasses.replace(stars, kind=kind),)),),
    )
    [xml] = _chart_parts(render(document, "xlsx").content).values()
    assert part in xml
    assert "<f>'開放星等'!$B$3:$B$8</f>" in xml


def test_a_kpi_with_no_target_is_an_empty_cell_not_a_zero(quarterly: ReportDocument) -> None:
    book = load_workbook(io.BytesIO(render(quarterly, "xlsx").content))
    rows = list(book["各機關資料集開放數與目標"].iter_rows(min_row=3, values_only=True))
    assert rows[7][:4] == ("勞動部勞動基金運用局", "115 年", 68, None)
    ods = load(io.BytesIO(render(quarterly, "ods").content))
    [sheet] = [
        s
        for s in ods.getElementsByType(table.Table)
        if s.getAttribute("name") == "各機關資料集開放數與目標"
    ]
    cells = sheet.getElementsByType(table.TableRow)[9].getElementsByType(table.TableCell)
    assert cells[3].getAttribute("valuetype") is None and teletype.extractText(cells[3]) == ""
