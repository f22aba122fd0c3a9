"""The import page: preview before saving, confirmation, stale previews, the unit select only
when needed, large files in a background job with progress, and `--check` on the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, Tree
from steward.inventory.models import ImportStatus, InventoryImport, InventoryItem
from steward.inventory.tests.files import xlsx
from steward.inventory.tests.test_roundtrip import (
    edit_xlsx_with_openpyxl,
    exported,
    make_items,
    snapshot,
)
from steward.jobs.models import Job, JobStatus
from steward.jobs.services import run_next
from steward.organisations.models import Person

pytestmark = pytest.mark.usefixtures("english")


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def upload(client: Client, data: bytes, name: str = "盤點表.xlsx", **fields: object) -> str:
    """Post the file; returns the token of the stored import the page redirects to."""
    file = io.BytesIO(data)
    file.name = name
    response = client.post(reverse("inventory:import"), {"file": file, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"]).rstrip("/").split("/")[-1]


def test_the_page_previews_each_changed_cell_and_confirming_applies_it(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    before = snapshot()
    client = client_for(cast.liaison)
    token = upload(client, edit_xlsx_with_openpyxl(exported("xlsx")))
    assert snapshot() == before  # nothing saved yet
    page = client.get(reverse("inventory:import_detail", args=[token]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "<del>碁盤路網</del>" in text and "<ins>碁盤路網（含巷道）</ins>" in text
    assert "<del>依申請提供</del>" in text and "<ins>開放資料</ins>" in text
    assert "職災統計" in text
    assert page.context["preview"].unchanged_count == 2
    response = client.post(reverse("inventory:import_confirm", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("inventory:index")
    assert InventoryItem.objects.get(identifier="0001").name == "碁盤路網（含巷道）"
    assert InventoryItem.objects.count() == 5
    # A second confirmation of the same preview does nothing more.
    client.post(reverse("inventory:import_confirm", args=[token]))
    assert InventoryItem.objects.count() == 5


def test_a_preview_made_stale_by_an_edit_meanwhile_is_refused_and_nothing_is_written(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    client = client_for(cast.liaison)
    token = upload(client, edit_xlsx_with_openpyxl(exported("xlsx")))
    InventoryItem.objects.filter(identifier="0003").update(legal_basis="別人剛改的依據")
    before = snapshot()
    response = client.post(reverse("inventory:import_confirm", args=[token]), follow=True)
    assert "預覽之後盤點表已有變動" in response.content.decode()
    assert snapshot() == before
    assert InventoryImport.objects.get(token=token).status == ImportStatus.REFUSED


def test_importing_the_same_file_again_on_the_page_says_there_is_nothing_to_change(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    client = client_for(cast.liaison)
    token = upload(client, exported("xlsx"))
    page = client.get(reverse("inventory:import_detail", args=[token]))
    assert 'id="no-changes"' in page.content.decode()
    assert reverse("inventory:import_confirm", args=[token]) not in page.content.decode()


def test_somebody_elses_import_is_not_found(tree: Tree, cast: Cast) -> None:
    make_items(tree)
    token = upload(client_for(cast.liaison), exported("xlsx"))
    other = client_for(cast.reviewer)
    assert other.get(reverse("inventory:import_detail", args=[token])).status_code == 404
    assert other.post(reverse("inventory:import_confirm", args=[token])).status_code == 404


def test_the_unit_select_is_asked_for_only_when_a_new_row_names_no_unit(
    tree: Tree, cast: Cast
) -> None:
    client = client_for(cast.liaison)
    with_units = xlsx([["資料名稱", "開放類別", "預計開放時間", "單位"],
                       ["甲", "開放", "115年上半年", "甲署綜合規劃組"]])  # fmt: skip
    token = upload(client, with_units)
    assert InventoryImport.objects.get(token=token).status == ImportStatus.READY
    without = xlsx([["資料名稱", "開放類別", "預計開放時間"], ["乙", "開放", "115年上半年"]])
    token = upload(client, without)
    page = client.get(reverse("inventory:import_detail", args=[token]))
    assert page.status_code == 400 and page.context["preview"].needs_unit
    assert 'name="organisation"' in page.content.decode()
    # Choosing the unit checks the same stored file again; no second upload.
    client.post(reverse("inventory:import_detail", args=[token]), {"organisation": tree.unit_a1.pk})
    stored = InventoryImport.objects.get(token=token)
    assert stored.status == ImportStatus.READY and stored.preview["added_count"] == 1
    client.post(reverse("inventory:import_confirm", args=[token]))
    assert InventoryItem.objects.get().organisation == tree.unit_a1


def test_a_large_file_is_checked_and_imported_by_the_worker_with_progress(
    tree: Tree, cast: Cast, settings: object
) -> None:
    settings.STEWARD_INVENTORY_BACKGROUND_ROWS = 3  # type: ignore[attr-defined]
    make_items(tree)
    client = client_for(cast.liaison)
    token = upload(client, edit_xlsx_with_openpyxl(exported("xlsx")))
    stored = InventoryImport.objects.get(token=token)
    assert stored.in_background and stored.status == ImportStatus.CHECKING
    page = client.get(reverse("inventory:import_detail", args=[token])).content.decode()
    progress_url = reverse("inventory:import_progress", args=[token])
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 1s"' in page
    polled = client.get(progress_url)
    assert polled.status_code == 200 and "HX-Refresh" not in polled

    assert run_next(worker="test") is not None  # inventory.check_import
    assert client.get(progress_url)["HX-Refresh"] == "true"
    stored.refresh_from_db()
    assert stored.status == ImportStatus.READY and stored.preview["changed_count"] == 2

    client.post(reverse("inventory:import_confirm", args=[token]))
    stored.refresh_from_db()
    assert stored.status == ImportStatus.APPLYING
    assert InventoryItem.objects.count() == 4  # not in the request
    job = run_next(worker="test")
    assert job is not None and job.status == JobStatus.DONE
    stored.refresh_from_db()
    assert stored.status == ImportStatus.APPLIED
    assert (stored.progress_done, stored.progress_total) == (stored.row_count, stored.row_count)
    assert InventoryItem.objects.get(identifier="0001").name == "碁盤路網（含巷道）"
    assert not Job.objects.exclude(status=JobStatus.DONE).exists()


def test_the_command_check_prints_the_preview_and_changes_nothing(
    tree: Tree, cast: Cast, tmp_path: Path
) -> None:
    make_items(tree)
    source = tmp_path / "盤點表.xlsx"
    source.write_bytes(edit_xlsx_with_openpyxl(exported("xlsx")))
    before = snapshot()
    out = io.StringIO()
    call_command("inventory", "import", str(source), "--as", "liaison", "--check", stdout=out)
    text = out.getvalue()
    assert "1 added, 2 changed, 2 unchanged" in text
    assert "資料名稱: 碁盤路網 → 碁盤路網（含巷道）" in text
    assert snapshot() == before
    call_command("inventory", "import", str(source), "--as", "liaison", stdout=out)
    again = io.StringIO()
    call_command("inventory", "import", str(source), "--as", "liaison", stdout=again)
    assert "no changes" in again.getvalue()


def test_a_file_still_being_checked_is_not_checked_twice(
    tree: Tree, cast: Cast, settings: object
) -> None:
    settings.STEWARD_INVENTORY_BACKGROUND_ROWS = 3  # type: ignore[attr-defined]
    make_items(tree)
    client = client_for(cast.liaison)
    token = upload(client, exported("xlsx"))
    response = client.post(
        reverse("inventory:import_detail", args=[token]),
        {"organisation": tree.unit_a1.pk},
        follow=True,
    )
    assert "仍在檢查中" in response.content.decode()
    assert Job.objects.filter(kind="inventory.check_import").count() == 1
