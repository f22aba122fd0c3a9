"""The periodic job that computes the coming year's deadlines once a calendar knows that year,
idempotently; and the official calendar arriving later moves them and tells the people."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from steward.audit.models import AuditEvent
from steward.calendars.services import import_calendar_file
from steward.calendars.tests.conftest import calendar_bytes, calendar_rows
from steward.calendars.workdays import Source, forget_cached_years, source_for_year
from steward.conftest import TEST_PLAN_HEAD, Cast, Tree
from steward.jobs.models import Job, JobStatus
from steward.jobs.services import run_next
from steward.plans.models import Plan, PlanVersion, ScheduledDeadline
from steward.plans.services import NoCalendarError, install_plan_text, schedule_year
from steward.plans.tasks import KIND, enqueue_missing_schedules

D = datetime.date

PLAN = (
    TEST_PLAN_HEAD
    + """[[versions]]
label = "v1"
adopted_on = 2024-01-01

[[versions.schedule]]
code = "1-1"
title = "彙整開放資料清單"
lead = ["t-ministry"]
deadlines = [{ period = "Q4", date = "10/10" }]

[[versions.schedule]]
code = "1-2"
title = "進行開放資料集內部初審"
lead = ["t-ministry"]
deadlines = [{ period = "Q2", date = "6/30" }]

[[versions.schedule]]
code = "2-9"
title = "持續維護"
lead = ["t-ministry"]
continuous = true
continuous_label = "持續辦理"
"""
)

EXTRA_ITEM = """
[[versions.schedule]]
code = "3-1"
title = "辦理績效評估"
lead = ["t-ministry"]
deadlines = [{ period = "Q1", date = "3/15" }]
"""


def moment(year: int, month: int, day: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, 9))


@pytest.fixture(autouse=True)
def fresh_calendar_cache() -> Iterator[None]:
    forget_cached_years()
    yield
    forget_cached_years()


@pytest.fixture
def version(tree: Tree) -> PlanVersion:
    install_plan_text(PLAN, name="t-plan.toml")
    plan = Plan.objects.get(key="t-plan")
    assert plan.ministry == tree.ministry
    found = plan.current_version()
    assert found is not None
    return found


def run_jobs() -> list[Job]:
    done = []
    while (job := run_next(worker="test", kinds=[KIND])) is not None:
        done.append(job)
    return done


def due(version: PlanVersion, year: int, code: str) -> datetime.date:
    row = ScheduledDeadline.objects.get(
        deadline__schedule_item__version=version, deadline__schedule_item__code=code, year=year
    )
    return row.due_date


def test_the_coming_year_is_computed_from_the_holidays_fallback(version: PlanVersion) -> None:
    now = moment(2030, 11, 1)
    assert source_for_year(2031) == Source.HOLIDAYS_PACKAGE
    assert enqueue_missing_schedules(now) == 2  # this year and the coming one
    jobs = run_jobs()
    assert [job.status for job in jobs] == [JobStatus.DONE, JobStatus.DONE]
    # 2031-10-10 is National Day (a Friday): the deadline moves to Thursday the 9th.
    assert due(version, 2031, "1-1") == D(2031, 10, 9)
    assert due(version, 2031, "1-2") == D(2031, 6, 30)
    # Continuous items (持續辦理) have no deadline.
    assert ScheduledDeadline.objects.filter(year=2031).count() == 2
    event = AuditEvent.objects.filter(action="plan.schedule").latest("pk")
    assert event.changes["created"] == 2 and event.changes["source"] == "holidays"


def test_running_again_changes_nothing(version: PlanVersion) -> None:
    now = moment(2030, 11, 1)
    enqueue_missing_schedules(now)
    run_jobs()
    rows = list(ScheduledDeadline.objects.order_by("pk").values_list("pk", "due_date"))
    events = AuditEvent.objects.filter(action="plan.schedule").count()
    # The producer finds nothing missing; a repeated computation creates and moves nothing.
    assert enqueue_missing_schedules(now) == 0
    assert enqueue_missing_schedules(now + datetime.timedelta(minutes=1)) == 0
    sync = schedule_year(version, 2031)
    assert (sync.created, sync.moved) == (0, [])
    assert list(ScheduledDeadline.objects.order_by("pk").values_list("pk", "due_date")) == rows
    assert AuditEvent.objects.filter(action="plan.schedule").count() == events
    # Rows lost are computed again the next day; workers ticking at once queue one job.
    ScheduledDeadline.objects.filter(year=2031).delete()
    tomorrow = now + datetime.timedelta(days=1)
    enqueue_missing_schedules(tomorrow)
    enqueue_missing_schedules(tomorrow)
    assert Job.objects.filter(kind=KIND, status=JobStatus.QUEUED).count() == 1
    run_jobs()
    assert due(version, 2031, "1-1") == D(2031, 10, 9)


def test_a_deadline_added_to_the_plan_is_computed_on_the_next_tick(version: PlanVersion) -> None:
    now = moment(2030, 11, 1)
    enqueue_missing_schedules(now)
    run_jobs()
    install_plan_text(PLAN + EXTRA_ITEM, name="t-plan.toml")
    assert enqueue_missing_schedules(now) == 2
    run_jobs()
    assert due(version, 2031, "3-1") == D(2031, 3, 14)  # 3/15 is a Saturday


def test_a_year_no_calendar_covers_waits(version: PlanVersion) -> None:
    # The holidays package stops at 2100; with no office calendar file, 2101 cannot be placed.
    assert source_for_year(2101) is None
    assert enqueue_missing_schedules(moment(2100, 11, 1)) == 1  # 2100 only
    run_jobs()
    assert not ScheduledDeadline.objects.filter(year=2101).exists()
    with pytest.raises(NoCalendarError) as caught:
        schedule_year(version, 2101)
    assert "2101" in str(caught.value)
    assert not ScheduledDeadline.objects.filter(year=2101).exists()
    # Once that year's office calendar is imported, the next tick computes it.
    import_calendar_file(calendar_bytes(calendar_rows(2101)), file_name="190年.csv")
    assert source_for_year(2101) == Source.OFFICIAL
    assert enqueue_missing_schedules(moment(2100, 11, 1)) == 1
    run_jobs()
    assert due(version, 2101, "1-1") == D(2101, 10, 10)


def test_the_official_calendar_arriving_later_moves_the_deadlines_and_tells_people(
    version: PlanVersion, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(moment(2030, 11, 1), tick=False):
        enqueue_missing_schedules(timezone.now())
        run_jobs()
        assert due(version, 2031, "1-1") == D(2031, 10, 9)
        mail.outbox.clear()
        # The official 2031 file (here: no holidays at all) makes 10/10 a working day.
        with django_capture_on_commit_callbacks(execute=True):
            result = import_calendar_file(
                calendar_bytes(calendar_rows(2031)), file_name="120年.csv"
            )
    assert [(m.old_due_date, m.new_due_date) for m in result.moved] == [
        (D(2031, 10, 9), D(2031, 10, 10))
    ]
    assert due(version, 2031, "1-1") == D(2031, 10, 10)
    told = {message.to[0].split("@")[0]: message for message in mail.outbox}
    assert set(told) == {"centre"}  # the ministry's information centre keeps the schedule
    assert "2031-10-09" in told["centre"].body and "2031-10-10" in told["centre"].body


def test_only_who_manages_the_plan_may_compute_it_by_hand(version: PlanVersion, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        schedule_year(version, 2031, by=cast.liaison)
    assert not ScheduledDeadline.objects.exists()
    assert schedule_year(version, 2031, by=cast.centre).created == 2
