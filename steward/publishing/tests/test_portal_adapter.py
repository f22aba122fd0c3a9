"""The portal adapter against the stand-in portal on 127.0.0.1: writes, refusals, faults."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from steward.lib.http import parse_retry_after
from steward.publishing.portal import PortalClient, PortalError, PortalErrorKind
from steward.publishing.standin import Fault, FaultKind, RefusalRule, StandInPortal
from steward.publishing.tests.bodies import body


@pytest.fixture
def portal() -> Iterator[StandInPortal]:
    with StandInPortal(api_key="secret-key") as running:
        yield running


@pytest.fixture
def client(portal: StandInPortal) -> PortalClient:
    return PortalClient(portal.url, portal.api_key, timeout=0.5, user_agent="steward-tests")


def test_create_publishes_and_returns_the_portals_identifier(
    portal: StandInPortal, client: PortalClient
) -> None:
    receipt = client.create(body())
    assert portal.datasets()["A17010000J-000001"]["title"] == "甲署統計年報"
    assert receipt.portal_identifier == str(portal.nid_of("A17010000J-000001"))
    assert receipt.steps == ("POST 201",)


def test_update_replaces_the_metadata(portal: StandInPortal, client: PortalClient) -> None:
    client.create(body())
    client.update(body(title="甲署統計年報（修正）"))
    assert portal.datasets()["A17010000J-000001"]["title"] == "甲署統計年報（修正）"


def test_update_of_a_dataset_the_portal_lacks_creates_it(
    portal: StandInPortal, client: PortalClient
) -> None:
    receipt = client.update(body())
    assert receipt.steps == ("PUT 404", "POST 201")
    assert "A17010000J-000001" in portal.datasets()


def test_delete_removes_and_deleting_again_is_harmless(
    portal: StandInPortal, client: PortalClient
) -> None:
    client.create(body())
    client.delete("A17010000J-000001")
    assert portal.datasets() == {}
    again = client.delete("A17010000J-000001")
    assert again.status == 404


def test_read_api_returns_per_distribution_fields(
    portal: StandInPortal, client: PortalClient
) -> None:
    receipt = client.create(body())
    record = client.fetch(receipt.portal_identifier)
    assert record is not None
    assert record["identifier"] == "A17010000J-000001"
    resource = record["distribution"][0]
    assert set(resource) >= {
        "resourceDescription",
        "resourceField",
        "qcLevel",
        "resourceFormat",
        "resourceCharacterEncoding",
        "resourceQualityCheckTime",
        "resourceDownloadUrl",
        "resourceAmount",
    }
    assert resource["resourceDownloadUrl"] == "https://example.gov.tw/stats.csv"
    assert client.fetch("999") is None


def test_invalid_body_is_refused_locally_without_any_request(
    portal: StandInPortal, client: PortalClient
) -> None:
    with pytest.raises(PortalError) as caught:
        client.create(body(categoryCode="ZZZ"))
    assert caught.value.kind == PortalErrorKind.INVALID
    assert any(detail.startswith("categoryCode:") for detail in caught.value.details)
    assert portal.requests() == []


def test_the_standin_enforces_the_schema_itself(portal: StandInPortal) -> None:
    raw = json.dumps(body(title="")).encode()
    request = urllib.request.Request(
        portal.url + "/api/v1/rest/dataset",
        data=raw,
        method="POST",
        headers={"Authorization": "secret-key", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=2)
    error = json.loads(caught.value.read())
    assert caught.value.code == 400
    assert error["error"]["details"][0]["path"] == "title"
    assert portal.datasets() == {}


def test_a_refusal_rule_refuses_every_time_until_the_metadata_changes(
    portal: StandInPortal, client: PortalClient
) -> None:
    portal.refuse(RefusalRule(key="downloadURL", contains="http://", message="下載網址須為 HTTPS"))
    plain = body()
    plain["distribution"][0]["downloadURL"] = "http://example.gov.tw/stats.csv"
    for _attempt in range(2):
        with pytest.raises(PortalError) as caught:
            client.create(plain)
        assert caught.value.kind == PortalErrorKind.REJECTED
        assert caught.value.status == 422
        assert caught.value.details == ["downloadURL: 下載網址須為 HTTPS"]
    assert portal.datasets() == {}
    client.create(body())
    assert list(portal.datasets()) == ["A17010000J-000001"]


def test_refusal_rules_can_be_set_over_http(portal: StandInPortal, client: PortalClient) -> None:
    rule = {"key": "title", "contains": "測試", "message": "名稱不可含「測試」", "status": 400}
    request = urllib.request.Request(
        portal.url + "/_standin/rules",
        data=json.dumps(rule).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=2) as answer:
        assert answer.status == 200
    with pytest.raises(PortalError) as caught:
        client.create(body(title="測試資料集"))
    assert (caught.value.status, caught.value.message) == (400, "名稱不可含「測試」")


def test_a_wrong_api_key_is_a_permanent_refusal(portal: StandInPortal) -> None:
    wrong = PortalClient(portal.url, "wrong-key", timeout=0.5)
    with pytest.raises(PortalError) as caught:
        wrong.create(body())
    assert caught.value.kind == PortalErrorKind.REJECTED
    assert caught.value.status == 401
    assert "STEWARD_PORTAL_API_KEY" in str(caught.value)


def test_server_error_is_transient_and_the_retry_succeeds(
    portal: StandInPortal, client: PortalClient
) -> None:
    portal.inject(Fault(FaultKind.SERVER_ERROR))
    with pytest.raises(PortalError) as caught:
        client.create(body())
    assert caught.value.kind == PortalErrorKind.TRANSIENT
    assert caught.value.status == 500
    client.create(body())
    assert list(portal.datasets()) == ["A17010000J-000001"]


def test_lost_response_after_commit_does_not_duplicate_on_retry(
    portal: StandInPortal, client: PortalClient
) -> None:
    portal.inject(Fault(FaultKind.DROP_AFTER_COMMIT, method="POST"))
    with pytest.raises(PortalError) as caught:
        client.create(body())
    assert caught.value.kind == PortalErrorKind.TRANSIENT
    assert "A17010000J-000001" in portal.datasets()  # it committed; we did not hear

    receipt = client.create(body(title="甲署統計年報"), idempotency_key="k1")
    assert receipt.steps == ("POST 409", "PUT 200")
    assert len(portal.datasets()) == 1
    assert receipt.portal_identifier == str(portal.nid_of("A17010000J-000001"))


def test_rate_limit_is_transient_and_carries_retry_after(
    portal: StandInPortal, client: PortalClient
) -> None:
    portal.inject(Fault(FaultKind.RATE_LIMITED, retry_after=30))
    with pytest.raises(PortalError) as caught:
        client.create(body())
    assert caught.value.status == 429
    assert caught.value.retry_after == 30
    assert caught.value.kind == PortalErrorKind.TRANSIENT


def test_timeout_is_transient(portal: StandInPortal, client: PortalClient) -> None:
    portal.inject(Fault(FaultKind.SLOW, delay=1.5))
    with pytest.raises(PortalError) as caught:
        client.create(body())
    assert caught.value.kind == PortalErrorKind.TRANSIENT
    assert "no answer within" in caught.value.message
    assert portal.datasets() == {}


def test_an_unreachable_portal_is_transient() -> None:
    with StandInPortal() as stopped_later:
        url = stopped_later.url
    with pytest.raises(PortalError) as caught:
        PortalClient(url, "k", timeout=0.5).create(body())
    assert caught.value.kind == PortalErrorKind.TRANSIENT


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120
    assert parse_retry_after("Sun, 01 Mar 2026 12:01:00 GMT", now=now) == 60
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None
