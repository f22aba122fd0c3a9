"""Reading an official office-calendar file (政府行政機關辦公日曆表) into a checked year of days.

The files are published by the Directorate-General of Personnel Administration
(行政院人事行政總處) as CSV with the header `西元日期,星期,是否放假,備註`. The real
files are UTF-8 with a BOM and CRLF, except one 2025 revision saved in CP950
(Big5); the label of a make-up working day changed from 調整上班 to 補行上班 in
2021; a revision may leave 備註 empty on a new day off. `parse_calendar_file`
is pure: bytes in, a `CalendarFile` or a `CalendarFileError` listing every
problem (file, line, reason) out.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import csv
import datetime
import hashlib
import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.lib.uploads import UploadRefused, decode_upload

HEADER = ("西元日期", "星期", "是否放假", "備註")
WEEKDAY_LABELS = "一二三四五六日"  # date.weekday(): Monday is 0 (一) … Sunday is 6 (日)
WORKING, DAY_OFF = "0", "2"
# Both spellings mean a Saturday (or Sunday) worked to make up for a bridge day off.
MAKE_UP_LABELS = frozenset({"補行上班", "調整上班"})
COMPENSATORY_LABEL = "補假"
ADJUSTED_DAY_OFF_LABEL = "調整放假"
MAX_PROBLEMS = 100

UTF8_BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_ROC_YEAR_IN_NAME = re.compile(r"(?<!\d)(\d{2,3})年")


class DayKind(models.TextChoices):
    """What a day is, normalised across the years' different labels."""

    WORKING_DAY = "working", gettext_lazy("Working day")
    MAKE_UP_WORKING_DAY = "make_up", gettext_lazy("Make-up working day (補行上班)")
    WEEKEND = "weekend", gettext_lazy("Weekend")
    HOLIDAY = "holiday", gettext_lazy("Holiday")
    COMPENSATORY_DAY_OFF = "compensatory", gettext_lazy("Compensatory day off (補假)")
    ADJUSTED_DAY_OFF = "adjusted", gettext_lazy("Bridge day off (調整放假)")
    DAY_OFF = "day_off", gettext_lazy("Day off")

    @property
    def is_day_off(self) -> bool:
        return self not in (DayKind.WORKING_DAY, DayKind.MAKE_UP_WORKING_DAY)


def classify_day(date: datetime.date, *, is_day_off: bool, label: str) -> DayKind:
    """The normalised kind of a day from its 是否放假 flag and its 備註 label."""
    weekend = date.weekday() >= 5
    if not is_day_off:
        return DayKind.MAKE_UP_WORKING_DAY if weekend else DayKind.WORKING_DAY
    if label == COMPENSATORY_LABEL:
        return DayKind.COMPENSATORY_DAY_OFF
    if label == ADJUSTED_DAY_OFF_LABEL:
        return DayKind.ADJUSTED_DAY_OFF
    if label and label != "放假":
        return DayKind.HOLIDAY
    return DayKind.WEEKEND if weekend else DayKind.DAY_OFF


@dataclass(frozen=True)
class CalendarDay:
    """One row of the file: a date, whether offices are closed, and its label (備註)."""

    date: datetime.date
    is_day_off: bool
    label: str
    kind: DayKind
    line: int


@dataclass(frozen=True)
class CalendarFile:
    """A whole, checked year: every day exactly once."""

    file_name: str
    year: int
    encoding: str
    sha256: str
    days: tuple[CalendarDay, ...]

    def days_off(self) -> int:
        return sum(1 for day in self.days if day.is_day_off)

    def by_date(self) -> dict[datetime.date, CalendarDay]:
        return {day.date: day for day in self.days}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file; `line` is None when the problem is the file as a whole."""

    file_name: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file_name}: {self.reason}"
        return _("%(file)s, line %(line)d: %(reason)s") % {
            "file": self.file_name,
            "line": self.line,
            "reason": self.reason,
        }


class CalendarFileError(Exception):
    """The file cannot be loaded; every problem found is listed (up to MAX_PROBLEMS)."""

    def __init__(self, file_name: str, problems: list[Problem]) -> None:
        super().__init__(file_name, problems)
        self.file_name = file_name
        self.problems = problems

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        return "\n".join(lines) if lines else self.file_name


def decode_calendar_bytes(data: bytes, *, file_name: str) -> tuple[str, str]:
    """The file's text and encoding, by the one rule for uploads (steward/lib/uploads.py).

    A Shift-JIS file may happen to decode as CP950, so the caller also checks the header,
    which no wrongly decoded file will match.
    """
    try:
        decoded = decode_upload(data)
    except UploadRefused as refused:
        raise CalendarFileError(
            file_name, [Problem(file_name, refused.line, refused.reason)]
        ) from None
    return decoded.text, decoded.encoding


def year_in_file_name(file_name: str) -> int | None:
    """The Gregorian year a file name declares, e.g. 114年…csv → 2025 (民國 + 1911)."""
    match = _ROC_YEAR_IN_NAME.search(file_name)
    return int(match.group(1)) + 1911 if match else None


def parse_calendar_file(data: bytes, *, file_name: str) -> CalendarFile:
    """Parse and check one calendar file; raise CalendarFileError listing every problem.

    Checks: the encoding (UTF-8 ± BOM or CP950), the header, each row's date
    (YYYYMMDD, all in one year, the year the file name says if it says one),
    weekday (星期 matches the date), 是否放假 (0 or 2), labels that contradict
    the flag, and that every day of the year appears exactly once.
    """
    text, encoding = decode_calendar_bytes(data, file_name=file_name)
    problems: list[Problem] = []

    def problem(line: int | None, reason: str) -> None:
        problems.append(Problem(file_name, line, reason))

    lines = _LINE_BREAK.split(text)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise CalendarFileError(file_name, [Problem(file_name, None, _("the file is empty."))])

    header = tuple(cell.strip() for cell in next(csv.reader([lines[0]])))
    while header and not header[-1]:
        header = header[:-1]
    if header != HEADER:
        if encoding == "cp950":
            reason = _(
                "unknown encoding: the file is not UTF-8, and read as CP950 (Big5) its header "
                "is %(found)s instead of %(expected)s."
            )
        else:
            reason = _("the header is %(found)s; expected %(expected)s.")
        raise CalendarFileError(
            file_name,
            [
                Problem(
                    file_name,
                    1,
                    reason % {"found": ",".join(header) or "—", "expected": ",".join(HEADER)},
                )
            ],
        )

    declared_year = year_in_file_name(file_name)
    year: int | None = declared_year
    days: dict[datetime.date, CalendarDay] = {}
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue  # a blank line carries nothing; Excel sometimes leaves one
        cells = [cell.strip() for cell in next(csv.reader([raw]))]
        while len(cells) > 4 and not cells[-1]:
            cells.pop()
        if len(cells) == 3:
            cells.append("")  # some exports drop the empty 備註 cell
        if len(cells) != 4:
            problem(number, _("expected 4 columns, found %(count)d.") % {"count": len(cells)})
            continue
        date_text, weekday_text, flag, label = cells

        date = _parse_date(date_text)
        if date is None:
            problem(
                number,
                _("%(value)s is not a date written as YYYYMMDD.") % {"value": date_text or "—"},
            )
            continue
        if year is None:
            year = date.year
        if date.year != year:
            if declared_year is not None:
                reason = _("%(date)s is not in %(year)d, the year the file name says.")
            else:
                reason = _("%(date)s is not in %(year)d, the year of the file's first day.")
            problem(number, reason % {"date": date.isoformat(), "year": year})
            continue
        expected_weekday = WEEKDAY_LABELS[date.weekday()]
        if weekday_text != expected_weekday:
            problem(
                number,
                _("%(date)s is a 星期%(expected)s, but the file says %(found)s.")
                % {
                    "date": date.isoformat(),
                    "expected": expected_weekday,
                    "found": weekday_text or "—",
                },
            )
        if flag not in (WORKING, DAY_OFF):
            problem(
                number,
                _("是否放假 must be 0 (working day) or 2 (day off), not %(value)s.")
                % {"value": flag or "—"},
            )
            continue
        is_day_off = flag == DAY_OFF
        if is_day_off and label in MAKE_UP_LABELS:
            problem(
                number,
                _("%(date)s is labelled %(label)s (a working day) but marked 2 (day off).")
                % {"date": date.isoformat(), "label": label},
            )
        if date in days:
            problem(
                number,
                _("%(date)s appears twice (first on line %(first)d).")
                % {"date": date.isoformat(), "first": days[date].line},
            )
            continue
        days[date] = CalendarDay(
            date=date,
            is_day_off=is_day_off,
            label=label,
            kind=classify_day(date, is_day_off=is_day_off, label=label),
            line=number,
        )

    if year is None:
        problem(None, _("the file has no days."))
    else:
        missing = [day for day in _every_day(year) if day not in days]
        for first, last in _ranges(missing):
            if first == last:
                problem(None, _("%(date)s is missing.") % {"date": first.isoformat()})
            else:
                problem(
                    None,
                    _("%(first)s to %(last)s are missing.")
                    % {"first": first.isoformat(), "last": last.isoformat()},
                )

    if problems:
        raise CalendarFileError(file_name, problems[:MAX_PROBLEMS])
    assert year is not None
    return CalendarFile(
        file_name=file_name,
        year=year,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        days=tuple(sorted(days.values(), key=lambda day: day.date)),
    )


def _parse_date(text: str) -> datetime.date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _every_day(year: int) -> list[datetime.date]:
    first = datetime.date(year, 1, 1)
    count = 366 if _stdlib_calendar.isleap(year) else 365
    return [first + datetime.timedelta(days=offset) for offset in range(count)]


def _ranges(dates: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive runs, so a missing month reads as one line rather than thirty."""
    runs: list[tuple[datetime.date, datetime.date]] = []
    for date in dates:
        if runs and runs[-1][1] + datetime.timedelta(days=1) == date:
            runs[-1] = (runs[-1][0], date)
        else:
            runs.append((date, date))
    return runs
