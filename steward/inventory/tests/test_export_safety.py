"""Exports are safe to open: a cell that looks like a formula is written as text, in every
format, and reads back (our import, openpyxl, LibreOffice) as the text that was stored."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from steward.conftest import Cast, Tree
from steward.inventory.exporting import export_items
from steward.inventory.imports import import_items
from steward.inventory.models import Classification, InventoryItem, RestrictionReason
from steward.inventory.tests.helpers import open_item

HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"
AT = "@SUM(1+1)"
TELEPHONE = "+886-2-1234-5678"
NEGATIVE = "-3.5"
QUOTED = "'=委外報告"  # a quote typed before a formula is the value's own, and survives

pytestmark = pytest.mark.usefixtures("english")


def _hostile_items(tree: Tree) -> None:
    open_item(tree.unit_a1, "A-1", name=HYPERLINK, description=DDE)
    InventoryItem.objects.create(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="A-2", name=QUOTED,
        classification=Classification.ON_REQUEST, restriction_reason=RestrictionReason.OTHER,
        restriction_note=TELEPHONE, description=NEGATIVE, legal_basis=AT,
    )  # fmt: skip


def _items() -> list[InventoryItem]:
    return list(InventoryItem.objects.select_related("agency", "organisation").order_by("pk"))


def _libreoffice(*args: str, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; scripts/system-deps installs it")
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", *args],
        check=True,
        capture_output=True,
        timeout=180,
    )


def test_xlsx_cells_are_text_never_formulas(tree: Tree) -> None:
    _hostile_items(tree)
    content, _type, _ext = export_items(_items(), "xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row}
    for value in (HYPERLINK, DDE, AT, TELEPHONE, NEGATIVE):
        assert cells[value].data_type == "s", value
    assert all(cell.data_type != "f" for cell in cells.values())
    # Excel and LibreOffice keep the cell text when somebody edits it.
    assert cells[HYPERLINK].quotePrefix and cells[DDE].quotePrefix


@pytest.mark.parametrize("fmt", ["csv", "csv-big5"])
def test_csv_puts_a_quote_before_formulas_but_not_before_numbers_or_telephones(
    tree: Tree, fmt: str
) -> None:
    _hostile_items(tree)
    content, _type, _ext = export_items(_items(), fmt)
    text = content.decode("utf-8-sig" if fmt == "csv" else "cp950")
    cells = {cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row}
    assert {"'" + HYPERLINK, "'" + DDE, "'" + AT, TELEPHONE, NEGATIVE} <= cells
    assert not {HYPERLINK, DDE, AT} & cells


def test_libreoffice_opens_every_export_with_the_cells_as_text(
    tree: Tree, cast: Cast, tmp_path: Path
) -> None:
    _hostile_items(tree)
    for fmt, name in [("xlsx", "x.xlsx"), ("ods", "o.ods")]:
        (tmp_path / name).write_bytes(export_items(_items(), fmt)[0])
    (tmp_path / "c.csv").write_bytes(export_items(_items(), "csv")[0])
    # The control: LibreOffice runs an unescaped cell of a CSV as a formula.
    (tmp_path / "control.csv").write_bytes(b"a,b\r\n=1+1,x\r\n")
    out = tmp_path / "out"
    _libreoffice("--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
                 str(out), str(tmp_path / "x.xlsx"), str(tmp_path / "o.ods"),
                 tmp_path=tmp_path)  # fmt: skip
    for converted in ("x.csv", "o.csv"):
        text = (out / converted).read_text(encoding="utf-8")
        cells = {cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row}
        # A formula would have been calculated: "y" for the link, an error for the command.
        assert {HYPERLINK, DDE, AT, TELEPHONE, NEGATIVE} <= cells, converted
    # The CSV as a person opens it: LibreOffice reads it into a workbook without formulas.
    _libreoffice("--infilter=CSV:44,34,76", "--convert-to", "xlsx", "--outdir", str(out),
                 str(tmp_path / "c.csv"), str(tmp_path / "control.csv"),
                 tmp_path=tmp_path)  # fmt: skip
    control = load_workbook(out / "control.xlsx").active
    assert control is not None and control["A2"].data_type == "f"
    sheet = load_workbook(out / "c.xlsx").active
    assert sheet is not None
    by_value = {cell.value: cell for row in sheet.iter_rows() for cell in row}
    assert all(cell.data_type != "f" for cell in by_value.values())
    for value in (HYPERLINK, DDE, AT):
        assert by_value["'" + value].data_type == "s"
    assert by_value[TELEPHONE].data_type == "s"
    assert by_value[-3.5].data_type == "n"  # a negative number stays a number
    # Saved by LibreOffice as XLSX, the CSV export still imports to the same values.
    fields = ["identifier", "name", "description", "legal_basis", "restriction_note"]
    before = list(InventoryItem.objects.order_by("identifier").values(*fields))
    InventoryItem.objects.all().delete()
    cast.liaison.is_superuser = True
    cast.liaison.save()
    result = import_items("c.xlsx", (out / "c.xlsx").read_bytes(), by=cast.liaison,
                          default_organisation=tree.unit_a1)  # fmt: skip
    assert result.ok, result.problems
    assert list(InventoryItem.objects.order_by("identifier").values(*fields)) == before


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv", "csv-big5"])
def test_an_export_with_formula_like_cells_imports_back_to_the_same_values_with_warnings(
    tree: Tree, cast: Cast, fmt: str
) -> None:
    _hostile_items(tree)
    fields = ["identifier", "name", "description", "legal_basis", "restriction_note"]
    before = list(InventoryItem.objects.order_by("identifier").values(*fields))
    content, _type, extension = export_items(_items(), fmt)
    InventoryItem.objects.all().delete()
    cast.liaison.is_superuser = True
    cast.liaison.save()
    result = import_items(f"export.{extension}", content, by=cast.liaison,
                          default_organisation=tree.unit_a1)  # fmt: skip
    assert result.ok, result.problems
    assert list(InventoryItem.objects.order_by("identifier").values(*fields)) == before
    assert [(w.file, w.row, w.column) for w in result.warnings] == [
        (f"export.{extension}", 2, "資料名稱"),
        (f"export.{extension}", 2, "資料說明"),
        (f"export.{extension}", 3, "法令依據"),
    ]
    assert "formula" in result.warnings[0].reason


def test_the_import_page_lists_formula_like_cells_with_file_row_and_column(
    client: Client, tree: Tree, cast: Cast
) -> None:
    _hostile_items(tree)
    content, _type, _ext = export_items(_items()[:1], "csv")
    InventoryItem.objects.all().delete()
    client.force_login(cast.liaison)
    upload = SimpleUploadedFile("hostile.csv", content, content_type="text/csv")
    response = client.post(
        reverse("inventory:import"), {"organisation": tree.unit_a1.pk, "file": upload}, follow=True
    )
    assert response.status_code == 200
    # the preview lists them before anything is saved ...
    page = response.content.decode()
    reason = (
        "此儲存格開頭像公式（=、+、-、@）；系統以文字保存，匯出時前面加上單引號，試算表不會執行它。"
    )
    section = page[page.index('id="warnings"') :]
    assert f"hostile.csv › 第 2 列 › 資料名稱: {reason}" in section
    assert f"hostile.csv › 第 2 列 › 資料說明: {reason}" in section
    # ... and confirming imports the cells as the text they are
    client.post(response.redirect_chain[-1][0].rstrip("/") + "/confirm/")
    assert InventoryItem.objects.get().name == HYPERLINK
