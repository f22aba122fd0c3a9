"""The transition table and the stages that come from the action plan."""

from __future__ import annotations

import datetime

import pytest

from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.models import Dataset
from steward.datasets.workflow import (
    ALLOWED,
    DEFAULT_REVIEW_STAGES,
    Status,
    Step,
    available_steps,
    next_stage,
    review_stages,
)
from steward.plans.models import Plan, PlanVersion


def _plan(tree: Tree, stages: list[str]) -> None:
    plan = Plan.objects.create(key="t-plan", name="測試部行動方案", ministry=tree.ministry)
    PlanVersion.objects.create(
        plan=plan,
        label="v1",
        adopted_on=datetime.date(2026, 1, 1),
        document={
            "rules": {"review_stages": [{"key": key, "name": key, "role": "x"} for key in stages]}
        },
    )


def test_every_status_has_a_row_in_the_table_and_only_withdrawn_is_final() -> None:
    assert set(ALLOWED) == set(Status)
    assert [status for status, targets in ALLOWED.items() if not targets] == [Status.WITHDRAWN]


def test_without_a_plan_the_default_chain_applies(tree: Tree) -> None:
    assert review_stages(tree.unit_a1) == DEFAULT_REVIEW_STAGES


def test_a_plan_without_a_committee_stage_skips_it(tree: Tree, cast: Cast, draft: Dataset) -> None:
    _plan(tree, ["unit_review", "centre_review", "approval"])
    assert review_stages(tree.unit_a1) == (
        Status.UNIT_REVIEW,
        Status.CENTRE_REVIEW,
        Status.CIO_APPROVAL,
    )
    services.submit_for_review(draft, by=cast.liaison)
    services.approve_unit_review(draft, by=cast.reviewer)
    services.approve_centre_review(draft, by=cast.centre)
    assert draft.status == Status.CIO_APPROVAL


def test_a_plan_with_only_a_committee_stage_goes_straight_there(
    tree: Tree, cast: Cast, draft: Dataset
) -> None:
    _plan(tree, ["committee", "something_unknown"])
    services.submit_for_review(draft, by=cast.liaison)
    assert draft.status == Status.COMMITTEE


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (Status.DRAFT, Status.UNIT_REVIEW),
        (Status.RETURNED, Status.UNIT_REVIEW),
        (Status.UNIT_REVIEW, Status.CENTRE_REVIEW),
        (Status.CIO_APPROVAL, Status.APPROVED),
    ],
)
def test_the_next_stage_follows_the_chain(current: Status, expected: Status) -> None:
    assert next_stage(current, DEFAULT_REVIEW_STAGES) == expected


def test_each_person_sees_only_the_steps_their_role_allows(cast: Cast, draft: Dataset) -> None:
    assert available_steps(cast.liaison, draft) == [Step.EDIT, Step.SUBMIT]
    assert available_steps(cast.reviewer, draft) == []
    services.submit_for_review(draft, by=cast.liaison)
    assert available_steps(cast.reviewer, draft) == [Step.APPROVE, Step.REJECT]
    assert available_steps(cast.other_reviewer, draft) == []
    assert available_steps(cast.liaison, draft) == []
