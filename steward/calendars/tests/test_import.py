"""Importing calendar files: revisions, recorded changes, recomputed deadlines, all-or-nothing."""

from __future__ import annotations

import datetime

import pytest

from steward.audit.models import AuditEvent
from steward.calendars.models import CalendarChange, CalendarDay, CalendarImport
from steward.calendars.parsing import DayKind
from steward.calendars.services import (
    CalendarImportError,
    builtin_calendar_files,
    import_builtin_calendars,
    import_calendar_file,
    import_calendar_files,
    revision_order_key,
)
from steward.calendars.tests.conftest import (
    CORRECTED_2025,
    ORIGINAL_2025,
    UPDATED_2025,
    calendar_bytes,
    calendar_rows,
    shipped,
)
from steward.calendars.tests.plans import add_deadline, make_version
from steward.calendars.workdays import Source, decide, is_working_day
from steward.plans.models import ScheduledDeadline
from steward.plans.schedule import compute_schedule

pytestmark = pytest.mark.django_db

D = datetime.date


def test_every_shipped_file_imports_and_the_2025_revisions_come_in_order() -> None:
    results = import_builtin_calendars()
    assert [(r.year, r.calendar_import.revision) for r in results] == [
        *((year, 1) for year in range(2017, 2025)),
        (2025, 1),
        (2025, 2),
        (2025, 3),
        (2026, 1),
    ]
    assert [r.file_name for r in results if r.year == 2025] == [
        ORIGINAL_2025,
        CORRECTED_2025,
        UPDATED_2025,
    ]
    assert CalendarDay.objects.count() == sum(
        366 if y in (2020, 2024) else 365 for y in range(2017, 2027)
    )
    assert CalendarImport.objects.get(year=2025, revision=3).encoding == "cp950"


def test_builtin_order_rule_does_not_depend_on_the_order_given() -> None:
    names = [path.name for path in builtin_calendar_files()]
    ordered = sorted(names, key=lambda name: revision_order_key(name, 2025))
    assert (
        ordered.index(ORIGINAL_2025) < ordered.index(CORRECTED_2025) < ordered.index(UPDATED_2025)
    )
    results = import_calendar_files([(name, shipped(name)) for name in reversed(names)])
    assert [r.file_name for r in results if r.year == 2025] == [
        ORIGINAL_2025,
        CORRECTED_2025,
        UPDATED_2025,
    ]


def test_revision_order_reads_roc_and_gregorian_date_stamps() -> None:
    names = [
        "114年x1141201更新.csv",
        "114年x20251101.csv",
        "114年x修正版.csv",
        "114年x.csv",
        "other.csv",
    ]
    assert sorted(names, key=lambda n: revision_order_key(n, 2025)) == [
        "114年x.csv",
        "114年x修正版.csv",
        "114年x20251101.csv",
        "114年x1141201更新.csv",
        "other.csv",
    ]


def test_reimporting_identical_content_changes_nothing() -> None:
    first = import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    again = import_calendar_file(shipped(ORIGINAL_2025), file_name="copy.csv")
    assert first.created and again.unchanged
    assert again.calendar_import == first.calendar_import
    assert CalendarImport.objects.count() == 1
    assert AuditEvent.objects.filter(action="calendar.import").count() == 1


def test_rerunning_the_builtin_import_keeps_the_latest_2025_revision_in_force() -> None:
    import_builtin_calendars()
    results = import_builtin_calendars()
    assert all(result.unchanged for result in results)
    assert CalendarImport.objects.filter(year=2025).count() == 3
    older = [r for r in results if r.superseded_revision is not None]
    assert [r.superseded_revision.revision for r in older] == [1, 2]  # type: ignore[union-attr]
    assert not is_working_day(D(2025, 9, 29))


def test_the_three_2025_files_record_what_changed() -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    assert is_working_day(D(2025, 9, 29))
    corrected = import_calendar_file(shipped(CORRECTED_2025), file_name=CORRECTED_2025)
    assert corrected.calendar_import.revision == 2
    became_off = [c.date for c in corrected.changes if c.changes_working_day]
    assert became_off == [D(2025, 9, 29), D(2025, 10, 24), D(2025, 12, 25)]
    assert [c.describe() for c in corrected.changes if c.changes_working_day] == [
        "2025-09-29 became a day off",
        "2025-10-24 became a day off",
        "2025-12-25 became a day off (行憲紀念日)",
    ]
    updated = import_calendar_file(shipped(UPDATED_2025), file_name=UPDATED_2025)
    assert updated.calendar_import.revision == 3
    assert [(c.date, c.old_label, c.new_label, c.changes_working_day) for c in updated.changes] == [
        (D(2025, 9, 29), "", "補假", False),
        (D(2025, 10, 24), "", "補假", False),
    ]
    day = CalendarDay.objects.get(date=D(2025, 9, 29))
    assert (day.is_day_off, day.kind, day.label) == (True, DayKind.COMPENSATORY_DAY_OFF, "補假")
    assert day.source == updated.calendar_import
    assert decide(D(2025, 9, 29)).revision == 3


def test_the_original_then_the_1141020_update_reads_became_a_day_off_with_its_label() -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    result = import_calendar_file(shipped(UPDATED_2025), file_name=UPDATED_2025)
    assert "2025-09-29 became a day off (補假)" in [c.describe() for c in result.changes]
    assert CalendarChange.objects.filter(calendar_import=result.calendar_import).count() == 5


def test_a_revision_recomputes_deadlines_that_fell_on_the_new_days_off() -> None:
    version = make_version()
    on_monday = add_deadline(version, "1-6", 9, 29, period="Q3")
    on_friday = add_deadline(version, "1-7", 10, 24)
    on_christmas = add_deadline(version, "1-8", 12, 25)
    unmoved = add_deadline(version, "1-9", 12, 25, moves=False)
    next_year = add_deadline(version, "2-4", 12, 25, year_offset=1)  # plan year 2024
    elsewhere = add_deadline(version, "2-1", 3, 15, period="Q1")
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    compute_schedule(version, 2025)
    compute_schedule(version, 2024)
    assert ScheduledDeadline.objects.get(deadline=on_monday, year=2025).due_date == D(2025, 9, 29)

    result = import_calendar_file(shipped(CORRECTED_2025), file_name=CORRECTED_2025)

    moves = {
        (m.scheduled_deadline.deadline_id, m.scheduled_deadline.year): (
            m.old_due_date,
            m.new_due_date,
        )
        for m in result.moved
    }
    assert moves == {
        (on_monday.pk, 2025): (D(2025, 9, 29), D(2025, 9, 26)),
        (on_friday.pk, 2025): (D(2025, 10, 24), D(2025, 10, 23)),
        (on_christmas.pk, 2025): (D(2025, 12, 25), D(2025, 12, 24)),
        (next_year.pk, 2024): (D(2025, 12, 25), D(2025, 12, 24)),
    }
    row = ScheduledDeadline.objects.get(deadline=on_monday, year=2025)
    assert (row.original_date, row.due_date, row.was_moved) == (
        D(2025, 9, 29),
        D(2025, 9, 26),
        True,
    )
    assert ScheduledDeadline.objects.get(deadline=unmoved, year=2025).due_date == D(2025, 12, 25)
    assert ScheduledDeadline.objects.get(deadline=elsewhere, year=2025).due_date == D(2025, 3, 14)
    assert result.calendar_import.moved_deadlines == 4
    event = AuditEvent.objects.filter(action="calendar.import").latest("pk")
    assert event.to_state == "r2" and event.from_state == "r1"
    assert event.changes["days"]["2025-09-29"] == {"from": "working day", "to": "day off"}
    assert len(event.changes["moved_deadlines"]) == 4


def test_the_first_import_replaces_the_fallback_and_recomputes_too() -> None:
    version = make_version()
    deadline = add_deadline(version, "1-1", 6, 30, period="Q2")
    rows = calendar_rows(2030)
    compute_schedule(version, 2030)
    assert ScheduledDeadline.objects.get(deadline=deadline).due_date == D(
        2030, 6, 28
    )  # Sunday → Fri
    rows[D(2030, 6, 28).timetuple().tm_yday - 1][2:] = ["2", "調整放假"]
    result = import_calendar_file(calendar_bytes(rows), file_name="119年.csv")
    assert result.calendar_import.revision == 1 and not result.changes
    assert [(m.old_due_date, m.new_due_date) for m in result.moved] == [
        (D(2030, 6, 28), D(2030, 6, 27))
    ]


@pytest.mark.parametrize(
    "broken",
    ["missing day", "wrong weekday", "utf-16", "shift-jis", "bad flag"],
)
def test_a_bad_file_fails_with_file_line_and_reason_and_changes_nothing(broken: str) -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    version = make_version()
    add_deadline(version, "1-6", 9, 29, period="Q3")
    compute_schedule(version, 2025)
    before = (
        list(CalendarImport.objects.values_list("pk", "revision")),
        list(CalendarDay.objects.values_list("date", "is_day_off", "label")),
        list(ScheduledDeadline.objects.values_list("pk", "due_date")),
        AuditEvent.objects.count(),
    )
    rows = calendar_rows(2025)
    rows[271][2] = "2"  # 2025-09-29, so a half-load would show
    encoding = "utf-8-sig"
    if broken == "missing day":
        del rows[100]
    elif broken == "wrong weekday":
        rows[200][1] = "日" if rows[200][1] != "日" else "一"
    elif broken == "utf-16":
        encoding = "utf-16"
    elif broken == "shift-jis":
        rows[0][3] = "元日"
        encoding = "shift_jis"
    else:
        rows[300][2] = "9"
    with pytest.raises(CalendarImportError) as caught:
        import_calendar_file(calendar_bytes(rows, encoding=encoding), file_name="broken.csv")
    problem = caught.value.problems[0]
    assert problem.file_name == "broken.csv" and problem.reason
    if broken in ("wrong weekday", "bad flag"):
        assert problem.line in (202, 302)
    if broken == "missing day":
        assert problem.reason == "2025-04-11 is missing."
    after = (
        list(CalendarImport.objects.values_list("pk", "revision")),
        list(CalendarDay.objects.values_list("date", "is_day_off", "label")),
        list(ScheduledDeadline.objects.values_list("pk", "due_date")),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_one_bad_file_in_a_batch_stops_the_whole_batch() -> None:
    rows = calendar_rows(2030)
    del rows[5]
    with pytest.raises(CalendarImportError) as caught:
        import_calendar_files(
            [(ORIGINAL_2025, shipped(ORIGINAL_2025)), ("119年.csv", calendar_bytes(rows))]
        )
    assert {p.file_name for p in caught.value.problems} == {"119年.csv"}
    assert CalendarImport.objects.count() == 0


def test_years_without_a_file_say_the_fallback_decided() -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    assert decide(D(2025, 2, 8)).source == Source.OFFICIAL
    assert decide(D(2031, 1, 1)).source == Source.HOLIDAYS_PACKAGE
    assert not decide(D(2031, 1, 1)).is_working_day
