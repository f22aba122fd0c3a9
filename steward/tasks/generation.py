"""Tasks from the plan: one per organisation and scheduled deadline, or per cadence period.

`generate_tasks(version, year)` computes the year's deadlines (`plans.schedule`) and gives
each lead (主辦) and cooperating (配合) organisation of each item one task per deadline. A
version with no dated schedule item but rules that state a cadence (MOL: 按季盤點,
工作小組每季召開, 諮詢小組按季開會, 按季檢核) gets one task per organisation and period
of each such rule instead, due on the period's last day (moved to the previous working day
when the plan says so). Idempotent: each task has a key naming what it stands for, so a
second run creates nothing; the due date of an unfinished task follows a moved deadline.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime
from dataclasses import dataclass

from django.db import transaction

from steward.audit.services import record
from steward.calendars.workdays import WorkingCalendar
from steward.organisations.models import Organisation, OrganisationKind
from steward.plans.document import CADENCE_LABELS, Rules, rules_for
from steward.plans.models import PlanVersion, ScheduleItem
from steward.plans.schedule import compute_schedule
from steward.tasks.models import UNFINISHED, Cadence, Task, TaskPart

#: The periods of each cadence: (period code, last month of the period).
PERIODS: dict[str, tuple[tuple[str, int], ...]] = {
    "monthly": tuple((f"M{month:02d}", month) for month in range(1, 13)),
    "quarterly": (("Q1", 3), ("Q2", 6), ("Q3", 9), ("Q4", 12)),
    "half_yearly": (("H1", 6), ("H2", 12)),
    "yearly": (("Y", 12),),
}

#: A number of meetings a year as a cadence.
MEETINGS_CADENCE = {12: "monthly", 4: "quarterly", 2: "half_yearly", 1: "yearly"}

#: The work each cadence rule asks for, in the plans' words (stored like the plan's own text).
CADENCE_TITLES: dict[str, str] = {
    Cadence.INVENTORY: "資料盤點",
    Cadence.QUALITY_SELF_CHECK: "已開放資料集品質自我檢核",
    Cadence.QUALITY_SPOT_CHECK: "已開放資料集品質抽檢",
    Cadence.WORKING_GROUP: "召開工作小組會議",
    Cadence.COMMITTEE: "召開諮詢小組會議",
}


@dataclass(frozen=True)
class Generated:
    """What one run did."""

    created: int
    moved: int
    total: int


def cadences_stated(rules: Rules) -> list[tuple[Cadence, str, bool]]:
    """(cadence rule, cadence, whether every agency does it) for each rule the plan states
    with a fixed number of periods; ministry-only work (committee, spot check) is False."""
    found: list[tuple[Cadence, str, bool]] = []
    if rules.inventory.stated and rules.inventory.cadence in PERIODS:
        found.append((Cadence.INVENTORY, rules.inventory.cadence, True))
    if rules.quality.stated and rules.quality.self_check in PERIODS:
        found.append((Cadence.QUALITY_SELF_CHECK, rules.quality.self_check, True))
    if rules.quality.stated and rules.quality.spot_check in PERIODS:
        found.append((Cadence.QUALITY_SPOT_CHECK, str(rules.quality.spot_check), False))
    working_group = MEETINGS_CADENCE.get(rules.working_group.meetings_per_year or 0)
    if rules.working_group.stated and working_group:
        found.append((Cadence.WORKING_GROUP, working_group, True))
    committee = MEETINGS_CADENCE.get(rules.committee.meetings_per_year or 0)
    if rules.committee.stated and committee:
        found.append((Cadence.COMMITTEE, committee, False))
    return found


def period_end(year: int, last_month: int) -> datetime.date:
    return datetime.date(year, last_month, _stdlib_calendar.monthrange(year, last_month)[1])


def _schedule_tasks(version: PlanVersion, year: int, calendar: WorkingCalendar) -> list[Task]:
    rows = compute_schedule(version, year, calendar=calendar)
    items = {row.deadline.schedule_item_id for row in rows}
    parts: dict[int, list[tuple[int, TaskPart]]] = {pk: [] for pk in items}
    for through, part in (
        (ScheduleItem.lead_organisations.through, TaskPart.LEAD),
        (ScheduleItem.cooperating_organisations.through, TaskPart.COOPERATING),
    ):
        for item_id, organisation_id in through.objects.filter(
            scheduleitem_id__in=items
        ).values_list("scheduleitem_id", "organisation_id"):
            parts[item_id].append((organisation_id, part))
    tasks = []
    for row in rows:
        item = row.deadline.schedule_item
        seen: set[int] = set()
        for organisation_id, part in parts[item.pk]:
            if organisation_id in seen:
                continue  # lead and cooperating at once: one task, as lead
            seen.add(organisation_id)
            tasks.append(
                Task(
                    key=f"d{row.pk}:o{organisation_id}",
                    version=version,
                    organisation_id=organisation_id,
                    part=part,
                    schedule_item=item,
                    scheduled_deadline=row,
                    year=year,
                    period=row.deadline.period,
                    code=item.code,
                    title=item.title,
                    due_date=row.due_date,
                )
            )
    return tasks


def _cadence_tasks(version: PlanVersion, year: int, calendar: WorkingCalendar) -> list[Task]:
    rules = rules_for(version)
    ministry = version.plan.ministry
    if ministry is None:
        return []
    agencies = list(
        Organisation.objects.filter(
            path__startswith=ministry.path,
            kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY],
        ).order_by("path")
    )
    move = rules.deadlines.move_to_previous_working_day
    tasks = []
    for cadence, every, all_agencies in cadences_stated(rules):
        organisations = agencies if all_agencies else [ministry]
        for period, last_month in PERIODS[every]:
            written = period_end(year, last_month)
            due = calendar.move_to_previous_working_day(written) if move else written
            for organisation in organisations:
                tasks.append(
                    Task(
                        key=f"c{version.plan_id}:{cadence}:{year}:{period}:o{organisation.pk}",
                        version=version,
                        organisation=organisation,
                        part=TaskPart.LEAD,
                        cadence=cadence,
                        year=year,
                        period=period,
                        code=period,
                        title=f"{CADENCE_LABELS[every]}{CADENCE_TITLES[cadence]}",
                        due_date=due,
                    )
                )
    return tasks


@transaction.atomic
def generate_tasks(
    version: PlanVersion, year: int, *, calendar: WorkingCalendar | None = None
) -> Generated:
    """Create the tasks of `version` for plan `year` that do not exist yet (see module doc)."""
    calendar = calendar or WorkingCalendar()
    wanted = _schedule_tasks(version, year, calendar)
    if not wanted:
        wanted = _cadence_tasks(version, year, calendar)
    existing = {task.key: task for task in Task.objects.filter(key__in=[t.key for t in wanted])}
    new = [task for task in wanted if task.key not in existing]
    moved = []
    for task in wanted:
        old = existing.get(task.key)
        if old is not None and old.status in UNFINISHED and old.due_date != task.due_date:
            old.due_date = task.due_date
            moved.append(old)
    Task.objects.bulk_create(new)
    Task.objects.bulk_update(moved, ["due_date"])
    if new or moved:
        record(actor=None, action="task.generate", subject=version,
               organisation=version.plan.ministry,
               changes={"year": year, "created": len(new), "moved": len(moved)})  # fmt: skip
    return Generated(created=len(new), moved=len(moved), total=len(wanted))
