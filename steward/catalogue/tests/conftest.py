"""Published datasets for the catalogue's tests, made through the real services."""

from __future__ import annotations

from typing import Any

import pytest

from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import (  # noqa: F401  (fixtures)
    complete_resource,
    complete_values,
    draft,
    meeting,
    walk_to,
)
from steward.quality import services as quality
from steward.quality.crawl.crawler import ResourceRef, link_only_report
from steward.quality.crawl.fetch import FetchResult, State
from steward.quality.models import CheckKind


def publish_record(
    organisation: Any, serial: int, *, resources: list[dict[str, Any]] | None = None, **values: Any
) -> Dataset:
    """A dataset already on the portal, taken in as the catalogue import does."""
    agency = organisation.agency
    record = {
        **complete_values(**values),
        "identifier": f"{agency.agency_code}-{serial:06d}",
        "temporalCoverageFrom": "2020-01-01",
        "issued": "2024-01-02 09:00:00",
        "modified": "2026-01-02 10:00:00",
        "distribution": [
            {**resource, "resourceID": f"{agency.agency_code}-{serial:06d}-{n + 1:03d}"}
            for n, resource in enumerate(resources or [complete_resource()])
        ],
    }
    return services.import_published(
        by=None, organisation=organisation, metadata=record, portal_identifier=str(40000 + serial)
    )


def record_verdicts(organisation: Any, verdicts: list[tuple[str, str, int | None]]) -> None:
    """One quality run through the real services: (resource ID, mark, stars) per resource."""
    run = quality.start_run(
        kind=CheckKind.SELF_CHECK, by=None, organisation=organisation, source="test"
    )
    reports = []
    for resource_id, mark, stars in verdicts:
        report = link_only_report(
            ResourceRef(
                key=resource_id,
                url=f"https://data.example.org/{resource_id}.csv",
                dataset_identifier=resource_id.rsplit("-", 1)[0],
                dataset_title="",
                organisation_id=organisation.pk,
            ),
            FetchResult(url="", state=State.OK, reason="ok"),
        )
        report.mark, report.stars = mark, stars
        reports.append(report)
    quality.record_results(run, reports)
    quality.finish_run(run, totals={}, by=None)


@pytest.fixture
def catalogue(tree: Tree, cast: Cast) -> list[Dataset]:
    """Three published datasets of two agencies, one with two resources."""
    return [
        publish_record(
            tree.unit_a1,
            1,
            title="勞工保險投保薪資分級表",
            description="勞工保險投保薪資分級表及其歷年修正。",
            fieldDescription="grade(投保薪資等級)、amount(月投保薪資)",
            keyword=["勞保", "投保薪資"],
            resources=[
                complete_resource(),
                complete_resource(format="JSON", downloadURL="https://a.example.gov.tw/g.json"),
            ],
        ),
        publish_record(
            tree.unit_a1,
            2,
            title="職業災害統計 Occupational injuries",
            description="按行業別之職業災害件數。",
            keyword=["職災", "統計"],
            categoryCode="E00",
        ),
        publish_record(
            tree.unit_b1,
            3,
            title="乙署預算書",
            description="乙署年度預算。",
            keyword=["預算"],
            resources=[
                complete_resource(format="PDF", downloadURL="https://b.example.gov.tw/b.pdf")
            ],
        ),
    ]
