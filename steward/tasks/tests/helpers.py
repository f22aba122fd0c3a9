"""A small plan with one schedule item, for the task tests."""

from __future__ import annotations

import datetime
from typing import Any

from steward.organisations.models import Organisation
from steward.plans.models import Deadline, Plan, PlanVersion, ScheduleItem


def plan_with_item(
    ministry: Organisation,
    *,
    lead: list[Organisation],
    cooperating: list[Organisation] = (),  # type: ignore[assignment]
    deadlines: list[tuple[str, int, int]] = [("Q2", 6, 30)],  # noqa: B006
    rules: dict[str, Any] | None = None,
) -> PlanVersion:
    """A plan for `ministry` with item 1-3 led by `lead` (when given deadlines)."""
    plan = Plan.objects.create(key=f"t-{ministry.pk}", name="測試行動方案", ministry=ministry)
    version = PlanVersion.objects.create(
        plan=plan, label="v1", adopted_on=datetime.date(2025, 1, 1), document={"rules": rules or {}}
    )
    if deadlines:
        item = ScheduleItem.objects.create(version=version, code="1-3", title="進行盤點作業")
        item.lead_organisations.set(lead)
        item.cooperating_organisations.set(list(cooperating))
        for period, month, day in deadlines:
            Deadline.objects.create(schedule_item=item, period=period, month=month, day=day)
    return version
