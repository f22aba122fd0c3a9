"""Calendar files for tests: the real shipped files, and well-formed synthetic years to break."""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from steward.calendars.parsing import HEADER, WEEKDAY_LABELS
from steward.calendars.workdays import forget_cached_years

DATA = Path(settings.STEWARD_CALENDAR_DIR)
ORIGINAL_2025 = "114年中華民國政府行政機關辦公日曆表.csv"
CORRECTED_2025 = "114年中華民國政府行政機關辦公日曆表修正版.csv"
UPDATED_2025 = "114年中華民國政府行政機關辦公日曆表1141020更新.csv"


@pytest.fixture(autouse=True)
def english_and_fresh_cache() -> Iterator[None]:
    """Reasons are asserted in English; the shared working-day cache never leaks across tests."""
    forget_cached_years()
    with translation.override("en"):
        yield
    forget_cached_years()


def shipped(name: str) -> bytes:
    return (DATA / name).read_bytes()


def calendar_rows(year: int) -> list[list[str]]:
    """A plain year: weekends off, everything else a working day, no labels."""
    rows = []
    first = datetime.date(year, 1, 1)
    for offset in range(366 if _stdlib_calendar.isleap(year) else 365):
        day = first + datetime.timedelta(days=offset)
        rows.append(
            [
                day.strftime("%Y%m%d"),
                WEEKDAY_LABELS[day.weekday()],
                "2" if day.weekday() >= 5 else "0",
                "",
            ]
        )
    return rows


def calendar_bytes(
    rows: list[list[str]], *, encoding: str = "utf-8-sig", newline: str = "\r\n"
) -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return (newline.join(lines) + newline).encode(encoding)
