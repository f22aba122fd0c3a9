"""The inventory steps waiting on a person, for the home page (`organisations.work`).

Derived from `workflow.StepRules` (the one table of who takes which step in which state):
a returned return its agency's people may resubmit, a return waiting for the agency's own
CIO (MOEA), the submitted returns of a ministry the
information centre may compile, a compilation the CIO may approve. A fixed number of
queries (the candidates of the person's ministries, and their roles once per action).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from steward.inventory.models import AgencyInventory, InventoryCompilation, InventoryStatus
from steward.inventory.workflow import Step, StepRules
from steward.lib.years import year_label
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import scope_roots
from steward.organisations.work import WorkItem, work_source


def _ministry_paths(person: Person) -> list[str]:
    if person.is_superuser:
        return ["/"]
    return sorted({"/" + root.path.strip("/").split("/")[0] + "/" for root in scope_roots(person)})


@work_source
def inventory_waiting(person: Person) -> Iterable[WorkItem]:
    if not person.is_authenticated or not person.is_active:
        return []
    paths = _ministry_paths(person)
    if not paths:
        return []
    url = reverse("inventory:returns")
    rules = StepRules(person)
    items: list[WorkItem] = []
    in_ministries = reduce(or_, (Q(agency__path__startswith=path) for path in paths))
    for inventory in (
        AgencyInventory.objects.filter(
            in_ministries,
            status__in=[InventoryStatus.RETURNED, InventoryStatus.AGENCY_APPROVAL],
        )
        .select_related("agency")
        .order_by("year", "agency__path")
    ):
        steps = rules.available(inventory.agency, inventory.status)
        if Step.SUBMIT in steps or Step.AGENCY_APPROVE in steps:
            items.append(
                WorkItem(
                    kind=_("Correct and resubmit the inventory")
                    if Step.SUBMIT in steps
                    else _("Approve the inventory as the agency's CIO"),
                    title=_("%(year)s inventory of %(agency)s")
                    % {"year": year_label(inventory.year), "agency": inventory.agency.name},
                    url=f"{url}?year={inventory.year}",
                    organisation=inventory.agency,
                )
            )
    submitted = (
        AgencyInventory.objects.filter(in_ministries, status=InventoryStatus.SUBMITTED)
        .values("year", "agency__path")
        .order_by()
    )
    by_ministry: dict[tuple[int, int], int] = {}
    for row in submitted.values("year", "agency__path").annotate(count=Count("pk")):
        key = (int(row["agency__path"].strip("/").split("/")[0]), row["year"])
        by_ministry[key] = by_ministry.get(key, 0) + row["count"]
    ministry_ids = {pk for pk, _year in by_ministry}
    compilations = list(
        InventoryCompilation.objects.filter(
            reduce(or_, (Q(ministry__path__startswith=path) for path in paths)),
            status=InventoryCompilation.Status.COMPILED,
        ).select_related("ministry")
    )
    ministries = {m.pk: m for m in Organisation.objects.filter(pk__in=ministry_ids)} | {
        c.ministry.pk: c.ministry for c in compilations
    }
    for (ministry_id, year), count in sorted(by_ministry.items()):
        ministry = ministries[ministry_id]
        if Step.COMPILE in rules.available(ministry, InventoryStatus.SUBMITTED, compilation=True):
            items.append(
                WorkItem(
                    kind=_("Compile the submitted inventories"),
                    title=_("%(year)s: %(count)s returns submitted")
                    % {"year": year_label(year), "count": count},
                    url=f"{url}?year={year}",
                    organisation=ministry,
                )
            )
    for compilation in compilations:
        if Step.APPROVE in rules.available(
            compilation.ministry, InventoryStatus.COMPILED, compilation=True
        ):
            items.append(
                WorkItem(
                    kind=_("Approve the compiled inventory"),
                    title=_("%(year)s compiled inventory of %(ministry)s")
                    % {"year": year_label(compilation.year), "ministry": compilation.ministry.name},
                    url=f"{url}?year={compilation.year}",
                    organisation=compilation.ministry,
                )
            )
    return items
