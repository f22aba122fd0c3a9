"""Reminders a configurable number of working days before the due day, and escalation (稽催)
to the unit reviewer and the information centre once it passes, each once, from the worker."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail

from steward.audit.services import history
from steward.conftest import Cast, Tree
from steward.feedback import services
from steward.feedback.models import Channel, FeedbackItem, Kind
from steward.jobs.models import Job, JobStatus
from steward.jobs.scheduler import tick
from steward.jobs.services import run_next

TAIPEI = ZoneInfo("Asia/Taipei")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def chase(now: str, capture: Any) -> set[str]:
    """Run the hourly producer and the job at `now`; the addresses mailed."""
    mail.outbox.clear()
    with time_machine.travel(at(now), tick=False), capture(execute=True):
        tick()
        while run_next(worker="test", kinds=["feedback.chase"]) is not None:
            pass
    return {address for message in mail.outbox for address in message.to}


def test_reminded_before_the_due_day_then_escalated_once_overdue(
    cast: Cast, tree: Tree, follow: Callable[[str], None], settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.STEWARD_FEEDBACK_REMIND_WORKING_DAYS = 2
    follow("mol")
    with time_machine.travel(at("2026-03-02T10:00"), tick=False):
        item = services.enter(
            by=cast.centre, kind=Kind.COMMENT, text="意見", organisation=tree.unit_a1,
            received_at=at("2026-03-02T10:00"), channel=Channel.NATIONAL_PORTAL,
        )  # fmt: skip
    assert item.due_on == datetime.date(2026, 3, 8)  # a Sunday
    capture = django_capture_on_commit_callbacks
    # Wed 4 March: two working days ahead is Fri 6 March, before the due day: no reminder.
    assert chase("2026-03-04T09:00", capture) == set()
    # Thu 5 March: two working days ahead is Mon 9 March: remind the liaison, once.
    assert chase("2026-03-05T09:00", capture) == {cast.liaison.email}
    assert chase("2026-03-05T10:00", capture) == set()
    # Sun 8 March 23:59 is still on time; Mon 9 March 00:00 is overdue: escalate, once.
    assert chase("2026-03-08T23:59", capture) == set()
    escalated = chase("2026-03-09T00:00", capture)
    assert escalated == {cast.reviewer.email, cast.centre.email}
    assert chase("2026-03-09T01:00", capture) == set()
    actions = [event.action for event in history(item)]
    assert actions.count("feedback.remind") == 1 and actions.count("feedback.escalate") == 1
    assert Job.objects.filter(kind="feedback.chase", status=JobStatus.DONE).count() >= 5


def test_an_answered_item_is_neither_reminded_nor_escalated(
    cast: Cast, tree: Tree, follow: Callable[[str], None],
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    follow("mol")
    with time_machine.travel(at("2026-03-02T10:00"), tick=False):
        item = services.enter(
            by=cast.centre, kind=Kind.COMMENT, text="意見", organisation=tree.unit_a1,
            received_at=at("2026-03-02T10:00"), channel=Channel.NATIONAL_PORTAL,
        )  # fmt: skip
        services.draft_reply(item, by=cast.liaison, text="回復")
        services.send_reply(item, by=cast.liaison)
    assert chase("2026-03-05T09:00", django_capture_on_commit_callbacks) == set()
    assert chase("2026-03-10T09:00", django_capture_on_commit_callbacks) == set()
    item = FeedbackItem.objects.get()
    assert item.reminded_on is None and item.escalated_at is None
