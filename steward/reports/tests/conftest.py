"""A two-version plan for the test ministry (`tree`) and helpers to build reports of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from steward.conftest import TEST_PLAN_AGENCIES, TEST_PLAN_HEAD, Tree
from steward.evaluation.tests.conftest import at, dataset, reply
from steward.organisations.models import Organisation
from steward.plans.models import Plan
from steward.plans.services import install_plan_text
from steward.reports import services
from steward.reports.document import Paragraph, ReportDocument, Table

__all__ = ["at", "dataset", "reply"]

PLAN = (
    TEST_PLAN_HEAD
    + TEST_PLAN_AGENCIES
    + """[[versions]]
label = "v1"
adopted_on = 2025-01-01

[versions.rules.feedback]
limit_days = 6
day_kind = "calendar"

[versions.rules.evaluation]
cadence = "half_yearly"
award_top_n = 1
improvement_report_below_target = true

[[versions.targets]]
measure = "datasets_new"
year = 2026
values = { t-agency-a = 3 }

[[versions.kpis]]
code = "replies"
name = "6 日內回復外部意見比率"
measure = "feedback_on_time_ratio"
unit = "percent"
weight = 1
evaluation_period = "half_yearly"
targets = { t-agency-a = 95 }

[[versions.kpis]]
code = "growth"
name = "成長量"
measure = "datasets_new"
unit = "count"
weight = 1
evaluation_period = "half_yearly"
targets = { t-agency-a = 2, t-agency-b = 2 }

[[versions]]
label = "v2"
adopted_on = 2026-07-01
inherit = true

[versions.rules.feedback]
limit_days = 5
day_kind = "calendar"
"""
)


@pytest.fixture
def plan(tree: Tree) -> Plan:
    install_plan_text(PLAN, name="t-plan.toml")
    return Plan.objects.get(key="t-plan")


@pytest.fixture(autouse=True)
def chinese() -> Any:
    with translation.override("zh-hant"):
        yield


@pytest.fixture
def build(plan: Plan) -> Callable[..., ReportDocument]:
    """build(kind, organisation, "2026H1", **options): the document, as the command builds it."""

    def make(kind: str, organisation: Organisation, period: str, **options: Any) -> ReportDocument:
        asked = services.ask(kind, organisation, period, "odt", by=None, plan=plan, options=options)
        return services.build(asked)

    return make


def table(document: ReportDocument, caption_starts: str) -> Table:
    for found in document.tables():
        if found.caption.startswith(caption_starts):
            return found
    raise AssertionError(f"no table {caption_starts!r} in {[t.caption for t in document.tables()]}")


def text(document: ReportDocument) -> str:
    """Every paragraph, heading, caption and cell, for “does it say …” assertions."""
    parts = [document.title]
    for section in document.sections:
        parts.append(section.heading)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, Table):
                parts.append(block.caption)
                parts.extend(block.columns)
                parts.extend(str(c) for row in block.rows for c in row)
                if not block.rows:
                    parts.append(block.empty_text)
    return "\n".join(parts)
