"""Evaluation work waiting on a person: improvement reports to write (the organisation's
liaisons) or review (the information centre), self-reports to review, and award lists for
the head to approve. A fixed number of queries whatever the number of agencies."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from steward.evaluation.access import reporting_for
from steward.evaluation.models import (
    AwardList,
    AwardStatus,
    ImprovementReport,
    ReportStatus,
    SelfReport,
    SelfReportStatus,
)
from steward.organisations.models import Person
from steward.organisations.scope import Action, scope_q
from steward.organisations.work import WorkItem, work_source


@work_source
def evaluation_work(person: Person) -> Iterable[WorkItem]:
    reports = ImprovementReport.objects.select_related("organisation", "run")
    for report in reports.filter(
        organisation__in=reporting_for(person),
        status__in=[ReportStatus.REQUIRED, ReportStatus.RETURNED],
    )[:50]:
        yield WorkItem(
            kind=_("Improvement report to hand in"),
            title=f"{report.organisation.name} {report.period}",
            url=reverse("evaluation:improvement_report", args=[report.pk]),
            due=report.due_on,
            organisation=report.organisation,
        )
    for report in reports.filter(
        scope_q(person, Action.EVALUATION_RUN), status=ReportStatus.SUBMITTED
    )[:50]:
        yield WorkItem(
            kind=_("Improvement report to review"),
            title=f"{report.organisation.name} {report.period}",
            url=reverse("evaluation:improvement_report", args=[report.pk]),
            due=report.due_on,
            organisation=report.organisation,
        )
    for self_report in SelfReport.objects.select_related("organisation").filter(
        scope_q(person, Action.EVALUATION_RUN), status=SelfReportStatus.SUBMITTED
    )[:50]:
        yield WorkItem(
            kind=_("Self-report to review"),
            title=self_report.organisation.name,
            url=reverse("evaluation:self_report", args=[self_report.pk]),
            organisation=self_report.organisation,
        )
    for award in AwardList.objects.select_related("run__plan__ministry").filter(
        scope_q(person, Action.AWARD_APPROVE, field="run__plan__ministry"),
        status=AwardStatus.PROPOSED,
    )[:20]:
        # The head of the ministry only: the head of an agency has no scope over the ministry.
        yield WorkItem(
            kind=_("Award list to approve"),
            title=f"{award.run.plan.name} {award.run.period}",
            url=reverse("evaluation:run", args=[award.run.pk]),
            organisation=award.run.plan.ministry,
        )
