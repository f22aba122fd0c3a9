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
from steward.inventory.tests.helpers import NEW, open_item, plan_with_targets
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
    assert with_two <= 25
    add_agencies(tree, 2, 6)
    with django_assert_max_num_queries(with_two):
        assert centre_client.get(url).status_code == 200
