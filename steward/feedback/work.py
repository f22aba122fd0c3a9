"""Replies to the public due, and replies waiting for the CIO, for the home page.

Derived from `workflow.RULES`: an item waits on a person when its status starts a reply or
approval step (draft, submit, approve, send) whose action the person holds for the item's
organisation, with the CIO condition of the step matching the item. One query.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from steward.feedback.models import FeedbackItem, Status
from steward.feedback.workflow import RULES, Step, StepRule
from steward.organisations.models import Person
from steward.organisations.scope import scope_q
from steward.organisations.work import WorkItem, work_source

#: The steps that are someone's work on a reply (routing, closing and decisions are not due).
REPLY_STEPS = (Step.DRAFT, Step.SUBMIT, Step.APPROVE, Step.SEND)


def _q(rule: StepRule, person: Person) -> Q:
    q = Q(status__in=sorted(rule.starts_from)) & scope_q(person, rule.action)
    if rule.needs_cio_approval is not None:
        q &= Q(cio_approval_required=rule.needs_cio_approval)
    return q


@work_source
def feedback_waiting(person: Person) -> Iterable[WorkItem]:
    if not person.is_authenticated or not person.is_active:
        return []
    rules = [rule for step, rule in RULES if step in REPLY_STEPS]
    waiting = Q(pk__in=[])
    for rule in rules:
        waiting |= _q(rule, person)
    items = FeedbackItem.objects.filter(waiting).select_related("organisation").order_by("due_at")
    return [
        WorkItem(
            kind=_("Approve a reply to the public")
            if item.status == Status.AWAITING_APPROVAL
            else _("Reply to the public"),
            title=item.subject or _("Feedback #%(number)s") % {"number": item.pk},
            url=reverse("feedback:detail", args=[item.pk]),
            due=item.due_on,
            organisation=item.organisation,
        )
        for item in items
    ]
