"""The one rule for exported cells (OWASP's CSV injection rule) and its exact reversal."""

from __future__ import annotations

import pytest

from steward.lib.cells import csv_escape, csv_value, formula_like

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
    assert csv_value(csv_escape(value)) == value


def test_a_quote_a_person_typed_before_text_is_kept() -> None:
    assert csv_value("'123") == "'123"
    assert csv_value("'hello") == "'hello"
    assert csv_value("'=1+1") == "=1+1"
