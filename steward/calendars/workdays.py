"""Working-day maths (上班日) over the office calendar, with the `holidays` package as fallback.

Every question about working days goes through here: `is_working_day`,
`move_to_previous_working_day` (the seeds' rule 「完成期限如遇假日則往前推至上班日」),
`previous_working_day`, `add_working_days` (response limits such as "7
working days"), and `adjust`, which also says which source decided.

A year with an imported official calendar uses it; a year without one uses
`holidays.country_holidays("TW")`, whose `is_working_day` knows Taiwan's
make-up working Saturdays and matched every official day of 2017–2026 (the
first 2025 file excepted, which was revised later). The answer carries its
`source` so a page can say "per the holidays package, no official calendar
imported".

`WorkingCalendar` caches whole years, so computing thousands of deadlines
costs one or two queries per year. The module-level functions share one
calendar per process that notices any import (one small query per call);
for bulk work create a `WorkingCalendar()` and reuse it.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import holidays
from django.utils.translation import gettext_lazy as _

# A whole year without a working day means the calendar is wrong, not that we should loop on.
MAX_SEARCH_DAYS = 366


class Source(StrEnum):
    """Who decided whether a day is a working day."""

    OFFICIAL = "official"  # an imported 辦公日曆表
    HOLIDAYS_PACKAGE = "holidays"  # fallback: the `holidays` package, no file for that year

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    Source.OFFICIAL: _("official office calendar"),
    Source.HOLIDAYS_PACKAGE: _("holidays package (no official calendar imported)"),
}


class CalendarGapError(ValueError):
    """No working day within a year of the date asked about: the calendar data is broken."""


@dataclass(frozen=True)
class YearDays:
    """Which days of one year are days off, and who says so."""

    year: int
    source: Source
    days_off: frozenset[datetime.date]
    labels: dict[datetime.date, str] = field(default_factory=dict)
    revision: int | None = None


@dataclass(frozen=True)
class DayDecision:
    """Whether `date` is a working day, with the label (備註 or holiday name) and the source."""

    date: datetime.date
    is_working_day: bool
    source: Source
    label: str = ""
    revision: int | None = None


@dataclass(frozen=True)
class Adjustment:
    """A date as written and the date it becomes, with every source consulted on the way."""

    original: datetime.date
    due: datetime.date
    sources: frozenset[Source]

    @property
    def moved(self) -> bool:
        return self.original != self.due

    @property
    def used_fallback(self) -> bool:
        return Source.HOLIDAYS_PACKAGE in self.sources


def holidays_year(year: int) -> YearDays:
    """A year as the `holidays` package sees Taiwan (weekends, holidays, make-up Saturdays)."""
    taiwan = holidays.country_holidays("TW", years=year)
    first = datetime.date(year, 1, 1)
    count = 366 if _stdlib_calendar.isleap(year) else 365
    days = [first + datetime.timedelta(days=offset) for offset in range(count)]
    return YearDays(
        year=year,
        source=Source.HOLIDAYS_PACKAGE,
        days_off=frozenset(day for day in days if not taiwan.is_working_day(day)),
        labels={day: str(name) for day, name in taiwan.items() if day.year == year},
    )


def fallback_covers(year: int) -> bool:
    """Does the `holidays` package know Taiwan's days off in `year`? Outside its range it
    would call every weekday a working day, which is no answer at all."""
    taiwan = holidays.country_holidays("TW")
    return bool(taiwan.start_year <= year <= taiwan.end_year)


def source_for_year(year: int) -> Source | None:
    """Who can say which days of `year` are working days: an imported office calendar, else
    the `holidays` package where it covers the year, else nobody (None)."""
    from steward.calendars.models import CalendarImport

    if CalendarImport.objects.filter(year=year).exists():
        return Source.OFFICIAL
    return Source.HOLIDAYS_PACKAGE if fallback_covers(year) else None


def official_year(year: int) -> YearDays | None:
    """The year as imported (latest revision), or None when no file was imported."""
    from steward.calendars.models import CalendarDay, CalendarImport

    latest = CalendarImport.objects.filter(year=year).order_by("-revision").first()
    if latest is None:
        return None
    rows = CalendarDay.objects.filter(year=year).values_list("date", "is_day_off", "label")
    days_off = set()
    labels = {}
    for date, is_day_off, label in rows:
        if is_day_off:
            days_off.add(date)
        if label:
            labels[date] = label
    return YearDays(
        year=year,
        source=Source.OFFICIAL,
        days_off=frozenset(days_off),
        labels=labels,
        revision=latest.revision,
    )


class WorkingCalendar:
    """Working-day answers for any date, each year loaded once and kept.

    `load_official` returns a year's official days or None; tests and the
    import preview pass their own to compute against days not yet saved.
    """

    def __init__(self, load_official: Callable[[int], YearDays | None] = official_year) -> None:
        self._load_official = load_official
        self._years: dict[int, YearDays] = {}

    def year(self, year: int) -> YearDays:
        cached = self._years.get(year)
        if cached is None:
            cached = self._load_official(year) or holidays_year(year)
            self._years[year] = cached
        return cached

    def decide(self, date: datetime.date) -> DayDecision:
        year = self.year(date.year)
        return DayDecision(
            date=date,
            is_working_day=date not in year.days_off,
            source=year.source,
            label=year.labels.get(date, ""),
            revision=year.revision,
        )

    def is_working_day(self, date: datetime.date) -> bool:
        return date not in self.year(date.year).days_off

    def adjust(self, date: datetime.date) -> Adjustment:
        """The date itself if it is a working day, else the previous working day, with sources."""
        sources = {self.year(date.year).source}
        due = date
        for _step in range(MAX_SEARCH_DAYS):
            if self.is_working_day(due):
                return Adjustment(original=date, due=due, sources=frozenset(sources))
            due -= datetime.timedelta(days=1)
            sources.add(self.year(due.year).source)
        raise CalendarGapError(f"No working day in the {MAX_SEARCH_DAYS} days up to {date}.")

    def move_to_previous_working_day(self, date: datetime.date) -> datetime.date:
        """往前推至上班日: `date` if offices are open, else the last working day before it."""
        return self.adjust(date).due

    def previous_working_day(self, date: datetime.date) -> datetime.date:
        """The last working day strictly before `date`."""
        return self.move_to_previous_working_day(date - datetime.timedelta(days=1))

    def next_working_day(self, date: datetime.date) -> datetime.date:
        """The first working day strictly after `date`."""
        return self.add_working_days(date, 1)

    def add_working_days(self, date: datetime.date, count: int) -> datetime.date:
        """The `count`-th working day after `date` (before it when negative); `date` itself
        is not counted, so a reply due "within 7 working days" of a Friday comment is
        `add_working_days(friday, 7)`. `count == 0` returns `date` unchanged."""
        step = datetime.timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        day = date
        idle = 0
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
                idle = 0
            else:
                idle += 1
                if idle > MAX_SEARCH_DAYS:
                    raise CalendarGapError(f"No working day within a year of {day}.")
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days in (start, end]: how many working days passed from `start` to `end`."""
        if end <= start:
            return 0
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + datetime.timedelta(days=offset))
        )


# The process-wide calendar behind the module-level functions. It is keyed on the set of
# imports in the database, so an import made by another process (or a test rolled back)
# is noticed at the next call.
_shared: tuple[tuple[tuple[int, int, int, str], ...], WorkingCalendar] | None = None


def _imports_token() -> tuple[tuple[int, int, int, str], ...]:
    from steward.calendars.models import CalendarImport

    return tuple(
        CalendarImport.objects.order_by("pk").values_list("pk", "year", "revision", "sha256")
    )


def current_calendar() -> WorkingCalendar:
    """The shared calendar, reloaded if any calendar import was added or removed."""
    global _shared
    token = _imports_token()
    if _shared is None or _shared[0] != token:
        _shared = (token, WorkingCalendar())
    return _shared[1]


def forget_cached_years() -> None:
    """Drop the shared cache (the import service calls this after each import)."""
    global _shared
    _shared = None


def decide(date: datetime.date) -> DayDecision:
    return current_calendar().decide(date)


def is_working_day(date: datetime.date) -> bool:
    return current_calendar().is_working_day(date)


def adjust(date: datetime.date) -> Adjustment:
    return current_calendar().adjust(date)


def move_to_previous_working_day(date: datetime.date) -> datetime.date:
    return current_calendar().move_to_previous_working_day(date)


def previous_working_day(date: datetime.date) -> datetime.date:
    return current_calendar().previous_working_day(date)


def next_working_day(date: datetime.date) -> datetime.date:
    return current_calendar().next_working_day(date)


def add_working_days(date: datetime.date, count: int) -> datetime.date:
    return current_calendar().add_working_days(date, count)
