"""Importing an inventory spreadsheet (盤點表): preview first, then apply exactly that.

An export edited in a spreadsheet program and imported again updates the items in place,
matched by 盤點編號 within the agency; rows without a number, or with a new one, add items;
items the file does not name are removed only when asked (`remove_missing`). Importing the
same file twice changes nothing the second time.

* `check_file` — the preview (`changes.ImportPreview`); reads, never writes.
* `import_items` — one transaction: check again with the items locked, refuse if the result
  is not the preview the person confirmed (`expected_digest`), then add, update, remove and
  write one audit event. All or nothing.
* `start_import` / `run_check` / `confirm_import` / `run_apply` — the page's flow: the file is
  kept server-side (`InventoryImport`) under a token between preview and confirmation, and a
  file of more than `STEWARD_INVENTORY_BACKGROUND_ROWS` rows is checked and applied by a
  background job (`tasks.py`) whose progress the page polls.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.inventory.changes import (
    ImportPreview,
    changed_fields,
    preview,
)
from steward.inventory.importing import ImportCheck, Progress, check_import
from steward.inventory.models import ImportStatus, InventoryImport, InventoryItem
from steward.inventory.services import (
    TransitionRefused,
    _link_datasets,
    _next_free,
    _refuse_if_locked,
)
from steward.inventory.spreadsheets import Problem, count_rows
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require

#: Rows written per statement.
BATCH = 500
#: Changed items whose cell diffs the audit event keeps in full.
AUDITED_CHANGES = 1_000
#: Uploads kept for a preview nobody confirmed are deleted after this long.
KEEP_UNCONFIRMED = datetime.timedelta(days=7)


def background_rows() -> int:
    """Files with more data rows than this are checked and applied by a background job."""
    return int(settings.STEWARD_INVENTORY_BACKGROUND_ROWS)


@dataclass
class ImportResult:
    """What an import did, or every problem (and then nothing was written)."""

    file: str
    created: list[InventoryItem] = field(default_factory=list)
    updated: list[InventoryItem] = field(default_factory=list)
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    preview: ImportPreview | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed_nothing(self) -> bool:
        return self.ok and not (self.created or self.updated or self.removed)

    @property
    def warnings(self) -> list[Problem]:
        """Formula-like cells of the file, imported as text (see lib/cells.py)."""
        return self.preview.warnings if self.preview is not None else []

    def summary(self) -> str:
        """One line for people: what the import did (「沒有任何變更」 when nothing)."""
        if self.changed_nothing:
            return _("%(file)s: no changes (%(count)d items already as in the file).") % {
                "file": self.file,
                "count": self.unchanged,
            }
        return _(
            "%(file)s: %(added)d added, %(changed)d changed, %(unchanged)d unchanged,"
            " %(removed)d removed."
        ) % {
            "file": self.file,
            "added": len(self.created),
            "changed": len(self.updated),
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


def _no_rows(name: str, sheet: str) -> Problem:
    return Problem(name, _("The file has no rows to import."), sheet=sheet)


def check_file(
    name: str,
    data: bytes,
    *,
    by: Person,
    default_organisation: Organisation | None = None,
    remove_missing: bool = False,
    progress: Progress | None = None,
) -> ImportPreview:
    """What importing the file would change (or every problem); nothing is written."""
    if default_organisation is not None:
        require(by, Action.INVENTORY_EDIT, default_organisation)
    check = check_import(
        name, data, by=by, default_organisation=default_organisation, progress=progress
    )
    result = preview(check, remove_missing=remove_missing)
    if result.ok and not check.rows:
        result.problems.append(_no_rows(name, check.sheet))
    return result


def import_items(
    name: str,
    data: bytes,
    *,
    by: Person,
    default_organisation: Organisation | None = None,
    remove_missing: bool = False,
    expected_digest: str | None = None,
    subject: Model | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a spreadsheet into the inventory: every row or none.

    With `expected_digest` (the preview's), the import is refused unless it would write
    exactly what that preview showed. New rows without agency or unit go to
    `default_organisation`. Problems are returned, all of them, with file/sheet/row/column.
    """
    if default_organisation is not None:
        require(by, Action.INVENTORY_EDIT, default_organisation)
    result = ImportResult(name)
    try:
        with transaction.atomic():
            check = check_import(
                name,
                data,
                by=by,
                default_organisation=default_organisation,
                lock=True,
                progress=progress,
            )
            planned = preview(check, remove_missing=remove_missing)
            result.preview = planned
            result.problems = list(planned.problems)
            if planned.ok and not check.rows:
                result.problems.append(_no_rows(name, check.sheet))
            if not result.ok:
                return result
            if expected_digest is not None and planned.digest != expected_digest:
                result.problems.append(
                    Problem(
                        name,
                        _(
                            "The inventory changed after the preview (items were edited, added"
                            " or removed meanwhile), so the file would no longer do what the"
                            " preview showed. Nothing was imported; check the file again."
                        ),
                    )
                )
                return result
            result.unchanged = planned.unchanged_count
            if not planned.has_changes:
                return result
            _write(check, planned, result, by=by, subject=subject or default_organisation)
    except IntegrityError:
        result.created, result.updated, result.removed = [], [], 0
        result.problems.append(
            Problem(
                name,
                _(
                    "Somebody added items with the same numbers while the file was being"
                    " imported; nothing was imported. Try again."
                ),
            )
        )
    except TransitionRefused as refused:
        result.created, result.updated, result.removed = [], [], 0
        result.problems.append(Problem(name, " ".join(refused.messages)))
    return result


def _write(
    check: ImportCheck,
    planned: ImportPreview,
    result: ImportResult,
    *,
    by: Person,
    subject: Model | None,
) -> None:
    agencies = {row.item.agency.pk: row.item.agency for row in check.rows}
    for agency in agencies.values():
        _refuse_if_locked(agency)
    added = [row.item for row in check.rows if row.existing is None]
    updated = [
        (row.existing, row.item)
        for row in check.rows
        if row.existing is not None and changed_fields(row.existing, row.item)
    ]
    _number_new_items(added)
    _link_datasets(added + [item for _before, item in updated])
    result.created = InventoryItem.objects.bulk_create(added, batch_size=BATCH)
    now = timezone.now()
    fields: set[str] = {"updated_by", "updated_at", "dataset"}
    for before, item in updated:
        item.updated_at = now
        fields |= {name.removesuffix("_id") for name in changed_fields(before, item)}
    InventoryItem.objects.bulk_update(
        [item for _before, item in updated], sorted(fields), batch_size=BATCH
    )
    result.updated = [item for _before, item in updated]
    if planned.remove_missing and check.missing:
        pks = [item.pk for item in check.missing]
        for start in range(0, len(pks), BATCH):
            InventoryItem.objects.filter(pk__in=pks[start : start + BATCH]).delete()
        result.removed = len(pks)
    anchor = subject or next(iter(agencies.values()))
    record(
        actor=by,
        action="inventory.import",
        subject=anchor,
        organisation=anchor if isinstance(anchor, Organisation) else None,
        comment=check.file,
        changes={
            "file": check.file,
            "sheet": check.sheet,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.unchanged,
            "removed": result.removed,
            "added_items": [item.identifier for item in result.created][:AUDITED_CHANGES],
            "changed_items": {
                f"{row.agency} {row.identifier}": [
                    {"column": c.column, "from": c.old, "to": c.new} for c in row.cells
                ]
                for row in planned.changed[:AUDITED_CHANGES]
            },
            "removed_items": [f"{item.agency.name} {item.identifier}" for item in check.missing][
                :AUDITED_CHANGES
            ]
            if result.removed
            else [],
        },
    )


def _number_new_items(added: list[InventoryItem]) -> None:
    """Give the next free numbers (0001, 0002 …) to new rows that bring none."""
    in_file: dict[int, set[str]] = {}
    for item in added:
        in_file.setdefault(item.agency_id, set()).add(item.identifier)
    taken: dict[int, set[str]] = {}
    counter: dict[int, int] = {}
    for item in added:
        if item.identifier:
            continue
        pk = item.agency_id
        if pk not in taken:
            existing = set(
                InventoryItem.objects.filter(agency=pk).values_list("identifier", flat=True)
            )
            taken[pk] = in_file[pk] | existing
            counter[pk] = len(existing) + 1
        item.identifier = _next_free(counter[pk], taken[pk])
        taken[pk].add(item.identifier)
        counter[pk] = int(item.identifier) + 1


# ---- the page's flow: a stored file, a preview, a confirmation ---------------------------


def start_import(
    name: str,
    data: bytes,
    *,
    by: Person,
    default_organisation: Organisation | None,
    remove_missing: bool,
) -> InventoryImport:
    """Keep the upload and check it: here when small, in a background job when large."""
    if default_organisation is not None:
        require(by, Action.INVENTORY_EDIT, default_organisation)
    # Uploads nobody confirmed (or imported long ago) need not be kept.
    InventoryImport.objects.filter(created_at__lt=timezone.now() - KEEP_UNCONFIRMED).exclude(
        status__in=[ImportStatus.CHECKING, ImportStatus.APPLYING]
    ).delete()
    rows = count_rows(name, data)
    upload = InventoryImport.objects.create(
        token=secrets.token_urlsafe(32),
        created_by=by,
        default_organisation=default_organisation,
        file_name=name,
        data=data,
        remove_missing=remove_missing,
        row_count=rows,
        in_background=rows > background_rows(),
        progress_total=rows,
    )
    if upload.in_background:
        from steward.jobs.services import enqueue

        enqueue("inventory.check_import", {"import": upload.pk}, max_attempts=1)
    else:
        run_check(upload)
    return upload


def recheck(
    upload: InventoryImport,
    *,
    by: Person,
    default_organisation: Organisation | None,
    remove_missing: bool,
) -> InventoryImport:
    """Check the stored file again, e.g. with the unit chosen for rows that name none."""
    _require_owner(upload, by)
    if default_organisation is not None:
        require(by, Action.INVENTORY_EDIT, default_organisation)
    if upload.status in (ImportStatus.APPLYING, ImportStatus.APPLIED):
        raise TransitionRefused(_("This file has already been imported."))
    if upload.status == ImportStatus.CHECKING:
        raise TransitionRefused(_("This file is still being checked; wait for the preview."))
    upload.default_organisation = default_organisation
    upload.remove_missing = remove_missing
    upload.status = ImportStatus.CHECKING
    upload.progress_done = 0
    upload.save()
    if upload.in_background:
        from steward.jobs.services import enqueue

        enqueue("inventory.check_import", {"import": upload.pk}, max_attempts=1)
    else:
        run_check(upload)
    return upload


def _progress_of(upload: InventoryImport, offset: int = 0, scale: int = 1) -> Progress:
    def report(done: int, total: int) -> None:
        InventoryImport.objects.filter(pk=upload.pk).update(
            progress_done=offset + done // scale, progress_total=upload.progress_total
        )

    return report


def run_check(upload: InventoryImport) -> InventoryImport:
    """Check the stored file and keep its preview (the job's work for a large file)."""
    result = check_file(
        upload.file_name,
        bytes(upload.data),
        by=upload.created_by,
        default_organisation=upload.default_organisation,
        remove_missing=upload.remove_missing,
        progress=_progress_of(upload) if upload.in_background else None,
    )
    upload.preview = result.as_dict()
    upload.status = ImportStatus.READY if result.ok else ImportStatus.PROBLEMS
    upload.progress_done = upload.progress_total
    upload.save(update_fields=["preview", "status", "progress_done"])
    return upload


def _require_owner(upload: InventoryImport, by: Person) -> None:
    if upload.created_by_id != by.pk:
        raise PermissionDenied(_("This import belongs to somebody else."))


def confirm_import(upload: InventoryImport, *, by: Person) -> InventoryImport:
    """Apply the previewed change: here when small, in a background job when large."""
    _require_owner(upload, by)
    with transaction.atomic():
        claimed = InventoryImport.objects.filter(pk=upload.pk, status=ImportStatus.READY).update(
            status=ImportStatus.APPLYING, progress_done=0
        )
    if not claimed:
        upload.refresh_from_db()
        raise TransitionRefused(
            _("This file cannot be imported now (%(state)s).")
            % {"state": ImportStatus(upload.status).label}
        )
    upload.refresh_from_db()
    if upload.in_background:
        from steward.jobs.services import enqueue

        enqueue("inventory.apply_import", {"import": upload.pk}, max_attempts=1)
        return upload
    try:
        return run_apply(upload)
    except Exception:
        # Nothing was written (one transaction); the upload must not stay "being imported".
        InventoryImport.objects.filter(pk=upload.pk).update(
            status=ImportStatus.REFUSED,
            message=_("The import stopped on an unexpected error; nothing was imported."),
            finished_at=timezone.now(),
        )
        raise


def run_apply(upload: InventoryImport) -> InventoryImport:
    """Import the stored file if it still does what its preview showed (the job's work)."""
    result = import_items(
        upload.file_name,
        bytes(upload.data),
        by=upload.created_by,
        default_organisation=upload.default_organisation,
        remove_missing=upload.remove_missing,
        expected_digest=str(upload.preview.get("digest", "")),
        subject=upload,
        progress=_progress_of(upload) if upload.in_background else None,
    )
    upload.finished_at = timezone.now()
    upload.progress_done = upload.progress_total
    if result.ok:
        upload.status = ImportStatus.APPLIED
        upload.message = result.summary()
        upload.data = b""  # the file is no longer needed
    else:
        upload.status = ImportStatus.REFUSED
        upload.message = " ".join(problem.reason for problem in result.problems)
    upload.save()
    return upload
