"""Reading and writing inventory spreadsheets: XLSX, ODS and CSV (UTF-8 or Big5/CP950).

Reading is careful because the files come from dozens of agencies: size and row caps, a check
of a zip's uncompressed size before any XML is parsed (XLSX and ODS are zips), and a strict
encoding decision for CSV. Every problem becomes a `Problem` naming file, sheet, row, column.
Nothing here touches the database.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from steward.lib.cells import csv_row, read_cell, read_cells, sheet_text, xlsx_text_cell
from steward.lib.uploads import UploadRefused, check_upload_size, decode_upload

# Honest XML compresses about 10–30×; a bomb compresses thousands of times.
MAX_COMPRESSION_RATIO = 200
HEADER_SEARCH_ROWS = 15

Cell = str | datetime.date | datetime.datetime


def max_rows() -> int:
    return int(settings.STEWARD_INVENTORY_MAX_ROWS)


def max_uncompressed_bytes() -> int:
    """XLSX/ODS are zips; no honest inventory inflates beyond this, a zip bomb does."""
    return int(settings.STEWARD_INVENTORY_MAX_UNCOMPRESSED_BYTES)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file, located as precisely as we can."""

    file: str
    reason: str
    sheet: str = ""
    row: int | None = None  # 1-based, as the spreadsheet program shows it
    column: str = ""  # the header as written in the file

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(self.sheet)
        if self.row is not None:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(self.column)
        return " › ".join(where) + ": " + self.reason


class SpreadsheetError(Exception):
    """The file cannot be read at all; `problems` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass
class Sheet:
    """One sheet's rows as text (or dates), each with its row number in the file."""

    file: str
    name: str
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)
    # In a CSV every record carries every column; a short one means the file was cut.
    is_csv: bool = False


def _cell(value: Any) -> Cell:
    """Spreadsheet values as text; integral floats lose their ".0" (115.0 → "115")."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.time | datetime.timedelta):
        return str(value)
    return str(value)


def _is_blank(cells: Iterable[Cell]) -> bool:
    return all(isinstance(c, str) and not c.strip() for c in cells)


def _check_zip(name: str, data: bytes) -> None:
    """Refuse a zip whose contents would inflate beyond our limit, before parsing any of it.

    The declared sizes are checked first (cheap), then each member is streamed through
    zipfile, which stops at the declared size and verifies the CRC, so a zip that lies
    about its sizes is refused too.
    """
    limit = max_uncompressed_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        declared = sum(member.file_size for member in members)
        if declared > limit:
            raise SpreadsheetError(
                [
                    Problem(
                        name,
                        _(
                            "The file would expand to %(size)d MB, over the limit of %(limit)d MB;"
                            " it is refused as a possible zip bomb."
                        )
                        % {"size": declared // 2**20, "limit": limit // 2**20},
                    )
                ]
            )
        for member in members:
            if member.compress_size and member.file_size > 1_000_000:
                ratio = member.file_size / member.compress_size
                if ratio > MAX_COMPRESSION_RATIO:
                    raise SpreadsheetError(
                        [
                            Problem(
                                name,
                                _(
                                    "Part %(part)s is compressed %(ratio)d times; the file is"
                                    " refused as a possible zip bomb."
                                )
                                % {"part": member.filename, "ratio": int(ratio)},
                            )
                        ]
                    )
        total = 0
        for member in members:
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if total > limit:
                        raise SpreadsheetError(
                            [Problem(name, _("The file expands beyond the size limit."))]
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise SpreadsheetError(
            [
                Problem(
                    name,
                    _("The file is damaged or not a spreadsheet (%(error)s).") % {"error": exc},
                )
            ]
        ) from None
    except NotImplementedError:
        raise SpreadsheetError(
            [Problem(name, _("The file uses a compression or encryption we cannot read."))]
        ) from None


def _too_many_rows(name: str, sheet: str) -> SpreadsheetError:
    return SpreadsheetError(
        [
            Problem(
                name,
                _("The sheet has more than %(cap)d rows; split it into smaller files.")
                % {"cap": max_rows()},
                sheet=sheet,
            )
        ]
    )


def _read_workbook(name: str, data: bytes) -> list[Sheet]:
    from python_calamine import CalamineError, CalamineWorkbook

    _check_zip(name, data)
    cap = max_rows() + HEADER_SEARCH_ROWS
    sheets: list[Sheet] = []
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for index, sheet_name in enumerate(workbook.sheet_names):
            calamine_sheet = workbook.get_sheet_by_index(index)
            sheet = Sheet(name, sheet_name)
            first_row = calamine_sheet.start[0] if calamine_sheet.start else 0
            kept = 0
            for offset, values in enumerate(calamine_sheet.iter_rows()):
                cells = [_cell(v) for v in values]
                # A CSV export saved as a workbook keeps the quote before formulas: drop it.
                cells = [read_cell(c) if isinstance(c, str) else c for c in cells]
                if _is_blank(cells):
                    continue
                kept += 1
                if kept > cap:
                    raise _too_many_rows(name, sheet_name)
                sheet.rows.append((first_row + offset + 1, cells))
            sheets.append(sheet)
        workbook.close()
    except SpreadsheetError:
        raise
    except (CalamineError, ValueError, TypeError, OSError) as exc:
        raise SpreadsheetError(
            [
                Problem(
                    name,
                    _("The file is damaged or not a spreadsheet (%(error)s).") % {"error": exc},
                )
            ]
        ) from None
    except Exception as exc:  # calamine raises its own zoo of errors for broken XML
        raise SpreadsheetError(
            [
                Problem(
                    name,
                    _("The file is damaged or not a spreadsheet (%(error)s).")
                    % {"error": type(exc).__name__},
                )
            ]
        ) from None
    return sheets


def decode_csv(name: str, data: bytes) -> tuple[str, str]:
    """The CSV's text and encoding, by the one rule for uploads (steward/lib/uploads.py)."""
    try:
        decoded = decode_upload(data)
    except UploadRefused as refused:
        raise SpreadsheetError([Problem(name, refused.reason, row=refused.line)]) from None
    return decoded.text, decoded.encoding


def _read_csv(name: str, data: bytes) -> list[Sheet]:
    text, _encoding = decode_csv(name, data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    sheet = Sheet(name, "", is_csv=True)
    cap = max_rows() + HEADER_SEARCH_ROWS
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    kept = 0
    try:
        # Rows are numbered by record, as a spreadsheet program shows the file, not by line:
        # a quoted value may hold line breaks.
        for number, values in enumerate(reader, start=1):
            if _is_blank(values):
                continue
            kept += 1
            if kept > cap:
                raise _too_many_rows(name, "")
            sheet.rows.append((number, list[Cell](read_cells(values))))
    except csv.Error as exc:
        raise SpreadsheetError(
            [
                Problem(
                    name,
                    _("The CSV cannot be read: %(error)s.") % {"error": exc},
                    row=reader.line_num,
                )
            ]
        ) from None
    return [sheet]


def check_size(name: str, size: int) -> None:
    """Refuse a file over STEWARD_MAX_UPLOAD_BYTES before reading it into memory."""
    try:
        check_upload_size(size)
    except UploadRefused as refused:
        raise SpreadsheetError([Problem(name, refused.reason)]) from None


def read_sheets(name: str, data: bytes) -> list[Sheet]:
    """Every sheet of an uploaded file, by its extension (.xlsx, .ods, .csv)."""
    check_size(name, len(data))
    if not data:
        raise SpreadsheetError([Problem(name, _("The file is empty."))])
    lowered = name.lower()
    if lowered.endswith((".xlsx", ".xlsm", ".ods")):
        return _read_workbook(name, data)
    if lowered.endswith((".csv", ".txt")):
        return _read_csv(name, data)
    if lowered.endswith(".xls"):
        raise SpreadsheetError(
            [Problem(name, _("Old Excel files (.xls) are not accepted; save as .xlsx or .ods."))]
        )
    raise SpreadsheetError([Problem(name, _("Only .xlsx, .ods and .csv files can be imported."))])


def count_rows(name: str, data: bytes) -> int:
    """About how many rows the file has, cheaply, to decide whether a job should import it.

    CSV: its line breaks; XLSX/ODS: the height of its largest sheet. An unreadable file
    counts 0 rows: the check that follows says what is wrong with it.
    """
    lowered = name.lower()
    if lowered.endswith((".csv", ".txt")):
        return data.count(b"\n")
    if not lowered.endswith((".xlsx", ".xlsm", ".ods")):
        return 0
    from python_calamine import CalamineWorkbook

    try:
        _check_zip(name, data)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        heights = [
            workbook.get_sheet_by_index(index).height for index in range(len(workbook.sheet_names))
        ]
        workbook.close()
    except Exception:  # calamine raises its own zoo of errors; the check reports them
        return 0
    return max(heights, default=0)


# ---- writing ----------------------------------------------------------------------------


class ExportError(Exception):
    """The export cannot be written as asked (a character Big5 cannot hold)."""


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[str]], *, encoding: str) -> bytes:
    """CSV in UTF-8 with BOM ("utf-8") or CP950 ("cp950", Big5 as Windows writes it).

    CP950 cannot hold every character (e.g. 𠮟, emoji); rather than replacing them silently
    with "?", the export is refused naming the first row and column, so the agency can pick
    UTF-8 or fix the text.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(headers))
    writer.writerows(csv_row(row) for row in rows)
    text = buffer.getvalue()
    if encoding == "utf-8":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding != "cp950":
        raise ExportError(_("Unknown encoding %(encoding)s.") % {"encoding": encoding})
    try:
        return text.encode("cp950")
    except UnicodeEncodeError:
        for number, row in enumerate([headers, *rows], start=1):
            for header, value in zip(headers, row, strict=False):
                try:
                    value.encode("cp950")
                except UnicodeEncodeError as exc:
                    raise ExportError(
                        _(
                            "Row %(row)d, column %(column)s: “%(char)s” cannot be written in"
                            " Big5 (CP950). Export as UTF-8 instead."
                        )
                        % {"row": number, "column": header, "char": exc.object[exc.start]}
                    ) from None
        raise


def write_xlsx(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str) -> bytes:
    """One sheet whose every cell is a text value, never a formula (steward.lib.cells)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for values in [headers, *rows]:
        sheet.append([xlsx_text_cell(sheet, value) for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_ods(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    # Every cell is of value type "string": text, never a formula.
    document = OpenDocumentSpreadsheet()
    table = Table(name=title[:31])
    for values in [headers, *rows]:
        table_row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=sheet_text(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()
