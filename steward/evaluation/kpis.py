"""The self-reported KPI (DGBAS 其他項目: 「跨域合作、公私協力或其他推動成果展現，由各單位自行
提報」): the sum of the figures in the organisation's *accepted* self-reports whose period
lies within the evaluated days. A report still awaiting review, or returned, counts for
nothing; no accepted report is "no data"."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from steward.evaluation.registry import Counted, Figure, MeasureContext, measure

OTHER_ACHIEVEMENTS = "other_achievements"


@measure(
    OTHER_ACHIEVEMENTS,
    label=_("Other achievements, reported by the organisation"),
    unit="count",
    self_reported=True,
)
def other_achievements(context: MeasureContext) -> Figure:
    from steward.evaluation.models import SelfReport, SelfReportStatus

    reports = list(
        SelfReport.objects.filter(
            organisation=context.organisation,
            measure=OTHER_ACHIEVEMENTS,
            status=SelfReportStatus.ACCEPTED,
            period_start__gte=context.start,
            period_end__lte=context.end,
        ).order_by("period_start", "pk")
    )
    if not reports:
        return Figure(None)
    total = sum((report.value for report in reports), Decimal(0))
    return Figure(
        total,
        {"accepted_reports": len(reports)},
        tuple(
            Counted(
                term="accepted_reports",
                label=report.summary[:120],
                url=reverse("evaluation:self_report", args=[report.pk]),
            )
            for report in reports
        ),
    )
