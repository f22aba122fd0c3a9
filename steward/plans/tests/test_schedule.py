"""A plan year's deadlines on the office calendar: computed, printed, exported (CSV, ODS)."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from python_calamine import CalamineWorkbook

from steward.calendars.services import import_builtin_calendars
from steward.calendars.tests.plans import add_deadline, make_version
from steward.calendars.workdays import forget_cached_years
from steward.organisations.factories import OrganisationFactory
from steward.plans.models import DeadlinePeriod, PlanVersion, ScheduledDeadline, ScheduleItem
from steward.plans.schedule import compute_schedule, written_date

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def english() -> object:
    forget_cached_years()
    with translation.override("en"):
        yield
    forget_cached_years()


@pytest.fixture
def moea_2017(tree: object) -> PlanVersion:
    """Item 1-7 of MOEA's schedule as it stood before the 2017-03-16 amendment (現行分工表)."""
    version = make_version("moea-test")
    for month, day, period in ((3, 30, "Q1"), (6, 30, "Q2"), (9, 30, "Q3"), (12, 31, "Q4")):
        add_deadline(
            version,
            "1-7",
            month,
            day,
            period=period,
            title="登載與發布「資料集基本資料表」及資料集內容",
        )
    item = ScheduleItem.objects.get(version=version, code="1-7")
    item.lead_organisations.add(OrganisationFactory.create(key="moea-ic", name="本部資訊中心"))
    item.cooperating_organisations.add(
        OrganisationFactory.create(key="moea-all", name="本部及各機關(構)")
    )
    import_builtin_calendars()
    return version


def test_the_moea_1_7_deadline_of_2017_12_31_moves_to_friday_29th(moea_2017: PlanVersion) -> None:
    rows = compute_schedule(moea_2017, 2017)
    by_date = {row.original_date: row.due_date for row in rows}
    assert by_date == {
        D(2017, 3, 30): D(2017, 3, 30),
        D(2017, 6, 30): D(2017, 6, 30),
        D(2017, 9, 30): D(2017, 9, 30),  # a Saturday, but a make-up working day (調整上班)
        D(2017, 12, 31): D(2017, 12, 29),  # Sunday; 12/30 is a Saturday
    }


def test_recomputing_updates_rows_instead_of_adding_them(moea_2017: PlanVersion) -> None:
    compute_schedule(moea_2017, 2017)
    compute_schedule(moea_2017, 2017)
    assert ScheduledDeadline.objects.filter(year=2017).count() == 4


def test_an_item_that_does_not_move_keeps_its_sunday() -> None:
    version = make_version()
    add_deadline(version, "9-9", 12, 31, moves=False)
    (row,) = compute_schedule(version, 2017)
    assert (row.original_date, row.due_date, row.was_moved) == (D(2017, 12, 31),) * 2 + (False,)


def test_a_day_past_the_month_end_means_the_month_end() -> None:
    version = make_version()
    deadline = add_deadline(version, "1-3", 2, 29, period=DeadlinePeriod.Q1)
    assert written_date(deadline, 2025) == D(2025, 2, 28)
    assert written_date(deadline, 2024) == D(2024, 2, 29)


def test_continuous_items_have_no_deadlines() -> None:
    version = make_version()
    add_deadline(version, "2-3", 3, 31, period=DeadlinePeriod.Q1)
    ScheduleItem.objects.filter(code="2-3").update(continuous=True)
    assert compute_schedule(version, 2025) == []


def test_the_command_prints_the_date_as_written_beside_the_due_date(
    moea_2017: PlanVersion,
) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("schedule", "2017", "--plan", "moea-test", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert lines[0] == "測試方案 · 2017-03-16 · 2017"
    last = lines[-1].split()
    assert last[:2] == ["1-7", "登載與發布「資料集基本資料表」及資料集內容"]
    assert "2017-12-31" in last and "2017-12-29" in last and "Friday" in last and "moved" in last
    assert "本部資訊中心" in last and "本部及各機關(構)" in last
    assert err.getvalue() == ""


def test_the_command_says_when_the_fallback_decided(moea_2017: PlanVersion) -> None:
    err = io.StringIO()
    call_command("schedule", "2031", "--plan", "moea-test", stdout=io.StringIO(), stderr=err)
    assert "No official calendar imported for 2031" in err.getvalue()


def test_csv_export_is_utf8_with_bom_and_round_trips(
    moea_2017: PlanVersion, tmp_path: Path
) -> None:
    target = tmp_path / "schedule.csv"
    call_command(
        "schedule",
        "2017",
        "--plan",
        "moea-test",
        "--format",
        "csv",
        "--output",
        str(target),
        stderr=io.StringIO(),
    )
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Item", "Title", "Period", "As written", "Date as written", "Due date"]
    assert rows[-1][0] == "1-7" and rows[-1][3] == "12/31"
    assert rows[-1][4:8] == ["2017-12-31", "2017-12-29", "Friday", "moved"]
    assert rows[-1][8:10] == ["本部資訊中心", "本部及各機關(構)"]
    assert len(rows) == 5


def test_ods_export_reads_back_with_real_dates(moea_2017: PlanVersion, tmp_path: Path) -> None:
    target = tmp_path / "schedule.ods"
    call_command(
        "schedule",
        "2017",
        "--plan",
        "moea-test",
        "--format",
        "ods",
        "--output",
        str(target),
        stderr=io.StringIO(),
    )
    workbook = CalamineWorkbook.from_path(str(target))
    assert workbook.sheet_names == ["2017"]
    rows = workbook.get_sheet_by_index(0).to_python()
    assert rows[0][4:6] == ["Date as written", "Due date"]
    assert rows[-1][0] == "1-7"
    assert rows[-1][4:6] == [D(2017, 12, 31), D(2017, 12, 29)]
    assert rows[-1][1] == "登載與發布「資料集基本資料表」及資料集內容"


def test_ods_needs_an_output_file(moea_2017: PlanVersion) -> None:
    with pytest.raises(CommandError, match="--output"):
        call_command("schedule", "2017", "--plan", "moea-test", "--format", "ods")


def test_an_unknown_plan_or_version_is_a_clear_error(moea_2017: PlanVersion) -> None:
    with pytest.raises(CommandError, match="No plan “nope”"):
        call_command("schedule", "2017", "--plan", "nope")
    with pytest.raises(CommandError, match="no version “1999”"):
        call_command("schedule", "2017", "--plan", "moea-test", "--version", "1999")


def test_the_real_moea_plan_moves_1_7_of_2017_12_31_to_friday_29th(tmp_path: Path) -> None:
    from steward.plans.services import install_builtin_plans

    install_builtin_plans()
    import_builtin_calendars()
    target = tmp_path / "moea-2017.csv"
    call_command(
        "schedule",
        "2017",
        "--plan",
        "moea",
        "--version",
        "pre-2017",
        "--format",
        "csv",
        "--output",
        str(target),
        stderr=io.StringIO(),
    )
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    item_1_7 = [row for row in rows if row[0] == "1-7"]
    assert [row[4:8] for row in item_1_7] == [
        ["2017-03-30", "2017-03-30", "Thursday", ""],
        ["2017-06-30", "2017-06-30", "Friday", ""],
        ["2017-09-30", "2017-09-30", "Saturday", ""],  # 調整上班: a make-up working Saturday
        ["2017-12-31", "2017-12-29", "Friday", "moved"],
    ]
    assert item_1_7[-1][8:10] == ["本部資訊中心", "本部及各機關(構)"]
    # 2-4 runs to the end of January of the next year (12月底至次年1月底).
    (item_2_4,) = [row for row in rows if row[0] == "2-4"]
    assert item_2_4[3] == "12月底至次年1月底" and item_2_4[4] == "2018-01-31"


def test_the_amended_moea_plan_is_the_default_for_2025_and_follows_the_revised_calendar() -> None:
    from steward.plans.services import install_builtin_plans

    install_builtin_plans()
    import_builtin_calendars()
    out = io.StringIO()
    call_command("schedule", "2025", "--plan", "moea", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert text.splitlines()[0].endswith("· 2017-03-16 · 2025")
    lines = {tuple(line.split()[:1] + line.split()[4:6]) for line in text.splitlines()[2:]}
    # 1-3 on 2/28, 和平紀念日 (a Friday) → Thursday 2/27; 1-6 on 10/31, a working Friday.
    assert ("1-3", "2025-02-28", "2025-02-27") in lines
    assert ("1-6", "2025-10-31", "2025-10-31") in lines
    # 2-2 on 10/30, a Thursday: stays.
    assert ("2-2", "2025-10-30", "2025-10-30") in lines


def test_ods_export_shows_roc_dates_in_chinese_and_keeps_them_dates(
    moea_2017: PlanVersion,
) -> None:
    from django.utils import translation
    from odf import table as odf_table
    from odf import teletype
    from odf.opendocument import load

    from steward.plans.schedule import schedule_rows, write_ods

    with translation.override("zh-hant"):
        content = write_ods(schedule_rows(moea_2017, 2017), sheet_name="2017")
    cells = load(io.BytesIO(content)).getElementsByType(odf_table.TableCell)
    dated = [c for c in cells if c.getAttribute("valuetype") == "date"]
    assert ("2017-12-29", "106年12月29日") in {
        (c.getAttribute("datevalue"), teletype.extractText(c)) for c in dated
    }
