"""The steps of a feedback item and the one table of allowed moves.

Pages, the API and the services all read `STEPS`: which statuses a step starts from, where it
leads, and which action (steward/organisations/scope.py) it needs. Approval steps exist only
for items whose plan says the CIO approves replies (MOJ: 經機關資訊長核准).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from steward.feedback.models import FeedbackItem, Kind, Status
from steward.organisations.models import Person
from steward.organisations.scope import Action, PersonScope


class Step(StrEnum):
    ASSIGN = "assign"
    DRAFT = "draft"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    SEND = "send"
    CLOSE = "close"
    DECIDE = "decide"


@dataclass(frozen=True)
class StepRule:
    label: Promise
    starts_from: frozenset[Status]
    leads_to: Status | None  # None: the status stays as it is
    action: Action
    # True: only when the CIO approves replies; False: only when not; None: always.
    needs_cio_approval: bool | None = None
    data_requests_only: bool = False


_OPEN = frozenset({Status.RECEIVED, Status.DRAFTED, Status.AWAITING_APPROVAL, Status.APPROVED})

#: The one table of steps: (step, rule), in the order pages show them. A step whose moves
#: depend on the plan has a row for each case: the reply is sent from the draft, or, where the
#: CIO approves replies (MOJ), from the approved reply.
RULES: tuple[tuple[Step, StepRule], ...] = (
    (Step.ASSIGN, StepRule(_("Assign"), _OPEN, None, Action.FEEDBACK_ROUTE)),
    (
        Step.DRAFT,
        StepRule(
            _("Save the draft reply"),
            frozenset({Status.RECEIVED, Status.DRAFTED, Status.APPROVED}),
            Status.DRAFTED,
            Action.FEEDBACK_REPLY,
        ),
    ),
    (
        Step.SUBMIT,
        StepRule(
            _("Submit to the CIO for approval"),
            frozenset({Status.DRAFTED}),
            Status.AWAITING_APPROVAL,
            Action.FEEDBACK_REPLY,
            needs_cio_approval=True,
        ),
    ),
    (
        Step.APPROVE,
        StepRule(
            _("Approve the reply"),
            frozenset({Status.AWAITING_APPROVAL}),
            Status.APPROVED,
            Action.FEEDBACK_APPROVE_REPLY,
            needs_cio_approval=True,
        ),
    ),
    (
        Step.RETURN,
        StepRule(
            _("Return the reply for changes"),
            frozenset({Status.AWAITING_APPROVAL}),
            Status.DRAFTED,
            Action.FEEDBACK_APPROVE_REPLY,
            needs_cio_approval=True,
        ),
    ),
    (
        Step.SEND,
        StepRule(
            _("Send the reply"),
            frozenset({Status.DRAFTED}),
            Status.REPLIED,
            Action.FEEDBACK_REPLY,
            needs_cio_approval=False,
        ),
    ),
    (
        Step.SEND,
        StepRule(
            _("Send the reply"),
            frozenset({Status.APPROVED}),
            Status.REPLIED,
            Action.FEEDBACK_REPLY,
            needs_cio_approval=True,
        ),
    ),
    (
        Step.CLOSE,
        StepRule(_("Close"), frozenset({Status.REPLIED}), Status.CLOSED, Action.FEEDBACK_REPLY),
    ),
    # A data request becomes an inventory candidate (盤點) with its classification; the
    # inventory's own chain (submitted → compiled → approved by the CIO) approves it.
    (
        Step.DECIDE,
        StepRule(
            _("Record the decision in the inventory"),
            _OPEN | {Status.REPLIED},
            None,
            Action.INVENTORY_EDIT,
            data_requests_only=True,
        ),
    ),
)

#: Each step's label and action (every row of a step has the same), from `RULES`.
STEPS: dict[Step, StepRule] = {}
for _step, _rule in RULES:
    STEPS.setdefault(_step, _rule)


def rule_for(step: Step, item: FeedbackItem) -> StepRule | None:
    """The rule of `step` for this item, or None when it has no such step (its plan does not
    ask for it, or it is not a data request still to be decided)."""
    for candidate, rule in RULES:
        if candidate is not step:
            continue
        if (
            rule.needs_cio_approval is not None
            and rule.needs_cio_approval != item.cio_approval_required
        ):
            continue
        if rule.data_requests_only and (item.kind != Kind.DATA_REQUEST or item.inventory_item_id):
            return None
        return rule
    return None


def status_allows(step: Step, item: FeedbackItem) -> bool:
    rule = rule_for(step, item)
    return rule is not None and item.status in rule.starts_from


def available_steps(
    item: FeedbackItem, person: Person, *, scope: PersonScope | None = None
) -> list[Step]:
    """The steps `person` may take on `item` now: the buttons a page shows. A list passes one
    `scope` for all its rows, so the person's roles are read once."""
    scope = scope or PersonScope(person)
    return [
        step
        for step in Step
        if status_allows(step, item) and scope.can(STEPS[step].action, item.organisation)
    ]
