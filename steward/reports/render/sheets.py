"""The report as a spreadsheet (ODS, XLSX): a sheet for the text, one sheet per table.

The first sheet holds the title block and every section's heading and paragraphs (a chart or
table there names the sheet holding it). Each `Table`, and each `Chart`'s table, has its own
sheet: the caption in row 1, the column titles in row 2, the rows from row 3 (or the table's
`empty_text`). Numbers are numbers, dates are dates and text is text, never a formula
(`steward.lib.cells` is the rule).

In XLSX every chart is also a native chart (openpyxl's chart module) drawn from those cells,
so it stays editable: bar, column, line or pie as `Chart.kind` says; a timeline is a bar chart
of the deadlines. A table in long form (a category repeated, one row per series, as the
quality marks per period) cannot feed a chart directly: its values are also laid out one
column per series beside it ("chart data"), and the chart refers to those cells.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext as _

from steward.lib.cells import (
    date_cell_text,
    ods_date_style,
    sheet_text,
    xlsx_date_format,
    xlsx_text_cell,
)
from steward.lib.years import date_label
from steward.reports.document import Cell, Chart, Paragraph, ReportDocument, Table
from steward.reports.render.text import cell_text, is_number, xml_safe

SHEET_NAME_MAX = 31  # Excel's limit; ODS takes the same names
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\']")


@dataclass(frozen=True)
class _Sheet:
    name: str
    table: Table
    chart: Chart | None = None


def _sheet_name(caption: str, taken: set[str]) -> str:
    base = _NOT_IN_SHEET_NAMES.sub(" ", xml_safe(caption)).strip() or _("Table")
    name = base[:SHEET_NAME_MAX]
    number = 2
    while name.casefold() in taken:
        suffix = f" ({number})"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        number += 1
    taken.add(name.casefold())
    return name


def _plan(document: ReportDocument) -> tuple[str, list[tuple[str, str]], list[_Sheet]]:
    """The first sheet's name and lines (style, text), and the table sheets in order."""
    taken: set[str] = set()
    first = _sheet_name(_("Report contents"), taken)
    generated = timezone.localtime(document.generated_at).date()
    lines: list[tuple[str, str]] = [
        ("title", document.title),
        ("text", document.organisation),
        ("text", document.period_label),
        ("text", _("Made on %(date)s") % {"date": date_label(generated)}),
    ]
    sheets: list[_Sheet] = []
    for section in document.sections:
        lines.append(("heading", section.heading))
        for block in section.blocks:
            if isinstance(block, Paragraph):
                lines.append(("text", block.text))
            elif isinstance(block, Table):
                name = _sheet_name(block.caption, taken)
                sheets.append(_Sheet(name, block))
                lines.append(("text", _("Table: see the sheet 「%(name)s」.") % {"name": name}))
            else:
                name = _sheet_name(block.title, taken)
                sheets.append(_Sheet(name, block.table, block))
                lines.append(
                    ("text", _("Chart 「%(title)s」: %(description)s See the sheet 「%(name)s」.")
                     % {"title": block.title, "description": block.description, "name": name})
                )  # fmt: skip
    return first, [(kind, xml_safe(value)) for kind, value in lines], sheets


def _safe(value: Cell) -> Cell:
    return xml_safe(value) if isinstance(value, str) else value


def _display_width(value: Cell) -> int:
    text = cell_text(value) if not isinstance(value, str) else value
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _column_widths(table: Table) -> list[int]:
    """Characters per column (a CJK character counts two), between 8 and 60."""
    widths = []
    for index, title in enumerate(table.columns):
        longest = max([_display_width(title), *(_display_width(r[index]) for r in table.rows)])
        widths.append(min(60, max(8, longest + 2)))
    return widths


# Charts' data --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartData:
    """A chart's data in wide form: categories, and one named series of values each."""

    category_title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[Cell, ...]], ...]
    # Where the data is on the sheet (1-based): the table itself, or a block beside it.
    first_column: int
    category_column: int
    value_columns: tuple[int, ...]
    header_row: int


def _numeric(table: Table, column: int, *, dates: bool) -> bool:
    values = [row[column] for row in table.rows if row[column] is not None]
    if not values:
        return False
    kinds = (datetime.date,) if dates else ()
    return all(is_number(v) or isinstance(v, kinds) for v in values)


def chart_data(chart: Chart) -> ChartData | None:
    """The chart's data as a native chart needs it, or None when it has no rows."""
    table = chart.table
    if not table.rows:
        return None
    dates = chart.kind == "timeline"
    values = [c for c in chart.value_columns if _numeric(table, c, dates=dates)]
    if not values:  # the definition names a text column: take the table's number columns
        values = [
            c
            for c in range(len(table.columns))
            if c != chart.category_column and _numeric(table, c, dates=dates)
        ]
    category = chart.category_column
    labels = [cell_text(row[category]) for row in table.rows]
    if len(set(labels)) == len(labels):  # one row per category: chart the table's own cells
        return ChartData(
            category_title=table.columns[category],
            categories=tuple(labels),
            series=tuple((table.columns[c], tuple(r[c] for r in table.rows)) for c in values),
            first_column=1,
            category_column=category + 1,
            value_columns=tuple(c + 1 for c in values),
            header_row=2,
        )
    # Long form: a text column splits each category's rows into series.
    splitting = [
        c
        for c in range(len(table.columns))
        if c != category and c not in values and not _numeric(table, c, dates=True)
    ]
    by: int | None = splitting[0] if splitting else None
    categories = tuple(dict.fromkeys(labels))
    names: list[str] = []
    cells: dict[tuple[str, str], Cell] = {}
    for row, label in zip(table.rows, labels, strict=True):
        for column in values:
            part = cell_text(row[by]) if by is not None else ""
            name = (
                " ".join(p for p in (part, table.columns[column] if len(values) > 1 else "") if p)
                or table.columns[column]
            )
            if name not in names:
                names.append(name)
            previous = cells.get((label, name))
            value = row[column]
            if is_number(previous) and is_number(value):
                value = Decimal(str(previous)) + Decimal(str(value))  # type: ignore[arg-type]
            cells[(label, name)] = value
    first_column = len(table.columns) + 2
    return ChartData(
        category_title=table.columns[category],
        categories=categories,
        series=tuple((name, tuple(cells.get((c, name)) for c in categories)) for name in names),
        first_column=first_column,
        category_column=first_column,
        value_columns=tuple(first_column + 1 + i for i in range(len(names))),
        header_row=2,
    )


def _data_block(data: ChartData) -> list[list[Cell]]:
    """The rows of a long-form chart's data block: title row, head row, one row a category."""
    head: list[Cell] = [data.category_title, *(name for name, _values in data.series)]
    rows: list[list[Cell]] = [[_("Chart data")], head]
    for index, category in enumerate(data.categories):
        rows.append([category, *(values[index] for _name, values in data.series)])
    return rows


def _table_rows(sheet: _Sheet) -> list[list[Cell]]:
    """The sheet's cells by row: caption, head, rows (or the empty text), with a long-form
    chart's data block to the right."""
    table = sheet.table
    rows: list[list[Cell]] = [[_safe(table.caption)], [_safe(c) for c in table.columns]]
    if table.rows:
        rows.extend([_safe(value) for value in r] for r in table.rows)
    else:
        rows.append([table.empty_text or _("No data for this period.")])
    data = chart_data(sheet.chart) if sheet.chart is not None else None
    if data is not None and data.first_column > 1:
        for index, extra in enumerate(_data_block(data)):
            while len(rows) <= index:
                rows.append([])
            line = rows[index]
            line.extend([None] * (data.first_column - 1 - len(line)))
            line.extend(_safe(value) for value in extra)
    return rows


# XLSX ----------------------------------------------------------------------------------


def _xlsx_chart(chart: Chart, data: ChartData, sheet: Any) -> Any:
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference
    from openpyxl.chart.data_source import AxDataSource, StrRef

    first_row = data.header_row + 1
    last_row = data.header_row + len(data.categories)
    made: Any
    if chart.kind == "pie":
        made = PieChart()
    elif chart.kind == "line":
        made = LineChart()
    else:
        made = BarChart()
        made.type = "col" if chart.kind == "column" else "bar"
        made.grouping = "clustered"
        if chart.kind in ("bar", "timeline"):
            made.x_axis.scaling.orientation = "maxMin"  # the first row at the top, as listed
    for column in data.value_columns:
        made.add_data(
            Reference(sheet, min_col=column, min_row=data.header_row, max_row=last_row),
            titles_from_data=True,
        )
    categories = Reference(sheet, min_col=data.category_column, min_row=first_row, max_row=last_row)
    for series in made.series:  # the categories are text: a string reference, as Excel writes
        series.cat = AxDataSource(strRef=StrRef(f=str(categories)))
    made.title = xml_safe(chart.title)
    if chart.kind != "pie":
        # openpyxl 3.1 hides axes unless told otherwise.
        made.x_axis.delete = False
        made.y_axis.delete = False
        made.x_axis.title = xml_safe(data.category_title)
        if len(data.series) == 1:
            made.y_axis.title = xml_safe(data.series[0][0])
            made.legend = None
    if chart.kind == "timeline":
        dates = [v for _n, values in data.series for v in values if isinstance(v, datetime.date)]
        if dates:
            from openpyxl.utils.datetime import to_excel

            made.y_axis.number_format = "yyyy-mm-dd"
            made.y_axis.scaling.min = to_excel(min(dates)) - 14
            made.y_axis.scaling.max = to_excel(max(dates)) + 14
            made.y_axis.majorUnit = 30
    made.width = 18
    made.height = max(8, min(20, 1 + 0.7 * len(data.categories)))
    return made


def write_xlsx(document: ReportDocument) -> bytes:
    """An XLSX workbook: the text sheet, one sheet per table, native charts."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    first, lines, sheets = _plan(document)
    book = Workbook(write_only=True)
    date_format = xlsx_date_format()

    def styled(
        sheet: Any, value: Cell, *, bold: bool = False, size: int = 11, wrap: bool = False
    ) -> Any:
        cell = xlsx_text_cell(sheet, value)
        wrap = wrap or (isinstance(value, str) and "\n" in value)
        plain = not bold and size == 11 and not wrap
        if isinstance(value, datetime.date):  # a date cell, shown as the reader writes dates
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(sheet, value=cast(Any, value))
            cell.number_format = date_format
        elif plain:
            return cell  # a number stays a bare value: openpyxl types it
        if not hasattr(cell, "font"):
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(sheet, value=cast(Any, value))
        if bold or size != 11:
            cell.font = Font(bold=bold, size=size)
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    text_sheet = book.create_sheet(first)
    text_sheet.column_dimensions["A"].width = 100
    for kind, value in lines:
        text_sheet.append(
            [
                styled(
                    text_sheet,
                    value,
                    bold=kind != "text",
                    size=14 if kind == "title" else 11,
                    wrap=True,  # a long organisation name wraps inside the column
                )
            ]
        )
    for planned in sheets:
        sheet = book.create_sheet(planned.name)
        for index, width in enumerate(_column_widths(planned.table), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        data = chart_data(planned.chart) if planned.chart is not None else None
        for number, row in enumerate(_table_rows(planned), start=1):
            sheet.append([styled(sheet, value, bold=number <= 2) for value in row])
        if planned.chart is not None and data is not None:
            beside = max(data.value_columns) + 2
            sheet.add_chart(
                _xlsx_chart(planned.chart, data, sheet), f"{get_column_letter(beside)}2"
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ODS -----------------------------------------------------------------------------------


def write_ods(document: ReportDocument) -> bytes:
    """An ODS spreadsheet: the text sheet and one sheet per table."""
    from odf import style, table, teletype, text
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    bold = style.Style(name="StewardBold", family="table-cell")
    bold.addElement(style.TableCellProperties(wrapoption="wrap", verticalalign="top"))
    bold.addElement(style.TextProperties(fontweight="bold", fontweightasian="bold"))
    doc.automaticstyles.addElement(bold)
    title = style.Style(name="StewardTitle", family="table-cell")
    title.addElement(style.TableCellProperties(wrapoption="wrap", verticalalign="top"))
    title.addElement(
        style.TextProperties(
            fontweight="bold", fontweightasian="bold", fontsize="14pt", fontsizeasian="14pt"
        )
    )
    doc.automaticstyles.addElement(title)
    wrapped = style.Style(name="StewardWrap", family="table-cell")
    wrapped.addElement(style.TableCellProperties(wrapoption="wrap", verticalalign="top"))
    doc.automaticstyles.addElement(wrapped)
    date_format = ods_date_style("StewardDateFormat")
    doc.automaticstyles.addElement(date_format)
    date_style = style.Style(name="StewardDate", family="table-cell", datastylename=date_format)
    doc.automaticstyles.addElement(date_style)

    def cell(value: Cell, *, cell_style: Any = None) -> Any:
        extra = {"stylename": cell_style} if cell_style is not None else {}
        if value is None:
            return table.TableCell(**extra)
        if is_number(value):
            made = table.TableCell(valuetype="float", value=str(value), **extra)
            made.addElement(text.P(text=cell_text(value)))
            return made
        if isinstance(value, datetime.date):
            day = value.date() if isinstance(value, datetime.datetime) else value
            made = table.TableCell(
                valuetype="date", datevalue=day.isoformat(), stylename=date_style
            )
            made.addElement(text.P(text=date_cell_text(day)))
            return made
        content = sheet_text(str(value))
        if "\n" in content and cell_style is None:
            extra = {"stylename": wrapped}
        made = table.TableCell(valuetype="string", **extra)
        paragraph = text.P()
        teletype.addTextToElement(paragraph, content)
        made.addElement(paragraph)
        return made

    def add_sheet(name: str, rows: Sequence[Sequence[Cell]], widths: Sequence[int],
                  styles: Sequence[Any]) -> None:  # fmt: skip
        sheet = table.Table(name=name)
        for index, width in enumerate(widths):
            column_style = style.Style(name=f"StewardCol{id(sheet)}x{index}", family="table-column")
            column_style.addElement(
                style.TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm")
            )
            doc.automaticstyles.addElement(column_style)
            sheet.addElement(table.TableColumn(stylename=column_style))
        for number_, values in enumerate(rows):
            row = table.TableRow()
            for value in values:
                row.addElement(
                    cell(value, cell_style=styles[number_] if number_ < len(styles) else None)
                )
            sheet.addElement(row)
        doc.spreadsheet.addElement(sheet)

    first, lines, sheets = _plan(document)
    add_sheet(
        first,
        [[value] for _kind, value in lines],
        [100],
        [
            title if kind == "title" else bold if kind == "heading" else wrapped
            for kind, _v in lines
        ],
    )
    for planned in sheets:
        add_sheet(planned.name, _table_rows(planned), _column_widths(planned.table), [bold, bold])
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()
