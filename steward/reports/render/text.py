"""How a table cell reads in a text document: numbers with separators, dates in 民國 form."""

from __future__ import annotations

import datetime
from decimal import Decimal

from steward.lib.years import date_label
from steward.reports.document import Cell

NO_VALUE = "—"


def cell_text(value: Cell) -> str:
    """The cell as printed: 1,234; 87.5; 「115 年 3 月 16 日」; 「—」 for no value."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):  # a bool is an int: say it as a word would be a guess
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        text = f"{value:,.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime.datetime):
        return date_label(value.date())
    if isinstance(value, datetime.date):
        return date_label(value)
    return str(value)


def is_number(value: Cell) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
