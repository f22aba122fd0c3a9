"""Personal data (個人資料) in column values: IDs with valid check digits, mobiles, e-mail addresses.

Open data must be de-identified (去識別化). This scan counts, per column, values that look like a
Taiwanese national ID (國民身分證統一編號), a resident certificate number (居留證統一證號, the old
letter+A–D form and the 2021 letter+8/9 form), a mobile number (09xx-xxx-xxx, +886 9…) or an
e-mail address. IDs count only when their check digit is right, so random codes do not count.
The report holds column names and counts, never the values.
"""

from __future__ import annotations

import codecs
import csv
import enum
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from .findings import Finding, error, info

if TYPE_CHECKING:  # the scan takes it as it comes, without loading the table readers
    from .tables_csv import ParsedCsv

#: Letter → two-digit code used by the check-digit formula (I, O, W, X, Y, Z are out of order).
LETTER_CODES: dict[str, int] = {
    letter: code for code, letter in zip(range(10, 36), "ABCDEFGHJKLMNPQRSTUVXYWZIO", strict=True)
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)

_ID_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])([12ABCDabcd89])(\d{8})(?![A-Za-z0-9])")
_MOBILE_RE = re.compile(r"(?<![\d+])(?:\+?886[-\s]?|\(?0)9\d{2}\)?[-\s]?\d{3}[-\s]?\d{3}(?!\d)")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
#: Matches wherever any of the three patterns above could (their cores, without the context
#: checks): text it does not match holds no personal data, so most rows are never split up.
_CANDIDATE_RE = re.compile(r"@|[A-Za-z][12ABCDabcd89]\d{8}|9\d\d\)?[-\s]?\d{3}[-\s]?\d{3}")
#: Its three alternatives apart: each alone searches much faster than the alternation.
_CANDIDATE_ID_RE = re.compile(r"[A-Za-z][12ABCDabcd89]\d{8}")
_CANDIDATE_MOBILE_RE = re.compile(r"9\d\d\)?[-\s]?\d{3}[-\s]?\d{3}")
#: Inputs up to this size are screened as a whole before any row is looked at.
SCREEN_BYTES = 256 * 1024


class PiiKind(enum.StrEnum):
    """A kind of personal data."""

    NATIONAL_ID = "national_id"
    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return {
            "national_id": "身分證字號",
            "resident_id": "居留證號",
            "mobile": "手機號碼",
            "email": "電子郵件地址",
        }[self.value]


#: Every byte but the ASCII letters, for bytes.translate to delete.
_NOT_ASCII_LETTERS = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalpha())


def _may_hold_pii(text: str, utf8: bytes | None = None) -> bool:
    """Whether ``_CANDIDATE_RE`` matches somewhere in ``text`` (``utf8``: it in UTF-8, if known)."""
    if "@" in text or _CANDIDATE_MOBILE_RE.search(text) is not None:
        return True
    # An ID starts with an ASCII letter; tables often have none (the regex would look at
    # every character to find that out). In UTF-8 an ASCII letter is a byte of its own.
    if utf8 is None:
        utf8 = text.encode("utf-8", "surrogatepass")
    if not utf8.translate(None, _NOT_ASCII_LETTERS):
        return False
    return _CANDIDATE_ID_RE.search(text) is not None


def _checksum_ok(letter: str, second: int, digits: str) -> bool:
    code = LETTER_CODES[letter.upper()]
    total = code // 10 + (code % 10) * 9 + second * _WEIGHTS[0]
    total += sum(int(d) * w for d, w in zip(digits[:7], _WEIGHTS[1:], strict=True))
    total += int(digits[7])
    return total % 10 == 0


def classify_id(text: str) -> PiiKind | None:
    """NATIONAL_ID or RESIDENT_ID when ``text`` is one with a valid check digit, else None."""
    match = _ID_RE.fullmatch(text.strip())
    if match is None:
        return None
    letter, second, digits = match.groups()
    if second in "12":
        return PiiKind.NATIONAL_ID if _checksum_ok(letter, int(second), digits) else None
    if second in "89":
        return PiiKind.RESIDENT_ID if _checksum_ok(letter, int(second), digits) else None
    # old resident certificate: the second letter's code counts by its last digit
    old_second = LETTER_CODES[second.upper()] % 10
    return PiiKind.RESIDENT_ID if _checksum_ok(letter, old_second, digits) else None


def find_pii(value: str) -> dict[PiiKind, int]:
    """How many of each kind of personal data one cell holds."""
    found: dict[PiiKind, int] = {}
    if len(value) < 6:
        return found
    for match in _ID_RE.finditer(value):
        kind = classify_id(match.group(0))
        if kind is not None:
            found[kind] = found.get(kind, 0) + 1
    mobiles = len(_MOBILE_RE.findall(value))
    if mobiles:
        found[PiiKind.MOBILE] = mobiles
    if "@" in value:
        emails = len(_EMAIL_RE.findall(value))
        if emails:
            found[PiiKind.EMAIL] = emails
    return found


@dataclass
class PiiReport:
    """Per column, how many values of each kind were found; never the values themselves."""

    rows_scanned: int = 0
    truncated: bool = False
    columns: dict[str, dict[PiiKind, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.columns)

    def total(self, kind: PiiKind) -> int:
        return sum(counts.get(kind, 0) for counts in self.columns.values())


def scan_rows(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, max_rows: int | None = None
) -> PiiReport:
    """Scan rows of cells (any iterable, consumed lazily) under ``header``."""
    report = PiiReport()
    names = [h.strip() or f"第 {i + 1} 欄" for i, h in enumerate(header)]
    for row in rows:
        if max_rows is not None and report.rows_scanned >= max_rows:
            report.truncated = True
            break
        report.rows_scanned += 1
        if not _may_hold_pii("\x1f".join(str(cell) for cell in row if cell is not None)):
            continue
        for index, cell in enumerate(row):
            if cell is None:
                continue
            hits = find_pii(str(cell))
            if not hits:
                continue
            name = names[index] if index < len(names) else f"第 {index + 1} 欄"
            counts = report.columns.setdefault(name, {})
            for kind, count in hits.items():
                counts[kind] = counts.get(kind, 0) + count
    _explain(report)
    return report


def scan_csv(
    stream: IO[bytes],
    *,
    codec: str = "utf-8-sig",
    delimiter: str = ",",
    max_rows: int | None = None,
) -> PiiReport:
    """Scan a CSV byte stream row by row (bounded memory).

    A small stream is first screened as a whole: when nothing in it could be personal data,
    its rows are only counted.
    """
    codec = codecs.lookup(codec).name
    start = stream.tell() if stream.seekable() else None
    if start is not None and stream.seek(0, io.SEEK_END) - start <= SCREEN_BYTES:
        stream.seek(start)
        whole = stream.read().decode(codec, errors="replace")
        reader = csv.reader(io.StringIO(whole, newline=""), delimiter=delimiter)
        header = next(reader, [])
        if not _may_hold_pii(whole):
            return _count_only(reader, max_rows=max_rows)
        return scan_rows(header, reader, max_rows=max_rows)
    if start is not None:
        stream.seek(start)
    text = io.TextIOWrapper(stream, encoding=codec, errors="replace", newline="")
    try:
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader, [])
        return scan_rows(header, reader, max_rows=max_rows)
    finally:
        text.detach()


def scan_parsed_csv(parsed: ParsedCsv, *, max_rows: int | None = None) -> PiiReport:
    """:func:`scan_csv` of a small CSV already decoded and parsed by ``parse_small_csv``:
    the same report, without a second parse (nor, mostly, any look at the cells)."""
    if not _may_hold_pii(parsed.text, parsed.utf8):
        rows = max(len(parsed) - 1, 0)
        report = PiiReport(rows_scanned=rows if max_rows is None else min(rows, max(max_rows, 0)))
        report.truncated = report.rows_scanned < rows
        _explain(report)
        return report
    records = parsed.records
    return scan_rows(records[0] if records else [], records[1:], max_rows=max_rows)


def _count_only(rows: Iterable[object], *, max_rows: int | None) -> PiiReport:
    report = PiiReport()
    for _row in rows:
        if max_rows is not None and report.rows_scanned >= max_rows:
            report.truncated = True
            break
        report.rows_scanned += 1
    _explain(report)
    return report


def _explain(report: PiiReport) -> None:
    for column, counts in report.columns.items():
        parts = "、".join(f"{kind.label} {count} 筆" for kind, count in counts.items())
        report.findings.append(
            error(
                "personal_data",
                f"「{column}」欄含有疑似個人資料：{parts}。",
                "開放資料不得含可識別個人的資料，請刪除此欄，或去識別化（例如遮蔽部分字元）後再提供。",
            )
        )
    if not report.columns:
        scope = (
            f"前 {report.rows_scanned} 列" if report.truncated else f"全部 {report.rows_scanned} 列"
        )
        report.findings.append(info("no_personal_data", f"檢查{scope}，未發現個人資料。"))
