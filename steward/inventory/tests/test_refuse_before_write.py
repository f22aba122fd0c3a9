"""Refuse before you write: a refused step on the yearly return leaves every table as it was.

The bug this guards against: submit and return created the year's AgencyInventory before
checking who asked, so an auditor's five 403 answers left five draft returns (3000–3004), and
fuzzing left returns for years up to 2.3e17.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, Tree, changed_tables, table_snapshot
from steward.inventory.models import AgencyInventory, InventoryStatus
from steward.inventory.services import TransitionRefused, inventory_for, return_inventory
from steward.organisations.models import Person

pytestmark = pytest.mark.usefixtures("english")
API = "/api/inventory"


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def post(client: Client, path: str, body: dict[str, str]) -> int:
    response = client.post(API + path, json.dumps(body), content_type="application/json")
    return response.status_code


def test_an_auditors_refused_submissions_and_returns_leave_no_draft_returns(
    tree: Tree, cast: Cast
) -> None:
    client = client_for(cast.auditor)
    before = table_snapshot()
    for year in range(3000, 3005):
        path = f"/returns/{tree.agency_a.pk}/{year}"
        assert post(client, path + "/submit", {"shortfall_reason": "x"}) in (400, 403, 422)
        assert post(client, path + "/return", {"reason": "x"}) in (400, 403, 422)
    for year in (2026, 2027):
        path = f"/returns/{tree.agency_a.pk}/{year}"
        assert post(client, path + "/submit", {"shortfall_reason": "x"}) == 403
        assert post(client, path + "/return", {"reason": "x"}) == 403
    assert changed_tables(before, table_snapshot()) == []


def test_a_year_out_of_range_is_refused_by_name_and_stores_nothing(tree: Tree, cast: Cast) -> None:
    client = client_for(cast.liaison)
    before = table_snapshot()
    for year in (1999, 2101, 3000, 230_000_000_000_000_000):
        response = client.post(
            f"{API}/returns/{tree.agency_a.pk}/{year}/submit",
            json.dumps({"shortfall_reason": ""}),
            content_type="application/json",
        )
        assert response.status_code in (400, 422), (year, response.content)
        if response.status_code == 400:
            assert "2000" in json.dumps(response.json(), ensure_ascii=False)
    assert changed_tables(before, table_snapshot()) == []


def test_the_pages_refuse_before_they_write_too(tree: Tree, cast: Cast) -> None:
    clients = [client_for(who) for who in (cast.auditor, cast.head, cast.centre)]
    liaison = client_for(cast.liaison)  # signing in stamps last_login: before the snapshot
    before = table_snapshot()
    for client in clients:
        for name in ("inventory:submit", "inventory:return"):
            client.post(reverse(name, args=[tree.agency_a.pk, 2026]), {"reason": "x"})
    liaison.post(reverse("inventory:submit", args=[tree.agency_a.pk, 3000]))
    assert changed_tables(before, table_snapshot()) == []


def test_asking_for_a_return_stores_nothing_and_a_draft_cannot_be_returned(
    tree: Tree, cast: Cast
) -> None:
    before = table_snapshot()
    draft = inventory_for(tree.agency_a, 2026)
    assert draft.pk is None and draft.status == InventoryStatus.DRAFT
    with pytest.raises(TransitionRefused):
        return_inventory(draft, by=cast.cio, reason="尚未提報")
    assert changed_tables(before, table_snapshot()) == []


def test_the_first_allowed_submission_stores_the_return(tree: Tree, cast: Cast) -> None:
    response = client_for(cast.liaison).post(
        f"{API}/returns/{tree.agency_a.pk}/2026/submit",
        json.dumps({"shortfall_reason": ""}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    stored = AgencyInventory.objects.get()
    assert (stored.year, stored.status) == (2026, InventoryStatus.SUBMITTED)
