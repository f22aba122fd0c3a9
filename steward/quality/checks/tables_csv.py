"""CSV validation for validate_table: pyarrow's streaming reader, with a pure-Python fallback.

Small inputs (at most SMALL_CSV_BYTES, e.g. the head the crawler fetched) are read in one go
and checked with the csv module: pyarrow's reader costs more to set up than such a file costs
to parse. Both engines give the same report (tests run every case through both).
`parse_small_csv` decodes and parses such an input once, so that the pipeline can hand the same
records to the table check and to the personal-data scan.
The fast path parses blocks with pyarrow (on all cores by default) and checks columns with vector
kernels; ragged rows are skipped by pyarrow's invalid-row handler and counted. A multithreaded
parse does not know row numbers, so when ragged rows exist a second, single-threaded pass reads
just far enough to number the first ones and to place the first cell errors exactly.
When pyarrow gives up (broken quoting, undecodable bytes) a tolerant csv-module reader starts over.
Memory stays bounded by the block size whatever the file size.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import IO, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .findings import error, info
from .sniff import same_delimiter_count
from .table_report import FIRST_ROWS, TYPE_PATTERNS, ColumnChecks, ColumnType, RowIssue, TableReport

_FIELD_LIMIT = 16 * 1024 * 1024
CsvEngine = Literal["auto", "pyarrow", "python"]
#: Up to this size the csv module checks the whole input at once ("auto" engine).
SMALL_CSV_BYTES = 256 * 1024


def read_header(stream: IO[bytes], codec: str, delimiter: str) -> list[str] | None:
    """The first record of a CSV stream; the stream is rewound to where it was."""
    start = stream.tell()
    text = io.TextIOWrapper(stream, encoding=codec, errors="replace", newline="")
    try:
        return next(csv.reader(text, delimiter=delimiter), None)
    except csv.Error:
        return None
    finally:
        text.detach()
        stream.seek(start)


def validate_csv(
    stream: IO[bytes],
    report: TableReport,
    *,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
    block_size: int,
    threads: bool,
    complete: bool = True,
    engine: CsvEngine = "auto",
) -> None:
    """Fill ``report`` from a seekable CSV byte stream (``complete=False``: only its head).

    ``engine`` is "pyarrow", "python", or "auto": python for at most SMALL_CSV_BYTES.
    """
    codec = report.codec or "utf-8-sig"
    start = stream.tell()
    if engine == "auto":
        size = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
        engine = "python" if size <= SMALL_CSV_BYTES else "pyarrow"
    if engine == "python":
        _csv_in_memory(stream.read(), report, delimiter, required, types, complete=complete)
        return
    header = read_header(stream, codec, delimiter)
    if not header:
        report.well_formed = False
        report.findings.append(
            error("empty", "檔案沒有任何內容或標題列。", "請提供含標題列的完整檔案。")
        )
        return
    report.header = [h.lstrip("\ufeff") for h in header]
    counted = QuoteCounter(stream)
    try:
        report.engine = "pyarrow"
        _csv_pyarrow(
            counted, stream, start, report, delimiter, required, types, block_size, threads
        )
    except (pa.ArrowException, UnicodeDecodeError, LookupError):
        # pyarrow gives up on broken quoting or bad bytes: start again with the tolerant reader
        stream.seek(start)
        counted = QuoteCounter(stream)
        report.rows, report.ragged = 0, RowIssue()
        report.blank_cells, report.type_errors = {}, {}
        report.engine = "python"
        report.findings.append(info("slow_path", "快速檢查無法讀完此檔，改以逐列方式檢查。"))
        _csv_python(counted, report, delimiter, required, types)
    if complete:  # a head may well end inside a quoted multi-line cell
        _unbalanced_quote(report, counted.quotes, codec)


class QuoteCounter(io.RawIOBase):
    """A read-only stream wrapper counting double-quote bytes as they pass (no second pass).

    In UTF-8 and Big5 the byte 0x22 is always a real quote (Big5 trail bytes start at 0x40).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self.stream = stream
        self.quotes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = self.stream.read(-1 if size is None else size)
        if b'"' in data:  # memchr: far cheaper than count() on the many files with no quotes
            self.quotes += data.count(b'"')
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass  # the caller owns the real stream


def _column(index: int) -> str:
    """The name pyarrow gives the index-th column (the file's own header is read apart)."""
    return f"c{index}"


def _open_arrow(
    stream: Any,
    width: int,
    codec: str,
    delimiter: str,
    block_size: int,
    threads: bool,
    on_invalid_row: Callable[[Any], str],
    checked: Collection[int] = (),
) -> pacsv.CSVStreamingReader:
    """A streaming reader of every row's cells as text, columns named by :func:`_column`.

    Only the ``checked`` columns are converted (the first one when none is): every row is still
    parsed, so ragged rows are found, but the others cost no conversion.
    """
    names = [_column(i) for i in range(width)]
    return pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=1,
            block_size=block_size,
            use_threads=threads,
            encoding="utf8" if codec in ("utf-8", "utf-8-sig") else codec,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            include_columns=[names[i] for i in sorted(set(checked))] or names[:1],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _blank(column: pa.Array) -> pa.Array:
    """Empty or whitespace-only cells (full-width spaces included)."""
    return pc.or_(pc.equal(pc.binary_length(column), 0), pc.utf8_is_space(column))


class _Blanks:
    """Blank masks of one batch, computed at most once per column and only when needed."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch
        self.masks: dict[int, pa.Array] = {}

    def __call__(self, index: int) -> pa.Array:
        if index not in self.masks:
            self.masks[index] = _blank(self.batch.column(_column(index)))
        return self.masks[index]


def _bad_values(column: pa.Array, kind: ColumnType, blanks: _Blanks, index: int) -> pa.Array | None:
    """Indices of non-blank cells that are not of ``kind``; None when every cell is fine."""
    if kind is ColumnType.INTEGER:
        # plain digits everywhere is the common case; the regex (signs) runs only on the rest
        decimal = pc.ascii_is_decimal(column)
        if pc.all(decimal).as_py() is not False:
            return None
        candidates = pc.indices_nonzero(pc.and_not(pc.invert(decimal), blanks(index)))
        if not len(candidates):
            return None
        ok = pc.match_substring_regex(pc.take(column, candidates), TYPE_PATTERNS[kind])
        bad = pc.filter(candidates, pc.invert(ok))
    else:
        ok = pc.match_substring_regex(column, TYPE_PATTERNS[kind])
        bad = pc.indices_nonzero(pc.and_not(pc.invert(ok), blanks(index)))
    return bad if len(bad) else None


def _csv_pyarrow(
    counted: QuoteCounter,
    raw: IO[bytes],
    start: int,
    report: TableReport,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
    block_size: int,
    threads: bool,
) -> None:
    codec = report.codec or "utf-8-sig"
    width = len(report.header)

    def on_invalid_row(row: Any) -> str:
        report.ragged.count += 1
        if row.number is not None and row.number > 0 and len(report.ragged.first_rows) < FIRST_ROWS:
            report.ragged.first_rows.append(row.number)
        return "skip"

    checks = ColumnChecks(report, required, types)
    checked = [*checks.required, *(i for i, _ in checks.typed)]
    reader = _open_arrow(
        counted, width, codec, delimiter, block_size, threads, on_invalid_row, checked
    )
    # first valid-row indices (0-based among rows pyarrow kept) of each cell issue
    first_indices: dict[int, list[int]] = {}
    valid = 0

    def note(issue: RowIssue, indices: pa.Array) -> None:
        issue.count += len(indices)
        kept = first_indices.setdefault(id(issue), [])
        if len(kept) < FIRST_ROWS:
            kept.extend(valid + i for i in indices.slice(0, FIRST_ROWS - len(kept)).to_pylist())

    for batch in reader:
        blanks = _Blanks(batch)
        for i in checks.required:
            mask = blanks(i)
            if pc.any(mask).as_py():
                note(report.blank_cells[report.header[i]], pc.indices_nonzero(mask))
        for i, kind in checks.typed:
            bad = _bad_values(batch.column(_column(i)), kind, blanks, i)
            if bad is not None:
                note(report.type_errors[report.header[i]], bad)
        valid += batch.num_rows
    report.rows = valid + report.ragged.count

    skipped: list[int] = []
    if report.ragged.count:
        # number the ragged rows with a single-threaded pass that stops as soon as it can
        needed = max((max(v) for v in first_indices.values() if v), default=-1)
        skipped = _ragged_numbers(raw, start, report, codec, delimiter, block_size, needed)
        report.ragged.first_rows = skipped[:FIRST_ROWS]

    def record_number(index: int) -> int:
        # the index-th kept row, shifted past the ragged rows before it (header = row 1)
        row, known = index + 2, 0
        while True:
            before = bisect.bisect_right(skipped, row)
            if before == known:
                return row
            row, known = index + 2 + before, before

    issues = [*report.blank_cells.values(), *report.type_errors.values()]
    for issue in issues:
        issue.first_rows = [record_number(i) for i in first_indices.get(id(issue), [])]


def _ragged_numbers(
    raw: IO[bytes],
    start: int,
    report: TableReport,
    codec: str,
    delimiter: str,
    block_size: int,
    needed_index: int,
) -> list[int]:
    """Row numbers of ragged rows, read until the first ones and ``needed_index`` are covered."""
    wanted = min(FIRST_ROWS, report.ragged.count)
    # small blocks first: the first ragged rows are usually early, so little parsing is needed;
    # a row longer than a small block makes pyarrow refuse it, so retry with the full block
    for size in dict.fromkeys((min(block_size, 256 * 1024), block_size)):
        numbers: list[int] = []

        def on_invalid_row(row: Any, numbers: list[int] = numbers) -> str:
            numbers.append(row.number if row.number is not None else -1)
            return "skip"

        raw.seek(start)
        reader = _open_arrow(
            QuoteCounter(raw), len(report.header), codec, delimiter, size, False, on_invalid_row
        )
        valid = 0
        try:
            for batch in reader:
                valid += batch.num_rows
                if valid > needed_index and len(numbers) >= wanted:
                    break
        except pa.ArrowInvalid:
            if size == block_size:
                raise
            continue
        return numbers
    return []


def _unbalanced_quote(report: TableReport, quotes: int, codec: str) -> None:
    # escaped quotes come in pairs, so an odd count means a quote that never closes; both
    # readers would otherwise swallow the rest of the file into one cell without a word
    if quotes % 2 and codec.replace("-sig", "") in ("utf-8", "cp950", "big5"):
        report.well_formed = False
        report.findings.append(
            error(
                "unbalanced_quote",
                "檔案中的雙引號沒有成對，某個欄位的引號沒有關閉，之後的內容會被當成同一格。",
                '內容含逗號、換行或引號的欄位請用雙引號括起來，內容中的雙引號寫成兩個（""）。',
            )
        )


#: Delimiters that csv.reader treats like any other character but the delimiter.
_PLAIN_DELIMITERS = frozenset({",", "\t", ";", "|"})


class ParsedCsv:
    """A small CSV decoded and parsed once, so that several checks can share the work.

    A text without quotes is only split into lines (one record each, as csv.reader would read
    them); its cells are split when first asked for, which most checks never do.
    """

    __slots__ = ("_delimiter", "_lines", "_records", "_utf8", "quotes", "text")

    def __init__(
        self,
        text: str,
        *,
        delimiter: str,
        records: list[list[str]] | None = None,
        lines: list[str] | None = None,
        utf8: bytes | None = None,
    ) -> None:
        #: The input decoded (undecodable bytes replaced).
        self.text = text
        #: How many double quotes the text holds.
        self.quotes = 0 if lines is not None else text.count('"')  # (lines: none at all)
        self._delimiter = delimiter
        self._records = records
        self._lines = lines
        self._utf8 = utf8

    @property
    def utf8(self) -> bytes:
        """The text in UTF-8, for scans that go faster over bytes (made once)."""
        if self._utf8 is None:
            self._utf8 = self.text.encode("utf-8", "surrogatepass")
        return self._utf8

    def __len__(self) -> int:
        """The number of records, the header included."""
        return len(self._records if self._records is not None else self._lines or ())

    @property
    def records(self) -> list[list[str]]:
        """Every record, the header first; blank lines are empty lists, as csv.reader gives."""
        if self._records is None:
            delimiter = self._delimiter
            self._records = [line.split(delimiter) if line else [] for line in self._lines or ()]
        return self._records

    @property
    def header(self) -> list[str] | None:
        """The first record (None when there is none)."""
        if self._records is not None or not self._lines:
            return self._records[0] if self._records else None
        first = self._lines[0]
        return first.split(self._delimiter) if first else []

    def field_counts(self) -> list[int]:
        """How many fields each record has (0 for a blank line)."""
        if self._records is not None:
            return list(map(len, self._records))
        delimiter, lines = self._delimiter, self._lines or []
        width = lines[0].count(delimiter) + 1 if lines else 0
        if width > 1 and same_delimiter_count(self._joined(), len(lines), delimiter, width - 1):
            return [width] * len(lines)  # the usual table: every line as wide as the header
        return [line.count(delimiter) + 1 if line else 0 for line in lines]

    def _joined(self) -> bytes:
        """The lines joined by line feeds, in UTF-8."""
        if "\r" in self.text:
            return "\n".join(self._lines or ()).encode("utf-8", "surrogatepass")
        # the text itself, but for the line feed after the last line
        return self.utf8[:-1] if self.text.endswith("\n") else self.utf8


def parse_small_csv(
    data: bytes, *, codec: str, delimiter: str, text: str | None = None
) -> ParsedCsv | None:
    """Decode and parse a small input (at most SMALL_CSV_BYTES) in one go.

    ``text`` is ``data`` already decoded strictly with ``codec`` (e.g. when its encoding was
    detected), which is then not decoded again. None when the csv module raises on some
    record: callers then take their row-by-row path, which reports where the syntax broke.
    """
    limit = max(csv.field_size_limit(), _FIELD_LIMIT)
    csv.field_size_limit(limit)
    utf8 = None
    if text is None:
        text = data.decode(codec, errors="replace")
    elif codec == "utf-8":
        utf8 = data  # (strictly decoded UTF-8 is its own encoding)
    elif codec == "utf-8-sig":
        utf8 = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if '"' not in text and delimiter in _PLAIN_DELIMITERS and len(text) <= limit:
        # Without quotes csv.reader ends a record at each line break (\r\n, \r or \n, as
        # newline="" reads them) and splits it at each delimiter; a blank line is []. (No
        # field can pass the size limit that would make it raise.)
        lines = (text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text).split(
            "\n"
        )
        if not lines[-1]:
            lines.pop()  # after the last line break, or an empty text
        return ParsedCsv(text, delimiter=delimiter, lines=lines, utf8=utf8)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return None
    return ParsedCsv(text, delimiter=delimiter, records=records, utf8=utf8)


def check_parsed_csv(
    parsed: ParsedCsv,
    report: TableReport,
    required: set[str],
    types: Mapping[str, ColumnType],
    *,
    complete: bool,
) -> None:
    """The python engine's checks over an input parsed by :func:`parse_small_csv`."""
    codec = report.codec or "utf-8-sig"
    report.engine = "python"
    quotes = parsed.quotes
    header = parsed.header
    if not header:
        _no_header(report)
        return
    report.header = [h.lstrip("\ufeff") for h in header]
    # a head cut inside a quoted cell: its last record is a fragment, not a ragged row
    cut_in_quotes = not complete and quotes % 2 == 1
    if required or types:
        records = parsed.records
        _check_rows(iter(records[1:-1] if cut_in_quotes else records[1:]), report, required, types)
    else:
        counts = parsed.field_counts()
        _count_rows(counts[1:-1] if cut_in_quotes else counts[1:], report)
    if complete:
        _unbalanced_quote(report, quotes, codec)


def _count_rows(field_counts: list[int], report: TableReport) -> None:
    """What _check_rows finds when no column is required or typed: rows, and ragged ones."""
    width = len(report.header)
    blank = field_counts.count(0)
    report.rows = len(field_counts) - blank
    if field_counts.count(width) + blank < len(field_counts):
        for number, count in enumerate(field_counts, start=2):  # the header is row 1
            if count and count != width:
                report.ragged.add(number)


def _no_header(report: TableReport) -> None:
    report.well_formed = False
    report.findings.append(
        error("empty", "檔案沒有任何內容或標題列。", "請提供含標題列的完整檔案。")
    )


def _csv_in_memory(
    data: bytes,
    report: TableReport,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
    *,
    complete: bool,
) -> None:
    """The python engine over a small input held in memory: one decode, one parse."""
    codec = report.codec or "utf-8-sig"
    parsed = parse_small_csv(data, codec=codec, delimiter=delimiter)
    if parsed is not None:
        check_parsed_csv(parsed, report, required, types, complete=complete)
        return
    # the csv module objects to some record: read lazily, to report where it broke
    report.engine = "python"
    text = data.decode(codec, errors="replace")
    quotes = text.count('"')
    cut_in_quotes = not complete and quotes % 2 == 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if not header:
        _no_header(report)
        return
    report.header = [h.lstrip("\ufeff") for h in header]
    records: Iterator[list[str]] = reader
    if cut_in_quotes:
        # a head cut inside a quoted cell: its last record is a fragment, not a ragged row
        kept = _all_but_last(reader)
        records = iter(kept) if kept is not None else iter(())
    _check_rows(records, report, required, types)
    if complete:
        _unbalanced_quote(report, quotes, codec)


def _all_but_last(reader: Iterator[list[str]]) -> list[list[str]] | None:
    try:
        records = list(reader)
    except csv.Error:
        return None
    return records[:-1]


def _csv_python(
    stream: QuoteCounter,
    report: TableReport,
    delimiter: str,
    required: set[str],
    types: Mapping[str, ColumnType],
) -> None:
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    buffered = io.BufferedReader(stream, 1 << 20)
    text = io.TextIOWrapper(
        buffered, encoding=report.codec or "utf-8-sig", errors="replace", newline=""
    )
    _check_rows(csv.reader(text, delimiter=delimiter), report, required, types, header=True)


def _check_rows(
    reader: Iterator[list[str]],
    report: TableReport,
    required: set[str],
    types: Mapping[str, ColumnType],
    *,
    header: bool = False,
) -> None:
    """Row checks of the python engine over the records after the header (row 1).

    ``header`` says the reader still starts with the header record, to be skipped.
    """
    checks = ColumnChecks(report, required, types)
    patterns = [(i, re.compile(TYPE_PATTERNS[kind])) for i, kind in checks.typed]
    width = len(report.header)
    number = 1
    try:
        if header:
            next(reader, None)
        for row in reader:
            number += 1
            if not row:
                continue
            report.rows += 1
            if len(row) != width:
                report.ragged.add(number)
                continue
            for i in checks.required:
                if not row[i].strip():
                    report.blank_cells[report.header[i]].add(number)
            for i, pattern in patterns:
                if row[i].strip() and not pattern.match(row[i]):
                    report.type_errors[report.header[i]].add(number)
    except csv.Error:  # (its English message would not help a liaison)
        report.well_formed = False
        report.findings.append(
            error(
                "csv_syntax",
                f"第 {number} 列附近的 CSV 格式錯誤，通常是引號沒有成對。",
                "內容含逗號、換行或引號的欄位請用雙引號括起來，內容中的雙引號寫成兩個。",
            )
        )
