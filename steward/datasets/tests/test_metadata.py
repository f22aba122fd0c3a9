"""Metadata as the national standard: identifiers, validation on submit, the portal body."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.errors import DatasetError, MetadataIncomplete
from steward.datasets.metadata import (
    flatten,
    identifier_for,
    published_metadata,
    record_of,
    values_from_record,
)
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import WalkTo, complete_resource, complete_values
from steward.datasets.workflow import Status
from steward.organisations.factories import OrganisationFactory
from steward.organisations.models import OrganisationKind


def test_identifiers_follow_the_agency_code_of_the_owning_unit(tree: Tree, cast: Cast) -> None:
    first = services.create_dataset(by=cast.liaison, organisation=tree.unit_a1, values={})
    second = services.create_dataset(by=cast.liaison, organisation=tree.unit_a1, values={})
    assert first.identifier == "A17010000J-000001"
    assert second.identifier == "A17010000J-000002"
    other = services.create_dataset(by=cast.other_liaison, organisation=tree.unit_b1, values={})
    assert other.identifier == "A17020000J-000001"
    assert identifier_for(tree.unit_a1) == "A17010000J-000003"


def test_resource_ids_are_the_identifier_and_a_three_digit_serial(draft: Dataset) -> None:
    assert [r.resourceID for r in draft.resources.all()] == [f"{draft.identifier}-001"]


def test_an_agency_without_a_code_cannot_number_its_datasets(tree: Tree, cast: Cast) -> None:
    from steward.organisations.factories import RoleAssignmentFactory
    from steward.organisations.models import Role

    ministry_without_code = OrganisationFactory.create(
        key="nocode", name="無代碼部", kind=OrganisationKind.MINISTRY
    )
    RoleAssignmentFactory.create(
        person=cast.liaison, organisation=ministry_without_code, role=Role.LIAISON
    )
    with pytest.raises(DatasetError, match="機關代碼"):
        services.create_dataset(by=cast.liaison, organisation=ministry_without_code, values={})
    assert not Dataset.objects.filter(organisation=ministry_without_code).exists()


def test_a_duplicate_identifier_is_refused_and_nothing_is_created(
    tree: Tree, cast: Cast, draft: Dataset
) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.create_dataset(
            by=cast.liaison,
            organisation=tree.unit_a1,
            values=complete_values(),
            identifier=draft.identifier,
        )
    assert "identifier" in refused.value.message_dict
    assert draft.identifier in refused.value.message_dict["identifier"][0]
    assert Dataset.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_malformed_identifier_is_refused(tree: Tree, cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_dataset(
            by=cast.liaison, organisation=tree.unit_a1, values={}, identifier="A1701-12"
        )
    assert "identifier" in refused.value.message_dict
    assert not Dataset.objects.exists()


def test_an_existing_identifier_may_be_given_when_it_is_free(tree: Tree, cast: Cast) -> None:
    dataset = services.create_dataset(
        by=cast.liaison, organisation=tree.unit_a1, values={}, identifier="A17010000J-000777"
    )
    assert dataset.identifier == "A17010000J-000777"
    assert identifier_for(tree.unit_a1) == "A17010000J-000778"


def test_another_agencys_liaison_cannot_draft_here(tree: Tree, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        services.create_dataset(by=cast.other_liaison, organisation=tree.unit_a1, values={})
    with pytest.raises(PermissionDenied):
        services.create_dataset(by=cast.reviewer, organisation=tree.unit_a1, values={})
    assert not Dataset.objects.exists()


def test_a_draft_may_be_incomplete_but_cannot_be_submitted(tree: Tree, cast: Cast) -> None:
    dataset = services.create_dataset(
        by=cast.liaison,
        organisation=tree.unit_a1,
        values=complete_values(
            title="",
            fieldDescription="year(年度、count(件數)",
            accrualPeriodicity="偶爾",
            categoryCode="",
        ),
        resources=[complete_resource(downloadURL="")],
    )
    events = AuditEvent.objects.count()
    with pytest.raises(MetadataIncomplete) as refused:
        services.submit_for_review(dataset, by=cast.liaison)
    problems = {p.key: p.message for p in refused.value.problems}
    assert set(problems) == {
        "title",
        "categoryCode",
        "fieldDescription",
        "accrualPeriodicity",
        "distribution[0].downloadURL",
    }
    # Plain Chinese, naming the field.
    assert problems["title"].startswith("資料集名稱：")
    assert "括號" in problems["fieldDescription"]
    assert "偶爾" in problems["accrualPeriodicity"]
    dataset.refresh_from_db()
    assert dataset.status == Status.DRAFT
    assert AuditEvent.objects.count() == events


def test_an_unknown_field_or_a_foreign_resource_is_refused(
    tree: Tree, cast: Cast, draft: Dataset
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.update_dataset(draft, by=cast.liaison, values={"status": "published"})
    assert "status" in refused.value.message_dict
    other = services.create_dataset(
        by=cast.liaison, organisation=tree.unit_a1, values={}, resources=[complete_resource()]
    )
    foreign_id = other.resources.get().resourceID
    with pytest.raises(ValidationError) as refused:
        services.update_dataset(
            draft, by=cast.liaison, values={}, resources=[{"resourceID": foreign_id}]
        )
    assert "distribution[0].resourceID" in refused.value.message_dict
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert other.resources.get().resourceID == foreign_id
    assert draft.resources.count() == 1


def test_a_bad_url_is_refused_beside_its_field(tree: Tree, cast: Cast, draft: Dataset) -> None:
    with pytest.raises(ValidationError) as refused:
        services.update_dataset(
            draft,
            by=cast.liaison,
            values={"title": "新名稱"},
            resources=[complete_resource(downloadURL="not a url")],
        )
    assert "distribution[0].downloadURL" in refused.value.message_dict
    draft.refresh_from_db()
    assert draft.title == "甲署業務統計"  # the whole edit was rolled back


def test_the_portal_body_uses_the_standards_keys_and_meets_the_portal_schema(
    walk_to: WalkTo,
) -> None:
    from steward.publishing.schema import validate_body

    dataset = walk_to(Status.SCHEDULED)
    body = published_metadata(dataset)
    assert validate_body(body) == []
    assert body["identifier"] == dataset.identifier
    assert body["temporalCoverageFrom"] == "2020-01-01"
    assert body["issued"] == "2026-05-29 00:00:00"
    assert body["keyword"] == ["統計", "案件"]
    assert body["distribution"][0]["resourceID"] == f"{dataset.identifier}-001"
    assert "costURL" not in body  # blank optional fields are left out, not sent empty


def test_a_record_reads_back_into_the_same_values(draft: Dataset) -> None:
    record = record_of(draft)
    values, resources = values_from_record(record)
    assert values["temporalCoverageFrom"] == datetime.date(2020, 1, 1)
    assert values["numberOfData"] == 120
    assert resources[0]["resourceID"] == f"{draft.identifier}-001"
    assert flatten(record)[f"distribution[{draft.identifier}-001].format"] == "CSV"


def test_a_dataset_already_on_the_portal_is_imported_as_published(
    tree: Tree, cast: Cast, draft: Dataset
) -> None:
    from steward.datasets.planning import due_for_publishing

    body = record_of(draft)
    body["identifier"] = "A17010000J-000500"
    body["issued"] = "2019-03-01 10:00:00"
    body["distribution"][0]["resourceID"] = "A17010000J-000500-001"
    imported = services.import_published(
        by=None, organisation=tree.unit_a1, metadata=body, portal_identifier="9001"
    )
    assert imported.status == Status.PUBLISHED
    assert imported.versions.get().metadata == record_of(imported)
    assert record_of(imported)["issued"] == "2019-03-01 10:00:00"
    assert list(due_for_publishing()) == []
    with pytest.raises(ValidationError):  # the same identifier again
        services.import_published(by=None, organisation=tree.unit_a1, metadata=body)
    with pytest.raises(PermissionDenied):  # a liaison does not publish
        services.import_published(
            by=cast.liaison,
            organisation=tree.unit_a1,
            metadata={**body, "identifier": "A17010000J-000501"},
        )
    assert Dataset.objects.count() == 2


def test_scheduled_datasets_fall_due_on_their_date(walk_to: WalkTo) -> None:
    from steward.datasets.planning import due_for_publishing

    dataset = walk_to(Status.SCHEDULED)  # scheduled for 2026-05-29
    assert list(due_for_publishing(datetime.date(2026, 5, 28))) == []
    assert list(due_for_publishing(datetime.date(2026, 5, 29))) == [dataset]
