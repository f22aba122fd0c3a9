"""Score a whole national-portal catalogue export (資料集目錄匯出檔), streaming row by row.

Per row: metadata completeness of the columns the export carries, identifier validity (the
standard's ``機關代碼-流水號`` or the portal's numeric id), whether 更新頻率 parses, and whether
each resource's declared 檔案格式 and 編碼格式 are known values. The report aggregates counts, the
first offending rows, the distinct unknown values and a summary per publisher (提供機關).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from steward.datasets.standard import (
    ENCODING_LABELS,
    IDENTIFIER_RE,
    KNOWN_FORMATS,
    CatalogueFormatError,
    CatalogueRow,
    FrequencyKind,
    UpdateFrequencyError,
    normalise_format_label,
    parse_update_frequency,
    read_catalogue,
)

from .findings import Finding, error, info, warning

FIRST_ROWS = 20
MAX_DISTINCT = 200
_PORTAL_ID_RE = re.compile(r"^[0-9]{1,9}$")
_KNOWN_FORMATS = {normalise_format_label(f) for f in KNOWN_FORMATS}

#: Export columns that hold M fields of the standard, and R fields (attribute, label).
REQUIRED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("identifier", "資料集識別碼"),
    ("title", "資料集名稱"),
    ("provider_type", "資料提供屬性"),
    ("category", "服務分類"),
    ("description", "資料集描述"),
    ("field_description", "主要欄位說明"),
    ("publisher", "提供機關"),
    ("update_frequency", "更新頻率"),
    ("licence", "授權方式"),
    ("cost", "計費方式"),
    ("contact_name", "提供機關聯絡人姓名"),
    ("contact_phone", "提供機關聯絡人電話"),
)
RECOMMENDED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("landing_page", "相關網址"),
    ("listed_at", "上架日期"),
    ("metadata_modified_at", "詮釋資料更新時間"),
)
REQUIRED_WEIGHT, RECOMMENDED_WEIGHT = 2.0, 1.0


@dataclass(frozen=True)
class RowScore:
    """The checks of one export row."""

    row: int
    identifier: str
    publisher: str
    completeness: float
    missing: tuple[str, ...]
    identifier_kind: str  # "standard", "portal" or "invalid"
    frequency: FrequencyKind | None  # None when it does not parse
    unknown_formats: tuple[str, ...]
    unknown_encodings: tuple[str, ...]
    problems: tuple[str, ...]  # row-level reading problems (resource counts, column count)

    @property
    def sane(self) -> bool:
        """Known formats and encodings, a parseable frequency, a usable identifier."""
        return (
            self.identifier_kind != "invalid"
            and self.frequency is not None
            and not self.unknown_formats
            and not self.unknown_encodings
            and not self.problems
        )


@dataclass
class PublisherSummary:
    """Per 提供機關: rows, mean completeness and how many rows are not sane."""

    rows: int = 0
    completeness_total: float = 0.0
    not_sane: int = 0

    @property
    def completeness(self) -> float:
        return self.completeness_total / self.rows if self.rows else 0.0


@dataclass
class CatalogueReport:
    """Aggregated scores of a catalogue export."""

    readable: bool = True
    rows: int = 0
    resources: int = 0
    completeness_total: float = 0.0
    complete_rows: int = 0
    missing_fields: Counter[str] = field(default_factory=Counter)
    identifiers: Counter[str] = field(default_factory=Counter)
    duplicate_identifiers: int = 0
    frequencies: Counter[str] = field(default_factory=Counter)
    unparsed_frequencies: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    unknown_formats: Counter[str] = field(default_factory=Counter)
    encodings: Counter[str] = field(default_factory=Counter)
    unknown_encodings: Counter[str] = field(default_factory=Counter)
    marks: Counter[str] = field(default_factory=Counter)
    row_problems: int = 0
    not_sane_rows: list[int] = field(default_factory=list)
    not_sane: int = 0
    by_publisher: dict[str, PublisherSummary] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def completeness(self) -> float:
        return self.completeness_total / self.rows if self.rows else 0.0


def score_row(row: CatalogueRow) -> RowScore:
    """Score one export row."""
    got = possible = 0.0
    missing: list[str] = []
    for columns, weight in ((REQUIRED_COLUMNS, REQUIRED_WEIGHT), (RECOMMENDED_COLUMNS, RECOMMENDED_WEIGHT)):  # fmt: skip
        for attribute, label in columns:
            possible += weight
            if getattr(row, attribute).strip():
                got += weight
            else:
                missing.append(label)
    for label, present in (
        ("檔案格式", any(r.format for r in row.resources)),
        ("資料下載網址", any(r.download_url for r in row.resources)),
        ("編碼格式", any(r.encoding for r in row.resources)),
    ):
        possible += REQUIRED_WEIGHT
        if present:
            got += REQUIRED_WEIGHT
        else:
            missing.append(label)
    identifier = row.identifier.strip()
    if IDENTIFIER_RE.match(identifier):
        kind = "standard"
    elif _PORTAL_ID_RE.match(identifier):
        kind = "portal"
    else:
        kind = "invalid"
    try:
        frequency: FrequencyKind | None = parse_update_frequency(row.update_frequency).kind
    except UpdateFrequencyError:
        frequency = None
    unknown_formats = tuple(
        r.format
        for r in row.resources
        if r.format and normalise_format_label(r.format) not in _KNOWN_FORMATS
    )
    unknown_encodings = tuple(
        r.encoding
        for r in row.resources
        if r.encoding and r.encoding.strip().upper().replace("_", "-") not in ENCODING_LABELS
    )
    return RowScore(
        row=row.row,
        identifier=identifier,
        publisher=row.publisher.strip(),
        completeness=got / possible,
        missing=tuple(missing),
        identifier_kind=kind,
        frequency=frequency,
        unknown_formats=unknown_formats,
        unknown_encodings=unknown_encodings,
        problems=tuple(p.message for p in row.problems),
    )


def iter_row_scores(stream: IO[bytes]) -> Iterator[tuple[CatalogueRow, RowScore]]:
    """Every row of an export with its score (raises CatalogueFormatError on an unreadable file)."""
    for row in read_catalogue(stream):
        yield row, score_row(row)


def _bump(counter: Counter[str], key: str) -> None:
    if key in counter or len(counter) < MAX_DISTINCT:
        counter[key] += 1


def score_catalogue(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    on_row: Callable[[RowScore], None] | None = None,
) -> CatalogueReport:
    """Score a catalogue export from a path or binary stream, in bounded memory.

    ``on_row`` receives each :class:`RowScore` (e.g. to store them) without the report keeping
    them. Only identifiers are remembered in full, to count duplicates.
    """
    report = CatalogueReport()
    seen: set[str] = set()
    stream = open(source, "rb") if isinstance(source, str | os.PathLike) else source  # noqa: SIM115
    try:
        for row, score in iter_row_scores(stream):
            _add(report, row, score, seen)
            if on_row is not None:
                on_row(score)
    except CatalogueFormatError as exc:
        report.readable = False
        report.findings.append(
            error("unreadable", f"目錄檔無法讀完：{exc}", "請確認是平臺匯出的原始 CSV（UTF-8）。")
        )
    finally:
        if stream is not source:
            stream.close()
    _explain(report)
    return report


def _add(report: CatalogueReport, row: CatalogueRow, score: RowScore, seen: set[str]) -> None:
    report.rows += 1
    report.resources += len(row.resources)
    report.completeness_total += score.completeness
    report.complete_rows += not score.missing
    report.missing_fields.update(score.missing)
    report.identifiers[score.identifier_kind] += 1
    if score.identifier:
        if score.identifier in seen:
            report.duplicate_identifiers += 1
        seen.add(score.identifier)
    if score.frequency is None:
        report.frequencies["unparsed"] += 1
        _bump(report.unparsed_frequencies, row.update_frequency.strip())
    else:
        report.frequencies[score.frequency.value] += 1
    for resource in row.resources:
        _bump(report.formats, normalise_format_label(resource.format))
        _bump(report.encodings, resource.encoding.strip().upper())
    for value in score.unknown_formats:
        _bump(report.unknown_formats, value)
    for value in score.unknown_encodings:
        _bump(report.unknown_encodings, value)
    _bump(report.marks, row.quality_mark.strip() or "（空白）")
    report.row_problems += bool(score.problems)
    summary = report.by_publisher.setdefault(score.publisher or "（未填）", PublisherSummary())
    summary.rows += 1
    summary.completeness_total += score.completeness
    if not score.sane:
        report.not_sane += 1
        summary.not_sane += 1
        if len(report.not_sane_rows) < FIRST_ROWS:
            report.not_sane_rows.append(score.row)


def _explain(report: CatalogueReport) -> None:
    add = report.findings.append
    add(
        info(
            "summary",
            f"共 {report.rows} 筆資料集、{report.resources} 個資料資源；"
            f"詮釋資料平均完整度 {report.completeness:.1%}，{report.complete_rows} 筆完整。",
        )
    )
    if report.identifiers["invalid"]:
        add(
            error(
                "invalid_identifier",
                f"{report.identifiers['invalid']} 筆資料集識別碼格式不符。",
                "資料集編號應為「10 碼機關代碼-6 碼流水號」。",
            )
        )
    if report.duplicate_identifiers:
        add(
            error(
                "duplicate_identifier",
                f"{report.duplicate_identifiers} 筆資料集識別碼重複。",
                "每個資料集的識別碼必須唯一。",
            )
        )
    if report.frequencies["unparsed"]:
        values = "、".join(v for v, _ in report.unparsed_frequencies.most_common(10))
        add(
            warning(
                "unparsed_frequency",
                f"{report.frequencies['unparsed']} 筆更新頻率無法辨識（例如：{values}）。",
                "請改用「每日」、「每月」、「每1年」、「即時」、「不定期」等寫法，才能判斷是否逾期。",
            )
        )
    if report.unknown_formats:
        values = "、".join(v for v, _ in report.unknown_formats.most_common(10))
        add(
            warning(
                "unknown_format", f"出現非常見的檔案格式：{values}。", "請使用平臺的標準格式名稱。"
            )
        )
    if report.unknown_encodings:
        values = "、".join(v for v, _ in report.unknown_encodings.most_common(10))
        add(
            warning(
                "unknown_encoding",
                f"出現非標準的編碼格式：{values}。",
                "編碼格式請填 UTF-8、BIG5 或「其他」。",
            )
        )
    if report.row_problems:
        add(
            warning(
                "row_problems",
                f"{report.row_problems} 筆的檔案格式、下載網址、編碼格式數量不一致。",
                "多個資源的值請以「;」分隔，每個資源各一個值。",
            )
        )
