"""Who may take which step of the yearly inventory return (年度盤點提報), in which state.

`STEPS` is the one table: the returns page builds its buttons from `available_steps`, the API
lists the same steps with each return, and the services refuse a person `has_role_for`
denies. The states a step leaves from and goes to are `models.TRANSITIONS`.

    submit   a data liaison or unit reviewer of the agency (a role in any of its units
             counts), from draft or returned; where the plan's inventory chain starts with
             agency_approval (MOEA: 經內部資訊長核定後提報), it goes to the agency's own CIO;
    agency_approve  the agency's own CIO (a CIO role held in the agency or its units; for the
             ministry's own return, in the ministry), which passes it to the centre;
    return   the CIO from submitted or compiled, or the information centre from submitted
             (before compiling), or the agency's own CIO before approving, always with a reason;
    compile  the information centre, for the whole ministry, when a return is submitted;
    approve  the CIO, for the whole compilation, when it is compiled.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from steward.inventory.models import InventoryStatus
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, scope_roots


class Step(models.TextChoices):
    SUBMIT = "submit", _("Submit to the information centre")
    AGENCY_APPROVE = "agency_approve", _("Approve as the agency's CIO")
    RETURN = "return", _("Return for correction")
    COMPILE = "compile", _("Compile and send to the CIO")
    APPROVE = "approve", _("Approve the compiled inventory")


S = InventoryStatus

#: Steps taken on one agency's return, and those taken on the ministry's compilation.
RETURN_STEPS = frozenset({Step.SUBMIT, Step.AGENCY_APPROVE, Step.RETURN})
COMPILATION_STEPS = frozenset({Step.COMPILE, Step.APPROVE})

#: (step, the return's states it may be taken from, the action it needs, whether a role held
#: in one of the agency's units counts). A step may have several rows: any one allows it.
STEPS: tuple[tuple[Step, frozenset[str], Action, bool], ...] = (
    (Step.SUBMIT, frozenset({S.DRAFT, S.RETURNED}), Action.INVENTORY_SUBMIT, True),
    (Step.RETURN, frozenset({S.SUBMITTED, S.COMPILED}), Action.INVENTORY_APPROVE, False),
    (Step.RETURN, frozenset({S.SUBMITTED}), Action.INVENTORY_COMPILE, False),
    (Step.COMPILE, frozenset({S.SUBMITTED}), Action.INVENTORY_COMPILE, False),
    (Step.APPROVE, frozenset({S.COMPILED}), Action.INVENTORY_APPROVE, False),
)

#: Steps only the agency's own CIO takes (a CIO's ministry-wide scope does not count here).
OWN_CIO_STEPS: tuple[tuple[Step, frozenset[str]], ...] = (
    (Step.AGENCY_APPROVE, frozenset({S.AGENCY_APPROVAL})),
    (Step.RETURN, frozenset({S.AGENCY_APPROVAL})),
)


def agency_approval_first(agency: Organisation) -> bool:
    """Does the plan's inventory chain have the agency's own CIO approve before the centre
    compiles (`rules.inventory.stages`, MOEA)?"""
    from steward.plans.document import rules_for_organisation

    return rules_for_organisation(agency).inventory.agency_approval_first


class StepRules:
    """`STEPS` applied to one person, reading their roles once however many organisations
    are asked about (a page of returns asks about every agency)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self._roots: dict[Action, list[Organisation]] = {}
        self._own_cio: set[int] | None = None

    def is_own_cio(self, agency: Organisation) -> bool:
        """Does the person hold the CIO role in `agency` itself or one of its units?"""
        person = self.person
        if not person.is_authenticated or not person.is_active:
            return False
        if self._own_cio is None:
            from steward.organisations.models import Role

            self._own_cio = {
                assignment.organisation.agency.pk
                for assignment in person.role_assignments.filter(
                    active=True, role=Role.CIO
                ).select_related("organisation")
            }
        return agency.pk in self._own_cio

    def _scope_roots(self, action: Action) -> list[Organisation]:
        if action not in self._roots:
            self._roots[action] = scope_roots(self.person, action)
        return self._roots[action]

    def can(self, action: Action, organisation: Organisation) -> bool:
        """As `scope.can`, with the person's roles read once."""
        person = self.person
        if not person.is_authenticated or not person.is_active:
            return False
        if person.is_superuser:
            return True
        return any(organisation.is_within(root) for root in self._scope_roots(action))

    def can_in_agency(self, action: Action, agency: Organisation) -> bool:
        """May the person `action` for the agency as a whole?

        Data liaisons and unit reviewers hold their roles in units; they act for their
        agency's return (the seeds: 各單位 inventory, the agency submits), so a role anywhere
        inside the agency counts.
        """
        if self.can(action, agency):
            return True
        return any(root.is_within(agency) for root in self._scope_roots(action))

    def _holds(self, action: Action, organisation: Organisation, from_units: bool) -> bool:
        if from_units:
            return self.can_in_agency(action, organisation)
        return self.can(action, organisation)

    def has_role_for(
        self, step: Step, organisation: Organisation, status: str | None = None
    ) -> bool:
        """Does the person hold a role that takes `step` for `organisation` (in `status`,
        if given)? The services ask this before anything else; the state is their second
        check."""
        if any(
            row_step == step and (status is None or status in states)
            for row_step, states in OWN_CIO_STEPS
        ) and self.is_own_cio(organisation):
            return True
        return any(
            row_step == step
            and (status is None or status in states)
            and self._holds(action, organisation, from_units)
            for row_step, states, action, from_units in STEPS
        )

    def available(
        self, organisation: Organisation, status: str, *, compilation: bool = False
    ) -> list[Step]:
        """The steps the person may take now, in the table's order, without repeats.

        For an agency's return, `status` is its state (draft when it has none yet). With
        `compilation`, the steps on the ministry's compilation: `status` is SUBMITTED when
        some return waits to be compiled, COMPILED when the compilation waits for the CIO.
        """
        kinds = COMPILATION_STEPS if compilation else RETURN_STEPS
        steps: list[Step] = []
        for step, states, action, from_units in STEPS:
            if step not in kinds or step in steps or status not in states:
                continue
            if self._holds(action, organisation, from_units):
                steps.append(step)
        if not compilation:
            for step, states in OWN_CIO_STEPS:
                if step not in steps and status in states and self.is_own_cio(organisation):
                    steps.append(step)
        return steps


def can_in_agency(person: Person, action: Action, agency: Organisation) -> bool:
    """See `StepRules.can_in_agency`."""
    return StepRules(person).can_in_agency(action, agency)


def has_role_for(
    person: Person, step: Step, organisation: Organisation, status: str | None = None
) -> bool:
    """See `StepRules.has_role_for`."""
    return StepRules(person).has_role_for(step, organisation, status)


def available_steps(
    person: Person, organisation: Organisation, status: str, *, compilation: bool = False
) -> list[Step]:
    """See `StepRules.available`."""
    return StepRules(person).available(organisation, status, compilation=compilation)
