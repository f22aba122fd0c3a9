"""Background work of evaluation: `evaluation.chase_reports`, once a day, reminds and
escalates improvement reports (`reminders.chase_reports`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from steward.evaluation.reminders import chase_reports
from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue

KIND = "evaluation.chase_reports"


@periodic(KIND)
def enqueue_chase(now: datetime) -> int:
    enqueue(KIND, {}, unique_key=f"{KIND}:{timezone.localtime(now):%Y%m%d}")
    return 1


@job(KIND)
def chase(payload: dict[str, Any]) -> dict[str, Any]:
    reminded, escalated = chase_reports()
    return {"reminded": reminded, "escalated": escalated}
