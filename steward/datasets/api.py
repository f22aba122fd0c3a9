"""JSON API of datasets (mounted under /api/datasets/): the same steps as the pages.

Every call is scoped: a dataset outside the person's scope is 404, a step the person's role
does not allow is 403, a step the status does not allow is 409, metadata that breaks the
standard is 400 with the problems field by field. Each step calls the one service function.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.responses import Status as HttpStatus

from steward.audit.services import history as audit_history
from steward.datasets import services
from steward.datasets.errors import DatasetError, MetadataIncomplete
from steward.datasets.metadata import EDITABLE_KEYS, record_of
from steward.datasets.models import CommitteeMeeting, Dataset
from steward.datasets.workflow import Status, available_steps, queue_q
from steward.lib.api import BadRequestOut, Day, ErrorOut, Id, Router
from steward.lib.bounds import MAX_ID
from steward.lib.pagination import (
    DEFAULT_PAGE_SIZE,
    PageNumber,
    PageOut,
    PageSize,
    json_page,
    page_of,
)
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import (
    Action,
    organisation_for,
    organisations_for,
    scope_q,
    scope_roots,
)

router = Router(tags=["datasets"])

_DATE_KEYS = {"temporalCoverageFrom", "temporalCoverageTo"}


# ---------------------------------------------------------------- schemas


class ResourceIn(Schema):
    """One resource (資料資源). Give `resourceID` to keep an existing one; omit it for a new one."""

    resourceID: str = ""
    resourceDescription: str = ""
    format: str = ""
    characterSetCode: str = "UTF-8"
    downloadURL: str = ""
    accessURL: str = ""
    metadataSourceOfData: str = ""


class ResourceOut(Schema):
    resourceID: str
    resourceDescription: str
    format: str
    characterSetCode: str
    downloadURL: str
    accessURL: str
    metadataSourceOfData: str


class DatasetValues(Schema):
    """The metadata fields (keys as the national standard); omitted keys are left unchanged."""

    categoryCode: str | None = None
    title: str | None = None
    description: str | None = None
    fieldDescription: str | None = None
    type: str | None = None
    license: str | None = None
    licenseURL: str | None = None
    cost: str | None = None
    costURL: str | None = None
    costLaw: str | None = None
    organization: str | None = None
    organizationContactName: str | None = None
    organizationContactPhone: str | None = None
    organizationContactEmail: str | None = None
    publisher: str | None = None
    publisherContactName: str | None = None
    publisherContactPhone: str | None = None
    publisherContactEmail: str | None = None
    accrualPeriodicity: str | None = None
    temporalCoverageFrom: datetime.date | None = None
    temporalCoverageTo: datetime.date | None = None
    spatial: str | None = None
    language: str | None = None
    landingPage: str | None = None
    keyword: list[str] | None = None
    numberOfData: int | None = Field(default=None, ge=0, le=MAX_ID)
    notes: str | None = None
    gender_statistics: bool | None = None
    resources: list[ResourceIn] | None = None


class DatasetCreate(DatasetValues):
    organisation_id: Id
    identifier: str = Field(default="", description="Leave empty to take the agency's next.")


class DatasetOut(Schema):
    id: int
    identifier: str
    title: str
    status: str
    status_label: str
    organisation_id: int
    scheduled_publish_on: datetime.date | None
    portal_identifier: str
    returned_reasons: str
    gender_statistics: bool
    classification_after_withdrawal: str


class DatasetDetailOut(DatasetOut):
    metadata: dict[str, Any]
    resources: list[ResourceOut]
    steps: list[str]


class EventOut(Schema):
    at: datetime.datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    comment: str
    changes: dict[str, Any]


class StepIn(Schema):
    """What every step names: the stage it acts on."""

    stage: Status = Field(
        description="The status the dataset was in when you chose this step (its `status`). "
        "A dataset that has moved on meanwhile answers 409 and nothing changes, so a repeated "
        "request never takes a second step."
    )


class CommentIn(StepIn):
    comment: str = ""


class ReasonsIn(StepIn):
    reasons: str


class DecisionIn(StepIn):
    meeting_id: Id
    decision: str = Field(description="approve / reject, or withdraw / keep_open")
    reasons: str = ""


class ScheduleIn(StepIn):
    on: Day
    comment: str = ""


class PublishedIn(StepIn):
    portal_identifier: str = ""


class EditIn(DatasetValues, StepIn):
    comment: str = ""


class WithdrawalIn(StepIn):
    reason: str
    becomes: str = Field(description="on_request or not_provided")


class NoticeIn(StepIn):
    notice_text: str = ""
    on: Day | None = None


class MeetingIn(Schema):
    held_on: Day
    number: str = Field(
        min_length=1, max_length=60, pattern=r"\S", description="e.g. 115年第1次會議"
    )
    attendees: str = ""
    civil_representatives: int = Field(default=0, ge=0, le=1000)
    minutes: str = ""


class MeetingOut(Schema):
    id: int
    held_on: datetime.date
    number: str
    attendees: str
    civil_representatives: int
    minutes: str


class MetadataProblemOut(Schema):
    """One field that breaks the national metadata standard."""

    key: str
    label: str
    code: str
    message: str
    severity: str


class MetadataErrorOut(BadRequestOut):
    """Metadata the standard refuses (400): a sentence and every problem, field by field."""

    problems: list[MetadataProblemOut] = []


# ---------------------------------------------------------------- helpers


def _person(request: HttpRequest) -> Person:
    user = request.user
    assert isinstance(user, Person)
    return user


def _dataset(request: HttpRequest, dataset_id: Id) -> Dataset:
    """The dataset if the person may see it, else 404 (scoped like the pages)."""
    visible = Dataset.objects.filter(scope_q(_person(request), Action.VIEW))
    return get_object_or_404(visible.select_related("organisation"), pk=dataset_id)


def _values(payload: DatasetValues) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    given = payload.model_dump(exclude_unset=True)
    resources = given.pop("resources", None)
    given.pop("comment", None)
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key not in (*EDITABLE_KEYS, "gender_statistics"):
            continue
        if value is None and key not in _DATE_KEYS and key != "numberOfData":
            value = [] if key == "keyword" else (False if key == "gender_statistics" else "")
        values[key] = value
    return values, resources


def _detail(dataset: Dataset, person: Person) -> dict[str, Any]:
    dataset.refresh_from_db()
    return {
        **{
            field: getattr(dataset, field)
            for field in DatasetOut.model_fields
            if field not in ("id", "status_label")
        },
        "id": dataset.pk,
        "status_label": str(Status(dataset.status).label),
        "metadata": record_of(dataset),
        "resources": list(dataset.resources.all()),
        "steps": [str(step) for step in available_steps(person, dataset)],
    }


def _refusal(error: DatasetError) -> JsonResponse:
    if isinstance(error, MetadataIncomplete):
        problems = [
            {
                "key": p.key,
                "label": p.label,
                "code": p.code,
                "message": p.message,
                "severity": str(p.severity),
            }
            for p in error.problems
        ]
        return JsonResponse(
            {"detail": error.message, "problems": problems},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(
        {"detail": error.message},
        status=409,
        json_dumps_params={"ensure_ascii": False},
    )


def _step(
    request: HttpRequest,
    dataset_id: int,
    payload: StepIn,
    act: Callable[[Dataset, Person], object],
) -> Any:
    """Take one step at the stage the request names (409 when the dataset has left it)."""
    person = _person(request)
    dataset = _dataset(request, dataset_id)
    try:
        with services.at_stage(dataset, payload.stage) as current:
            act(current, person)
    except DatasetError as error:
        return _refusal(error)
    return _detail(dataset, person)


def _edit(request: HttpRequest, dataset_id: int, act: Callable[[Dataset, Person], object]) -> Any:
    person = _person(request)
    dataset = _dataset(request, dataset_id)
    try:
        act(dataset, person)
    except DatasetError as error:
        return _refusal(error)
    return _detail(dataset, person)


STEP_RESPONSES: dict[int, Any] = {200: DatasetDetailOut, 400: MetadataErrorOut, 409: ErrorOut}


def _meeting(request: HttpRequest, dataset: Dataset, meeting_id: int) -> CommitteeMeeting:
    return get_object_or_404(
        CommitteeMeeting, pk=meeting_id, ministry=dataset.organisation.ministry
    )


# ---------------------------------------------------------------- datasets


class DatasetPageOut(PageOut):
    items: list[DatasetOut]


@router.get("/", response=DatasetPageOut)
def list_datasets(
    request: HttpRequest,
    status: str = "",
    organisation_id: Id | None = None,
    mine: bool = False,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """Datasets in scope by identifier, a page at a time (see steward/lib/pagination.py);
    `status` filters, `organisation_id` keeps a subtree, `mine` = my work."""
    person = _person(request)
    datasets = Dataset.objects.filter(scope_q(person, Action.VIEW)).order_by("identifier")
    if status:
        datasets = datasets.filter(status=status)
    if organisation_id is not None:
        organisation = organisation_for(person, organisation_id)
        datasets = datasets.filter(organisation__path__startswith=organisation.path)
    if mine:
        datasets = datasets.filter(queue_q(person))
    # the page's ids first (an index on identifier and organisation answers it without
    # reading the rows, even 50,000 rows deep), then only the columns the list shows
    listed = page_of(datasets.values_list("pk", flat=True), number=page, size=page_size)
    rows = Dataset.objects.filter(pk__in=listed.items).values(*_LISTED)
    by_pk = {row["id"]: row for row in rows}
    labels = {status.value: str(status.label) for status in Status}
    listed.items = [
        {**by_pk[pk], "status_label": labels[by_pk[pk]["status"]]} for pk in listed.items
    ]
    return json_page(listed)


#: The columns of a dataset the list shows (`DatasetOut` without its computed label).
_LISTED = [field for field in DatasetOut.model_fields if field != "status_label"]


@router.post("/", response={201: DatasetDetailOut, 400: MetadataErrorOut, 409: ErrorOut})
def create_dataset(request: HttpRequest, payload: DatasetCreate) -> Any:
    """Draft a dataset in an organisation where you are a liaison."""
    person = _person(request)
    organisation = get_object_or_404(
        organisations_for(person, Action.VIEW), pk=payload.organisation_id
    )
    values, resources = _values(payload)
    try:
        dataset = services.create_dataset(
            by=person,
            organisation=organisation,
            values=values,
            resources=resources or [],
            identifier=payload.identifier,
        )
    except DatasetError as error:
        return _refusal(error)
    return HttpStatus(201, _detail(dataset, person))


class MeetingPageOut(PageOut):
    items: list[MeetingOut]


@router.get("/meetings", response=MeetingPageOut)
def list_meetings(
    request: HttpRequest, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    """Committee meetings of the ministries in your scope, newest first, a page at a time."""
    person = _person(request)
    meetings = CommitteeMeeting.objects.all()
    if not person.is_superuser:
        ministry_ids = {
            int(root.path.strip("/").split("/")[0]) for root in scope_roots(person, Action.VIEW)
        }
        meetings = meetings.filter(ministry_id__in=ministry_ids)
    return page_of(meetings.order_by("-held_on", "-pk"), number=page, size=page_size).as_dict()


@router.post("/meetings", response={201: MeetingOut, 400: BadRequestOut})
def create_meeting(request: HttpRequest, payload: MeetingIn) -> Any:
    """Record an advisory-committee meeting (information centre or committee member)."""
    person = _person(request)
    roots = organisations_for(person, Action.DATASET_COMMITTEE_DECISION).order_by("path")
    ministry: Organisation | None = roots.first()
    if ministry is None:
        raise PermissionDenied(_("You may not record committee meetings."))
    try:
        meeting = services.record_meeting(by=person, ministry=ministry.ministry, **payload.dict())
    except DatasetError as error:
        return HttpStatus(400, {"detail": error.message})
    return HttpStatus(201, meeting)


@router.get("/{dataset_id}", response=DatasetDetailOut)
def get_dataset(request: HttpRequest, dataset_id: Id) -> Any:
    return _detail(_dataset(request, dataset_id), _person(request))


@router.patch("/{dataset_id}", response=STEP_RESPONSES)
def update_dataset(request: HttpRequest, dataset_id: Id, payload: DatasetValues) -> Any:
    """Change a draft or returned dataset (published ones: POST …/propose-edit)."""
    values, resources = _values(payload)
    return _edit(
        request,
        dataset_id,
        lambda d, p: services.update_dataset(d, by=p, values=values, resources=resources),
    )


@router.get("/{dataset_id}/metadata", response=dict[str, Any])
def dataset_metadata(request: HttpRequest, dataset_id: Id) -> dict[str, Any]:
    """The metadata as the national standard's JSON (data-gov-tw.md §1)."""
    return record_of(_dataset(request, dataset_id))


@router.get("/{dataset_id}/resources", response=list[ResourceOut])
def dataset_resources(request: HttpRequest, dataset_id: Id) -> Any:
    return list(_dataset(request, dataset_id).resources.all())


class EventPageOut(PageOut):
    items: list[EventOut]


@router.get("/{dataset_id}/history", response=EventPageOut)
def dataset_history(
    request: HttpRequest,
    dataset_id: Id,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The audit events, oldest first, a page at a time: who, when, from → to, comment and
    the metadata diff."""
    found = page_of(
        audit_history(_dataset(request, dataset_id)).order_by("at", "pk"),
        number=page,
        size=page_size,
    )
    return found.as_dict() | {
        "items": [
            {
                "at": event.at,
                "actor": str(event.actor) if event.actor else "",
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "comment": event.comment,
                "changes": event.changes,
            }
            for event in found.items
        ]
    }


# ---------------------------------------------------------------- steps


@router.post("/{dataset_id}/submit", response=STEP_RESPONSES)
def submit(request: HttpRequest, dataset_id: Id, payload: CommentIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.submit_for_review(d, by=p, comment=payload.comment),
    )


@router.post("/{dataset_id}/approve", response=STEP_RESPONSES)
def approve(request: HttpRequest, dataset_id: Id, payload: CommentIn) -> Any:
    """Approve the review stage named by `stage`: unit review, centre review or CIO approval."""
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.approve(d, stage=payload.stage, by=p, comment=payload.comment),
    )


@router.post("/{dataset_id}/reject", response=STEP_RESPONSES)
def reject(request: HttpRequest, dataset_id: Id, payload: ReasonsIn) -> Any:
    """Return the dataset to the liaison with reasons (any review stage)."""
    return _step(
        request, dataset_id, payload, lambda d, p: services.reject(d, by=p, reasons=payload.reasons)
    )


@router.post("/{dataset_id}/committee-decision", response=STEP_RESPONSES)
def committee_decision(request: HttpRequest, dataset_id: Id, payload: DecisionIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.record_committee_decision(
            d,
            meeting=_meeting(request, d, payload.meeting_id),
            decision=payload.decision,
            by=p,
            reasons=payload.reasons,
        ),
    )


@router.post("/{dataset_id}/schedule", response=STEP_RESPONSES)
def schedule(request: HttpRequest, dataset_id: Id, payload: ScheduleIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.schedule_publication(d, by=p, on=payload.on, comment=payload.comment),
    )


@router.post("/{dataset_id}/mark-published", response=STEP_RESPONSES)
def mark_published(request: HttpRequest, dataset_id: Id, payload: PublishedIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.mark_published(d, by=p, portal_identifier=payload.portal_identifier),
    )


@router.post("/{dataset_id}/return-refused", response=STEP_RESPONSES)
def return_refused(request: HttpRequest, dataset_id: Id, payload: CommentIn) -> Any:
    """The information centre returns a dataset the portal refused to the liaison."""
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.return_refused_publication(d, by=p, comment=payload.comment),
    )


@router.post("/{dataset_id}/propose-edit", response=STEP_RESPONSES)
def propose_edit(request: HttpRequest, dataset_id: Id, payload: EditIn) -> Any:
    """Change a published dataset; the plan's approver of edits approves it (DGBAS 伍五: the
    unit reviewer), or it is re-published at once when the plan needs no approval."""
    values, resources = _values(payload)
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.propose_edit(
            d, by=p, values=values, resources=resources, comment=payload.comment
        ),
    )


@router.post("/{dataset_id}/approve-edit", response=STEP_RESPONSES)
def approve_edit(request: HttpRequest, dataset_id: Id, payload: CommentIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.approve_edit(d, by=p, comment=payload.comment),
    )


@router.post("/{dataset_id}/discard-edit", response=STEP_RESPONSES)
def discard_edit(request: HttpRequest, dataset_id: Id, payload: CommentIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.discard_edit(d, by=p, comment=payload.comment),
    )


@router.post("/{dataset_id}/request-withdrawal", response=STEP_RESPONSES)
def request_withdrawal(request: HttpRequest, dataset_id: Id, payload: WithdrawalIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.request_withdrawal(
            d, by=p, reason=payload.reason, becomes=payload.becomes
        ),
    )


@router.post("/{dataset_id}/withdrawal-discussion", response=STEP_RESPONSES)
def withdrawal_discussion(request: HttpRequest, dataset_id: Id, payload: DecisionIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.record_withdrawal_discussion(
            d,
            meeting=_meeting(request, d, payload.meeting_id),
            decision=payload.decision,
            by=p,
            reasons=payload.reasons,
        ),
    )


@router.post("/{dataset_id}/approve-withdrawal", response=STEP_RESPONSES)
def approve_withdrawal(request: HttpRequest, dataset_id: Id, payload: CommentIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.approve_withdrawal(d, by=p, comment=payload.comment),
    )


@router.post("/{dataset_id}/refuse-withdrawal", response=STEP_RESPONSES)
def refuse_withdrawal(request: HttpRequest, dataset_id: Id, payload: ReasonsIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.refuse_withdrawal(d, by=p, reasons=payload.reasons),
    )


@router.post("/{dataset_id}/withdrawal-notice", response=STEP_RESPONSES)
def withdrawal_notice(request: HttpRequest, dataset_id: Id, payload: NoticeIn) -> Any:
    return _step(
        request,
        dataset_id,
        payload,
        lambda d, p: services.publish_withdrawal_notice(
            d, by=p, notice_text=payload.notice_text, on=payload.on
        ),
    )
