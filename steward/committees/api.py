"""JSON API of committees (mounted under /api/committees/): committees with their composition
and cadence, members, meetings with their agendas, and the minutes with their decisions.

Scoped like the pages: a committee or meeting outside the person's scope is 404, a step the
role does not allow is 403, input the rules refuse is 400, a meeting recorded twice is 409.
Lists are paged (steward/lib/pagination.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Schema
from ninja.responses import Status as HttpStatus

from steward.committees import services
from steward.committees.models import Committee, Meeting, Member, NotProvidedReview
from steward.committees.rules import Cadence, Composition, cadence, composition
from steward.committees.views import _meeting, eligible_people, visible_committees
from steward.lib.api import BadRequestOut, Day, ErrorOut, Id, Router, Year
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.models import Person
from steward.organisations.scope import Action, scope_q

router = Router(tags=["committees"])


class CommitteeMemberOut(Schema):
    id: int
    name: str
    person_id: int | None
    affiliation: str
    seat: str
    since: datetime.date
    until: datetime.date | None


class CommitteeCompositionOut(Schema):
    on: datetime.date
    seats: dict[str, int]
    breaks_rule: bool
    problems: list[str]
    rule_as_written: str


class CommitteePeriodOut(Schema):
    label: str
    start: datetime.date
    end: datetime.date
    state: str = Field(description="held | due | overdue | upcoming")
    meeting_ids: list[int]


class CommitteeCadenceOut(Schema):
    year: int
    expected: int | None = Field(description="Meetings a year the plan asks for (None: unstated).")
    at_least: bool
    held: int
    periods: list[CommitteePeriodOut]


class CommitteeOut(Schema):
    id: int
    kind: str
    name: str
    organisation_id: int
    composition: CommitteeCompositionOut
    cadence: CommitteeCadenceOut


class CommitteeDetailOut(CommitteeOut):
    members: list[CommitteeMemberOut]


class CommitteePageOut(PageOut):
    items: list[CommitteeOut]


class AgendaItemOut(Schema):
    id: int
    position: int
    kind: str
    title: str
    summary: str
    url: str
    dataset_id: int | None
    inventory_item_id: int | None
    decision: str
    reasons: str
    outcome: str
    outcome_note: str


class CommitteeMeetingOut(Schema):
    id: int
    committee_id: int
    held_on: datetime.date
    number: str
    attendees: str
    minutes: str
    minutes_recorded_at: datetime.datetime | None
    agenda: list[AgendaItemOut]


class CommitteeMeetingPageOut(PageOut):
    items: list[CommitteeMeetingOut]


class CommitteeMeetingIn(Schema):
    held_on: Day
    number: str = ""
    attendees: str = ""


class CommitteeMemberIn(Schema):
    seat: str
    since: Day
    name: str = ""
    person_id: Id | None = None
    affiliation: str = ""
    until: Day | None = None


class CommitteeMemberEndIn(Schema):
    until: Day


class NotProvidedReviewOut(Schema):
    id: int
    item_id: int
    agenda_item_id: int
    committee_agrees: bool
    reasons: str
    approved_by_id: int | None
    approved_at: datetime.datetime | None


class AgendaDecisionIn(Schema):
    agenda_item_id: Id
    decision: str
    reasons: str = ""


class CommitteeMinutesIn(Schema):
    minutes: str = ""
    decisions: list[AgendaDecisionIn] = []


class NotAppliedOut(Schema):
    agenda_item_id: int
    why: str


class CommitteeMinutesOut(Schema):
    meeting: CommitteeMeetingOut
    applied: list[int]
    not_applied: list[NotAppliedOut]


def _person(request: HttpRequest) -> Person:
    user = request.user
    assert isinstance(user, Person)
    return user


def _composition(value: Composition) -> dict[str, Any]:
    return {
        "on": value.on,
        "seats": value.seats,
        "breaks_rule": bool(value.problems),
        "problems": value.problems,
        "rule_as_written": value.rule_text,
    }


def _cadence(value: Cadence) -> dict[str, Any]:
    return {
        "year": value.year,
        "expected": value.expected,
        "at_least": value.rule.at_least,
        "held": len(value.held),
        "periods": [
            {
                "label": p.label,
                "start": p.start,
                "end": p.end,
                "state": p.state,
                "meeting_ids": [m.pk for m in p.meetings],
            }
            for p in value.periods
        ],
    }


def _committee_out(
    committee: Committee, year: int | None, *, members: bool = False
) -> dict[str, Any]:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "id": committee.pk,
        "kind": committee.kind,
        "name": committee.name,
        "organisation_id": committee.organisation_id,
        "composition": _composition(composition(committee, on=today)),
        "cadence": _cadence(cadence(committee, year or today.year, today=today)),
    }
    if members:
        values["members"] = list(committee.members.order_by("seat", "name", "pk"))
    return values


def _meeting_out(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "committee_id": meeting.committee_id,
        "held_on": meeting.held_on,
        "number": meeting.number,
        "attendees": meeting.attendees,
        "minutes": meeting.minutes,
        "minutes_recorded_at": meeting.minutes_recorded_at,
        "agenda": list(meeting.agenda.order_by("position")),
    }


def _committee(request: HttpRequest, committee_id: int) -> Committee:
    return get_object_or_404(visible_committees(_person(request)), pk=committee_id)


def _bad(error: ValidationError | services.CommitteeError) -> Any:
    if isinstance(error, ValidationError):
        fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        return HttpStatus(400, {"detail": " ".join(error.messages), "fields": fields})
    return HttpStatus(400, {"detail": error.message})


@router.get("/", response=CommitteePageOut)
def list_committees(
    request: HttpRequest,
    year: Year | None = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Committees in scope with today's composition and the year's cadence (this year unless
    `year`)."""
    rows = visible_committees(_person(request)).order_by("organisation__path", "kind")
    result = page_of(rows, number=page, size=page_size)
    result.items = [_committee_out(committee, year) for committee in result.items]
    return result.as_dict()


@router.get("/meetings/{meeting_id}", response=CommitteeMeetingOut)
def get_meeting(request: HttpRequest, meeting_id: Id) -> dict[str, Any]:
    """A meeting with its agenda and, once written, its minutes and decisions."""
    return _meeting_out(_meeting(_person(request), meeting_id))


@router.post(
    "/meetings/{meeting_id}/minutes",
    response={200: CommitteeMinutesOut, 400: BadRequestOut, 409: ErrorOut},
)
def record_minutes(request: HttpRequest, meeting_id: Id, payload: CommitteeMinutesIn) -> Any:
    """Write the minutes with a decision per agenda item; each moves its record (datasets'
    committee stage, withdrawal discussion). Items no longer waiting are listed as not applied,
    with why; the rest is saved."""
    person = _person(request)
    meeting = _meeting(person, meeting_id)
    decisions = {
        row.agenda_item_id: services.DecisionIn(row.decision, row.reasons)
        for row in payload.decisions
    }
    try:
        result = services.record_minutes(
            meeting, by=person, minutes=payload.minutes, decisions=decisions
        )
    except (ValidationError, services.CommitteeError) as error:
        return _bad(error)
    return {
        "meeting": _meeting_out(result.meeting),
        "applied": [item.pk for item in result.applied],
        "not_applied": [
            {"agenda_item_id": item.pk, "why": why} for item, why in result.not_applied
        ],
    }


@router.post(
    "/meetings/{meeting_id}/agenda", response={200: CommitteeMeetingOut, 400: BadRequestOut}
)
def refresh_agenda(request: HttpRequest, meeting_id: Id) -> Any:
    """Add to the agenda what came to wait on the committee since the meeting was recorded
    (refused once the minutes are written)."""
    person = _person(request)
    meeting = _meeting(person, meeting_id)
    try:
        services.refresh_agenda(meeting, by=person)
    except services.CommitteeError as error:
        return _bad(error)
    return _meeting_out(meeting)


@router.post("/members/{member_id}/end", response={200: CommitteeMemberOut, 400: BadRequestOut})
def end_membership(request: HttpRequest, member_id: Id, payload: CommitteeMemberEndIn) -> Any:
    """End a seat: the member holds it up to and including `until`."""
    person = _person(request)
    member = get_object_or_404(
        Member.objects.filter(
            scope_q(person, Action.VIEW, field="committee__organisation")
        ).select_related("committee__organisation"),
        pk=member_id,
    )
    try:
        return services.end_membership(member, by=person, until=payload.until)
    except (ValidationError, services.CommitteeError) as error:
        return _bad(error)


@router.post(
    "/not-provided/{review_id}/approve",
    response={200: NotProvidedReviewOut, 400: BadRequestOut},
)
def approve_not_provided(request: HttpRequest, review_id: Id) -> Any:
    """The plan's approver (DGBAS: the head of agency) approves a not-provided classification
    the committee agreed to."""
    person = _person(request)
    review = get_object_or_404(
        NotProvidedReview.objects.filter(
            scope_q(person, Action.VIEW, field="item__agency")
        ).select_related("item__agency"),
        pk=review_id,
    )
    try:
        return services.approve_not_provided(review, by=person)
    except services.CommitteeError as error:
        return _bad(error)


@router.get("/{committee_id}", response=CommitteeDetailOut)
def get_committee(
    request: HttpRequest, committee_id: Id, year: Year | None = None
) -> dict[str, Any]:
    """One committee: its members, today's composition against the plan, the year's cadence."""
    return _committee_out(_committee(request, committee_id), year, members=True)


@router.get("/{committee_id}/meetings", response=CommitteeMeetingPageOut)
def list_meetings(
    request: HttpRequest,
    committee_id: Id,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The committee's meetings, latest first."""
    committee = _committee(request, committee_id)
    result = page_of(committee.meetings.order_by("-held_on", "-pk"), number=page, size=page_size)
    result.items = [_meeting_out(meeting) for meeting in result.items]
    return result.as_dict()


@router.post(
    "/{committee_id}/meetings",
    response={201: CommitteeMeetingOut, 400: BadRequestOut, 409: ErrorOut},
)
def record_meeting(request: HttpRequest, committee_id: Id, payload: CommitteeMeetingIn) -> Any:
    """Record a meeting; its agenda is built from what waits on the committee that day. The
    same committee on the same day again is 409."""
    person = _person(request)
    committee = _committee(request, committee_id)
    try:
        meeting = services.record_meeting(
            committee,
            by=person,
            held_on=payload.held_on,
            number=payload.number,
            attendees=payload.attendees,
        )
    except services.CommitteeError as error:
        return HttpStatus(409, {"detail": error.message})
    except ValidationError as error:
        return _bad(error)
    return HttpStatus(201, _meeting_out(meeting))


@router.post("/{committee_id}/members", response={201: CommitteeMemberOut, 400: BadRequestOut})
def add_member(request: HttpRequest, committee_id: Id, payload: CommitteeMemberIn) -> Any:
    """Seat a member: a person with an account (`person_id`) or an outside person by name."""
    person = _person(request)
    committee = _committee(request, committee_id)
    member_person = None
    if payload.person_id is not None:
        member_person = get_object_or_404(eligible_people(committee), pk=payload.person_id)
    try:
        member: Member = services.add_member(
            committee,
            by=person,
            seat=payload.seat,
            since=payload.since,
            until=payload.until,
            name=payload.name,
            person=member_person,
            affiliation=payload.affiliation,
        )
    except (ValidationError, services.CommitteeError) as error:
        return _bad(error)
    return HttpStatus(201, member)
