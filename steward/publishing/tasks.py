"""Background work of publishing: the outbox drain as a job, queued by a periodic producer.

Catalogue imports started from the page run as `publishing.import_catalogue`
(`catalogue/runs.py`). The jobs worker ticks `publishing.deliver` every minute; it queues one drain job (at most
one per minute, by unique key) only when something is due, so an idle outbox adds nothing
to the job table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue
from steward.publishing.catalogue import runs  # noqa: F401  (registers the catalogue import job)
from steward.publishing.models import OutboxStatus, PublishingOutboxEntry
from steward.publishing.services import deliver_due, scheduled_due

KIND = "publishing.deliver"


@job(KIND)
def deliver(payload: dict[str, Any]) -> dict[str, Any]:
    """Send due outbox rows; the result counts each outcome."""
    report = deliver_due(limit=int(payload.get("limit", 50)))
    return {
        "succeeded": len(report.succeeded),
        "retrying": len(report.retrying),
        "failed": len(report.failed),
        "dead": len(report.dead),
        "queued": len(report.queued),
    }


def something_due(now: datetime) -> bool:
    """Is a row due (or a lost claim to take back), or a scheduled dataset's day come?"""
    rows = PublishingOutboxEntry.objects.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT], next_attempt_at__lte=now
    )
    return rows.exists() or scheduled_due(now).exists()


@periodic(KIND)
def produce(now: datetime) -> int:
    """Queue one drain job per minute when there is something to send."""
    if not something_due(now):
        return 0
    enqueue(KIND, {"limit": 50}, run_at=now, unique_key=f"{KIND}:{now:%Y%m%d%H%M}", max_attempts=1)
    return 1
