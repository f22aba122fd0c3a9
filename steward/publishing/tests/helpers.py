"""Datasets in a given state, built directly (the review chain is the datasets app's test)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from steward.datasets.models import Dataset, Resource
from steward.datasets.workflow import Status
from steward.organisations.models import Organisation

VALUES: dict[str, Any] = {
    "categoryCode": "I00",
    "title": "甲署統計年報",
    "description": "甲署歷年業務統計。\n含第二行說明。",
    "fieldDescription": "year(年度)、count(件數)",
    "type": "rawData",
    "organization": "測試部",
    "organizationContactName": "王小明",
    "organizationContactPhone": "02-1234-5678",
    "organizationContactEmail": "wang@example.gov.tw",
    "publisher": "甲署",
    "publisherContactName": "李小華",
    "publisherContactPhone": "02-8765-4321",
    "publisherContactEmail": "lee@example.gov.tw",
    "accrualPeriodicity": "每1年",
}


def make_dataset(
    organisation: Organisation,
    *,
    serial: int = 1,
    status: Status = Status.SCHEDULED,
    on: datetime.date | None = None,
    resources: int = 1,
    **values: Any,
) -> Dataset:
    code = organisation.agency.agency_code or organisation.ministry.agency_code
    dataset = Dataset.objects.create(
        organisation=organisation,
        identifier=f"{code}-{serial:06d}",
        status=status,
        scheduled_publish_on=on if on is not None else timezone.localdate(),
        **{**VALUES, **values},
    )
    for number in range(1, resources + 1):
        Resource.objects.create(
            dataset=dataset,
            resourceID=f"{dataset.identifier}-{number:03d}",
            resourceDescription=f"第 {number} 個檔案",
            format="CSV",
            characterSetCode="UTF-8",
            downloadURL=f"https://example.gov.tw/data/{serial}-{number}.csv",
            position=number,
        )
    return dataset
