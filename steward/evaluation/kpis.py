"""The self-reported KPI (DGBAS 其他項目: 「跨域合作、公私協力或其他推動成果展現，由各單位自行
提報」): the sum of the figures in the organisation's *accepted* self-reports whose period
lies within the evaluated days. A report still awaiting review, or returned, counts for
nothing; no accepted report is "no data"."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from steward.evaluation.measuring import record_url, rows_of
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

    def read(ids: Sequence[int]) -> list[SelfReport]:
        return list(
            SelfReport.objects.filter(
                organisation_id__in=list(ids),
                measure=OTHER_ACHIEVEMENTS,
                status=SelfReportStatus.ACCEPTED,
                period_start__gte=context.start,
                period_end__lte=context.end,
            ).order_by("period_start", "pk")
        )

    # computed together: the ministry's accepted reports of the period, read once
    reports = rows_of(
        context.organisation,
        [context.organisation.pk],
        ("accepted_self_reports", context.start, context.end),
        read,
        lambda report: report.organisation_id,
    )
    if not reports:
        return Figure(None)
    url = record_url("evaluation:self_report")
    total = sum((report.value for report in reports), Decimal(0))
    return Figure(
        total,
        {"accepted_reports": len(reports)},
        tuple(
            Counted(
                term="accepted_reports",
                label=report.summary[:120],
                url=url(report.pk),
            )
            for report in reports
        ),
    )
