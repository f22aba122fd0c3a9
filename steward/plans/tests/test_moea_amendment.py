"""MOEA's two versions (106.03.16) and the amendment comparison table (修正對照表) between them."""

from __future__ import annotations

import pytest

from steward.plans.compare import compare_versions
from steward.plans.document import rules_for
from steward.plans.models import Plan, PlanVersion
from steward.plans.services import BUILTIN_DIR, install_plan_file


@pytest.fixture
def versions(db: None) -> tuple[PlanVersion, PlanVersion]:
    old, new = install_plan_file(BUILTIN_DIR / "moea.toml")
    return old, new


def deadlines(version: PlanVersion, code: str) -> list[tuple[str, int, int, int]]:
    item = version.schedule_items.get(code=code)
    return [(d.period, d.month, d.day, d.year_offset) for d in item.deadlines.order_by("pk")]


def test_moea_is_one_plan_with_the_version_in_force_and_the_amended_one(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    old, new = versions
    plan = Plan.objects.get(key="moea")
    assert [v.label for v in plan.versions.all()] == ["pre-2017", "2017-03-16"]
    assert plan.current_version() == new
    assert str(new.adopted_on) == "2017-03-16"
    assert not old.adopted_on_stated
    assert old.schedule_items.count() == new.schedule_items.count() == 11


def test_item_1_6_has_four_quarterly_deadlines_before_and_two_after(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    old, new = versions
    assert deadlines(old, "1-6") == [
        ("Q1", 3, 25, 0),
        ("Q2", 6, 25, 0),
        ("Q3", 9, 25, 0),
        ("Q4", 12, 25, 0),
    ]
    assert deadlines(new, "1-6") == [("Q2", 4, 30, 0), ("Q4", 10, 31, 0)]


def test_inventory_deadline_2_28_and_continuous_and_next_year_items(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    _, new = versions
    assert deadlines(new, "1-3") == [("Q1", 2, 28, 0)]
    continuous = new.schedule_items.get(code="2-3")
    assert continuous.continuous and continuous.continuous_label == "資料發布後持續運作"
    assert not continuous.deadlines.exists()
    evaluation = new.schedule_items.get(code="2-4").deadlines.get()
    assert (evaluation.month, evaluation.day, evaluation.year_offset) == (1, 31, 1)
    assert evaluation.label == "12月底至次年1月底"


def test_everything_moves_to_the_previous_working_day_and_all_expands_to_the_ministry(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    _, new = versions
    item = new.schedule_items.get(code="1-6")
    assert item.move_to_previous_working_day
    assert [o.key for o in item.lead_organisations.all()] == ["moea-ic"]
    assert [o.key for o in item.cooperating_organisations.all()] == ["moea"]
    assert item.cooperating_as_written == "本部及各機關(構)"
    assert rules_for(new).deadlines.as_written.startswith("註")


def test_the_amendment_requires_a_reason_for_an_inventory_shortfall_and_halves_meetings(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    old, new = versions
    assert not rules_for(old).inventory.shortfall_requires_reason
    assert rules_for(new).inventory.shortfall_requires_reason
    assert rules_for(old).committee.meetings_per_year == 4
    assert rules_for(new).committee.meetings_per_year == 2
    unit_review = rules_for(new).review_stage("unit_review")
    assert unit_review is not None and unit_review.cadence == "as_scheduled"
    assert rules_for(old).quality == rules_for(new).quality  # inherited unchanged


def test_comparison_table_shows_1_6_moving_from_four_quarterly_deadlines_to_two(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    rows = {(row.section, row.key): row for row in compare_versions(*versions)}
    row = rows[("schedule", "1-6")]
    assert row.explanation == "1-6 完成期限由 3/25、6/25、9/25、12/25 改為 4/30、10/31。"
    assert "第二季 4/30、第四季 10/31" in row.amended
    assert "第一季 3/25" in row.current


def test_comparison_table_lists_exactly_what_the_seed_amended(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    rows = compare_versions(*versions)
    schedule = [row.key for row in rows if row.section == "schedule"]
    assert schedule == ["1-1", "1-2", "1-4", "1-5", "1-6", "1-7"]  # 1-3 and 2-x unchanged
    explanations = {row.key: row.explanation for row in rows}
    assert "1-1 完成期限由 4/30 改為 6/30" in explanations["1-1"]
    assert "訂定次年度各單位開放資料集目標值" in explanations["1-4"]
    assert "3/10、6/10、9/10、12/10 改為 3/15、9/15" in explanations["1-5"]
    assert "由 否 改為 是" in explanations["inventory"]
    assert "由 4 改為 2" in explanations["committee"]
    inventory = next(row for row in rows if row.key == "inventory")
    assert "請敍明理由函送本部資訊中心彙辦" in inventory.amended
    assert "請敍明理由" not in inventory.current


def test_comparing_a_version_with_itself_gives_an_empty_table(
    versions: tuple[PlanVersion, PlanVersion],
) -> None:
    assert compare_versions(versions[1], versions[1]) == []
