"""JSON API of plans (mounted under /api/plans/): list, one version, comparison table.

Scoped like the pages: a person reads the plans of their own ministry only.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Schema

from steward.lib.api import Router
from steward.plans.access import plan_for, plans_for, version_for
from steward.plans.compare import compare_versions
from steward.plans.document import rules_for

router = Router(tags=["plans"])


class VersionSummaryOut(Schema):
    label: str
    title: str
    adopted_on: datetime.date
    adopted_on_stated: bool


class PlanOut(Schema):
    key: str
    name: str
    ministry: str | None
    built_in: bool
    versions: list[VersionSummaryOut]


class VersionOut(VersionSummaryOut):
    plan: str
    document: dict[str, Any]
    rules: dict[str, Any]


class AmendmentRowOut(Schema):
    section: str
    key: str
    amended: str
    current: str
    explanation: str


def _versions(plan: Any) -> list[dict[str, Any]]:
    return [
        {
            "label": v.label,
            "title": v.title,
            "adopted_on": v.adopted_on,
            "adopted_on_stated": v.adopted_on_stated,
        }
        for v in plan.versions.all()
    ]


@router.get("/", response=list[PlanOut])
def list_plans(request: HttpRequest) -> list[dict[str, Any]]:
    """The plans of your ministry, with their versions."""
    plans = plans_for(request.user).select_related("ministry").prefetch_related("versions")  # type: ignore[arg-type]
    return [
        {
            "key": plan.key,
            "name": plan.name,
            "ministry": plan.ministry.key if plan.ministry else None,
            "built_in": plan.built_in,
            "versions": _versions(plan),
        }
        for plan in plans
    ]


@router.get("/{key}/versions/{label}", response=VersionOut)
def show_version(request: HttpRequest, key: str, label: str) -> dict[str, Any]:
    """One version in full (`current` for the current one), with its typed rules."""
    plan = plan_for(request.user, key)  # type: ignore[arg-type]
    version = version_for(plan, None if label == "current" else label)
    rules = rules_for(version)
    return {
        "plan": plan.key,
        "label": version.label,
        "title": version.title,
        "adopted_on": version.adopted_on,
        "adopted_on_stated": version.adopted_on_stated,
        "document": version.document,
        "rules": _jsonable(rules),
    }


@router.get("/{key}/compare", response=list[AmendmentRowOut])
def compare(request: HttpRequest, key: str, old: str, new: str) -> list[Any]:
    """The amendment comparison table (修正對照表) from version `old` to version `new`."""
    plan = plan_for(request.user, key)  # type: ignore[arg-type]
    return list(compare_versions(version_for(plan, old), version_for(plan, new)))


def _jsonable(value: Any) -> Any:
    def convert(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: convert(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [convert(v) for v in item]
        if isinstance(item, Decimal):
            return float(item)
        return item

    return convert(asdict(value))
