"""Background work of tasks: generating them from the plan, reminders and escalation.

* `tasks.generate` (periodic, daily) — for every plan, the version in force this year and
  the next: `generation.generate_tasks` (idempotent; computes the year's deadlines first).
* `tasks.chase` (periodic, hourly) — `reminders.remind_due_soon` then
  `reminders.escalate_overdue`; each task is reminded and escalated once.
The unique keys name the day or the hour, so several workers ticking at once queue one job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue

GENERATE = "tasks.generate"
CHASE = "tasks.chase"


@periodic(GENERATE)
def enqueue_generate(now: datetime) -> int:
    day = timezone.localtime(now)
    enqueue(GENERATE, {}, unique_key=f"{GENERATE}:{day:%Y%m%d}")
    return 1


@periodic(CHASE)
def enqueue_chase(now: datetime) -> int:
    hour = timezone.localtime(now)
    enqueue(CHASE, {}, unique_key=f"{CHASE}:{hour:%Y%m%d%H}")
    return 1


@job(GENERATE)
def generate(payload: dict[str, Any]) -> dict[str, Any]:
    from steward.calendars.workdays import source_for_year
    from steward.plans.models import Plan
    from steward.plans.schedule import version_in_force
    from steward.tasks.generation import generate_tasks

    created = 0
    year = timezone.localdate().year
    for plan_year in (year, year + 1):
        if source_for_year(plan_year) is None:
            continue  # no calendar knows that year yet
        for plan in Plan.objects.order_by("pk"):
            version = version_in_force(plan, plan_year)
            if version is not None:
                created += generate_tasks(version, plan_year).created
    return {"created": created}


@job(CHASE)
def chase(payload: dict[str, Any]) -> dict[str, Any]:
    from steward.tasks.reminders import escalate_overdue, remind_due_soon

    reminded = remind_due_soon()
    escalated = escalate_overdue()
    return {"reminded": [t.pk for t in reminded], "escalated": [t.pk for t in escalated]}
