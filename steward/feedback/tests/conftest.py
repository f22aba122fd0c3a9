"""Plans for the feedback tests: the test ministry follows MOL, MOJ or a small working-day plan."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from steward.conftest import TEST_PLAN_HEAD, Tree, follow_built_in
from steward.plans.services import install_plan_text

WORKING_DAY_PLAN = (
    TEST_PLAN_HEAD
    + """[[versions]]
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
)


@pytest.fixture
def follow(tree: Tree) -> Callable[[str], None]:
    """`follow("mol")`: the test ministry follows a built-in plan, as installed from its file
    (the built-in plan's own ministry is installed without our agency code);
    `follow("working")`: a two-version plan counting working days."""

    def install(key: str) -> None:
        if key == "working":
            install_plan_text(WORKING_DAY_PLAN, name="t-plan.toml")
            return
        follow_built_in(key, tree)

    return install
