"""The CKAN Action API: CKAN's envelope and names, read by the real `ckanapi` client."""

from __future__ import annotations

import json
from typing import Any

import ckanapi
import pytest
from django.test import Client

from steward.catalogue.models import CatalogueEntry
from steward.datasets.models import Dataset

pytestmark = pytest.mark.django_db


def call(client: Client, name: str, **params: Any) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/api/3/action/{name}", params)
    return response.status_code, response.json()


def post(client: Client, name: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post(f"/api/action/{name}", json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_anyone_reads_a_package_in_ckans_envelope(client: Client, catalogue: list[Dataset]) -> None:
    dataset = catalogue[0]
    status, answer = call(client, "package_show", id=dataset.identifier)
    assert status == 200 and answer["success"] is True
    package = answer["result"]
    assert package["name"] == dataset.identifier.lower()
    assert package["title"] == "勞工保險投保薪資分級表"
    assert package["notes"] == "勞工保險投保薪資分級表及其歷年修正。"
    assert package["organization"]["title"] == "甲署"  # the agency, not its unit
    assert package["groups"][0]["name"] == "i00" and package["groups"][0]["title"] == "公共資訊"
    assert [t["name"] for t in package["tags"]] == ["勞保", "投保薪資"]
    assert [r["format"] for r in package["resources"]] == ["CSV", "JSON"]
    assert package["resources"][0]["url"] == "https://a.example.gov.tw/stats.csv"
    assert package["resources"][0]["characterSetCode"] == "UTF-8"
    extras = {item["key"]: item["value"] for item in package["extras"]}
    assert extras["fieldDescription"] == "grade(投保薪資等級)、amount(月投保薪資)"
    assert extras["accrualPeriodicity"] == "每1年"
    assert package["license_id"] == "OGDL-Taiwan-1.0"


def test_a_draft_is_not_in_the_api(client: Client, draft: Dataset) -> None:
    status, answer = call(client, "package_show", id=draft.identifier)
    assert status == 404 and answer["success"] is False
    assert answer["error"]["__type"] == "Not Found Error"
    assert call(client, "package_list")[1]["result"] == []


def test_chinese_substring_search_without_spaces(client: Client, catalogue: list[Dataset]) -> None:
    _status, answer = call(client, "package_search", q="投保薪資")
    assert [p["identifier"] for p in answer["result"]["results"]] == [catalogue[0].identifier]
    # mixed Chinese and English, case-insensitive, every term must match
    _status, answer = call(client, "package_search", q="職業災害 occupational")
    assert [p["identifier"] for p in answer["result"]["results"]] == [catalogue[1].identifier]
    _status, answer = call(client, "package_search", q="預算 OR 職災")
    assert answer["result"]["count"] == 2
    # 主要欄位說明 is searched too
    assert call(client, "package_search", q="月投保薪資")[1]["result"]["count"] == 1


def test_a_title_match_ranks_first(client: Client, catalogue: list[Dataset]) -> None:
    from steward.catalogue.tests.conftest import publish_record

    publish_record(catalogue[0].organisation, 9, title="其他", description="提到統計一次")
    results = call(client, "package_search", q="統計")[1]["result"]["results"]
    assert results[0]["title"].startswith("職業災害統計")


def test_filters_and_facets(client: Client, catalogue: list[Dataset]) -> None:
    status, answer = call(
        client,
        "package_search",
        fq="res_format:PDF",
        **{"facet.field": json.dumps(["organization", "res_format", "groups", "tags"])},
    )
    assert status == 200
    assert [p["identifier"] for p in answer["result"]["results"]] == [catalogue[2].identifier]
    _status, everything = call(
        client, "package_search", **{"facet.field": '["organization", "res_format", "groups"]'}
    )
    facets = everything["result"]["facets"]
    assert facets["organization"] == {"a17010000j": 2, "a17020000j": 1}
    assert facets["res_format"] == {"CSV": 2, "JSON": 1, "PDF": 1}
    assert facets["groups"] == {"i00": 2, "e00": 1}
    items = everything["result"]["search_facets"]["organization"]["items"]
    assert {"name": "a17010000j", "display_name": "甲署", "count": 2} in items
    _status, by_agency = call(client, "package_search", fq='organization:"A17020000J" tags:預算')
    assert by_agency["result"]["count"] == 1


def test_paging_and_sorting(client: Client, catalogue: list[Dataset]) -> None:
    _status, first = call(client, "package_search", rows=2, start=0, sort="name asc")
    _status, rest = call(client, "package_search", rows=2, start=2, sort="name asc")
    names = [p["name"] for p in first["result"]["results"] + rest["result"]["results"]]
    assert names == sorted(p.identifier.lower() for p in catalogue)
    assert first["result"]["count"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rows": "-1"}, "rows"),
        ({"start": "-5"}, "start"),
        ({"rows": "many"}, "rows"),
        ({"fq": "secret_field:x"}, "fq"),
        ({"fq": "just words"}, "fq"),
        ({"sort": "drop table desc"}, "sort"),
        ({"facet.field": '["password"]'}, "facet.field"),
        ({"q": "薪" * 10_000}, "q"),
    ],
)
def test_bad_parameters_get_ckans_validation_error(
    client: Client, catalogue: list[Dataset], params: dict[str, str], field: str
) -> None:
    status, answer = call(client, "package_search", **params)
    assert status == 409 and answer["success"] is False
    assert answer["error"]["__type"] == "Validation Error"
    assert field in answer["error"]


@pytest.mark.parametrize(
    "q", ['"', '"unclosed', "*", "* OR *", "NEAR(a b)", "a OR", "' OR 1=1 --", "%_", "\\", ""]
)
def test_query_syntax_is_only_text(client: Client, catalogue: list[Dataset], q: str) -> None:
    status, answer = call(client, "package_search", q=q)
    assert status == 200, answer
    assert answer["success"] is True


def test_rows_over_the_cap_are_capped_and_said(client: Client, catalogue: list[Dataset]) -> None:
    _status, answer = call(client, "package_search", rows=100000)
    assert answer["result"]["rows_capped_to"] == 1000
    assert answer["result"]["count"] == 3


def test_unknown_action_and_bad_json(client: Client) -> None:
    status, answer = call(client, "package_create")
    assert status == 400 and "Action name not known" in answer["error"]["message"]
    response = client.post("/api/3/action/package_list", "{", content_type="application/json")
    assert response.status_code == 400


def test_lists_of_organisations_groups_tags_and_resources(
    client: Client, catalogue: list[Dataset]
) -> None:
    assert call(client, "organization_list")[1]["result"] == ["a17010000j", "a17020000j"]
    full = post(client, "organization_list", {"all_fields": True})[1]["result"]
    assert [(o["title"], o["package_count"]) for o in full] == [("甲署", 2), ("乙局", 1)]
    shown = call(client, "organization_show", id="a17020000j", include_datasets="true")[1]
    assert [p["title"] for p in shown["result"]["packages"]] == ["乙署預算書"]
    assert call(client, "group_list")[1]["result"] == ["e00", "i00"]
    assert "投保薪資" in call(client, "tag_list")[1]["result"]
    resource_id = catalogue[0].resources.order_by("position").last().resourceID  # type: ignore[union-attr]
    shown_resource = call(client, "resource_show", id=resource_id)[1]["result"]
    assert shown_resource["format"] == "JSON"
    assert call(client, "resource_show", id="A17010000J-000001-999")[0] == 404
    assert call(client, "status_show")[1]["result"]["ckan_version"].startswith("2.")
    packages = call(client, "current_package_list_with_resources")[1]["result"]
    assert len(packages) == 3 and all(p["resources"] for p in packages)


@pytest.mark.django_db(transaction=True)
def test_the_real_ckanapi_client_reads_every_dataset_back(
    live_server: Any, catalogue: list[Dataset]
) -> None:
    # (closed at the end, so no kept-alive connection outlives the live server)
    with ckanapi.RemoteCKAN(live_server.url, user_agent="steward-tests") as remote:
        names = remote.action.package_list()
        assert sorted(names) == sorted(d.identifier.lower() for d in catalogue)
        for dataset in Dataset.objects.filter(pk__in=[d.pk for d in catalogue]):
            package = remote.action.package_show(id=dataset.identifier.lower())
            assert package["title"] == dataset.title
            assert package["notes"] == dataset.description
            assert package["license_title"] == dataset.license
            assert [t["name"] for t in package["tags"]] == dataset.keyword
            resources = list(dataset.resources.order_by("position"))
            assert [r["id"] for r in package["resources"]] == [r.resourceID for r in resources]
            assert [r["url"] for r in package["resources"]] == [r.downloadURL for r in resources]
            assert [r["format"] for r in package["resources"]] == [r.format for r in resources]
            extras = {item["key"]: item["value"] for item in package["extras"]}
            assert extras["fieldDescription"] == dataset.fieldDescription
            assert extras["publisherContactPhone"] == dataset.publisherContactPhone
        found = remote.action.package_search(q="投保薪資", rows=5)
        assert found["count"] == 1
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id="no-such-dataset")
        with pytest.raises(ckanapi.ValidationError):
            remote.action.package_search(fq="bogus:1")
        assert CatalogueEntry.objects.count() == 3
