"""A report as data (報告內容): what every format renders, and what a template fills in.

A report kind (`kinds.py`) builds one `ReportDocument` from the database for an
organisation and a period; the renderers (`render/`) turn the same document into ODT, ODS,
XLSX and PDF, so every format says the same thing. The document holds only data already
translated for the reader: headings and labels in the active language, numbers as numbers
(a renderer formats them), never an internal key.

    ReportDocument
      └─ Section (heading, blocks in order)
           └─ Paragraph | Table | Chart  (a Chart carries its own data as a Table)
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# What a table cell may hold. Renderers write numbers as numbers and dates as dates;
# text is always text (never a formula: `steward.lib.cells` is the rule for spreadsheets).
Cell = str | int | float | Decimal | datetime.date | None


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Said in place of the rows when there are none (e.g. 「本期無資料」).
    empty_text: str = ""
    # Column widths relative to each other (e.g. the comparison table's 3 columns), optional.
    widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.caption!r}, row {number}: {len(row)} cells "
                    f"for {len(self.columns)} columns"
                )


@dataclass(frozen=True)
class Chart:
    """One chart: the same definition draws on a page (vega-embed) and in a document.

    `spec` is a complete Vega-Lite specification with its data inline; `description` is the
    text alternative (one or two sentences saying what the chart shows, with its main
    figures); `table` is the chart's data as a table, shown beside it for accessibility and
    written as the data of a spreadsheet's native chart.
    """

    key: str  # which chart definition (charts.py), e.g. "star_distribution"
    title: str
    description: str
    spec: Mapping[str, Any]
    table: Table
    # For native spreadsheet charts: how the table maps to a chart.
    kind: str = "bar"  # "bar" | "column" | "line" | "pie" | "timeline"
    category_column: int = 0  # the table column holding the categories (x axis)
    value_columns: tuple[int, ...] = (1,)  # the table columns holding the series


Block = Paragraph | Table | Chart


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class ReportDocument:
    kind: str  # the report kind's key (kinds.py), e.g. "quarterly_progress"
    title: str  # e.g. 「經濟部 115 年第 4 季資料開放辦理情形報告」
    organisation: str  # the organisation's name as printed
    period_label: str  # e.g. 「115 年第 4 季」 (steward.lib.years)
    generated_at: datetime.datetime
    sections: tuple[Section, ...] = ()
    # Named values a civil servant's own ODT template may use as placeholders, beside the
    # standard ones (title, organisation, period, generated); e.g. {"dataset_count": 123}.
    fields: Mapping[str, Cell] = field(default_factory=dict)
    # What the report was built from (plan version, run ids, last change times): stored
    # with a scheduled report, and hashed into `inputs_version`.
    inputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inputs_version(self) -> str:
        """A short fingerprint of the inputs: two reports with the same one say the same."""
        text = json.dumps(self.inputs, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def charts(self) -> list[Chart]:
        return [block for s in self.sections for block in s.blocks if isinstance(block, Chart)]

    def tables(self) -> list[Table]:
        return [block for s in self.sections for block in s.blocks if isinstance(block, Table)]
