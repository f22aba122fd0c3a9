"""The public pages (catalogue home, search, dataset, agency): no account, only what was published."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from steward.catalogue.models import CatalogueEntry
from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import complete_resource, complete_values
from steward.datasets.workflow import Status
from steward.quality.models import CheckResult, CheckRun

pytestmark = pytest.mark.django_db


def public_pages(tree: Tree, *identifiers: str) -> list[str]:
    pages = ["/catalogue/", f"/catalogue/{tree.ministry.key}/", "/dataset/", "/dataset/?q=甲署"]
    pages += ["/organization/a17010000j", "/organization/a17020000j"]
    pages += [f"/dataset/{identifier.lower()}" for identifier in identifiers]
    return pages


def get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def test_anyone_reads_the_catalogue_home_of_a_ministry(
    client: Client, tree: Tree, catalogue: list[Dataset]
) -> None:
    page = get(client, f"/catalogue/{tree.ministry.key}/")
    assert "勞工保險投保薪資分級表" in page and "乙署預算書" in page
    assert "甲署" in page and "乙局" in page  # its agencies
    assert 'name="q"' in page  # the search box
    assert "Sign out" not in page and "登出" not in page  # a plain header for a visitor
    assert get(client, "/catalogue/no-such-ministry/", 404)


def test_chinese_substring_search_on_the_page(client: Client, catalogue: list[Dataset]) -> None:
    page = get(client, "/dataset/?q=投保薪資")
    assert "勞工保險投保薪資分級表" in page
    assert "職業災害統計" not in page and "乙署預算書" not in page
    assert "找到 1 筆資料集" in page
    mixed = get(client, "/dataset/?q=職業災害+occupational")
    assert "職業災害統計" in mixed and "勞工保險投保薪資分級表" not in mixed


def test_facets_filter_and_count(client: Client, catalogue: list[Dataset]) -> None:
    page = get(client, "/dataset/")
    assert "找到 3 筆資料集" in page
    assert "PDF" in page and "公共資訊" in page and "每1年" in page
    pdf_only = get(client, "/dataset/?res_format=PDF")
    assert "找到 1 筆資料集" in pdf_only and "乙署預算書" in pdf_only
    by_agency = get(client, "/dataset/?organization=a17010000j&groups=e00")
    assert "找到 1 筆資料集" in by_agency and "職業災害統計" in by_agency


def test_the_dataset_page_shows_the_standard_resources_quality_fields_and_history(
    client: Client, catalogue: list[Dataset]
) -> None:
    dataset = catalogue[0]
    resource_id = f"{dataset.identifier}-001"
    run = CheckRun.objects.create(finished_at=timezone.now())
    CheckResult.objects.create(
        run=run, key=resource_id, state="ok", reason="ok", mark="gold", stars=3,
        checked_at=timezone.now(),
    )  # fmt: skip
    page = get(client, f"/dataset/{dataset.identifier.lower()}")
    assert "資料集編號" in page and dataset.identifier in page  # labels of the standard
    assert "政府資料開放授權條款-第1版" in page
    assert "<code>grade</code>" in page and "月投保薪資" in page  # 主要欄位說明 as a table
    assert "金標章" in page and "3 星" in page  # the latest quality check
    assert "尚未檢測" in page  # the second resource has no check yet
    assert "首次發布" in page  # version 1


def test_the_agency_page_lists_its_datasets_and_figures(
    client: Client, catalogue: list[Dataset]
) -> None:
    page = get(client, "/organization/a17010000j")
    assert "勞工保險投保薪資分級表" in page and "職業災害統計" in page
    assert "乙署預算書" not in page
    assert get(client, "/organization/A17010000J")  # the code in either case
    get(client, "/organization/nonexistent", 404)


def test_drafts_pending_edits_comments_and_names_never_appear(
    client: Client, tree: Tree, cast: Cast, catalogue: list[Dataset], walk_to: Any
) -> None:
    for person, name in ((cast.liaison, "聯絡人張秘密"), (cast.reviewer, "審查員陳秘密")):
        person.display_name = name
        person.save()
    published: Dataset = walk_to(Status.PUBLISHED)
    services.propose_edit(
        published,
        by=cast.liaison,
        values=complete_values(title="尚未核准的新名稱"),
        resources=[complete_resource()],
        comment="改名的內部說明",
    )
    services.create_dataset(
        by=cast.liaison,
        organisation=tree.unit_a1,
        values=complete_values(title="草稿中的資料集", description="草稿描述"),
        resources=[complete_resource()],
    )
    assert CatalogueEntry.objects.count() == 4
    identifiers = [d.identifier for d in catalogue] + [published.identifier]
    for url in [*public_pages(tree, *identifiers), "/dataset/?q=尚未", "/dataset/?q=草稿"]:
        page = get(client, url)
        for secret in ("尚未核准", "草稿中的資料集", "改名的內部說明", "張秘密", "陳秘密"):
            assert secret not in page, (url, secret)
    assert "甲署業務統計" in get(client, f"/dataset/{published.identifier.lower()}")
    draft = Dataset.objects.get(title="草稿中的資料集")
    get(client, f"/dataset/{draft.identifier.lower()}", 404)


def test_an_edit_once_published_shows_in_the_history(
    client: Client, cast: Cast, walk_to: Any
) -> None:
    published: Dataset = walk_to(Status.PUBLISHED)
    services.propose_edit(
        published,
        by=cast.liaison,
        values=complete_values(title="甲署業務統計（修正）"),
        resources=[complete_resource()],
        comment="改名",
    )
    published.refresh_from_db()
    services.approve_edit(published, by=cast.reviewer)
    published.refresh_from_db()
    if published.status != Status.PUBLISHED:
        services.mark_published(published, by=cast.centre, portal_identifier="170001")
    page = get(client, f"/dataset/{published.identifier.lower()}")
    assert "甲署業務統計（修正）" in page
    assert "資料集名稱" in page.split("首次發布")[0]  # version 2 lists the changed field


@pytest.mark.parametrize(
    "query",
    [
        '"', "*", "NEAR", "OR", "AND", "' OR 1=1 --", '"投保 NEAR/2 薪資"', "%", "_", "\\",
        "x" * 10_240, "", "   ", "*:*", "\x00",
    ],
    ids=lambda q: repr(q[:12]),
)  # fmt: skip
def test_bad_search_strings_never_fail(
    client: Client, catalogue: list[Dataset], query: str
) -> None:
    response = client.get("/dataset/", {"q": query})
    assert response.status_code in (200, 400)
    if len(query) > 500:
        assert response.status_code == 400
        assert "搜尋字詞太長" in response.content.decode()


@pytest.mark.parametrize("page", ["-1", "0", "999", "abc", "1e9", "99999999999999999999"])
def test_bad_page_numbers_get_a_notice_not_an_error(
    client: Client, catalogue: list[Dataset], page: str
) -> None:
    response = client.get("/dataset/", {"page": page, "size": "1"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'class="notice"' in text
    assert "找到 3 筆資料集" in text


def test_the_page_size_is_capped(client: Client, catalogue: list[Dataset]) -> None:
    text = get(client, "/dataset/?size=100000")
    assert "每頁最多顯示 100 筆資料集" in text


@pytest.mark.parametrize(
    "url",
    [
        "/dataset/a17010000j-000001%00", "/organization/a17010000j%00", "/catalogue/t-%00/",
        "/dataset/?ministry=%00", "/dataset/?organization=%00&res_format=%00",
        "/api/3/action/package_show?id=%00", "/api/3/action/package_search?fq=tags:%00",
        "/catalog.ttl?ministry=%00",
    ],
)  # fmt: skip
def test_a_nul_character_anywhere_is_no_server_error(
    client: Client, catalogue: list[Dataset], url: str
) -> None:
    """PostgreSQL refuses NUL in text: it is removed before any query."""
    assert client.get(url).status_code in (200, 400, 404, 409)


def test_the_dataset_and_agency_pages_lead_to_the_public_feedback_form(
    client: Client, catalogue: list[Dataset]
) -> None:
    dataset = catalogue[0]
    page = client.get(f"/dataset/{dataset.identifier.lower()}").content.decode()
    link = f"/feedback/new/?dataset={dataset.identifier}"
    assert link in page
    form = client.get(link)
    assert form.status_code == 200 and dataset.title in form.content.decode()
    agency = client.get("/organization/a17010000j").content.decode()
    assert "/feedback/new/?agency=A17010000J" in agency
    assert client.get("/feedback/new/?agency=A17010000J").status_code == 200
