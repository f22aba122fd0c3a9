"""Reading the official calendar files: encodings, labels, and precise errors on bad input."""

from __future__ import annotations

import datetime

import pytest

from steward.calendars.parsing import (
    CalendarFileError,
    DayKind,
    parse_calendar_file,
)
from steward.calendars.tests.conftest import (
    CORRECTED_2025,
    DATA,
    ORIGINAL_2025,
    UPDATED_2025,
    calendar_bytes,
    calendar_rows,
    shipped,
)

SHIPPED = sorted(path.name for path in DATA.glob("*.csv"))


def problems_of(data: bytes, file_name: str = "bad.csv") -> list[tuple[int | None, str]]:
    with pytest.raises(CalendarFileError) as caught:
        parse_calendar_file(data, file_name=file_name)
    assert all(problem.file_name == file_name for problem in caught.value.problems)
    assert file_name in str(caught.value)
    return [(problem.line, problem.reason) for problem in caught.value.problems]


def test_twelve_files_for_2017_to_2026_are_shipped() -> None:
    assert len(SHIPPED) == 12


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_file_parses_into_a_whole_year(name: str) -> None:
    parsed = parse_calendar_file(shipped(name), file_name=name)
    assert 2017 <= parsed.year <= 2026
    assert len(parsed.days) == (366 if parsed.year in (2020, 2024) else 365)
    assert parsed.days[0].date == datetime.date(parsed.year, 1, 1)
    assert parsed.days[-1].date == datetime.date(parsed.year, 12, 31)
    assert parsed.days[0].is_day_off  # 開國紀念日
    assert parsed.days[0].line == 2


def test_the_1141020_update_is_cp950_and_decodes_to_the_same_labels() -> None:
    parsed = parse_calendar_file(shipped(UPDATED_2025), file_name=UPDATED_2025)
    assert parsed.encoding == "cp950"
    days = parsed.by_date()
    assert days[datetime.date(2025, 1, 1)].label == "開國紀念日"
    assert days[datetime.date(2025, 9, 29)].label == "補假"
    assert days[datetime.date(2025, 9, 29)].kind == DayKind.COMPENSATORY_DAY_OFF
    assert days[datetime.date(2025, 10, 25)].label == "臺灣光復暨金門古寧頭大捷紀念日"


def test_the_other_files_are_utf8_with_bom() -> None:
    for name in SHIPPED:
        if name != UPDATED_2025:
            assert parse_calendar_file(shipped(name), file_name=name).encoding == "utf-8-sig"


def test_both_make_up_labels_mean_a_make_up_working_day() -> None:
    name_2019 = "108年中華民國政府行政機關辦公日曆表.csv"
    name_2022 = "111年中華民國政府行政機關辦公日曆表.csv"
    before = parse_calendar_file(shipped(name_2019), file_name=name_2019).by_date()
    after = parse_calendar_file(shipped(name_2022), file_name=name_2022).by_date()
    old_style = before[datetime.date(2019, 1, 19)]
    new_style = after[datetime.date(2022, 1, 22)]
    assert (old_style.label, new_style.label) == ("調整上班", "補行上班")
    assert old_style.kind == new_style.kind == DayKind.MAKE_UP_WORKING_DAY
    assert not old_style.is_day_off and not new_style.is_day_off


def test_the_corrected_2025_file_leaves_the_new_days_off_unlabelled() -> None:
    days = parse_calendar_file(shipped(CORRECTED_2025), file_name=CORRECTED_2025).by_date()
    monday = days[datetime.date(2025, 9, 29)]
    assert monday.is_day_off and monday.label == "" and monday.kind == DayKind.DAY_OFF


def test_utf8_without_bom_and_lf_line_ends_parse_too() -> None:
    data = calendar_bytes(calendar_rows(2027), encoding="utf-8", newline="\n")
    parsed = parse_calendar_file(data, file_name="116年.csv")
    assert parsed.encoding == "utf-8" and parsed.year == 2027 and len(parsed.days) == 365


def test_a_big5_file_written_by_excel_parses() -> None:
    rows = calendar_rows(2027)
    rows[0][2:] = ["2", "開國紀念日"]
    parsed = parse_calendar_file(calendar_bytes(rows, encoding="cp950"), file_name="x.csv")
    assert parsed.encoding == "cp950"
    assert parsed.days[0].label == "開國紀念日" and parsed.days[0].kind == DayKind.HOLIDAY


def test_a_missing_day_names_the_date_and_the_file() -> None:
    rows = calendar_rows(2027)
    del rows[58]  # 2027-02-28
    problems = problems_of(calendar_bytes(rows), "116年日曆.csv")
    assert problems == [(None, "2027-02-28 is missing.")]


def test_a_missing_month_is_reported_as_one_range() -> None:
    rows = [row for row in calendar_rows(2027) if not row[0].startswith("202703")]
    assert problems_of(calendar_bytes(rows)) == [(None, "2027-03-01 to 2027-03-31 are missing.")]


def test_a_wrong_weekday_names_the_line() -> None:
    rows = calendar_rows(2027)
    rows[9][1] = "一"  # 2027-01-10 is a Sunday
    assert problems_of(calendar_bytes(rows)) == [
        (11, "2027-01-10 is a 星期日, but the file says 一.")
    ]


def test_a_bad_day_off_flag_names_the_line_and_the_value() -> None:
    rows = calendar_rows(2027)
    rows[4][2] = "1"
    problems = problems_of(calendar_bytes(rows))
    assert problems[0] == (6, "是否放假 must be 0 (working day) or 2 (day off), not 1.")


def test_a_duplicate_day_names_both_lines() -> None:
    rows = calendar_rows(2027)
    rows.insert(10, list(rows[3]))
    assert problems_of(calendar_bytes(rows)) == [
        (12, "2027-01-04 appears twice (first on line 5).")
    ]


def test_every_problem_is_collected_before_raising() -> None:
    rows = calendar_rows(2027)
    rows[1][2] = "x"
    rows[2][1] = "一"  # 2027-01-03 is a Sunday
    rows[3][0] = "2027-01-04"
    problems = problems_of(calendar_bytes(rows))
    # The bad flag and the bad date leave 01-02 and 01-04 missing as well.
    assert [line for line, _ in problems] == [3, 4, 5, None, None]


def test_a_make_up_label_on_a_day_off_is_a_contradiction() -> None:
    rows = calendar_rows(2027)
    rows[5][2:] = ["2", "補行上班"]  # 2027-01-06
    assert problems_of(calendar_bytes(rows))[0][0] == 7


def test_a_day_of_another_year_is_refused() -> None:
    rows = calendar_rows(2027)
    rows[0][0] = "20260101"
    rows[0][1] = "四"
    problems = problems_of(calendar_bytes(rows), "116年.csv")
    assert (2, "2026-01-01 is not in 2027, the year the file name says.") in problems


def test_the_wrong_header_is_refused_on_line_1() -> None:
    data = calendar_bytes(calendar_rows(2027)).replace("是否放假".encode(), "放假".encode(), 1)
    assert problems_of(data)[0][0] == 1
    assert "expected 西元日期,星期,是否放假,備註" in problems_of(data)[0][1]


def test_utf16_is_refused_naming_the_file() -> None:
    text = calendar_bytes(calendar_rows(2027), encoding="utf-8").decode("utf-8")
    problems = problems_of(text.encode("utf-16"), "utf16.csv")
    assert problems == [(None, "The file is in UTF-16; save it as CSV in UTF-8 (or Big5).")]
    problems = problems_of(text.encode("utf-16-le"), "utf16le.csv")
    assert "UTF-16" in problems[0][1]


def test_shift_jis_is_refused_as_an_unknown_encoding() -> None:
    rows = calendar_rows(2027)
    rows[0][2:] = ["2", "元日"]
    problems = problems_of(calendar_bytes(rows, encoding="shift_jis"), "sjis.csv")
    assert len(problems) == 1
    assert "neither UTF-8 nor Big5" in problems[0][1] or "unknown encoding" in problems[0][1]


def test_bytes_that_are_neither_utf8_nor_cp950_are_refused_with_the_line() -> None:
    data = calendar_bytes(calendar_rows(2027), encoding="utf-8") + b"20271232,\xff\xff,0,\r\n"
    problems = problems_of(data)
    assert problems[0][0] == 367
    assert "neither UTF-8 nor Big5" in problems[0][1] and "line 367" in problems[0][1]


def test_an_empty_file_is_refused() -> None:
    assert problems_of(b"") == [(None, "The file is empty.")]


def test_reasons_are_translated_into_traditional_chinese() -> None:
    from django.utils import translation

    rows = calendar_rows(2027)
    del rows[0]
    with translation.override("zh-hant"), pytest.raises(CalendarFileError) as caught:
        parse_calendar_file(calendar_bytes(rows), file_name="a.csv")
    assert "缺" in caught.value.problems[0].reason


def test_original_and_corrected_2025_differ_on_three_days_off() -> None:
    original = parse_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025).by_date()
    corrected = parse_calendar_file(shipped(CORRECTED_2025), file_name=CORRECTED_2025).by_date()
    became_off = sorted(
        day for day in original if corrected[day].is_day_off and not original[day].is_day_off
    )
    assert became_off == [
        datetime.date(2025, 9, 29),
        datetime.date(2025, 10, 24),
        datetime.date(2025, 12, 25),
    ]
