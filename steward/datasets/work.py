"""The dataset review steps waiting on a person, for the home page (`organisations.work`).

Derived from the review chain's table (`workflow.queue_q`, built from `workflow.STEPS` and
the plan's stages): the datasets in a status whose step this person's roles take, in their
scope. One query for the datasets (plus the person's roles), whatever the number of agencies.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from steward.datasets.models import Dataset
from steward.datasets.workflow import Status, queue_q
from steward.organisations.models import Person
from steward.organisations.work import WorkItem, work_source


@work_source
def datasets_waiting(person: Person) -> Iterable[WorkItem]:
    if not person.is_authenticated or not person.is_active:
        return []
    datasets = (
        Dataset.objects.filter(queue_q(person))
        .select_related("organisation")
        .order_by("updated_at", "pk")
    )
    return [
        WorkItem(
            kind=Status(dataset.status).label,
            title=str(dataset),
            url=reverse("datasets:detail", args=[dataset.pk]),
            organisation=dataset.organisation,
        )
        for dataset in datasets
    ]
