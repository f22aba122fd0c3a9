"""The quality KPIs registered by their plan-file measure names (績效指標): the accuracy rate
(正確率), the three-star ratio (三星等級資料比率) with its 4–5-star bonus ratio, and DGBAS's
dataset quality (資料集品質優化).

The counting and the formula parsing live in `steward.quality.measures` (`measures_for`);
this module only hands its figures to the evaluation registry, with every dataset counted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steward.evaluation.measuring import ministry_path, percent, record_url
from steward.evaluation.registry import Counted, Figure, MeasureContext, measure, shared, sharing
from steward.quality.measures import (
    ACCURACY_RATE,
    TERM_LABELS,
    THREE_STAR_RATIO,
    Period,
    QualityMeasures,
    measures_for,
)


@dataclass(frozen=True)
class _Days:
    """Any run of days as a period `measures_for` understands (a part of a quarter too)."""

    start: datetime.date
    end: datetime.date

    @property
    def year(self) -> int:
        return self.end.year

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        start = datetime.datetime.combine(self.start, datetime.time())
        end = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(start), timezone.make_aware(end)


def _quality(context: MeasureContext) -> QualityMeasures:
    days = cast(Period, _Days(context.start, context.end))
    key = ("quality", context.organisation.pk, context.start, context.end, context.include_subtree)
    found: QualityMeasures = shared(
        key,
        lambda: measures_for(context.organisation, days, include_subtree=context.include_subtree),
    )
    return found


def _dataset_urls(context: MeasureContext, identifiers: set[str]) -> dict[str, str]:
    """The page of each dataset named; computed together, the ministry's datasets are read
    once (a dataset of another ministry, if a result names one, is looked up alone)."""
    from steward.datasets.models import Dataset

    def read(**where: object) -> dict[str, int]:
        return dict(Dataset.objects.filter(**where).values_list("identifier", "pk"))

    if sharing():
        root = ministry_path(context.organisation)
        known: dict[str, int] = shared(
            ("dataset_pks", root), lambda: read(organisation__path__startswith=root)
        )
        missing = identifiers - known.keys()
        pks = {identifier: known[identifier] for identifier in identifiers - missing}
        if missing:
            pks.update(read(identifier__in=missing))
    else:
        pks = read(identifier__in=identifiers)
    url = record_url("datasets:detail")
    return {identifier: url(pk) for identifier, pk in pks.items()}


def _figure(
    context: MeasureContext, quality: QualityMeasures, name: str, bonus_term: str | None = None
) -> Figure:
    found = quality.measure(name)
    identifiers = {d.identifier for rows in found.datasets.values() for d in rows}
    urls = _dataset_urls(context, identifiers)
    labels = {term: str(TERM_LABELS[term]) for term in found.datasets}  # translated once
    counted = tuple(
        Counted(
            term=term,
            label=f"{labels[term]}：{dataset.identifier} {dataset.title}".strip(),
            url=urls.get(dataset.identifier, ""),
        )
        for term, datasets in found.datasets.items()
        for dataset in datasets
    )
    terms: dict[str, Decimal | int] = dict(found.counts)
    if bonus_term is not None:
        share = percent(found.counts.get(bonus_term, 0), found.counts.get("open_datasets", 0))
        if share is not None:
            terms["bonus_share"] = share
    return Figure(found.value, terms, counted, found.note)


@measure(ACCURACY_RATE, label=_("Accuracy of updates, links and information"), unit="percent")
def accuracy_rate(context: MeasureContext) -> Figure:
    """MOL 正確率 = (1 − (未及時更新數 + 錯誤連結數 + 錯誤資訊數) / 實際開放資料集數量) × 100."""
    return _figure(context, _quality(context), ACCURACY_RATE)


@measure(THREE_STAR_RATIO, label=_("Share of datasets rated three stars or more"), unit="percent")
def three_star_ratio(context: MeasureContext) -> Figure:
    """MOL 三星等級資料比率, with the share of four- and five-star datasets for its bonus rule
    (「開放等級達四、五星等資料集者，依比率酌以加分」) as the term `bonus_share`."""
    return _figure(context, _quality(context), THREE_STAR_RATIO, bonus_term="four_star")


@measure("dataset_quality", label=_("Datasets without a quality problem"), unit="percent")
def dataset_quality(context: MeasureContext) -> Figure:
    """DGBAS 資料集品質優化: the share of the datasets judged in the period whose every
    resource answered, is on time and matches its metadata (正確性、完整性、更新頻率)."""
    quality = _quality(context)
    judged = quality.checked
    problems = ("broken_links", "not_timely", "wrong_info")
    sound = [d for d in judged if not any(d.counts_in(term) for term in problems)]
    flawed = [d for d in judged if any(d.counts_in(term) for term in problems)]
    urls = _dataset_urls(context, {d.identifier for d in judged})
    counted = tuple(
        Counted(
            term=term, label=f"{d.identifier} {d.title}".strip(), url=urls.get(d.identifier, "")
        )
        for term, rows in (("sound", sound), ("with_problems", flawed))
        for d in rows
    )
    return Figure(
        percent(len(sound), len(judged)),
        {"sound": len(sound), "with_problems": len(flawed), "open_datasets": len(judged)},
        counted,
    )
