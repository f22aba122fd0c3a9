"""Years as people read them: one rule for every page.

The seeds write years in the 民國 (ROC) calendar: 「115 年」, 「105~106 年度」. Pages about the
programme (plans, targets, inventory, office calendars) show a year the same way through
`year_label`, in Chinese as 「115 年」 and in English as 2026, so no page mixes 「2026 年」 and
「115 年」. Machine fields stay Gregorian and ISO: URLs and query parameters (`?year=2026`),
form values, date inputs (2026-03-02), API fields and files meant for programs.

The template filter `year_label` is built in (settings' TEMPLATES `builtins`): no `{% load %}`.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils.translation import get_language

#: 民國 year + 1911 = the Gregorian year (民國元年 = 1912).
ROC_OFFSET = 1911

register = template.Library()


def roc_year(year: int) -> int:
    """The 民國 year of a Gregorian year: 2026 → 115."""
    return year - ROC_OFFSET


def gregorian_year(roc: int) -> int:
    """The Gregorian year of a 民國 year: 115 → 2026."""
    return roc + ROC_OFFSET


def _chinese() -> bool:
    return (get_language() or "zh-hant").lower().startswith("zh")


def writes_roc() -> bool:
    """Does the reader's language write dates in 民國 (Chinese) rather than ISO (English)?"""
    return _chinese()


@register.filter
def year_label(year: int | str | None) -> str:
    """A year as the page's language writes it: 「115 年」 (民國) in Chinese, 2026 in English.
    Anything that is not a year (「每年」, empty) is shown as it is."""
    if year is None:
        return ""
    if isinstance(year, str):
        if not year.strip().isdigit():
            return year
        year = int(year)
    return f"{roc_year(year)} 年" if _chinese() else str(year)


def date_label(day: datetime.date) -> str:
    """A date as the seeds write it in a document: 「115 年 3 月 16 日」 in Chinese (民國), and
    2026-03-16 in English."""
    if _chinese():
        return f"{roc_year(day.year)} 年 {day.month} 月 {day.day} 日"
    return day.isoformat()
