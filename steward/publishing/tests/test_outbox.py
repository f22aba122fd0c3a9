"""The publishing outbox: enqueue, coalesce, deliver through the stand-in, back off, give up."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from steward.audit.services import history
from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.publishing import services
from steward.publishing.models import Operation, OutboxStatus, PublishingOutboxEntry
from steward.publishing.portal import PortalClient
from steward.publishing.services import PublishingError, backoff, deliver_due, enqueue
from steward.publishing.standin import Fault, FaultKind, StandInPortal
from steward.publishing.tests.helpers import make_dataset

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 0))


@pytest.fixture
def portal() -> Iterator[StandInPortal]:
    with StandInPortal(api_key="secret-key") as running:
        yield running


@pytest.fixture
def client(portal: StandInPortal) -> PortalClient:
    return PortalClient(portal.url, portal.api_key, timeout=0.5)


@pytest.fixture
def deliver(client: PortalClient) -> Callable[..., services.DeliveryReport]:
    def run(at: datetime.datetime = NOW, **kwargs: Any) -> services.DeliveryReport:
        return deliver_due(limit=10, now=at, client=client, **kwargs)

    return run


@pytest.fixture
def dataset(tree: Tree) -> Dataset:
    return make_dataset(tree.unit_a1, on=datetime.date(2026, 3, 2))


def test_a_scheduled_dataset_is_published_and_the_portal_identifier_recorded(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    report = deliver()
    assert report.succeeded == [entry.pk]
    entry.refresh_from_db()
    dataset.refresh_from_db()
    nid = str(portal.nid_of(dataset.identifier))
    assert entry.status == OutboxStatus.SUCCEEDED
    assert entry.portal_identifier == nid
    assert dataset.status == Status.PUBLISHED
    assert dataset.portal_identifier == nid
    assert dataset.versions.count() == 1
    assert (
        portal.datasets()[dataset.identifier]["description"] == "甲署歷年業務統計。\n含第二行說明。"
    )
    assert [event.action for event in history(entry)] == [
        "publishing.enqueue",
        "publishing.deliver",
    ]


def test_the_scheduled_day_enqueues_by_itself(
    portal: StandInPortal, tree: Tree, deliver: Any
) -> None:
    today = make_dataset(tree.unit_a1, serial=1, on=datetime.date(2026, 3, 2))
    later = make_dataset(tree.unit_a1, serial=2, on=datetime.date(2026, 3, 9))
    report = deliver()
    assert len(report.queued) == 1
    assert list(portal.datasets()) == [today.identifier]
    assert not PublishingOutboxEntry.objects.filter(dataset=later).exists()
    # Running again queues nothing new: the first is published, the second not yet due.
    assert deliver().queued == []


def test_an_edit_of_a_published_dataset_is_sent_as_an_update(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    services.request_publication(dataset, by=cast.centre, not_before=NOW)
    deliver()
    dataset.refresh_from_db()
    Dataset.objects.filter(pk=dataset.pk).update(title="甲署統計年報（修正）")
    Dataset.objects.filter(pk=dataset.pk).update(status=Status.SCHEDULED)
    dataset.refresh_from_db()
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    assert entry.operation == Operation.UPDATE
    deliver()
    assert portal.datasets()[dataset.identifier]["title"] == "甲署統計年報（修正）"
    assert len(portal.datasets()) == 1
    dataset.refresh_from_db()
    assert dataset.versions.count() == 2


def test_a_withdrawn_dataset_is_removed_from_the_portal(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    services.request_publication(dataset, by=cast.centre, not_before=NOW)
    deliver()
    Dataset.objects.filter(pk=dataset.pk).update(status=Status.WITHDRAWN)
    dataset.refresh_from_db()
    entry = services.request_removal(dataset, by=cast.centre)
    deliver(at=timezone.now())
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.SUCCEEDED
    assert portal.datasets() == {}


def test_metadata_breaking_the_standard_is_not_queued(
    tree: Tree, cast: Cast, portal: StandInPortal
) -> None:
    broken = make_dataset(tree.unit_a1, categoryCode="", title="")
    with pytest.raises(PublishingError) as caught:
        services.request_publication(broken, by=cast.centre)
    assert any(problem.startswith("title:") for problem in caught.value.problems)
    assert not PublishingOutboxEntry.objects.exists()


def test_an_invalid_payload_fails_without_reaching_the_portal(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    PublishingOutboxEntry.objects.filter(pk=entry.pk).update(
        payload={**entry.payload, "cost": "看情形"}
    )
    report = deliver()
    entry.refresh_from_db()
    assert report.failed == [entry.pk]
    assert entry.status == OutboxStatus.FAILED
    assert "cost:" in entry.last_error
    assert portal.requests() == []


def test_a_portal_refusal_fails_at_once_and_tells_the_centre(
    portal: StandInPortal,
    dataset: Dataset,
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    wrong_key = PortalClient(portal.url, "not-the-key", timeout=0.5)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due(limit=10, now=NOW, client=wrong_key)
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.FAILED
    assert entry.last_status_code == 401
    assert "STEWARD_PORTAL_API_KEY" in entry.last_error
    assert entry.attempts == 1
    dataset.refresh_from_db()
    assert dataset.status == Status.SCHEDULED
    assert any(dataset.identifier in message.subject for message in mail.outbox)
    assert cast.centre.email in {address for message in mail.outbox for address in message.to}
    # A failed entry is not retried by the worker.
    assert (
        deliver_due(limit=10, now=NOW + datetime.timedelta(days=1), client=wrong_key).attempted == 0
    )


def test_a_server_error_is_retried_after_a_back_off(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    portal.inject(Fault(FaultKind.SERVER_ERROR))
    report = deliver()
    entry.refresh_from_db()
    assert report.retrying == [entry.pk]
    assert entry.status == OutboxStatus.PENDING
    assert entry.attempts == 1
    assert entry.last_status_code == 500
    assert "Attempt 1" in entry.last_error
    assert entry.next_attempt_at == NOW + datetime.timedelta(seconds=60)
    assert deliver(at=NOW + datetime.timedelta(seconds=59)).attempted == 0
    assert deliver(at=NOW + datetime.timedelta(seconds=60)).succeeded == [entry.pk]
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.SUCCEEDED
    assert entry.last_error == ""


def test_a_lost_answer_after_the_portal_committed_does_not_duplicate(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    portal.inject(Fault(FaultKind.DROP_AFTER_COMMIT, method="POST"))
    assert deliver().retrying == [entry.pk]
    assert deliver(at=NOW + datetime.timedelta(minutes=5)).succeeded == [entry.pk]
    assert len(portal.datasets()) == 1
    writes = [(r.method, r.status) for r in portal.requests()]
    assert writes == [("POST", None), ("POST", 409), ("PUT", 200)]
    keys = {r.idempotency_key for r in portal.requests()}
    assert keys == {entry.idempotency_key}
    entry.refresh_from_db()
    assert entry.portal_identifier == str(portal.nid_of(dataset.identifier))


def test_rate_limiting_waits_at_least_as_long_as_retry_after(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    portal.inject(Fault(FaultKind.RATE_LIMITED, retry_after=900))
    deliver()
    entry.refresh_from_db()
    assert entry.last_status_code == 429
    assert entry.next_attempt_at == NOW + datetime.timedelta(seconds=900)


def test_a_timeout_is_retried(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    portal.inject(Fault(FaultKind.SLOW, delay=2.0))
    assert deliver().retrying == [entry.pk]
    entry.refresh_from_db()
    assert "no answer within" in entry.last_error
    assert deliver(at=NOW + datetime.timedelta(minutes=2)).succeeded == [entry.pk]


def test_repeated_failures_end_dead_and_visible(
    portal: StandInPortal,
    dataset: Dataset,
    cast: Cast,
    deliver: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.STEWARD_PUBLISH_MAX_ATTEMPTS = 3
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    portal.inject(Fault(FaultKind.SERVER_ERROR, times=10))
    at = NOW
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            deliver(at=at)
            at += datetime.timedelta(hours=1)
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.DEAD
    assert entry.attempts == 3
    assert "Attempt 3" in entry.last_error
    assert len(mail.outbox) >= 1
    assert deliver(at=at + datetime.timedelta(days=1)).attempted == 0


def test_back_off_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30).total_seconds() == 6 * 3600
    assert backoff(1, retry_after=300).total_seconds() == 300


def test_pending_requests_for_one_dataset_coalesce(dataset: Dataset, cast: Cast) -> None:
    first = services.request_publication(dataset, by=cast.centre)
    Dataset.objects.filter(pk=dataset.pk).update(title="新名稱")
    dataset.refresh_from_db()
    second = services.request_publication(dataset, by=cast.centre)
    assert second.pk == first.pk
    assert PublishingOutboxEntry.objects.count() == 1
    assert second.payload["title"] == "新名稱"
    assert second.idempotency_key != first.idempotency_key
    assert [e.action for e in history(second)] == ["publishing.enqueue", "publishing.coalesce"]


def test_a_request_while_one_is_in_flight_waits_for_it(
    dataset: Dataset, cast: Cast, client: PortalClient
) -> None:
    first = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    assert services.claim_due(limit=5, now=NOW) == [(first.pk, 1)]
    second = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    assert second.pk != first.pk
    # The second is not claimed while the first is still being sent.
    assert services.claim_due(limit=5, now=NOW) == []


def test_a_claim_is_taken_once(dataset: Dataset, cast: Cast) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    assert services.claim_due(limit=5, now=NOW) == [(entry.pk, 1)]
    assert services.claim_due(limit=5, now=NOW) == []


def test_a_claim_whose_worker_died_is_taken_again_after_the_lease(
    portal: StandInPortal, dataset: Dataset, cast: Cast, client: PortalClient
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    services.claim_due(limit=5, now=NOW)  # this worker "dies" here
    later = NOW + services.lease() + datetime.timedelta(seconds=1)
    assert services.claim_due(limit=5, now=later) == [(entry.pk, 2)]
    # The dead worker's late answer is ignored: it no longer holds attempt 1.
    assert services.deliver_one(entry.pk, attempt=1, client=client, now=later) == "succeeded"
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.IN_FLIGHT


def test_the_centre_retries_a_failed_entry_with_current_metadata(
    portal: StandInPortal, dataset: Dataset, cast: Cast, deliver: Any
) -> None:
    entry = services.request_publication(dataset, by=cast.centre, not_before=NOW)
    deliver_due(limit=10, now=NOW, client=PortalClient(portal.url, "bad", timeout=0.5))
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.FAILED
    with pytest.raises(PermissionDenied):
        services.retry(entry, by=cast.liaison)
    retried = services.retry(entry, by=cast.centre)
    assert retried.pk == entry.pk
    assert retried.status == OutboxStatus.PENDING
    assert retried.attempts == 0
    deliver(at=timezone.now())
    retried.refresh_from_db()
    assert retried.status == OutboxStatus.SUCCEEDED


def test_only_failed_or_dead_entries_can_be_retried(dataset: Dataset, cast: Cast) -> None:
    entry = services.request_publication(dataset, by=cast.centre)
    with pytest.raises(PublishingError):
        services.retry(entry, by=cast.centre)


def test_only_the_information_centre_may_request_publication(dataset: Dataset, cast: Cast) -> None:
    for person in (cast.liaison, cast.reviewer, cast.outsider):
        with pytest.raises(PermissionDenied):
            services.request_publication(dataset, by=person)


def test_a_draft_cannot_be_pushed(tree: Tree, cast: Cast) -> None:
    draft = make_dataset(tree.unit_a1, status=Status.DRAFT)
    with pytest.raises(PublishingError):
        services.request_publication(draft, by=cast.centre)


def test_enqueue_joins_the_callers_transaction(dataset: Dataset, cast: Cast) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(dataset, operation=Operation.CREATE, by=cast.centre)
        raise RuntimeError("the state change failed")
    assert not PublishingOutboxEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_row(tree: Tree, cast: Cast) -> None:
    import threading

    from django.db import connection

    for serial in range(1, 31):
        dataset = make_dataset(tree.unit_a1, serial=serial, on=datetime.date(2026, 3, 2))
        services.enqueue(dataset, operation=Operation.CREATE, by=None, not_before=NOW)
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            while batch := services.claim_due(limit=4, now=NOW):
                with lock:
                    claimed.extend(entry_id for entry_id, _attempt in batch)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(claimed) == 30
    assert len(set(claimed)) == 30
    assert PublishingOutboxEntry.objects.filter(status=OutboxStatus.IN_FLIGHT).count() == 30
