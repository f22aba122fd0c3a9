"""import_published_many: the one service a catalogue import writes through."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset, DatasetVersion, Resource
from steward.datasets.services import PublishedRecord, import_published_many
from steward.datasets.workflow import Status
from steward.organisations.models import Organisation, OrganisationKind

VALUES = {"title": "甲署統計", "categoryCode": "I00", "publisher": "甲署", "numberOfData": 3}
RESOURCES = [{"format": "CSV", "downloadURL": "https://a.example.gov.tw/1.csv"}]


def test_new_datasets_get_the_agencys_next_identifiers_a_version_and_one_event(
    tree: Tree, cast: Cast
) -> None:
    Dataset.objects.create(organisation=tree.agency_a, identifier="A17010000J-000041")
    result = import_published_many(
        by=cast.centre,
        ministry=tree.ministry,
        records=[PublishedRecord(tree.unit_a1, dict(VALUES), list(RESOURCES)) for _ in range(2)],
        counts={"added": 2},
    )
    assert [c.identifier for c in result.created] == ["A17010000J-000042", "A17010000J-000043"]
    dataset = Dataset.objects.get(identifier="A17010000J-000042")
    assert dataset.status == Status.PUBLISHED and dataset.organisation == tree.unit_a1
    assert dataset.resources.get().resourceID == "A17010000J-000042-001"
    assert dataset.versions.get().metadata["title"] == "甲署統計"
    event = AuditEvent.objects.get()
    assert event.action == "dataset.import_catalogue" and event.changes == {"counts": {"added": 2}}


def test_a_liaison_is_refused_before_anything_is_written(tree: Tree, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        import_published_many(
            by=cast.liaison,
            ministry=tree.ministry,
            records=[PublishedRecord(tree.unit_a1, dict(VALUES), list(RESOURCES))],
        )
    assert not Dataset.objects.exists() and not AuditEvent.objects.exists()


def test_another_ministrys_dataset_cannot_be_updated(tree: Tree, cast: Cast) -> None:
    other = Organisation.objects.create(
        key="other", name="經濟部", kind=OrganisationKind.MINISTRY, agency_code="A15000000G"
    )
    theirs = Dataset.objects.create(
        organisation=other, identifier="A15000000G-000001", status=Status.PUBLISHED, title="原名"
    )
    with pytest.raises(PermissionDenied):
        import_published_many(
            by=cast.centre,
            ministry=tree.ministry,
            records=[
                PublishedRecord(tree.unit_a1, {**VALUES, "title": "新名"}, [], dataset_id=theirs.pk)
            ],
        )
    theirs.refresh_from_db()
    assert theirs.title == "原名"
    assert not DatasetVersion.objects.exists() and not Resource.objects.exists()
    assert not AuditEvent.objects.exists()
