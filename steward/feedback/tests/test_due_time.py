"""The due time of a reply follows the plan version in force when the item was received.

MOL (004_b5b47495cfb08049.txt 註4): 「6 日(含)內」, calendar days, the 6th day included;
MOJ (003_6a8d86c66c592517.txt): 「7日內」; working-day plans count the office calendar's
working days. The day of receipt is not counted; the due day ends at midnight, Taipei time.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from steward.calendars.services import import_calendar_files
from steward.calendars.workdays import forget_cached_years
from steward.conftest import Cast, Tree
from steward.feedback import services
from steward.feedback.deadlines import due_for
from steward.feedback.models import Channel, DueSource, Kind
from steward.plans.services import BUILTIN_DIR

TAIPEI = ZoneInfo("Asia/Taipei")
CALENDARS = BUILTIN_DIR.parents[1] / "calendars" / "data"


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def enter(cast: Cast, tree: Tree, received: str):  # type: ignore[no-untyped-def]
    return services.enter(
        by=cast.centre,
        kind=Kind.COMMENT,
        text="資料欄位說明有誤",
        organisation=tree.agency_a,
        received_at=at(received),
        channel=Channel.NATIONAL_PORTAL,
    )


@pytest.fixture
def official_2026(db: None) -> None:
    name = "115年中華民國政府行政機關辦公日曆表.csv"
    import_calendar_files([(name, (CALENDARS / name).read_bytes())])
    forget_cached_years()


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_mol_six_calendar_days_run_through_lunar_new_year(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    item = enter(cast, tree, "2026-02-13T10:00")  # Friday before the 2026 Lunar New Year
    # Calendar days: the holiday does not stop the clock; the 6th day (19 Feb) is included.
    assert item.limit_days == 6 and item.day_kind == "calendar"
    assert item.due_on == datetime.date(2026, 2, 19)
    assert item.due_at == at("2026-02-20T00:00")
    assert item.due_source == DueSource.CALENDAR_DAYS
    assert item.plan_version is not None and item.plan_version.plan.key == "mol"


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_a_minute_before_midnight_and_at_midnight_fall_on_different_days(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    late = enter(cast, tree, "2026-03-02T23:59")
    midnight = enter(cast, tree, "2026-03-03T00:00")
    assert late.due_on == datetime.date(2026, 3, 8)
    assert midnight.due_on == datetime.date(2026, 3, 9)
    # Stored in UTC, decided in Taipei: 23:59 Taipei is 15:59 UTC the same day.
    assert late.received_at == datetime.datetime(2026, 3, 2, 15, 59, tzinfo=datetime.UTC)


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_a_reply_at_2359_on_the_sixth_day_is_on_time_and_at_midnight_late(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    item = enter(cast, tree, "2026-03-02T10:00")
    assert item.due_at - datetime.timedelta(minutes=1) == at("2026-03-08T23:59")
    item.replied_at = at("2026-03-08T23:59:59")
    assert item.replied_in_time()
    item.replied_at = at("2026-03-09T00:00")
    assert not item.replied_in_time()


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_moj_gives_seven_days_and_asks_the_cio(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("moj")
    item = enter(cast, tree, "2026-02-13T10:00")
    assert item.due_on == datetime.date(2026, 2, 20)
    assert item.cio_approval_required


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_working_days_skip_the_new_year_holiday_on_the_official_calendar(
    cast: Cast, tree: Tree, follow: Callable[[str], None], official_2026: None
) -> None:
    follow("working")
    item = enter(cast, tree, "2026-02-13T10:00")
    # 115年辦公日曆表: 14–22 Feb off; 23, 24, 25, 26 Feb working; 27 Feb (228 observed) off;
    # 2 March is the 5th working day.
    assert item.limit_days == 5 and item.day_kind == "working"
    assert item.due_on == datetime.date(2026, 3, 2)
    assert item.due_source == DueSource.OFFICIAL


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_the_version_in_force_on_the_day_received_decides(
    cast: Cast, tree: Tree, follow: Callable[[str], None], official_2026: None
) -> None:
    follow("working")
    before = enter(cast, tree, "2026-02-28T23:59")  # v1: 5 working days
    after = enter(cast, tree, "2026-03-01T00:00")  # v2, adopted 1 March: 3 working days
    assert (before.limit_days, after.limit_days) == (5, 3)
    assert before.due_on == datetime.date(2026, 3, 6)
    assert after.due_on == datetime.date(2026, 3, 4)


@time_machine.travel(at("2027-06-01T09:00"), tick=False)
def test_a_year_with_no_imported_calendar_says_the_fallback_decided(
    cast: Cast, tree: Tree, follow: Callable[[str], None], official_2026: None
) -> None:
    follow("working")
    item = enter(cast, tree, "2027-02-05T10:00")  # 2027: no 116年 file imported
    assert item.due_source == DueSource.HOLIDAYS
    # The holidays package knows 2027's Lunar New Year (5–10 Feb off, 6 Feb is a Saturday).
    assert item.due_on == due_for(at("2027-02-05T10:00"), limit_days=3, day_kind="working").due_on
    assert item.due_on > datetime.date(2027, 2, 10)


def test_a_year_end_item_counts_across_into_the_next_years_calendar(db: None) -> None:
    due = due_for(at("2026-12-30T12:00"), limit_days=5, day_kind="working")
    assert due.due_on.year == 2027
    assert due.source == DueSource.HOLIDAYS  # 2027 is not on an official calendar here


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_a_received_time_in_the_future_is_refused_and_nothing_is_saved(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    from steward.feedback.models import FeedbackItem

    follow("mol")
    with pytest.raises(services.InvalidFeedback, match="收件時間 2026-06-01 09:01 晚於現在"):
        enter(cast, tree, "2026-06-01T09:01")
    assert not FeedbackItem.objects.exists()


@time_machine.travel(at("2026-06-01T09:00"), tick=False)
def test_without_a_plan_the_documented_default_applies(cast: Cast, tree: Tree) -> None:
    item = enter(cast, tree, "2026-05-01T10:00")
    assert item.plan_version is None
    assert (item.limit_days, item.day_kind) == (7, "calendar")


@time_machine.travel(at("2027-06-01T09:00"), tick=False)
def test_the_pages_say_when_the_fallback_decided_the_due_date(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("working")
    estimated = enter(cast, tree, "2027-02-05T10:00")
    notice = "此期間尚未匯入行政機關辦公日曆表：回復期限依國定假日推估"
    assert notice in client.get(f"/feedback/t/{estimated.tracking_token}/").content.decode()
    client.force_login(cast.centre)
    assert notice in client.get(f"/feedback/{estimated.pk}/").content.decode()


@time_machine.travel(at("2027-06-01T09:00"), tick=False)
def test_calendar_days_need_no_calendar_and_say_nothing_of_a_fallback(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    counted = enter(cast, tree, "2027-02-05T10:00")
    assert counted.due_source == DueSource.CALENDAR_DAYS
    page = client.get(f"/feedback/t/{counted.tracking_token}/").content.decode()
    assert "國定假日推估" not in page and "2027-02-11" in page
