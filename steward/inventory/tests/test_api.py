"""The inventory's JSON API: the same operations and the same scoping as the pages."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client

from steward.conftest import Cast, Tree
from steward.inventory.models import AgencyInventory, InventoryItem, InventoryStatus
from steward.inventory.tests.files import csv_bytes, xlsx
from steward.inventory.tests.helpers import NEW, open_item, plan_with_targets
from steward.organisations.models import Person

pytestmark = pytest.mark.usefixtures("english")
API = "/api/inventory"


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(API + path, json.dumps(body or {}), content_type="application/json")


def test_the_openapi_schema_publishes_the_inventory_operations(tree: Tree, cast: Cast) -> None:
    schema = client_for(cast.liaison).get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for path in ["/items", "/items/{item_id}", "/import", "/export", "/targets", "/returns",
                 "/returns/{agency_id}/{year}/submit", "/returns/{agency_id}/{year}/return",
                 "/compilations/{ministry_id}/{year}/compile",
                 "/compilations/{compilation_id}/approve"]:  # fmt: skip
        assert API + path in paths


def test_a_liaison_of_agency_b_never_sees_agency_as_items_in_the_api(
    tree: Tree, cast: Cast
) -> None:
    a = open_item(tree.unit_a1, "A-1")
    open_item(tree.unit_b1, "B-1")
    client = client_for(cast.other_liaison)
    assert [i["identifier"] for i in client.get(API + "/items").json()["items"]] == ["B-1"]
    assert client.get(f"{API}/items/{a.pk}").status_code == 404
    response = client.patch(f"{API}/items/{a.pk}", json.dumps({"name": "改"}),
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 404
    a.refresh_from_db()
    assert a.name == "資料A-1"
    assert client.get(API + "/items", {"agency_id": tree.agency_a.pk}).status_code == 404


def test_the_list_filters_like_the_page(tree: Tree, cast: Cast) -> None:
    open_item(tree.unit_a1, "A-1", gender_statistics=True)
    open_item(tree.unit_a1, "A-2", year=2027)
    client = client_for(cast.centre)
    assert [
        i["identifier"] for i in client.get(API + "/items", {"year": 2027}).json()["items"]
    ] == ["A-2"]
    got = client.get(API + "/items", {"gender_statistics": "true"}).json()
    assert [i["identifier"] for i in got["items"]] == ["A-1"] and got["count"] == 1


def test_items_are_created_and_updated_through_the_api(tree: Tree, cast: Cast) -> None:
    client = client_for(cast.liaison)
    response = post(client, "/items", {"organisation_id": tree.unit_a1.pk, "name": "新資料",
                                       "classification": "open", "planned_year": 2026,
                                       "planned_half": "H2", "status": "planned"})  # fmt: skip
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    response = client.patch(f"{API}/items/{item_id}", json.dumps({"status": "opened",
                            "dataset_identifier": "A17010000J-000001"}),
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["status"] == "opened"
    bad = client.patch(f"{API}/items/{item_id}", json.dumps({"classification": "not_provided"}),
                       content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "restriction_reason" in bad.json()["fields"]
    assert InventoryItem.objects.get().classification == "open"


def test_an_auditor_cannot_create_items(tree: Tree, cast: Cast) -> None:
    response = post(client_for(cast.auditor), "/items",
                    {"organisation_id": tree.unit_a1.pk, "name": "x", "classification": "open",
                     "planned_year": 2026, "planned_half": "H1"})  # fmt: skip
    assert response.status_code == 403 and not InventoryItem.objects.exists()


def test_import_through_the_api_answers_every_problem_or_the_count(tree: Tree, cast: Cast) -> None:
    client = client_for(cast.liaison)
    bad = io.BytesIO(xlsx([["資料名稱", "開放類別"], ["好", "不予提供"]]))
    bad.name = "bad.xlsx"
    response = client.post(API + "/import", {"organisation_id": tree.unit_a1.pk, "file": bad})
    assert response.status_code == 400
    assert response.json()["problems"] == [{"file": "bad.xlsx", "sheet": "盤點表", "row": 2,
                                            "column": "不開放理由",
                                            "reason": "非開放資料須選擇不開放理由。"}]  # fmt: skip
    good = io.BytesIO(csv_bytes([["資料名稱", "開放類別", "開放期程"], ["碁", "開放", "115/1"]],
                                "cp950"))  # fmt: skip
    good.name = "good.csv"
    response = client.post(API + "/import", {"organisation_id": tree.unit_a1.pk, "file": good})
    assert response.status_code == 201 and response.json()["created"] == 1


def test_export_through_the_api(tree: Tree, cast: Cast) -> None:
    open_item(tree.unit_a1, "A-1", name="碁盤")
    client = client_for(cast.liaison)
    response = client.get(API + "/export", {"format": "csv-big5"})
    assert response.status_code == 200 and "碁盤".encode("cp950") in response.content
    assert client.get(API + "/export", {"format": "pdf"}).status_code == 400


def test_the_workflow_through_the_api_by_the_right_roles_only(tree: Tree, cast: Cast) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, 2026, NEW, 1)])
    submit = f"/returns/{tree.agency_a.pk}/2026/submit"
    assert post(client_for(cast.other_liaison), submit).status_code == 404
    assert post(client_for(cast.centre), submit).status_code == 403
    refused = post(client_for(cast.liaison), submit)
    assert refused.status_code == 400 and "shortfall_reason" in refused.json()["fields"]
    assert not AgencyInventory.objects.exclude(status=InventoryStatus.DRAFT).exists()
    ok = post(client_for(cast.liaison), submit, {"shortfall_reason": "人力不足"})
    assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    targets = client_for(cast.liaison).get(API + "/targets", {"year": 2026}).json()["items"]
    assert targets[0]["target"] == 1 and targets[0]["shortfall_reason"] == "人力不足"
    compile_path = f"/compilations/{tree.ministry.pk}/2026/compile"
    assert post(client_for(cast.cio), compile_path).status_code == 403
    compiled = post(client_for(cast.centre), compile_path)
    assert compiled.status_code == 200
    approve = f"/compilations/{compiled.json()['id']}/approve"
    assert post(client_for(cast.centre), approve).status_code == 403
    assert post(client_for(cast.liaison), approve).status_code == 404
    assert post(client_for(cast.cio), approve, {"comment": "同意"}).status_code == 200
    assert post(client_for(cast.cio), approve).status_code == 400  # twice
    returns = client_for(cast.liaison).get(API + "/returns", {"year": 2026}).json()["items"]
    assert [(r["agency"], r["status"]) for r in returns] == [("甲署", "approved")]
