"""Planned openings against the plan's targets, and the rule for the target figure."""

from __future__ import annotations

from steward.conftest import Tree
from steward.inventory.models import ItemStatus
from steward.inventory.targets import target_row, target_rows
from steward.inventory.tests.helpers import NEW, TOTAL, open_item, plan_with_targets
from steward.organisations.models import Organisation


def test_a_datasets_new_target_is_the_target(tree: Tree) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, 2026, NEW, 5)])
    open_item(tree.unit_a1, "1")
    open_item(tree.unit_a1, "2", status=ItemStatus.OPENED)
    open_item(tree.unit_a1, "3", dataset_identifier="A17010000J-000003")
    open_item(tree.unit_a1, "4", year=2027)
    open_item(tree.unit_a1, "5", status=ItemStatus.WITHDRAWN)
    row = target_row(tree.agency_a, 2026)
    assert (row.planned, row.opened, row.target, row.shortfall) == (3, 2, 5, 2)


def test_a_datasets_total_target_counts_the_increase_over_the_previous_year(tree: Tree) -> None:
    # MOL 伍、開放期程: 勞保局 106 → 151, i.e. +45 in 105 (2016), its 成長量 in the KPI table.
    plan_with_targets(tree.ministry, [(tree.agency_a, 2015, TOTAL, 106),
                                      (tree.agency_a, 2016, TOTAL, 151)])  # fmt: skip
    row = target_row(tree.agency_a, 2016)
    assert row.target == 45 and row.explanation == "151 − 106 (2015) = 45"


def test_without_the_previous_year_the_total_is_reduced_by_what_was_opened_before(
    tree: Tree,
) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, 2026, TOTAL, 10)])
    for n in range(3):
        open_item(tree.unit_a1, f"old{n}", year=2025, status=ItemStatus.OPENED)
    open_item(tree.unit_a1, "planned-but-never-opened", year=2025)
    assert target_row(tree.agency_a, 2026).target == 7


def test_an_every_year_target_applies_to_each_year(tree: Tree) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, None, NEW, 4)])
    assert target_row(tree.agency_a, 2030).target == 4


def test_a_subtree_target_of_the_ministry_counts_every_agency(tree: Tree) -> None:
    # MOJ: +170 a year for 本部及所屬機關.
    plan_with_targets(tree.ministry, [(tree.ministry, None, NEW, 170)], covers_subtree=True)
    open_item(tree.unit_a1, "1")
    open_item(tree.unit_b1, "1")
    open_item(tree.information_centre_unit, "1")
    rows = target_rows(Organisation.objects.all(), 2026)
    ministry_row = rows[0]
    assert ministry_row.whole_subtree and ministry_row.planned == 3 and ministry_row.target == 170
    agency_rows = {r.organisation.key: (r.planned, r.target) for r in rows[1:]}
    assert agency_rows == {"t-agency-a": (1, None), "t-agency-b": (1, None)}


def test_the_ministrys_own_row_and_its_total_row_are_both_shown(tree: Tree) -> None:
    version = plan_with_targets(tree.ministry, [(tree.ministry, 2026, NEW, 2)])
    version.targets.create(organisation=tree.ministry, year=None, measure=NEW, value=130,
                           covers_subtree=True)  # fmt: skip
    open_item(tree.information_centre_unit, "1")
    open_item(tree.unit_a1, "1")
    rows = target_rows(Organisation.objects.filter(kind="ministry"), 2026)
    assert [(r.whole_subtree, r.planned, r.target) for r in rows] == [
        (False, 1, 2),
        (True, 2, 130),
    ]


def test_no_plan_means_no_target_and_no_shortfall(tree: Tree) -> None:
    open_item(tree.unit_a1, "1")
    row = target_row(tree.agency_a, 2026)
    assert (row.target, row.shortfall, row.requires_reason) == (None, 0, False)
