"""The catalogue import service: check the whole file, then write it through the dataset service.

`import_catalogue` refuses before it reads (the person must publish for the ministry), checks
every row (`planning.check_catalogue`: all or nothing), then, in one transaction, hands the
added and changed datasets to `datasets.services.import_published_many` (bulk writes, one
audit event with the counts) and keeps the portal's own cells of each row in
`CatalogueListing`. Importing the same file again changes nothing and says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.datasets.errors import DatasetError
from steward.datasets.services.importing import (
    BATCH,
    PublishedRecord,
    import_published_many,
)
from steward.lib.bulk import analyze, insert_many
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require
from steward.publishing.catalogue.planning import check_catalogue
from steward.publishing.catalogue.report import CatalogueImportError, ImportReport
from steward.publishing.catalogue.rows import LISTING_FIELDS, Outcome, PlannedDataset, Progress
from steward.publishing.models import CatalogueListing


def import_catalogue(
    data: bytes,
    *,
    ministry: Organisation,
    by: Person | None,
    file: str = "catalogue.csv",
    progress: Progress | None = None,
    saving: Callable[[], None] | None = None,
) -> ImportReport:
    """Import the portal's catalogue export for `ministry`: add, update in place, list gone.

    Raises CatalogueImportError (nothing changed) if the file has any problem. `by=None` is
    the command line (the server's operator), recorded as the system. `progress` hears how
    far reading has got; `saving` is called once when writing starts.
    """
    if by is not None:
        require(by, Action.DATASET_PUBLISH, ministry)
    report = check_catalogue(data, ministry=ministry, file=file, progress=progress)
    if not report.ok:
        raise CatalogueImportError(report)
    report.imported = True
    planned: list[PlannedDataset] = report.planned
    if report.changes_nothing and all(item.listing_id for item in planned):
        return report  # the same file again: nothing to write, no audit event
    if saving is not None:
        saving()
    writes = [
        item
        for item in planned
        if item.outcome == Outcome.ADD or (item.outcome == Outcome.CHANGE and item.dataset_changes)
    ]
    records = [
        PublishedRecord(
            organisation=item.organisation,
            values=item.values,
            resources=item.resources,
            identifier=item.identifier,
            dataset_id=item.dataset_id,
        )
        for item in writes
    ]
    now = timezone.now()
    try:
        with transaction.atomic():
            result = import_published_many(
                by=by,
                ministry=ministry,
                records=records,
                action="publishing.catalogue_import",
                comment=_("Catalogue %(file)s (%(encoding)s): %(summary)s")
                % {"file": file, "encoding": report.encoding, "summary": report.summary()},
                counts=report.counts(),
            )
            added = [i for i in writes if i.outcome == Outcome.ADD]
            for item, dataset in zip(added, result.created, strict=True):
                item.dataset_id, item.dataset_identifier = dataset.pk, dataset.identifier
            _save_listings(planned, ministry, now)
    except DatasetError as error:  # e.g. an agency's serials ran out: nothing was written
        report.imported = False
        report.refuse(0, "", str(error))
        raise CatalogueImportError(report) from None
    report.added = [
        item.dataset_identifier or item.key for item in planned if item.outcome == Outcome.ADD
    ]
    return report


def _save_listings(
    planned: list[PlannedDataset], ministry: Organisation, now: datetime.datetime
) -> None:
    """Keep each row's portal cells: new listings, and changed ones (the others are as kept)."""
    new = [
        {
            **item.listing,
            "dataset_id": item.dataset_id,
            "ministry_id": ministry.pk,
            "imported_at": now,
        }
        for item in planned
        if item.listing_id is None and item.dataset_id is not None
    ]
    insert_many(CatalogueListing, new)
    analyze(CatalogueListing, rows=len(new))
    changed = [
        CatalogueListing(pk=item.listing_id, imported_at=now, **item.listing)
        for item in planned
        if item.outcome != Outcome.UNCHANGED and item.listing_id is not None
    ]
    CatalogueListing.objects.bulk_update(
        changed, [*LISTING_FIELDS, "imported_at"], batch_size=BATCH
    )
