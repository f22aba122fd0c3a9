"""Reminders about improvement reports (限期改善或說明報告): once a week before the due day
(`REMIND_DAYS_BEFORE`), and once overdue an escalation (稽催) to the information centre.
Each report is reminded and escalated once (row locked and re-checked), with an audit event.
The periodic producer and job live in `tasks.py`."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from steward.evaluation.models import ImprovementReport, ReportStatus
from steward.lib.chase import chase_once
from steward.lib.notify import notify
from steward.organisations.scope import Action, people_who_can

REMIND_DAYS_BEFORE = 7
WAITING = (ReportStatus.REQUIRED, ReportStatus.RETURNED)


def chase_reports(*, today: datetime.date | None = None) -> tuple[list[int], list[int]]:
    """(reminded, escalated) report ids."""
    day = today or timezone.localdate()
    reminded, escalated = [], []
    soon = ImprovementReport.objects.filter(
        status__in=WAITING,
        reminded_on__isnull=True,
        due_on__lte=day + datetime.timedelta(days=REMIND_DAYS_BEFORE),
        due_on__gte=day,
    ).values_list("pk", flat=True)
    for pk in list(soon):
        if _mark(pk, "reminded_on", day, Action.EVALUATION_REPORT, _("report due soon")):
            reminded.append(pk)
    late = ImprovementReport.objects.filter(
        status__in=WAITING, escalated_on__isnull=True, due_on__lt=day
    ).values_list("pk", flat=True)
    for pk in list(late):
        if _mark(pk, "escalated_on", day, Action.EVALUATION_RUN, _("report overdue")):
            escalated.append(pk)
    return reminded, escalated


def _mark(pk: int, field: str, day: datetime.date, action: Action, what: str) -> bool:
    def tell(report: ImprovementReport) -> None:
        notify(
            people_who_can(action, report.organisation),
            subject=_("[Open data] Improvement report of %(organisation)s: %(what)s")
            % {"organisation": report.organisation.name, "what": what},
            body=_("Due by %(due)s.") % {"due": report.due_on.isoformat()},
        )

    chased = chase_once(
        ImprovementReport.objects.select_related("organisation"), [pk],
        field=field, value=day, action=f"evaluation.improvement_{field.removesuffix('_on')}",
        still_waiting=lambda report: report.status in WAITING, tell=tell,
    )  # fmt: skip
    return bool(chased)
