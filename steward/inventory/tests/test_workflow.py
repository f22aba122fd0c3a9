"""The yearly return: submit → compile → approve, and return; each by the right role only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree, table_snapshot
from steward.inventory.models import (
    AgencyInventory,
    InventoryCompilation,
    InventoryStatus,
)
from steward.inventory.services import (
    TransitionRefused,
    approve_compilation,
    compile_inventories,
    inventory_for,
    return_inventory,
    submit_inventory,
)
from steward.inventory.tests.helpers import NEW, open_item, plan_with_targets

YEAR = 2026

pytestmark = pytest.mark.usefixtures("english")


def snapshot(inventory: AgencyInventory) -> dict[str, tuple[int, str]]:
    """Every table's contents (the return itself may not be stored yet)."""
    return table_snapshot()


@pytest.mark.parametrize("who", ["liaison", "reviewer"])
def test_the_liaison_or_the_unit_reviewer_submits_their_agencys_inventory(
    tree: Tree, cast: Cast, who: str, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    open_item(tree.unit_a1, "1")
    inventory = inventory_for(tree.agency_a, YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        inventory = submit_inventory(inventory, by=getattr(cast, who))
    assert inventory.status == InventoryStatus.SUBMITTED
    assert inventory.planned_openings == 1
    assert inventory.snapshot["rows"][0][3] == "資料1"
    event = AuditEvent.objects.get(action="inventory.submit")
    assert (event.from_state, event.to_state) == ("draft", "submitted")
    assert [m.to for m in mailoutbox] == [["centre@example.gov.tw"]]


@pytest.mark.parametrize(
    "who", ["other_liaison", "other_reviewer", "centre", "cio", "head", "auditor", "outsider",
            "committee_civil"],
)  # fmt: skip
def test_nobody_else_may_submit_agency_as_inventory(tree: Tree, cast: Cast, who: str) -> None:
    inventory = inventory_for(tree.agency_a, YEAR)
    before = snapshot(inventory)
    with pytest.raises(PermissionDenied):
        submit_inventory(inventory, by=getattr(cast, who))
    assert snapshot(inventory) == before


def test_a_shortfall_needs_a_written_reason_when_the_plan_says_so(tree: Tree, cast: Cast) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, YEAR, NEW, 3)])
    open_item(tree.unit_a1, "1")
    inventory = inventory_for(tree.agency_a, YEAR)
    before = snapshot(inventory)
    with pytest.raises(TransitionRefused) as refused:
        submit_inventory(inventory, by=cast.liaison, shortfall_reason="   ")
    assert "shortfall_reason" in refused.value.message_dict
    assert "2" in refused.value.message_dict["shortfall_reason"][0]
    assert snapshot(inventory) == before
    inventory = submit_inventory(
        inventory, by=cast.liaison, shortfall_reason="兩項系統改版延至明年"
    )
    assert inventory.status == InventoryStatus.SUBMITTED
    assert (inventory.target, inventory.planned_openings) == (3, 1)
    assert inventory.shortfall_reason == "兩項系統改版延至明年"


def test_a_shortfall_needs_no_reason_when_the_plan_does_not_ask(tree: Tree, cast: Cast) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, YEAR, NEW, 3)],
                      shortfall_requires_reason=False)  # fmt: skip
    inventory = submit_inventory(inventory_for(tree.agency_a, YEAR), by=cast.liaison)
    assert inventory.status == InventoryStatus.SUBMITTED


def test_meeting_the_target_needs_no_reason(tree: Tree, cast: Cast) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, YEAR, NEW, 2)])
    open_item(tree.unit_a1, "1")
    open_item(tree.unit_a1, "2")
    inventory = submit_inventory(inventory_for(tree.agency_a, YEAR), by=cast.liaison,
                                 shortfall_reason="用不到")  # fmt: skip
    assert inventory.status == InventoryStatus.SUBMITTED and inventory.shortfall_reason == ""


def _submitted(tree: Tree, cast: Cast) -> tuple[AgencyInventory, AgencyInventory]:
    a = submit_inventory(inventory_for(tree.agency_a, YEAR), by=cast.liaison)
    b = submit_inventory(inventory_for(tree.agency_b, YEAR), by=cast.other_liaison)
    return a, b


def test_the_whole_cycle_ends_approved_with_one_event_per_step(
    tree: Tree, cast: Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    a, b = _submitted(tree, cast)
    with django_capture_on_commit_callbacks(execute=True):
        compilation = compile_inventories(tree.ministry, YEAR, by=cast.centre, note="彙整")
    assert [m.to for m in mailoutbox] == [["cio@example.gov.tw"]]
    a.refresh_from_db()
    assert a.status == InventoryStatus.COMPILED and a.compilation == compilation
    with django_capture_on_commit_callbacks(execute=True):
        approve_compilation(compilation, by=cast.cio, comment="同意")
    for inventory in (a, b):
        inventory.refresh_from_db()
        assert inventory.status == InventoryStatus.APPROVED
    compilation.refresh_from_db()
    assert compilation.status == InventoryCompilation.Status.APPROVED
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "inventory.submit", "inventory.submit", "inventory.compile", "inventory.approve",
    ]  # fmt: skip
    approved_mail = {address for m in mailoutbox[1:] for address in m.to}
    assert {"liaison@example.gov.tw", "reviewer@example.gov.tw", "other_liaison@example.gov.tw",
            "centre@example.gov.tw"} <= approved_mail  # fmt: skip


@pytest.mark.parametrize("who", ["liaison", "reviewer", "cio", "head", "auditor", "outsider"])
def test_only_the_information_centre_compiles(tree: Tree, cast: Cast, who: str) -> None:
    a, _b = _submitted(tree, cast)
    before = snapshot(a)
    with pytest.raises(PermissionDenied):
        compile_inventories(tree.ministry, YEAR, by=getattr(cast, who))
    assert snapshot(a) == before and not InventoryCompilation.objects.exists()


@pytest.mark.parametrize("who", ["liaison", "reviewer", "centre", "head", "committee_civil"])
def test_only_the_cio_approves(tree: Tree, cast: Cast, who: str) -> None:
    a, _b = _submitted(tree, cast)
    compilation = compile_inventories(tree.ministry, YEAR, by=cast.centre)
    before = snapshot(a)
    with pytest.raises(PermissionDenied):
        approve_compilation(compilation, by=getattr(cast, who))
    assert snapshot(a) == before
    compilation.refresh_from_db()
    assert compilation.status == InventoryCompilation.Status.COMPILED


def test_steps_out_of_order_are_refused_and_change_nothing(tree: Tree, cast: Cast) -> None:
    draft = inventory_for(tree.agency_a, YEAR)
    with pytest.raises(TransitionRefused):
        compile_inventories(tree.ministry, YEAR, by=cast.centre)  # nothing submitted
    with pytest.raises(TransitionRefused):
        return_inventory(draft, by=cast.cio, reason="尚未提報")  # a draft cannot be returned
    a = submit_inventory(draft, by=cast.liaison)
    before = snapshot(a)
    with pytest.raises(TransitionRefused):
        submit_inventory(a, by=cast.liaison)  # twice
    assert snapshot(a) == before
    compilation = compile_inventories(tree.ministry, YEAR, by=cast.centre)
    approve_compilation(compilation, by=cast.cio)
    before = snapshot(a)
    with pytest.raises(TransitionRefused):
        approve_compilation(compilation, by=cast.cio)  # twice
    with pytest.raises(TransitionRefused):
        return_inventory(a, by=cast.cio, reason="太晚了")  # approved is final
    with pytest.raises(TransitionRefused):
        submit_inventory(a, by=cast.liaison)
    assert snapshot(a) == before


def test_the_cio_returns_a_compiled_inventory_with_reasons_and_it_can_be_resubmitted(
    tree: Tree, cast: Cast, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    a, b = _submitted(tree, cast)
    compilation = compile_inventories(tree.ministry, YEAR, by=cast.centre)
    with django_capture_on_commit_callbacks(execute=True):
        return_inventory(a, by=cast.cio, reason="性別統計欄位漏填")
    a.refresh_from_db()
    assert a.status == InventoryStatus.RETURNED and a.return_reason == "性別統計欄位漏填"
    assert a.compilation is None
    assert {address for m in mailoutbox for address in m.to} == {
        "liaison@example.gov.tw", "reviewer@example.gov.tw"}  # fmt: skip
    assert mailoutbox[0].body == "性別統計欄位漏填"
    # The rest is approved without it; agency A comes back in the next compilation.
    approve_compilation(compilation, by=cast.cio)
    b.refresh_from_db()
    assert b.status == InventoryStatus.APPROVED
    submit_inventory(a, by=cast.liaison)
    compilation = compile_inventories(tree.ministry, YEAR, by=cast.centre)
    assert compilation.status == InventoryCompilation.Status.COMPILED
    approve_compilation(compilation, by=cast.cio)
    a.refresh_from_db()
    assert a.status == InventoryStatus.APPROVED and a.return_reason == ""


def test_a_return_needs_a_reason(tree: Tree, cast: Cast) -> None:
    a, _b = _submitted(tree, cast)
    before = snapshot(a)
    with pytest.raises(TransitionRefused):
        return_inventory(a, by=cast.cio, reason=" ")
    assert snapshot(a) == before


def test_the_centre_may_return_a_submitted_inventory_but_not_a_compiled_one(
    tree: Tree, cast: Cast
) -> None:
    a, b = _submitted(tree, cast)
    return_inventory(a, by=cast.centre, reason="請補充說明")
    compile_inventories(tree.ministry, YEAR, by=cast.centre)
    before = snapshot(b)
    with pytest.raises(PermissionDenied):
        return_inventory(b, by=cast.centre, reason="想退")
    assert snapshot(b) == before


@pytest.mark.parametrize("who", ["liaison", "reviewer", "other_liaison", "head", "auditor"])
def test_agencies_cannot_return_inventories(tree: Tree, cast: Cast, who: str) -> None:
    a, _b = _submitted(tree, cast)
    before = snapshot(a)
    with pytest.raises(PermissionDenied):
        return_inventory(a, by=getattr(cast, who), reason="自己退")
    assert snapshot(a) == before


def test_only_agencies_and_the_ministry_have_an_inventory(tree: Tree) -> None:
    with pytest.raises(TransitionRefused):
        inventory_for(tree.unit_a1, YEAR)
