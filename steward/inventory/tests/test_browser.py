"""Re-importing an edited inventory in Debian's Chromium: the preview, then the progress of a
background import polled by htmx until the page shows the result."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from steward.conftest import Cast, Tree
from steward.datasets.tests import test_browser as datasets_browser
from steward.inventory.models import ImportStatus, InventoryImport, InventoryItem
from steward.inventory.tests.test_roundtrip import edit_xlsx_with_openpyxl, exported, make_items
from steward.jobs.services import run_next

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Session = datasets_browser.Session
browser = datasets_browser.browser  # the fixture: Debian's Chromium through Playwright
SCREENSHOT = Path("/tmp/steward-inventory-import-preview.png")


def _worker(stop: threading.Event) -> None:
    """A worker beside the server, as `steward worker` would run."""
    while not stop.is_set():
        if run_next(worker="browser-test") is None:
            time.sleep(0.2)


def test_an_edited_export_is_previewed_then_imported_in_the_background(
    live_server: Any, browser: Any, tree: Tree, cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.STEWARD_INVENTORY_BACKGROUND_ROWS = 3
    make_items(tree)
    source = tmp_path / "盤點表.xlsx"
    source.write_bytes(edit_xlsx_with_openpyxl(exported("xlsx")))
    liaison = Session(browser, live_server.url, "liaison")
    page = liaison.go("/inventory/import/")
    assert page.locator("#id_organisation").get_attribute("required") is None
    page.set_input_files("#id_file", str(source))
    page.click("button[type=submit].primary")
    assert page.locator("#progress").is_visible()  # checking in the background

    stop = threading.Event()
    worker = threading.Thread(target=_worker, args=(stop,), daemon=True)
    worker.start()
    try:
        # htmx polls the progress and reloads the page when the preview is ready.
        page.wait_for_selector("#changed", timeout=30_000)
        changed = page.locator("#changed").inner_text()
        assert "碁盤路網（含巷道）" in changed and "依申請提供" in changed
        assert "職災統計" in page.locator("#added").inner_text()
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert InventoryItem.objects.get(identifier="0001").name == "碁盤路網"
        page.click("#summary button[type=submit]")
        page.wait_for_selector("p.status.ok", timeout=30_000)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert InventoryImport.objects.get().status == ImportStatus.APPLIED
    assert InventoryItem.objects.get(identifier="0001").name == "碁盤路網（含巷道）"
    assert InventoryItem.objects.count() == 5
    liaison.close()
