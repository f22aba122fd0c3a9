"""The feedback KPI registered by its plan-file measure name: replies within the limit
(MOL 「6 日(含)內回復外部意見數量/全部外部意見數量」, MOJ 7 日內並經資訊長核准, DGBAS 依平臺時限).

Each item keeps the limit of the plan version in force on the day it was received
(`FeedbackItem.due_at`), so a plan amended mid-period never moves a due time already given.
The faster-reply bonus (MOL 「回復日數可低於 6 日者，則依其比率酌以加分」) is the share of
items replied before their last day, given as the term `bonus_share`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steward.evaluation.measuring import instants, organisation_ids, percent, record_url, rows_of
from steward.evaluation.registry import Counted, Figure, MeasureContext, measure
from steward.feedback.figures import not_yet_due, not_yet_due_note, replied_before_last_day
from steward.feedback.models import FeedbackItem


@measure(
    "feedback_on_time_ratio", label=_("Share of feedback replied within the limit"), unit="percent"
)
def feedback_on_time_ratio(context: MeasureContext) -> Figure:
    """Items replied by their due time ÷ every item received in the period."""
    start, end = instants(context)

    def read(ids: Sequence[int]) -> list[FeedbackItem]:
        return list(
            FeedbackItem.objects.filter(
                organisation_id__in=list(ids), received_at__gte=start, received_at__lt=end
            ).order_by("received_at", "pk")
        )

    items = rows_of(
        context.organisation,
        organisation_ids(context),
        ("feedback_items", start, end),
        read,
        lambda item: item.organisation_id,
    )
    on_time = [item for item in items if item.replied_in_time()]
    faster = [item for item in items if replied_before_last_day(item)]
    # the plan's formula counts every item received; one not answered and not yet due is
    # listed as such, not as late (it may still be answered in time)
    waiting = not_yet_due(items, timezone.now())
    waiting_pks = {item.pk for item in waiting}
    late = [item for item in items if not item.replied_in_time() and item.pk not in waiting_pks]

    url = record_url("feedback:detail")

    def counted(term: str, rows: list[FeedbackItem]) -> list[Counted]:
        return [
            Counted(
                term=term,
                label=f"#{item.pk} {item.subject}".strip(),
                url=url(item.pk),
            )
            for item in rows
        ]

    terms: dict = {"on_time": len(on_time), "all_items": len(items), "faster": len(faster)}
    bonus = percent(len(faster), len(items))
    if bonus is not None:
        terms["bonus_share"] = bonus
    if waiting:
        terms["not_yet_due"] = len(waiting)
    return Figure(
        percent(len(on_time), len(items)),
        terms,
        tuple(
            counted("on_time", on_time)
            + counted("not_on_time", late)
            + counted("not_yet_due", waiting)
            + counted("faster", faster)
        ),
        not_yet_due_note(len(waiting)) if waiting else "",
    )
