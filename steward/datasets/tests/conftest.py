"""Shared pieces of the datasets tests: complete metadata, a dataset walked to any status."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.models import CommitteeMeeting, Dataset, Decision
from steward.datasets.workflow import Status


def complete_values(**changes: Any) -> dict[str, Any]:
    """Metadata that meets the national standard (every M field, a few R fields)."""
    values: dict[str, Any] = {
        "categoryCode": "I00",
        "title": "甲署業務統計",
        "description": "甲署歷年受理案件數量統計。",
        "fieldDescription": "year(年度)、count(件數)、區域別",
        "type": "rawData",
        "license": "政府資料開放授權條款-第1版",
        "licenseURL": "https://data.gov.tw/license",
        "cost": "免費",
        "organization": "測試部",
        "organizationContactName": "王小明",
        "organizationContactPhone": "02-1234-5678",
        "organizationContactEmail": "wang@example.gov.tw",
        "publisher": "甲署",
        "publisherContactName": "林聯絡",
        "publisherContactPhone": "02-8765-4321#12",
        "publisherContactEmail": "liaison@example.gov.tw",
        "accrualPeriodicity": "每1年",
        "temporalCoverageFrom": datetime.date(2020, 1, 1),
        "spatial": "臺灣",
        "language": "zh-TW",
        "landingPage": "https://a.example.gov.tw/stats",
        "keyword": ["統計", "案件"],
        "numberOfData": 120,
    }
    values.update(changes)
    return values


def complete_resource(**changes: Any) -> dict[str, Any]:
    resource = {
        "resourceDescription": "歷年統計 CSV",
        "format": "CSV",
        "characterSetCode": "UTF-8",
        "downloadURL": "https://a.example.gov.tw/stats.csv",
    }
    resource.update(changes)
    return resource


@pytest.fixture
def meeting(tree: Tree, cast: Cast) -> CommitteeMeeting:
    return services.record_meeting(
        by=cast.centre,
        ministry=tree.ministry,
        held_on=datetime.date(2026, 4, 20),
        number="115年第1次會議",
        attendees="召集人、機關代表 7 人、民間代表 4 人",
        civil_representatives=4,
    )


@pytest.fixture
def draft(tree: Tree, cast: Cast) -> Dataset:
    return services.create_dataset(
        by=cast.liaison,
        organisation=tree.unit_a1,
        values=complete_values(),
        resources=[complete_resource()],
    )


WalkTo = Callable[[Status], Dataset]


@pytest.fixture
def walk_to(draft: Dataset, cast: Cast, meeting: CommitteeMeeting) -> WalkTo:
    """Take the draft along the default chain until it reaches `status`."""

    steps: list[tuple[Status, Callable[[Dataset], Dataset]]] = [
        (Status.UNIT_REVIEW, lambda d: services.submit_for_review(d, by=cast.liaison)),
        (Status.CENTRE_REVIEW, lambda d: services.approve_unit_review(d, by=cast.reviewer)),
        (Status.COMMITTEE, lambda d: services.approve_centre_review(d, by=cast.centre)),
        (
            Status.CIO_APPROVAL,
            lambda d: services.record_committee_decision(
                d, meeting=meeting, decision=Decision.APPROVE, by=cast.committee_civil
            ),
        ),
        (Status.APPROVED, lambda d: services.approve_by_cio(d, by=cast.cio)),
        (
            Status.SCHEDULED,
            lambda d: services.schedule_publication(
                d, by=cast.centre, on=datetime.date(2026, 5, 29)
            ),
        ),
        (
            Status.PUBLISHED,
            lambda d: services.mark_published(d, by=cast.centre, portal_identifier="170001"),
        ),
        (
            Status.WITHDRAWAL_REQUESTED,
            lambda d: _request_withdrawal(d, cast),
        ),
        (
            Status.WITHDRAWAL_APPROVAL,
            lambda d: services.record_withdrawal_discussion(
                d, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
            ),
        ),
        (Status.WITHDRAWAL_NOTICE, lambda d: services.approve_withdrawal(d, by=cast.head)),
        (
            Status.WITHDRAWN,
            lambda d: services.publish_withdrawal_notice(d, by=cast.centre),
        ),
    ]

    def walk(status: Status) -> Dataset:
        dataset = draft
        if status == Status.DRAFT:
            return dataset
        for reached, step in steps:
            dataset = step(dataset)
            assert dataset.status == reached
            if reached == status:
                return dataset
        raise AssertionError(f"{status} is not on the main path")

    return walk


def _request_withdrawal(dataset: Dataset, cast: Cast) -> Dataset:
    services.request_withdrawal(
        dataset, by=cast.liaison, reason="資料來源系統已停用", becomes="on_request"
    )
    dataset.refresh_from_db()
    return dataset
