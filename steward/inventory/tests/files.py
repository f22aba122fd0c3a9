"""Real spreadsheet files for the tests: XLSX (openpyxl), ODS (odfpy), CSV in real encodings."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

Rows = Sequence[Sequence[object]]

# Headers as agencies really write them: aliases, full-width brackets, notes, stray spaces.
ALIASED_HEADERS = [
    "資料集名稱(必填)",
    "權責機關",
    "業務單位",
    "開放屬性",
    "限制原因",
    "法源依據",
    "性別統計（是/否）",
    "開放期程",
    "盤點編號",
    "資料來源",
    "優先開放理由",
]


def xlsx(rows: Sequence[Sequence[Any]], *, title_row: str | None = None, sheets: dict[str, Sequence[Sequence[Any]]] | None = None,
         first_sheet: str = "盤點表") -> bytes:  # fmt: skip
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = first_sheet
    if title_row:
        sheet.append([title_row])
    for row in rows:
        sheet.append(list(row))
    for name, extra in (sheets or {}).items():
        other = workbook.create_sheet(name)
        for row in extra:
            other.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods(rows: Rows) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="盤點表")
    for row in rows:
        table_row = TableRow()
        for value in row:
            if isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def csv_text(rows: Rows) -> str:
    import csv

    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([[str(v) for v in row] for row in rows])
    return buffer.getvalue()


def csv_bytes(rows: Rows, encoding: str) -> bytes:
    """encoding: "utf-8-sig" (with BOM), "utf-8", "cp950", "utf-16", "gb18030"."""
    return csv_text(rows).encode(encoding)


def zip_bomb_xlsx(inflated_bytes: int) -> bytes:
    """A valid XLSX plus one part of zeros that inflates to `inflated_bytes`."""
    base = xlsx([["資料名稱", "開放類別"], ["甲", "開放資料"]])
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * inflated_bytes)
    return buffer.getvalue()
