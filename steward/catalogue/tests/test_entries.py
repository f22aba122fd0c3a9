"""The public catalogue holds exactly what was last published: never a draft or a pending edit."""

from __future__ import annotations

from typing import Any

import pytest

from steward.catalogue.models import CatalogueEntry
from steward.catalogue.services import rebuild
from steward.datasets import services
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status

pytestmark = pytest.mark.django_db


def test_a_dataset_is_public_from_publishing_until_withdrawal(
    walk_to: Any, cast: Any, meeting: Any
) -> None:
    from steward.datasets.models import Decision

    dataset = walk_to(Status.SCHEDULED)
    assert not CatalogueEntry.objects.exists()  # approved and scheduled is not yet public

    dataset = services.mark_published(dataset, by=cast.centre, portal_identifier="170001")
    entry = CatalogueEntry.objects.get()
    assert entry.dataset_id == dataset.pk and entry.identifier == dataset.identifier
    assert entry.title == "甲署業務統計" and entry.version == 1
    assert entry.agency == dataset.organisation.agency  # the unit's agency, not the unit
    assert entry.record["distribution"][0]["downloadURL"] == "https://a.example.gov.tw/stats.csv"

    services.request_withdrawal(
        dataset, by=cast.liaison, reason="資料來源已停止", becomes="on_request"
    )
    dataset.refresh_from_db()
    dataset = services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
    )
    assert CatalogueEntry.objects.exists()  # public until the withdrawal is done
    dataset = services.approve_withdrawal(dataset, by=cast.head)
    dataset = services.publish_withdrawal_notice(dataset, by=cast.centre)
    assert dataset.status == Status.WITHDRAWN
    assert not CatalogueEntry.objects.exists()


def test_a_pending_edit_is_not_public(walk_to: Any, cast: Any) -> None:
    from steward.datasets.tests.conftest import complete_resource, complete_values

    dataset: Dataset = walk_to(Status.PUBLISHED)
    services.propose_edit(
        dataset,
        by=cast.liaison,
        values=complete_values(title="尚未核准的新名稱"),
        resources=[complete_resource()],
        comment="改名",
    )
    entry = CatalogueEntry.objects.get()
    assert entry.title == "甲署業務統計"
    assert "尚未核准" not in entry.search_row.search_text


def test_an_imported_dataset_is_public_at_once(catalogue: list[Dataset]) -> None:
    assert CatalogueEntry.objects.count() == 3
    entry = CatalogueEntry.objects.get(identifier=catalogue[0].identifier)
    assert entry.formats == ",CSV,JSON,"
    assert entry.tags == "\n勞保\n投保薪資\n"
    assert "投保薪資" in entry.search_row.search_text and "grade(" in entry.search_row.search_text


def test_rebuild_restores_a_lost_entry_and_drops_an_orphan(catalogue: list[Dataset]) -> None:
    CatalogueEntry.objects.filter(identifier=catalogue[0].identifier).delete()
    Dataset.objects.filter(pk=catalogue[1].pk).update(status=Status.WITHDRAWN)
    report = rebuild()
    assert set(CatalogueEntry.objects.values_list("identifier", flat=True)) == {
        catalogue[0].identifier,
        catalogue[2].identifier,
    }
    assert (report.written, report.removed) == (2, 1)


def test_the_national_catalogue_import_makes_its_datasets_public(tree: Any, cast: Any) -> None:
    from steward.publishing.catalogue.importing import import_catalogue
    from steward.publishing.tests.portal_export import export_bytes, make_agencies, portal_rows

    make_agencies(tree.ministry)
    data = export_bytes(list(portal_rows(3)))
    import_catalogue(data, ministry=tree.ministry, by=cast.centre, file="export.csv")
    assert CatalogueEntry.objects.count() == 3
    titles = set(Dataset.objects.values_list("title", flat=True))
    assert set(CatalogueEntry.objects.values_list("title", flat=True)) == titles
