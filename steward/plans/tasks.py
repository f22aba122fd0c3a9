"""Background work of plans: the plan years' deadlines (工作時程) on the office calendar.

* `plans.coming_year` (periodic) — for the current and the coming year, as soon as that
  year's working days are known (an imported office calendar, or the `holidays` package where
  it covers the year), queues `plans.schedule_year` for each plan whose version in force has
  deadlines without a `ScheduledDeadline` in that year. Cheap when nothing is missing (one
  query per plan and year), idempotent across workers (the unique key names the missing rows
  and the day).
* `plans.schedule_year` — computes them (`services.schedule_year`: created rows audited).

When the official calendar of a year computed from the fallback is imported later, the import
recomputes the rows and tells the people whose deadlines moved.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.utils import timezone

from steward.calendars.workdays import source_for_year
from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue
from steward.plans.models import Deadline, Plan, PlanVersion
from steward.plans.schedule import version_in_force

KIND = "plans.schedule_year"


def missing_deadlines(version: PlanVersion, year: int) -> list[int]:
    """Ids of `version`'s dated deadlines with no ScheduledDeadline in plan `year`."""
    return list(
        Deadline.objects.filter(schedule_item__version=version, schedule_item__continuous=False)
        .exclude(occurrences__year=year)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def years_to_schedule(now: datetime) -> list[int]:
    """This year and the coming one."""
    today = timezone.localdate(now)
    return [today.year, today.year + 1]


@periodic("plans.coming_year")
def enqueue_missing_schedules(now: datetime) -> int:
    """Queue a computation for each plan and year whose deadlines are not all computed."""
    count = 0
    today = timezone.localdate(now)
    for year in years_to_schedule(now):
        if source_for_year(year) is None:
            continue  # no calendar knows that year yet: try again on a later tick
        for plan in Plan.objects.order_by("pk"):
            version = version_in_force(plan, year)
            if version is None:
                continue
            missing = missing_deadlines(version, year)
            if not missing:
                continue
            # One job per missing set and day, whichever worker ticks first; a job that
            # failed for good is tried again the next day.
            digest = hashlib.sha256(",".join(map(str, missing)).encode()).hexdigest()[:16]
            enqueue(
                KIND,
                {"version_id": version.pk, "year": year},
                unique_key=f"{KIND}:{version.pk}:{year}:{digest}:{today:%Y%m%d}",
            )
            count += 1
    return count


@job(KIND)
def schedule_year(payload: dict[str, Any]) -> dict[str, Any]:
    """Compute one plan version's deadlines for one year."""
    from steward.plans.services import schedule_year as compute

    version = PlanVersion.objects.select_related("plan__ministry").get(pk=payload["version_id"])
    sync = compute(version, int(payload["year"]))
    return {"rows": len(sync.rows), "created": sync.created, "moved": len(sync.moved)}
