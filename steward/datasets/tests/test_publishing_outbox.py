"""Scheduling puts the dataset in the publishing outbox in the same transaction (transactional
outbox): one drain on the publishing day publishes it, and a rollback leaves neither."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.utils import timezone

from steward.audit.services import history
from steward.conftest import Cast
from steward.datasets import services
from steward.datasets.errors import DatasetError
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import WalkTo
from steward.datasets.workflow import Status
from steward.publishing.models import Operation, OutboxStatus, PublishingOutboxEntry
from steward.publishing.portal import PortalClient
from steward.publishing.services import deliver_due
from steward.publishing.standin import StandInPortal

PUBLISHING_DAY = datetime.date(2026, 5, 29)


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def portal() -> Iterator[StandInPortal]:
    with StandInPortal(api_key="secret-key") as running:
        yield running


@pytest.fixture
def client(portal: StandInPortal) -> PortalClient:
    return PortalClient(portal.url, portal.api_key, timeout=0.5)


def test_scheduling_queues_the_push_in_the_same_transaction(walk_to: WalkTo, cast: Cast) -> None:
    dataset = walk_to(Status.SCHEDULED)
    entry = PublishingOutboxEntry.objects.get(dataset=dataset)
    assert entry.status == OutboxStatus.PENDING
    assert entry.operation == Operation.CREATE
    assert entry.requested_by == cast.centre
    assert entry.payload["identifier"] == dataset.identifier
    # Not before the start of the publishing day.
    assert timezone.localtime(entry.next_attempt_at) == at(PUBLISHING_DAY, 0)
    assert [event.action for event in history(entry)] == ["publishing.enqueue"]


def test_a_rollback_leaves_neither_the_scheduling_nor_the_outbox_entry(
    walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.APPROVED)
    events = history(dataset).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.schedule_publication(dataset, by=cast.centre, on=PUBLISHING_DAY)
        assert PublishingOutboxEntry.objects.filter(dataset=dataset).exists()
        raise RuntimeError("the caller's transaction fails after scheduling")
    dataset.refresh_from_db()
    assert dataset.status == Status.APPROVED
    assert dataset.scheduled_publish_on is None
    assert not PublishingOutboxEntry.objects.filter(dataset=dataset).exists()
    assert history(dataset).count() == events


def test_metadata_the_portal_schema_refuses_cannot_be_scheduled_and_nothing_changes(
    walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.APPROVED)
    # A value the portal's JSON schema refuses (cost is 免費 or 付費), written behind the
    # services' back as an older import might have.
    Dataset.objects.filter(pk=dataset.pk).update(cost="看情形")
    events = history(dataset).count()
    with pytest.raises(DatasetError) as caught:
        services.schedule_publication(dataset, by=cast.centre, on=PUBLISHING_DAY)
    assert "cost:" in str(caught.value)
    assert dataset.identifier in str(caught.value)
    dataset.refresh_from_db()
    assert dataset.status == Status.APPROVED
    assert not PublishingOutboxEntry.objects.exists()
    assert history(dataset).count() == events


def test_one_drain_on_the_publishing_day_publishes_without_the_sweep(
    walk_to: WalkTo, portal: StandInPortal, client: PortalClient
) -> None:
    dataset = walk_to(Status.SCHEDULED)
    # The day before: the entry exists but is not due.
    early = deliver_due(
        now=at(PUBLISHING_DAY - datetime.timedelta(days=1)), client=client, sweep_scheduled=False
    )
    assert early.attempted == 0
    assert portal.requests() == []
    # On the day, one drain publishes it; the sweep is off, so the entry came from scheduling.
    report = deliver_due(now=at(PUBLISHING_DAY), client=client, sweep_scheduled=False)
    assert len(report.succeeded) == 1
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert dataset.portal_identifier == str(portal.nid_of(dataset.identifier))
    assert dataset.versions.count() == 1


def test_the_sweep_finds_nothing_left_to_queue(walk_to: WalkTo, client: PortalClient) -> None:
    dataset = walk_to(Status.SCHEDULED)
    report = deliver_due(now=at(PUBLISHING_DAY), client=client)
    assert report.queued == []
    assert len(report.succeeded) == 1
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED


def test_rescheduling_moves_the_queued_entry_instead_of_adding_one(
    walk_to: WalkTo, cast: Cast, client: PortalClient
) -> None:
    dataset = walk_to(Status.SCHEDULED)
    later = PUBLISHING_DAY + datetime.timedelta(days=7)
    services.schedule_publication(dataset, by=cast.centre, on=later)
    entry = PublishingOutboxEntry.objects.get(dataset=dataset)
    assert timezone.localtime(entry.next_attempt_at) == at(later, 0)
    assert deliver_due(now=at(PUBLISHING_DAY), client=client).attempted == 0
    assert len(deliver_due(now=at(later), client=client).succeeded) == 1


def test_an_approved_edit_is_queued_as_an_update_at_once(
    walk_to: WalkTo, cast: Cast, portal: StandInPortal, client: PortalClient
) -> None:
    dataset = walk_to(Status.SCHEDULED)
    deliver_due(now=at(PUBLISHING_DAY), client=client)
    dataset.refresh_from_db()
    services.propose_edit(dataset, by=cast.liaison, values={"title": "甲署業務統計（修正）"})
    services.approve_edit(dataset, by=cast.reviewer)
    entry = PublishingOutboxEntry.objects.get(dataset=dataset, status=OutboxStatus.PENDING)
    assert entry.operation == Operation.UPDATE
    report = deliver_due(now=timezone.now(), client=client, sweep_scheduled=False)
    assert report.succeeded == [entry.pk]
    assert portal.datasets()[dataset.identifier]["title"] == "甲署業務統計（修正）"
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert dataset.versions.count() == 2
