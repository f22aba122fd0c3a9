"""After publishing: edits need only the unit reviewer (DGBAS 伍五); withdrawal (停止提供, 捌二)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from steward.audit.models import AuditEvent
from steward.audit.services import history
from steward.conftest import Cast
from steward.datasets import services
from steward.datasets.errors import DatasetError, MetadataIncomplete, TransitionNotAllowed
from steward.datasets.metadata import record_of
from steward.datasets.models import CommitteeMeeting, Decision
from steward.datasets.tests.conftest import WalkTo, complete_resource
from steward.datasets.workflow import Status


def test_an_edit_of_a_published_dataset_needs_only_the_unit_reviewer_and_is_republished(
    walk_to: WalkTo, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    resource_id = dataset.resources.get().resourceID
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.propose_edit(
            dataset,
            by=cast.liaison,
            values={"title": "甲署業務統計（含分區）", "accrualPeriodicity": "每季"},
            resources=[
                {"resourceID": resource_id, **complete_resource()},
                complete_resource(format="JSON", downloadURL="https://a.example.gov.tw/s.json"),
            ],
            comment="新增 JSON 檔",
        )
    assert dataset.status == Status.EDIT_REVIEW
    assert [m.to for m in mail.outbox] == [[cast.reviewer.email]]
    event = history(dataset).last()
    assert event is not None
    assert event.changes["title"] == {"from": "甲署業務統計", "to": "甲署業務統計（含分區）"}
    new_id = f"{dataset.identifier}-002"
    assert event.changes[f"distribution[{new_id}].format"] == {"from": None, "to": "JSON"}

    # The information centre and the CIO have no say in it; the unit reviewer does.
    for person in (cast.centre, cast.cio, cast.other_reviewer):
        with pytest.raises(PermissionDenied):
            services.approve_edit(dataset, by=person)
    services.approve_edit(dataset, by=cast.reviewer)
    assert dataset.status == Status.SCHEDULED
    services.mark_published(dataset, by=None, portal_identifier="170001")
    assert dataset.status == Status.PUBLISHED
    assert [v.number for v in dataset.versions.all()] == [1, 2]
    assert dataset.versions.get(number=2).metadata["title"] == "甲署業務統計（含分區）"
    assert len(dataset.versions.get(number=2).metadata["distribution"]) == 2


def test_a_returned_edit_can_be_fixed_or_discarded_back_to_the_published_version(
    walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    published = record_of(dataset)
    services.propose_edit(dataset, by=cast.liaison, values={"title": "錯誤的名稱"})
    services.reject(dataset, by=cast.reviewer, reasons="名稱不可更動")
    assert dataset.status == Status.EDIT_RETURNED
    assert dataset.returned_reasons == "名稱不可更動"
    # Still on the portal meanwhile.
    assert dataset.is_on_portal
    services.discard_edit(dataset, by=cast.liaison)
    assert dataset.status == Status.PUBLISHED
    assert record_of(dataset) == published


def test_a_published_dataset_cannot_be_edited_in_place(walk_to: WalkTo, cast: Cast) -> None:
    dataset = walk_to(Status.PUBLISHED)
    events = AuditEvent.objects.count()
    with pytest.raises(TransitionNotAllowed):
        services.update_dataset(dataset, by=cast.liaison, values={"title": "偷改"})
    dataset.refresh_from_db()
    assert dataset.title == "甲署業務統計"
    assert AuditEvent.objects.count() == events


def test_an_edit_that_breaks_the_standard_is_refused_and_nothing_changes(
    walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    with pytest.raises(MetadataIncomplete) as refused:
        services.propose_edit(dataset, by=cast.liaison, values={"title": "", "cost": "免費"})
    assert [p.key for p in refused.value.problems] == ["title"]
    dataset.refresh_from_db()
    assert (dataset.status, dataset.title) == (Status.PUBLISHED, "甲署業務統計")


def test_withdrawal_runs_from_request_to_public_notice(
    walk_to: WalkTo,
    cast: Cast,
    meeting: CommitteeMeeting,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = services.request_withdrawal(
            dataset, by=cast.liaison, reason="資料來源系統已停用", becomes="not_provided"
        )
    assert dataset.status == Status.WITHDRAWAL_REQUESTED
    assert {m.to[0] for m in mail.outbox} == {cast.centre.email, cast.committee_civil.email}

    # The head may not approve before the committee has discussed it.
    with pytest.raises(TransitionNotAllowed):
        services.approve_withdrawal(dataset, by=cast.head)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.record_withdrawal_discussion(
            dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
        )
    assert dataset.status == Status.WITHDRAWAL_APPROVAL
    assert [m.to for m in mail.outbox] == [[cast.head.email]]

    # Only the head of the dataset's own agency approves.
    for person in (cast.cio, cast.centre, cast.liaison, cast.reviewer):
        with pytest.raises(PermissionDenied):
            services.approve_withdrawal(dataset, by=person)
    services.approve_withdrawal(dataset, by=cast.head, comment="同意")
    assert dataset.status == Status.WITHDRAWAL_NOTICE

    services.publish_withdrawal_notice(dataset, by=cast.centre)
    assert dataset.status == Status.WITHDRAWN
    assert dataset.classification_after_withdrawal == "not_provided"
    withdrawal.refresh_from_db()
    assert withdrawal.closed and withdrawal.approved_by == cast.head
    assert withdrawal.committee_decision is not None
    assert "資料來源系統已停用" in withdrawal.notice_text
    assert withdrawal.notice_published_on is not None
    assert [e.action for e in history(dataset)][-4:] == [
        "dataset.request_withdrawal",
        "dataset.withdrawal_discussion",
        "dataset.approve_withdrawal",
        "dataset.withdraw",
    ]
    # Withdrawn is the end: nothing more can happen to it.
    with pytest.raises(TransitionNotAllowed):
        services.request_withdrawal(dataset, by=cast.liaison, reason="再次", becomes="on_request")


def test_the_committee_or_the_head_can_keep_a_dataset_open(
    walk_to: WalkTo, cast: Cast, meeting: CommitteeMeeting
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    services.request_withdrawal(dataset, by=cast.liaison, reason="業務調整", becomes="on_request")
    services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.KEEP_OPEN, by=cast.centre, reasons="仍有需求"
    )
    assert dataset.status == Status.PUBLISHED
    assert dataset.withdrawals.get().refused_reasons == "仍有需求"

    services.request_withdrawal(dataset, by=cast.liaison, reason="業務調整", becomes="on_request")
    services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
    )
    services.refuse_withdrawal(dataset, by=cast.head, reasons="民眾仍在使用")
    assert dataset.status == Status.PUBLISHED
    assert dataset.withdrawals.filter(closed=False).count() == 0


@pytest.mark.parametrize(
    ("reason", "becomes"),
    [("", "on_request"), ("業務調整", "open"), ("業務調整", "")],
)
def test_a_withdrawal_needs_a_reason_and_what_it_becomes(
    walk_to: WalkTo, cast: Cast, reason: str, becomes: str
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    with pytest.raises(DatasetError):
        services.request_withdrawal(dataset, by=cast.liaison, reason=reason, becomes=becomes)
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert dataset.withdrawals.count() == 0


def test_another_agencys_liaison_cannot_request_a_withdrawal(walk_to: WalkTo, cast: Cast) -> None:
    dataset = walk_to(Status.PUBLISHED)
    with pytest.raises(PermissionDenied):
        services.request_withdrawal(
            dataset, by=cast.other_liaison, reason="業務調整", becomes="on_request"
        )
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
