"""A dataset the national portal refuses for good goes back to the liaison with the portal's
reason, and through the review the plan requires again — end to end against the stand-in."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from steward.audit.services import history
from steward.conftest import Cast
from steward.datasets import services
from steward.datasets.errors import DatasetError, TransitionNotAllowed
from steward.datasets.models import CommitteeMeeting, Dataset, Decision
from steward.datasets.tests.conftest import WalkTo, complete_resource
from steward.datasets.workflow import Status, Step, available_steps, queue_q
from steward.publishing.models import OutboxStatus, PublishingOutboxEntry
from steward.publishing.portal import PortalClient
from steward.publishing.services import DeliveryReport, deliver_due
from steward.publishing.standin import RefusalRule, StandInPortal

PUBLISHING_DAY = datetime.date(2026, 5, 29)
# The real portal checks the landing page (相關網址) answers; the stand-in's rule plays that part.
DEAD_LINK = RefusalRule(
    key="landingPage",
    contains="a.example.gov.tw",
    message="相關網址無法連線（HTTP 404），請確認網址後再送。",
)
FIXED_PAGE = "https://www.example.gov.tw/stats"


@pytest.fixture
def portal() -> Iterator[StandInPortal]:
    with StandInPortal(api_key="secret-key") as running:
        yield running


@pytest.fixture
def client_for_portal(portal: StandInPortal) -> PortalClient:
    return PortalClient(portal.url, portal.api_key, timeout=0.5)


def drain(client: PortalClient, *, when: datetime.datetime | None = None) -> DeliveryReport:
    moment = when or timezone.make_aware(
        datetime.datetime.combine(PUBLISHING_DAY, datetime.time(9))
    )
    return deliver_due(now=max(moment, timezone.now()), client=client, sweep_scheduled=False)


def refused_dataset(
    walk_to: WalkTo, portal: StandInPortal, client: PortalClient, capture: Any
) -> Dataset:
    portal.refuse(DEAD_LINK)
    dataset = walk_to(Status.SCHEDULED)
    with capture(execute=True):
        report = drain(client)
    assert len(report.failed) == 1
    dataset.refresh_from_db()
    return dataset


def test_a_refused_new_dataset_goes_back_to_the_liaison_and_through_the_chain_again(
    walk_to: WalkTo,
    portal: StandInPortal,
    client_for_portal: PortalClient,
    cast: Cast,
    meeting: CommitteeMeeting,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    capture = django_capture_on_commit_callbacks
    dataset = refused_dataset(walk_to, portal, client_for_portal, capture)
    entry = PublishingOutboxEntry.objects.get(dataset=dataset)
    assert (entry.status, entry.last_status_code) == (OutboxStatus.FAILED, 422)
    # Stuck in "scheduled" until somebody acts; only the information centre may.
    assert dataset.status == Status.SCHEDULED
    assert Step.RETURN_REFUSED in available_steps(cast.centre, dataset)
    for person in (cast.liaison, cast.reviewer, cast.cio, cast.other_reviewer):
        assert Step.RETURN_REFUSED not in available_steps(person, dataset)
        with pytest.raises(PermissionDenied):
            services.return_refused_publication(dataset, by=person)
    dataset.refresh_from_db()
    assert dataset.status == Status.SCHEDULED

    # The centre sees the portal's reason on the dataset page and returns it from there.
    client.force_login(cast.centre)
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "data-portal-refusal" in page
    assert "相關網址無法連線" in page
    mail.outbox.clear()
    with capture(execute=True):
        response = client.post(
            f"/datasets/{dataset.pk}/step/return_refused/",
            {"stage": "scheduled", "comment": "請改用新網站的網址"},
        )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == Status.RETURNED
    assert "相關網址無法連線" in dataset.returned_reasons
    assert "請改用新網站的網址" in dataset.returned_reasons
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.RETURNED
    event = history(dataset).last()
    assert event is not None
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "dataset.return_refused",
        cast.centre,
        Status.SCHEDULED,
        Status.RETURNED,
    )
    assert [e.action for e in history(entry)][-1] == "publishing.return"
    # The liaison is e-mailed the portal's reason.
    to_liaison = [m for m in mail.outbox if cast.liaison.email in m.to]
    assert len(to_liaison) == 1
    assert "相關網址無法連線" in to_liaison[0].body
    assert dataset.identifier in to_liaison[0].subject

    # It is in the liaison's work queue, with the reason, and on the dataset page.
    assert Dataset.objects.filter(queue_q(cast.liaison), pk=dataset.pk).exists()
    client.force_login(cast.liaison)
    queue = client.get("/datasets/queue/").content.decode()
    assert dataset.identifier in queue and "相關網址無法連線" in queue
    assert "相關網址無法連線" in client.get(f"/datasets/{dataset.pk}/").content.decode()

    # Fixed, it goes through the plan's whole chain again (default plan: all four stages).
    services.update_dataset(dataset, by=cast.liaison, values={"landingPage": FIXED_PAGE})
    services.submit_for_review(dataset, by=cast.liaison)
    assert dataset.status == Status.UNIT_REVIEW
    services.approve_unit_review(dataset, by=cast.reviewer)
    services.approve_centre_review(dataset, by=cast.centre)
    assert dataset.status == Status.COMMITTEE
    services.record_committee_decision(
        dataset, meeting=meeting, decision=Decision.APPROVE, by=cast.committee_civil
    )
    services.approve_by_cio(dataset, by=cast.cio)
    services.schedule_publication(dataset, by=cast.centre, on=PUBLISHING_DAY)
    report = drain(client_for_portal)
    assert len(report.succeeded) == 1
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert portal.datasets()[dataset.identifier]["landingPage"] == FIXED_PAGE
    assert dataset.returned_reasons == ""
    statuses = sorted(dataset.outbox_entries.values_list("status", flat=True))
    assert statuses == [OutboxStatus.RETURNED, OutboxStatus.SUCCEEDED]


def test_a_refused_edit_goes_back_to_its_edit_review_only(
    walk_to: WalkTo,
    portal: StandInPortal,
    client_for_portal: PortalClient,
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dataset = walk_to(Status.SCHEDULED)
    drain(client_for_portal)
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    published_title = portal.datasets()[dataset.identifier]["title"]

    portal.refuse(
        RefusalRule(key="downloadURL", contains="http://", message="資料下載網址須使用 HTTPS。")
    )
    resource_id = dataset.resources.get().resourceID
    services.propose_edit(
        dataset,
        by=cast.liaison,
        values={"title": "甲署業務統計（含分區）"},
        resources=[
            {"resourceID": resource_id, **complete_resource(downloadURL="http://a.example/x.csv")}
        ],
    )
    services.approve_edit(dataset, by=cast.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(drain(client_for_portal, when=timezone.now()).failed) == 1
    dataset.refresh_from_db()
    assert dataset.status == Status.SCHEDULED

    services.return_refused_publication(dataset, by=cast.centre)
    assert dataset.status == Status.EDIT_RETURNED
    assert "HTTPS" in dataset.returned_reasons
    # The portal keeps the published version meanwhile.
    assert dataset.is_on_portal
    assert portal.datasets()[dataset.identifier]["title"] == published_title

    services.propose_edit(
        dataset,
        by=cast.liaison,
        values={"title": "甲署業務統計（含分區）"},
        resources=[{"resourceID": resource_id, **complete_resource()}],
    )
    assert dataset.status == Status.EDIT_REVIEW
    # An edit needs only the unit reviewer (the built-in default, as DGBAS 伍五 says).
    for person in (cast.centre, cast.cio):
        with pytest.raises(PermissionDenied):
            services.approve_edit(dataset, by=person)
    services.approve_edit(dataset, by=cast.reviewer)
    assert len(drain(client_for_portal, when=timezone.now()).succeeded) == 1
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert [v.number for v in dataset.versions.all()] == [1, 2]
    assert portal.datasets()[dataset.identifier]["title"] == "甲署業務統計（含分區）"


def test_only_a_refusal_of_the_metadata_can_be_returned(
    walk_to: WalkTo, portal: StandInPortal, cast: Cast
) -> None:
    dataset = walk_to(Status.SCHEDULED)
    events = history(dataset).count()
    # Scheduled, nothing refused yet.
    with pytest.raises(DatasetError) as caught:
        services.return_refused_publication(dataset, by=cast.centre)
    assert dataset.identifier in str(caught.value)
    # A refused API key is the information centre's to fix, not the liaison's.
    wrong_key = PortalClient(portal.url, "not-the-key", timeout=0.5)
    drain(wrong_key)
    entry = PublishingOutboxEntry.objects.get(dataset=dataset)
    assert (entry.status, entry.last_status_code) == (OutboxStatus.FAILED, 401)
    assert Step.RETURN_REFUSED not in available_steps(cast.centre, dataset)
    with pytest.raises(DatasetError):
        services.return_refused_publication(dataset, by=cast.centre)
    dataset.refresh_from_db()
    entry.refresh_from_db()
    assert dataset.status == Status.SCHEDULED
    assert entry.status == OutboxStatus.FAILED
    assert history(dataset).count() == events


def test_a_dataset_not_scheduled_cannot_be_returned_as_refused(walk_to: WalkTo, cast: Cast) -> None:
    dataset = walk_to(Status.PUBLISHED)
    with pytest.raises(TransitionNotAllowed):
        services.return_refused_publication(dataset, by=cast.centre)


def test_the_api_returns_a_refused_dataset(
    walk_to: WalkTo,
    portal: StandInPortal,
    client_for_portal: PortalClient,
    cast: Cast,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dataset = refused_dataset(
        walk_to, portal, client_for_portal, django_capture_on_commit_callbacks
    )
    url = f"/api/datasets/{dataset.pk}/return-refused"
    client.force_login(cast.liaison)
    stage = json.dumps({"stage": "scheduled"})
    assert client.post(url, stage, content_type="application/json").status_code == 403
    client.force_login(cast.centre)
    before = client.get(f"/api/datasets/{dataset.pk}").json()
    assert "return_refused" in before["steps"]
    response = client.post(
        url,
        json.dumps({"stage": "scheduled", "comment": "請修正相關網址"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.RETURNED


def test_the_outbox_page_points_the_centre_to_the_return(
    walk_to: WalkTo,
    portal: StandInPortal,
    client_for_portal: PortalClient,
    cast: Cast,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dataset = refused_dataset(
        walk_to, portal, client_for_portal, django_capture_on_commit_callbacks
    )
    client.force_login(cast.centre)
    page = client.get("/publishing/").content.decode()
    assert 'data-link="return-refused"' in page
    assert f"/datasets/{dataset.pk}/#steps" in page
