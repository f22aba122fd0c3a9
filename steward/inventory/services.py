"""Every change to the inventory (盤點表): items, imports, and the yearly return's workflow.

Each function is one transaction: it checks the actor's role through the scoping rule and the
current state through `models.TRANSITIONS`, makes the change, writes one audit event, and
notifies whoever must act next. The pages, the JSON API and the commands all call these.

The yearly return (MOEA 柒三(七), DGBAS 壹拾):
    draft ──submit──▶ submitted ──compile──▶ compiled ──approve──▶ approved
      ▲                   │                      │
      └──── returned ◀────┴────── return ────────┘
submit: a data liaison or unit reviewer of the agency; compile: the information centre,
which gathers every submitted return of the year into one ministry-wide compilation;
approve: the CIO, for the whole compilation; return: the CIO (submitted or compiled) or the
information centre (submitted only, before compiling), always with a reason.
Where the plan's inventory chain starts with the agency's own CIO (`rules.inventory.stages`,
MOEA 經內部資訊長核定後提報), submit leads to "awaiting the agency's CIO" and
`approve_for_agency` passes it on to submitted; that CIO may also return it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.audit.services import diff, record
from steward.inventory import targets as target_rules
from steward.inventory.models import (
    LOCKED_STATES,
    TRANSITIONS,
    AgencyInventory,
    InventoryCompilation,
    InventoryItem,
    InventoryStatus,
)
from steward.inventory.workflow import Step, agency_approval_first, has_role_for
from steward.lib.notify import notify
from steward.lib.years import year_label
from steward.organisations.models import Organisation, OrganisationKind, Person, Role
from steward.organisations.scope import (
    Action,
    people_who_can,
    require,
    roles_allowing,
)

EDITABLE_FIELDS = [
    "identifier", "name", "description", "source", "classification", "restriction_reason",
    "legal_basis", "restriction_note", "gender_statistics", "priority_required_by_law",
    "priority_statutory_duty", "priority_high_demand", "planned_year", "planned_half", "status",
    "dataset_identifier",
]  # fmt: skip


class TransitionRefused(ValidationError):
    """A workflow step asked in the wrong state or without what it needs; nothing changed."""


# ---- who ------------------------------------------------------------------------------------


def people_in_agency(action: Action, agency: Organisation) -> QuerySet[Person]:
    """Everybody who may `action` for `agency`, including those whose roles sit in its units."""
    inside = Person.objects.filter(
        is_active=True,
        role_assignments__active=True,
        role_assignments__role__in=roles_allowing(action),
        role_assignments__organisation__path__startswith=agency.path,
    )
    above = people_who_can(action, agency).values("pk")
    return Person.objects.filter(Q(pk__in=inside.values("pk")) | Q(pk__in=above)).distinct()


def agency_of(organisation: Organisation) -> Organisation:
    """The agency (or ministry) whose inventory an organisation's items belong to."""
    return organisation.agency


def _refuse_if_locked(agency: Organisation) -> None:
    locked = AgencyInventory.objects.filter(agency=agency, status__in=LOCKED_STATES).first()
    if locked is not None:
        raise TransitionRefused(
            _(
                "The %(year)s inventory of %(agency)s has been submitted; its items cannot"
                " change until it is returned."
            )
            % {"year": year_label(locked.year), "agency": agency}
        )


def _next_identifier(agency: Organisation, taken: set[str]) -> str:
    number = InventoryItem.objects.filter(agency=agency).count() + 1
    while (
        f"{number:04d}" in taken
        or InventoryItem.objects.filter(agency=agency, identifier=f"{number:04d}").exists()
    ):
        number += 1
    return f"{number:04d}"


def _link_dataset(item: InventoryItem) -> None:
    """Point `item.dataset` at the Dataset its 資料集編號 names, if there is one."""
    from steward.datasets.models import Dataset

    if not item.dataset_identifier:
        item.dataset = None
        return
    if item.dataset_id is None or item.dataset.identifier != item.dataset_identifier:  # type: ignore[union-attr]
        item.dataset = Dataset.objects.filter(identifier=item.dataset_identifier).first()


def _next_free(start: int, used: set[str]) -> str:
    number = start
    while f"{number:04d}" in used:
        number += 1
    return f"{number:04d}"


def _link_datasets(items: list[InventoryItem]) -> None:
    """`_link_dataset` for many items in one query."""
    from steward.datasets.models import Dataset

    wanted = {item.dataset_identifier for item in items if item.dataset_identifier}
    found = {d.identifier: d for d in Dataset.objects.filter(identifier__in=wanted)}
    for item in items:
        item.dataset = found.get(item.dataset_identifier) if item.dataset_identifier else None


def _item_state(item: InventoryItem) -> dict[str, Any]:
    state = model_to_dict(item, fields=[*EDITABLE_FIELDS, "organisation"])
    return {key: value for key, value in state.items()}


# ---- items ----------------------------------------------------------------------------------


def create_item(
    *, by: Person, organisation: Organisation, data: Mapping[str, Any]
) -> InventoryItem:
    """Add one item to the inventory of `organisation` (a unit, or an agency without units)."""
    require(by, Action.INVENTORY_EDIT, organisation)
    agency = agency_of(organisation)
    with transaction.atomic():
        _refuse_if_locked(agency)
        item = InventoryItem(agency=agency, organisation=organisation, updated_by=by)
        for name in EDITABLE_FIELDS:
            if name in data:
                setattr(item, name, data[name])
        if not item.identifier:
            item.identifier = _next_identifier(agency, set())
        _link_dataset(item)
        item.full_clean()
        item.save()
        record(
            actor=by,
            action="inventory.item.create",
            subject=item,
            organisation=organisation,
            changes=diff({}, _item_state(item)),
        )
    return item


def update_item(
    item: InventoryItem,
    *,
    by: Person,
    data: Mapping[str, Any],
    organisation: Organisation | None = None,
) -> InventoryItem:
    """Change an item; moving it to another unit needs the right to edit there too."""
    require(by, Action.INVENTORY_EDIT, item.organisation)
    if organisation is not None and organisation.pk != item.organisation_id:
        require(by, Action.INVENTORY_EDIT, organisation)
        if agency_of(organisation).pk != item.agency_id:
            raise TransitionRefused(_("An item cannot move to another agency's inventory."))
    with transaction.atomic():
        item = InventoryItem.objects.select_for_update().get(pk=item.pk)
        _refuse_if_locked(item.agency)
        before = _item_state(item)
        for name in EDITABLE_FIELDS:
            if name in data:
                setattr(item, name, data[name])
        if organisation is not None:
            item.organisation = organisation
        if not item.identifier:
            item.identifier = _next_identifier(item.agency, set())
        item.updated_by = by
        _link_dataset(item)
        item.full_clean()
        item.save()
        changes = diff(before, _item_state(item))
        record(
            actor=by,
            action="inventory.item.update",
            subject=item,
            organisation=item.organisation,
            changes=changes,
        )
    return item


# ---- the yearly return -----------------------------------------------------------------------


# The years a return may be for: those of the planned openings (InventoryItem.planned_year).
FIRST_RETURN_YEAR, LAST_RETURN_YEAR = 2000, 2100


def _check_year(year: int) -> None:
    if not FIRST_RETURN_YEAR <= year <= LAST_RETURN_YEAR:
        raise TransitionRefused(
            {
                "year": _("An inventory is for a year from %(first)d to %(last)d, not %(year)s.")
                % {"first": FIRST_RETURN_YEAR, "last": LAST_RETURN_YEAR, "year": year}
            }
        )


def inventory_for(agency: Organisation, year: int) -> AgencyInventory:
    """The agency's return for `year`: the stored one, or an empty draft not yet saved.

    Nothing is written here. The step that changes the return (`submit_inventory`) stores
    it, after checking who asks: a refused request leaves no draft behind.
    """
    if agency.kind not in (OrganisationKind.AGENCY, OrganisationKind.MINISTRY):
        raise TransitionRefused(_("Only an agency or the ministry submits an inventory."))
    _check_year(year)
    stored = AgencyInventory.objects.filter(agency=agency, year=year).first()
    return stored or AgencyInventory(agency=agency, year=year)


def _locked(inventory: AgencyInventory) -> AgencyInventory:
    """The stored return of `inventory`'s agency and year, locked; created as a draft when
    there is none yet. Call only after the permission check."""
    _check_year(inventory.year)
    stored, _created = AgencyInventory.objects.select_for_update().get_or_create(
        agency=inventory.agency, year=inventory.year
    )
    return stored


def _check_transition(current: str, transition: str) -> str:
    allowed_from, to_state = TRANSITIONS[transition]
    if current not in allowed_from:
        raise TransitionRefused(
            _("An inventory that is “%(state)s” cannot be %(step)s.")
            % {"state": InventoryStatus(current).label, "step": _STEP_LABELS[transition]}
        )
    return to_state


_STEP_LABELS = {
    "submit": gettext_lazy("submitted"),
    "submit_for_agency_approval": gettext_lazy("submitted"),
    "agency_approve": gettext_lazy("approved by the agency's CIO"),
    "compile": gettext_lazy("compiled"),
    "approve": gettext_lazy("approved"),
    "return": gettext_lazy("returned"),
}


def _snapshot(agency: Organisation, year: int) -> dict[str, Any]:
    from steward.inventory.exporting import item_rows

    items = InventoryItem.objects.filter(agency=agency).select_related("agency", "organisation")
    headers, rows = item_rows(items)
    return {"year": year, "headers": headers, "rows": rows}


def submit_inventory(
    inventory: AgencyInventory, *, by: Person, shortfall_reason: str = ""
) -> AgencyInventory:
    """Submit the agency's inventory to the information centre (提報資訊中心彙整).

    When the plan asks for it (MOEA), a shortfall against the year's target needs a written
    reason (敘明理由).
    """
    if not has_role_for(by, Step.SUBMIT, inventory.agency):
        raise PermissionDenied(
            _("You may not submit the inventory of %(agency)s.") % {"agency": inventory.agency}
        )
    agency_first = agency_approval_first(inventory.agency)
    with transaction.atomic():
        inventory = _locked(inventory)
        from_state = inventory.status
        to_state = _check_transition(
            from_state, "submit_for_agency_approval" if agency_first else "submit"
        )
        row = target_rules.target_row(inventory.agency, inventory.year)
        reason = shortfall_reason.strip()
        if row.shortfall and row.requires_reason and not reason:
            raise TransitionRefused(
                {
                    "shortfall_reason": _(
                        "%(planned)d openings are planned for %(year)s against a target of"
                        " %(target)d: explain the shortfall of %(shortfall)d in writing before"
                        " submitting."
                    )
                    % {
                        "planned": row.planned,
                        "year": year_label(inventory.year),
                        "target": row.target,
                        "shortfall": row.shortfall,
                    }
                }
            )
        inventory.status = to_state
        inventory.planned_openings = row.planned
        inventory.target = row.target
        inventory.shortfall_reason = reason if row.shortfall else ""
        inventory.return_reason = ""
        inventory.snapshot = _snapshot(inventory.agency, inventory.year)
        inventory.submitted_at = timezone.now()
        inventory.submitted_by = by
        inventory.save()
        record(
            actor=by,
            action="inventory.submit",
            subject=inventory,
            organisation=inventory.agency,
            from_state=from_state,
            to_state=to_state,
            comment=inventory.shortfall_reason,
            changes={"planned_openings": row.planned, "target": row.target},
        )
        if agency_first:
            notify(
                own_cios(inventory.agency),
                subject=_("Inventory awaits your approval: %(agency)s %(year)s")
                % {"agency": inventory.agency, "year": year_label(inventory.year)},
                body=_(
                    "%(agency)s submitted its %(year)s inventory: as its CIO, approve it"
                    " before it goes to the information centre."
                )
                % {"agency": inventory.agency, "year": year_label(inventory.year)},
            )
        else:
            _tell_centre(inventory)
    return inventory


def _tell_centre(inventory: AgencyInventory) -> None:
    notify(
        people_who_can(Action.INVENTORY_COMPILE, inventory.agency),
        subject=_("Inventory submitted: %(agency)s %(year)s")
        % {"agency": inventory.agency, "year": year_label(inventory.year)},
        body=_("%(agency)s submitted its %(year)s inventory for compilation.")
        % {"agency": inventory.agency, "year": year_label(inventory.year)},
    )


def own_cios(agency: Organisation) -> QuerySet[Person]:
    """The CIOs of `agency` itself (a CIO role held in it or in its units; for the ministry,
    in the ministry or a unit of it)."""
    if agency.kind == OrganisationKind.MINISTRY:
        where = Q(role_assignments__organisation=agency) | Q(
            role_assignments__organisation__parent=agency,
            role_assignments__organisation__kind=OrganisationKind.UNIT,
        )
    else:
        where = Q(role_assignments__organisation__path__startswith=agency.path)
    return Person.objects.filter(
        where, role_assignments__active=True, role_assignments__role=Role.CIO, is_active=True
    ).distinct()


def approve_for_agency(
    inventory: AgencyInventory, *, by: Person, comment: str = ""
) -> AgencyInventory:
    """The agency's own CIO approves its return (經內部資訊長核定), which then goes to the
    information centre to compile. Only where the plan's inventory chain says so (MOEA)."""
    if not has_role_for(by, Step.AGENCY_APPROVE, inventory.agency):
        raise PermissionDenied(
            _("Only the CIO of %(agency)s approves its inventory before it is compiled.")
            % {"agency": inventory.agency}
        )
    if inventory.pk is None:
        raise TransitionRefused(
            _("An inventory that is “%(state)s” cannot be %(step)s.")
            % {
                "state": InventoryStatus.DRAFT.label,
                "step": _STEP_LABELS["agency_approve"],
            }
        )
    with transaction.atomic():
        inventory = AgencyInventory.objects.select_for_update().get(pk=inventory.pk)
        from_state = inventory.status
        to_state = _check_transition(from_state, "agency_approve")
        inventory.status = to_state
        inventory.save(update_fields=["status"])
        record(
            actor=by,
            action="inventory.agency_approve",
            subject=inventory,
            organisation=inventory.agency,
            from_state=from_state,
            to_state=to_state,
            comment=comment.strip(),
        )
        _tell_centre(inventory)
    return inventory


def compile_inventories(
    ministry: Organisation, year: int, *, by: Person, note: str = ""
) -> InventoryCompilation:
    """Compile every submitted return of `year` into the ministry-wide compilation (彙整).

    Returns that arrive later are added to the same compilation, which then awaits the CIO
    again.
    """
    if not has_role_for(by, Step.COMPILE, ministry):
        raise PermissionDenied(
            _("You may not compile the inventories of %(ministry)s.") % {"ministry": ministry}
        )
    if ministry.kind != OrganisationKind.MINISTRY:
        raise TransitionRefused(_("Inventories are compiled for a whole ministry."))
    _check_year(year)
    with transaction.atomic():
        submitted = list(
            AgencyInventory.objects.select_for_update()
            .filter(agency__path__startswith=ministry.path, year=year)
            .filter(status=InventoryStatus.SUBMITTED)
        )
        if not submitted:
            raise TransitionRefused(
                _("No agency has a submitted %(year)s inventory to compile.")
                % {"year": year_label(year)}
            )
        for inventory in submitted:
            _check_transition(inventory.status, "compile")
        compilation, _created = InventoryCompilation.objects.select_for_update().get_or_create(
            ministry=ministry, year=year
        )
        from_state = "" if _created else compilation.status
        compilation.status = InventoryCompilation.Status.COMPILED
        compilation.note = note or compilation.note
        compilation.compiled_at = timezone.now()
        compilation.compiled_by = by
        compilation.save()
        AgencyInventory.objects.filter(pk__in=[i.pk for i in submitted]).update(
            status=InventoryStatus.COMPILED, compilation=compilation
        )
        record(
            actor=by,
            action="inventory.compile",
            subject=compilation,
            organisation=ministry,
            from_state=from_state,
            to_state=compilation.status,
            comment=note,
            changes={
                "returns": {str(i.agency): InventoryStatus.SUBMITTED.value for i in submitted}
            },
        )
        notify(
            people_who_can(Action.INVENTORY_APPROVE, ministry),
            subject=_("Inventory compilation %(year)s awaits your approval")
            % {"year": year_label(year)},
            body=_("The information centre compiled %(count)d agencies' inventories for %(year)s.")
            % {"count": len(submitted), "year": year_label(year)},
        )
    return compilation


def approve_compilation(
    compilation: InventoryCompilation, *, by: Person, comment: str = ""
) -> InventoryCompilation:
    """The CIO approves the compilation (資訊長核定): every compiled return in it is approved."""
    if not has_role_for(by, Step.APPROVE, compilation.ministry):
        raise PermissionDenied(
            _("You may not approve the inventories of %(ministry)s.")
            % {"ministry": compilation.ministry}
        )
    with transaction.atomic():
        compilation = InventoryCompilation.objects.select_for_update().get(pk=compilation.pk)
        if compilation.status != InventoryCompilation.Status.COMPILED:
            raise TransitionRefused(_("This compilation has already been approved."))
        returns = list(
            compilation.returns.select_for_update().filter(status=InventoryStatus.COMPILED)
        )
        if not returns:
            raise TransitionRefused(_("The compilation holds no inventory awaiting approval."))
        for inventory in returns:
            _check_transition(inventory.status, "approve")
        AgencyInventory.objects.filter(pk__in=[i.pk for i in returns]).update(
            status=InventoryStatus.APPROVED
        )
        compilation.status = InventoryCompilation.Status.APPROVED
        compilation.approved_at = timezone.now()
        compilation.approved_by = by
        compilation.save()
        record(
            actor=by,
            action="inventory.approve",
            subject=compilation,
            organisation=compilation.ministry,
            from_state=InventoryCompilation.Status.COMPILED,
            to_state=InventoryCompilation.Status.APPROVED,
            comment=comment,
            changes={"returns": sorted(str(i.agency) for i in returns)},
        )
        recipients: set[Person] = set(
            people_who_can(Action.INVENTORY_COMPILE, compilation.ministry)
        )
        for inventory in returns:
            recipients |= set(people_in_agency(Action.INVENTORY_SUBMIT, inventory.agency))
        notify(
            recipients,
            subject=_("Inventory %(year)s approved by the CIO")
            % {"year": year_label(compilation.year)},
            body=comment or _("The CIO approved the compiled inventory."),
        )
    return compilation


def return_inventory(inventory: AgencyInventory, *, by: Person, reason: str) -> AgencyInventory:
    """Send an agency's inventory back for correction, with the reason (退回修正).

    A return never creates the row: one not stored yet is a draft, which cannot go back.
    """
    with transaction.atomic():
        if inventory.pk is not None:  # (one not stored yet is a draft: never saved here)
            inventory = AgencyInventory.objects.select_for_update().get(pk=inventory.pk)
        # In a state nobody returns from, the state check below says so; else the role decides.
        any_role = inventory.status not in TRANSITIONS["return"][0]
        status = None if any_role else inventory.status
        if not has_role_for(by, Step.RETURN, inventory.agency, status):
            raise PermissionDenied(
                _("You may not return the inventory of %(agency)s.") % {"agency": inventory.agency}
            )
        from_state = inventory.status
        to_state = _check_transition(from_state, "return")
        if not reason.strip():
            raise TransitionRefused({"reason": _("Say why the inventory goes back.")})
        inventory.status = to_state
        inventory.return_reason = reason.strip()
        inventory.compilation = None
        inventory.save()
        record(
            actor=by,
            action="inventory.return",
            subject=inventory,
            organisation=inventory.agency,
            from_state=from_state,
            to_state=to_state,
            comment=inventory.return_reason,
        )
        notify(
            people_in_agency(Action.INVENTORY_SUBMIT, inventory.agency),
            subject=_("Inventory %(year)s returned for correction")
            % {"year": year_label(inventory.year)},
            body=inventory.return_reason,
        )
    return inventory
