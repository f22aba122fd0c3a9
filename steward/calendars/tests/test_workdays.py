"""Working-day maths: the official days, the holidays fallback, and how they agree."""

from __future__ import annotations

import datetime

import holidays
import pytest

from steward.calendars.parsing import parse_calendar_file
from steward.calendars.services import import_builtin_calendars, import_calendar_file
from steward.calendars.tests.conftest import DATA, ORIGINAL_2025, shipped
from steward.calendars.workdays import (
    CalendarGapError,
    Source,
    WorkingCalendar,
    YearDays,
    add_working_days,
    adjust,
    decide,
    holidays_year,
    is_working_day,
    move_to_previous_working_day,
    next_working_day,
    previous_working_day,
)

D = datetime.date
FINAL_FILES = [
    path.name
    for path in sorted(DATA.glob("*.csv"))
    if path.name not in (ORIGINAL_2025, "114年中華民國政府行政機關辦公日曆表修正版.csv")
]


@pytest.mark.parametrize("name", FINAL_FILES)
def test_the_holidays_package_agrees_with_the_final_official_file_of_each_year(name: str) -> None:
    parsed = parse_calendar_file(shipped(name), file_name=name)
    taiwan = holidays.country_holidays("TW", years=parsed.year)
    disagree = [
        day.date for day in parsed.days if taiwan.is_working_day(day.date) == day.is_day_off
    ]
    assert disagree == []


def test_the_holidays_package_differs_from_the_first_2025_file_on_its_three_revised_days() -> None:
    parsed = parse_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    taiwan = holidays.country_holidays("TW", years=2025)
    disagree = [
        day.date for day in parsed.days if taiwan.is_working_day(day.date) == day.is_day_off
    ]
    assert disagree == [D(2025, 9, 29), D(2025, 10, 24), D(2025, 12, 25)]


def test_the_fallback_knows_make_up_saturdays() -> None:
    year = holidays_year(2025)
    assert D(2025, 2, 8) not in year.days_off  # 補行上班
    assert D(2025, 2, 15) in year.days_off
    assert year.source == Source.HOLIDAYS_PACKAGE


@pytest.mark.django_db
def test_the_moea_example_a_sunday_deadline_moves_to_friday_per_the_2017_file() -> None:
    import_builtin_calendars()
    result = adjust(D(2017, 12, 31))
    assert (result.original, result.due, result.moved) == (D(2017, 12, 31), D(2017, 12, 29), True)
    assert result.sources == {Source.OFFICIAL}
    assert decide(D(2017, 12, 30)).source == Source.OFFICIAL
    assert not is_working_day(D(2017, 12, 30))


@pytest.mark.django_db
def test_a_deadline_on_a_working_day_stays() -> None:
    import_builtin_calendars()
    assert move_to_previous_working_day(D(2017, 3, 15)) == D(2017, 3, 15)
    assert previous_working_day(D(2017, 3, 15)) == D(2017, 3, 14)


@pytest.mark.django_db
def test_a_make_up_saturday_is_a_working_day() -> None:
    import_builtin_calendars()
    assert is_working_day(D(2025, 2, 8))
    assert move_to_previous_working_day(D(2025, 2, 9)) == D(2025, 2, 8)
    assert decide(D(2025, 2, 8)).label == "補行上班"


@pytest.mark.django_db
def test_lunar_new_year_2025_moves_back_across_the_whole_break() -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    # 1/25 (Sat) to 2/2 (Sun) are all days off.
    assert move_to_previous_working_day(D(2025, 2, 2)) == D(2025, 1, 24)
    assert next_working_day(D(2025, 1, 24)) == D(2025, 2, 3)


@pytest.mark.django_db
def test_add_working_days_counts_only_working_days_and_not_the_start() -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    friday = D(2025, 1, 24)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(friday, 1) == D(2025, 2, 3)
    # 2/3, 2/4, 2/5, 2/6, 2/7, 2/8 (make-up Saturday), 2/10.
    assert add_working_days(friday, 7) == D(2025, 2, 10)
    assert add_working_days(D(2025, 2, 10), -7) == friday
    # The make-up Saturday counts.
    assert add_working_days(D(2025, 2, 7), 1) == D(2025, 2, 8)


@pytest.mark.django_db
def test_moving_back_across_new_year_names_both_sources() -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    # 2024 has no file here: 2025-01-01 is a day off, 2024-12-31 comes from the fallback.
    result = adjust(D(2025, 1, 1))
    assert result.due == D(2024, 12, 31)
    assert result.sources == {Source.OFFICIAL, Source.HOLIDAYS_PACKAGE}
    assert result.used_fallback


@pytest.mark.django_db
def test_without_any_import_every_answer_comes_from_the_fallback() -> None:
    decision = decide(D(2017, 12, 30))
    assert decision.source == Source.HOLIDAYS_PACKAGE and not decision.is_working_day
    assert adjust(D(2017, 12, 31)).due == D(2017, 12, 29)


@pytest.mark.django_db
def test_the_shared_calendar_notices_a_new_import() -> None:
    assert decide(D(2025, 9, 29)).source == Source.HOLIDAYS_PACKAGE
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    decision = decide(D(2025, 9, 29))
    assert decision.source == Source.OFFICIAL and decision.is_working_day


def test_a_year_without_working_days_is_an_error_not_a_loop() -> None:
    def closed(year: int) -> YearDays:
        first = D(year, 1, 1)
        return YearDays(
            year=year,
            source=Source.OFFICIAL,
            days_off=frozenset(first + datetime.timedelta(days=n) for n in range(366)),
        )

    calendar = WorkingCalendar(load_official=closed)
    with pytest.raises(CalendarGapError):
        calendar.move_to_previous_working_day(D(2030, 6, 1))
    with pytest.raises(CalendarGapError):
        calendar.add_working_days(D(2030, 6, 1), 3)


def test_a_calendar_loads_each_year_once() -> None:
    loads: list[int] = []

    def load(year: int) -> None:
        loads.append(year)
        return None

    calendar = WorkingCalendar(load_official=load)
    for offset in range(400):
        calendar.is_working_day(D(2030, 1, 1) + datetime.timedelta(days=offset))
    assert loads == [2030, 2031]
    assert calendar.working_days_between(D(2030, 1, 4), D(2030, 1, 11)) == 5
