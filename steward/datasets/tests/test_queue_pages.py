"""My work (我的待辦) is paged like every list: 50 rows a page in workflow order, each status
with its total over every page, and a page that does not exist shows the nearest one and says
so."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.lib.pagination import PAGE_ROWS


@pytest.fixture
def reviewer(client: Client, tree: Tree, cast: Cast) -> Client:
    code = tree.unit_a1.agency.agency_code
    # 45 awaiting unit review and 20 edits awaiting approval: 65 rows, two pages.
    Dataset.objects.bulk_create(
        Dataset(
            organisation=tree.unit_a1,
            identifier=f"{code}-{n:06d}",
            title=f"待審資料集{n}",
            status=Status.UNIT_REVIEW if n <= 45 else Status.EDIT_REVIEW,
        )
        for n in range(1, 66)
    )
    client.force_login(cast.reviewer)
    return client


def identifiers(body: str) -> list[str]:
    return re.findall(r"<code>([A-Z0-9]+-\d{6})</code>", body)


def test_my_work_shows_a_page_of_rows_with_each_status_total(reviewer: Client) -> None:
    waiting = Dataset.objects.filter(status__in=[Status.UNIT_REVIEW, Status.EDIT_REVIEW])
    assert waiting.count() == 65
    first = reviewer.get("/datasets/queue/").content.decode()
    assert len(identifiers(first)) == PAGE_ROWS
    assert "共 65 筆" in first and "第 1 頁，共 2 頁" in first
    assert f'{Status.UNIT_REVIEW.label} <span class="muted">(45)</span>' in first
    second = reviewer.get("/datasets/queue/", {"page": 2}).content.decode()
    assert len(identifiers(second)) == 15
    assert set(identifiers(first)).isdisjoint(identifiers(second))  # no row on two pages
    # The group that goes on to the second page still shows its total over every page.
    assert f'{Status.EDIT_REVIEW.label} <span class="muted">(20)</span>' in second


@pytest.mark.parametrize(("asked", "shown"), [("99", 2), ("-1", 1), ("abc", 1)])
def test_a_page_of_my_work_that_does_not_exist_shows_the_nearest_and_says_so(
    reviewer: Client, asked: str, shown: int
) -> None:
    body = reviewer.get("/datasets/queue/", {"page": asked}).content.decode()
    assert f"沒有第 {asked} 頁：顯示第 {shown} 頁。" in body
    assert f"第 {shown} 頁，共 2 頁" in body


def test_my_work_with_nothing_waiting_says_so_without_a_pager(
    client: Client, cast: Cast, tree: Tree
) -> None:
    client.force_login(cast.other_reviewer)
    body = client.get("/datasets/queue/").content.decode()
    assert "目前沒有等待您處理的事項。" in body
    assert "共 0 筆" not in body
