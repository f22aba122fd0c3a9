"""The review chain, step by step: the right role moves it on, everybody else changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from steward.audit.models import AuditEvent
from steward.audit.services import history
from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.errors import DatasetError, TransitionNotAllowed
from steward.datasets.models import CommitteeDecision, CommitteeMeeting, Dataset, Decision
from steward.datasets.tests.conftest import WalkTo
from steward.datasets.workflow import Status

Step = Callable[[Dataset, Any, CommitteeMeeting], Any]

# (status the dataset is in, the step, who may take it, where it goes)
CHAIN: list[tuple[Status, str, Step, Status]] = [
    (
        Status.DRAFT,
        "liaison",
        lambda d, by, m: services.submit_for_review(d, by=by),
        Status.UNIT_REVIEW,
    ),
    (
        Status.UNIT_REVIEW,
        "reviewer",
        lambda d, by, m: services.approve_unit_review(d, by=by, comment="內容正確"),
        Status.CENTRE_REVIEW,
    ),
    (
        Status.CENTRE_REVIEW,
        "centre",
        lambda d, by, m: services.approve_centre_review(d, by=by),
        Status.COMMITTEE,
    ),
    (
        Status.COMMITTEE,
        "committee_civil",
        lambda d, by, m: services.record_committee_decision(
            d, meeting=m, decision=Decision.APPROVE, by=by
        ),
        Status.CIO_APPROVAL,
    ),
    (
        Status.CIO_APPROVAL,
        "cio",
        lambda d, by, m: services.approve_by_cio(d, by=by),
        Status.APPROVED,
    ),
    (
        Status.APPROVED,
        "centre",
        lambda d, by, m: services.schedule_publication(d, by=by, on=datetime.date(2026, 5, 29)),
        Status.SCHEDULED,
    ),
    (
        Status.SCHEDULED,
        "centre",
        lambda d, by, m: services.mark_published(d, by=by, portal_identifier="170001"),
        Status.PUBLISHED,
    ),
]

# Who must be e-mailed after each step (usernames of the cast).
NEXT_TO_ACT = {
    Status.UNIT_REVIEW: {"reviewer"},
    Status.CENTRE_REVIEW: {"centre"},
    Status.COMMITTEE: {"committee_civil"},  # the centre acted itself
    Status.CIO_APPROVAL: {"cio"},
    Status.APPROVED: {"centre"},
    Status.SCHEDULED: {"liaison"},
    Status.PUBLISHED: {"liaison"},
}

EVERYBODY = [
    "liaison",
    "reviewer",
    "other_reviewer",
    "other_liaison",
    "centre",
    "cio",
    "head",
    "committee_civil",
    "auditor",
    "outsider",
]


def _state(dataset: Dataset) -> tuple[str, int, int, int]:
    dataset.refresh_from_db()
    return (
        dataset.status,
        AuditEvent.objects.count(),
        CommitteeDecision.objects.count(),
        dataset.versions.count(),
    )


@pytest.mark.parametrize(("start", "who", "step", "end"), CHAIN, ids=[c[0] for c in CHAIN])
def test_the_right_role_moves_the_dataset_on_and_the_next_person_is_told(
    walk_to: WalkTo,
    cast: Cast,
    meeting: CommitteeMeeting,
    django_capture_on_commit_callbacks: Any,
    start: Status,
    who: str,
    step: Step,
    end: Status,
) -> None:
    dataset = walk_to(start)
    events = history(dataset).count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        step(dataset, getattr(cast, who), meeting)
    dataset.refresh_from_db()
    assert dataset.status == end
    # One event on the dataset (scheduling also audits its outbox entry, on that entry).
    assert history(dataset).count() == events + 1
    event = history(dataset).last()
    assert event is not None
    assert (event.actor, event.from_state, event.to_state) == (getattr(cast, who), start, end)
    assert event.changes["status"] == {"from": start.value, "to": end.value}
    told = {message.to[0].split("@")[0] for message in mail.outbox}
    assert told == NEXT_TO_ACT[end]
    assert all(dataset.identifier in message.subject for message in mail.outbox)


@pytest.mark.parametrize(("start", "who", "step", "end"), CHAIN, ids=[c[0] for c in CHAIN])
def test_nobody_else_can_take_a_step_and_nothing_changes(
    walk_to: WalkTo,
    cast: Cast,
    meeting: CommitteeMeeting,
    django_capture_on_commit_callbacks: Any,
    start: Status,
    who: str,
    step: Step,
    end: Status,
) -> None:
    dataset = walk_to(start)
    before = _state(dataset)
    allowed = {who}
    if start == Status.COMMITTEE:
        allowed.add("centre")  # the information centre records the committee's decision too
    mail.outbox.clear()
    for name in EVERYBODY:
        if name in allowed:
            continue
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
            step(dataset, getattr(cast, name), meeting)
        assert _state(dataset) == before, name
    assert mail.outbox == []


@pytest.mark.parametrize(("start", "who", "step", "end"), CHAIN, ids=[c[0] for c in CHAIN])
def test_a_step_out_of_order_is_refused_and_nothing_changes(
    walk_to: WalkTo,
    cast: Cast,
    meeting: CommitteeMeeting,
    django_capture_on_commit_callbacks: Any,
    start: Status,
    who: str,
    step: Step,
    end: Status,
) -> None:
    # Take the dataset one step past `start` (or keep it a draft for the first step) and
    # try the step again from the wrong status.
    wrong = Status.DRAFT if start != Status.DRAFT else Status.UNIT_REVIEW
    dataset = walk_to(wrong)
    before = _state(dataset)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionNotAllowed):
        step(dataset, getattr(cast, who), meeting)
    assert _state(dataset) == before
    assert mail.outbox == []


def test_the_refusal_says_what_was_tried_and_the_current_status_in_chinese(
    walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.DRAFT)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.approve_by_cio(dataset, by=cast.cio)
    assert "草稿" in str(refused.value)


@pytest.mark.parametrize(
    ("start", "who"),
    [
        (Status.UNIT_REVIEW, "reviewer"),
        (Status.CENTRE_REVIEW, "centre"),
        (Status.CIO_APPROVAL, "cio"),
    ],
)
def test_a_rejection_returns_it_to_the_liaison_with_the_reasons(
    walk_to: WalkTo,
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
    start: Status,
    who: str,
) -> None:
    dataset = walk_to(start)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(dataset, by=getattr(cast, who), reasons="主要欄位說明缺少單位")
    assert dataset.status == Status.RETURNED
    assert dataset.returned_reasons == "主要欄位說明缺少單位"
    assert [m.to for m in mail.outbox] == [[cast.liaison.email]]
    assert "主要欄位說明缺少單位" in mail.outbox[0].body
    event = history(dataset).last()
    assert event is not None and event.comment == "主要欄位說明缺少單位"

    # The liaison fixes it (a returned dataset becomes a draft again) and resubmits.
    services.update_dataset(dataset, by=cast.liaison, values={"fieldDescription": "年度、件數(件)"})
    assert dataset.status == Status.DRAFT
    services.submit_for_review(dataset, by=cast.liaison)
    assert dataset.status == Status.UNIT_REVIEW
    assert dataset.returned_reasons == ""


def test_a_rejection_needs_reasons(walk_to: WalkTo, cast: Cast) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    with pytest.raises(DatasetError, match="退回原因"):
        services.reject(dataset, by=cast.reviewer, reasons="  ")
    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW


def test_the_committee_can_return_a_dataset_with_reasons(
    walk_to: WalkTo, cast: Cast, meeting: CommitteeMeeting
) -> None:
    dataset = walk_to(Status.COMMITTEE)
    with pytest.raises(DatasetError):
        services.record_committee_decision(
            dataset, meeting=meeting, decision=Decision.REJECT, by=cast.centre
        )
    services.record_committee_decision(
        dataset, meeting=meeting, decision=Decision.REJECT, by=cast.centre, reasons="涉及個資"
    )
    assert dataset.status == Status.RETURNED
    assert dataset.returned_reasons == "涉及個資"
    decision = dataset.committee_decisions.get()
    assert (decision.meeting, decision.decision) == (meeting, Decision.REJECT)


def test_a_committee_decision_must_cite_this_ministrys_meeting(walk_to: WalkTo, cast: Cast) -> None:
    from steward.organisations.factories import OrganisationFactory
    from steward.organisations.models import OrganisationKind

    dataset = walk_to(Status.COMMITTEE)
    elsewhere = OrganisationFactory.create(key="other-ministry", kind=OrganisationKind.MINISTRY)
    foreign = CommitteeMeeting.objects.create(
        ministry=elsewhere, held_on=datetime.date(2026, 4, 1), number="他部第1次"
    )
    with pytest.raises(DatasetError):
        services.record_committee_decision(
            dataset, meeting=foreign, decision=Decision.APPROVE, by=cast.centre
        )
    dataset.refresh_from_db()
    assert dataset.status == Status.COMMITTEE


def test_publishing_keeps_the_metadata_as_published(walk_to: WalkTo) -> None:
    dataset = walk_to(Status.PUBLISHED)
    version = dataset.versions.get()
    assert version.number == 1
    assert version.metadata["identifier"] == dataset.identifier
    assert version.metadata["issued"] == "2026-05-29 00:00:00"
    assert dataset.portal_identifier == "170001"


def test_the_publishing_outbox_may_record_publication_as_the_system(
    walk_to: WalkTo,
) -> None:
    dataset = walk_to(Status.SCHEDULED)
    services.mark_published(dataset, by=None, portal_identifier="")
    assert dataset.status == Status.PUBLISHED
    assert dataset.portal_identifier == dataset.identifier
    event = history(dataset).last()
    assert event is not None and event.actor is None


def test_a_meeting_number_is_recorded_once(
    tree: Tree, cast: Cast, meeting: CommitteeMeeting
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.record_meeting(
            by=cast.centre, ministry=tree.ministry, held_on=meeting.held_on, number=meeting.number
        )
    with pytest.raises(PermissionDenied):
        services.record_meeting(
            by=cast.liaison, ministry=tree.ministry, held_on=meeting.held_on, number="另一次"
        )
