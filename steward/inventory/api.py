"""JSON API of the inventory (mounted under /api/inventory/): the same operations as the pages.

Every call is scoped: items outside the caller's organisations are 404, steps the caller's
roles do not allow are 403, and a step in the wrong state or without what it needs is 400 with
the reason. Imports answer 400 with every problem (file, sheet, row, column, reason).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Schema, Status
from ninja.files import UploadedFile

from steward.inventory import imports, services
from steward.inventory.changes import ImportPreview
from steward.inventory.exporting import FORMATS, export_items
from steward.inventory.imports import ImportResult
from steward.inventory.models import InventoryItem
from steward.inventory.queries import (
    ItemFilters,
    agency_for,
    compilation_for,
    filter_items,
    item_for,
    returns_of,
    visible_agencies,
    visible_items,
)
from steward.inventory.spreadsheets import ExportError, SpreadsheetError, check_size
from steward.inventory.targets import target_rows
from steward.inventory.workflow import StepRules
from steward.lib.api import BadRequestOut, ErrorOut, Id, Router, Year
from steward.lib.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, page_of
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import organisation_for

router = Router(tags=["inventory"])


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


class ItemOut(Schema):
    id: int
    identifier: str
    agency_id: int
    agency: str
    organisation_id: int
    organisation: str
    name: str
    description: str
    source: str
    classification: str
    restriction_reason: str
    legal_basis: str
    restriction_note: str
    gender_statistics: bool
    priority_required_by_law: bool
    priority_statutory_duty: bool
    priority_high_demand: bool
    planned_year: int | None
    planned_half: str
    status: str
    dataset_identifier: str
    dataset_id: int | None

    @staticmethod
    def resolve_agency(item: InventoryItem) -> str:
        return item.agency.name

    @staticmethod
    def resolve_organisation(item: InventoryItem) -> str:
        return item.organisation.name


class ItemIn(Schema):
    """An item to create; on update (PATCH) every field is optional."""

    organisation_id: Id
    identifier: str = ""
    name: str
    description: str = ""
    source: str = ""
    classification: str
    restriction_reason: str = ""
    legal_basis: str = ""
    restriction_note: str = ""
    gender_statistics: bool = False
    priority_required_by_law: bool = False
    priority_statutory_duty: bool = False
    priority_high_demand: bool = False
    planned_year: Year | None = None
    planned_half: str = ""
    status: str = "inventoried"
    dataset_identifier: str = ""


class ItemPatch(Schema):
    organisation_id: Id | None = None
    identifier: str | None = None
    name: str | None = None
    description: str | None = None
    source: str | None = None
    classification: str | None = None
    restriction_reason: str | None = None
    legal_basis: str | None = None
    restriction_note: str | None = None
    gender_statistics: bool | None = None
    priority_required_by_law: bool | None = None
    priority_statutory_duty: bool | None = None
    priority_high_demand: bool | None = None
    planned_year: Year | None = None
    planned_half: str | None = None
    status: str | None = None
    dataset_identifier: str | None = None


class FiltersIn(Schema):
    agency_id: Id | None = None
    unit_id: Id | None = None
    classification: str = ""
    year: Year | None = None
    status: str = ""
    gender_statistics: bool | None = None
    q: str = ""


class SpreadsheetProblemOut(Schema):
    """One problem of an imported spreadsheet: where it is and why."""

    file: str
    sheet: str
    row: int | None
    column: str
    reason: str


class CellChangeOut(Schema):
    column: str
    old: str
    new: str


class RowChangeOut(Schema):
    row: int | None
    identifier: str
    agency: str
    name: str
    cells: list[CellChangeOut]


class InventoryImportOut(Schema):
    """What an import did (or, with `check`, would do): counts, the rows, every problem."""

    file: str
    checked_only: bool
    changed_nothing: bool
    created: int
    updated: int
    unchanged: int
    removed: int
    not_in_file: int
    added_rows: list[RowChangeOut]
    changed_rows: list[RowChangeOut]
    not_in_file_rows: list[RowChangeOut]
    problems: list[SpreadsheetProblemOut]
    warnings: list[SpreadsheetProblemOut] = []  # cells that look like formulas, imported as text


class TargetOut(Schema):
    organisation_id: int
    organisation: str
    year: int
    planned_openings: int
    opened: int
    target: int | None
    target_rule: str
    whole_subtree: bool
    shortfall: int
    shortfall_requires_reason: bool
    shortfall_reason: str
    inventory_status: str


class ReturnOut(Schema):
    id: int
    agency_id: int
    agency: str
    year: int
    status: str
    planned_openings: int
    target: int | None
    shortfall_reason: str
    return_reason: str
    compilation_id: Id | None
    steps: list[str]  # what the caller may do next (submit, return), from workflow.STEPS

    @staticmethod
    def resolve_agency(inventory: Any) -> str:
        return str(inventory.agency.name)

    @staticmethod
    def resolve_steps(inventory: Any, context: Any) -> list[str]:
        rules = getattr(inventory, "step_rules", None) or StepRules(context["request"].user)
        return [str(step) for step in rules.available(inventory.agency, inventory.status)]


class CompilationOut(Schema):
    id: int
    ministry_id: int
    year: int
    status: str
    note: str


class SubmitIn(Schema):
    shortfall_reason: str = ""


class ReturnIn(Schema):
    reason: str


class CompileIn(Schema):
    note: str = ""


class ApproveIn(Schema):
    comment: str = ""


def _filters(person: Person, data: FiltersIn) -> ItemFilters:
    return ItemFilters(
        agency=agency_for(person, data.agency_id) if data.agency_id else None,
        unit=organisation_for(person, data.unit_id) if data.unit_id else None,
        classification=data.classification,
        year=data.year,
        status=data.status,
        gender_statistics=data.gender_statistics,
        q=data.q,
    )


class ItemPageOut(PageOut):
    items: list[ItemOut]


@router.get("/items", response={200: ItemPageOut, 404: ErrorOut})
def list_items(
    request: HttpRequest,
    filters: Query[FiltersIn],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """The inventory in the caller's scope, filtered like the list page, a page at a time.

    `page` counts from 1; `page_size` is 100 by default and at most 500 (a larger one is
    capped, and `page_size_capped` says so). A page or size below 1 is 422, a page past the
    last 404 with the number of pages (`lib/pagination.py`, as every API list).
    """
    person = _person(request)
    items = filter_items(visible_items(person), _filters(person, filters)).order_by(
        "agency__path", "identifier"
    )
    return page_of(items, number=page, size=page_size).as_dict()


@router.get("/items/{item_id}", response=ItemOut)
def get_item(request: HttpRequest, item_id: Id) -> Any:
    return item_for(_person(request), item_id)


@router.post("/items", response={201: ItemOut, 400: BadRequestOut})
def create_item(request: HttpRequest, payload: ItemIn) -> Any:
    person = _person(request)
    organisation = organisation_for(person, payload.organisation_id)
    data = payload.dict(exclude={"organisation_id"})
    return Status(201, services.create_item(by=person, organisation=organisation, data=data))


@router.patch("/items/{item_id}", response={200: ItemOut, 400: BadRequestOut})
def update_item(request: HttpRequest, item_id: Id, payload: ItemPatch) -> Any:
    person = _person(request)
    item = item_for(person, item_id)
    data = {k: v for k, v in payload.dict(exclude={"organisation_id"}).items() if v is not None}
    if "planned_year" in payload.model_fields_set and payload.planned_year is None:
        data["planned_year"] = None
    organisation = (
        organisation_for(person, payload.organisation_id)
        if payload.organisation_id is not None
        else None
    )
    return services.update_item(item, by=person, data=data, organisation=organisation)


def _import_body(name: str, preview: ImportPreview | None, *, checked_only: bool,
                 result: ImportResult | None = None) -> dict[str, Any]:  # fmt: skip
    shown = preview or ImportPreview(name)
    if result is not None:
        counts = (len(result.created), len(result.updated), result.unchanged, result.removed)
    else:
        counts = (shown.added_count, shown.changed_count, shown.unchanged_count, 0)
    problems = result.problems if result is not None else shown.problems
    return {
        "file": name,
        "checked_only": checked_only,
        "changed_nothing": not problems and not any(counts[:2]) and not counts[3],
        "created": counts[0],
        "updated": counts[1],
        "unchanged": counts[2],
        "removed": counts[3],
        "not_in_file": shown.missing_count,
        "added_rows": shown.added,
        "changed_rows": shown.changed,
        "not_in_file_rows": shown.missing,
        "problems": [p.as_dict() for p in problems],
        "warnings": [p.as_dict() for p in shown.warnings],
    }


@router.post(
    "/import",
    response={200: InventoryImportOut, 201: InventoryImportOut, 400: InventoryImportOut},
)
def import_items(
    request: HttpRequest,
    file: File[UploadedFile],
    organisation_id: Form[Id | None] = None,
    remove_missing: Form[bool] = False,
    check: Form[bool] = False,
) -> Any:
    """Import an XLSX, ODS or CSV file (multipart): every row, or none and every problem.

    Rows are matched to items by 盤點編號 within the agency: matched rows update the item,
    others add one. `organisation_id` receives new rows naming no unit (needed only then).
    `remove_missing` removes the items of the file's agencies that it does not name.
    `check` answers what the import would do and changes nothing. 201 when something was
    written, 200 when nothing had to change (or `check`), 400 with every problem.
    """
    person = _person(request)
    organisation = organisation_for(person, organisation_id) if organisation_id else None
    name = file.name or "upload"
    try:
        check_size(name, file.size or 0)
    except SpreadsheetError as error:
        body = _import_body(name, ImportPreview(name, problems=error.problems), checked_only=check)
        return Status(400, body)
    data = file.read()
    if check:
        preview = imports.check_file(
            name, data, by=person, default_organisation=organisation, remove_missing=remove_missing
        )
        return Status(200 if preview.ok else 400, _import_body(name, preview, checked_only=True))
    result = imports.import_items(
        name, data, by=person, default_organisation=organisation, remove_missing=remove_missing
    )
    body = _import_body(name, result.preview, checked_only=False, result=result)
    if not result.ok:
        return Status(400, body)
    return Status(200 if result.changed_nothing else 201, body)


@router.get("/export", response={400: ErrorOut})
def export(request: HttpRequest, filters: Query[FiltersIn], format: str = "xlsx") -> Any:
    """The filtered inventory as xlsx, ods, csv (UTF-8 with BOM) or csv-big5 (CP950)."""
    if format not in FORMATS:
        return Status(400, {"detail": f"format must be one of {', '.join(FORMATS)}"})
    person = _person(request)
    items = filter_items(visible_items(person), _filters(person, filters)).order_by(
        "agency__path", "identifier"
    )
    try:
        content, content_type, extension = export_items(items, format)
    except ExportError as error:
        return Status(400, {"detail": str(error)})
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="inventory.{extension}"'
    return response


class TargetPageOut(PageOut):
    items: list[TargetOut]


@router.get("/targets", response=TargetPageOut)
def targets(
    request: HttpRequest,
    year: Year,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """Planned openings, opened, target, shortfall and reason per agency for `year`, a page
    of agencies at a time (by agency path)."""
    agencies = visible_agencies(_person(request)).order_by("path")
    found = page_of(agencies, number=page, size=page_size)
    rows = target_rows(Organisation.objects.filter(pk__in=[a.pk for a in found.items]), year)
    return found.as_dict() | {"items": [row.as_dict() for row in rows]}


class ReturnPageOut(PageOut):
    items: list[ReturnOut]


@router.get("/returns", response=ReturnPageOut)
def list_returns(
    request: HttpRequest,
    year: Year,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Any:
    """The returns of `year` in the caller's scope, by agency path, a page at a time, with
    the steps the caller may take."""
    rules = StepRules(_person(request))
    inventories = returns_of(_person(request), year).order_by("agency__path", "pk")
    found = page_of(inventories, number=page, size=page_size)
    for inventory in found.items:
        inventory.step_rules = rules  # type: ignore[attr-defined]  # one read of the roles
    return found.as_dict()


@router.post(
    "/returns/{agency_id}/{year}/submit",
    response={200: ReturnOut, 400: BadRequestOut},
)
def submit(request: HttpRequest, agency_id: Id, year: Year, payload: SubmitIn) -> Any:
    person = _person(request)
    agency = agency_for(person, agency_id)
    inventory = services.inventory_for(agency, year)
    return services.submit_inventory(
        inventory, by=person, shortfall_reason=payload.shortfall_reason
    )


@router.post(
    "/returns/{agency_id}/{year}/return",
    response={200: ReturnOut, 400: BadRequestOut},
)
def return_inventory(request: HttpRequest, agency_id: Id, year: Year, payload: ReturnIn) -> Any:
    person = _person(request)
    agency = agency_for(person, agency_id)
    inventory = services.inventory_for(agency, year)
    return services.return_inventory(inventory, by=person, reason=payload.reason)


@router.post(
    "/compilations/{ministry_id}/{year}/compile",
    response={200: CompilationOut, 400: BadRequestOut},
)
def compile_inventories(
    request: HttpRequest, ministry_id: Id, year: Year, payload: CompileIn
) -> Any:
    person = _person(request)
    ministry = agency_for(person, ministry_id)
    return services.compile_inventories(ministry, year, by=person, note=payload.note)


@router.post(
    "/compilations/{compilation_id}/approve",
    response={200: CompilationOut, 400: BadRequestOut},
)
def approve(request: HttpRequest, compilation_id: Id, payload: ApproveIn) -> Any:
    person = _person(request)
    compilation = compilation_for(person, compilation_id)
    return services.approve_compilation(compilation, by=person, comment=payload.comment)
