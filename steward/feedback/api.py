"""JSON API of feedback (mounted under /api/feedback/): items, their steps, and figures.

Scoped like the pages: an item outside the person's scope is 404, a step the person's role does
not allow is 403, a step the status does not allow is 409, bad input is 400. Each step calls
the one service function; figures are `figures.figures_for` with the items each counted.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Schema

from steward.datasets.models import Dataset
from steward.feedback import services
from steward.feedback.figures import figures_for
from steward.feedback.models import FeedbackItem
from steward.feedback.workflow import Step, available_steps
from steward.lib.api import ErrorOut, Id, Router
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, PersonScope, organisation_for, scope_q

router = Router(tags=["feedback"])


class FeedbackItemOut(Schema):
    id: int
    kind: str
    channel: str
    organisation_id: int
    dataset_id: int | None
    assigned_to_id: int | None
    subject: str
    text: str
    received_at: datetime.datetime
    limit_days: int
    day_kind: str
    due_on: datetime.date
    due_at: datetime.datetime
    due_source: str
    cio_approval_required: bool
    status: str
    reply_text: str
    approved_at: datetime.datetime | None
    replied_at: datetime.datetime | None
    overdue: bool
    steps: list[str]


class FeedbackEnterIn(Schema):
    kind: str
    text: str
    organisation_id: int
    received_at: datetime.datetime
    channel: str
    dataset_identifier: str = ""
    subject: str = ""
    contact_email: str = ""
    external_reference: str = ""


class FeedbackStepIn(Schema):
    text: str = ""
    comment: str = ""
    reasons: str = ""
    organisation_id: int | None = None
    liaison_id: int | None = None
    decision: dict[str, Any] = {}  # decide: inventory fields (name, classification, …)


class FeedbackShareOut(Schema):
    percent: Decimal | None
    numerator: list[int]
    denominator: list[int]


class FeedbackDurationOut(Schema):
    hours: Decimal | None
    items: list[int]


class FeedbackFiguresOut(Schema):
    organisation_id: int
    start: datetime.date
    end: datetime.date
    count: int
    items: list[int]
    on_time: FeedbackShareOut
    faster_than_limit: FeedbackShareOut
    median_reply: FeedbackDurationOut
    p90_reply: FeedbackDurationOut
    overdue: list[int]
    notes: list[str]


def _person(request: HttpRequest) -> Person:
    user = request.user
    assert isinstance(user, Person)
    return user


def _visible(person: Person) -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.filter(scope_q(person, Action.VIEW)).select_related("organisation")


def _out(item: FeedbackItem, person: Person, scope: PersonScope | None = None) -> dict[str, Any]:
    values = {
        name: getattr(item, name) for name in FeedbackItemOut.model_fields if hasattr(item, name)
    }
    values.update(
        id=item.pk,
        overdue=item.is_overdue(),
        steps=[str(step) for step in available_steps(item, person, scope=scope)],
    )
    return values


def _refusal(error: services.FeedbackError) -> JsonResponse:
    status = 400 if isinstance(error, services.InvalidFeedback) else 409
    return JsonResponse(
        {"detail": error.message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


RESPONSES: dict[int, Any] = {200: FeedbackItemOut, 400: ErrorOut, 409: ErrorOut}


class FeedbackItemPageOut(PageOut):
    items: list[FeedbackItemOut]


@router.get("/items", response=FeedbackItemPageOut)
def list_items(
    request: HttpRequest,
    status: str = "",
    organisation_id: Id | None = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Items in scope by due time, a page at a time (see steward/lib/pagination.py);
    `status` filters, `organisation_id` keeps a subtree."""
    person = _person(request)
    items = _visible(person).order_by("due_at", "pk")
    if status:
        items = items.filter(status=status)
    if organisation_id is not None:
        root = organisation_for(person, organisation_id)
        items = items.filter(organisation__path__startswith=root.path)
    found = page_of(items, number=page, size=page_size)
    scope = PersonScope(person)  # the roles read once for the page
    return found.as_dict() | {"items": [_out(item, person, scope) for item in found.items]}


@router.get("/items/{feedback_item_id}", response=FeedbackItemOut)
def get_item(request: HttpRequest, feedback_item_id: Id) -> dict[str, Any]:
    person = _person(request)
    return _out(get_object_or_404(_visible(person), pk=feedback_item_id), person)


@router.post("/items", response=RESPONSES)
def enter_item(request: HttpRequest, payload: FeedbackEnterIn) -> Any:
    """Staff enter an item received on the national portal or by letter."""
    person = _person(request)
    organisation = organisation_for(person, payload.organisation_id, Action.FEEDBACK_ROUTE)
    dataset = None
    if payload.dataset_identifier:
        dataset = get_object_or_404(Dataset, identifier=payload.dataset_identifier)
    try:
        item = services.enter(
            by=person,
            kind=payload.kind,
            text=payload.text,
            organisation=organisation,
            received_at=payload.received_at,
            channel=payload.channel,
            dataset=dataset,
            subject=payload.subject,
            contact_email=payload.contact_email,
            external_reference=payload.external_reference,
        )
    except services.FeedbackError as error:
        return _refusal(error)
    return _out(item, person)


@router.post("/items/{feedback_item_id}/{feedback_step}", response=RESPONSES)
def take_step(
    request: HttpRequest, feedback_item_id: Id, feedback_step: Step, payload: FeedbackStepIn
) -> Any:
    """assign / draft / submit / approve / return / send / close / decide (data requests)."""
    step = feedback_step
    person = _person(request)
    item = get_object_or_404(_visible(person), pk=feedback_item_id)
    try:
        if step is Step.ASSIGN:
            organisation = get_object_or_404(Organisation, pk=payload.organisation_id or 0)
            liaison = (
                get_object_or_404(Person, pk=payload.liaison_id) if payload.liaison_id else None
            )
            item = services.assign(item, by=person, organisation=organisation, liaison=liaison,
                                   comment=payload.comment)  # fmt: skip
        elif step is Step.DRAFT:
            item = services.draft_reply(item, by=person, text=payload.text)
        elif step is Step.SUBMIT:
            item = services.submit_for_approval(item, by=person)
        elif step is Step.APPROVE:
            item = services.approve_reply(item, by=person, comment=payload.comment)
        elif step is Step.RETURN:
            item = services.return_reply(item, by=person, reasons=payload.reasons)
        elif step is Step.DECIDE:
            item = services.record_decision(item, by=person, data=payload.decision)
        elif step is Step.SEND:
            item = services.send_reply(item, by=person)
        else:
            item = services.close(item, by=person, comment=payload.comment)
    except services.FeedbackError as error:
        return _refusal(error)
    return _out(item, person)


@router.get("/figures", response=FeedbackFiguresOut)
def figures(
    request: HttpRequest, organisation_id: int, start: datetime.date, end: datetime.date
) -> dict[str, Any]:
    """Count, share within the limit, faster-than-limit share, median and p90 reply hours and
    the overdue list for items received in [start, end); each lists the item ids it counted."""
    organisation = organisation_for(_person(request), organisation_id, Action.REPORT_VIEW)
    result = figures_for(organisation, start, end)

    def ids(items: list[FeedbackItem]) -> list[int]:
        return [item.pk for item in items]

    return {
        "organisation_id": organisation.pk,
        "start": start,
        "end": end,
        "count": result.count,
        "items": ids(result.items),
        "on_time": {"percent": result.on_time.percent, "numerator": ids(result.on_time.numerator),
                    "denominator": ids(result.on_time.denominator)},
        "faster_than_limit": {"percent": result.faster_than_limit.percent,
                              "numerator": ids(result.faster_than_limit.numerator),
                              "denominator": ids(result.faster_than_limit.denominator)},
        "median_reply": {"hours": result.median_reply.hours,
                         "items": ids(result.median_reply.items)},
        "p90_reply": {"hours": result.p90_reply.hours, "items": ids(result.p90_reply.items)},
        "overdue": ids(result.overdue),
        "notes": result.notes,
    }  # fmt: skip
