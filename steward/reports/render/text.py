"""How a table cell reads in a text document: numbers with separators, dates in 民國 form."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from steward.lib.years import date_label
from steward.reports.document import Cell

NO_VALUE = "—"
# Characters XML 1.0 cannot hold (ODF and OOXML are XML): control characters other than tab,
# line feed and carriage return, and the non-characters. Text from the database may carry
# them (pasted from another program); they are dropped rather than make a file no program opens.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """The text without the characters an XML file cannot hold."""
    return _NOT_IN_XML.sub("", text)


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
    return xml_safe(str(value))


def is_number(value: Cell) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
