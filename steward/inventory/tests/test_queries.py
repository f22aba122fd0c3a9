"""The inventory pages and API lists run a fixed number of queries, whatever the number of
agencies; the item lists are paginated with a total, a default page size and a cap."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from steward.conftest import Cast, Tree
from steward.inventory import services
from steward.inventory.models import InventoryItem
from steward.inventory.tests.helpers import NEW, open_item, plan_with_targets
from steward.lib.pagination import MAX_PAGE_SIZE
from steward.organisations.factories import OrganisationFactory, PersonFactory
from steward.organisations.models import Organisation, OrganisationKind
from steward.plans.models import Plan

pytestmark = pytest.mark.usefixtures("english")


def add_agencies(tree: Tree, first: int, count: int) -> None:
    """`count` more agencies, each with a unit, items, a target and a submitted return."""
    admin = PersonFactory.create(username="q-admin", is_superuser=True)
    targets: list[tuple[Organisation, int | None, str, int]] = [
        (tree.agency_a, 2026, NEW, 3),
        (tree.agency_b, 2026, NEW, 1),
    ]
    for n in range(first, first + count):
        agency = OrganisationFactory.create(
            key=f"q-agency-{n}", name=f"丙{n}署", kind=OrganisationKind.AGENCY,
            parent=tree.ministry,
        )  # fmt: skip
        unit = OrganisationFactory.create(
            key=f"q-unit-{n}", name=f"丙{n}署資料組", kind=OrganisationKind.UNIT, parent=agency
        )
        for i in range(3):
            open_item(unit, f"{i:04d}")
        targets.append((agency, 2026, NEW, 2))
        services.submit_inventory(services.inventory_for(agency, 2026), by=admin)
    Plan.objects.filter(ministry=tree.ministry).delete()
    plan_with_targets(tree.ministry, targets, shortfall_requires_reason=False)


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


PAGES = [
    "/inventory/?year=2026",
    "/inventory/returns/?year=2026",
    "/api/inventory/items",
    "/api/inventory/targets?year=2026",
    "/api/inventory/returns?year=2026",
]


@pytest.fixture
def centre_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.centre)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_queries_do_not_grow_with_the_number_of_agencies(
    tree: Tree,
    cast: Cast,
    centre_client: Client,
    url: str,
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    add_agencies(tree, 0, 2)
    with_two = queries_for(centre_client, url)
    assert with_two <= 30  # (sign-in middleware: session idle time and second factor, 2–3)
    add_agencies(tree, 2, 6)
    with django_assert_max_num_queries(with_two):
        assert centre_client.get(url).status_code == 200


def many_items(tree: Tree, count: int) -> None:
    InventoryItem.objects.bulk_create(
        InventoryItem(
            agency=tree.agency_a,
            organisation=tree.unit_a1,
            identifier=f"{n:04d}",
            name=f"資料{n}",
            classification="open",
            planned_year=2026,
            planned_half="H1",
            status="planned",
        )
        for n in range(1, count + 1)
    )


def test_the_api_list_is_paginated_with_a_total_a_default_size_and_a_cap(
    tree: Tree, centre_client: Client
) -> None:
    many_items(tree, 250)
    first = centre_client.get("/api/inventory/items").json()
    assert (first["count"], first["page"], first["pages"], first["page_size"]) == (250, 1, 3, 100)
    assert [item["identifier"] for item in first["items"]][:2] == ["0001", "0002"]
    assert first["page_size_capped"] is False
    last = centre_client.get("/api/inventory/items", {"page": 3}).json()
    assert len(last["items"]) == 50 and last["items"][-1]["identifier"] == "0250"
    big = centre_client.get("/api/inventory/items", {"page_size": 10_000}).json()
    assert big["page_size"] == MAX_PAGE_SIZE and big["page_size_capped"] is True
    assert len(big["items"]) == 250
    filtered = centre_client.get("/api/inventory/items", {"year": 2030}).json()
    assert (filtered["count"], filtered["pages"], filtered["items"]) == (0, 1, [])


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({"page": 4}, 404, "第 4 頁已超出範圍：每頁 100 筆，共 3 頁。"),
        ({"page": 0}, 422, "greater than or equal to 1"),
        ({"page": -2}, 422, "greater than or equal to 1"),
        ({"page_size": 0}, 422, "greater than or equal to 1"),
    ],
)
def test_a_page_that_does_not_exist_is_refused_saying_why(
    tree: Tree, centre_client: Client, query: dict[str, int], status: int, words: str
) -> None:
    """As every API list (lib/pagination.py): past the end 404 with the number of pages,
    a number or size below 1 is 422 naming the parameter."""
    many_items(tree, 250)
    response = centre_client.get("/api/inventory/items", query)
    assert response.status_code == status and words in str(response.json()["detail"])


def test_the_list_page_shows_the_nearest_page_and_says_so(
    tree: Tree, centre_client: Client
) -> None:
    many_items(tree, 250)
    response = centre_client.get("/inventory/", {"page": 99})
    assert response.status_code == 200 and response.context["page"].number == 3
    assert "3 / 3" in response.content.decode()
    assert [str(m) for m in response.context["messages"]] == ["沒有第 99 頁，最後一頁是第 3 頁。"]
    assert response.context["page"].items[-1].identifier == "0250"
