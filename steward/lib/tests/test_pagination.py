"""Every API list is paged the same way: a total count, 100 a page by default, at most 500
(capped and said so), a page past the end 404 with the reason, a page below 1 is 422."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.lib.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_rows
from steward.organisations.models import Organisation


def many_datasets(organisation: Organisation, count: int, start: int = 1) -> list[Dataset]:
    code = organisation.agency_code or "A17010000J"
    return Dataset.objects.bulk_create(
        Dataset(organisation=organisation, identifier=f"{code}-{n:06d}", title=f"資料集 {n}")
        for n in range(start, start + count)
    )


@pytest.fixture
def centre(client: Client, tree: Tree, cast: Cast) -> Client:
    many_datasets(tree.agency_a, 620)
    client.force_login(cast.centre)
    return client


def get(client: Client, **params: Any) -> Any:
    return client.get("/api/datasets/", params)


def test_the_dataset_list_has_a_count_a_default_size_and_pages(centre: Client) -> None:
    first = get(centre).json()
    assert (first["count"], first["page"], first["pages"]) == (620, 1, 7)
    assert first["page_size"] == DEFAULT_PAGE_SIZE and first["page_size_capped"] is False
    assert len(first["items"]) == DEFAULT_PAGE_SIZE
    last = get(centre, page=7).json()
    assert last["count"] == 620 and len(last["items"]) == 20
    assert last["items"][-1]["identifier"] == "A17010000J-000620"
    seen = {d["identifier"] for p in range(1, 8) for d in get(centre, page=p).json()["items"]}
    assert len(seen) == 620  # every row once, none twice


def test_a_page_size_over_the_cap_is_capped_and_says_so(centre: Client) -> None:
    big = get(centre, page_size=10_000).json()
    assert big["page_size"] == MAX_PAGE_SIZE and big["page_size_capped"] is True
    assert len(big["items"]) == MAX_PAGE_SIZE and big["pages"] == 2


def test_a_page_past_the_end_is_404_saying_how_many_pages_there_are(centre: Client) -> None:
    answer = get(centre, page=8)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "第 8 頁已超出範圍：每頁 100 筆，共 7 頁。"


@pytest.mark.parametrize("params", [{"page": -1}, {"page": 0}, {"page_size": 0}])
def test_a_page_or_size_below_1_is_422_naming_the_parameter(
    centre: Client, params: dict[str, int]
) -> None:
    answer = get(centre, **params)
    assert answer.status_code == 422
    [issue] = answer.json()["detail"]
    assert issue["loc"][-1] == next(iter(params))
    assert "greater than or equal to 1" in issue["msg"]


def test_page_1_of_an_empty_list_is_an_empty_page(client: Client, cast: Cast) -> None:
    client.force_login(cast.outsider)
    empty = get(client).json()
    assert (empty["count"], empty["pages"], empty["items"]) == (0, 1, [])


PAGED = [
    "/api/datasets/",
    "/api/datasets/meetings",
    "/api/quality/runs",
    "/api/publishing/outbox",
    "/api/feedback/items",
    "/api/organisations/",
    "/api/inventory/items",
    "/api/inventory/targets?year=2026",
    "/api/inventory/returns?year=2026",
]


def get_list(client: Client, url: str, **params: Any) -> Any:
    path, _, query = url.partition("?")
    fixed = dict(pair.split("=") for pair in query.split("&") if pair)
    return client.get(path, {**fixed, **params})


@pytest.mark.parametrize("url", PAGED)
def test_every_api_list_answers_the_same_page_shape(centre: Client, url: str) -> None:
    answer = get_list(centre, url, page_size=1000)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"count", "page", "pages", "page_size", "page_size_capped", "items"}
    assert body["page_size_capped"] is True and body["page_size"] == MAX_PAGE_SIZE
    assert len(body["items"]) <= MAX_PAGE_SIZE
    past = get_list(centre, url, page=body["pages"] + 1, page_size=1000)
    assert past.status_code == 404 and "頁" in past.json()["detail"]


@pytest.mark.parametrize("url", PAGED)
@pytest.mark.parametrize("page", [-1, 0])
def test_every_api_list_refuses_a_page_below_1_naming_it(
    centre: Client, url: str, page: int
) -> None:
    answer = get_list(centre, url, page=page)
    assert answer.status_code == 422
    assert [issue["loc"][-1] for issue in answer.json()["detail"]] == ["page"]


def test_a_dataset_history_is_paged_oldest_first(centre: Client, cast: Cast, tree: Tree) -> None:
    from steward.audit.services import record

    dataset = Dataset.objects.filter(organisation=tree.agency_a).order_by("pk").first()
    assert dataset is not None
    for n in range(120):
        record(actor=cast.liaison, action="dataset.edit", subject=dataset, comment=f"第{n}次")
    url = f"/api/datasets/{dataset.pk}/history"
    first = centre.get(url).json()
    assert (first["count"], first["pages"], len(first["items"])) == (120, 2, DEFAULT_PAGE_SIZE)
    assert first["items"][0]["comment"] == "第0次"
    last = centre.get(url, {"page": 2}).json()
    assert [e["comment"] for e in last["items"]][-1] == "第119次"
    assert centre.get(url, {"page": 3}).status_code == 404


#: GET operations answering a bare JSON array, and why each is bounded whatever the size of
#: the national catalogue. Any other list must be paged (the test below reads the schema).
BOUNDED_LISTS = {
    "/api/calendars/years": "one row per year that has an office calendar file",
    "/api/calendars/years/{year}/days": "the days of one year: at most 366",
    "/api/calendars/years/{year}/changes": "the days one year's revisions changed: at most 366 each",
    "/api/plans/": "one action plan per ministry",
    "/api/plans/{key}/compare": "the sections of one plan version",
    "/api/datasets/{dataset_id}/resources": "the resources of one dataset",
}


def test_every_api_list_is_paged_or_bounded_by_its_nature(client: Client, db: None) -> None:
    schema = client.get("/api/openapi.json").json()
    bare_lists = set()
    for path, operations in schema["paths"].items():
        get_op = operations.get("get")
        if get_op is None:
            continue
        ok = get_op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if ok.get("schema", {}).get("type") == "array":
            bare_lists.add(path)
    assert bare_lists == set(BOUNDED_LISTS)


def test_the_fast_dataset_page_says_exactly_what_its_schema_says(
    centre: Client, tree: Tree
) -> None:
    import datetime

    from steward.datasets.api import DatasetPageOut

    Dataset.objects.filter(identifier__endswith="-000102").update(
        scheduled_publish_on=datetime.date(2026, 12, 31),
        gender_statistics=True,
        returned_reasons="欄位說明不完整",
        status="unit_review",
    )
    answer = get(centre, page=2, page_size=3).json()
    # what django-ninja writes when it checks every row through the schema
    assert DatasetPageOut.model_validate(answer).model_dump(mode="json") == answer
    assert [item["identifier"][-6:] for item in answer["items"]] == ["000004", "000005", "000006"]
    deep = get(centre, page=34, page_size=3).json()
    [changed] = [item for item in deep["items"] if item["identifier"].endswith("-000102")]
    assert changed["scheduled_publish_on"] == "2026-12-31"
    assert changed["gender_statistics"] is True
    assert changed["status_label"] == str(Dataset(status="unit_review").status_label)
    assert changed["organisation_id"] == tree.agency_a.pk


@pytest.mark.parametrize("asked", ["1", "3", "99", "-1", "x"])
def test_a_page_read_by_keys_first_is_the_page_read_whole(
    rf: Any, tree: Tree, db: None, asked: str
) -> None:
    many_datasets(tree.agency_a, 130)
    every_third = list(Dataset.objects.order_by("pk").values_list("pk", flat=True))[::3]
    Dataset.objects.filter(pk__in=every_third).update(title="先")
    rows = Dataset.objects.select_related("organisation").order_by("title", "-pk")
    request = rf.get("/", {"page": asked})

    whole = page_rows(rows, request)
    by_keys = page_rows(rows, request, keys_first=True)

    assert [d.pk for d in by_keys] == [d.pk for d in whole] != []
    assert by_keys.number == whole.number and by_keys.paginator.count == 130
    assert getattr(by_keys, "asked_for") == getattr(whole, "asked_for")  # noqa: B009
    assert all(d.organisation.name for d in by_keys)  # read with the page's related rows
