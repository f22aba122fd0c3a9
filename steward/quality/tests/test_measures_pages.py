"""The quality measures page and API: scoped, Traditional Chinese first, datasets listed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.quality import services
from steward.quality.crawl.crawler import ResourceRef, link_only_report
from steward.quality.crawl.fetch import FetchResult, State
from steward.quality.measures import Period
from steward.quality.models import CheckKind

pytestmark = pytest.mark.django_db


def record(organisation: Any, outcomes: list[tuple[str, str, State, str]]) -> None:
    """One run of `organisation` through the real services: (dataset, resource, state, reason)."""
    run = services.start_run(
        kind=CheckKind.SELF_CHECK, by=None, organisation=organisation, source="test"
    )
    reports = [
        link_only_report(
            ResourceRef(
                key=f"{identifier}-{resource}",
                url=f"https://data.example.org/{identifier}/{resource}.csv",
                dataset_identifier=identifier,
                dataset_title=f"資料集 {identifier}",
                organisation_id=organisation.pk,
            ),
            FetchResult(url="", state=state, reason=reason),
        )
        for identifier, resource, state, reason in outcomes
    ]
    services.record_results(run, reports)
    services.finish_run(run, totals={}, by=None)


@pytest.fixture
def results(tree: Any) -> None:
    record(
        tree.unit_a1,
        [
            ("A17010000J-000001", "001", State.OK, "ok"),
            ("A17010000J-000001", "002", State.BROKEN, "not_found"),
            ("A17010000J-000002", "001", State.OK, "ok"),
            ("A17010000J-000003", "001", State.UNKNOWN, "timeout"),
        ],
    )
    record(tree.unit_b1, [("A17020000J-000001", "001", State.BROKEN, "gone")])
    Dataset.objects.create(
        organisation=tree.unit_a1,
        identifier="A17010000J-000009",
        title="尚未檢核的資料集",
        status=Status.PUBLISHED,
        issued=timezone.now() - timedelta(days=400),
    )


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_page_shows_the_measures_with_their_datasets_in_chinese(
    tree: Any, cast: Any, results: None
) -> None:
    page = signed_in(cast.liaison).get(reverse("quality:measures"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "甲署綜合規劃組" in text  # the liaison's own unit, the one in scope
    assert "定期更新及連結等資訊正確率" in text and "三星等級資料比率" in text
    assert "錯誤連結數" in text  # the term, as the plan names it
    assert "50.00 %" in text  # (1 - 1/2) * 100: one of two judged datasets has a broken link
    assert "A17010000J-000001-002" in text and "伺服器表示檔案不存在（404）。" in text
    assert "尚未檢核的資料集" in text  # open, not checked: listed
    assert "A17010000J-000003" in text  # only unknown: undetermined, listed
    assert "A17020000J-000001" not in text  # another agency


def test_another_agency_is_not_found(tree: Any, cast: Any, results: None) -> None:
    client = signed_in(cast.liaison)
    page = client.get(reverse("quality:measures"), {"organisation": tree.agency_b.pk})
    assert page.status_code == 404
    answer = client.get(
        "/api/quality/measures", {"organisation_id": tree.agency_b.pk, "period": "2026"}
    )
    assert answer.status_code == 404


def test_the_centre_sees_every_agency_and_the_whole_ministry(
    tree: Any, cast: Any, results: None
) -> None:
    client = signed_in(cast.centre)
    page = client.get(
        reverse("quality:measures"), {"organisation": tree.ministry.pk, "subtree": "1"}
    )
    text = page.content.decode()
    assert "A17020000J-000001" in text and "A17010000J-000001" in text
    assert "33.33 %" in text  # (1 - 2/3) * 100


def test_the_api_gives_counts_values_and_datasets_per_term(
    tree: Any, cast: Any, results: None
) -> None:
    period = Period.quarter_of(timezone.localdate()).label
    answer = signed_in(cast.centre).get(
        "/api/quality/measures", {"organisation_id": tree.agency_a.pk, "period": period}
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    accuracy = next(m for m in body["measures"] if m["measure"] == "accuracy_rate")
    terms = {term["term"]: term for term in accuracy["terms"]}
    assert terms["broken_links"]["count"] == 1
    assert terms["broken_links"]["label"] == "錯誤連結數"
    assert terms["open_datasets"]["count"] == 2
    assert float(accuracy["value"]) == 50.0
    status = {item["identifier"]: item["status"] for item in body["items"]}
    assert status["A17010000J-000009"] == "not_checked"
    assert status["A17010000J-000003"] == "undetermined"
    counted = {item["identifier"]: item["terms"] for item in body["items"]}
    assert "accuracy_rate.broken_links" in counted["A17010000J-000001"]
    assert (body["count"], body["page"], body["pages"]) == (len(body["items"]), 1, 1)


def test_the_api_gives_the_datasets_a_page_at_a_time_with_the_measures_on_every_page(
    tree: Any, cast: Any, results: None
) -> None:
    client = signed_in(cast.centre)
    period = Period.quarter_of(timezone.localdate()).label
    query = {"organisation_id": tree.agency_a.pk, "period": period}
    whole = client.get("/api/quality/measures", query).json()
    count = whole["count"]
    assert count >= 3 and whole["page_size"] == 100  # the documented default
    pages = [
        client.get("/api/quality/measures", {**query, "page_size": 1, "page": n}).json()
        for n in range(1, count + 1)
    ]
    assert [item for page in pages for item in page["items"]] == whole["items"]
    assert all(page["measures"] == whole["measures"] and page["pages"] == count for page in pages)

    past = client.get("/api/quality/measures", {**query, "page_size": 1, "page": count + 1})
    assert past.status_code == 404
    assert f"{count + 1}" in past.json()["detail"] and f"{count}" in past.json()["detail"]
    for bad in ("-1", "0"):
        refused = client.get("/api/quality/measures", {**query, "page": bad})
        assert refused.status_code == 422 and "page" in refused.content.decode()
    capped = client.get("/api/quality/measures", {**query, "page_size": 10_000}).json()
    assert (capped["page_size"], capped["page_size_capped"]) == (500, True)


def test_a_bad_period_is_a_clear_400(tree: Any, cast: Any) -> None:
    answer = signed_in(cast.centre).get(
        "/api/quality/measures", {"organisation_id": tree.agency_a.pk, "period": "2026Q5"}
    )
    assert answer.status_code == 400
    assert "2026Q5" in answer.json()["detail"] and "季" in answer.json()["detail"]
    page = signed_in(cast.centre).get(reverse("quality:measures"), {"period": "someday"})
    assert page.status_code == 200
    assert "someday" in page.content.decode()
