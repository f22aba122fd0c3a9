"""The list pages and API lists run a fixed number of queries, whatever the number of agencies
or rows: at 2 and 8 agencies and at 5 and 50 datasets (every other one awaiting the
information centre's review, each with a refused or a waiting outbox entry and a feedback
item, each agency with two check runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.feedback.models import FeedbackItem
from steward.organisations.factories import OrganisationFactory
from steward.organisations.models import OrganisationKind
from steward.publishing.models import Operation, OutboxStatus, PublishingOutboxEntry
from steward.quality.models import CheckKind, CheckRun, RunStatus

PAGES = [
    "/datasets/",
    "/datasets/queue/",
    "/quality/",
    "/publishing/",
    "/feedback/",
    "/organisations/",
    "/api/datasets/",
    "/api/publishing/outbox",
    "/api/feedback/items",
    "/api/organisations/",
    "/api/inventory/returns?year=2026",
    "/api/inventory/targets?year=2026",
]
#: The most any of these pages may run (sessions, the person, roles, the page's own reads).
MAX_QUERIES = 20


def build(tree: Tree, agencies: int, datasets: int) -> None:
    made = [
        OrganisationFactory.create(
            key=f"q-agency-{n}",
            name=f"測試機關{n}",
            kind=OrganisationKind.AGENCY,
            parent=tree.ministry,
            agency_code=f"A170{n + 30:02d}000J",
        )
        for n in range(agencies)
    ]
    now = timezone.now()
    rows = Dataset.objects.bulk_create(
        Dataset(
            organisation=made[n % agencies],
            identifier=f"{made[n % agencies].agency_code}-{n + 1:06d}",
            title=f"資料集 {n}",
            status=Status.CENTRE_REVIEW if n % 2 else Status.DRAFT,
        )
        for n in range(datasets)
    )
    FeedbackItem.objects.bulk_create(
        FeedbackItem(
            kind="comment",
            organisation=dataset.organisation,
            dataset=dataset,
            text="欄位說明有誤",
            limit_days=7,
            day_kind="calendar",
            due_on=now.date(),
            due_at=now,
        )
        for dataset in rows
    )
    now = timezone.now()
    PublishingOutboxEntry.objects.bulk_create(
        PublishingOutboxEntry(
            dataset=dataset,
            operation=Operation.CREATE,
            payload={},
            payload_sha256="0" * 64,
            idempotency_key=dataset.identifier,
            status=OutboxStatus.FAILED if n % 2 else OutboxStatus.PENDING,
            next_attempt_at=now,
            last_error="HTTP 500",
        )
        for n, dataset in enumerate(rows)
    )
    for agency in made:
        for _ in range(2):
            CheckRun.objects.create(
                kind=CheckKind.SELF_CHECK,
                organisation=agency,
                source=f"datasets:{agency.key}",
                status=RunStatus.DONE,
                finished_at=now,
            )


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(captured)


@pytest.fixture
def count_at(client: Client, tree: Tree, cast: Cast) -> Callable[[int, int], dict[str, int]]:
    client.force_login(cast.centre)
    client.get("/")  # the session and language settle before counting
    for url in PAGES:  # and what a process reads once (the office calendars' revisions)
        client.get(url)

    def count(agencies: int, datasets: int) -> dict[str, int]:
        FeedbackItem.objects.all().delete()
        Dataset.objects.all().delete()
        CheckRun.objects.all().delete()
        tree.ministry.children.filter(key__startswith="q-agency-").delete()  # type: ignore[attr-defined]
        build(tree, agencies, datasets)
        return {url: queries(client, url) for url in PAGES}

    return count


def test_queries_do_not_grow_with_agencies_or_rows(
    client: Client,
    count_at: Callable[[int, int], dict[str, int]],
    django_assert_max_num_queries: Any,
) -> None:
    small = count_at(2, 5)
    assert count_at(8, 5) == small  # four times the agencies
    assert count_at(8, 50) == small  # ten times the rows
    assert "共 50 筆" in client.get("/datasets/").content.decode()  # all seen, 50 to a page
    assert client.get("/publishing/").content.decode().count("共 25 筆") == 2  # refused, waiting
    for url in PAGES:
        with django_assert_max_num_queries(MAX_QUERIES):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/", "/datasets/", "/datasets/queue/", "/publishing/", "/feedback/", "/api/datasets/"]
)
def test_a_request_reads_the_persons_roles_once(
    client: Client, cast: Cast, tree: Tree, url: str
) -> None:
    """The scoping rule, the navigation and the page share one read of the roles."""
    build(tree, 2, 5)
    client.force_login(cast.centre)
    client.get(url)  # the session and language settle
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    own_roles = [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "organisations_roleassignment"' in query["sql"]
        and f'"organisations_roleassignment"."person_id" = {cast.centre.pk}' in query["sql"]
    ]
    assert len(own_roles) == 1, own_roles
