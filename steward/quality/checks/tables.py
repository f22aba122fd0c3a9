"""Validate a tabular resource (CSV, XLSX/XLS/ODS, JSON, XML) in bounded memory.

``validate_table`` returns a :class:`TableReport`: the real header against 主要欄位說明, rows whose
field count differs from the header (ragged rows: counted, never fatal), blank cells in required
columns, values that break a declared column type, and well-formedness for JSON/XML.
CSV goes through pyarrow's streaming reader block by block; when pyarrow cannot cope (broken
quoting, undecodable bytes) a streaming pure-Python reader takes over from the start.
Spreadsheets go through calamine with a row cap; JSON and XML through streaming parsers.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import IO, Any

from steward.datasets.standard import DeclaredField

from .encoding import Encoding
from .findings import error, info, warning
from .headers import compare_header
from .sniff import FileFormat
from .structured import CHUNK, StructureResult, check_json, check_xml
from .table_report import TYPE_PATTERNS, ColumnChecks, ColumnType, RowIssue, TableReport
from .tables_csv import CsvEngine, ParsedCsv, check_parsed_csv, parse_small_csv, validate_csv

__all__ = [
    "ColumnType",
    "ParsedCsv",
    "RowIssue",
    "TableReport",
    "parse_small_csv",
    "validate_parsed_csv",
    "validate_table",
]

Source = str | os.PathLike[str] | IO[bytes]

#: Spreadsheets are read whole by calamine: refuse bigger ones, and cap the rows looked at.
MAX_SPREADSHEET_BYTES = 200 * 1024 * 1024
MAX_SPREADSHEET_ROWS = 1_000_000


@contextlib.contextmanager
def _binary(source: Source) -> Iterator[IO[bytes]]:
    """Open a path, or hand back a seekable stream (copying an unseekable one to a temp file)."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
        return
    if source.seekable():
        start = source.tell()
        try:
            yield source
        finally:
            source.seek(start)
        return
    with tempfile.TemporaryFile() as copy:
        shutil.copyfileobj(source, copy, CHUNK)
        copy.seek(0)
        yield copy


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    return iter(lambda: stream.read(CHUNK), b"")


def validate_table(
    source: Source,
    *,
    format: FileFormat,
    declared_fields: Sequence[DeclaredField] | None = None,
    encoding: Encoding | None = None,
    delimiter: str = ",",
    required_columns: Collection[str] = (),
    column_types: Mapping[str, ColumnType] | None = None,
    max_rows: int = MAX_SPREADSHEET_ROWS,
    block_size: int = 1 << 20,
    threads: bool = True,
    complete: bool = True,
    engine: CsvEngine = "auto",
) -> TableReport:
    """Validate a table from a path or a binary stream, whatever its size.

    ``format`` and ``encoding`` come from :func:`sniff_format` / :func:`detect_encoding`;
    ``declared_fields`` from :func:`parse_field_description`. ``required_columns`` and
    ``column_types`` name header cells. Row numbers count the header as row 1. ``complete``
    False says the source is only the head of a file: a quote left open at its end is then the
    cut, not an error. ``threads`` lets pyarrow parse CSV on every core. ``engine`` picks the
    CSV reader: "pyarrow", "python", or "auto" (python for small inputs, where pyarrow's set-up
    costs more than the parse).
    """
    report = TableReport(format, column_types=dict(column_types or {}))
    types = report.column_types
    with _binary(source) as stream:
        if format is FileFormat.CSV or format is FileFormat.TEXT:
            report.codec = _codec_for(encoding)
            validate_csv(
                stream,
                report,
                delimiter=delimiter,
                required=set(required_columns),
                types=types,
                block_size=block_size,
                threads=threads,
                complete=complete,
                engine=engine,
            )
        elif format in (FileFormat.XLSX, FileFormat.XLS, FileFormat.ODS):
            report.engine = "calamine"
            _validate_spreadsheet(stream, report, set(required_columns), types, max_rows)
        elif format is FileFormat.JSON:
            report.engine, report.codec = "json", _codec_for(encoding)
            _structure(report, check_json(_chunks(stream), codec=report.codec), "JSON")
        elif format in (FileFormat.XML, FileFormat.KML, FileFormat.RDF):
            codec = _codec_for(encoding) if encoding in (Encoding.BIG5, Encoding.CP950) else None
            report.engine, report.codec = "xml", codec
            _structure(report, check_xml(_chunks(stream), codec=codec), "XML")
        else:
            report.well_formed = False
            report.findings.append(
                error(
                    "not_tabular",
                    f"{format.value} 不是可逐列檢查的結構化格式。",
                    "請改以 CSV、JSON、XML 或 ODS 等開放格式提供。",
                )
            )
            return report
    _compare_and_summarise(report, declared_fields)
    return report


def validate_parsed_csv(
    parsed: ParsedCsv,
    *,
    declared_fields: Sequence[DeclaredField] | None = None,
    encoding: Encoding | None = None,
    complete: bool = True,
) -> TableReport:
    """:func:`validate_table` of a small CSV already parsed by :func:`parse_small_csv`.

    Gives the same report as ``validate_table`` on the bytes that were parsed (with the codec
    of ``encoding`` and the same delimiter), without decoding and parsing them again.
    """
    report = TableReport(FileFormat.CSV)
    report.codec = _codec_for(encoding)
    check_parsed_csv(parsed, report, set(), {}, complete=complete)
    _compare_and_summarise(report, declared_fields)
    return report


def _compare_and_summarise(
    report: TableReport, declared_fields: Sequence[DeclaredField] | None
) -> None:
    if declared_fields is not None and report.header:
        report.comparison = compare_header(report.header, declared_fields)
    elif report.header:
        report.comparison = compare_header(report.header, [])
    _summarise(report, declared_fields)


def _codec_for(encoding: Encoding | None) -> str:
    codec = encoding.codec if encoding is not None else None
    return codec or "utf-8-sig"


# --- spreadsheets -----------------------------------------------------------------------------


def _validate_spreadsheet(
    stream: IO[bytes],
    report: TableReport,
    required: set[str],
    types: Mapping[str, ColumnType],
    max_rows: int,
) -> None:
    from python_calamine import CalamineWorkbook

    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if size > MAX_SPREADSHEET_BYTES:
        report.well_formed = False
        report.findings.append(
            error(
                "too_large",
                f"試算表有 {size / 1024 / 1024:.0f} MB，超過可檢查的上限 {MAX_SPREADSHEET_BYTES // 1024 // 1024} MB。",
                "大量資料請改以 CSV 提供。",
            )
        )
        return
    try:
        workbook = CalamineWorkbook.from_filelike(stream)  # type: ignore[arg-type]
        report.sheets = list(workbook.sheet_names)
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header_row = next(rows, None)
    except Exception:  # calamine raises its own error types for broken files
        report.well_formed = False
        report.findings.append(
            error(
                "broken_spreadsheet",
                "試算表無法開啟：檔案已損毀，或不是它宣稱的試算表格式。",
                "請以試算表軟體重新存檔後再上傳。",
            )
        )
        return
    number = 1
    filled = sum(1 for v in header_row or () if v not in ("", None))
    if header_row is not None and filled == 1 and len(header_row) > 1:
        report.findings.append(
            warning(
                "title_row",
                "第 1 列看起來是表格標題而不是欄位名稱。",
                "請刪除表格上方的標題列，讓第 1 列就是欄位名稱，程式才能直接讀取。",
            )
        )
        header_row = next(rows, None)
        number = 2
    if header_row is None:
        report.well_formed = False
        report.findings.append(error("empty", "試算表沒有任何內容。", "請提供含標題列的完整資料。"))
        return
    report.header = [_cell_text(v) for v in header_row]
    columns = ColumnChecks(report, required, types)
    checks: list[tuple[int, Callable[[Any], bool]]] = [
        (i, _cell_checker(kind)) for i, kind in columns.typed
    ]
    for row in rows:
        number += 1
        if report.rows >= max_rows:
            report.truncated = True
            break
        report.rows += 1
        for i in columns.required:
            if i >= len(row) or _cell_text(row[i]) == "":
                report.blank_cells[report.header[i]].add(number)
        for i, ok in checks:
            value = row[i] if i < len(row) else ""
            if _cell_text(value) != "" and not ok(value):
                report.type_errors[report.header[i]].add(number)
    if len(report.sheets) > 1:
        report.findings.append(
            warning(
                "several_sheets",
                f"活頁簿有 {len(report.sheets)} 個工作表，只檢查了第一個「{report.sheets[0]}」。",
                "一個資料資源請只放一個工作表，其他表請分成不同資源。",
            )
        )
    with contextlib.suppress(Exception):
        merged = sheet.merged_cell_ranges
        if merged:
            report.findings.append(
                warning(
                    "merged_cells",
                    f"工作表有 {len(merged)} 處合併儲存格。",
                    "請取消合併儲存格，每一格各填一個值，程式才能正確讀取。",
                )
            )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_checker(kind: ColumnType) -> Callable[[Any], bool]:
    import datetime
    import re

    pattern = re.compile(TYPE_PATTERNS[kind])

    def ok(value: Any) -> bool:
        if kind is ColumnType.INTEGER and isinstance(value, int | float):
            return float(value).is_integer()
        if kind is ColumnType.NUMBER and isinstance(value, int | float):
            return True
        if kind is ColumnType.DATE and isinstance(value, datetime.date):
            return True
        return bool(pattern.match(_cell_text(value)))

    return ok


# --- JSON / XML -------------------------------------------------------------------------------


def _structure(report: TableReport, result: StructureResult, kind: str) -> None:
    report.well_formed = result.well_formed
    report.rows = result.records
    report.header = list(result.fields)
    if result.refused_entities:
        report.findings.append(
            error(
                "xml_entities",
                result.error,
                "請移除 DOCTYPE 中的 ENTITY 宣告，直接寫出內容。",
            )
        )
    elif not result.well_formed:
        where = f"第 {result.line} 行第 {result.column} 字：" if result.line else ""
        report.findings.append(
            error(
                "not_well_formed",
                f"{kind} 格式錯誤，{where}{result.error}。",
                f"請用 {kind} 驗證工具檢查並修正；資料檔最好由程式產生，不要手動編輯。",
            )
        )


# --- summary ----------------------------------------------------------------------------------


def _summarise(report: TableReport, declared: Sequence[DeclaredField] | None) -> None:
    findings = report.findings
    if report.comparison is not None:
        found = report.comparison.findings()
        if found:
            findings.extend(
                f
                for f in found
                if declared is not None or f.code in ("blank_header", "duplicate_header")
            )
    elif declared:
        findings.append(
            warning(
                "no_fields",
                "檔案中找不到可比對的欄位名稱。",
                "JSON 請提供物件陣列，XML 請讓每筆資料是根元素下的一個元素。",
            )
        )
    if report.ragged.count:
        findings.append(
            error(
                "ragged_rows",
                f"共 {report.ragged.count} 列的欄位數與標題列（{report.columns} 欄）不同：{report.ragged.rows_text()}。",
                "請檢查這些列是否多了或少了分隔符號；內容含逗號的欄位要用雙引號括起來。",
            )
        )
    for name, issue in report.blank_cells.items():
        if issue.count:
            findings.append(
                error(
                    "blank_required",
                    f"必填的「{name}」欄有 {issue.count} 格空白：{issue.rows_text()}。",
                    "請補上內容；確實無資料時，依主要欄位說明約定的代碼填寫。",
                )
            )
    for name, issue in report.type_errors.items():
        if issue.count:
            findings.append(
                error(
                    "type_error",
                    f"「{name}」欄應為{report.column_types[name].label}，但有 {issue.count} 格不是：{issue.rows_text()}。",
                    "請只填該型態的值，單位與說明文字請寫在欄位說明，不要寫在儲存格裡。",
                )
            )
    if report.truncated:
        findings.append(
            info("truncated", f"資料超過 {report.rows} 列，只檢查了前 {report.rows} 列。")
        )
    if report.well_formed and report.header and not report.rows:
        findings.append(
            warning("no_rows", "檔案只有標題列，沒有資料。", "請確認是否上傳了正確的檔案。")
        )
