"""Who may see and manage which plan: everybody signed in sees their own ministry's plans.

A person sees a plan when any organisation in their view scope lies in the
plan's ministry (a liaison of one unit still reads the whole programme they
work under); other ministries' plans are 404. Managing (uploading a version)
is Action.PLAN_MANAGE in the plan's ministry: the information centre.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from steward.organisations.models import Person
from steward.organisations.scope import Action, can, scope_roots
from steward.plans.models import Plan, PlanVersion


def plans_for(person: Person) -> QuerySet[Plan]:
    """The plans `person` may read."""
    if person.is_authenticated and person.is_active and person.is_superuser:
        return Plan.objects.all()
    ministry_ids = {root.ministry.pk for root in scope_roots(person, Action.VIEW)}
    return Plan.objects.filter(ministry_id__in=ministry_ids)


def plan_for(person: Person, key: str) -> Plan:
    """The plan `key` if `person` may read it, else 404."""
    try:
        return plans_for(person).select_related("ministry").get(key=key)
    except Plan.DoesNotExist:
        raise Http404(_("No such plan in your scope.")) from None


def version_for(plan: Plan, label: str | None) -> PlanVersion:
    """The version `label` of `plan` (the current one when no label), else 404."""
    version = plan.versions.filter(label=label).first() if label else plan.current_version()
    if version is None:
        raise Http404(_("No such version of this plan."))
    return version


def can_manage_plan(person: Person, plan: Plan) -> bool:
    """May `person` upload new versions of `plan` (the information centre)?"""
    if person.is_authenticated and person.is_superuser:
        return True
    return plan.ministry is not None and can(person, Action.PLAN_MANAGE, plan.ministry)
