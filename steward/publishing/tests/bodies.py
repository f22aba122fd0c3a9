"""Valid dataset bodies (§1 JSON) for the publishing tests."""

from __future__ import annotations

import copy
from typing import Any

BASE_BODY: dict[str, Any] = {
    "categoryCode": "I00",
    "identifier": "A17010000J-000001",
    "title": "甲署統計年報",
    "description": "甲署歷年業務統計，含換行\n第二行。",
    "fieldDescription": "year(年度)、count(件數)",
    "type": "rawData",
    "license": "政府資料開放授權條款-第1版",
    "licenseURL": "https://data.gov.tw/license",
    "cost": "免費",
    "organization": "測試部",
    "organizationContactName": "王小明",
    "organizationContactPhone": "02-1234-5678",
    "organizationContactEmail": "wang@example.gov.tw",
    "publisher": "甲署",
    "publisherContactName": "李小華",
    "publisherContactPhone": "02-8765-4321",
    "publisherContactEmail": "lee@example.gov.tw",
    "accrualPeriodicity": "每1年",
    "issued": "2026-01-05 09:00:00",
    "keyword": ["統計", "年報"],
    "numberOfData": 120,
    "distribution": [
        {
            "resourceID": "A17010000J-000001-001",
            "resourceDescription": "年報 CSV",
            "format": "CSV",
            "characterSetCode": "UTF-8",
            "downloadURL": "https://example.gov.tw/stats.csv",
        }
    ],
}


def body(**changes: Any) -> dict[str, Any]:
    """A copy of the base body with top-level keys changed (None removes a key)."""
    result = copy.deepcopy(BASE_BODY)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result
