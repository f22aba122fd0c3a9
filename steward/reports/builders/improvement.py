"""An agency's improvement report form (限期改善或說明報告), prefilled: the evaluation it
answers, its shortfall in each KPI below target (figure, target, achievement), the due
date, and the fields the agency fills in (left blank, or its draft where it wrote one).

From `evaluation.models.ImprovementReport` (required by the evaluation run of the period)
and that run's figures; an organisation of whom no report is required is told so.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.evaluation import presenting
from steward.evaluation.models import ImprovementReport, ReportStatus
from steward.lib.years import date_label
from steward.reports.builders.common import (
    document,
    no_data,
    no_target,
    percent,
    period_of,
    plan_of,
)
from steward.reports.builders.evaluation import _figure
from steward.reports.document import Cell, Paragraph, ReportDocument, Section, Table
from steward.reports.kinds import ReportRequest, report_kind

KEY = "improvement_report"


@report_kind(
    KEY,
    label=gettext_lazy("Improvement report form"),
)
def improvement_report(request: ReportRequest) -> ReportDocument:
    organisation = request.organisation
    period = period_of(request)
    plan = plan_of(request)
    report = (
        ImprovementReport.objects.filter(plan=plan, period=period.label, organisation=organisation)
        .select_related("run")
        .first()
        if plan is not None
        else None
    )
    title = _("%(organisation)s improvement report, %(period)s") % {
        "organisation": organisation.name,
        "period": request.period_label,
    }
    if report is None:
        sections: tuple[Section, ...] = (
            Section(
                _("Improvement report"),
                (
                    Paragraph(
                        _("No improvement report is required of %(organisation)s for %(period)s.")
                        % {"organisation": organisation.name, "period": request.period_label}
                    ),
                ),
            ),
        )
        return document(
            KEY,
            title,
            request,
            sections,
            {"report": None},
        )
    rows = presenting.table(report.run, {organisation.pk})
    shortfalls: list[tuple[Cell, ...]] = []
    for row in rows:
        for kpi in row.kpis:
            if kpi.name not in report.kpis:
                continue
            last = kpi.parts[-1]
            shortfalls.append(
                (
                    kpi.name,
                    _figure(last.value, kpi.unit),
                    _figure(last.target, kpi.unit) if last.target is not None else no_target(),
                    percent(kpi.achievement) if kpi.achievement is not None else no_data(),
                )
            )
    facts = Table(
        caption=_("The evaluation"),
        columns=(_("Item"), _("Content")),
        rows=(
            (_("Organisation"), organisation.name),
            (_("Evaluation period"), request.period_label),
            (_("Plan"), plan.name if plan else ""),
            (_("Due on"), report.due_on),
            (_("Status"), str(ReportStatus(report.status).label)),
        ),
        widths=(2, 6),
    )
    below = Table(
        caption=_("Indicators below target"),
        columns=(_("Indicator"), _("Figure"), _("Target"), _("Achievement (%)")),
        rows=tuple(shortfalls),
        empty_text=_("No indicator below target."),
        widths=(5, 2, 2, 2),
    )
    to_fill = Table(
        caption=_("To be filled in by the organisation"),
        columns=(_("Item"), _("Content")),
        rows=(
            (_("Why the target was not met"), report.text),
            (_("Improvement measures"), ""),
            (_("Planned completion date"), ""),
            (_("Filled in by"), ""),
            (_("Telephone"), ""),
            (_("Head of the organisation"), ""),
        ),
        widths=(2, 6),
    )
    return document(
        KEY,
        title,
        request,
        (
            Section(
                _("Improvement report"),
                (
                    Paragraph(
                        _("Please return this form by %(due)s.")
                        % {"due": date_label(report.due_on)}
                    ),
                    facts,
                ),
            ),
            Section(_("Indicators below target"), (below,)),
            Section(_("To be filled in by the organisation"), (to_fill,)),
        ),
        fields={"due_on": report.due_on},
        inputs={
            "report": report.pk,
            "run": report.run_id,
            "status": report.status,
            "due_on": report.due_on,
        },
    )
