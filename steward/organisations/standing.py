"""Where an organisation stands against every target of its plan today (home page).

For each organisation asked about: every KPI (績效指標) of its plan's current version and
every target (目標值) of the plan, with the organisation's target value and the figure from
`steward.evaluation.registry` for this year to date. A measure nobody registered yet is
shown as not computed (尚未計算); no data is shown as such, never as 0 %. Each figure has a
small bar chart drawn here as SVG numbers (no script; the template writes the elements).

The plan rows are read in a fixed number of queries whatever the number of organisations,
and so are the measures' rows: the measures are computed together
(`registry.computing_together(organisations)`), each reading its rows once for every
organisation shown (`evaluation.measuring.rows_of`). A standing is kept STEWARD_DASHBOARD_CACHE_SECONDS
for the same organisations, day and language (`kept_standings_for`; the page says when it was
computed): every liaison of an agency opens the same home page.

Measured (bench/dashboard.py, MOL with 7 agencies, 3,000 datasets, 24,000 verdicts, SQLite):
one home page of the information centre computed 3.6 s → 2.1 s with shared reads (under
cProfile, `--profile`); with the rows read once for every organisation (and the changes
docs/benchmarks.md lists under "Dashboards computed fresh") 1.0–1.2 s → 0.4 s (p50).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from steward.evaluation import registry
from steward.evaluation.registry import Figure, MeasureContext
from steward.organisations.models import Organisation
from steward.plans.models import KpiDefinition, KpiTarget, PlanVersion, Target, TargetMeasure

logger = logging.getLogger(__name__)

CHART_WIDTH = 120
CHART_HEIGHT = 14


@dataclass(frozen=True)
class Chart:
    """A horizontal bar (the figure) and a tick (the target) in a CHART_WIDTH box."""

    bar: int
    target_x: int | None
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


@dataclass(frozen=True)
class Indicator:
    """A column: a plan KPI or target measure."""

    key: str
    label: str
    measure: str
    unit: str
    kpi: KpiDefinition | None = None
    covers_subtree: bool = False


@dataclass
class Cell:
    indicator: Indicator
    target: Decimal | None
    computed: bool  # a measure is registered under the plan's name
    failed: bool = False
    figure: Figure | None = None
    chart: Chart | None = None

    @property
    def value(self) -> Decimal | None:
        return self.figure.value if self.figure is not None else None

    @property
    def percent(self) -> bool:
        return self.indicator.unit == "percent"


@dataclass
class Row:
    organisation: Organisation
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Standing:
    """The table for one plan version: indicators as columns, organisations as rows."""

    version: PlanVersion
    indicators: list[Indicator]
    rows: list[Row]
    start: datetime.date
    end: datetime.date
    computed_at: datetime.datetime = field(default_factory=timezone.now)


def chart_for(value: Decimal | None, target: Decimal | None, *, percent: bool) -> Chart | None:
    if value is None:
        return None
    scale = Decimal(100) if percent else max(value, target or Decimal(0), Decimal(1))
    scale = max(scale, value)

    def x(amount: Decimal) -> int:
        return int(min(CHART_WIDTH, max(0, round(amount / scale * CHART_WIDTH))))

    return Chart(bar=x(value), target_x=x(target) if target is not None else None)


def _current_versions(ministries: Sequence[Organisation]) -> dict[int, PlanVersion]:
    versions: dict[int, PlanVersion] = {}
    for version in (
        PlanVersion.objects.filter(plan__ministry__in=ministries)
        .select_related("plan")
        .order_by("plan__ministry_id", "-adopted_on", "-pk")
    ):
        versions.setdefault(version.plan.ministry_id, version)  # type: ignore[arg-type]
    return versions


def standings_for(
    organisations: Sequence[Organisation],
    ministry: Organisation,
    *,
    today: datetime.date,
    columns_of: Sequence[Organisation] = (),
) -> Standing | None:
    """The standing of `organisations` (all in `ministry`) under its current plan version.

    A plan target is a column when one of `organisations` has it, or one of `columns_of`
    (a drill-down computes one row of a board, with the board's columns)."""
    version = _current_versions([ministry]).get(ministry.pk)
    if version is None:
        return None
    year = today.year
    start = datetime.date(year, 1, 1)
    kpis = list(KpiDefinition.objects.filter(version=version).order_by("position", "pk"))
    indicators = [
        Indicator(
            key=f"kpi:{kpi.code}", label=kpi.name, measure=kpi.measure, unit=kpi.unit, kpi=kpi
        )
        for kpi in kpis
    ]
    ids = [organisation.pk for organisation in organisations]
    this_year = Q(year__isnull=True) | Q(year=year)
    kpi_targets: dict[tuple[int, int], Decimal] = {}
    for kpi_target in KpiTarget.objects.filter(this_year, kpi__in=kpis, organisation_id__in=ids):
        pair = (kpi_target.kpi_id, kpi_target.organisation_id)
        if kpi_target.year is not None or pair not in kpi_targets:  # the year's own wins
            kpi_targets[pair] = kpi_target.value
    targets: dict[tuple[str, bool, int], Decimal] = {}
    target_kinds: list[tuple[str, bool]] = []
    columns = {*ids, *(organisation.pk for organisation in columns_of)}
    for plan_target in Target.objects.filter(
        this_year, version=version, organisation_id__in=columns
    ).order_by("year"):
        kind = (plan_target.measure, plan_target.covers_subtree)
        if kind not in target_kinds:
            target_kinds.append(kind)
        if plan_target.organisation_id not in ids:
            continue
        key = (plan_target.measure, plan_target.covers_subtree, plan_target.organisation_id)
        if plan_target.year is not None or key not in targets:
            targets[key] = Decimal(plan_target.value)
    for measure, subtree in sorted(target_kinds):
        indicators.append(
            Indicator(
                key=f"target:{measure}:{int(subtree)}",
                label=str(TargetMeasure(measure).label),
                measure=measure,
                unit="count",
                covers_subtree=subtree,
            )
        )
    rows = []
    with registry.computing_together(organisations):
        for organisation in organisations:
            row = Row(organisation)
            for indicator in indicators:
                target: Decimal | None
                if indicator.kpi is not None:
                    target = kpi_targets.get((indicator.kpi.pk, organisation.pk))
                else:
                    key = (indicator.measure, indicator.covers_subtree, organisation.pk)
                    target = targets.get(key)
                row.cells.append(
                    _cell(indicator, target, organisation, version, start=start, end=today)
                )
            rows.append(row)
    return Standing(version, indicators, rows, start, today)


def kept_standings_for(
    organisations: Sequence[Organisation], ministry: Organisation, *, today: datetime.date
) -> Standing | None:
    """`standings_for`, kept STEWARD_DASHBOARD_CACHE_SECONDS (0: computed every time) for
    the same organisations, day and language. Asked only for organisations the person may
    see (the caller's scoping), so whoever shares the key may see the same figures."""
    seconds = settings.STEWARD_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return standings_for(organisations, ministry, today=today)
    ids = ",".join(str(organisation.pk) for organisation in organisations)
    digest = hashlib.sha256(ids.encode()).hexdigest()[:24]
    key = f"standing:{ministry.pk}:{digest}:{today}:{get_language()}"
    standing: Standing | None = cache.get(key)
    if standing is None:
        standing = standings_for(organisations, ministry, today=today)
        cache.set(key, standing, seconds)
    return standing


def _cell(
    indicator: Indicator,
    target: Decimal | None,
    organisation: Organisation,
    version: PlanVersion,
    *,
    start: datetime.date,
    end: datetime.date,
) -> Cell:
    if not registry.is_registered(indicator.measure):
        return Cell(indicator, target, computed=False)
    spec = registry.get(indicator.measure)
    context = MeasureContext(
        organisation=organisation,
        start=start,
        end=end,
        version=version,
        kpi=indicator.kpi,
        include_subtree=indicator.covers_subtree,
    )
    try:
        figure = spec.function(context)
    except Exception:  # one broken measure must not take the home page down
        logger.exception("KPI measure %s failed for %s", indicator.measure, organisation.key)
        return Cell(indicator, target, computed=True, failed=True)
    chart = chart_for(figure.value, target, percent=indicator.unit == "percent")
    return Cell(indicator, target, computed=True, figure=figure, chart=chart)
