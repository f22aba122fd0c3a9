"""Small builders shared by the inventory tests: items and a plan with targets."""

from __future__ import annotations

import datetime
from typing import Any

from steward.inventory.models import Classification, InventoryItem, ItemStatus
from steward.organisations.models import Organisation
from steward.plans.models import Plan, PlanVersion, Target, TargetMeasure


def open_item(organisation: Organisation, identifier: str, year: int = 2026, **extra: Any
              ) -> InventoryItem:  # fmt: skip
    values: dict[str, Any] = {
        "agency": organisation.agency,
        "organisation": organisation,
        "identifier": identifier,
        "name": f"資料{identifier}",
        "classification": Classification.OPEN,
        "planned_year": year,
        "planned_half": "H1",
        "status": ItemStatus.PLANNED,
    }
    values.update(extra)
    return InventoryItem.objects.create(**values)


def plan_with_targets(
    ministry: Organisation,
    targets: list[tuple[Organisation, int | None, str, int]],
    *,
    shortfall_requires_reason: bool = True,
    covers_subtree: bool = False,
) -> PlanVersion:
    """A plan for `ministry` whose current version sets (organisation, year, measure, value)."""
    plan = Plan.objects.create(key=f"p-{ministry.pk}", name="測試行動方案", ministry=ministry)
    version = PlanVersion.objects.create(
        plan=plan,
        label="v1",
        adopted_on=datetime.date(2025, 1, 1),
        document={"rules": {"inventory": {"shortfall_requires_reason": shortfall_requires_reason}}},
    )
    for organisation, year, measure, value in targets:
        Target.objects.create(
            version=version,
            organisation=organisation,
            year=year,
            measure=measure,
            value=value,
            covers_subtree=covers_subtree,
        )
    return version


NEW = TargetMeasure.DATASETS_NEW
TOTAL = TargetMeasure.DATASETS_TOTAL
