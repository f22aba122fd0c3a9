"""Reminders before a task is due and escalation (稽催) after, each once, on working days."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from steward.conftest import Cast, Tree
from steward.jobs.registry import handler_for
from steward.tasks import services
from steward.tasks.generation import generate_tasks
from steward.tasks.models import Task
from steward.tasks.reminders import escalate_overdue, remind_due_soon
from steward.tasks.tests.helpers import plan_with_item

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture
def task(tree: Tree, cast: Cast) -> Task:
    version = plan_with_item(tree.ministry, lead=[tree.agency_a])  # due Tuesday 2026-06-30
    with time_machine.travel(_at("2026-06-01"), tick=False):  # generated before it is due
        generate_tasks(version, 2026)
    return Task.objects.get()


def test_a_task_generated_after_its_due_date_is_overdue_but_not_chased(
    tree: Tree, cast: Cast
) -> None:
    version = plan_with_item(tree.ministry, lead=[tree.agency_a])  # due Tuesday 2026-06-30
    with time_machine.travel(_at("2026-09-01"), tick=False):  # installed after the due date
        generate_tasks(version, 2026)
        task = Task.objects.get()
        assert task.due_date < datetime.date(2026, 9, 1)
        assert escalate_overdue() == []
    assert mail.outbox == []


def _at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=9, tzinfo=TAIPEI)


def test_a_reminder_goes_out_once_within_the_working_days_set(
    task: Task,
    cast: Cast,
    settings,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    settings.STEWARD_TASK_REMIND_WORKING_DAYS = 3
    with time_machine.travel(_at("2026-06-24"), tick=False):  # Wed: 4 working days ahead
        assert remind_due_soon() == []
    with time_machine.travel(_at("2026-06-25"), tick=False):  # Thu: 3 working days ahead
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_due_soon() == [task]
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_due_soon() == []
    assert sorted(m.to[0] for m in mail.outbox) == [cast.liaison.email, cast.reviewer.email]
    assert "1-3" in mail.outbox[0].subject


def test_a_finished_task_is_not_reminded(task: Task, cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    services.add_link(task, by=cast.liaison, url="https://example.gov.tw/a")
    services.complete(task, by=cast.liaison)
    with time_machine.travel(_at("2026-06-29"), tick=False):
        assert remind_due_soon() == []


def test_escalation_comes_on_the_first_working_day_after_the_due_date_once(
    task: Task,
    cast: Cast,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with time_machine.travel(_at("2026-06-30"), tick=False):  # the due day itself
        assert escalate_overdue() == []
    Task.objects.filter(pk=task.pk).update(due_date=datetime.date(2026, 7, 3))  # a Friday
    with time_machine.travel(_at("2026-07-04"), tick=False):  # Saturday: nobody is told
        assert escalate_overdue() == []
    with time_machine.travel(_at("2026-07-06"), tick=False):  # Monday
        with django_capture_on_commit_callbacks(execute=True):
            assert escalate_overdue() == [task]
        assert escalate_overdue() == []
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted(p.email for p in (cast.liaison, cast.reviewer, cast.head, cast.centre))
    assert all(cast.other_liaison.email not in m.to for m in mail.outbox)


def test_the_chase_job_reminds_and_escalates(task: Task) -> None:
    chase = handler_for("tasks.chase")
    assert chase is not None
    Task.objects.filter(pk=task.pk).update(due_date=datetime.date(2026, 7, 3))
    with time_machine.travel(_at("2026-07-06"), tick=False):
        assert chase({}) == {"reminded": [], "escalated": [task.pk]}
        assert chase({}) == {"reminded": [], "escalated": []}
