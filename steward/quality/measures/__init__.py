"""KPI measures from quality results: accuracy rate (正確率) and three-star ratio (三星等級資料比率).

The checks "run on the plan's cadence as background jobs whose results feed the KPIs"
(issue 4). `measures_for(organisation, period)` turns the recorded `CheckResult`s into the
figures the plan's KPI rows ask for, with the datasets behind every count so that a data
liaison can see why.

**Which results.** Those of the organisation's resources checked within the period (any
run: self-check 2-1, spot check 2-2, on demand, catalogue file), the *latest* one per
resource. The organisation is an agency (所屬機關) or the ministry together with its units;
`include_subtree=True` also takes in the agencies below it.

**Per dataset (資料集), each counted once per term** (a dataset with two resources, one
broken, is one broken link):

* 錯誤連結數 (broken links): a resource's latest result is *broken*. An *unknown* result (a
  timeout, 429/503, a reset: see `fetch.py`) is a transient problem and never broken.
* 開放資料集未及時更新數 (not updated on time): a resource's latest result says it is late
  against its 更新頻率 (`timely` is False). Unknown timeliness (不定期, no date) is not late.
* 錯誤資訊數 (wrong information): a resource that answered (latest result not unknown)
  does not match its metadata: the sniffed format is neither the declared 檔案格式 nor one
  compatible with it (verdict "mismatch"), or the detected encoding differs from the
  declared 編碼格式, or the header differs from 主要欄位說明. A check that could not be made
  (no declaration, a format without header) is not counted. MOL's note also names contact
  details (聯絡人資訊): those are not machine-checkable and are left to the liaison.
* 實際開放等級達三星等資料集數量 (three stars or more): the best openness stars among the
  dataset's judged resources is 3 or more (likewise 4 and 5 for the bonus rule).
* 實際開放資料集數量 (open datasets): the datasets with at least one judged (ok or broken)
  result in the period. Open datasets never checked in the period ("not checked") and
  datasets whose every latest result is unknown ("undetermined") are listed apart and are
  not in the denominator, so they are never silently counted as correct.

A dataset with two kinds of problem counts in both terms: the plan's formula adds the counts.

**Formula.** Read from the KPI rows of the plan version in force at the end of the period
(`KpiDefinition.measure` accuracy_rate / three_star_ratio): the formula text is parsed (its
names are the terms above, in Chinese as the plan writes them or by their English keys) and
evaluated exactly (fractions), then rounded to 4 decimals. A KPI whose unit is percent and
whose formula gives a share (no ×100, like MOL's three-star ratio) is shown ×100, as its
targets are written. When the plan has no such KPI, or its formula uses something the
checks cannot count, MOL's formula (004_b5b47495cfb08049.txt 陸 註2/註3) applies and the
measure says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.organisations.models import Organisation
from steward.quality.measures.datasets import (
    DatasetQuality,
    Evidence,
    OpenDataset,
    ResourceVerdict,
    covered_organisations,
    dataset_qualities,
    open_datasets,
    pick_latest,
    read_latest,
)
from steward.quality.measures.formulas import (
    TERM_LABELS,
    TERM_NAMES,
    Formula,
    parse_formula,
    to_decimal,
)
from steward.quality.measures.periods import MeasureError, Period, recent_periods

if TYPE_CHECKING:
    from steward.plans.models import KpiDefinition, PlanVersion

__all__ = [
    "TERM_LABELS",
    "TERM_NAMES",
    "DatasetQuality",
    "Evidence",
    "Formula",
    "Measure",
    "MeasureError",
    "OpenDataset",
    "Period",
    "QualityMeasures",
    "ResourceVerdict",
    "measures_for",
    "parse_formula",
    "recent_periods",
]

ACCURACY_RATE = "accuracy_rate"
THREE_STAR_RATIO = "three_star_ratio"
MEASURES = (ACCURACY_RATE, THREE_STAR_RATIO)

DEFAULT_KPIS: dict[str, dict[str, str]] = {
    ACCURACY_RATE: {
        "name": "定期更新及連結等資訊正確率",
        "formula": "正確率=(1-(開放資料集未及時更新數+錯誤連結數+錯誤資訊數)/實際開放資料集數量)*100",
        "unit": "percent",
        "evaluation_period": "quarterly",
    },
    THREE_STAR_RATIO: {
        "name": "三星等級資料比率",
        "formula": "實際開放等級達三星等資料集數量/實際開放資料集數量",
        "unit": "percent",
        "evaluation_period": "yearly",
    },
}
#: The terms each measure always shows, whatever its formula uses.
SHOWN_TERMS: dict[str, tuple[str, ...]] = {
    ACCURACY_RATE: ("not_timely", "broken_links", "wrong_info", "open_datasets"),
    THREE_STAR_RATIO: ("three_star", "four_star", "five_star", "open_datasets"),
}
#: The plan's evaluation periods (評估時間), named in the interface.
CADENCE_NAMES: dict[str, Any] = {
    "monthly": gettext_lazy("monthly"),
    "quarterly": gettext_lazy("quarterly"),
    "half_yearly": gettext_lazy("half-yearly"),
    "yearly": gettext_lazy("yearly"),
}


@dataclass(frozen=True)
class Measure:
    """One KPI computed from quality results: its counts, value, formula and datasets."""

    measure: str  # accuracy_rate / three_star_ratio
    name: str
    kpi_code: str  # "" when the plan has no KPI for this measure
    formula: str
    formula_from_plan: bool
    unit: str
    evaluation_period: str
    weight: Decimal | None
    target: Decimal | None
    counts: dict[str, int]  # term → count, every term of the formula and the shown ones
    value: Decimal | None  # None when nothing was judged (the formula divides by zero)
    datasets: dict[str, tuple[DatasetQuality, ...]]  # term → the datasets counted in it
    bonus_rule: str = ""
    note: str = ""  # why the default formula applies, if it does

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target

    @property
    def rows(self) -> list[TermRow]:
        """Each term with its label, count and datasets (with their evidence), in order."""
        return [
            TermRow(
                term=term,
                label=str(TERM_LABELS[term]),
                count=count,
                datasets=tuple((d, d.evidence(term)) for d in self.datasets[term]),
            )
            for term, count in self.counts.items()
        ]

    @property
    def evaluation_period_label(self) -> str:
        return str(CADENCE_NAMES.get(self.evaluation_period, self.evaluation_period))


@dataclass(frozen=True)
class TermRow:
    """One term of a measure, for the pages and the API."""

    term: str
    label: str
    count: int
    datasets: tuple[tuple[DatasetQuality, tuple[Evidence, ...]], ...]


@dataclass(frozen=True)
class QualityMeasures:
    """The quality KPIs of one organisation and period, and the datasets behind them."""

    organisation: Organisation
    period: Period
    include_subtree: bool
    plan_version: str  # the plan version whose KPI rows were read ("" for none)
    measures: tuple[Measure, ...]
    checked: tuple[DatasetQuality, ...]  # judged: the denominator
    undetermined: tuple[DatasetQuality, ...]  # every latest result unknown
    not_checked: tuple[OpenDataset, ...] = field(default=())

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.measure == name)


def plan_version_for(organisation: Organisation, period: Period) -> PlanVersion | None:
    """The version of the ministry's plan in force at the end of `period` (else the current)."""
    from steward.plans.document import current_version_for
    from steward.plans.models import PlanVersion

    in_force = (
        PlanVersion.objects.filter(plan__ministry=organisation.ministry, adopted_on__lte=period.end)
        .order_by("-adopted_on", "-pk")
        .first()
    )
    return in_force or current_version_for(organisation)


def _target(kpi: KpiDefinition, organisation: Organisation, year: int) -> Decimal | None:
    """The organisation's target for the year (a target for that year before one for every
    year); computed together, the KPI's targets are read once for every organisation."""
    from steward.evaluation.registry import shared

    targets: list[tuple[int, int | None, Decimal]] = shared(
        ("kpi_targets", kpi.pk),
        lambda: list(kpi.targets.values_list("organisation_id", "year", "value")),
    )
    found = [
        (found_year, value)
        for organisation_id, found_year, value in targets
        if organisation_id == organisation.pk and found_year in (year, None)
    ]
    found.sort(key=lambda pair: pair[0] is None)
    return found[0][1] if found else None


def _measure(
    name: str,
    kpi: KpiDefinition | None,
    organisation: Organisation,
    period: Period,
    datasets: list[DatasetQuality],
) -> Measure:
    default = DEFAULT_KPIS[name]
    note = ""
    formula_from_plan = False
    formula = parse_formula(default["formula"])
    if kpi is not None and kpi.formula.strip():
        try:
            formula = parse_formula(kpi.formula)
            formula_from_plan = True
        except MeasureError as error:
            note = _("%(error)s The default formula is used instead.") % {"error": error}
    elif kpi is not None:
        note = _("The plan gives no formula for this KPI; the default formula is used.")
    else:
        note = _("The plan has no such KPI; the default formula (MOL's) is shown for reference.")
    terms = list(dict.fromkeys([*SHOWN_TERMS[name], *formula.terms]))
    # one pass over the datasets for every term (a ministry's 3,000, for each organisation)
    found: dict[str, list[DatasetQuality]] = {term: [] for term in terms}
    for dataset in datasets:
        for term, counts_in in dataset.terms.items():
            if counts_in and term in found:
                found[term].append(dataset)
    members = {term: tuple(rows) for term, rows in found.items()}
    counts = {term: len(members[term]) for term in terms}
    unit = kpi.unit if kpi is not None else default["unit"]
    exact = formula.evaluate(counts)
    if exact is not None and unit == "percent" and not formula.gives_percent:
        exact *= 100
    return Measure(
        measure=name,
        name=kpi.name if kpi is not None else default["name"],
        kpi_code=kpi.code if kpi is not None else "",
        formula=formula.text,
        formula_from_plan=formula_from_plan,
        unit=unit,
        evaluation_period=(kpi.evaluation_period if kpi is not None else "")
        or default["evaluation_period"],
        weight=kpi.weight if kpi is not None else None,
        target=_target(kpi, organisation, period.year) if kpi is not None else None,
        counts=counts,
        value=to_decimal(exact) if exact is not None else None,
        datasets=members,
        bonus_rule=kpi.bonus_rule if kpi is not None else "",
        note=note,
    )


def measures_for(
    organisation: Organisation, period: Period, *, include_subtree: bool = False
) -> QualityMeasures:
    """The accuracy rate and three-star ratio of `organisation` in `period` (see the module doc).

    Scoping is the caller's: pass an organisation the person may see
    (`scope.organisation_for`); everything counted lies within its subtree.
    """
    from steward.evaluation.measuring import ministry_path, rows_of
    from steward.evaluation.registry import shared

    organisations = covered_organisations(organisation, include_subtree=include_subtree)
    bounds = period.bounds()
    rows = rows_of(
        organisation,
        organisations,
        ("latest_results", bounds),
        lambda ids: read_latest(ids, period),
        lambda row: row.organisation_id,
    )
    everything = dataset_qualities(pick_latest(rows))
    checked = [dataset for dataset in everything if dataset.judged]
    undetermined = [dataset for dataset in everything if not dataset.judged]
    seen = {dataset.identifier for dataset in everything}
    day = min(period.end, timezone.localdate())
    opened = rows_of(
        organisation,
        organisations,
        ("open_datasets", day),
        lambda ids: open_datasets(ids, day),
        lambda dataset: dataset.organisation_id,
    )
    not_checked = [dataset for dataset in opened if dataset.identifier not in seen]
    version = shared(
        ("plan_version_for", ministry_path(organisation), period.end),
        lambda: plan_version_for(organisation, period),
    )
    kpis: dict[str, KpiDefinition] = {}
    if version is not None:
        found: list[KpiDefinition] = shared(
            ("quality_kpis", version.pk),
            lambda: list(version.kpis.filter(measure__in=MEASURES).order_by("position")),
        )
        for kpi in found:
            kpis.setdefault(kpi.measure, kpi)
    return QualityMeasures(
        organisation=organisation,
        period=period,
        include_subtree=include_subtree,
        plan_version=str(version.label) if version is not None else "",
        measures=tuple(
            _measure(name, kpis.get(name), organisation, period, checked) for name in MEASURES
        ),
        checked=tuple(checked),
        undetermined=tuple(undetermined),
        not_checked=tuple(not_checked),
    )
