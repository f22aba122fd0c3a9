"""The one scoping rule: who may do what, where.

A role assignment lets its holder perform the role's actions in the subtree of
the assignment's organisation. The information centre (資訊中心), the CIO
(資訊長) and advisory-committee members act for the whole ministry, so their
subtree is the ministry's. Superusers may do everything. Every page, API call
and service asks here; nothing else decides scope.
"""

from __future__ import annotations

from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.organisations.models import Organisation, OrganisationKind, Person, Role


class Action(StrEnum):
    """Things people do in the programme. Services name the action they perform."""

    VIEW = "view"
    INVENTORY_EDIT = "inventory.edit"
    INVENTORY_SUBMIT = "inventory.submit"
    INVENTORY_COMPILE = "inventory.compile"
    INVENTORY_APPROVE = "inventory.approve"
    DATASET_DRAFT = "dataset.draft"
    DATASET_UNIT_REVIEW = "dataset.unit_review"
    DATASET_CENTRE_REVIEW = "dataset.centre_review"
    DATASET_COMMITTEE_DECISION = "dataset.committee_decision"
    DATASET_APPROVE = "dataset.approve"
    DATASET_PUBLISH = "dataset.publish"
    WITHDRAWAL_REQUEST = "withdrawal.request"
    WITHDRAWAL_APPROVE = "withdrawal.approve"
    PLAN_MANAGE = "plan.manage"
    CALENDAR_IMPORT = "calendar.import"
    QUALITY_RUN = "quality.run"
    FEEDBACK_REPLY = "feedback.reply"
    FEEDBACK_APPROVE_REPLY = "feedback.approve_reply"
    FEEDBACK_ROUTE = "feedback.route"  # enter items received elsewhere, (re)assign them
    REPORT_VIEW = "report.view"
    ACCOUNT_UNLOCK = "account.unlock"  # lift a sign-in lockout (steward/organisations/signin)
    ROLES_MANAGE = "roles.manage"
    COMMITTEE_MANAGE = "committee.manage"  # the advisory committee's members, meetings, minutes
    WORKING_GROUP_MANAGE = "working_group.manage"  # an agency's working group (工作小組)
    EVALUATION_RUN = "evaluation.run"  # run evaluations, review self- and improvement reports
    EVALUATION_REPORT = "evaluation.report"  # self-reports and improvement reports (the agency)
    AWARD_APPROVE = "evaluation.approve_awards"  # the head approves the award list (敘獎)
    TASK_WORK = "task.work"  # do a schedule task (工作事項) and attach its evidence
    TASK_SIGN_OFF = "task.sign_off"  # sign a finished task off (資訊中心列管)


#: What each action is called in a refusal ("… may not import office calendars …").
ACTION_LABELS: dict[Action, Any] = {
    Action.VIEW: gettext_lazy("view this"),
    Action.INVENTORY_EDIT: gettext_lazy("edit the inventory"),
    Action.INVENTORY_SUBMIT: gettext_lazy("submit the inventory"),
    Action.INVENTORY_COMPILE: gettext_lazy("compile the inventory"),
    Action.INVENTORY_APPROVE: gettext_lazy("approve the inventory"),
    Action.DATASET_DRAFT: gettext_lazy("draft datasets"),
    Action.DATASET_UNIT_REVIEW: gettext_lazy("review datasets (unit review)"),
    Action.DATASET_CENTRE_REVIEW: gettext_lazy("review datasets (centre review)"),
    Action.DATASET_COMMITTEE_DECISION: gettext_lazy("record committee decisions"),
    Action.DATASET_APPROVE: gettext_lazy("approve datasets"),
    Action.DATASET_PUBLISH: gettext_lazy("publish datasets"),
    Action.WITHDRAWAL_REQUEST: gettext_lazy("request withdrawals"),
    Action.WITHDRAWAL_APPROVE: gettext_lazy("approve withdrawals"),
    Action.PLAN_MANAGE: gettext_lazy("manage action plans"),
    Action.CALENDAR_IMPORT: gettext_lazy("import office calendars"),
    Action.QUALITY_RUN: gettext_lazy("run quality checks"),
    Action.FEEDBACK_REPLY: gettext_lazy("reply to feedback"),
    Action.FEEDBACK_APPROVE_REPLY: gettext_lazy("approve replies to feedback"),
    Action.REPORT_VIEW: gettext_lazy("view reports"),
    Action.ACCOUNT_UNLOCK: gettext_lazy("unlock sign-in lockouts"),
    Action.ROLES_MANAGE: gettext_lazy("manage role assignments"),
    Action.FEEDBACK_ROUTE: gettext_lazy("enter and assign feedback"),
    Action.COMMITTEE_MANAGE: gettext_lazy("keep the advisory committee's records"),
    Action.WORKING_GROUP_MANAGE: gettext_lazy("keep the working group's records"),
    Action.EVALUATION_RUN: gettext_lazy("run evaluations and review reports"),
    Action.EVALUATION_REPORT: gettext_lazy("report achievements and improvements"),
    Action.AWARD_APPROVE: gettext_lazy("approve the award list"),
    Action.TASK_WORK: gettext_lazy("work on schedule tasks"),
    Action.TASK_SIGN_OFF: gettext_lazy("sign off schedule tasks"),
}

_EVERYONE = {Action.VIEW, Action.REPORT_VIEW}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.LIAISON: frozenset(
        _EVERYONE
        | {
            Action.INVENTORY_EDIT,
            Action.INVENTORY_SUBMIT,
            Action.DATASET_DRAFT,
            Action.WITHDRAWAL_REQUEST,
            Action.QUALITY_RUN,
            Action.FEEDBACK_REPLY,
            Action.FEEDBACK_ROUTE,
            Action.EVALUATION_REPORT,
            Action.TASK_WORK,
        }
    ),
    Role.UNIT_REVIEWER: frozenset(
        _EVERYONE | {Action.DATASET_UNIT_REVIEW, Action.INVENTORY_SUBMIT, Action.TASK_WORK}
    ),
    Role.INFORMATION_CENTRE: frozenset(
        _EVERYONE
        | {
            Action.INVENTORY_COMPILE,
            Action.DATASET_CENTRE_REVIEW,
            Action.DATASET_COMMITTEE_DECISION,
            Action.DATASET_PUBLISH,
            Action.PLAN_MANAGE,
            Action.CALENDAR_IMPORT,
            Action.QUALITY_RUN,
            Action.ACCOUNT_UNLOCK,
            Action.ROLES_MANAGE,
            Action.FEEDBACK_ROUTE,
            Action.COMMITTEE_MANAGE,
            Action.WORKING_GROUP_MANAGE,
            Action.EVALUATION_RUN,
            Action.TASK_WORK,
            Action.TASK_SIGN_OFF,
        }
    ),
    Role.CIO: frozenset(
        _EVERYONE
        | {Action.INVENTORY_APPROVE, Action.DATASET_APPROVE, Action.FEEDBACK_APPROVE_REPLY}
    ),
    Role.HEAD_OF_AGENCY: frozenset(
        _EVERYONE | {Action.WITHDRAWAL_APPROVE, Action.WORKING_GROUP_MANAGE, Action.AWARD_APPROVE}
    ),
    Role.COMMITTEE_MEMBER: frozenset(_EVERYONE | {Action.DATASET_COMMITTEE_DECISION}),
    Role.AUDITOR: frozenset(_EVERYONE),
}

# Roles that act for the whole ministry, wherever in the tree they are held.
MINISTRY_WIDE_ROLES = frozenset({Role.INFORMATION_CENTRE, Role.CIO, Role.COMMITTEE_MEMBER})

# Actions a role held in a unit of an agency performs for that whole agency: an agency's
# figures, dashboard and reports are the agency's, and its liaison sits in one of its units.
# (A unit of the ministry itself keeps its own subtree: the ministry's reports cover every
# agency.)
AGENCY_WIDE_ACTIONS = frozenset({Action.REPORT_VIEW})


def _agency_of(organisation: Organisation) -> Organisation | None:
    """The agency `organisation` belongs to (itself, or the agency above its unit); None for
    the ministry and its own units."""
    home = organisation.agency
    return home if home.kind == OrganisationKind.AGENCY else None


def _acts_for(organisation: Organisation, role: Role, action: Action) -> Organisation:
    """The organisation whose subtree a role held at `organisation` reaches for `action`."""
    if role in MINISTRY_WIDE_ROLES:
        return organisation.ministry
    if action in AGENCY_WIDE_ACTIONS and organisation.kind == OrganisationKind.UNIT:
        return _agency_of(organisation) or organisation
    return organisation


def roles_allowing(action: Action) -> frozenset[Role]:
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


def scope_roots(person: Person, action: Action = Action.VIEW) -> list[Organisation]:
    """The organisations in whose subtrees `person` may perform `action`."""
    if not person.is_authenticated or not person.is_active:
        return []
    allowed = roles_allowing(action)
    roots: dict[int, Organisation] = {}
    for assignment in person.active_roles():
        if assignment.role not in allowed:
            continue
        organisation = _acts_for(assignment.organisation, Role(assignment.role), action)
        roots[organisation.pk] = organisation
    # Drop roots already inside another root.
    ordered = sorted(roots.values(), key=lambda org: len(org.path))
    kept: list[Organisation] = []
    for organisation in ordered:
        if not any(organisation.is_within(root) for root in kept):
            kept.append(organisation)
    return kept


def acts_beyond_units(person: Person, action: Action) -> bool:
    """Does `person` hold `action` in an agency or the ministry, not only within units? The
    reports are made of those (`reports.views.visible_organisations`); read from the roles
    the request already holds, with no query."""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_superuser:
        return True
    allowed = roles_allowing(action)
    return any(
        assignment.role in allowed
        and _acts_for(assignment.organisation, Role(assignment.role), action).kind
        != OrganisationKind.UNIT
        for assignment in person.active_roles()
    )


def scope_q(person: Person, action: Action = Action.VIEW, *, field: str = "organisation") -> Q:
    """A filter for any model whose `field` points at an Organisation.

    `Dataset.objects.filter(scope_q(user, Action.VIEW))` keeps what the user may see.
    Use `field=""` to filter Organisation itself.
    """
    prefix = f"{field}__" if field else ""
    if person.is_authenticated and person.is_superuser and person.is_active:
        return Q()
    roots = scope_roots(person, action)
    if not roots:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": root.path}) for root in roots))


def organisations_for(person: Person, action: Action = Action.VIEW) -> QuerySet[Organisation]:
    """Every organisation where `person` may perform `action`."""
    return Organisation.objects.filter(scope_q(person, action, field=""))


def can(person: Person, action: Action, organisation: Organisation) -> bool:
    """May `person` perform `action` on something that belongs to `organisation`?"""
    return PersonScope(person).can(action, organisation)


class PersonScope:
    """`can()` for one person asked about many organisations (a page of rows): the roots of
    each action are read once, not once a row, so a list's queries do not grow with it."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self._roots: dict[Action, list[Organisation]] = {}

    def can(self, action: Action, organisation: Organisation) -> bool:
        person = self.person
        if not person.is_authenticated or not person.is_active:
            return False
        if person.is_superuser:
            return True
        if action not in self._roots:
            self._roots[action] = scope_roots(person, action)
        return any(organisation.is_within(root) for root in self._roots[action])


def require(person: Person, action: Action, organisation: Organisation) -> None:
    """Raise PermissionDenied unless `person` may perform `action` in `organisation`."""
    if not can(person, action, organisation):
        raise PermissionDenied(
            _("%(person)s may not %(action)s for %(organisation)s.")
            % {"person": person, "action": ACTION_LABELS[action], "organisation": organisation}
        )


def organisation_for(person: Person, pk: int, action: Action = Action.VIEW) -> Organisation:
    """The organisation `pk` if `person` may perform `action` there, else 404."""
    try:
        return organisations_for(person, action).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404(_("No such organisation in your scope.")) from None


def people_who_can(action: Action, organisation: Organisation) -> QuerySet[Person]:
    """Everybody who may perform `action` on something of `organisation`: who must act next."""
    allowed = roles_allowing(action)
    ancestor_ids = [int(part) for part in organisation.path.strip("/").split("/") if part]
    ministry_id = ancestor_ids[0] if ancestor_ids else organisation.pk
    local_roles = allowed - MINISTRY_WIDE_ROLES
    wide_roles = allowed & MINISTRY_WIDE_ROLES
    in_scope = Q(
        role_assignments__active=True,
        role_assignments__role__in=local_roles,
        role_assignments__organisation_id__in=ancestor_ids,
    ) | Q(
        role_assignments__active=True,
        role_assignments__role__in=wide_roles,
        role_assignments__organisation__path__startswith=f"/{ministry_id}/",
    )
    if action in AGENCY_WIDE_ACTIONS:  # local roles held in any unit of the agency
        home = _agency_of(organisation)
        if home is not None:
            in_scope |= Q(
                role_assignments__active=True,
                role_assignments__role__in=local_roles,
                role_assignments__organisation__path__startswith=home.path,
                role_assignments__organisation__kind=OrganisationKind.UNIT,
            )
    return Person.objects.filter(in_scope, is_active=True).distinct()
