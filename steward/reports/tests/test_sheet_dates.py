"""Dates in the report spreadsheets stay date cells, and read as the documents write them:
民國 in Chinese (「115年9月1日」), ISO in English; the XLSX and ODS showed 2026-09-01."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from odf import table, teletype
from odf.opendocument import load
from openpyxl import load_workbook

from steward.lib.cells import XLSX_ISO_DATE, XLSX_ROC_DATE
from steward.reports.render import render
from steward.reports.tests.render_documents import quarterly_document, soffice

ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def _date_cells_xlsx(content: bytes) -> list[tuple[Any, str]]:
    book = load_workbook(io.BytesIO(content))
    return [
        (cell.value, cell.number_format)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if getattr(cell, "is_date", False)
    ]


def _as_html(content: bytes, suffix: str, tmp_path: Path) -> Path:
    """The spreadsheet as LibreOffice shows it: its HTML export writes each cell as displayed
    (the charts' pictures come out beside it)."""
    source = tmp_path / f"report.{suffix}"
    source.write_bytes(content)
    profile = f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}"
    command = [soffice(), profile, "--headless", "--convert-to", "html", "--outdir"]
    subprocess.run([*command, str(tmp_path / "out"), str(source)], check=True, timeout=180)
    return tmp_path / "out" / "report.html"


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_shows_the_report_s_dates_in_roc_and_keeps_them_dates(
    fmt: str, tmp_path: Path
) -> None:
    with translation.override("zh-hant"):
        content = render(quarterly_document(), fmt).content
    if fmt == "xlsx":
        cells = _date_cells_xlsx(content)
        assert cells and {number_format for _value, number_format in cells} == {XLSX_ROC_DATE}
        assert datetime.datetime(2026, 9, 1) in {value for value, _format in cells}
    else:
        doc = load(io.BytesIO(content))
        dated = [
            c
            for c in doc.getElementsByType(table.TableCell)
            if c.getAttribute("valuetype") == "date"
        ]
        assert "2026-09-01" in {c.getAttribute("datevalue") for c in dated}  # still a date
        assert "115年9月1日" in {teletype.extractText(c) for c in dated}
    # as LibreOffice shows the cells: its HTML export writes each cell as displayed
    shown = _as_html(content, fmt, tmp_path).read_text(encoding="utf-8", errors="replace")
    assert "115年9月1日" in shown  # as LibreOffice shows the cell
    assert ISO_DAY.findall(re.sub(r"<[^>]+>", " ", shown)) == []


def test_in_english_the_dates_stay_iso() -> None:
    with translation.override("en"):
        cells = _date_cells_xlsx(render(quarterly_document(), "xlsx").content)
    assert cells and {number_format for _value, number_format in cells} == {XLSX_ISO_DATE}
