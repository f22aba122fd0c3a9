"""Who may see, do and sign off a task: the scoping rule applied to tasks.

Liaisons and unit reviewers hold their roles in units; a task belongs to the agency (or the
ministry), so a role held in one of the organisation's own units counts for it (as the
inventory return does). The information centre acts for the whole ministry.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from steward.organisations.models import Organisation, OrganisationKind, Person, Role
from steward.organisations.scope import Action, scope_q, scope_roots
from steward.tasks.models import Task

#: Roles that do tasks in their own organisation (the centre's scope is the ministry's).
LOCAL_WORKER_ROLES = (Role.LIAISON, Role.UNIT_REVIEWER)


def home_organisation(unit: Organisation) -> Organisation:
    """The organisation whose tasks a role held in `unit` works on: its agency, or the
    ministry for a unit of the ministry itself."""
    return unit.agency


def _work_organisation_ids(person: Person) -> set[int]:
    """The organisations whose tasks `person` works on through a role held in one of its
    units (or in it)."""
    return {home_organisation(root).pk for root in scope_roots(person, Action.TASK_WORK)}


def may_work(person: Person, organisation: Organisation) -> bool:
    """May `person` work on a task of `organisation` (start it, attach evidence, finish it)?"""
    if not person.is_authenticated or not person.is_active:
        return False
    if person.is_superuser:
        return True
    roots = scope_roots(person, Action.TASK_WORK)
    if any(organisation.is_within(root) for root in roots):
        return True
    return any(home_organisation(root).pk == organisation.pk for root in roots)


def may_sign_off(person: Person, organisation: Organisation) -> bool:
    from steward.organisations.scope import can

    return can(person, Action.TASK_SIGN_OFF, organisation)


def visible_q(person: Person) -> Q:
    """Tasks `person` may see: those in their view scope and those of their own agency."""
    if person.is_authenticated and person.is_active and person.is_superuser:
        return Q()
    return scope_q(person, Action.VIEW) | Q(organisation_id__in=_work_organisation_ids(person))


def visible_tasks(person: Person) -> QuerySet[Task]:
    return Task.objects.filter(visible_q(person))


def task_for(person: Person, pk: int) -> Task:
    """The task `pk` if `person` may see it, else 404 (another ministry's task does not exist)."""
    try:
        return visible_tasks(person).select_related("organisation", "version__plan").get(pk=pk)
    except Task.DoesNotExist:
        raise Http404(_("No such task in your scope.")) from None


def workers_of(organisation: Organisation) -> QuerySet[Person]:
    """The liaisons and unit reviewers who work on `organisation`'s tasks: those holding the
    role in it or in its own units."""
    if organisation.kind == OrganisationKind.MINISTRY:
        where = Q(role_assignments__organisation=organisation) | Q(
            role_assignments__organisation__parent=organisation,
            role_assignments__organisation__kind=OrganisationKind.UNIT,
        )
    else:
        where = Q(role_assignments__organisation__path__startswith=organisation.path)
    return Person.objects.filter(
        where,
        role_assignments__active=True,
        role_assignments__role__in=LOCAL_WORKER_ROLES,
        is_active=True,
    ).distinct()


#: Who takes each step of `models.TRANSITIONS`: the organisation's workers or the signer.
STEP_TAKEN_BY: dict[str, str] = {
    "start": "work",
    "complete": "work",
    "sign_off": "sign_off",
    "reopen": "sign_off",
}


#: The button of each step.
STEP_LABELS: dict[str, Any] = {
    "start": gettext_lazy("Start work"),
    "complete": gettext_lazy("Mark done and ask for sign-off"),
    "sign_off": gettext_lazy("Sign off"),
    "reopen": gettext_lazy("Send back"),
}


def available_steps(person: Person, task: Task) -> list[str]:
    """The steps `person` may take on `task` now, in the table's order: the page's buttons."""
    from steward.tasks.models import TRANSITIONS

    allowed = {
        "work": may_work(person, task.organisation),
        "sign_off": may_sign_off(person, task.organisation),
    }
    return [
        step
        for step, (starts, _goes_to) in TRANSITIONS.items()
        if task.status in starts and allowed[STEP_TAKEN_BY[step]]
    ]
