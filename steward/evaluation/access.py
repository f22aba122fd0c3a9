"""Who sees which evaluation records: one helper per kind, 404 outside the person's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from steward.evaluation.models import EvaluationRun, ImprovementReport, SelfReport
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, scope_q, scope_roots
from steward.plans.models import Plan


def visible_organisation_ids(person: Person) -> set[int]:
    return set(organisations_for(person, Action.REPORT_VIEW).values_list("pk", flat=True))


def visible_plans(person: Person) -> QuerySet[Plan]:
    """Plans of the ministries in which the person sees at least one organisation."""
    roots = organisations_for(person, Action.REPORT_VIEW).values_list("path", flat=True)
    ministries = {path.strip("/").split("/")[0] for path in roots}
    return Plan.objects.filter(ministry_id__in=[int(pk) for pk in ministries if pk]).order_by(
        "name"
    )


def plan_for(person: Person, key: str) -> Plan:
    plan = visible_plans(person).filter(key=key).first()
    if plan is None:
        raise Http404(_("No such plan in your scope."))
    return plan


def run_for(person: Person, pk: int) -> EvaluationRun:
    run = (
        EvaluationRun.objects.filter(plan__in=visible_plans(person), pk=pk)
        .select_related("plan__ministry")
        .first()
    )
    if run is None:
        raise Http404(_("No such evaluation in your scope."))
    return run


def self_reports_for(person: Person) -> QuerySet[SelfReport]:
    return SelfReport.objects.filter(scope_q(person, Action.REPORT_VIEW)).select_related(
        "organisation"
    )


def self_report_for(person: Person, pk: int) -> SelfReport:
    try:
        return self_reports_for(person).get(pk=pk)
    except SelfReport.DoesNotExist:
        raise Http404(_("No such self-report in your scope.")) from None


def improvement_report_for(person: Person, pk: int) -> ImprovementReport:
    try:
        return ImprovementReport.objects.select_related("organisation", "run__plan").get(
            scope_q(person, Action.REPORT_VIEW) | Q(organisation__in=reporting_for(person)), pk=pk
        )
    except ImprovementReport.DoesNotExist:
        raise Http404(_("No such improvement report in your scope.")) from None


def reporting_for(person: Person) -> QuerySet[Organisation]:
    """The organisations whose evaluation reports the person hands in (action
    `evaluation.report`): those in their scope, and those above it whose figures count the
    person's own organisation, i.e. reached through units only (a unit's liaison answers
    for its agency, a ministry unit's for 本部; an agency's never for the ministry)."""
    if person.is_authenticated and person.is_superuser and person.is_active:
        return Organisation.objects.all()
    ids: set[int] = set()
    for root in scope_roots(person, Action.EVALUATION_REPORT):
        current = root
        for ancestor in reversed(list(root.ancestors().exclude(pk=root.pk))):
            if current.kind != OrganisationKind.UNIT:
                break
            ids.add(ancestor.pk)
            current = ancestor
    return Organisation.objects.filter(
        scope_q(person, Action.EVALUATION_REPORT, field="") | Q(pk__in=ids)
    )


def may_report_for(person: Person, organisation: Organisation) -> bool:
    return reporting_for(person).filter(pk=organisation.pk).exists()
