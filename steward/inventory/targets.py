"""Planned openings against the plan's target (目標值), per agency and year.

The target figure of organisation X in year Y comes from the current version of its
ministry's plan (`steward.plans.document.current_version_for`):
- X's own `datasets_new` target for Y (or for every year, when the plan gives no year);
- otherwise X's own `datasets_total` targets as an increase: total(Y) − total(Y−1) when the
  plan gives both years (MOL's 勞保局 151 − 106 = 45, exactly the 成長量 of MOL's KPI table),
  else total(Y) − the items X had opened before Y;
- otherwise a target that covers X's whole subtree (`covers_subtree`, 本部及所屬機關, MOJ's
  +170 and MOL's +130 a year), counted over every item of the subtree.
"Own" targets count the items whose agency is X; the ministry's own row counts its own units.

Years are Gregorian throughout (民國 115 = 2026), as in the plan files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from steward.inventory.models import (
    AgencyInventory,
    Classification,
    InventoryItem,
    ItemStatus,
)
from steward.organisations.models import Organisation, OrganisationKind
from steward.plans.document import current_version_for, rules_for
from steward.plans.models import PlanVersion, Target, TargetMeasure


def shortfall_requires_reason(version: PlanVersion | None) -> bool:
    """Does the plan make an agency explain a shortfall before submitting (MOEA 柒三(七))?"""
    if version is None:
        return False
    return rules_for(version).inventory.shortfall_requires_reason


@dataclass
class TargetRule:
    """Where a target figure comes from, for the targets page and the submission check."""

    value: int | None
    measure: str
    version: PlanVersion | None
    whole_subtree: bool
    explanation: str


def _items(organisation: Organisation, whole_subtree: bool) -> QuerySet[InventoryItem]:
    if whole_subtree:
        return InventoryItem.objects.filter(agency__path__startswith=organisation.path)
    return InventoryItem.objects.filter(agency=organisation)


def _opened_q() -> Q:
    return Q(status=ItemStatus.OPENED) | ~Q(dataset_identifier="") | Q(dataset__isnull=False)


def _pick(
    version: PlanVersion, organisation: Organisation, year: int, measure: str, subtree: bool
) -> Target | None:
    """The target for exactly `year`, else the plan's every-year target."""
    candidates = version.targets.filter(
        organisation=organisation, measure=measure, covers_subtree=subtree
    )
    return candidates.filter(year=year).first() or candidates.filter(year__isnull=True).first()


def _rule_from(
    version: PlanVersion, organisation: Organisation, year: int, subtree: bool
) -> TargetRule | None:
    new = _pick(version, organisation, year, TargetMeasure.DATASETS_NEW, subtree)
    if new is not None:
        return TargetRule(new.value, TargetMeasure.DATASETS_NEW, version, subtree, f"+{new.value}")
    total = version.targets.filter(
        organisation=organisation,
        measure=TargetMeasure.DATASETS_TOTAL,
        covers_subtree=subtree,
        year=year,
    ).first()
    if total is None:
        return None
    previous = version.targets.filter(
        organisation=organisation,
        measure=TargetMeasure.DATASETS_TOTAL,
        covers_subtree=subtree,
        year=year - 1,
    ).first()
    if previous is not None:
        value = max(total.value - previous.value, 0)
        explanation = f"{total.value} − {previous.value} ({year - 1}) = {value}"
    else:
        opened_before = (
            _items(organisation, subtree)
            .filter(classification=Classification.OPEN, planned_year__lt=year)
            .filter(_opened_q())
            .count()
        )
        value = max(total.value - opened_before, 0)
        explanation = f"{total.value} − {opened_before} = {value}"
    return TargetRule(value, TargetMeasure.DATASETS_TOTAL, version, subtree, explanation)


def target_rule(
    organisation: Organisation, year: int, *, whole_subtree: bool | None = None
) -> TargetRule:
    """The target of `organisation` for `year` and where it comes from.

    `whole_subtree=None` prefers the organisation's own target and falls back to one that
    covers its subtree; True or False asks for exactly that kind.
    """
    version = current_version_for(organisation)
    if version is not None:
        kinds = [False, True] if whole_subtree is None else [whole_subtree]
        for subtree in kinds:
            rule = _rule_from(version, organisation, year, subtree)
            if rule is not None:
                return rule
    return TargetRule(None, "", version, bool(whole_subtree), "")


def planned_openings(organisation: Organisation, year: int, *, whole_subtree: bool = False) -> int:
    """Items classified open and planned for `year` (withdrawn ones do not count)."""
    return (
        _items(organisation, whole_subtree)
        .filter(classification=Classification.OPEN, planned_year=year)
        .exclude(status=ItemStatus.WITHDRAWN)
        .count()
    )


def opened(organisation: Organisation, year: int, *, whole_subtree: bool = False) -> int:
    """Items planned for `year` that are open now (status opened or linked to a dataset)."""
    return (
        _items(organisation, whole_subtree)
        .filter(classification=Classification.OPEN, planned_year=year)
        .filter(_opened_q())
        .count()
    )


@dataclass
class TargetRow:
    """One line of the targets page: planned openings, opened, target, shortfall, reason."""

    organisation: Organisation
    year: int
    planned: int
    opened: int
    target: int | None
    explanation: str
    whole_subtree: bool
    requires_reason: bool
    inventory: AgencyInventory | None

    @property
    def shortfall(self) -> int:
        return max((self.target or 0) - self.planned, 0)

    @property
    def reason(self) -> str:
        return self.inventory.shortfall_reason if self.inventory else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation.pk,
            "organisation": self.organisation.name,
            "year": self.year,
            "planned_openings": self.planned,
            "opened": self.opened,
            "target": self.target,
            "target_rule": self.explanation,
            "whole_subtree": self.whole_subtree,
            "shortfall": self.shortfall,
            "shortfall_requires_reason": self.requires_reason,
            "shortfall_reason": self.reason,
            "inventory_status": self.inventory.status
            if self.inventory and not self.whole_subtree
            else "",
        }


def target_row(
    organisation: Organisation, year: int, *, whole_subtree: bool | None = None
) -> TargetRow:
    rule = target_rule(organisation, year, whole_subtree=whole_subtree)
    return TargetRow(
        organisation=organisation,
        year=year,
        planned=planned_openings(organisation, year, whole_subtree=rule.whole_subtree),
        opened=opened(organisation, year, whole_subtree=rule.whole_subtree),
        target=rule.value,
        explanation=rule.explanation,
        whole_subtree=rule.whole_subtree,
        requires_reason=shortfall_requires_reason(rule.version),
        inventory=AgencyInventory.objects.filter(agency=organisation, year=year).first(),
    )


def target_rows(
    organisations: QuerySet[Organisation], year: int, *, with_totals: bool = True
) -> list[TargetRow]:
    """One row per agency (and ministry) among `organisations`, in tree order, and for a
    ministry whose plan sets a target for the whole ministry, a total row after its own."""
    rows = []
    agencies = organisations.filter(
        kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY]
    ).order_by("path")
    for agency in agencies:
        row = target_row(agency, year)
        rows.append(row)
        if with_totals and agency.kind == OrganisationKind.MINISTRY and not row.whole_subtree:
            total = target_row(agency, year, whole_subtree=True)
            if total.target is not None:
                rows.append(total)
    return rows
