"""Spreadsheet round trips: an export, edited in a spreadsheet program and imported again,
updates the items in place (matched by 盤點編號 within the agency), after a preview."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.inventory.changes import CellChange
from steward.inventory.exporting import export_items
from steward.inventory.imports import check_file, import_items
from steward.inventory.models import Classification, InventoryItem, RestrictionReason
from steward.inventory.tests.files import ods

pytestmark = pytest.mark.usefixtures("english")

FIELDS = [
    "pk", "identifier", "name", "description", "source", "classification",
    "restriction_reason", "legal_basis", "restriction_note", "gender_statistics",
    "priority_required_by_law", "priority_statutory_duty", "priority_high_demand",
    "planned_year", "planned_half", "status", "dataset_identifier", "organisation_id",
]  # fmt: skip


def make_items(tree: Tree) -> None:
    """Four items of unit A1 with every kind of value an export writes."""
    create = InventoryItem.objects.create
    unit = {"agency": tree.agency_a, "organisation": tree.unit_a1}
    create(**unit, identifier="0001", name="碁盤路網", description="含銹蝕, 逗號與\n換行",
           classification=Classification.OPEN, planned_year=2026, planned_half="H1",
           status="planned", source="website", gender_statistics=True,
           priority_required_by_law=True, priority_high_demand=True)  # fmt: skip
    create(**unit, identifier="0002", name="委外報告", classification=Classification.ON_REQUEST,
           restriction_reason=RestrictionReason.OTHER, restriction_note="契約限制")  # fmt: skip
    create(**unit, identifier="0003", name="個資名冊", classification=Classification.NOT_PROVIDED,
           restriction_reason=RestrictionReason.PRIVACY, legal_basis="個人資料保護法",
           source="documents")  # fmt: skip
    create(**unit, identifier="0004", name="失業給付統計", classification=Classification.OPEN,
           planned_year=2025, planned_half="H2", status="opened",
           dataset_identifier="A17010000J-000123")  # fmt: skip


def snapshot() -> list[dict[str, object]]:
    return list(InventoryItem.objects.order_by("agency_id", "identifier").values(*FIELDS))


def exported(fmt: str) -> bytes:
    content, _type, _extension = export_items(
        InventoryItem.objects.select_related("agency", "organisation").order_by("identifier"), fmt
    )
    return content


def xlsx_rows(data: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def edit_xlsx_with_openpyxl(data: bytes) -> bytes:
    """As a person would: rename 0001, open 0002 up, and add a row without a number."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    column = {name: headers.index(name) + 1 for name in headers}
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    sheet.cell(rows["0001"], column["資料名稱"]).value = "碁盤路網（含巷道）"
    sheet.cell(rows["0002"], column["開放類別"]).value = "開放資料"
    sheet.cell(rows["0002"], column["不開放理由"]).value = None
    sheet.cell(rows["0002"], column["預計開放時間"]).value = "116年下半年"
    sheet.cell(rows["0002"], column["狀態"]).value = None
    new_row: list[str | None] = [None] * len(headers)
    new_row[column["機關"] - 1] = "甲署"
    new_row[column["單位"] - 1] = "甲署綜合規劃組"
    new_row[column["資料名稱"] - 1] = "職災統計"
    new_row[column["開放類別"] - 1] = "開放資料"
    new_row[column["預計開放時間"] - 1] = "115年下半年"
    sheet.append(new_row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_edited_xlsx_export_previews_then_updates_the_items_in_place(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    before = {row["identifier"]: row for row in snapshot()}
    edited = edit_xlsx_with_openpyxl(exported("xlsx"))

    preview = check_file("盤點表.xlsx", edited, by=cast.liaison)  # no unit select needed
    assert preview.ok, preview.problems
    assert (preview.added_count, preview.changed_count, preview.unchanged_count) == (1, 2, 2)
    assert [(row.row, row.identifier) for row in preview.changed] == [(2, "0001"), (3, "0002")]
    assert preview.changed[0].cells == [CellChange("資料名稱", "碁盤路網", "碁盤路網（含巷道）")]
    assert preview.changed[1].cells == [
        CellChange("開放類別", "依申請提供", "開放資料"),
        CellChange("不開放理由", "其他", ""),
        CellChange("預計開放時間", "", "116年下半年"),
        CellChange("狀態", "已盤點", "預計開放"),
    ]
    assert [(row.row, row.name) for row in preview.added] == [(6, "職災統計")]
    assert snapshot() == list(before.values())  # the preview wrote nothing

    result = import_items("盤點表.xlsx", edited, by=cast.liaison)
    assert result.ok, result.problems
    after = {row["identifier"]: row for row in snapshot()}
    assert set(after) == {"0001", "0002", "0003", "0004", "0005"}
    assert after["0001"] == {**before["0001"], "name": "碁盤路網（含巷道）"}
    assert after["0002"]["pk"] == before["0002"]["pk"]
    assert (after["0002"]["classification"], after["0002"]["planned_year"]) == ("open", 2027)
    assert after["0002"]["restriction_note"] == "契約限制"
    assert after["0003"] == before["0003"] and after["0004"] == before["0004"]
    assert after["0005"]["name"] == "職災統計"
    assert after["0005"]["organisation_id"] == tree.unit_a1.pk
    event = AuditEvent.objects.get(action="inventory.import")
    assert event.changes["updated"] == 2 and event.changes["created"] == 1


def test_importing_the_same_file_twice_changes_nothing_the_second_time_and_says_so(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    edited = edit_xlsx_with_openpyxl(exported("xlsx"))
    assert import_items("盤點表.xlsx", edited, by=cast.liaison).ok
    after_first = snapshot()
    events = AuditEvent.objects.count()
    second = import_items("盤點表.xlsx", edited, by=cast.liaison)
    assert second.ok and second.changed_nothing
    assert (len(second.created), len(second.updated), second.unchanged) == (0, 0, 5)
    assert snapshot() == after_first
    assert AuditEvent.objects.count() == events
    with translation.override("zh-hant"):
        assert "沒有任何變更" in second.summary()


def test_an_ods_export_edited_with_odfpy_updates_in_place(tree: Tree, cast: Cast) -> None:
    make_items(tree)
    before = {row["identifier"]: row for row in snapshot()}
    rows = [list(row) for row in xlsx_rows(exported("ods"))]
    headers = rows[0]
    rows[3][headers.index("法令依據")] = "個人資料保護法第20條"
    # odfpy writes numbers as float cells, as a spreadsheet program keeps a typed year.
    rows.append(["", "甲署", "甲署綜合規劃組", "新資料", "", "", "不予提供", "國家安全",
                 "國家安全法", "", "否", "", "", "", ""])  # fmt: skip
    result = import_items("盤點表.ods", ods(rows), by=cast.liaison)
    assert result.ok, result.problems
    assert (len(result.created), len(result.updated), result.unchanged) == (1, 1, 3)
    after = {row["identifier"]: row for row in snapshot()}
    assert after["0003"] == {**before["0003"], "legal_basis": "個人資料保護法第20條"}
    assert after["0005"]["restriction_reason"] == "national_security"


@pytest.mark.parametrize(("fmt", "encoding"), [("csv", "utf-8-sig"), ("csv-big5", "cp950")])
def test_a_csv_export_edited_and_saved_in_the_same_encoding_updates_in_place(
    tree: Tree, cast: Cast, fmt: str, encoding: str
) -> None:
    make_items(tree)
    before = {row["identifier"]: row for row in snapshot()}
    text = exported(fmt).decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows[1][rows[0].index("性別統計")] = "否"
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    result = import_items("盤點表.csv", buffer.getvalue().encode(encoding), by=cast.liaison)
    assert result.ok, result.problems
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 1, 3)
    after = {row["identifier"]: row for row in snapshot()}
    assert after["0001"] == {**before["0001"], "gender_statistics": False}
    assert after["0001"]["description"] == "含銹蝕, 逗號與\n換行"


def test_a_sheet_with_fewer_columns_leaves_the_other_fields_as_they_are(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    before = {row["identifier"]: row for row in snapshot()}
    rows = [["盤點編號", "資料名稱", "開放類別", "預計開放時間"],
            ["0001", "碁盤路網", "開放資料", "116年上半年"]]  # fmt: skip
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    result = import_items("短表.csv", buffer.getvalue().encode(), by=cast.liaison,
                          default_organisation=tree.unit_a1)  # fmt: skip
    assert result.ok, result.problems
    after = {row["identifier"]: row for row in snapshot()}
    # Only the planned time changed; description, source, gender statistics … are kept.
    assert after["0001"] == {**before["0001"], "planned_year": 2027}


def test_items_missing_from_the_file_are_listed_and_removed_only_on_request(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    rows = [list(row) for row in xlsx_rows(exported("xlsx"))]
    without_0003 = [row for row in rows if row[0] != "0003"]
    data = ods(without_0003)
    preview = check_file("盤點表.ods", data, by=cast.liaison)
    assert [(row.identifier, row.name) for row in preview.missing] == [("0003", "個資名冊")]
    assert not preview.has_changes
    kept = import_items("盤點表.ods", data, by=cast.liaison)
    assert kept.ok and kept.changed_nothing and InventoryItem.objects.count() == 4
    preview = check_file("盤點表.ods", data, by=cast.liaison, remove_missing=True)
    assert preview.has_changes and preview.removed_count == 1
    removed = import_items("盤點表.ods", data, by=cast.liaison, remove_missing=True)
    assert removed.ok and removed.removed == 1
    assert sorted(InventoryItem.objects.values_list("identifier", flat=True)) == [
        "0001", "0002", "0004",
    ]  # fmt: skip


def test_items_another_unit_may_edit_are_never_listed_as_missing(tree: Tree, cast: Cast) -> None:
    make_items(tree)
    rows = [list(row) for row in xlsx_rows(exported("xlsx"))]
    InventoryItem.objects.create(
        agency=tree.agency_a, organisation=tree.agency_a, identifier="0009", name="署本部資料",
        classification=Classification.NOT_PROVIDED, restriction_reason="other",
        restriction_note="x",
    )  # fmt: skip
    preview = check_file("盤點表.ods", ods(rows), by=cast.liaison, remove_missing=True)
    assert preview.ok and preview.missing == []


# ---- through LibreOffice, as a real spreadsheet program writes the file ---------------------

SOFFICE = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (libreoffice-calc-nogui, scripts/system-deps) missing"
)


def through_libreoffice(data: bytes, name: str, tmp_path: Path, *, infilter: str = "") -> bytes:
    """`name` converted to XLSX by LibreOffice headless (a profile of its own per test)."""
    assert SOFFICE is not None
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / "out"
    command = [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", "xlsx", "--outdir", str(out), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    return (out / (source.stem + ".xlsx")).read_bytes()


@needs_libreoffice
def test_an_xlsx_saved_by_libreoffice_with_a_real_date_updates_in_place(
    tree: Tree, cast: Cast, tmp_path: Path
) -> None:
    make_items(tree)
    before = {row["identifier"]: row for row in snapshot()}
    workbook = load_workbook(io.BytesIO(exported("xlsx")))
    sheet = workbook.active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    # 0001's planned time typed as a date; 0002's explanation emptied.
    sheet.cell(2, headers.index("預計開放時間") + 1).value = datetime.datetime(2027, 9, 1)
    sheet.cell(3, headers.index("理由說明") + 1).value = ""
    sheet.cell(3, headers.index("法令依據") + 1).value = "政府資訊公開法第18條"
    buffer = io.BytesIO()
    workbook.save(buffer)
    saved = through_libreoffice(buffer.getvalue(), "盤點表.xlsx", tmp_path)
    cells = xlsx_rows(saved)
    assert isinstance(cells[1][headers.index("預計開放時間")], datetime.date)  # a real date
    result = import_items("盤點表.xlsx", saved, by=cast.liaison)
    assert result.ok, result.problems
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 2, 2)
    after = {row["identifier"]: row for row in snapshot()}
    assert after["0001"] == {**before["0001"], "planned_year": 2027, "planned_half": "H2"}
    assert after["0002"] == {
        **before["0002"], "restriction_note": "", "legal_basis": "政府資訊公開法第18條"
    }  # fmt: skip
    assert import_items("盤點表.xlsx", saved, by=cast.liaison).changed_nothing


@needs_libreoffice
def test_a_csv_export_opened_and_saved_as_xlsx_by_libreoffice_changes_nothing(
    tree: Tree, cast: Cast, tmp_path: Path
) -> None:
    """LibreOffice reads 0001 as the number 1 (written back as 1.0) and drops empty cells."""
    make_items(tree)
    before = snapshot()
    saved = through_libreoffice(exported("csv"), "盤點表.csv", tmp_path, infilter="CSV:44,34,76,1")
    assert xlsx_rows(saved)[1][0] == 1.0
    preview = check_file("盤點表.xlsx", saved, by=cast.liaison)
    assert preview.ok, preview.problems
    assert (preview.added_count, preview.changed_count, preview.unchanged_count) == (0, 0, 4)
    assert import_items("盤點表.xlsx", saved, by=cast.liaison).changed_nothing
    assert snapshot() == before
