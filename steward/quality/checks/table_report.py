"""The report of a table check (TableReport) and the column types values are checked against.

Kept apart from the readers so that the CSV, spreadsheet and JSON/XML paths can share it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from .findings import Finding
from .headers import HeaderComparison, compare_header
from .sniff import FileFormat

#: How many example row numbers each issue keeps.
FIRST_ROWS = 10


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


TYPE_PATTERNS: dict[ColumnType, str] = {
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


class ColumnChecks:
    """Which header positions are required or typed; registers their issues on the report."""

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
