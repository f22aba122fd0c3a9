"""Pages of committees: the list, a committee (members, composition, cadence, meetings) and a
meeting (agenda, minutes, decisions). Views parse input and call one service each."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.committees import services
from steward.committees.forms import EndMemberForm, MeetingForm, MemberForm
from steward.committees.models import (
    DECISIONS,
    Committee,
    Kind,
    Meeting,
    Member,
    NotProvidedReview,
    Outcome,
)
from steward.committees.rules import RulesByMinistry, cadence, composition
from steward.lib.bounds import MAX_YEAR, MIN_YEAR
from steward.lib.pagination import page_rows
from steward.organisations.models import Organisation, Person, Role
from steward.organisations.scope import Action, can, organisation_for, scope_q


def _person(request: HttpRequest) -> Person:
    user = request.user
    assert isinstance(user, Person)
    return user


def visible_committees(person: Person) -> QuerySet[Committee]:
    """The committees whose organisation `person` may see."""
    return Committee.objects.filter(scope_q(person, Action.VIEW)).select_related("organisation")


def _committee(person: Person, pk: int) -> Committee:
    return get_object_or_404(visible_committees(person), pk=pk)


def _meeting(person: Person, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.filter(
            scope_q(person, Action.VIEW, field="committee__organisation")
        ).select_related("committee__organisation", "datasets_meeting"),
        pk=pk,
    )


def _errors(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error))


def eligible_people(committee: Committee) -> QuerySet[Person]:
    """People with an account who may sit on `committee` (services._check_person's rule)."""
    people = Person.objects.filter(
        is_active=True,
        role_assignments__active=True,
        role_assignments__organisation__path__startswith=committee.organisation.path,
    )
    if committee.kind == Kind.ADVISORY:
        people = people.filter(role_assignments__role=Role.COMMITTEE_MEMBER)
    return people.distinct().order_by("username")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    today = timezone.localdate()
    committees = list(
        visible_committees(person).prefetch_related(
            "members",
            Prefetch(
                "meetings",
                queryset=Meeting.objects.filter(held_on__year=today.year),
                to_attr="meetings_of_year",
            ),
        )
    )
    rules = RulesByMinistry()
    rows = [
        {
            "committee": committee,
            "composition": composition(
                committee,
                on=today,
                rules=rules.of(committee.organisation),
                members=list(committee.members.all()),
            ),
            "cadence": cadence(
                committee,
                today.year,
                today=today,
                meetings=committee.meetings_of_year,
                rules=rules.of(committee.organisation),
            ),
        }
        for committee in committees
    ]
    ministries = Organisation.objects.filter(
        scope_q(person, Action.COMMITTEE_MANAGE, field=""), parent__isnull=True
    ).exclude(committees__kind=Kind.ADVISORY)
    return render(
        request,
        "committees/index.html",
        {"rows": rows, "ministries": ministries, "today": today},
    )


@login_required
@require_POST
def set_up(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    try:
        pk = int(request.POST.get("ministry", ""))
    except ValueError:
        pk = 0
    ministry = organisation_for(person, pk, Action.COMMITTEE_MANAGE)
    created = services.set_up_from_plan(ministry, by=person)
    if created:
        messages.success(
            request,
            _("Set up from the action plan: %(names)s.")
            % {"names": "、".join(c.name for c in created)},
        )
    else:
        messages.info(request, _("Every committee the action plan calls for is set up already."))
    return redirect("committees:index")


def _year(request: HttpRequest, today: datetime.date) -> int:
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        return today.year
    return year if MIN_YEAR <= year <= MAX_YEAR else today.year


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    committee = _committee(person, pk)
    today = timezone.localdate()
    year = _year(request, today)
    may_manage = can(person, services.manage_action(committee), committee.organisation)
    members = committee.members.select_related("person").order_by("-until", "seat", "name")
    people = [(p.pk, str(p)) for p in eligible_people(committee)] if may_manage else []
    return render(
        request,
        "committees/detail.html",
        {
            "committee": committee,
            "composition": composition(committee, on=today),
            "cadence": cadence(committee, year, today=today),
            "year": year,
            "members": members,
            "meetings": page_rows(committee.meetings.order_by("-held_on"), request),
            "may_manage": may_manage,
            "member_form": MemberForm(people=people, initial={"since": today}),
            "end_form": EndMemberForm(initial={"until": today}),
            "meeting_form": MeetingForm(initial={"held_on": today}),
            "today": today,
        },
    )


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    committee = _committee(person, pk)
    people = {p.pk: p for p in eligible_people(committee)}
    form = MemberForm(request.POST, people=[(p.pk, str(p)) for p in people.values()])
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
        return redirect(committee)
    data = form.cleaned_data
    member_person = None
    if data["person"]:
        member_person = people.get(data["person"])
        if member_person is None:
            messages.error(request, _("That person may not sit on this committee."))
            return redirect(committee)
    try:
        member = services.add_member(
            committee,
            by=person,
            seat=data["seat"],
            since=data["since"],
            until=data["until"],
            name=data["name"],
            person=member_person,
            affiliation=data["affiliation"],
        )
    except (ValidationError, services.CommitteeError) as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(member)s added.") % {"member": member})
    return redirect(committee)


@login_required
@require_POST
def member_end(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    member = get_object_or_404(
        Member.objects.filter(
            scope_q(person, Action.VIEW, field="committee__organisation")
        ).select_related("committee__organisation"),
        pk=pk,
    )
    form = EndMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the last day on the committee as a date."))
        return redirect(member.committee)
    try:
        services.end_membership(member, by=person, until=form.cleaned_data["until"])
    except (ValidationError, services.CommitteeError) as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(member)s: seat ended.") % {"member": member})
    return redirect(member.committee)


@login_required
@require_POST
def meeting_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    committee = _committee(person, pk)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the meeting's date."))
        return redirect(committee)
    try:
        meeting = services.record_meeting(committee, by=person, **form.cleaned_data)
    except (ValidationError, services.CommitteeError) as error:
        _errors(request, error)
        return redirect(committee)
    messages.success(request, _("Meeting recorded with its agenda."))
    return redirect(meeting)


@login_required
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    current = _meeting(person, pk)
    committee = current.committee
    today = timezone.localdate()
    may_manage = can(person, services.manage_action(committee), committee.organisation)
    items = list(current.agenda.select_related("dataset", "inventory_item"))
    reviews = {
        review.agenda_item_id: review
        for review in NotProvidedReview.objects.filter(agenda_item__meeting=current)
    }
    rows: list[dict[str, Any]] = [
        {
            "item": item,
            "choices": [(d.value, d.label) for d in DECISIONS[item.kind]],
            "review": reviews.get(item.pk),
        }
        for item in items
    ]
    return render(
        request,
        "committees/meeting.html",
        {
            "meeting": current,
            "committee": committee,
            "rows": rows,
            "may_manage": may_manage,
            "may_write_minutes": may_manage and current.held_on <= today,
            "pending": Outcome.PENDING,
        },
    )


@login_required
@require_POST
def agenda_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    current = _meeting(person, pk)
    try:
        added = services.refresh_agenda(current, by=person)
    except services.CommitteeError as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(count)d items added to the agenda.") % {"count": len(added)})
    return redirect(current)


def parse_decisions(data: Any, meeting: Meeting) -> dict[int, services.DecisionIn]:
    """`decision_<item>` and `reasons_<item>` fields → the decisions to record (blank: none)."""
    decisions: dict[int, services.DecisionIn] = {}
    for item in meeting.agenda.all():
        value = (data.get(f"decision_{item.pk}") or "").strip()
        if value:
            decisions[item.pk] = services.DecisionIn(value, data.get(f"reasons_{item.pk}") or "")
    return decisions


@login_required
@require_POST
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    current = _meeting(person, pk)
    try:
        result = services.record_minutes(
            current,
            by=person,
            minutes=request.POST.get("minutes", ""),
            decisions=parse_decisions(request.POST, current),
        )
    except (ValidationError, services.CommitteeError) as error:
        _errors(request, error)
        return redirect(current)
    messages.success(
        request,
        _("Minutes saved; %(count)d decisions applied.") % {"count": len(result.applied)},
    )
    for item, why in result.not_applied:
        messages.warning(
            request,
            _("Not applied: “%(title)s” is no longer waiting on the committee: %(why)s")
            % {"title": item.title, "why": why},
        )
    return redirect(current)


@login_required
@require_POST
def approve_not_provided(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request)
    review = get_object_or_404(
        NotProvidedReview.objects.filter(
            scope_q(person, Action.VIEW, field="item__agency")
        ).select_related("item__agency", "agenda_item__meeting"),
        pk=pk,
    )
    try:
        services.approve_not_provided(review, by=person)
    except services.CommitteeError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Approved: %(item)s is not provided.") % {"item": review.item})
    return redirect("committees:not_provided")


@login_required
def not_provided(request: HttpRequest) -> HttpResponse:
    """Not-provided classifications (不予提供) the committee agreed to, awaiting the approval the
    plan asks for (DGBAS: the head of agency), and those approved, in the person's scope."""
    person = _person(request)
    reviews = (
        NotProvidedReview.objects.filter(scope_q(person, Action.VIEW, field="item__agency"))
        .filter(committee_agrees=True)
        .select_related("item__agency", "agenda_item__meeting__committee", "approved_by")
        .order_by("approved_at", "item__agency__path", "item__identifier")
    )
    return render(request, "committees/not_provided.html", {"reviews": page_rows(reviews, request)})
