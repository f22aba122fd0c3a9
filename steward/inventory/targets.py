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

from django.db.models import Count, Q, QuerySet

from steward.inventory.models import (
    AgencyInventory,
    Classification,
    InventoryItem,
    ItemStatus,
)
from steward.organisations.models import Organisation, OrganisationKind
from steward.plans.document import rules_for
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


def _opened_q() -> Q:
    return Q(status=ItemStatus.OPENED) | ~Q(dataset_identifier="") | Q(dataset__isnull=False)


@dataclass
class _Counts:
    planned: int = 0
    opened: int = 0
    opened_before: int = 0

    def __iadd__(self, other: _Counts) -> _Counts:
        self.planned += other.planned
        self.opened += other.opened
        self.opened_before += other.opened_before
        return self


class _Context:
    """Everything the target rows of some organisations need, read in a fixed number of
    queries whatever the number of organisations (plan versions, targets, item counts,
    returns)."""

    def __init__(self, organisations: list[Organisation], year: int) -> None:
        self.year = year
        roots = {int(organisation.path.strip("/").split("/")[0]) for organisation in organisations}
        self.versions: dict[int, PlanVersion] = {}
        for version in (
            PlanVersion.objects.filter(plan__ministry_id__in=roots)
            .order_by("-adopted_on", "-pk")
            .select_related("plan")
        ):
            if version.plan.ministry_id is not None:
                self.versions.setdefault(version.plan.ministry_id, version)
        self.targets: dict[tuple[int, int, str, bool, int | None], Target] = {}
        for target in (
            Target.objects.filter(
                version__in=list(self.versions.values()),
                organisation__in=organisations,
                measure__in=[TargetMeasure.DATASETS_NEW, TargetMeasure.DATASETS_TOTAL],
            )
            .filter(Q(year__in=[year, year - 1]) | Q(year__isnull=True))
            .order_by("pk")
        ):
            key = (
                target.version_id,
                target.organisation_id,
                target.measure,
                target.covers_subtree,
                target.year,
            )
            self.targets.setdefault(key, target)
        self.counts = self._count(organisations, year)
        self.inventories = {
            inventory.agency_id: inventory
            for inventory in AgencyInventory.objects.filter(agency__in=organisations, year=year)
        }
        self.requires_reason: dict[int, bool] = {}

    @staticmethod
    def _count(organisations: list[Organisation], year: int) -> dict[tuple[int, str], _Counts]:
        """(agency pk, agency path) → counts of its own open items, in one grouped query."""
        prefixes = sorted({organisation.path for organisation in organisations})
        covering = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
        where = Q(pk__in=[])
        for prefix in covering:
            where |= Q(path__startswith=prefix)
        paths = dict(
            Organisation.objects.filter(where)
            .exclude(kind=OrganisationKind.UNIT)
            .values_list("pk", "path")
        )
        opened = _opened_q()
        rows = (
            # Items planned after `year` count for nothing here: the index on agency,
            # classification and planned year leaves them out.
            InventoryItem.objects.filter(
                agency_id__in=list(paths),
                classification=Classification.OPEN,
                planned_year__lte=year,
            )
            .values("agency_id")
            .annotate(
                planned=Count("pk", filter=Q(planned_year=year) & ~Q(status=ItemStatus.WITHDRAWN)),
                opened=Count("pk", filter=Q(planned_year=year) & opened),
                opened_before=Count("pk", filter=Q(planned_year__lt=year) & opened),
            )
            .order_by()
        )
        return {
            (row["agency_id"], paths[row["agency_id"]]): _Counts(
                row["planned"], row["opened"], row["opened_before"]
            )
            for row in rows
        }

    def counts_of(self, organisation: Organisation, whole_subtree: bool) -> _Counts:
        total = _Counts()
        for (agency_id, path), counts in self.counts.items():
            if agency_id == organisation.pk or (
                whole_subtree and path.startswith(organisation.path)
            ):
                total += counts
        return total

    def version_of(self, organisation: Organisation) -> PlanVersion | None:
        return self.versions.get(int(organisation.path.strip("/").split("/")[0]))

    def target(
        self,
        version: PlanVersion,
        organisation: Organisation,
        measure: str,
        subtree: bool,
        year: int | None,
    ) -> Target | None:
        return self.targets.get((version.pk, organisation.pk, measure, subtree, year))

    def shortfall_requires_reason(self, version: PlanVersion | None) -> bool:
        if version is None:
            return False
        if version.pk not in self.requires_reason:
            self.requires_reason[version.pk] = shortfall_requires_reason(version)
        return self.requires_reason[version.pk]

    def rule(self, organisation: Organisation, *, whole_subtree: bool | None = None) -> TargetRule:
        """The target of `organisation` for the year and where it comes from.

        `whole_subtree=None` prefers the organisation's own target and falls back to one
        that covers its subtree; True or False asks for exactly that kind.
        """
        version = self.version_of(organisation)
        if version is not None:
            kinds = [False, True] if whole_subtree is None else [whole_subtree]
            for subtree in kinds:
                rule = self._rule_from(version, organisation, subtree)
                if rule is not None:
                    return rule
        return TargetRule(None, "", version, bool(whole_subtree), "")

    def _rule_from(
        self, version: PlanVersion, organisation: Organisation, subtree: bool
    ) -> TargetRule | None:
        year = self.year
        new = self.target(
            version, organisation, TargetMeasure.DATASETS_NEW, subtree, year
        ) or self.target(version, organisation, TargetMeasure.DATASETS_NEW, subtree, None)
        if new is not None:
            return TargetRule(
                new.value, TargetMeasure.DATASETS_NEW, version, subtree, f"+{new.value}"
            )
        total = self.target(version, organisation, TargetMeasure.DATASETS_TOTAL, subtree, year)
        if total is None:
            return None
        previous = self.target(
            version, organisation, TargetMeasure.DATASETS_TOTAL, subtree, year - 1
        )
        if previous is not None:
            value = max(total.value - previous.value, 0)
            explanation = f"{total.value} − {previous.value} ({year - 1}) = {value}"
        else:
            opened_before = self.counts_of(organisation, subtree).opened_before
            value = max(total.value - opened_before, 0)
            explanation = f"{total.value} − {opened_before} = {value}"
        return TargetRule(value, TargetMeasure.DATASETS_TOTAL, version, subtree, explanation)

    def row(self, organisation: Organisation, *, whole_subtree: bool | None = None) -> TargetRow:
        rule = self.rule(organisation, whole_subtree=whole_subtree)
        counts = self.counts_of(organisation, rule.whole_subtree)
        return TargetRow(
            organisation=organisation,
            year=self.year,
            planned=counts.planned,
            opened=counts.opened,
            target=rule.value,
            explanation=rule.explanation,
            whole_subtree=rule.whole_subtree,
            requires_reason=self.shortfall_requires_reason(rule.version),
            inventory=self.inventories.get(organisation.pk),
        )


def planned_openings(organisation: Organisation, year: int, *, whole_subtree: bool = False) -> int:
    """Items classified open and planned for `year` (withdrawn ones do not count)."""
    return _Context([organisation], year).counts_of(organisation, whole_subtree).planned


def opened(organisation: Organisation, year: int, *, whole_subtree: bool = False) -> int:
    """Items planned for `year` that are open now (status opened or linked to a dataset)."""
    return _Context([organisation], year).counts_of(organisation, whole_subtree).opened


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
    return _Context([organisation], year).row(organisation, whole_subtree=whole_subtree)


def target_rows(
    organisations: QuerySet[Organisation], year: int, *, with_totals: bool = True
) -> list[TargetRow]:
    """One row per agency (and ministry) among `organisations`, in tree order, and for a
    ministry whose plan sets a target for the whole ministry, a total row after its own.
    The number of queries does not grow with the number of organisations."""
    agencies = list(
        organisations.filter(
            kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY]
        ).order_by("path")
    )
    if not agencies:
        return []
    context = _Context(agencies, year)
    rows = []
    for agency in agencies:
        row = context.row(agency)
        rows.append(row)
        if with_totals and agency.kind == OrganisationKind.MINISTRY and not row.whole_subtree:
            total = context.row(agency, whole_subtree=True)
            if total.target is not None:
                rows.append(total)
    return rows
