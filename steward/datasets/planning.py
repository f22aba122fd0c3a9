"""When datasets are published: the plan's date (登載與發布, MOEA item 1-7), and what is due.

The information centre schedules approved datasets "on the planned schedule" (依規劃時程): the
next deadline of the plan's publishing item. The item is found by its title, since plans
number their schedules differently; without one the date is today.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.plans.models import ScheduledDeadline

#: Words that mark a schedule item as the publishing step (登載 / 發布 / 上架).
PUBLISHING_WORDS = ("登載", "發布", "上架")


def planned_publication_date(dataset: Dataset, today: datetime.date | None = None) -> datetime.date:
    """The next due date of the plan's publishing item on or after `today` (else `today`)."""
    today = today or timezone.localdate()
    titled = Q()
    for word in PUBLISHING_WORDS:
        titled |= Q(deadline__schedule_item__title__contains=word)
    occurrence = (
        ScheduledDeadline.objects.filter(
            titled,
            deadline__schedule_item__version__plan__ministry=dataset.organisation.ministry,
            due_date__gte=today,
        )
        .order_by("due_date")
        .first()
    )
    return occurrence.due_date if occurrence is not None else today


def due_for_publishing(on: datetime.date | None = None) -> QuerySet[Dataset]:
    """Scheduled datasets whose publishing date has come: what the outbox pushes (登載).

    For each, push `metadata.published_metadata(dataset)` and, once the portal accepts,
    call `services.mark_published(dataset, by=None, portal_identifier=...)`.
    """
    on = on or timezone.localdate()
    return Dataset.objects.filter(
        status=Status.SCHEDULED, scheduled_publish_on__lte=on
    ).select_related("organisation")
