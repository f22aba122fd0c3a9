"""Every state change of evaluation: the award list (敘獎) approved or returned by the head,
self-reports (自行提報) submitted and reviewed, improvement reports (限期改善或說明報告)
handed in and reviewed. Each checks permission and state first, then writes in one
transaction with one audit event. Running an evaluation is `runs.run_evaluation`."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.evaluation import registry
from steward.evaluation.models import (
    AwardList,
    AwardStatus,
    ImprovementReport,
    ReportStatus,
    SelfReport,
    SelfReportStatus,
)
from steward.evaluation.runs import EvaluationError
from steward.lib.notify import notify
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, people_who_can, require

__all__ = [
    "EvaluationError",
    "decide_awards",
    "review_improvement_report",
    "review_self_report",
    "submit_improvement_report",
    "submit_self_report",
]


def _require_reporter(person: Person, organisation: Organisation) -> None:
    from steward.evaluation.access import may_report_for

    if not may_report_for(person, organisation):
        raise PermissionDenied(
            _("%(person)s may not report for %(organisation)s.")
            % {"person": person, "organisation": organisation}
        )


def decide_awards(award: AwardList, *, by: Person, approve: bool, comment: str = "") -> AwardList:
    """The head of the ministry approves the award list, or returns it with a comment."""
    ministry = award.run.plan.ministry
    assert ministry is not None
    require(by, Action.AWARD_APPROVE, ministry)
    if not approve and not comment.strip():
        raise EvaluationError(_("Say why the award list is returned."))
    with transaction.atomic():
        award = AwardList.objects.select_for_update().get(pk=award.pk)
        if award.status != AwardStatus.PROPOSED:
            raise EvaluationError(_("This award list has already been decided."))
        before = award.status
        award.status = AwardStatus.APPROVED if approve else AwardStatus.RETURNED
        award.decided_by, award.decided_at, award.comment = by, timezone.now(), comment.strip()
        award.save()
        record(
            actor=by,
            action="evaluation.awards_approve" if approve else "evaluation.awards_return",
            subject=award,
            organisation=ministry,
            from_state=before,
            to_state=award.status,
            comment=award.comment,
            changes={"organisations": sorted(award.organisations.values_list("pk", flat=True))},
        )
    return award


def submit_self_report(
    organisation: Organisation,
    *,
    by: Person,
    measure: str,
    start: datetime.date,
    end: datetime.date,
    value: Decimal,
    summary: str,
    evidence_links: str = "",
    evidence_file: UploadedFile | None = None,
) -> SelfReport:
    """An organisation reports a figure the plan leaves to it, with evidence (files, links)."""
    _require_reporter(by, organisation)
    if not registry.is_registered(measure) or not registry.get(measure).self_reported:
        raise EvaluationError(_("This figure is computed from the records, not reported."))
    if end < start:
        raise EvaluationError(_("The last day is before the first day."))
    if value < 0:
        raise EvaluationError(_("The figure cannot be negative."))
    if not summary.strip():
        raise EvaluationError(_("Describe what was achieved."))
    links = [line.strip() for line in evidence_links.splitlines() if line.strip()]
    for link in links:
        if not link.startswith(("https://", "http://")):
            raise EvaluationError(
                _("“%(link)s” is not a web address (http:// or https://).") % {"link": link}
            )
    if not links and evidence_file is None:
        raise EvaluationError(_("Give evidence: a file or at least one link."))
    with transaction.atomic():
        report = SelfReport(
            organisation=organisation,
            measure=measure,
            period_start=start,
            period_end=end,
            value=value,
            summary=summary.strip(),
            evidence_links="\n".join(links),
            submitted_by=by,
        )
        if evidence_file is not None:
            report.evidence_file.save(evidence_file.name or "evidence", evidence_file, save=False)
        report.save()
        record(actor=by, action="evaluation.self_report_submit", subject=report,
               organisation=organisation, to_state=report.status,
               changes={"value": str(value), "start": start.isoformat(), "end": end.isoformat()})  # fmt: skip
        notify(
            people_who_can(Action.EVALUATION_RUN, organisation),
            subject=_("[Open data] A self-report of %(organisation)s awaits review")
            % {"organisation": organisation.name},
            body=report.summary,
        )
    return report


def review_self_report(
    report: SelfReport, *, by: Person, accept: bool, comment: str = ""
) -> SelfReport:
    """The information centre accepts a self-report (it then counts) or returns it."""
    require(by, Action.EVALUATION_RUN, report.organisation)
    if not accept and not comment.strip():
        raise EvaluationError(_("Say why the report is returned."))
    with transaction.atomic():
        report = SelfReport.objects.select_for_update().get(pk=report.pk)
        if report.status != SelfReportStatus.SUBMITTED:
            raise EvaluationError(_("This report has already been reviewed."))
        before = report.status
        report.status = SelfReportStatus.ACCEPTED if accept else SelfReportStatus.RETURNED
        report.review_comment = comment.strip()
        report.reviewed_by, report.reviewed_at = by, timezone.now()
        report.save()
        record(actor=by, action="evaluation.self_report_review", subject=report,
               organisation=report.organisation, from_state=before, to_state=report.status,
               comment=report.review_comment)  # fmt: skip
    return report


def submit_improvement_report(
    report: ImprovementReport, *, by: Person, text: str
) -> ImprovementReport:
    """The organisation hands in its improvement or explanation report."""
    _require_reporter(by, report.organisation)
    if not text.strip():
        raise EvaluationError(_("Write the report."))
    with transaction.atomic():
        report = ImprovementReport.objects.select_for_update().get(pk=report.pk)
        if report.status not in (ReportStatus.REQUIRED, ReportStatus.RETURNED):
            raise EvaluationError(_("This report has already been handed in."))
        before = report.status
        report.status, report.text = ReportStatus.SUBMITTED, text.strip()
        report.submitted_by, report.submitted_at = by, timezone.now()
        report.save()
        record(actor=by, action="evaluation.improvement_submit", subject=report,
               organisation=report.organisation, from_state=before, to_state=report.status)  # fmt: skip
    return report


def review_improvement_report(
    report: ImprovementReport, *, by: Person, accept: bool, comment: str = ""
) -> ImprovementReport:
    """The information centre accepts the report or returns it for more."""
    require(by, Action.EVALUATION_RUN, report.organisation)
    if not accept and not comment.strip():
        raise EvaluationError(_("Say why the report is returned."))
    with transaction.atomic():
        report = ImprovementReport.objects.select_for_update().get(pk=report.pk)
        if report.status != ReportStatus.SUBMITTED:
            raise EvaluationError(_("This report is not awaiting review."))
        before = report.status
        report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
        report.review_comment = comment.strip()
        report.save()
        record(actor=by, action="evaluation.improvement_review", subject=report,
               organisation=report.organisation, from_state=before, to_state=report.status,
               comment=report.review_comment)  # fmt: skip
    return report
