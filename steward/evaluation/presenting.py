"""What the evaluation pages and API show of a run: periods in 民國 years as the seeds write
them, the words for each term (never a measure's internal key), and each organisation's
KPIs combined over the parts of the period."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.evaluation import scoring
from steward.evaluation.models import EvaluationRun, KpiResult, Score
from steward.quality.measures.formulas import TERM_LABELS as QUALITY_TERMS
from steward.quality.measures.periods import Period

ROC_OFFSET = 1911

TERM_LABELS: dict[str, Any] = {
    **QUALITY_TERMS,
    "on_time": gettext_lazy("On time"),
    "not_on_time": gettext_lazy("Not on time"),
    "not_yet_due": gettext_lazy("Not yet answered, not yet due"),
    "all_items": gettext_lazy("Every item received"),
    "faster": gettext_lazy("Replied before the last day"),
    "bonus_share": gettext_lazy("Share counted for the bonus (%)"),
    "new_datasets": gettext_lazy("New open datasets"),
    "count": gettext_lazy("Counted"),
    "planned": gettext_lazy("Planned openings"),
    "target": gettext_lazy("Target"),
    "shortfall": gettext_lazy("Shortfall"),
    "sound": gettext_lazy("Datasets without a problem"),
    "with_problems": gettext_lazy("Datasets with a problem"),
    "accepted_reports": gettext_lazy("Accepted self-reports"),
    "meetings": gettext_lazy("Meetings held"),
    "civil_representatives": gettext_lazy("Civil representatives"),
}


def term_label(term: str) -> str:
    return str(TERM_LABELS.get(term, _("Other")))


def period_label(text: str) -> str:
    """“2026H1” → 「民國 115 年上半年」 (zh-Hant) / “ROC 115 (2026), first half”."""
    period = Period.parse(text)
    roc = period.year - ROC_OFFSET
    if period.kind == "quarter":
        return _("ROC year %(roc)s, quarter %(n)s") % {"roc": roc, "n": period.number}
    if period.kind == "half":
        if period.number == 1:
            return _("ROC year %(roc)s, first half") % {"roc": roc}
        return _("ROC year %(roc)s, second half") % {"roc": roc}
    return _("ROC year %(roc)s") % {"roc": roc}


@dataclass
class KpiRow:
    """One KPI of one organisation over the period (its parts combined)."""

    name: str
    unit: str
    parts: list[KpiResult]
    achievement: Decimal | None
    bonus: Decimal

    @property
    def split(self) -> bool:
        return len(self.parts) > 1


@dataclass
class OrganisationRow:
    score: Score
    kpis: list[KpiRow]


def table(run: EvaluationRun, organisation_ids: set[int] | None = None) -> list[OrganisationRow]:
    """The ranking with each organisation's KPIs, limited to `organisation_ids` if given."""
    days = [
        (datetime.date.fromisoformat(p["end"]) - datetime.date.fromisoformat(p["start"])).days + 1
        for p in run.parts
    ]
    results: dict[int, dict[str, list[KpiResult]]] = {}
    for result in run.results.order_by("part", "pk"):
        results.setdefault(result.organisation_id, {}).setdefault(result.kpi_code, []).append(
            result
        )
    rows = []
    for score in run.scores.select_related("organisation"):
        if organisation_ids is not None and score.organisation_id not in organisation_ids:
            continue
        kpis = []
        for parts in results.get(score.organisation_id, {}).values():
            achieved, bonus = scoring.combine_parts(
                [
                    scoring.PartResult(days[r.part], r.achievement, r.bonus, r.value, r.target)
                    for r in parts
                ],
                unit=parts[-1].unit,
            )
            kpis.append(KpiRow(parts[-1].kpi_name, parts[-1].unit, parts, achieved, bonus))
        rows.append(OrganisationRow(score, kpis))
    return rows
