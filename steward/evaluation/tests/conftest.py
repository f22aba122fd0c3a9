"""A two-version plan for the test ministry (`tree`), and records to evaluate."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from steward.conftest import TEST_PLAN_AGENCIES, TEST_PLAN_HEAD, Cast, Tree
from steward.datasets.models import Dataset
from steward.evaluation import registry
from steward.feedback import services as feedback
from steward.feedback.models import Channel, FeedbackItem, Kind
from steward.organisations.factories import PersonFactory
from steward.organisations.models import Organisation
from steward.plans.models import Plan
from steward.plans.services import install_plan_text

TAIPEI = ZoneInfo("Asia/Taipei")

PLAN = (
    TEST_PLAN_HEAD
    + TEST_PLAN_AGENCIES
    + """[[organisations]]
key = "t-agency-c"
name = "丙中心"
kind = "agency"
parent = "t-ministry"

[[versions]]
label = "v1"
adopted_on = 2025-01-01

[versions.rules.feedback]
limit_days = 6
day_kind = "calendar"

[versions.rules.evaluation]
cadence = "yearly"
award_top_n = 1
improvement_report_below_target = true

[[versions.kpis]]
code = "replies"
name = "6 日內回復外部意見比率"
measure = "feedback_on_time_ratio"
unit = "percent"
weight = 1
bonus_rule = "回復日數可低於 6 日者，依其比率酌以加分。"
evaluation_period = "half_yearly"
targets = { t-agency-a = 95, t-agency-b = 95 }

[[versions.kpis]]
code = "growth"
name = "成長量"
measure = "datasets_new"
unit = "count"
weight = 1
evaluation_period = "yearly"
targets = { t-agency-a = 2, t-agency-b = 2 }

[[versions]]
label = "v2"
adopted_on = 2026-04-01
inherit = true

[[versions.kpis]]
code = "replies"
name = "6 日內回復外部意見比率"
measure = "feedback_on_time_ratio"
unit = "percent"
weight = 1
bonus_rule = "回復日數可低於 6 日者，依其比率酌以加分。"
evaluation_period = "half_yearly"
targets = { t-agency-a = 80, t-agency-b = 80, t-agency-c = 0 }

[[versions.kpis]]
code = "growth"
name = "成長量"
measure = "datasets_new"
unit = "count"
weight = 1
evaluation_period = "yearly"
targets = { t-agency-a = 2, t-agency-b = 2, t-agency-c = 0 }
"""
)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


@pytest.fixture
def plan(tree: Tree) -> Plan:
    install_plan_text(PLAN, name="t-plan.toml")
    return Plan.objects.get(key="t-plan")


@pytest.fixture
def agency_c(plan: Plan) -> Organisation:
    return Organisation.objects.get(key="t-agency-c")


@pytest.fixture
def reply(cast: Cast) -> Callable[..., FeedbackItem]:
    """reply(organisation, received, replied or None): a feedback item, answered or not."""
    admin = PersonFactory.create(username="admin", is_superuser=True, is_staff=True)

    def make(organisation: Organisation, received: str, replied: str | None) -> FeedbackItem:
        with time_machine.travel(at(received), tick=False):
            item = feedback.enter(
                by=cast.centre, kind=Kind.COMMENT, text="意見", organisation=organisation,
                received_at=at(received), channel=Channel.NATIONAL_PORTAL,
            )  # fmt: skip
        if replied is not None:
            with time_machine.travel(at(replied), tick=False):
                feedback.draft_reply(item, by=admin, text="回復")
                item = feedback.send_reply(item, by=admin)
        return item

    return make


@pytest.fixture
def dataset() -> Callable[..., Dataset]:
    """dataset(organisation, identifier, issued): a dataset first open on `issued`."""

    def make(organisation: Organisation, identifier: str, issued: str) -> Dataset:
        return Dataset.objects.create(
            organisation=organisation, identifier=identifier, title=f"資料集{identifier[-3:]}",
            status="published", issued=at(issued),
        )  # fmt: skip

    return make


@pytest.fixture
def committee_measures() -> Iterator[None]:
    """Stand-ins for the two measures the committees app registers (not merged here)."""
    added = []
    for name in ("working_group_meetings", "civil_representatives"):
        if not registry.is_registered(name):
            registry.measure(name, label=name)(lambda context: registry.Figure(None))
            added.append(name)
    yield
    for name in added:
        registry._REGISTRY.pop(name, None)
