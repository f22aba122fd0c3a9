"""The item's rules (clean), and creating and changing items through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.inventory.models import (
    AgencyInventory,
    Classification,
    InventoryItem,
    InventoryStatus,
    RestrictionReason,
)
from steward.inventory.services import TransitionRefused, create_item, update_item
from steward.inventory.tests.helpers import open_item


def errors_of(item: InventoryItem) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        item.full_clean()
    return set(caught.value.message_dict)


def test_an_open_item_needs_its_planned_year_and_half(tree: Tree) -> None:
    item = InventoryItem(agency=tree.agency_a, organisation=tree.unit_a1, identifier="1",
                         name="x", classification=Classification.OPEN)  # fmt: skip
    assert errors_of(item) == {"planned_year", "planned_half"}


@pytest.mark.parametrize(
    ("reason", "legal_basis", "note", "missing"),
    [
        ("", "", "", "restriction_reason"),
        (RestrictionReason.LEGAL, "", "", "legal_basis"),
        (RestrictionReason.PRIVACY, "", "寫了說明也不夠", "legal_basis"),
        (RestrictionReason.NATIONAL_SECURITY, "", "", "legal_basis"),
        (RestrictionReason.THIRD_PARTY, "", "", "restriction_note"),
        (RestrictionReason.SENSITIVE, "", "", "restriction_note"),
        (RestrictionReason.OTHER, "", "", "restriction_note"),
    ],
)
def test_an_item_that_is_not_open_needs_a_reason_and_its_basis(
    tree: Tree, reason: str, legal_basis: str, note: str, missing: str
) -> None:
    item = InventoryItem(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="1", name="x",
        classification=Classification.NOT_PROVIDED, restriction_reason=reason,
        legal_basis=legal_basis, restriction_note=note,
    )  # fmt: skip
    assert errors_of(item) == {missing}


@pytest.mark.parametrize(
    ("reason", "legal_basis", "note"),
    [
        (RestrictionReason.LEGAL, "檔案法第18條", ""),
        (RestrictionReason.THIRD_PARTY, "", "廠商提供之資料，未取得授權"),
        (RestrictionReason.SENSITIVE, "政府資訊公開法第18條", ""),
    ],
)
def test_a_not_open_item_with_its_reason_and_basis_is_valid(
    tree: Tree, reason: str, legal_basis: str, note: str
) -> None:
    InventoryItem(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="1", name="x",
        classification=Classification.ON_REQUEST, restriction_reason=reason,
        legal_basis=legal_basis, restriction_note=note,
    ).full_clean()  # fmt: skip


def test_an_open_item_carries_no_restriction_reason_and_only_open_items_become_datasets(
    tree: Tree,
) -> None:
    item = InventoryItem(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="1", name="x",
        classification=Classification.OPEN, planned_year=2026, planned_half="H1",
        restriction_reason=RestrictionReason.OTHER,
    )  # fmt: skip
    assert errors_of(item) == {"restriction_reason"}
    closed = InventoryItem(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="2", name="y",
        classification=Classification.NOT_PROVIDED, restriction_reason="other",
        restriction_note="z", dataset_identifier="A17010000J-000001",
    )  # fmt: skip
    assert errors_of(closed) == {"dataset_identifier"}


def test_a_unit_must_belong_to_the_items_agency(tree: Tree) -> None:
    item = InventoryItem(
        agency=tree.agency_a, organisation=tree.unit_b1, identifier="1", name="x",
        classification=Classification.OPEN, planned_year=2026, planned_half="H1",
    )  # fmt: skip
    assert errors_of(item) == {"organisation"}


def test_the_liaison_adds_an_item_which_is_numbered_and_audited(tree: Tree, cast: Cast) -> None:
    item = create_item(
        by=cast.liaison,
        organisation=tree.unit_a1,
        data={"name": "就業市場統計", "classification": "open", "planned_year": 2026,
              "planned_half": "H2", "gender_statistics": True},
    )  # fmt: skip
    assert item.agency == tree.agency_a and item.identifier == "0001"
    assert item.planned_label == "115年下半年"
    event = AuditEvent.objects.get(action="inventory.item.create")
    assert event.actor == cast.liaison and event.changes["name"]["to"] == "就業市場統計"


def test_item_numbers_are_unique_within_an_agency_but_not_across(tree: Tree, cast: Cast) -> None:
    open_item(tree.unit_a1, "X-1")
    with pytest.raises(ValidationError):
        create_item(by=cast.liaison, organisation=tree.unit_a1,
                    data={"identifier": "X-1", "name": "重複", "classification": "open",
                          "planned_year": 2026, "planned_half": "H1"})  # fmt: skip
    create_item(by=cast.other_liaison, organisation=tree.unit_b1,
                data={"identifier": "X-1", "name": "乙局的", "classification": "open",
                      "planned_year": 2026, "planned_half": "H1"})  # fmt: skip
    assert InventoryItem.objects.filter(identifier="X-1").count() == 2


@pytest.mark.parametrize("who", ["other_liaison", "reviewer", "centre", "cio", "auditor",
                                 "outsider"])  # fmt: skip
def test_only_the_liaison_of_the_unit_may_edit_its_items(tree: Tree, cast: Cast, who: str) -> None:
    item = open_item(tree.unit_a1, "1")
    with pytest.raises(PermissionDenied):
        update_item(item, by=getattr(cast, who), data={"name": "改"})
    with pytest.raises(PermissionDenied):
        create_item(by=getattr(cast, who), organisation=tree.unit_a1, data={"name": "新"})
    item.refresh_from_db()
    assert item.name == "資料1" and InventoryItem.objects.count() == 1


def test_an_invalid_change_leaves_the_item_as_it_was(tree: Tree, cast: Cast) -> None:
    item = open_item(tree.unit_a1, "1")
    with pytest.raises(ValidationError):
        update_item(item, by=cast.liaison, data={"name": "改名", "planned_year": None})
    item.refresh_from_db()
    assert item.name == "資料1" and item.planned_year == 2026
    assert not AuditEvent.objects.filter(action="inventory.item.update").exists()


@pytest.mark.parametrize("state", [InventoryStatus.SUBMITTED, InventoryStatus.COMPILED])
def test_items_of_a_submitted_inventory_cannot_change_until_it_is_returned(
    tree: Tree, cast: Cast, state: str
) -> None:
    item = open_item(tree.unit_a1, "1")
    inventory = AgencyInventory.objects.create(agency=tree.agency_a, year=2026, status=state)
    with pytest.raises(TransitionRefused):
        update_item(item, by=cast.liaison, data={"name": "改"})
    with pytest.raises(TransitionRefused):
        create_item(by=cast.liaison, organisation=tree.unit_a1,
                    data={"name": "新", "classification": "open", "planned_year": 2026,
                          "planned_half": "H1"})  # fmt: skip
    item.refresh_from_db()
    assert item.name == "資料1" and InventoryItem.objects.count() == 1
    inventory.status = InventoryStatus.RETURNED
    inventory.save()
    update_item(item, by=cast.liaison, data={"name": "改"})
    item.refresh_from_db()
    assert item.name == "改"


def test_an_item_is_linked_to_the_dataset_its_identifier_names(tree: Tree, cast: Cast) -> None:
    from steward.datasets.models import Dataset

    dataset = Dataset.objects.create(organisation=tree.unit_a1, identifier="A17010000J-000042")
    item = create_item(
        by=cast.liaison,
        organisation=tree.unit_a1,
        data={"name": "統計", "classification": "open", "planned_year": 2026,
              "planned_half": "H1", "status": "opened",
              "dataset_identifier": "A17010000J-000042"},
    )  # fmt: skip
    assert item.dataset == dataset and item.is_opened
    update_item(item, by=cast.liaison, data={"dataset_identifier": "", "status": "planned"})
    item.refresh_from_db()
    assert item.dataset is None and not item.is_opened
