"""The one rule for exported cells (OWASP's CSV injection rule) and its exact reversal."""

from __future__ import annotations

import pytest

from steward.lib.cells import csv_escape, formula_like, read_cell, sheet_text

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "-",
]
HARMLESS = [
    "-3.5",
    "+12",
    "-1,234.50",
    "-40%",
    "1e-3",
    "+886-2-1234-5678",
    "+886 (2) 2345-6789 #123",
    "02-2345-6789#123",
    "2026-01-31",
    "資料名稱",
    "",
    "a=b",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote_in_front(value: str) -> None:
    assert formula_like(value)
    assert csv_escape(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_numbers_telephone_numbers_and_text_are_left_alone(value: str) -> None:
    assert not formula_like(value)
    assert csv_escape(value) == value


@pytest.mark.parametrize(
    "value", [*DANGEROUS, *HARMLESS, "'=a", "''=a", "'a", "'", "'-3.5", "'+886-2-1234-5678"]
)
def test_reading_back_gives_exactly_the_value_written(value: str) -> None:
    assert read_cell(csv_escape(value)) == value


def test_a_quote_a_person_typed_before_text_is_kept() -> None:
    assert read_cell("'123") == "'123"
    assert read_cell("'hello") == "'hello"
    assert read_cell("'=1+1") == "=1+1"


@pytest.mark.parametrize("value", [*DANGEROUS, *HARMLESS, "'=a", "''=a", "'a", "'-3.5"])
def test_spreadsheet_text_reads_back_exactly_and_leaves_formulas_unquoted(value: str) -> None:
    assert read_cell(sheet_text(value)) == value
    if not value.startswith("'"):
        assert sheet_text(value) == value  # an XLSX or ODS text cell needs no quote
