"""Plans for the feedback tests: the test ministry follows MOL, MOJ or a small working-day plan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from steward.conftest import Tree
from steward.plans.models import Plan
from steward.plans.services import BUILTIN_DIR, install_plan_text

WORKING_DAY_PLAN = """format_version = 1

[plan]
key = "t-plan"
name = "測試部資料開放行動方案"
ministry = "t-ministry"

[[organisations]]
key = "t-ministry"
name = "測試部"
kind = "ministry"
agency_code = "A17000000J"

[[versions]]
label = "v1"
adopted_on = 2024-01-01

[versions.rules.feedback]
limit_days = 5
day_kind = "working"
cio_approves_replies = false
as_written = "5 個工作天內回復"

[[versions]]
label = "v2"
adopted_on = 2026-03-01

[versions.rules.feedback]
limit_days = 3
day_kind = "working"
cio_approves_replies = false
as_written = "3 個工作天內回復"
"""


@pytest.fixture
def follow(tree: Tree) -> Callable[[str], None]:
    """`follow("mol")`: the test ministry follows a built-in plan, as installed from its file
    (the built-in plan's own ministry is installed without our agency code);
    `follow("working")`: a two-version plan counting working days."""

    def install(key: str) -> None:
        if key == "working":
            install_plan_text(WORKING_DAY_PLAN, name="t-plan.toml")
            return
        text = (Path(BUILTIN_DIR) / f"{key}.toml").read_text(encoding="utf-8")
        install_plan_text(text.replace(f'"{tree.ministry.agency_code}"', '""'), name=f"{key}.toml")
        Plan.objects.filter(key=key).update(ministry=tree.ministry)

    return install
