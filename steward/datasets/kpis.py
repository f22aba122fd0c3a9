"""The dataset KPI registered by its plan-file measure name: new open datasets (新增開放項數),
MOL's 成長量 per organisation and MOJ's +170 a year for the ministry with its agencies.

A dataset counts in the period in which it was first open: its 發布時間 (`issued`), else its
first published version, on or after the first day and on or before the last. Whose datasets
count: the organisation with its units (a ministry is 本部, as in MOL's KPI table), or with
every agency below it when the plan's `datasets_new` target for it covers its subtree and it
has no target of its own (MOJ's 「每年度增加170項開放項數」).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from steward.datasets.models import Dataset, DatasetVersion
from steward.evaluation.measuring import instants, organisation_ids, record_url, rows_of
from steward.evaluation.registry import Counted, Figure, MeasureContext, measure, shared


def counts_whole_subtree(context: MeasureContext) -> bool:
    """Does the plan's target for this organisation count its agencies too?"""
    if context.include_subtree:
        return True
    version = context.version
    if version is None:
        return False
    from steward.plans.models import TargetMeasure

    # computed together, the version's dataset targets are read once for every organisation
    targets: list[tuple[int, str, bool]] = shared(
        ("datasets_targets", version.pk),
        lambda: list(
            version.targets.filter(
                measure__in=[TargetMeasure.DATASETS_NEW, TargetMeasure.DATASETS_TOTAL]
            ).values_list("organisation_id", "measure", "covers_subtree")
        ),
    )
    own = [(m, subtree) for pk, m, subtree in targets if pk == context.organisation.pk]
    return not any(not subtree for _m, subtree in own) and (
        (TargetMeasure.DATASETS_NEW, True) in own
    )


@measure("datasets_new", label=_("New open datasets"), unit="count")
def datasets_new(context: MeasureContext) -> Figure:
    """Datasets first open within the period, each linked for the drill-down (one query for
    every organisation when computed together; `values_list`, one link reversed once)."""
    start, end = instants(context)
    whole = counts_whole_subtree(context)

    def read(ids: Sequence[int]) -> list[tuple[int, str, str, int]]:
        first_published = (
            DatasetVersion.objects.filter(dataset=OuterRef("pk"))
            .order_by("published_at")
            .values("published_at")[:1]
        )
        return list(
            Dataset.objects.filter(organisation_id__in=list(ids))
            .annotate(first_open=Coalesce("issued", Subquery(first_published)))
            .filter(first_open__gte=start, first_open__lt=end)
            .order_by("first_open", "identifier")
            .values_list("pk", "identifier", "title", "organisation_id")
        )

    datasets = rows_of(
        context.organisation,
        organisation_ids(context, include_subtree=whole),
        ("datasets_new", start, end),
        read,
        lambda row: row[3],
    )
    url = record_url("datasets:detail")
    note = str(_("Counted with the agencies below it, as the plan's target does.")) if whole else ""
    return Figure.count(
        (
            Counted(term="new_datasets", label=f"{identifier} {title}".strip(), url=url(pk))
            for pk, identifier, title, _organisation in datasets
        ),
        term="new_datasets",
        note=note,
    )
