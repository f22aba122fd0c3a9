"""Validate a tabular resource (CSV, XLSX/XLS/ODS, JSON, XML) in bounded memory.

``validate_table`` returns a :class:`TableReport`: the real header against 主要欄位說明, rows whose
field count differs from the header (ragged rows: counted, never fatal), blank cells in required
columns, values that break a declared column type, and well-formedness for JSON/XML.
CSV goes through pyarrow's streaming reader block by block; when pyarrow cannot cope (broken
quoting, undecodable bytes) a streaming pure-Python reader takes over from the start.
Spreadsheets go through calamine with a row cap; JSON and XML through streaming parsers.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import enum
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from steward.datasets.standard import DeclaredField

from .encoding import Encoding
from .findings import Finding, error, info, warning
from .headers import HeaderComparison, compare_header
from .sniff import FileFormat
from .structured import CHUNK, StructureResult, check_json, check_xml

Source = str | os.PathLike[str] | IO[bytes]

#: How many example row numbers each issue keeps.
FIRST_ROWS = 10
#: Spreadsheets are read whole by calamine: refuse bigger ones, and cap the rows looked at.
MAX_SPREADSHEET_BYTES = 200 * 1024 * 1024
MAX_SPREADSHEET_ROWS = 1_000_000
#: Skipped (ragged) row numbers remembered to place later errors exactly.
_TRACK_SKIPPED = 200_000
_FIELD_LIMIT = 16 * 1024 * 1024


class ColumnType(enum.StrEnum):
    """A declared column type that values are checked against."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"  # YYYY-MM-DD

    @property
    def label(self) -> str:
        return {"text": "文字", "integer": "整數", "number": "數值", "date": "日期（YYYY-MM-DD）"}[
            self.value
        ]


_TYPE_PATTERNS: dict[ColumnType, str] = {
    ColumnType.INTEGER: r"^[+-]?[0-9]+$",
    ColumnType.NUMBER: r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
    ColumnType.DATE: r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$",
}


@dataclass
class RowIssue:
    """How many rows (or cells) have a problem, and the first row numbers (header = row 1)."""

    count: int = 0
    first_rows: list[int] = field(default_factory=list)

    def add(self, row: int, times: int = 1) -> None:
        self.count += times
        if len(self.first_rows) < FIRST_ROWS:
            self.first_rows.append(row)

    def rows_text(self) -> str:
        shown = "、".join(str(r) for r in self.first_rows)
        return f"第 {shown} 列" + ("等" if self.count > len(self.first_rows) else "")


@dataclass
class TableReport:
    """Everything the table checks found, with Chinese findings."""

    format: FileFormat
    engine: str = ""
    codec: str | None = None
    header: list[str] = field(default_factory=list)
    rows: int = 0
    comparison: HeaderComparison | None = None
    ragged: RowIssue = field(default_factory=RowIssue)
    blank_cells: dict[str, RowIssue] = field(default_factory=dict)
    type_errors: dict[str, RowIssue] = field(default_factory=dict)
    well_formed: bool = True
    #: Row numbers are exact unless very many ragged rows came first.
    rows_approximate: bool = False
    truncated: bool = False
    sheets: list[str] = field(default_factory=list)
    column_types: dict[str, ColumnType] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def columns(self) -> int:
        return len(self.header)

    @property
    def desc_match(self) -> bool | None:
        """The platform's ``desc_match``; None when nothing was declared or no header was read."""
        return self.comparison.matches if self.comparison is not None else None

    @property
    def structure_ok(self) -> bool:
        """Machine-readable structure: well formed, with a header."""
        return self.well_formed and bool(self.header)

    @property
    def csv_ok(self) -> bool:
        """The platform's ``csv`` checks: well formed, clean header, no ragged rows."""
        comparison = self.comparison or compare_header(self.header, [])
        return (
            self.structure_ok
            and self.ragged.count == 0
            and not comparison.blank_columns
            and not comparison.duplicates
        )


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
    block_size: int = 4 << 20,
) -> TableReport:
    """Validate a table from a path or a binary stream, whatever its size.

    ``format`` and ``encoding`` come from :func:`sniff_format` / :func:`detect_encoding`;
    ``declared_fields`` from :func:`parse_field_description`. ``required_columns`` and
    ``column_types`` name header cells. Row numbers count the header as row 1.
    """
    report = TableReport(format, column_types=dict(column_types or {}))
    types = report.column_types
    with _binary(source) as stream:
        if format is FileFormat.CSV or format is FileFormat.TEXT:
            report.codec = _codec_for(encoding)
            _validate_csv(stream, report, delimiter, set(required_columns), types, block_size)
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
    if declared_fields is not None and report.header:
        report.comparison = compare_header(report.header, declared_fields)
    elif report.header:
        report.comparison = compare_header(report.header, [])
    _summarise(report, declared_fields)
    return report


def _codec_for(encoding: Encoding | None) -> str:
    codec = encoding.codec if encoding is not None else None
    return codec or "utf-8-sig"


# --- CSV --------------------------------------------------------------------------------------


def _read_header(stream: IO[bytes], codec: str, delimiter: str) -> list[str] | None:
    text = io.TextIOWrapper(stream, encoding=codec, errors="replace", newline="")
    try:
        return next(csv.reader(text, delimiter=delimiter), None)
    except csv.Error:
        return None
    finally:
        text.detach()
        stream.seek(0)


def _validate_csv(
    stream: IO[bytes],
    report: TableReport,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
    block_size: int,
) -> None:
    codec = report.codec or "utf-8-sig"
    start = stream.tell()
    header = _read_header(stream, codec, delimiter)
    stream.seek(start)
    if not header:
        report.well_formed = False
        report.findings.append(
            error("empty", "檔案沒有任何內容或標題列。", "請提供含標題列的完整檔案。")
        )
        return
    report.header = [h.lstrip("\ufeff") for h in header]
    counted = _QuoteCounter(stream)
    try:
        report.engine = "pyarrow"
        _csv_pyarrow(counted, report, delimiter, required, types, block_size)  # type: ignore[arg-type]
    except (pa.ArrowException, UnicodeDecodeError, LookupError) as exc:
        # pyarrow gives up on broken quoting or bad bytes: start again with the tolerant reader
        stream.seek(start)
        counted = _QuoteCounter(stream)
        report.rows, report.ragged = 0, RowIssue()
        report.blank_cells, report.type_errors = {}, {}
        report.engine = "python"
        report.findings.append(
            info("slow_path", f"快速檢查無法讀完此檔（{str(exc)[:120]}），改以逐列方式檢查。")
        )
        _csv_python(counted, report, delimiter, required, types)  # type: ignore[arg-type]
    # escaped quotes come in pairs, so an odd count means a quote that never closes; both
    # readers would otherwise swallow the rest of the file into one cell without a word
    if counted.quotes % 2 and codec.replace("-sig", "") in ("utf-8", "cp950", "big5"):
        report.well_formed = False
        report.findings.append(
            error(
                "unbalanced_quote",
                "檔案中的雙引號沒有成對，某個欄位的引號沒有關閉，之後的內容會被當成同一格。",
                '內容含逗號、換行或引號的欄位請用雙引號括起來，內容中的雙引號寫成兩個（""）。',
            )
        )


class _QuoteCounter:
    """A read-only stream wrapper counting double-quote bytes as they pass (no second pass).

    In UTF-8 and Big5 the byte 0x22 is always a real quote (Big5 trail bytes start at 0x40).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.quotes = 0
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.quotes += data.count(b'"')
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.stream.tell()

    def close(self) -> None:
        self.closed = True  # the caller owns the real stream

    def flush(self) -> None:
        pass


class _Columns:
    """Per-column checks shared by both CSV readers."""

    def __init__(
        self, report: TableReport, required: set[str], types: Mapping[str, ColumnType]
    ) -> None:
        self.report = report
        self.required = [i for i, h in enumerate(report.header) if h in required]
        self.typed = [
            (i, types[h])
            for i, h in enumerate(report.header)
            if types.get(h, ColumnType.TEXT) is not ColumnType.TEXT
        ]
        for i in self.required:
            report.blank_cells.setdefault(report.header[i], RowIssue())
        for i, _ in self.typed:
            report.type_errors.setdefault(report.header[i], RowIssue())


def _csv_pyarrow(
    stream: IO[bytes],
    report: TableReport,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
    block_size: int,
) -> None:
    width = len(report.header)
    names = [f"c{i}" for i in range(width)]
    skipped: list[int] = []

    def on_invalid_row(row: Any) -> str:
        number = row.number if row.number is not None and row.number > 0 else -1
        report.ragged.add(number)
        if len(skipped) < _TRACK_SKIPPED:
            skipped.append(number)
        else:
            report.rows_approximate = True
        return "skip"

    codec = report.codec or "utf-8-sig"
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=1,
            block_size=block_size,
            use_threads=False,
            encoding="utf8" if codec in ("utf-8", "utf-8-sig") else codec,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    columns = _Columns(report, required, types)
    valid = 0

    def record_number(index: int) -> int:
        # the index-th valid data row (0-based), shifted past skipped ragged rows before it
        row, known = index + 2, 0
        while True:
            before = bisect.bisect_right(skipped, row)
            if before == known:
                return row
            row, known = index + 2 + before, before

    def note(issue: RowIssue, mask: pa.Array) -> None:
        count = pc.sum(mask).as_py() or 0
        if not count:
            return
        if len(issue.first_rows) < FIRST_ROWS:
            indices = pc.indices_nonzero(mask).slice(0, FIRST_ROWS).to_pylist()
            for index in indices:
                issue.add(record_number(valid + index), 0)
        issue.count += count

    for batch in reader:
        blank_masks: dict[int, pa.Array] = {}
        for i in {*columns.required, *(i for i, _ in columns.typed)}:
            blank_masks[i] = pc.equal(pc.utf8_trim_whitespace(batch.column(i)), "")
        for i in columns.required:
            note(report.blank_cells[report.header[i]], blank_masks[i])
        for i, kind in columns.typed:
            matches = pc.match_substring_regex(batch.column(i), _TYPE_PATTERNS[kind])
            note(
                report.type_errors[report.header[i]], pc.and_not(pc.invert(matches), blank_masks[i])
            )
        valid += batch.num_rows
    report.ragged.first_rows.sort()
    report.rows = valid + report.ragged.count


def _csv_python(
    stream: IO[bytes],
    report: TableReport,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
) -> None:
    import re

    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    columns = _Columns(report, required, types)
    patterns = [(i, re.compile(_TYPE_PATTERNS[kind])) for i, kind in columns.typed]
    width = len(report.header)
    text = io.TextIOWrapper(
        stream, encoding=report.codec or "utf-8-sig", errors="replace", newline=""
    )
    reader = csv.reader(text, delimiter=delimiter)
    number = 1
    try:
        next(reader, None)
        for row in reader:
            number += 1
            if not row:
                continue
            report.rows += 1
            if len(row) != width:
                report.ragged.add(number)
                continue
            for i in columns.required:
                if not row[i].strip():
                    report.blank_cells[report.header[i]].add(number)
            for i, pattern in patterns:
                value = row[i].strip()
                if value and not pattern.match(row[i]):
                    report.type_errors[report.header[i]].add(number)
    except csv.Error as exc:
        report.well_formed = False
        report.findings.append(
            error(
                "csv_syntax",
                f"第 {number} 列附近的 CSV 格式錯誤（{exc}），通常是引號沒有成對。",
                "內容含逗號、換行或引號的欄位請用雙引號括起來，內容中的雙引號寫成兩個。",
            )
        )
    finally:
        text.detach()


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
    except Exception as exc:  # calamine raises its own error types for broken files
        report.well_formed = False
        report.findings.append(
            error(
                "broken_spreadsheet",
                f"試算表無法開啟（{exc}）。",
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
    columns = _Columns(report, required, types)
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

    pattern = re.compile(_TYPE_PATTERNS[kind])

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
        findings.extend(
            f
            for f in report.comparison.findings()
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
