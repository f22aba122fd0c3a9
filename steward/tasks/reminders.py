"""Reminders before a task is due, and escalation (稽催) once it is overdue.

`remind_due_soon` tells the people who work on the organisation's tasks when an unfinished
task is due within `STEWARD_TASK_REMIND_WORKING_DAYS` working days. `escalate_overdue`, on
working days only, tells them again with the head of the organisation and the ministry's
information centre once the due date has passed. Each task is reminded once and escalated
once: the row is locked and re-checked, so several workers may run this at the same time.
A task generated after its due date is overdue on the pages but never chased by e-mail.
Each writes one audit event. The periodic producer and the job live in `tasks.py`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.calendars.workdays import WorkingCalendar
from steward.lib.chase import chase_once
from steward.lib.notify import notify
from steward.organisations.models import Person, Role
from steward.tasks.access import workers_of
from steward.tasks.models import UNFINISHED, Task
from steward.tasks.services import _letter


def remind_due_soon(*, today: datetime.date | None = None) -> list[Task]:
    """Remind once about each unfinished task due within the configured working days."""
    today = today or timezone.localdate()
    horizon = WorkingCalendar().add_working_days(
        today, int(settings.STEWARD_TASK_REMIND_WORKING_DAYS)
    )
    candidates = Task.objects.filter(
        status__in=UNFINISHED, reminded_on__isnull=True, due_date__gte=today, due_date__lte=horizon
    ).values_list("pk", flat=True)

    def tell(task: Task) -> None:
        subject, body = _letter(task, _("due soon"))
        notify(workers_of(task.organisation), subject=subject, body=body)

    return chase_once(
        Task.objects.select_related("organisation"), candidates,
        field="reminded_on", value=today, action="task.remind",
        still_waiting=lambda task: task.status in UNFINISHED, tell=tell,
    )  # fmt: skip


def escalation_people(task: Task) -> set[Person]:
    """Who hears of an overdue task: its workers, the head of the organisation and the
    ministry's information centre."""
    organisation = task.organisation
    ministry = organisation.ministry
    heads = Person.objects.filter(
        is_active=True,
        role_assignments__active=True,
        role_assignments__role=Role.HEAD_OF_AGENCY,
        role_assignments__organisation=organisation,
    )
    centre = Person.objects.filter(
        is_active=True,
        role_assignments__active=True,
        role_assignments__role=Role.INFORMATION_CENTRE,
        role_assignments__organisation__path__startswith=ministry.path,
    )
    return set(workers_of(organisation)) | set(heads) | set(centre)


def escalate_overdue(*, now: datetime.datetime | None = None) -> list[Task]:
    """Escalate once each unfinished task whose due date has passed; on working days only
    (a reminder on a Sunday reaches nobody)."""
    moment = now or timezone.now()
    today = timezone.localtime(moment).date()
    if not WorkingCalendar().is_working_day(today):
        return []
    # A task generated after its due date (a plan installed mid-year, a past period's
    # cadence) is shown as overdue but not chased: installing in December must not send a
    # burst of 稽催 for the quarters before the install.
    candidates = (
        Task.objects.annotate(created_on=TruncDate("created_at"))
        .filter(
            status__in=UNFINISHED,
            escalated_at__isnull=True,
            due_date__lt=today,
            due_date__gte=F("created_on"),
        )
        .values_list("pk", flat=True)
    )

    def tell(task: Task) -> None:
        subject, body = _letter(task, _("overdue (稽催)"))
        notify(sorted(escalation_people(task), key=lambda p: p.pk), subject=subject, body=body)

    return chase_once(
        Task.objects.select_related("organisation"), candidates,
        field="escalated_at", value=moment, action="task.escalate",
        still_waiting=lambda task: task.status in UNFINISHED, tell=tell,
    )  # fmt: skip
