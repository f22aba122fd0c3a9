"""Periods of the KPIs: a quarter (2026Q1), a half year (2026H1) or a year (2026)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from steward.lib.bounds import MAX_YEAR, MIN_YEAR, year_in_range
from steward.lib.years import year_label


class MeasureError(Exception):
    """A measure cannot be computed as asked (translatable message)."""


_PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-?(?P<kind>[QqHh])(?P<n>\d))?$")


@dataclass(frozen=True)
class Period:
    """A quarter (2026Q1), a half year (2026H1) or a year (2026), days inclusive."""

    year: int
    kind: str = "year"  # "quarter", "half" or "year"
    number: int = 1

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026Q1`, `2026-Q1`, `2026H2` or `2026`; MeasureError otherwise."""
        match = _PERIOD_RE.match((text or "").strip())
        if match is None:
            raise MeasureError(
                _("“%(text)s” is not a period: write 2026Q1 for a quarter or 2026 for a year.")
                % {"text": text}
            )
        year = int(match["year"])
        if not year_in_range(year):
            raise MeasureError(
                _("“%(text)s” is outside the years we keep (%(first)s to %(last)s).")
                % {"text": text, "first": MIN_YEAR, "last": MAX_YEAR}
            )
        if match["kind"] is None:
            return cls(year)
        kind = "quarter" if match["kind"] in "Qq" else "half"
        number = int(match["n"])
        if not 1 <= number <= (4 if kind == "quarter" else 2):
            raise MeasureError(_("“%(text)s” is not a period of the year.") % {"text": text})
        return cls(year, kind, number)

    @classmethod
    def quarter_of(cls, day: datetime.date) -> Period:
        return cls(day.year, "quarter", (day.month - 1) // 3 + 1)

    @property
    def months(self) -> int:
        return {"quarter": 3, "half": 6}.get(self.kind, 12)

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, (self.number - 1) * self.months + 1, 1)

    @property
    def end(self) -> datetime.date:
        """The last day of the period."""
        last_month = self.number * self.months
        if last_month == 12:
            return datetime.date(self.year, 12, 31)
        return datetime.date(self.year, last_month + 1, 1) - datetime.timedelta(days=1)

    def previous(self) -> Period:
        if self.number > 1:
            return Period(self.year, self.kind, self.number - 1)
        return Period(self.year - 1, self.kind, 12 // self.months)

    @property
    def label(self) -> str:
        suffix = {"quarter": f"Q{self.number}", "half": f"H{self.number}"}.get(self.kind, "")
        return f"{self.year}{suffix}"

    def __str__(self) -> str:
        """The period as a page writes it, the year as the seeds do (lib/years.py): 「115 年第 4
        季」, 「115 年上半年」, 「115 年」 in Chinese; "2026, quarter 4" in English."""
        year = year_label(self.year)
        if self.kind == "quarter":
            return _("%(year)s, quarter %(n)s") % {"year": year, "n": self.number}
        if self.kind == "half":
            if self.number == 1:
                return _("%(year)s, first half") % {"year": year}
            return _("%(year)s, second half") % {"year": year}
        return year

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes in the local time zone (Asia/Taipei)."""
        start = datetime.datetime.combine(self.start, datetime.time())
        end = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(start), timezone.make_aware(end)


def recent_periods(today: datetime.date, *, quarters: int = 8, years: int = 3) -> list[Period]:
    """The current and previous quarters, then the current and previous years (for a menu)."""
    periods = [Period.quarter_of(today)]
    while len(periods) < quarters:
        periods.append(periods[-1].previous())
    return periods + [Period(today.year - n) for n in range(years)]
