"""What waits on a person now (待辦): the one list the home page shows, fed by every app.

Each app that gives people work (a review step, an approval, a reply due, a task, an
improvement report) contributes it in a module named `work.py` of its own, found at
start-up::

    from steward.organisations.work import WorkItem, work_source

    @work_source
    def replies_due(person: Person) -> Iterable[WorkItem]:
        for item in FeedbackItem.objects.filter(...):  # scoped to what the person may act on
            yield WorkItem(kind=_("Reply to the public"), title=item.subject,
                           url=item.get_absolute_url(), due=item.due_on,
                           organisation=item.organisation)

A source answers with what this person may act on now (the scoping rule decides), and with
a bounded number of queries whatever the number of agencies.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from steward.organisations.models import Organisation, Person


@dataclass(frozen=True)
class WorkItem:
    kind: Any  # what sort of work, translated (e.g. 「初審」, 「回復民眾意見」)
    title: str  # which record
    url: str  # where the person does it
    due: datetime.date | None = None  # when it is due, if it has a due date
    organisation: Organisation | None = None


WorkSource = Callable[["Person"], Iterable[WorkItem]]
_SOURCES: list[WorkSource] = []


def work_source(function: WorkSource) -> WorkSource:
    """Register a function giving the work that waits on a person."""
    if function not in _SOURCES:
        _SOURCES.append(function)
    return function


def waiting_for(person: Person) -> list[WorkItem]:
    """Everything waiting on this person, the earliest due first (undated last)."""
    items = [item for source in _SOURCES for item in source(person)]
    return sorted(items, key=lambda item: (item.due is None, item.due or datetime.date.max))


def autodiscover() -> None:
    """Import every installed app's `work` module, which registers its sources."""
    autodiscover_modules("work")
