"""Reading the inventory within a person's scope: the one place pages and the API look things up."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from steward.inventory.models import AgencyInventory, InventoryCompilation, InventoryItem
from steward.lib.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, scope_q


def visible_items(person: Person) -> QuerySet[InventoryItem]:
    """Items of the organisations `person` may see (a unit's liaison: that unit's items)."""
    return InventoryItem.objects.filter(scope_q(person, Action.VIEW)).select_related(
        "agency", "organisation"
    )


def item_for(person: Person, pk: int, action: Action = Action.VIEW) -> InventoryItem:
    """The item `pk` if `person` may `action` it; 404 otherwise, so others' items stay unseen."""
    try:
        return (
            InventoryItem.objects.filter(scope_q(person, action))
            .select_related("agency", "organisation")
            .get(pk=pk)
        )
    except InventoryItem.DoesNotExist:
        raise Http404(_("No such inventory item in your scope.")) from None


def visible_agencies(person: Person, action: Action = Action.VIEW) -> QuerySet[Organisation]:
    """Agencies (and ministries) whose inventory `person` may `action`: those in scope, and
    the agencies of the units in scope (a unit's liaison acts for the agency's return)."""
    paths = list(organisations_for(person, action).values_list("path", flat=True))
    ancestor_ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    agency_like = set(
        Organisation.objects.filter(
            pk__in=ancestor_ids, kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY]
        ).values_list("pk", flat=True)
    )
    agency_ids: set[int] = set()
    for path in paths:
        chain = [int(part) for part in path.strip("/").split("/") if part]
        # The deepest agency-like node on the way down is the organisation's agency.
        for pk in reversed(chain):
            if pk in agency_like:
                agency_ids.add(pk)
                break
    return Organisation.objects.filter(
        pk__in=agency_ids, kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY]
    ).order_by("path")


def agency_for(person: Person, pk: int, action: Action = Action.VIEW) -> Organisation:
    try:
        return visible_agencies(person, action).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404(_("No such agency in your scope.")) from None


def compilation_for(person: Person, pk: int) -> InventoryCompilation:
    try:
        return InventoryCompilation.objects.filter(
            ministry__in=organisations_for(person, Action.VIEW)
        ).get(pk=pk)
    except InventoryCompilation.DoesNotExist:
        raise Http404(_("No such compilation in your scope.")) from None


def returns_of(person: Person, year: int) -> QuerySet[AgencyInventory]:
    return AgencyInventory.objects.filter(
        agency__in=visible_agencies(person), year=year
    ).select_related("agency", "compilation")


@dataclass
class ItemFilters:
    """The filters of the list page and of the API's list call."""

    agency: Organisation | None = None
    unit: Organisation | None = None
    classification: str = ""
    year: int | None = None
    status: str = ""
    gender_statistics: bool | None = None
    q: str = ""


def filter_items(items: QuerySet[InventoryItem], filters: ItemFilters) -> QuerySet[InventoryItem]:
    if filters.agency is not None:
        items = items.filter(agency=filters.agency)
    if filters.unit is not None:
        items = items.filter(organisation__path__startswith=filters.unit.path)
    if filters.classification:
        items = items.filter(classification=filters.classification)
    if filters.year is not None:
        items = items.filter(planned_year=filters.year)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.gender_statistics is not None:
        items = items.filter(gender_statistics=filters.gender_statistics)
    if filters.q:
        for word in filters.q.split():
            items = items.filter(
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(identifier__icontains=word)
                | Q(legal_basis__icontains=word)
                | Q(dataset_identifier__icontains=word)
            )
    return items


#: Items per page of the inventory list (page and API) unless asked otherwise, and the most
#: one page may hold: larger requests get this many and say so.


class PageOutOfRange(ValueError):
    """A page number below 1 or past the last page; the message says which pages exist."""


@dataclass
class ItemPage:
    """One page of items with what a client needs to ask for the others."""

    items: list[InventoryItem]
    count: int
    number: int
    size: int
    size_capped: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))


def page_of(
    items: QuerySet[InventoryItem], *, number: int = 1, size: int = DEFAULT_PAGE_SIZE
) -> ItemPage:
    """Page `number` (from 1) of `items`, `size` to a page (at most MAX_PAGE_SIZE).

    Raises PageOutOfRange for a number below 1 or past the last page (page 1 of nothing is
    an empty page, not an error).
    """
    if size < 1:
        raise PageOutOfRange(_("The page size must be 1 or more."))
    capped = size > MAX_PAGE_SIZE
    size = min(size, MAX_PAGE_SIZE)
    if number < 1:
        raise PageOutOfRange(_("Pages are numbered from 1."))
    count = items.count()
    page = ItemPage([], count, number, size, capped)
    if number > page.pages:
        raise PageOutOfRange(
            _("There is no page %(number)d: the last page is %(last)d.")
            % {"number": number, "last": page.pages}
        )
    start = (number - 1) * size
    page.items = list(items[start : start + size])
    return page
