"""The half-year and annual evaluation report (績效評估): the ranking, each agency's KPI
achievement with the formula's terms, the award list (敘獎, approved or proposed, as it
stands) and the improvement reports (限期改善或說明報告) with their deadlines.

Everything comes from the latest evaluation run of the plan for the period
(`evaluation.runs`, read through `evaluation.presenting` as the run's page reads it). A
report never runs an evaluation itself (a run is a recorded act of the information
centre): when there is none for the period, the report says so.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.evaluation import presenting
from steward.evaluation.models import AwardList, AwardStatus, EvaluationRun, ReportStatus
from steward.lib.years import date_label
from steward.organisations.models import Organisation
from steward.reports import charts
from steward.reports.builders.common import (
    document,
    no_data,
    no_data_text,
    no_target,
    percent,
    period_of,
    plan_of,
)
from steward.reports.document import Cell, Paragraph, ReportDocument, Section, Table
from steward.reports.kinds import ReportRequest, report_kind

KEY = "evaluation"


def latest_run(plan: Any, period_key: str) -> EvaluationRun | None:
    if plan is None:
        return None
    return (
        EvaluationRun.objects.filter(plan=plan, period=period_key)
        .order_by("-computed_at", "-pk")
        .first()
    )


def _terms(kpi: presenting.KpiRow) -> str:
    parts = []
    for part in kpi.parts:
        words = "；".join(
            f"{presenting.term_label(term)}：{value}" for term, value in part.terms.items()
        )
        if kpi.split:
            words = f"{part.version_label}：{words}"
        if words:
            parts.append(words)
    return "／".join(parts)


def _figure(value: Decimal | None, unit: str) -> Cell:
    if value is None:
        return no_data()
    return percent(value) if unit == "percent" else value.normalize()


def _score(value: Decimal) -> Decimal:
    """An overall score or bonus to two decimals, as the evaluation page shows it: to one,
    agencies ranked 1st and 5th both read 94.9 (their scores 94.93 and 94.87)."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _subtree_ids(organisation: Organisation) -> set[int]:
    return set(organisation.subtree().values_list("pk", flat=True))


def _sections(run: EvaluationRun, organisation: Organisation) -> tuple[Section, ...]:
    rows = presenting.table(run, _subtree_ids(organisation))
    ranking: list[tuple[Cell, ...]] = []
    achievement: list[charts.AchievementRow] = []
    for row in rows:
        score = row.score
        ranking.append(
            (
                score.rank,
                score.organisation.name,
                _score(score.overall) if score.overall is not None else no_data(),
                _score(score.bonus),
                "、".join(score.below_target),
            )
        )
        achievement.append(charts.AchievementRow(str(score.organisation), score.overall))
    ranking_table = Table(
        caption=_("Ranking"),
        columns=(_("Rank"), _("Organisation"), _("Overall"), _("Bonus"), _("Below target")),
        rows=tuple(ranking),
        empty_text=no_data_text(),
        widths=(1, 4, 2, 2, 4),
    )
    kpi_rows: list[tuple[Cell, ...]] = []
    for row in rows:
        for kpi in row.kpis:
            last = kpi.parts[-1]
            target = last.target
            kpi_rows.append(
                (
                    row.score.organisation.name,
                    kpi.name,
                    _figure(last.value, kpi.unit),
                    _figure(target, kpi.unit) if target is not None else no_target(),
                    percent(kpi.achievement)
                    if kpi.achievement is not None
                    else (no_target() if target is None else no_data()),
                    _terms(kpi),
                )
            )
    kpi_table = Table(
        caption=_("KPI achievement per agency"),
        columns=(
            _("Organisation"),
            _("Indicator"),
            _("Figure"),
            _("Target"),
            _("Achievement (%)"),
            _("Terms of the formula"),
        ),
        rows=tuple(kpi_rows),
        empty_text=no_data_text(),
        widths=(3, 4, 2, 2, 2, 5),
    )
    award = AwardList.objects.filter(run=run).prefetch_related("organisations").first()
    if award is None:
        award_blocks: tuple[Any, ...] = (
            Paragraph(
                _(
                    "This evaluation has no award list (the plan names no number of awards, or this is not its evaluation period)."
                )
            ),
        )
    else:
        names = [o.name for o in award.organisations.order_by("path")]
        state = str(AwardStatus(award.status).label)
        award_blocks = (
            Paragraph(
                _("Award list (敘獎), %(state)s: %(names)s.")
                % {"state": state, "names": "、".join(names) if names else _("none ranked")}
            ),
        )
        if award.status == AwardStatus.PROPOSED:
            award_blocks += (
                Paragraph(_("The list is proposed and not yet approved by the head.")),
            )
    reports = run.improvement_reports.filter(
        organisation_id__in=_subtree_ids(organisation)
    ).select_related("organisation")
    improvement = Table(
        caption=_("Improvement reports"),
        columns=(_("Organisation"), _("Indicators below target"), _("Due on"), _("Status")),
        rows=tuple(
            (r.organisation.name, "、".join(r.kpis), r.due_on, str(ReportStatus(r.status).label))
            for r in reports
        ),
        empty_text=_("None required."),
        widths=(4, 5, 2, 3),
    )
    parts = "；".join(
        _("Version %(label)s: %(start)s to %(end)s")
        % {
            "label": p["label"],
            "start": date_label(datetime.date.fromisoformat(p["start"])),
            "end": date_label(datetime.date.fromisoformat(p["end"])),
        }
        for p in run.parts
    )
    return (
        Section(
            _("Ranking"),
            (
                Paragraph(
                    _("Evaluation computed on %(when)s. %(parts)s")
                    % {"when": date_label(timezone.localdate(run.computed_at)), "parts": parts}
                ),
                ranking_table,
                charts.kpi_achievement_ranked(achievement),
            ),
        ),
        Section(_("KPI achievement per agency"), (kpi_table,)),
        Section(_("Award list (敘獎)"), award_blocks),
        Section(_("Improvement reports"), (improvement,)),
    )


@report_kind(
    KEY,
    label=gettext_lazy("Evaluation report (half year or year)"),
)
def evaluation(request: ReportRequest) -> ReportDocument:
    organisation = request.organisation
    period = period_of(request)
    plan = plan_of(request)
    run = latest_run(plan, period.label)
    if run is None:
        sections: tuple[Section, ...] = (
            Section(
                _("Ranking"),
                (
                    Paragraph(
                        _(
                            "No evaluation has been run for %(period)s yet: the information centre runs it on the evaluation page, then this report shows its results."
                        )
                        % {"period": request.period_label}
                    ),
                ),
            ),
        )
    else:
        sections = _sections(run, organisation)
    return document(
        KEY,
        _("%(organisation)s open data evaluation, %(period)s")
        % {"organisation": organisation.name, "period": request.period_label},
        request,
        sections,
        fields={"plan": plan.name if plan else "", "run": run.pk if run else None},
        inputs={
            "period": period.label,
            "run": run.pk if run else None,
            "award": list(AwardList.objects.filter(run=run).values_list("status", "decided_at"))
            if run
            else [],
            "reports": list(
                run.improvement_reports.order_by("pk").values_list("pk", "status", "due_on")
            )
            if run
            else [],
        },
    )
