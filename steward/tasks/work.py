"""The tasks waiting on a person, for the home page (`organisations.work`).

Liaisons and unit reviewers: the unfinished tasks of their own agency (or of the ministry
for a unit of the ministry) that are overdue or due within `HORIZON_DAYS`. The information
centre: the ministry's own unfinished tasks in that window, and every task of the ministry
marked done and waiting for its sign-off. Two queries whatever the number of agencies.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.organisations.models import Person, Role
from steward.organisations.work import WorkItem, work_source
from steward.tasks.access import LOCAL_WORKER_ROLES, home_organisation
from steward.tasks.models import UNFINISHED, Task, TaskStatus

HORIZON_DAYS = 60


@work_source
def tasks_waiting(person: Person) -> Iterable[WorkItem]:
    if not person.is_authenticated or not person.is_active:
        return []
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=HORIZON_DAYS)
    to_do: set[int] = set()
    centres: set[str] = set()
    for assignment in person.active_roles():
        if assignment.role in LOCAL_WORKER_ROLES:
            to_do.add(home_organisation(assignment.organisation).pk)
        elif assignment.role == Role.INFORMATION_CENTRE:
            ministry = assignment.organisation.ministry
            to_do.add(ministry.pk)
            centres.add(ministry.path)
    if not to_do and not centres:
        return []
    waiting = Q(organisation_id__in=to_do, status__in=UNFINISHED, due_date__lte=horizon)
    for path in centres:
        waiting |= Q(status=TaskStatus.DONE, organisation__path__startswith=path)
    items = []
    for task in Task.objects.filter(waiting).select_related("organisation").order_by("due_date"):
        kind = _("Sign off a task") if task.status == TaskStatus.DONE else _("Schedule task")
        items.append(
            WorkItem(
                kind=kind,
                title=f"{task.code} {task.title}".strip(),
                url=task.get_absolute_url(),
                due=task.due_date,
                organisation=task.organisation,
            )
        )
    return items
