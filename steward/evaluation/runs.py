"""Running an evaluation (績效評估) of a plan for a period: every KPI of every organisation
the plan evaluates, under the plan version in force for each part of the period, then the
overall scores, the ranking, the award list and the improvement reports.

Which KPIs: those whose evaluation period (評估時間, else the plan's evaluation cadence) is
no longer than the period asked (a quarterly KPI is in a year's evaluation, a yearly one is
not in a quarter's). Which organisations: those the part's KPI targets name; when a plan
names none (DGBAS states no targets), its agencies, else its units. An organisation named
only from a later version (added mid-period) is evaluated from that version's first day.

A run records what it read (`inputs`: each figure with its terms and every record counted)
and, against the previous run of the same plan and period, what changed (`changes`), so a
re-run after late data shows why the ranking moved.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.evaluation import registry, scoring
from steward.evaluation.models import (
    AwardList,
    AwardStatus,
    EvaluationRun,
    ImprovementReport,
    KpiResult,
    ReportStatus,
    Score,
)
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, require
from steward.plans.document import rules_for
from steward.plans.models import KpiDefinition, KpiTarget, Plan, PlanVersion
from steward.quality.measures.periods import Period

CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
#: Days an organisation below target has to hand in its improvement report (限期). The
#: plans set no number; a month is the usual 限期 of a government letter.
IMPROVEMENT_REPORT_DAYS = 30


class EvaluationError(Exception):
    """The evaluation cannot be run as asked (translatable message)."""


@dataclass(frozen=True)
class Part:
    """Days of the period under one plan version."""

    version: PlanVersion
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parts_of(plan: Plan, start: datetime.date, end: datetime.date) -> list[Part]:
    """The versions in force over [start, end], each with its days (a version adopted
    mid-period starts a new part; days before the first version are not evaluated)."""
    versions = list(plan.versions.order_by("adopted_on", "pk"))
    parts: list[Part] = []
    for index, version in enumerate(versions):
        following = versions[index + 1].adopted_on if index + 1 < len(versions) else None
        first = max(version.adopted_on, start)
        last = min(end, following - datetime.timedelta(days=1)) if following else end
        if first <= last:
            parts.append(Part(version, first, last))
    return parts


def kpis_for(version: PlanVersion, months: int) -> list[KpiDefinition]:
    cadence = rules_for(version).evaluation.cadence
    return [
        kpi
        for kpi in version.kpis.order_by("position", "pk")
        if CADENCE_MONTHS.get(kpi.evaluation_period or cadence, 12) <= months
    ]


def organisations_for(version: PlanVersion, kpis: list[KpiDefinition]) -> list[Organisation]:
    named = Organisation.objects.filter(
        pk__in=KpiTarget.objects.filter(kpi__in=kpis).values("organisation")
    )
    if named.exists():
        return list(named.order_by("path"))
    ministry = version.plan.ministry
    if ministry is None:
        return []
    below = ministry.subtree().exclude(pk=ministry.pk)
    for kind in (OrganisationKind.AGENCY, OrganisationKind.UNIT):
        found = list(below.filter(kind=kind).order_by("path"))
        if found:
            return found
    return [ministry]


def _target(kpi: KpiDefinition, organisation: Organisation, year: int) -> Decimal | None:
    targets = {t.year: t.value for t in kpi.targets.all() if t.organisation_id == organisation.pk}
    return targets.get(year, targets.get(None))


def _figure(kpi: KpiDefinition, context: registry.MeasureContext) -> registry.Figure:
    if not registry.is_registered(kpi.measure):
        return registry.Figure(None, note=_("This figure is not computed yet."))
    return registry.get(kpi.measure).function(context)


def run_evaluation(
    plan: Plan,
    period: Period,
    *,
    by: Person | None,
    now: datetime.datetime | None = None,
) -> EvaluationRun:
    """Evaluate `plan` for `period`; `by=None` is the server's operator (command line, jobs)."""
    ministry = plan.ministry
    if ministry is None:
        raise EvaluationError(_("The plan belongs to no ministry."))
    if by is not None:
        require(by, Action.EVALUATION_RUN, ministry)
    moment = now or timezone.now()
    parts = parts_of(plan, period.start, period.end)
    if not parts:
        raise EvaluationError(
            _("No version of the plan is in force between %(start)s and %(end)s.")
            % {"start": period.start.isoformat(), "end": period.end.isoformat()}
        )
    if not any(kpis_for(part.version, period.months) for part in parts):
        raise EvaluationError(
            _("The plan sets no indicator evaluated over a period of %(months)s months.")
            % {"months": period.months}
        )
    rows: list[KpiResult] = []
    first_part: dict[int, int] = {}
    organisations: dict[int, Organisation] = {}
    for index, part in enumerate(parts):
        kpis = list(
            KpiDefinition.objects.filter(
                pk__in=[k.pk for k in kpis_for(part.version, period.months)]
            )
            .order_by("position", "pk")
            .prefetch_related("targets")
        )
        for organisation in organisations_for(part.version, kpis):
            organisations.setdefault(organisation.pk, organisation)
            first_part.setdefault(organisation.pk, index)
            for kpi in kpis:
                context = registry.MeasureContext(
                    organisation=organisation,
                    start=part.start,
                    end=part.end,
                    version=part.version,
                    kpi=kpi,
                )
                figure = _figure(kpi, context)
                target = _target(kpi, organisation, period.year)
                rows.append(
                    KpiResult(
                        organisation=organisation,
                        kpi_code=kpi.code,
                        kpi_name=kpi.name,
                        measure=kpi.measure,
                        unit=kpi.unit,
                        version_label=part.version.label,
                        part=index,
                        weight=kpi.weight,
                        value=figure.value,
                        target=target,
                        achievement=scoring.achievement(figure.value, target),
                        bonus=scoring.bonus(kpi.bonus_rule, figure.terms)
                        if figure.value is not None
                        else Decimal(0),
                        terms={k: str(v) for k, v in figure.terms.items()},
                        counted=[
                            {"term": c.term, "label": c.label, "url": c.url} for c in figure.counted
                        ],
                        note=figure.note,
                    )
                )
    scores = score_rows(rows, parts)
    last_version = parts[-1].version
    rules = rules_for(last_version).evaluation
    inputs = {"figures": [_input(row) for row in rows]}
    with transaction.atomic():
        previous = (
            EvaluationRun.objects.filter(plan=plan, period=period.label)
            .order_by("-computed_at", "-pk")
            .first()
        )
        run = EvaluationRun.objects.create(
            plan=plan,
            period=period.label,
            start=period.start,
            end=period.end,
            computed_at=moment,
            computed_by=by,
            parts=[
                {"label": p.version.label, "start": p.start.isoformat(), "end": p.end.isoformat()}
                for p in parts
            ],
            inputs=inputs,
            changes=changes_between(previous.inputs if previous else None, inputs, organisations),
            award_top_n=rules.award_top_n,
        )
        for row in rows:
            row.run = run
        KpiResult.objects.bulk_create(rows)
        ranked = scoring.ranks({pk: overall for pk, (overall, _b, _below) in scores.items()})
        Score.objects.bulk_create(
            Score(
                run=run,
                organisation_id=pk,
                overall=overall,
                bonus=bonus,
                rank=ranked[pk],
                below_target=below,
                evaluated_from=parts[first_part[pk]].start if first_part[pk] else None,
            )
            for pk, (overall, bonus, below) in scores.items()
        )
        overall_of = {pk: overall for pk, (overall, _b, _below) in scores.items()}
        awarded = _award_list(run, ranked, overall_of, rules.award_top_n, rules.cadence, period)
        reports = _improvement_reports(
            run, scores, organisations, rules.improvement_report_below_target, moment
        )
        record(
            actor=by,
            action="evaluation.run",
            subject=run,
            organisation=ministry,
            comment=period.label,
            changes={
                "versions": [p.version.label for p in parts],
                "figures": len(rows),
                "changed": len(run.changes),
                "awarded": awarded,
                "improvement_reports": reports,
            },
        )
    return run


def score_rows(
    rows: list[KpiResult], parts: list[Part]
) -> dict[int, tuple[Decimal | None, Decimal, list[str]]]:
    """organisation pk → (overall, bonus, names of the KPIs below target)."""
    by_kpi: dict[tuple[int, str], list[KpiResult]] = {}
    for row in rows:
        by_kpi.setdefault((row.organisation.pk, row.kpi_code), []).append(row)
    per_org: dict[int, list[tuple[Decimal, Decimal | None, Decimal]]] = {}
    below: dict[int, list[str]] = {}
    for (organisation, _code), kpi_rows in by_kpi.items():
        achieved, bonus = scoring.combine_parts(
            [
                scoring.PartResult(parts[r.part].days, r.achievement, r.bonus, r.value, r.target)
                for r in kpi_rows
            ],
            unit=kpi_rows[-1].unit,
        )
        per_org.setdefault(organisation, []).append((kpi_rows[-1].weight, achieved, bonus))
        below.setdefault(organisation, [])
        if achieved is not None and achieved < scoring.HUNDRED:  # below target over the period
            below[organisation].append(kpi_rows[-1].kpi_name)
    return {
        pk: (
            scoring.overall(kpis),
            sum((b for _w, a, b in kpis if a is not None), Decimal(0)),
            below[pk],
        )
        for pk, kpis in per_org.items()
    }


def _input(row: KpiResult) -> dict[str, Any]:
    return {
        "organisation": row.organisation.pk,
        "kpi": row.kpi_code,
        "part": row.version_label,
        "value": None if row.value is None else str(row.value),
        "terms": row.terms,
        "counted": sorted(f"{c['term']}:{c['label']}" for c in row.counted),
    }


def changes_between(
    before: dict[str, Any] | None, after: dict[str, Any], organisations: dict[int, Organisation]
) -> list[dict[str, Any]]:
    """What a re-run computed differently: each figure whose value or records changed."""
    if before is None:
        return []
    old = {(f["organisation"], f["kpi"], f["part"]): f for f in before.get("figures", [])}
    found = []
    for figure in after["figures"]:
        key = (figure["organisation"], figure["kpi"], figure["part"])
        earlier = old.get(key)
        if (
            earlier is not None
            and earlier["value"] == figure["value"]
            and earlier["counted"] == figure["counted"]
        ):
            continue
        earlier_counted = set(earlier["counted"]) if earlier else set()
        organisation = organisations.get(figure["organisation"])
        found.append(
            {
                "organisation": organisation.name if organisation else "",
                "kpi": figure["kpi"],
                "part": figure["part"],
                "before": earlier["value"] if earlier else None,
                "after": figure["value"],
                "added": sorted(set(figure["counted"]) - earlier_counted),
                "removed": sorted(earlier_counted - set(figure["counted"])),
            }
        )
    return found


def _award_list(
    run: EvaluationRun,
    ranked: dict[int, int | None],
    overall: dict[int, Decimal | None],
    top_n: int | None,
    cadence: str,
    period: Period,
) -> list[int]:
    """The top-N list (敘獎) of a run for the plan's own evaluation period, for the head.

    Only an organisation that achieved something (an overall score above zero) is proposed:
    when nobody has data, or everybody scores nothing, the list is empty, not everybody.
    """
    if not top_n or CADENCE_MONTHS.get(cadence, 12) != period.months:
        return []
    chosen = [
        pk
        for pk, rank in ranked.items()
        if rank is not None and rank <= top_n and (overall.get(pk) or 0) > 0
    ]
    award = AwardList.objects.create(run=run, status=AwardStatus.PROPOSED)
    award.organisations.set(chosen)
    return sorted(chosen)


def _improvement_reports(
    run: EvaluationRun,
    scores: dict[int, tuple[Decimal | None, Decimal, list[str]]],
    organisations: dict[int, Organisation],
    required: bool,
    moment: datetime.datetime,
) -> list[int]:
    """Require a report of each organisation below target, when the plan says so; a re-run
    updates the requirement, and drops it where late data brought the figures up to target
    before anything was handed in."""
    if not required:
        return []
    due = timezone.localtime(moment).date() + datetime.timedelta(days=IMPROVEMENT_REPORT_DAYS)
    found = []
    for pk, (_overall, _bonus, below) in scores.items():
        existing = ImprovementReport.objects.filter(
            plan=run.plan, period=run.period, organisation_id=pk
        ).first()
        if not below:
            if existing is not None and existing.status == ReportStatus.REQUIRED:
                existing.delete()
            continue
        if existing is None:
            ImprovementReport.objects.create(
                plan=run.plan, period=run.period, run=run, organisation=organisations[pk],
                kpis=below, due_on=due,
            )  # fmt: skip
        else:
            existing.run, existing.kpis = run, below
            existing.save(update_fields=["run", "kpis"])
        found.append(pk)
    return found
