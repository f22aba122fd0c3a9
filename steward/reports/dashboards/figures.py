"""What a dashboard shows, gathered from the apps that own each figure (one home per rule).

* KPI figures and targets today: `organisations.standing.standings_for` (the evaluation
  registry's measures against the plan's KPI targets and targets), the same table as the
  home page; achievement and the overall score through `evaluation.scoring`.
* Datasets opened against the inventory target: `inventory.targets.target_rows`.
* Quality marks and openness stars: the latest verdict of each resource checked in a period,
  `quality.measures.datasets.latest_results`.
* Feedback: `feedback.figures.figures_for` (count, reply rate, reply times, overdue).
* Tasks and schedule deadlines: `tasks` (the schedule's work per organisation, with the
  tasks app's own visibility rule) and `plans.ScheduledDeadline`.
* What waits on a committee: `committees.agenda.waiting_for`.

Every query here is made once per dashboard, never once per agency (`test_dashboard.py`
counts them); each KPI figure costs what its measure costs, as on the home page.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.committees.agenda import Waiting
from steward.committees.agenda import waiting_for as committee_waiting
from steward.committees.models import Committee
from steward.evaluation import scoring
from steward.evaluation.registry import Counted
from steward.feedback.figures import Figures, figures_for, reply_hours
from steward.inventory.targets import TargetRow as InventoryTargetRow
from steward.inventory.targets import target_rows
from steward.lib.years import year_label
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.standing import Cell, Row, Standing, standings_for
from steward.plans.document import rules_for_organisation
from steward.plans.models import ScheduledDeadline
from steward.quality.checks.scores import mark_words
from steward.quality.measures.datasets import marks_by_period
from steward.quality.measures.periods import Period
from steward.reports import charts
from steward.reports.document import Chart
from steward.tasks.access import visible_tasks
from steward.tasks.models import UNFINISHED, Task

#: How far ahead "due next" looks, and how many rows a late / due-next list shows.
DUE_NEXT_DAYS = 30
LIST_ROWS = 20
#: Quarters shown in "quality marks over time".
MARK_QUARTERS = 4
#: The order marks are stacked and listed in.
MARK_ORDER = ("gold", "silver", "bronze", "none")


@dataclass
class Schedule:
    """The year's tasks of some organisations: late, due next, and the timeline."""

    late: list[Task]
    late_count: int
    due_next: list[Task]
    due_next_count: int
    deadlines: list[ScheduledDeadline]
    timeline: Chart


@dataclass
class Quality:
    period: Period | None  # the latest quarter with verdicts (the stars are of it)
    judged: int  # resources judged in that quarter
    stars: Chart
    marks: Chart


@dataclass
class Feedback:
    figures: Figures
    limit_days: int
    reply_times: Chart


#: Records of a figure listed on an agency's dashboard (the rest: the evaluation's page).
COUNTED_ROWS = 20


@dataclass(frozen=True)
class CellLink:
    """A standing cell with the page of the records its figure counted (`views.figure`: the
    figure computed again, this year to date), and the first of those records."""

    cell: Cell
    url: str
    counted: tuple[Counted, ...] = ()
    counted_total: int = 0


@dataclass(frozen=True)
class TableRow:
    organisation: Organisation
    cells: list[CellLink]


@dataclass
class Dashboard:
    """Everything the centre's or an agency's dashboard shows."""

    organisation: Organisation  # the ministry (centre) or the agency
    ministry: Organisation
    today: datetime.date
    period: Period  # the quarter the export menu offers (this quarter)
    standing: Standing | None
    targets: list[InventoryTargetRow]
    schedule: Schedule
    quality: Quality
    feedback: Feedback
    charts: list[Chart] = field(default_factory=list)
    table: list[TableRow] = field(default_factory=list)
    computed_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def target(self) -> InventoryTargetRow | None:
        """The organisation's own target row this year (the agency dashboard's figure)."""
        return next((r for r in self.targets if r.organisation.pk == self.organisation.pk), None)


def ministry_and_agencies(ministry: Organisation) -> list[Organisation]:
    """The ministry (本部) and every agency of it, in tree order: the centre's rows."""
    return list(
        Organisation.objects.filter(
            path__startswith=ministry.path,
            kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY],
        ).order_by("path")
    )


# ---- KPIs ------------------------------------------------------------------------------------


def overall_achievement(row: Row) -> Decimal | None:
    """An organisation's overall KPI achievement today, as an evaluation run scores it."""
    kpis = []
    for cell in row.cells:
        kpi = cell.indicator.kpi
        if kpi is None:
            continue
        terms = cell.figure.terms if cell.figure is not None else {}
        kpis.append(
            (
                kpi.weight,
                scoring.achievement(cell.value, cell.target),
                scoring.bonus(kpi.bonus_rule, terms),
            )
        )
    return scoring.overall(kpis)


def achievement_chart(standing: Standing | None) -> Chart:
    rows = [
        charts.AchievementRow(row.organisation.name, overall_achievement(row))
        for row in (standing.rows if standing is not None else [])
    ]
    return charts.kpi_achievement_ranked(rows)


# ---- datasets against target -------------------------------------------------------------------


def targets_over_years(
    organisations: list[Organisation], today: datetime.date
) -> tuple[list[InventoryTargetRow], Chart]:
    """This year's target rows, and the chart of last year and this year side by side."""
    ids = [organisation.pk for organisation in organisations]
    queryset = Organisation.objects.filter(pk__in=ids)
    by_year = {
        year: target_rows(queryset, year, with_totals=False)
        for year in (today.year - 1, today.year)
    }
    rows = [
        charts.TargetRow(row.organisation.name, year_label(year), row.opened, row.target)
        for organisation in organisations
        for year, year_rows in by_year.items()
        for row in year_rows
        if row.organisation.pk == organisation.pk
    ]
    return by_year[today.year], charts.datasets_against_target(rows)


# ---- quality ------------------------------------------------------------------------------------


def quality_of(organisation: Organisation, today: datetime.date) -> Quality:
    """Marks per quarter over the last quarters, and the stars of the latest judged quarter."""
    covered = list(organisation.subtree().values_list("pk", flat=True))
    periods = [Period.quarter_of(today)]
    while len(periods) < MARK_QUARTERS:
        periods.append(periods[-1].previous())
    periods.reverse()
    mark_rows: list[charts.MarkRow] = []
    latest: tuple[Period, Counter[int]] | None = None
    found: dict[int, list[tuple[str, int | None, int]]] = {}
    for index, mark, stars, count in marks_by_period(covered, periods):
        found.setdefault(index, []).append((mark, stars, count))
    for index, period in enumerate(periods):
        results = found.get(index, [])
        marks: Counter[str] = Counter()
        stars_of: Counter[int] = Counter()
        for mark, stars, count in results:
            if mark:
                marks[mark] += count
            if stars is not None:
                stars_of[stars] += count
        for mark in MARK_ORDER:
            if marks.get(mark):
                mark_rows.append(charts.MarkRow(str(period), mark_words(mark), marks[mark]))
        if results:
            latest = (period, stars_of)
    star_counts = latest[1] if latest else Counter()
    return Quality(
        period=latest[0] if latest else None,
        judged=sum(latest[1].values()) if latest else 0,
        stars=charts.star_distribution(dict(star_counts)),
        marks=charts.quality_marks_over_time(mark_rows),
    )


# ---- feedback -----------------------------------------------------------------------------------


def feedback_of(organisation: Organisation, today: datetime.date) -> Feedback:
    """The year's feedback figures of the organisation and everything under it."""
    start = datetime.date(today.year, 1, 1)
    figures = figures_for(organisation, start, today + datetime.timedelta(days=1))
    replied = [item for item in figures.items if item.replied_at is not None]
    days = [math.ceil(reply_hours(item) / 24) for item in replied]
    limits = Counter(item.limit_days for item in figures.items)
    limit = (
        limits.most_common(1)[0][0]
        if limits
        else rules_for_organisation(organisation).feedback.limit_days
    )
    return Feedback(figures, limit, charts.reply_time_distribution(days, limit))


# ---- schedule -----------------------------------------------------------------------------------


def schedule_of(organisation: Organisation, person: Person, today: datetime.date) -> Schedule:
    """The year's tasks of the organisation's subtree the person may see: what is late, what
    is due next, and the schedule as a timeline (one point per item and deadline)."""
    tasks = list(
        visible_tasks(person)
        .filter(organisation__path__startswith=organisation.path, year=today.year)
        .select_related("organisation")
        .order_by("due_date", "code", "organisation__path", "pk")
    )
    late = [task for task in tasks if task.is_overdue(today)]
    horizon = today + datetime.timedelta(days=DUE_NEXT_DAYS)
    due_next = [
        task for task in tasks if task.status in UNFINISHED and today <= task.due_date <= horizon
    ]
    grouped: dict[tuple[str, str, datetime.date], list[Task]] = {}
    for task in tasks:
        grouped.setdefault((task.code, task.title, task.due_date), []).append(task)
    rows = []
    for (code, title, due), group in grouped.items():
        finished = [task.completed_at for task in group if task.status not in UNFINISHED]
        done = (
            timezone.localdate(max(moment for moment in finished if moment is not None))
            if len(finished) == len(group) and all(finished)
            else None
        )
        late_ones = [
            task
            for task in group
            if task.is_overdue(today)
            or (task.completed_at is not None and timezone.localdate(task.completed_at) > due)
        ]
        label = f"{code} {title}".strip()
        if len(group) > 1:
            label = _("%(item)s (%(late)d of %(count)d organisations late)") % {
                "item": label,
                "late": len(late_ones),
                "count": len(group),
            }
        rows.append(
            charts.ScheduleRow(label, due, done, bool(late_ones), len(group), len(late_ones))
        )
    deadlines = list(
        ScheduledDeadline.objects.filter(
            due_date__gte=today,
            due_date__lte=horizon,
            deadline__schedule_item__lead_organisations__path__startswith=organisation.path,
        )
        .select_related("deadline__schedule_item")
        .distinct()
        .order_by("due_date")[:LIST_ROWS]
    )
    return Schedule(
        late=late[:LIST_ROWS],
        late_count=len(late),
        due_next=due_next[:LIST_ROWS],
        due_next_count=len(due_next),
        deadlines=deadlines,
        timeline=charts.schedule_timeline(rows),
    )


# ---- the dashboards -----------------------------------------------------------------------------


def dashboard(
    organisation: Organisation,
    rows: list[Organisation],
    *,
    person: Person,
    today: datetime.date,
) -> Dashboard:
    """The dashboard of `organisation` (a ministry for the centre, or an agency) with `rows`
    side by side (the ministry and its agencies, or the agency alone)."""
    ministry = organisation.ministry
    standing = standings_for(rows, ministry, today=today)
    targets, target_chart = targets_over_years(rows, today)
    schedule = schedule_of(organisation, person, today)
    quality = quality_of(organisation, today)
    feedback = feedback_of(organisation, today)
    board = Dashboard(
        organisation=organisation,
        ministry=ministry,
        today=today,
        period=Period.quarter_of(today),
        standing=standing,
        targets=targets,
        schedule=schedule,
        quality=quality,
        feedback=feedback,
    )
    for row in standing.rows if standing is not None else []:
        links = []
        for cell in row.cells:
            # the figure as computed here, this year to date, with every record it counted
            url = (
                reverse("reports:dashboards:figure", args=[row.organisation.pk, cell.indicator.key])
                if cell.computed and not cell.failed
                else ""
            )
            counted: tuple[Counted, ...] = ()
            if cell.figure is not None:
                counted = cell.figure.counted
                # the page lists the first records only: keep no more (the board is cached)
                cell.figure = replace(cell.figure, counted=counted[:COUNTED_ROWS])
            links.append(CellLink(cell, url, counted[:COUNTED_ROWS], len(counted)))
        board.table.append(TableRow(row.organisation, links))
    board.charts = [target_chart]
    if len(rows) > 1:
        board.charts.append(achievement_chart(standing))
    board.charts += [quality.stars, quality.marks, feedback.reply_times, schedule.timeline]
    return board


@dataclass
class CommitteeDashboard:
    committee: Committee
    today: datetime.date
    period: Period
    items: list[Waiting]

    @property
    def decisions(self) -> list[Waiting]:
        """The items awaiting a decision (the feedback summary and plan review are reports)."""
        return [item for item in self.items if item.dataset or item.inventory_item]


def committee_dashboard(committee: Committee, *, today: datetime.date) -> CommitteeDashboard:
    return CommitteeDashboard(
        committee=committee,
        today=today,
        period=Period.quarter_of(today),
        items=committee_waiting(committee, on=today),
    )
