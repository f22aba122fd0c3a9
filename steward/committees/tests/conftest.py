"""What the committee tests share: a plan for the test ministry with MOJ's committee rule, MOL's
working groups and DGBAS's not-provided rule, and a few records waiting on the committee."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from steward.committees.models import Committee, Kind
from steward.committees.services import set_up_from_plan
from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset, Withdrawal
from steward.datasets.workflow import Status
from steward.inventory.models import Classification, InventoryItem, RestrictionReason
from steward.inventory.tests.helpers import open_item
from steward.plans.models import Plan, PlanVersion
from steward.publishing.tests.helpers import make_dataset

CIVIL_RULE = "將敦聘至少4位民間代表加入法務部政府資料開放諮詢小組。"
TODAY = datetime.date(2026, 8, 20)

RULES = {
    "committee": {
        "meetings_per_year": 4,
        "meetings_at_least": True,
        "min_civil_representatives": 4,
        "reviews_plan_yearly": True,
        "as_written": CIVIL_RULE,
    },
    "working_group": {"meetings_per_year": 4, "as_written": "工作小組原則以每季召開一次。"},
    "not_provided": {
        "committee_discussion": True,
        "approved_by": "head_of_agency",
        "as_written": "應提諮詢小組會議討論後，得敘明理由經機關首長核可後不予提供。",
    },
    "review_stages": [
        {"key": "unit_review", "name": "初審", "role": "unit_reviewer"},
        {"key": "centre_review", "name": "複審", "role": "information_centre"},
        {"key": "committee", "name": "諮詢小組", "role": "committee_member"},
        {"key": "approval", "name": "核定", "role": "cio"},
    ],
}


@pytest.fixture(autouse=True)
def today() -> Iterator[datetime.date]:
    """The tests run on 2026-08-20 (the third quarter), Taipei time."""
    moment = datetime.datetime(2026, 8, 20, 10, 0, tzinfo=ZoneInfo("Asia/Taipei"))
    with time_machine.travel(moment, tick=False):
        yield TODAY


@pytest.fixture
def plan(tree: Tree) -> PlanVersion:
    plan = Plan.objects.create(key="t-plan", name="測試部資料開放行動方案", ministry=tree.ministry)
    return PlanVersion.objects.create(
        plan=plan, label="v1", adopted_on=datetime.date(2025, 1, 1), document={"rules": RULES}
    )


@dataclass
class Committees:
    advisory: Committee
    group_a: Committee  # agency A's working group
    group_b: Committee  # agency B's working group
    group_ministry: Committee


@pytest.fixture
def committees(tree: Tree, cast: Cast, plan: PlanVersion) -> Committees:
    set_up_from_plan(tree.ministry, by=cast.centre)
    by_org = {c.organisation_id: c for c in Committee.objects.filter(kind=Kind.WORKING_GROUP)}
    return Committees(
        advisory=Committee.objects.get(kind=Kind.ADVISORY, organisation=tree.ministry),
        group_a=by_org[tree.agency_a.pk],
        group_b=by_org[tree.agency_b.pk],
        group_ministry=by_org[tree.ministry.pk],
    )


@dataclass
class Waiting:
    dataset: Dataset  # at the committee stage
    withdrawing: Dataset  # a withdrawal awaiting the committee's discussion
    not_provided: InventoryItem


@pytest.fixture
def waiting(tree: Tree, cast: Cast) -> Waiting:
    dataset = make_dataset(tree.unit_a1, serial=1, status=Status.COMMITTEE, title="職業訓練統計")
    withdrawing = make_dataset(
        tree.unit_b1, serial=2, status=Status.WITHDRAWAL_REQUESTED, title="舊版名冊"
    )
    Withdrawal.objects.create(
        dataset=withdrawing,
        reason="含個人資料",
        new_classification="not_provided",
        requested_by=cast.other_liaison,
    )
    item = open_item(
        tree.unit_a1,
        "0007",
        name="受刑人名冊",
        classification=Classification.NOT_PROVIDED,
        planned_year=None,
        planned_half="",
        restriction_reason=RestrictionReason.PRIVACY,
        legal_basis="個人資料保護法第16條",
    )
    return Waiting(dataset, withdrawing, item)
