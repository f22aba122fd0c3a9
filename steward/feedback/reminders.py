"""Reminders before a reply is due, and escalation (稽催) once it is overdue.

`remind_due_soon` tells the assigned liaison and whoever answers for the organisation when an
open item is due within `STEWARD_FEEDBACK_REMIND_WORKING_DAYS` working days; `escalate_overdue`
tells the unit reviewers above the organisation and the ministry's information centre when the
due time has passed without a reply. Each item is reminded and escalated once: the row is
locked and re-checked, so several workers may run this at the same time. Each writes one audit
event. The periodic producer and job live in `tasks.py`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.calendars.workdays import WorkingCalendar
from steward.feedback.models import FeedbackItem, Kind, Status
from steward.lib.chase import chase_once
from steward.lib.notify import notify
from steward.organisations.models import Person, Role
from steward.organisations.scope import Action, people_who_can

OPEN = (Status.RECEIVED, Status.DRAFTED, Status.AWAITING_APPROVAL, Status.APPROVED)


def _letter(item: FeedbackItem, headline: str) -> tuple[str, str]:
    subject = _("[Open data] Feedback #%(number)s: %(what)s") % {
        "number": item.pk,
        "what": headline,
    }
    body = _(
        "Feedback #%(number)s (%(kind)s) for %(organisation)s: %(what)s.\n"
        "Reply due by the end of %(due)s.\n\nOpen it: %(link)s\n"
    ) % {
        "number": item.pk,
        "kind": Kind(item.kind).label,
        "organisation": item.organisation.name,
        "what": headline,
        "due": item.due_on.isoformat(),
        "link": reverse("feedback:detail", args=[item.pk]),
    }
    return subject, body


def remind_due_soon(*, now: datetime.datetime | None = None) -> list[FeedbackItem]:
    """Remind once about each open item due within the configured working days."""
    moment = now or timezone.now()
    today = timezone.localtime(moment).date()
    horizon = WorkingCalendar().add_working_days(
        today, int(settings.STEWARD_FEEDBACK_REMIND_WORKING_DAYS)
    )
    candidates = FeedbackItem.objects.filter(
        status__in=OPEN, reminded_on__isnull=True, due_on__lte=horizon, due_at__gt=moment
    ).values_list("pk", flat=True)

    def tell(item: FeedbackItem) -> None:
        people = set(people_who_can(Action.FEEDBACK_REPLY, item.organisation))
        if item.assigned_to is not None:
            people.add(item.assigned_to)
        subject, body = _letter(item, _("reply due soon"))
        notify(sorted(people, key=lambda p: p.pk), subject=subject, body=body)

    return chase_once(
        FeedbackItem.objects.select_related("organisation"), candidates,
        field="reminded_on", value=today, action="feedback.remind",
        still_waiting=lambda item: item.status in OPEN, tell=tell,
    )  # fmt: skip


def _escalation_people(item: FeedbackItem) -> set[Person]:
    """The unit reviewers who answer for the organisation, and the ministry's information centre."""
    reviewers = set(people_who_can(Action.DATASET_UNIT_REVIEW, item.organisation))
    ministry = item.organisation.ministry
    centre = Person.objects.filter(
        is_active=True,
        role_assignments__active=True,
        role_assignments__role=Role.INFORMATION_CENTRE,
        role_assignments__organisation__path__startswith=ministry.path,
    ).distinct()
    return reviewers | set(centre)


def escalate_overdue(*, now: datetime.datetime | None = None) -> list[FeedbackItem]:
    """Escalate once each open item whose due time has passed (稽催)."""
    moment = now or timezone.now()
    candidates = FeedbackItem.objects.filter(
        status__in=OPEN, escalated_at__isnull=True, due_at__lte=moment
    ).values_list("pk", flat=True)

    def tell(item: FeedbackItem) -> None:
        subject, body = _letter(item, _("overdue without a reply"))
        notify(sorted(_escalation_people(item), key=lambda p: p.pk), subject=subject, body=body)

    return chase_once(
        FeedbackItem.objects.select_related("organisation"), candidates,
        field="escalated_at", value=moment, action="feedback.escalate",
        still_waiting=lambda item: item.status in OPEN, tell=tell,
    )  # fmt: skip
