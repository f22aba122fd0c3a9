"""The `inventory` command: check, import, export and targets from the shell."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from steward.conftest import Cast, Tree
from steward.inventory.models import InventoryItem
from steward.inventory.tests.files import csv_bytes
from steward.inventory.tests.helpers import open_item

pytestmark = pytest.mark.usefixtures("english")


def test_the_command_imports_and_exports_big5(tree: Tree, cast: Cast, tmp_path: Path) -> None:
    source = tmp_path / "盤點.csv"
    source.write_bytes(csv_bytes([["資料名稱", "開放類別", "開放期程"], ["碁盤", "開放", "115/1"]],
                                 "cp950"))  # fmt: skip
    out = io.StringIO()
    call_command("inventory", "check", str(source), "--as", "liaison", "--to", "t-unit-a1",
                 stdout=out)  # fmt: skip
    assert "1 added, 0 changed" in out.getvalue() and not InventoryItem.objects.exists()
    call_command("inventory", "import", str(source), "--as", "liaison", "--to", "t-unit-a1",
                 stdout=out)  # fmt: skip
    assert InventoryItem.objects.get().name == "碁盤"
    target = tmp_path / "out.csv"
    call_command("inventory", "export", "--format", "csv-big5", "-o", str(target), stdout=out)
    assert "碁盤".encode("cp950") in target.read_bytes()


def test_the_command_fails_listing_every_problem(tree: Tree, cast: Cast, tmp_path: Path) -> None:
    open_item(tree.unit_a1, "1")
    source = tmp_path / "bad.csv"
    source.write_bytes(csv_bytes([["盤點編號", "資料名稱", "開放類別"], ["2", "沒有期程", "開放"]],
                                 "utf-8-sig"))  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("inventory", "import", str(source), "--as", "liaison", "--to", "t-unit-a1",
                     stderr=err)  # fmt: skip
    assert "bad.csv › row 2 › 預計開放時間" in err.getvalue()
    assert InventoryItem.objects.count() == 1
