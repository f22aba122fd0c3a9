"""One table says who may submit, return, compile and approve: pages, API and services agree."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from steward.conftest import Cast, Tree
from steward.inventory import services
from steward.inventory.models import AgencyInventory, InventoryStatus
from steward.inventory.workflow import Step, available_steps

pytestmark = pytest.mark.usefixtures("english")
S = InventoryStatus


@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("liaison", S.DRAFT, [Step.SUBMIT]),
        ("reviewer", S.RETURNED, [Step.SUBMIT]),
        ("other_liaison", S.DRAFT, []),
        ("centre", S.DRAFT, []),
        ("centre", S.SUBMITTED, [Step.RETURN]),
        ("centre", S.COMPILED, []),
        ("cio", S.SUBMITTED, [Step.RETURN]),
        ("cio", S.COMPILED, [Step.RETURN]),
        ("liaison", S.SUBMITTED, []),
        ("auditor", S.DRAFT, []),
    ],
)
def test_the_steps_of_an_agencys_return(
    tree: Tree, cast: Cast, who: str, status: str, expected: list[Step]
) -> None:
    assert available_steps(getattr(cast, who), tree.agency_a, status) == expected


def test_the_ministrys_compile_and_approve_steps(tree: Tree, cast: Cast) -> None:
    def steps(who: str, status: str) -> list[Step]:
        return available_steps(getattr(cast, who), tree.ministry, status, compilation=True)

    assert steps("centre", S.SUBMITTED) == [Step.COMPILE]
    assert steps("cio", S.SUBMITTED) == []
    assert steps("cio", S.COMPILED) == [Step.APPROVE]
    assert steps("liaison", S.SUBMITTED) == []


def test_services_refuse_whoever_the_table_refuses(tree: Tree, cast: Cast) -> None:
    inventory = services.inventory_for(tree.agency_a, 2026)
    with pytest.raises(PermissionDenied):
        services.submit_inventory(inventory, by=cast.centre)
    services.submit_inventory(inventory, by=cast.reviewer)
    services.compile_inventories(tree.ministry, 2026, by=cast.centre)
    inventory = AgencyInventory.objects.get()  # (the stored return, as the pages load it)
    with pytest.raises(PermissionDenied):  # compiled: only the CIO returns it now
        services.return_inventory(inventory, by=cast.centre, reason="再看看")
    assert AgencyInventory.objects.get().status == S.COMPILED
    services.return_inventory(inventory, by=cast.cio, reason="缺漏")
    assert AgencyInventory.objects.get().status == S.RETURNED


def test_the_api_lists_the_same_steps_as_the_page_offers(tree: Tree, cast: Cast) -> None:
    services.submit_inventory(services.inventory_for(tree.agency_a, 2026), by=cast.liaison)
    for who, expected in [("centre", ["return"]), ("cio", ["return"]), ("liaison", [])]:
        client = Client()
        client.force_login(getattr(cast, who))
        returns = client.get("/api/inventory/returns", {"year": 2026}).json()["items"]
        assert [r["steps"] for r in returns if r["agency_id"] == tree.agency_a.pk] == [expected]
        page = client.get("/inventory/returns/?year=2026").content.decode()
        has_return_button = f"/inventory/returns/{tree.agency_a.pk}/2026/return/" in page
        assert has_return_button == ("return" in expected)
