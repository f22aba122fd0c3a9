"""The inventory KPIs registered by their plan-file measure names.

* `scheduled_openings_on_time` (DGBAS 階段工作項目執行成果: 「年度盤點資料預計開放項目如期開放」):
  of the items the inventory plans to open in the period's year, the share open by the end
  of their planned half (上半年 6/30, 下半年 12/31; no half: year end). Only halves that end
  within the period are asked for, so a first-half evaluation does not count H2 items.
* `inventory_against_target` (MOEA 柒三(七): the year's inventory meets the target or says
  why): the items planned for opening in the year against the plan's target, with the
  agency's written reason for a shortfall.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.evaluation.measuring import organisation_ids, percent, record_url, rows_of
from steward.evaluation.registry import Counted, Figure, MeasureContext, measure
from steward.inventory.models import Classification, Half, InventoryItem, ItemStatus


def _half_end(year: int, half: str) -> datetime.date:
    return datetime.date(year, 6, 30) if half == Half.H1 else datetime.date(year, 12, 31)


@measure(
    "scheduled_openings_on_time",
    label=gettext_lazy("Planned openings opened on time"),
    unit="percent",
)
def scheduled_openings_on_time(context: MeasureContext) -> Figure:
    from steward.datasets.models import DatasetVersion

    first_published = (
        DatasetVersion.objects.filter(dataset=OuterRef("dataset"))
        .order_by("published_at")
        .values("published_at")[:1]
    )

    def read(ids: Sequence[int]) -> list[InventoryItem]:
        return list(
            InventoryItem.objects.filter(
                agency_id__in=list(ids),
                classification=Classification.OPEN,
                planned_year__gte=context.start.year,
                planned_year__lte=context.end.year,
            )
            .exclude(status=ItemStatus.WITHDRAWN)
            .annotate(opened_at=Coalesce("dataset__issued", Subquery(first_published)))
            .order_by("planned_year", "planned_half", "identifier", "pk")
        )

    items = rows_of(
        context.organisation,
        organisation_ids(context),
        ("scheduled_openings", context.start.year, context.end.year),
        read,
        lambda item: item.agency_id,
    )
    asked = []
    for item in items:
        due = _half_end(item.planned_year or context.end.year, item.planned_half)
        if context.start <= due <= context.end:
            asked.append((item, due))
    on_time, late = [], []
    for item, due in asked:
        opened_at = item.opened_at  # type: ignore[attr-defined]
        if opened_at is not None and timezone.localtime(opened_at).date() <= due:
            on_time.append(item)
        else:
            late.append(item)

    url = record_url("inventory:item_edit")

    def counted(term: str, rows: Sequence[InventoryItem]) -> list[Counted]:
        return [
            Counted(
                term=term,
                label=f"{item.identifier} {item.name}（{item.planned_label}）".strip(),
                url=url(item.pk),
            )
            for item in rows
        ]

    return Figure(
        percent(len(on_time), len(asked)),
        {"on_time": len(on_time), "planned": len(asked)},
        tuple(counted("on_time", on_time) + counted("not_on_time", late)),
    )


@measure(
    "inventory_against_target",
    label=gettext_lazy("Planned openings against the target"),
    unit="count",
)
def inventory_against_target(context: MeasureContext) -> Figure:
    from steward.inventory.targets import target_row

    year = context.end.year
    row = target_row(context.organisation, year, whole_subtree=context.include_subtree or None)
    items = InventoryItem.objects.filter(
        agency_id__in=organisation_ids(context, include_subtree=row.whole_subtree),
        classification=Classification.OPEN,
        planned_year=year,
    ).exclude(status=ItemStatus.WITHDRAWN)
    terms: dict = {"planned": row.planned}
    if row.target is not None:
        terms["target"] = row.target
        terms["shortfall"] = row.shortfall
    note = ""
    if row.shortfall and row.reason:
        note = _("Reason given for the shortfall: %(reason)s") % {"reason": row.reason}
    elif row.shortfall:
        note = _("No reason has been given for the shortfall.")
    return Figure(
        Decimal(row.planned) if row.planned or row.inventory else None,
        terms,
        tuple(
            Counted(
                term="planned",
                label=f"{item.identifier} {item.name}".strip(),
                url=reverse("inventory:item_edit", args=[item.pk]),
            )
            for item in items.order_by("identifier", "pk")
        ),
        note,
    )
