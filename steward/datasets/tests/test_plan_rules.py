"""The plan's rules on edits of published datasets and on withdrawal (停止提供) drive the
workflow: which approver an edit needs, and whether a withdrawal needs the committee, an
approver (the head of agency by default) and a public notice.

Only DGBAS (002_e36fb65670c92840.txt 伍五, 捌二) states these rules; the other built-in plans
say nothing and get the documented defaults, which are DGBAS's. Each built-in plan is tested
for what it says, and small plan files prove every flag is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from steward.audit.services import history
from steward.conftest import TEST_PLAN_HEAD, Cast, Tree, follow_built_in
from steward.datasets import services
from steward.datasets.errors import DatasetError
from steward.datasets.models import CommitteeMeeting, Dataset, Decision
from steward.datasets.tests.conftest import WalkTo
from steward.datasets.workflow import (
    Status,
    Step,
    available_steps,
    queue_q,
    withdrawal_stages,
)
from steward.organisations.models import Person
from steward.plans.document import rules_for_organisation
from steward.plans.planfile import PlanError, read_plan_text
from steward.plans.services import install_plan_text
from steward.publishing.models import Operation, OutboxStatus, PublishingOutboxEntry

BUILT_IN = ["dgbas", "moea", "moj", "mol"]
ALL_THREE = (Status.WITHDRAWAL_REQUESTED, Status.WITHDRAWAL_APPROVAL, Status.WITHDRAWAL_NOTICE)

PLAN = (
    TEST_PLAN_HEAD
    + """[[versions]]
label = "v1"
adopted_on = 2024-01-01

{rules}
"""
)


def install_rules(rules: str) -> None:
    """Install a one-version plan for the test ministry with these rule tables."""
    install_plan_text(PLAN.format(rules=rules), name="t-plan.toml")


def waits_for(person: Person, dataset: Dataset) -> bool:
    return Dataset.objects.filter(queue_q(person), pk=dataset.pk).exists()


def edit(dataset: Dataset, cast: Cast) -> Dataset:
    return services.propose_edit(dataset, by=cast.liaison, values={"title": "甲署業務統計（修正）"})


def refused(action: Callable[[], Any]) -> None:
    with pytest.raises(PermissionDenied):
        action()


# ---------------------------------------------------------------- the built-in plans


@pytest.mark.parametrize("key", BUILT_IN)
def test_each_built_in_plan_has_an_edit_approved_by_the_unit_reviewer_alone(
    key: str, walk_to: WalkTo, tree: Tree, cast: Cast
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    follow_built_in(key, tree)
    rules = rules_for_organisation(tree.unit_a1)
    # DGBAS 伍五 states it; the others are silent and get the same default.
    assert rules.published_edits.stated == (key == "dgbas")
    assert rules.published_edits.approved_by == "unit_reviewer"
    edit(dataset, cast)
    assert dataset.status == Status.EDIT_REVIEW
    assert waits_for(cast.reviewer, dataset)
    assert not waits_for(cast.cio, dataset) and not waits_for(cast.other_reviewer, dataset)
    for person in (cast.centre, cast.cio, cast.other_reviewer):
        with pytest.raises(PermissionDenied):
            services.approve_edit(dataset, by=person)
    services.approve_edit(dataset, by=cast.reviewer)
    assert dataset.status == Status.SCHEDULED


@pytest.mark.parametrize("key", BUILT_IN)
def test_each_built_in_plan_withdraws_through_committee_head_and_notice(
    key: str, walk_to: WalkTo, tree: Tree, cast: Cast, meeting: CommitteeMeeting
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    follow_built_in(key, tree)
    rules = rules_for_organisation(tree.unit_a1)
    # DGBAS 捌二 states it; the others are silent and get the same default.
    assert rules.withdrawal.stated == (key == "dgbas")
    assert withdrawal_stages(tree.unit_a1) == ALL_THREE
    with pytest.raises(DatasetError):  # a reason is required
        services.request_withdrawal(dataset, by=cast.liaison, reason=" ", becomes="on_request")
    services.request_withdrawal(dataset, by=cast.liaison, reason="系統停用", becomes="on_request")
    dataset.refresh_from_db()
    assert dataset.status == Status.WITHDRAWAL_REQUESTED
    services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
    )
    assert dataset.status == Status.WITHDRAWAL_APPROVAL
    assert waits_for(cast.head, dataset) and not waits_for(cast.cio, dataset)
    refused(lambda: services.approve_withdrawal(dataset, by=cast.cio))
    services.approve_withdrawal(dataset, by=cast.head)
    assert dataset.status == Status.WITHDRAWAL_NOTICE
    services.publish_withdrawal_notice(dataset, by=cast.centre)
    assert dataset.status == Status.WITHDRAWN


# ---------------------------------------------------------------- edits: the approver is read


def test_an_edit_goes_to_the_approver_the_plan_names(
    walk_to: WalkTo, cast: Cast, client: Client
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    install_rules('[versions.rules.published_edits]\napproved_by = "cio"')
    edit(dataset, cast)
    assert dataset.status == Status.EDIT_REVIEW
    assert waits_for(cast.cio, dataset) and not waits_for(cast.reviewer, dataset)
    assert Step.APPROVE_EDIT in available_steps(cast.cio, dataset)
    assert available_steps(cast.reviewer, dataset) == []
    refused(lambda: services.approve_edit(dataset, by=cast.reviewer))
    refused(lambda: services.reject(dataset, by=cast.reviewer, reasons="不同意"))
    services.reject(dataset, by=cast.cio, reasons="名稱請維持原樣")
    assert dataset.status == Status.EDIT_RETURNED
    # The liaison's form says who approves.
    client.force_login(cast.liaison)
    page = client.get(f"/datasets/{dataset.pk}/edit/").content.decode()
    assert "data-edit-approver" in page and "資訊長" in page
    edit(dataset, cast)
    services.approve_edit(dataset, by=cast.cio)
    assert dataset.status == Status.SCHEDULED


def test_an_edit_needs_no_approval_when_the_plan_lets_the_unit_edit_directly(
    walk_to: WalkTo, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    install_rules('[versions.rules.published_edits]\napproved_by = "liaison"')
    with django_capture_on_commit_callbacks(execute=True):
        edit(dataset, cast)
    assert dataset.status == Status.SCHEDULED
    event = history(dataset).last()
    assert event is not None
    assert (event.action, event.from_state, event.to_state) == (
        "dataset.propose_edit",
        Status.PUBLISHED,
        Status.SCHEDULED,
    )
    entry = PublishingOutboxEntry.objects.get(dataset=dataset, status=OutboxStatus.PENDING)
    assert entry.operation == Operation.UPDATE
    assert entry.payload["title"] == "甲署業務統計（修正）"


# ---------------------------------------------------------------- withdrawal: each flag is read


def test_a_withdrawal_skips_the_committee_when_the_plan_needs_no_discussion(
    walk_to: WalkTo, tree: Tree, cast: Cast
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    install_rules("[versions.rules.withdrawal]\ncommittee_discussion = false")
    assert withdrawal_stages(tree.unit_a1) == (
        Status.WITHDRAWAL_APPROVAL,
        Status.WITHDRAWAL_NOTICE,
    )
    services.request_withdrawal(dataset, by=cast.liaison, reason="系統停用", becomes="on_request")
    dataset.refresh_from_db()
    assert dataset.status == Status.WITHDRAWAL_APPROVAL
    assert waits_for(cast.head, dataset) and not waits_for(cast.committee_civil, dataset)
    services.approve_withdrawal(dataset, by=cast.head)
    assert dataset.status == Status.WITHDRAWAL_NOTICE


def test_a_withdrawal_approved_by_the_cio_without_a_notice_is_withdrawn_at_approval(
    walk_to: WalkTo, tree: Tree, cast: Cast, meeting: CommitteeMeeting
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    install_rules('[versions.rules.withdrawal]\napproved_by = "cio"\npublic_notice = false')
    services.request_withdrawal(dataset, by=cast.liaison, reason="系統停用", becomes="not_provided")
    services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
    )
    assert dataset.status == Status.WITHDRAWAL_APPROVAL
    assert waits_for(cast.cio, dataset) and not waits_for(cast.head, dataset)
    assert Step.APPROVE_WITHDRAWAL not in available_steps(cast.head, dataset)
    refused(lambda: services.approve_withdrawal(dataset, by=cast.head))
    refused(lambda: services.refuse_withdrawal(dataset, by=cast.head, reasons="不同意"))
    services.approve_withdrawal(dataset, by=cast.cio)
    assert dataset.status == Status.WITHDRAWN
    assert dataset.classification_after_withdrawal == "not_provided"
    withdrawal = dataset.withdrawals.get()
    assert withdrawal.closed and withdrawal.approved_by == cast.cio
    assert withdrawal.notice_published_on is None


def test_a_committee_that_approves_withdrawals_goes_straight_to_the_notice(
    walk_to: WalkTo, tree: Tree, cast: Cast, meeting: CommitteeMeeting
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    install_rules('[versions.rules.withdrawal]\napproved_by = "committee_member"')
    assert withdrawal_stages(tree.unit_a1) == (
        Status.WITHDRAWAL_REQUESTED,
        Status.WITHDRAWAL_NOTICE,
    )
    services.request_withdrawal(dataset, by=cast.liaison, reason="系統停用", becomes="on_request")
    services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
    )
    assert dataset.status == Status.WITHDRAWAL_NOTICE


def test_what_a_withdrawn_dataset_may_become_and_the_reason_follow_the_plan(
    walk_to: WalkTo, cast: Cast, client: Client
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    install_rules(
        '[versions.rules.withdrawal]\nrequires_reason = false\nmay_become = ["not_provided"]'
    )
    events = history(dataset).count()
    with pytest.raises(DatasetError) as caught:
        services.request_withdrawal(dataset, by=cast.liaison, reason="", becomes="on_request")
    assert "不予提供" in str(caught.value)
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert history(dataset).count() == events
    # The form offers only what the plan allows, and no reason is required.
    client.force_login(cast.liaison)
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'value="not_provided"' in page and 'value="on_request"' not in page
    response = client.post(
        f"/datasets/{dataset.pk}/step/request_withdrawal/",
        {"stage": "published", "becomes": "not_provided"},
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == Status.WITHDRAWAL_REQUESTED
    assert dataset.withdrawals.get().reason == ""


# ---------------------------------------------------------------- plans the workflow cannot follow


def test_a_plan_whose_committee_approves_without_discussing_is_refused() -> None:
    text = PLAN.format(
        rules='[versions.rules.withdrawal]\ncommittee_discussion = false\napproved_by = "committee_member"'
    )
    with pytest.raises(PlanError) as caught:
        read_plan_text(text, "t-plan.toml")
    [problem] = caught.value.problems
    assert problem.path == "versions[0].rules.withdrawal.approved_by"
    assert problem.line is not None


def test_a_plan_naming_an_edit_approver_the_workflow_has_no_stage_for_is_refused() -> None:
    text = PLAN.format(rules='[versions.rules.published_edits]\napproved_by = "auditor"')
    with pytest.raises(PlanError) as caught:
        read_plan_text(text, "t-plan.toml")
    assert caught.value.problems[0].path == "versions[0].rules.published_edits.approved_by"
