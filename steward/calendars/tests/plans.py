"""A small plan made with the ORM, for deadlines that calendar changes must move."""

from __future__ import annotations

import datetime

from steward.plans.models import Deadline, DeadlinePeriod, Plan, PlanVersion, ScheduleItem


def make_version(key: str = "test-plan") -> PlanVersion:
    plan = Plan.objects.create(key=key, name="測試方案")
    return PlanVersion.objects.create(
        plan=plan, label="2017-03-16", adopted_on=datetime.date(2017, 3, 16)
    )


def add_deadline(
    version: PlanVersion,
    code: str,
    month: int,
    day: int,
    *,
    period: str = DeadlinePeriod.Q4,
    year_offset: int = 0,
    moves: bool = True,
    title: str = "",
) -> Deadline:
    item, _created = ScheduleItem.objects.get_or_create(
        version=version,
        code=code,
        defaults={
            "title": title or f"工作項目 {code}",
            "move_to_previous_working_day": moves,
            "position": ScheduleItem.objects.filter(version=version).count(),
        },
    )
    return Deadline.objects.create(
        schedule_item=item,
        period=period,
        month=month,
        day=day,
        year_offset=year_offset,
        label=f"{month}/{day}",
    )
