"""The dashboard's schedule card says which list each sentence is about: MOL's plan gives
tasks due soon but no dated schedule deadline, and the card said 「未來 30 日內沒有時程期限」
beside the tasks due in 30 days."""

from __future__ import annotations

import datetime

from steward.conftest import Cast, Tree
from steward.plans.models import PlanVersion
from steward.reports.tests.test_dashboard import (  # noqa: F401 (fixtures)
    _page,
    _text,
    agency_url,
    computed_on_every_request,
    mol,
    today,
)


def test_the_schedule_card_names_the_plan_schedule_beside_the_tasks_due(
    mol: PlanVersion,  # noqa: F811 (the fixture)
    tree: Tree,
    cast: Cast,
    today: datetime.date,  # noqa: F811 (the fixture)
) -> None:
    text = _text(_page(cast.liaison, agency_url(tree.agency_a)))
    assert "30 日內到期的工作" in text and "30 日內到期的工作 0 項" not in text
    assert "未來 30 日內沒有時程期限" not in text
    assert "行動方案工作時程表的期限" in text
    assert (
        "行動方案工作時程表在未來 30 日內沒有訂明日期的期限；各期應辦的工作見上方工作事項。" in text
    )
