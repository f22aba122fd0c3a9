"""Exports in XLSX, ODS and CSV (UTF-8 with BOM, Big5) read back into the same items."""

from __future__ import annotations

import pytest

from steward.conftest import Cast, Tree
from steward.inventory.exporting import export_items
from steward.inventory.imports import import_items
from steward.inventory.models import Classification, InventoryItem, RestrictionReason
from steward.inventory.spreadsheets import ExportError
from steward.inventory.tests.helpers import open_item

COMPARED = [
    "identifier", "name", "description", "source", "classification", "restriction_reason",
    "legal_basis", "restriction_note", "gender_statistics", "priority_required_by_law",
    "priority_statutory_duty", "priority_high_demand", "planned_year", "planned_half", "status",
    "dataset_identifier", "organisation_id",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("english")


def _items(tree: Tree) -> None:
    open_item(tree.unit_a1, "A-1", name="碁盤路網", description="含銹蝕, 逗號與\n換行",
              gender_statistics=True, source="website", priority_high_demand=True,
              priority_required_by_law=True)  # fmt: skip
    open_item(tree.agency_a, "A-2", status="opened", dataset_identifier="A17010000J-000123",
              planned_half="H2", source="system_database")  # fmt: skip
    InventoryItem.objects.create(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="A-3", name="個資名冊",
        classification=Classification.NOT_PROVIDED, restriction_reason=RestrictionReason.PRIVACY,
        legal_basis="個人資料保護法", source="documents",
    )  # fmt: skip
    InventoryItem.objects.create(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="A-4", name="委外報告",
        classification=Classification.ON_REQUEST, restriction_reason=RestrictionReason.OTHER,
        restriction_note="契約限制",
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv", "csv-big5"])
def test_an_export_imports_back_into_the_same_items(tree: Tree, cast: Cast, fmt: str) -> None:
    _items(tree)
    items = InventoryItem.objects.order_by("identifier")
    before = list(items.values(*COMPARED))
    content, _type, extension = export_items(items, fmt)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
    if fmt == "csv-big5":
        assert "碁盤路網".encode("cp950") in content
    InventoryItem.objects.all().delete()
    result = import_items(f"export.{extension}", content, by=cast.liaison,
                          default_organisation=tree.unit_a1)  # fmt: skip
    # A-2 belongs to the agency itself, which the unit's liaison may not edit.
    assert [(p.row, p.column) for p in result.problems] == [(3, "單位")]
    superuser = cast.liaison
    superuser.is_superuser = True
    superuser.save()
    result = import_items(f"export.{extension}", content, by=superuser,
                          default_organisation=tree.unit_a1)  # fmt: skip
    assert result.ok, result.problems
    assert list(InventoryItem.objects.order_by("identifier").values(*COMPARED)) == before


def test_a_character_big5_cannot_hold_stops_the_big5_export_naming_row_and_column(
    tree: Tree,
) -> None:
    open_item(tree.unit_a1, "A-1")
    open_item(tree.unit_a1, "A-2", name="𠮟責紀錄")
    with pytest.raises(ExportError) as refused:
        export_items(InventoryItem.objects.order_by("identifier"), "csv-big5")
    assert "Row 3" in str(refused.value) and "資料名稱" in str(refused.value)
    content, _type, _ext = export_items(InventoryItem.objects.all(), "csv")
    assert "𠮟責紀錄".encode() in content
