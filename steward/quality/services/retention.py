"""Retention: deleting check runs older than the retention setting."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from steward.audit.services import record
from steward.organisations.models import Person
from steward.quality.models import (
    CheckEntry,
    CheckResult,
    CheckRun,
    ResourceHealth,
    RunStatus,
)

if TYPE_CHECKING:
    pass


# --- retention ----------------------------------------------------------------------------------


def retention_cutoff(now: datetime.datetime) -> datetime.datetime:
    """Runs started before this may be deleted: older than the retention setting, and
    before 1 January of last year (a year's KPIs are reported during the following one, so
    every period still open for KPIs keeps its runs)."""
    from django.conf import settings

    days = int(getattr(settings, "STEWARD_QUALITY_RETENTION_DAYS", 400))
    local = timezone.localtime(now)
    last_year = local.replace(
        year=local.year - 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return min(now - datetime.timedelta(days=days), last_year)


@transaction.atomic
def prune_runs(*, now: datetime.datetime | None = None, by: Person | None = None) -> dict[str, int]:
    """Delete runs past the retention (`retention_cutoff`), and verdicts nothing points at.

    Kept whatever their age: the latest run of each scope (kind and organisation: the
    quality page shows it), runs still running, and each resource's last verdict (a 304
    keeps it; the next change is compared with it). One audit event with the counts.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    latest: dict[tuple[str, int | None], int] = {}  # scope → its latest run (runs are few)
    for pk, kind, organisation_id in CheckRun.objects.order_by("-started_at", "-pk").values_list(
        "pk", "kind", "organisation_id"
    ):
        latest.setdefault((kind, organisation_id), pk)
    old = (
        CheckRun.objects.filter(started_at__lt=cutoff)
        .exclude(status=RunStatus.RUNNING)
        .exclude(pk__in=list(latest.values()))
    )
    runs = list(old.values_list("pk", flat=True))
    oldest = old.order_by("started_at", "pk").first()  # the audit event's subject
    entries = CheckEntry.objects.filter(run_id__in=runs).delete()[0] if runs else 0
    CheckRun.objects.filter(pk__in=runs).delete()
    orphans = CheckResult.objects.filter(
        ~Exists(CheckEntry.objects.filter(result=OuterRef("pk"))),
        ~Exists(ResourceHealth.objects.filter(last_result=OuterRef("pk"))),
    )
    results = orphans.delete()[0]
    counts = {"runs": len(runs), "entries": entries, "results": results}
    if oldest is not None:
        record(
            actor=by,
            action="quality.runs_pruned",
            subject=oldest,
            changes={"pruned": {"from": None, "to": counts}},
            comment=f"runs started before {cutoff.isoformat()}",
        )
    return counts
