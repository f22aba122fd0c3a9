"""The text document (ODT): read back with odfpy and opened by LibreOffice as agencies do."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from odf import draw, table, teletype, text
from odf.opendocument import load
from openpyxl import load_workbook

from steward.reports.document import Paragraph, ReportDocument, Section
from steward.reports.document import Table as DocumentTable
from steward.reports.render import render
from steward.reports.tests.render_documents import (
    comparison_document,
    convert,
    empty_document,
    quarterly_document,
)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hant"):
        yield


@pytest.fixture
def quarterly() -> ReportDocument:
    return quarterly_document()


def _texts(content: bytes, kind: type) -> list[str]:
    doc = load(io.BytesIO(content))
    return [teletype.extractText(element) for element in doc.getElementsByType(kind)]


def test_odt_has_the_title_block_headings_and_a_picture_of_every_chart(
    quarterly: ReportDocument,
) -> None:
    rendered = render(quarterly, "odt")

    assert rendered.content_type == "application/vnd.oasis.opendocument.text"
    assert rendered.filename == "勞動部 115 年第 4 季資料開放辦理情形報告.odt"
    assert rendered.problems == ()
    paragraphs = _texts(rendered.content, text.P)
    assert paragraphs[:4] == [
        "勞動部 115 年第 4 季資料開放辦理情形報告",
        "勞動部",
        "115 年第 4 季",
        "製表日期：115 年 12 月 5 日",
    ]
    assert _texts(rendered.content, text.H) == [
        "壹、辦理概況",
        "貳、開放資料集與目標值",
        "參、資料品質",
        "肆、民眾意見",
        "伍、工作時程",
    ]
    doc = load(io.BytesIO(rendered.content))
    images = [image.getAttribute("href") for image in doc.getElementsByType(draw.Image)]
    assert len(images) == 6
    package = zipfile.ZipFile(io.BytesIO(rendered.content))
    for href in images:
        assert package.read(href).startswith(b"\x89PNG"), href
    # Each picture carries the chart's text alternative.
    frames = doc.getElementsByType(draw.Frame)
    assert "共 2903 筆資料資源，其中 2748 筆達三星以上。" in [
        teletype.extractText(desc) for frame in frames for desc in frame.childNodes
    ]


def test_tables_repeat_their_head_row_on_every_page(quarterly: ReportDocument) -> None:
    doc = load(io.BytesIO(render(quarterly, "odt").content))
    tables = doc.getElementsByType(table.Table)
    assert tables
    for node in tables:
        heads = node.getElementsByType(table.TableHeaderRows)
        assert len(heads) == 1, node.getAttribute("name")


def test_libreoffice_reads_the_numbers_chinese_headings_and_empty_text(
    quarterly: ReportDocument, tmp_path: Path
) -> None:
    converted = convert(
        render(quarterly, "odt").content, "odt", "txt:Text (encoded):UTF8", tmp_path
    )
    words = converted.read_text(encoding="utf-8-sig")

    for expected in (
        "勞動部 115 年第 4 季資料開放辦理情形報告",
        "壹、辦理概況",
        "參、資料品質",
        "勞動部勞動及職業安全衛生研究所",
        "2,311",  # 3 stars in the star distribution's table
        "1,234",  # feedback items of one agency
        "87.5",  # an achievement with a decimal
        "115 年 9 月 3 日",  # a date in a table, in 民國 form
        "本期無停止提供之資料集。",  # the empty table says so
        '=HYPERLINK("http://example.com","x")',  # text stays text
    ):
        assert expected in words, expected


def test_a_period_with_no_data_says_so_in_place_of_each_table_and_chart(
    tmp_path: Path,
) -> None:
    rendered = render(empty_document(), "odt")

    assert rendered.problems == ()
    doc = load(io.BytesIO(rendered.content))
    assert doc.getElementsByType(table.Table) == []
    assert doc.getElementsByType(draw.Image) == []  # no empty axes drawn
    paragraphs = _texts(rendered.content, text.P)
    assert "本期無資料。" in paragraphs
    assert "本期無回復。" in paragraphs


def test_comparison_table_has_the_three_columns_at_the_widths_it_gives(tmp_path: Path) -> None:
    rendered = render(comparison_document(), "odt")
    doc = load(io.BytesIO(rendered.content))
    [node] = doc.getElementsByType(table.Table)
    head = node.getElementsByType(table.TableHeaderRows)[0]
    assert [teletype.extractText(c) for c in head.getElementsByType(table.TableCell)] == [
        "修正規定",
        "現行規定",
        "說明",
    ]
    widths = []
    for column in node.getElementsByType(table.TableColumn):
        name = column.getAttribute("stylename")
        [column_style] = [
            s for s in doc.automaticstyles.childNodes if s.getAttribute("name") == name
        ]
        widths.append(
            float(column_style.childNodes[0].getAttribute("columnwidth").removesuffix("cm"))
        )
    assert widths == [6.8, 6.8, 3.4]  # 40 : 40 : 20 of the 17 cm text width
    # A cell's lines stay lines (the seed's 柒、推動措施 / 三、深入盤點資料集： …).
    first = node.getElementsByType(table.TableRow)[1].getElementsByType(table.TableCell)[0]
    assert len(first.getElementsByType(text.LineBreak)) == 2


def test_in_english_the_date_made_is_iso(quarterly: ReportDocument) -> None:
    with translation.override("en"):
        rendered = render(quarterly, "odt")
    assert _texts(rendered.content, text.P)[3] == "Made on 2026-12-05"


@pytest.mark.parametrize("fmt", ["odt", "ods", "xlsx"])
def test_control_characters_pasted_into_the_data_are_dropped_not_a_broken_file(fmt: str) -> None:
    """Text pasted from another program may hold characters XML cannot (\\x0b, \\x1f)."""
    document = ReportDocument(
        kind="quarterly_progress",
        title="勞動部\x0b報告",
        organisation="勞動部",
        period_label="115 年第 4 季",
        generated_at=quarterly_document().generated_at,
        sections=(
            Section(
                "壹、概況\x1f",
                (
                    Paragraph("說明\x00文字"),
                    DocumentTable("表\x0c一", ("機關\x01", "數量"), (("勞保局\x0b", 3),)),
                ),
            ),
        ),
    )
    rendered = render(document, fmt)

    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(rendered.content))
        cells = [c.value for s in book for row in s.iter_rows() for c in row if c.value]
    else:
        doc = load(io.BytesIO(rendered.content))
        cells = [teletype.extractText(p) for p in doc.getElementsByType(text.P)]
        cells += [teletype.extractText(h) for h in doc.getElementsByType(text.H)]
    assert "勞動部報告" in cells and "說明文字" in cells and "勞保局" in cells


def test_a_long_table_is_written_in_pieces_each_with_its_head_and_every_row_in_order() -> None:
    rows = tuple((f"資料集 {n}", n) for n in range(1, 1202))
    document = ReportDocument(
        kind="annual_evaluation",
        title="資料集清單",
        organisation="勞動部",
        period_label="115 年",
        generated_at=quarterly_document().generated_at,
        sections=(Section("資料集清單", (DocumentTable("清單", ("資料集", "序號"), rows),)),),
    )
    doc = load(io.BytesIO(render(document, "odt").content))

    pieces = doc.getElementsByType(table.Table)
    assert len(pieces) == 3  # 500 + 500 + 201 rows
    numbers = []
    for piece in pieces:
        assert len(piece.getElementsByType(table.TableHeaderRows)) == 1
        for row in piece.getElementsByType(table.TableRow)[1:]:
            numbers.append(int(row.getElementsByType(table.TableCell)[1].getAttribute("value")))
    assert numbers == list(range(1, 1202))
