"""Background jobs of the inventory: checking and applying a large spreadsheet import.

`inventory.check_import` builds the preview of a stored upload (`InventoryImport`);
`inventory.apply_import` applies it after the person confirmed. Both update the upload's
progress, which the import page polls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from steward.inventory.models import ImportStatus, InventoryImport
from steward.jobs.registry import job


def _run(payload: dict[str, Any], step: Callable[[InventoryImport], InventoryImport],
         failed: str) -> dict[str, Any]:  # fmt: skip
    upload = InventoryImport.objects.get(pk=payload["import"])
    try:
        upload = step(upload)
    except Exception:
        # Never leave the page polling for ever: the import ends, nothing was written.
        InventoryImport.objects.filter(pk=upload.pk).update(
            status=failed,
            message=gettext("The import stopped on an unexpected error; nothing was imported."),
            finished_at=timezone.now(),
        )
        raise
    return {"status": upload.status}


@job("inventory.check_import")
def check_import_job(payload: dict[str, Any]) -> dict[str, Any]:
    from steward.inventory.imports import run_check

    return _run(payload, run_check, ImportStatus.PROBLEMS)


@job("inventory.apply_import")
def apply_import_job(payload: dict[str, Any]) -> dict[str, Any]:
    from steward.inventory.imports import run_apply

    return _run(payload, run_apply, ImportStatus.REFUSED)
