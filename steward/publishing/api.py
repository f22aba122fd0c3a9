"""JSON API of publishing (mounted under /api/publishing/).

The outbox (scoped to the datasets the caller may see), asking for a dataset to be pushed
or removed, retrying a refused row, and the catalogue CSV import (check or import; every
problem with file, row and column) and export. Changes need Action.DATASET_PUBLISH.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Form, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from steward.datasets.models import Dataset
from steward.lib.api import Id, Router
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, scope_q
from steward.publishing import services
from steward.publishing.catalogue import (
    CatalogueImportError,
    ImportReport,
    check_catalogue,
    import_catalogue,
    refuse_if_too_large,
)
from steward.publishing.models import PublishingOutboxEntry
from steward.publishing.views import (
    catalogue_download,
    entry_for,
    ministries_for,
    visible_entries,
)

router = Router(tags=["publishing"])


class EntryOut(Schema):
    id: int
    dataset_id: int
    identifier: str
    operation: str
    status: str
    attempts: int
    next_attempt_at: datetime.datetime
    last_error: str
    last_status_code: int | None
    portal_identifier: str
    payload_sha256: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    delivered_at: datetime.datetime | None


class PublishingErrorOut(Schema):
    """The outbox or the portal refused (400): a sentence and the portal's problems."""

    detail: str
    problems: list[str] = []


class CatalogueProblemOut(Schema):
    """One problem of a catalogue CSV: file, row, column and why."""

    file: str
    row: int
    column: str
    message: str


class ReportOut(Schema):
    file: str
    encoding: str
    rows: int
    ok: bool
    imported: bool
    identifiers: list[str]
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    summary: str = ""
    problems: list[CatalogueProblemOut]
    more_problems: int
    warnings: list[CatalogueProblemOut]


def _entry_out(entry: PublishingOutboxEntry) -> EntryOut:
    return EntryOut(
        id=entry.pk,
        dataset_id=entry.dataset_id,
        identifier=entry.identifier,
        operation=entry.operation,
        status=entry.status,
        attempts=entry.attempts,
        next_attempt_at=entry.next_attempt_at,
        last_error=entry.last_error,
        last_status_code=entry.last_status_code,
        portal_identifier=entry.portal_identifier,
        payload_sha256=entry.payload_sha256,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        delivered_at=entry.delivered_at,
    )


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _dataset_for(person: Person, pk: int) -> Dataset:
    try:
        return Dataset.objects.filter(scope_q(person, Action.VIEW)).get(pk=pk)
    except Dataset.DoesNotExist:
        raise Http404("No such dataset in your scope.") from None


def _ministry_for(person: Person, pk: int, action: Action) -> Organisation:
    try:
        return ministries_for(person, action).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404("No such ministry in your scope.") from None


class EntryPageOut(PageOut):
    items: list[EntryOut]


@router.get("/outbox", response=EntryPageOut)
def list_outbox(
    request: HttpRequest,
    status: str = "",
    dataset: Id | None = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Outbox rows of the datasets you may see, newest first, a page at a time (see
    steward/lib/pagination.py); filter by status or dataset."""
    entries = visible_entries(_person(request))
    if status:
        entries = entries.filter(status=status)
    if dataset is not None:
        entries = entries.filter(dataset_id=dataset)
    found = page_of(entries.order_by("-updated_at", "-pk"), number=page, size=page_size)
    return found.as_dict() | {"items": [_entry_out(entry) for entry in found.items]}


@router.get("/outbox/{entry_id}", response=EntryOut)
def get_entry(request: HttpRequest, entry_id: Id) -> EntryOut:
    return _entry_out(entry_for(_person(request), entry_id))


@router.post("/outbox/{entry_id}/retry", response={200: EntryOut, 400: PublishingErrorOut})
def retry_entry(request: HttpRequest, entry_id: Id) -> Status[Any]:
    """Send a refused or abandoned row again with the dataset's current metadata."""
    person = _person(request)
    entry = entry_for(person, entry_id)
    try:
        entry = services.retry(entry, by=person)
    except services.PublishingError as error:
        return Status(400, PublishingErrorOut(detail=error.message, problems=error.problems))
    return Status(200, _entry_out(entry))


@router.post("/datasets/{dataset_id}/publish", response={202: EntryOut, 400: PublishingErrorOut})
def publish_dataset(request: HttpRequest, dataset_id: Id) -> Status[Any]:
    """Queue the dataset's approved metadata for the portal (scheduled or published only)."""
    person = _person(request)
    dataset = _dataset_for(person, dataset_id)
    try:
        entry = services.request_publication(dataset, by=person)
    except services.PublishingError as error:
        return Status(400, PublishingErrorOut(detail=error.message, problems=error.problems))
    return Status(202, _entry_out(entry))


@router.post("/datasets/{dataset_id}/remove", response={202: EntryOut, 400: PublishingErrorOut})
def remove_dataset(request: HttpRequest, dataset_id: Id) -> Status[Any]:
    """Queue the removal of a withdrawn dataset from the portal."""
    person = _person(request)
    dataset = _dataset_for(person, dataset_id)
    try:
        entry = services.request_removal(dataset, by=person)
    except services.PublishingError as error:
        return Status(400, PublishingErrorOut(detail=error.message, problems=error.problems))
    return Status(202, _entry_out(entry))


def _report_out(report: ImportReport) -> ReportOut:
    def problems(items: list[Any]) -> list[CatalogueProblemOut]:
        return [
            CatalogueProblemOut(file=p.file, row=p.row, column=p.column, message=p.message)
            for p in items
        ]

    return ReportOut(
        file=report.file,
        encoding=report.encoding,
        rows=report.rows,
        ok=report.ok,
        imported=report.imported,
        identifiers=report.added,
        added=len(report.added),
        changed=len(report.changed),
        unchanged=report.unchanged,
        gone=len(report.gone),
        summary=report.summary() if report.ok else "",
        problems=problems(report.problems),
        more_problems=report.more_problems,
        warnings=problems(report.warnings),
    )


@router.post("/catalogue/import", response={200: ReportOut, 201: ReportOut, 400: ReportOut})
def catalogue_import(
    request: HttpRequest,
    ministry: Form[Id],
    file: File[UploadedFile],
    check_only: Form[bool] = False,
) -> Status[ReportOut]:
    """Check (check_only) or import the portal's 22-column catalogue CSV, all rows or none."""
    person = _person(request)
    organisation = _ministry_for(person, ministry, Action.DATASET_PUBLISH)
    name = file.name or "catalogue.csv"
    report = ImportReport(file=name)
    if refuse_if_too_large(file.size or 0, report):
        return Status(400, _report_out(report))
    data = file.read()
    if check_only:
        report = check_catalogue(data, ministry=organisation, file=name)
        return Status(200 if report.ok else 400, _report_out(report))
    try:
        report = import_catalogue(data, ministry=organisation, by=person, file=name)
    except CatalogueImportError as error:
        return Status(400, _report_out(error.report))
    return Status(201, _report_out(report))


@router.get("/catalogue/export")
def catalogue_export(request: HttpRequest, ministry: Id, format: str = "csv") -> HttpResponseBase:
    """The ministry's catalogue, streamed: CSV (UTF-8 with BOM, 22 columns) or `format=ndjson`
    (one object per dataset, the 22 column names as keys)."""
    person = _person(request)
    organisation = _ministry_for(person, ministry, Action.VIEW)
    return catalogue_download(organisation, person, format)
