"""Background jobs of quality, and the plan's cadence that schedules them.

* `quality.check_agency` — the quarterly self-check (2-1 品質檢核) of one agency's open
  resources; its run feeds the KPIs (accuracy rate 正確率, three-star ratio 三星等級資料比率).
* `quality.spot_check` — the information centre's spot check (2-2 抽檢): a random sample of
  the ministry's datasets open at the end of the previous quarter, every resource of each.
* `quality.prune_runs` — deletes runs past the retention (STEWARD_QUALITY_RETENTION_DAYS),
  keeping what the KPIs of open periods need; queued once a day by `quality.retention`.
* `quality.cadence` (periodic) — enqueues those jobs when a deadline of the plan's work items
  2-1 / 2-2 comes near: from the schedule of the loaded plan (`ScheduledDeadline`, already
  moved to working days by the office calendar), or from `DEFAULT_CADENCE` (MOEA's Table 3,
  000_f537ebc8eb002dab.txt) when no plan defines them. Idempotent: one job per organisation
  and deadline, whichever worker ticks first.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue
from steward.organisations.models import Organisation, OrganisationKind
from steward.quality.models import CheckKind

#: (month, day) deadlines per kind when no plan defines them: MOEA Table 3, items 2-1 and 2-2.
DEFAULT_CADENCE: dict[str, list[tuple[int, int]]] = {
    CheckKind.SELF_CHECK: [(3, 15), (6, 15), (9, 15), (12, 15)],
    CheckKind.SPOT_CHECK: [(1, 30), (4, 30), (7, 30), (10, 30)],
}
#: How long before a deadline the check runs, so agencies have time to fix and report.
LEAD_TIME = timedelta(days=14)
#: Datasets sampled by a spot check (all their resources are checked).
SPOT_CHECK_SAMPLE = 50


@job("quality.check_agency")
def check_agency(payload: dict[str, Any]) -> dict[str, Any]:
    """The self-check (2-1) of one organisation's open resources."""
    from steward.organisations.models import Person
    from steward.quality.services import check_resources, refs_from_database

    organisation = Organisation.objects.get(pk=payload["organisation_id"])
    by = Person.objects.filter(pk=payload["by"]).first() if payload.get("by") else None
    run = check_resources(
        refs_from_database(organisation=organisation),
        kind=payload.get("kind", CheckKind.SELF_CHECK),
        by=by,
        organisation=organisation,
        source=f"datasets:{organisation.key}",
    )
    return {"run": run.pk, "totals": run.totals}


@job("quality.spot_check")
def spot_check(payload: dict[str, Any]) -> dict[str, Any]:
    """The information centre's spot check (2-2 抽檢累計至前一季已開放資料集品質作業).

    MOEA's Table 3 (000_f537ebc8eb002dab.txt) samples the datasets open *up to the end of
    the previous quarter*: published on or before that day and not withdrawn since. A random
    sample of `sample` such datasets of the organisation's subtree is drawn (`seed` makes it
    repeatable) and every resource of each sampled dataset is checked, so each sampled
    dataset gets a whole verdict for the KPIs. The quarter is the one before `as_of` (an ISO
    date in the payload), by default the day the job runs.
    """
    from steward.quality.measures import Period
    from steward.quality.services import check_resources, open_datasets_query, refs_from_database

    organisation = Organisation.objects.get(pk=payload["organisation_id"])
    size = int(payload.get("sample", SPOT_CHECK_SAMPLE))
    as_of = date.fromisoformat(payload["as_of"]) if payload.get("as_of") else timezone.localdate()
    cutoff = Period.quarter_of(as_of).previous().end
    candidates = list(
        open_datasets_query(
            on=cutoff, organisations=organisation.subtree().values_list("pk", flat=True)
        ).values_list("pk", flat=True)
    )
    chooser = random.Random(payload.get("seed"))
    sample = sorted(chooser.sample(candidates, min(size, len(candidates))))
    run = check_resources(
        refs_from_database(organisation=organisation, datasets=sample),
        kind=CheckKind.SPOT_CHECK,
        organisation=organisation,
        source=(
            f"spot check of {organisation.key}: {len(sample)} of {len(candidates)} datasets "
            f"open on {cutoff.isoformat()}"
        ),
    )
    return {"run": run.pk, "totals": run.totals, "open_on": cutoff.isoformat()}


@job("quality.prune_runs")
def prune_old_runs(payload: dict[str, Any]) -> dict[str, int]:
    """Delete runs past STEWARD_QUALITY_RETENTION_DAYS (see `services.prune_runs`)."""
    from steward.quality.services import prune_runs

    return prune_runs()


@periodic("quality.retention")
def enqueue_pruning(now: datetime) -> int:
    """Once a day, when runs are past the retention, queue their deletion (idempotently)."""
    from steward.quality.models import CheckRun
    from steward.quality.services import retention_cutoff

    if not CheckRun.objects.filter(started_at__lt=retention_cutoff(now)).exists():
        return 0
    enqueue("quality.prune_runs", {}, unique_key=f"quality.prune_runs:{timezone.localdate(now)}")
    return 1


def _quality_kind(title: str) -> str | None:
    """Which check a schedule item's title names: 抽檢 → spot check, 品質檢核 → self-check."""
    if "品質" not in title:
        return None
    return CheckKind.SPOT_CHECK if "抽檢" in title else CheckKind.SELF_CHECK


def planned_deadlines(year: int) -> list[tuple[str, Organisation, date]]:
    """(kind, ministry, due date) of the quality work items in loaded plans for `year`."""
    from steward.plans.models import ScheduledDeadline

    found = []
    occurrences = ScheduledDeadline.objects.filter(year=year).select_related(
        "deadline__schedule_item__version__plan__ministry"
    )
    for occurrence in occurrences:
        item = occurrence.deadline.schedule_item
        kind = _quality_kind(item.title)
        plan = item.version.plan
        if kind is None or plan.ministry is None or plan.current_version() != item.version:
            continue
        found.append((kind, plan.ministry, occurrence.due_date))
    return found


def default_deadlines(year: int) -> list[tuple[str, Organisation, date]]:
    ministries = Organisation.objects.filter(kind=OrganisationKind.MINISTRY)
    return [
        (kind, ministry, date(year, month, day))
        for ministry in ministries
        for kind, days in DEFAULT_CADENCE.items()
        for month, day in days
    ]


def _agencies(ministry: Organisation) -> list[Organisation]:
    """The ministry itself and its agencies: each does its own self-check (本部及各機關(構))."""
    return list(ministry.subtree().filter(Q(kind=OrganisationKind.AGENCY) | Q(pk=ministry.pk)))


@periodic("quality.cadence")
def enqueue_due_checks(now: datetime) -> int:
    """Enqueue the checks whose deadline is within LEAD_TIME (idempotently)."""
    today = timezone.localdate(now)
    count = 0
    for year in {today.year, (today + LEAD_TIME).year}:
        deadlines = planned_deadlines(year)
        planned_ministries = {ministry.pk for _kind, ministry, _due in deadlines}
        deadlines += [
            entry for entry in default_deadlines(year) if entry[1].pk not in planned_ministries
        ]
        for kind, ministry, due in deadlines:
            if not (due - LEAD_TIME <= today <= due):
                continue
            if kind == CheckKind.SPOT_CHECK:
                enqueue(
                    "quality.spot_check",
                    {"organisation_id": ministry.pk},
                    unique_key=f"quality.spot_check:{ministry.pk}:{due.isoformat()}",
                )
                count += 1
                continue
            for agency in _agencies(ministry):
                enqueue(
                    "quality.check_agency",
                    {"organisation_id": agency.pk, "kind": CheckKind.SELF_CHECK},
                    unique_key=f"quality.self_check:{agency.pk}:{due.isoformat()}",
                )
                count += 1
    return count
