"""The quarterly progress report (季報) to the Executive Yuan's advisory group: datasets
opened against target per agency, the quality results, the feedback figures and the state
of the schedule, each from the app that owns it:

- targets: `inventory.targets.target_rows` (planned openings, opened, target, shortfall);
- quality: `quality.measures.measures_for` (the KPIs' own counts: broken links, late,
  wrong information, three stars) and `latest_results` (marks and stars per resource);
- feedback: `feedback.figures.figures_for` (received, replied, within the limit);
- schedule: the organisation's `tasks.Task` rows due in the period.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.feedback.figures import figures_for
from steward.inventory.targets import target_rows
from steward.lib.years import year_label
from steward.organisations.models import Organisation
from steward.plans.document import rules_for_organisation
from steward.quality.checks.scores import Mark, mark_words
from steward.quality.measures import measures_for
from steward.quality.measures.datasets import covered_organisations, latest_results
from steward.quality.measures.periods import Period
from steward.reports import charts
from steward.reports.builders.common import (
    agencies_of,
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
from steward.tasks.models import UNFINISHED, Task, TaskStatus

KEY = "quarterly_progress"


def _targets(organisation: Organisation, year: int) -> Section:
    rows = target_rows(organisation.subtree(), year)
    cells: list[tuple[Cell, ...]] = []
    for row in rows:
        name = row.organisation.name
        if row.whole_subtree:
            name = _("%(organisation)s and its agencies") % {"organisation": name}
        cells.append(
            (
                name,
                row.planned,
                row.opened,
                row.target if row.target is not None else no_target(),
                row.shortfall if row.target is not None else None,
                row.reason,
            )
        )
    table = Table(
        caption=_("Datasets opened against target, %(year)s") % {"year": year_label(year)},
        columns=(
            _("Organisation"),
            _("Planned openings"),
            _("Opened"),
            _("Target"),
            _("Shortfall"),
            _("Reason for the shortfall"),
        ),
        rows=tuple(cells),
        empty_text=no_data_text(),
        widths=(4, 2, 2, 2, 2, 4),
    )
    chart_rows = []
    for each_year in (year - 1, year):
        for row in target_rows(organisation.subtree(), each_year, with_totals=False):
            chart_rows.append(
                charts.TargetRow(
                    str(row.organisation), year_label(each_year), row.opened, row.target
                )
            )
    opened = sum(r.opened for r in rows if not r.whole_subtree)
    summary = _(
        "%(count)d datasets planned for %(year)s are open; %(short)d organisations are short "
        "of their target."
    ) % {
        "count": opened,
        "year": year_label(year),
        "short": sum(1 for r in rows if r.target is not None and r.shortfall > 0),
    }
    blocks = (
        Paragraph(summary),
        table,
        charts.datasets_against_target(chart_rows if rows else []),
    )
    return Section(_("Datasets against target"), blocks)


def _quarters_until(period: Period) -> list[Period]:
    """The quarters of the period's year up to the period's end (for marks over time)."""
    quarters = [Period(period.year, "quarter", n) for n in range(1, 5)]
    return [quarter for quarter in quarters if quarter.end <= period.end]


def _quality(organisation: Organisation, period: Period) -> Section:
    cells: list[tuple[Cell, ...]] = []
    agencies = agencies_of(organisation)
    if organisation not in agencies:
        agencies = [organisation, *agencies]  # the ministry itself (本部), then its agencies
    for agency in agencies:
        measures = measures_for(agency, period)
        checked = measures.checked
        if not checked and not measures.not_checked:
            continue
        values = {m.measure: m.value for m in measures.measures}
        cells.append(
            (
                agency.name,
                len(checked),
                sum(1 for d in checked if d.counts_in("broken_links")),
                sum(1 for d in checked if d.counts_in("not_timely")),
                sum(1 for d in checked if d.counts_in("wrong_info")),
                sum(1 for d in checked if d.counts_in("three_star")),
                len(measures.not_checked),
                percent(values.get("accuracy_rate")) if checked else no_data(),
            )
        )
    table = Table(
        caption=_("Quality check results, %(period)s") % {"period": str(period)},
        columns=(
            _("Organisation"),
            _("Datasets checked"),
            _("Broken links"),
            _("Not updated on time"),
            _("Wrong information"),
            _("Three stars or more"),
            _("Open but not checked"),
            _("Accuracy rate (%)"),
        ),
        rows=tuple(cells),
        empty_text=_("No quality checks in this period."),
    )
    everything = covered_organisations(organisation, include_subtree=True)
    stars: Counter[int] = Counter()
    for result in latest_results(everything, period):
        if result.stars is not None and result.state != "unknown":
            stars[result.stars] += 1
    marks: list[charts.MarkRow] = []
    order = [mark.value for mark in Mark]
    for quarter in _quarters_until(period):
        counted = Counter(r.mark for r in latest_results(everything, quarter) if r.mark)
        for value in sorted(counted, key=lambda v: order.index(v) if v in order else 99):
            marks.append(charts.MarkRow(str(quarter), mark_words(value), counted[value]))
    return Section(
        _("Data quality"),
        (table, charts.star_distribution(dict(stars)), charts.quality_marks_over_time(marks)),
    )


def _reply_days(item: Any) -> int:
    received = timezone.localtime(item.received_at).date()
    replied = timezone.localtime(item.replied_at).date()
    return (replied - received).days


def _feedback(organisation: Organisation, request: ReportRequest) -> Section:
    end = request.end + datetime.timedelta(days=1)
    rows: list[tuple[Cell, ...]] = []
    agencies = agencies_of(organisation)
    if agencies != [organisation]:
        agencies = [*agencies, organisation]
    days: list[int] = []
    for agency in agencies:
        figures = figures_for(agency, request.start, end)
        total = agency.pk == organisation.pk and len(agencies) > 1
        name = (
            _("%(organisation)s, in all") % {"organisation": agency.name} if total else agency.name
        )
        replied = [i for i in figures.items if i.replied_at is not None]
        if total or len(agencies) == 1:
            days = [_reply_days(i) for i in replied]
        if not figures.items and not total:
            continue
        rows.append(
            (
                name,
                figures.count,
                len(replied),
                len(figures.on_time.numerator),
                figures.on_time.percent if figures.items else no_data(),
                len(figures.overdue),
            )
        )
    table = Table(
        caption=_("Public feedback, %(period)s") % {"period": request.period_label},
        columns=(
            _("Organisation"),
            _("Received"),
            _("Replied"),
            _("Replied within the limit"),
            _("Reply rate within the limit (%)"),
            _("Overdue now"),
        ),
        rows=tuple(rows) if any(r[1] for r in rows) else (),
        empty_text=_("No feedback was received in this period."),
    )
    limit = rules_for_organisation(organisation).feedback.limit_days
    return Section(_("Public feedback"), (table, charts.reply_time_distribution(days, limit)))


def _schedule(organisation: Organisation, request: ReportRequest) -> Section:
    today = timezone.localdate()
    tasks = list(
        Task.objects.filter(
            organisation__path__startswith=organisation.path,
            due_date__gte=request.start,
            due_date__lte=request.end,
        )
        .select_related("organisation")
        .order_by("due_date", "code", "organisation__path")
    )
    rows: list[tuple[Cell, ...]] = []
    timeline: list[charts.ScheduleRow] = []
    done_count = late_count = 0
    for task in tasks:
        done = (
            timezone.localtime(task.completed_at).date()
            if task.completed_at and task.status not in UNFINISHED
            else None
        )
        late = (done is not None and done > task.due_date) or task.is_overdue(today)
        done_count += done is not None
        late_count += late
        title = f"{task.code} {task.title}".strip()
        rows.append(
            (
                title,
                task.organisation.name,
                task.due_date,
                done,
                str(TaskStatus(task.status).label),
                _("Late") if late else "",
            )
        )
        timeline.append(
            charts.ScheduleRow(f"{title}（{task.organisation}）", task.due_date, done, late)
        )
    summary = (
        _("%(count)d schedule items were due in this period: %(done)d done, %(late)d late.")
        % {"count": len(tasks), "done": done_count, "late": late_count}
        if tasks
        else _("No schedule items were due in this period.")
    )
    table = Table(
        caption=_("Schedule, %(period)s") % {"period": request.period_label},
        columns=(
            _("Item"),
            _("Organisation"),
            _("Deadline"),
            _("Completed"),
            _("Status"),
            _("Late"),
        ),
        rows=tuple(rows),
        empty_text=_("No schedule items in this period."),
        widths=(5, 3, 2, 2, 3, 1),
    )
    return Section(_("Schedule"), (Paragraph(summary), table, charts.schedule_timeline(timeline)))


@report_kind(
    KEY,
    label=gettext_lazy("Quarterly progress report"),
)
def quarterly_progress(request: ReportRequest) -> ReportDocument:
    organisation = request.organisation
    period = period_of(request)
    plan = plan_of(request)
    sections = (
        _targets(organisation, period.year),
        _quality(organisation, period),
        _feedback(organisation, request),
        _schedule(organisation, request),
    )
    return document(
        KEY,
        _("%(organisation)s open data progress report, %(period)s")
        % {"organisation": organisation.name, "period": request.period_label},
        request,
        sections,
        inputs_of(organisation, request, plan),
        fields={"plan": plan.name if plan else ""},
    )


def inputs_of(organisation: Organisation, request: ReportRequest, plan: Any) -> dict[str, Any]:
    """What the report read, for `inputs_version`: the last change of each source."""
    from django.db.models import Max

    from steward.feedback.models import FeedbackItem
    from steward.inventory.models import InventoryItem
    from steward.quality.models import CheckRun

    subtree = {"organisation__path__startswith": organisation.path}
    return {
        "period": [request.start.isoformat(), request.end.isoformat()],
        "plan_versions": list(plan.versions.values_list("pk", "sha256")) if plan else [],
        "inventory": InventoryItem.objects.filter(
            agency__path__startswith=organisation.path
        ).aggregate(n=Max("updated_at"))["n"],
        "checks": CheckRun.objects.filter(**subtree).aggregate(n=Max("progressed_at"))["n"],
        "feedback": FeedbackItem.objects.filter(**subtree).aggregate(n=Max("updated_at"))["n"],
        "tasks": list(
            Task.objects.filter(**subtree, due_date__range=(request.start, request.end))
            .order_by("pk")
            .values_list("pk", "status")
        ),
    }
