"""Background work of feedback: reminders and escalation, once an hour.

* `feedback.chase` (periodic) — queues one `feedback.chase` job per hour (the unique key names
  the hour, so several workers ticking at once queue it once).
* `feedback.chase` (job) — `reminders.remind_due_soon` then `reminders.escalate_overdue`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from steward.feedback.reminders import escalate_overdue, remind_due_soon
from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue

KIND = "feedback.chase"


@periodic(KIND)
def enqueue_chase(now: datetime) -> int:
    hour = timezone.localtime(now)
    enqueue(KIND, {}, unique_key=f"{KIND}:{hour:%Y%m%d%H}")
    return 1


@job(KIND)
def chase(payload: dict[str, Any]) -> dict[str, Any]:
    reminded = remind_due_soon()
    escalated = escalate_overdue()
    return {"reminded": [i.pk for i in reminded], "escalated": [i.pk for i in escalated]}
