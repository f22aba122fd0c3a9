"""Exported cells are data, never formulas: the one rule every exporter and importer follows.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after
a tab or carriage return, the same) as a formula: ``=HYPERLINK(...)`` leaks data on a click,
``=cmd|' /C calc'!A0`` starts a program (DDE). OWASP's rule for CSV is to put a single quote
before such a cell, which the spreadsheet shows as text. Plain numbers (``-3.5``, ``+12``)
and telephone numbers (``+886-2-1234-5678``) cannot do harm and stay as they are.

* CSV: `csv_row` escapes a row for writing.
* XLSX: `xlsx_text_cell` makes an openpyxl cell that is always a text value; ODS cells are
  written with ``office:value-type="string"`` (odfpy writes a formula only when asked).
  `sheet_text` is the text either holds.
* Reading any file back, `read_cell` removes the quote from exactly the cells `csv_row` would
  have quoted, so every export re-imports to the same values, also a CSV export that somebody
  opened in a spreadsheet program and saved as XLSX or ODS (the quote is then in the text).
  A value that itself starts with quotes before a formula gets one quote more on the way out.
* Imports: `formula_like` says which cells a spreadsheet would run, so the import can warn.
* Dates are date cells (a program reads the date), shown as the reader's documents write them:
  in Chinese 民國 「115年12月31日」, in English 2026-12-31. `xlsx_date_format` is the XLSX
  number format (`[$-404]ee年m月d日`, the Taiwan calendar's year, as LibreOffice itself writes
  it and Excel reads it), `ods_date_style` the ODS data style (year with `calendar="ROC"`,
  language zh-TW).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from steward.lib.years import ROC_OFFSET, writes_roc

if TYPE_CHECKING:
    from odf.number import DateStyle
    from openpyxl.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# What an import report says about a formula-like cell (a warning: the cell is imported).
FORMULA_WARNING = _(
    "The cell starts like a formula (=, +, -, @); it is kept as text and exported with a"
    " quote in front, so spreadsheets never run it."
)

# A plain number: -3.5, +12, -1,234.50, 1e-3, -40%.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?%?")
# A telephone number as agencies write them: +886-2-1234-5678, +886 (2) 2345-6789 #123.
_TELEPHONE = re.compile(r"\+\d[\d \-()]*\d(?:\s*(?:#|分機|轉|ext\.?)\s*\d+)?", re.IGNORECASE)


def _is_plain_number(value: str) -> bool:
    return bool(re.search(r"\d", value)) and _NUMBER.fullmatch(value) is not None


def formula_like(value: Any) -> bool:
    """Would a spreadsheet program run this cell as a formula (or a DDE command)?"""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return False
    return not (_is_plain_number(value) or _TELEPHONE.fullmatch(value) is not None)


def _needs_quote(value: str) -> bool:
    # Quotes already in front of a formula count too, so that reading back is exact.
    return formula_like(value.lstrip(QUOTE))


def csv_escape(value: str) -> str:
    """The cell as written to a CSV: a quote before anything a spreadsheet would run."""
    return QUOTE + value if _needs_quote(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for csv.writer, every text cell escaped; numbers and dates pass unchanged."""
    return [csv_escape(value) if isinstance(value, str) else value for value in values]


def sheet_text(value: str) -> str:
    """The text of an XLSX or ODS cell: the value, with one more quote only in front of a
    value that already starts with quotes before a formula (so `read_cell` gives it back)."""
    return QUOTE + value if value.startswith(QUOTE) and _needs_quote(value) else value


def read_cell(cell: str) -> str:
    """A cell as read back from any export: the quote `csv_escape` adds is removed, nothing
    else."""
    if cell.startswith(QUOTE) and _needs_quote(cell[1:]):
        return cell[1:]
    return cell


def read_cells(cells: Sequence[str]) -> list[str]:
    return [read_cell(cell) for cell in cells]


def xlsx_text_cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell | Any:
    """An openpyxl cell holding `value`; text is stored as text even when it starts with "="."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=sheet_text(value))
    # openpyxl makes any string starting with "=" a formula; data type "s" writes it as text,
    # and quotePrefix keeps it text when somebody edits the cell in Excel or LibreOffice.
    cell.data_type = "s"
    if formula_like(value):
        cell.quotePrefix = True
    return cell


#: The XLSX number format of a date cell, 民國 and ISO.
XLSX_ROC_DATE = "[$-404]ee\\年m\\月d\\日"
XLSX_ISO_DATE = "yyyy-mm-dd"


def xlsx_date_format() -> str:
    """The number format of an XLSX date cell in the reader's language."""
    return XLSX_ROC_DATE if writes_roc() else XLSX_ISO_DATE


def ods_date_style(name: str) -> DateStyle:
    """An ODS data style for date cells in the reader's language (add it to the automatic
    styles, and name it as a cell style's `datastylename`)."""
    from odf import number

    if not writes_roc():
        style = number.DateStyle(name=name)
        parts = [number.Year(style="long"), number.Text(text="-"), number.Month(style="long"),
                 number.Text(text="-"), number.Day(style="long")]  # fmt: skip
    else:
        style = number.DateStyle(name=name, language="zh", country="TW")
        parts = [number.Year(style="long", calendar="ROC"), number.Text(text="年"),
                 number.Month(), number.Text(text="月"), number.Day(), number.Text(text="日")]  # fmt: skip
    for part in parts:
        style.addElement(part)
    return style


def date_cell_text(day: datetime.date) -> str:
    """The text an ODS date cell carries beside its value, as `ods_date_style` shows it."""
    if writes_roc():
        return f"{day.year - ROC_OFFSET}年{day.month}月{day.day}日"
    return day.isoformat()
