"""Catalogue imports started from the page: stored, queued, run by the worker, with progress.

A national export (53,000 rows) takes tens of seconds, too long for a web request. The page
keeps the upload in storage (`CatalogueImportRun.file`), queues the job
`publishing.import_catalogue`, and shows the run's progress until its report is ready.
Files up to INLINE_LIMIT (not gzip) are small enough to check and import within the request.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.jobs.registry import job
from steward.jobs.services import enqueue
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require
from steward.publishing.catalogue.importing import import_catalogue
from steward.publishing.catalogue.planning import check_catalogue
from steward.publishing.catalogue.reading import GZIP_MAGIC
from steward.publishing.catalogue.report import CatalogueImportError, ImportReport
from steward.publishing.models import CatalogueImportRun, ImportRunStatus

KIND = "publishing.import_catalogue"
#: Files up to this size are imported within the request (about 2,000 rows).
INLINE_LIMIT = 2 * 1024 * 1024
#: Seconds between progress writes, so that reporting never slows the import.
PROGRESS_EVERY = 0.5


def in_background(upload: UploadedFile) -> bool:
    """Whether an upload is too large to import within the request (a gzip file always is:
    a small one may expand to a national export)."""
    head = upload.read(2)
    upload.seek(0)
    return (upload.size or 0) > INLINE_LIMIT or head == GZIP_MAGIC


def start_import(
    upload: UploadedFile, *, ministry: Organisation, by: Person, check_only: bool
) -> CatalogueImportRun:
    """Keep the upload and queue its import; the person must publish for the ministry."""
    require(by, Action.DATASET_PUBLISH, ministry)
    run = CatalogueImportRun(
        ministry=ministry,
        requested_by=by,
        file_name=(upload.name or "catalogue.csv")[:255],
        size=upload.size or 0,
        check_only=check_only,
    )
    run.file.save(f"{uuid.uuid4().hex}.upload", upload, save=False)
    run.save()
    enqueue(KIND, {"run": run.pk}, max_attempts=1)
    return run


def _set(run: CatalogueImportRun, **values: Any) -> None:
    CatalogueImportRun.objects.filter(pk=run.pk).update(**values)
    for key, value in values.items():
        setattr(run, key, value)


def execute(run: CatalogueImportRun) -> ImportReport:
    """Check or import the run's file, noting progress; the report is kept on the run."""
    _set(run, status=ImportRunStatus.READING)
    last = [0.0]

    def progress(share: float, rows: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            _set(run, bytes_read=int(share * run.size), rows_read=rows)

    def saving() -> None:
        _set(run, status=ImportRunStatus.SAVING)

    with run.file.open("rb") as stream:
        data = stream.read()
    try:
        if run.check_only:
            report = check_catalogue(
                data, ministry=run.ministry, file=run.file_name, progress=progress
            )
        else:
            if run.requested_by is None:
                raise PermissionDenied(_("The person who started this import no longer exists."))
            report = import_catalogue(
                data,
                ministry=run.ministry,
                by=run.requested_by,
                file=run.file_name,
                progress=progress,
                saving=saving,
            )
        status = ImportRunStatus.DONE if report.ok else ImportRunStatus.REFUSED
    except CatalogueImportError as error:
        report, status = error.report, ImportRunStatus.REFUSED
    except PermissionDenied as error:
        report, status = ImportReport(file=run.file_name), ImportRunStatus.REFUSED
        report.refuse(0, "", str(error) or _("You may not import for this ministry."))
    except Exception:
        _set(run, status=ImportRunStatus.FAILED, finished_at=timezone.now())
        raise
    finally:
        run.file.delete(save=False)
        _set(run, file="")
    _set(
        run,
        status=status,
        rows_read=report.rows,
        bytes_read=run.size,
        report=report.as_json(),
        finished_at=timezone.now(),
    )
    return report


@job(KIND)
def run_import(payload: dict[str, Any]) -> dict[str, Any]:
    """The worker's side: run one queued catalogue import."""
    run = CatalogueImportRun.objects.select_related("ministry", "requested_by").get(
        pk=int(payload["run"])
    )
    if run.finished:
        return {"status": run.status}
    report = execute(run)
    return {"status": run.status, **report.counts()}
