"""From spreadsheet rows to inventory items: values, organisations, rights, duplicates, matches.

`check_import` reads the database but never writes; it returns an `ImportCheck` holding, for
every row, the unsaved item it describes and the existing item it updates (matched by 盤點編號
within the agency), and every problem found. `changes.py` turns that into the preview
(added / changed cell by cell / unchanged / not in the file); `imports.import_items` saves
it, all or nothing.

A column the file does not have leaves that field of an existing item as it is, so a sheet
with fewer columns than the export never wipes data.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from steward.inventory import values
from steward.inventory.columns import COLUMNS, Header, find_header
from steward.inventory.models import (
    LOCKED_STATES,
    AgencyInventory,
    Classification,
    InventoryItem,
    ItemStatus,
)
from steward.inventory.spreadsheets import (
    Cell,
    Problem,
    Sheet,
    SpreadsheetError,
    read_sheets,
)
from steward.lib.cells import FORMULA_WARNING, formula_like
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, can, organisations_for


@dataclass
class CheckedRow:
    """One good row: the item as the file describes it, and the existing item it updates."""

    row: int
    item: InventoryItem  # unsaved: a new item, or a changed copy of `existing`
    existing: InventoryItem | None = None


@dataclass
class ImportCheck:
    """What an import would do: every good row, the items not in the file, every problem, and
    warnings."""

    file: str
    rows: list[CheckedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Cells a spreadsheet program would run as formulas: imported as text, but listed.
    warnings: list[Problem] = field(default_factory=list)
    sheet: str = ""
    # Items of the file's agencies that the person may edit and that no row names.
    missing: list[InventoryItem] = field(default_factory=list)
    # Some new row names no unit and no default organisation was given.
    needs_unit: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def items(self) -> list[InventoryItem]:
        return [row.item for row in self.rows]


Progress = Callable[[int, int], None]


def _text(cell: Cell) -> str:
    if isinstance(cell, datetime.datetime | datetime.date):
        return cell.isoformat()
    return cell.strip()


def _organisation_index(organisations: Iterable[Organisation]) -> dict[str, list[Organisation]]:
    """Every organisation given, by each name people write for it."""
    index: dict[str, list[Organisation]] = {}
    for organisation in organisations:
        for name in {organisation.name, organisation.short_name, organisation.agency_code}:
            if name:
                index.setdefault(values.normalise(name), []).append(organisation)
    return index


def check_import(
    name: str,
    data: bytes,
    *,
    by: Person,
    default_organisation: Organisation | None = None,
    lock: bool = False,
    progress: Progress | None = None,
) -> ImportCheck:
    """Read `data` (named `name`) and turn every row into an unsaved item, collecting problems.

    `default_organisation` receives the new rows that name neither agency nor unit; without
    it such rows are problems (and `needs_unit` is set). `lock` locks the existing items read
    (inside the caller's transaction), so what was checked is what gets written.
    """
    check = ImportCheck(name)
    try:
        sheets = read_sheets(name, data)
    except SpreadsheetError as error:
        check.problems.extend(error.problems)
        return check
    header: Header | None = None
    sheet: Sheet | None = None
    for candidate in sheets:
        header, problems = find_header(candidate)
        if header is not None:
            sheet = candidate
            check.problems.extend(problems)
            break
    if header is None or sheet is None:
        check.problems.append(
            Problem(
                name,
                _(
                    "No sheet has a header row naming the data (資料名稱) and its"
                    " classification (開放類別). If the headers look garbled, the file is in"
                    " an encoding other than UTF-8 or Big5."
                ),
            )
        )
        return check
    check.sheet = sheet.name
    if "classification" not in header.columns:
        check.problems.append(
            Problem(
                name,
                _("The column for the classification (開放類別) is missing."),
                sheet=sheet.name,
                row=header.row,
            )
        )
        return check
    _check_rows(
        check,
        sheet,
        header,
        by=by,
        default_organisation=default_organisation,
        lock=lock,
        progress=progress,
    )
    return check


class _Row:
    """One data row being read: its cells by field, and the problems found in it."""

    def __init__(self, check: ImportCheck, sheet: Sheet, header: Header, number: int,
                 cells: list[Cell]) -> None:  # fmt: skip
        self.check = check
        self.sheet = sheet
        self.header = header
        self.number = number
        self.cells = cells
        self.problems: list[Problem] = []

    def label(self, field_name: str) -> str:
        return self.header.labels.get(field_name) or COLUMNS[field_name][0]

    def problem(self, field_name: str | None, reason: str) -> None:
        column = self.label(field_name) if field_name in COLUMNS else ""
        self.problems.append(
            Problem(self.check.file, reason, sheet=self.sheet.name, row=self.number, column=column)
        )

    def cell(self, field_name: str) -> Cell:
        position = self.header.columns.get(field_name)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position]

    def text(self, field_name: str) -> str:
        value = _text(self.cell(field_name))
        return "" if values.is_empty(value) else value

    def parsed(self, field_name: str, parser: Callable[[str], Any], default: Any) -> Any:
        try:
            return parser(_text(self.cell(field_name)))
        except ValueError as error:
            self.problem(field_name, str(error))
            return default


class _RowChecker:
    """What every row of one import needs: names of organisations, rights, items in use."""

    def __init__(
        self,
        check: ImportCheck,
        *,
        by: Person,
        default_organisation: Organisation | None,
        lock: bool,
    ) -> None:
        self.check = check
        self.by = by
        self.default_organisation = default_organisation
        self.lock = lock
        organisations = list(_organisations_for_import(by, default_organisation))
        self.by_pk = {organisation.pk: organisation for organisation in organisations}
        self.index = _organisation_index(organisations)
        self.default_agency = (
            self._agency_of(default_organisation) if default_organisation is not None else None
        )
        self.locked_agencies = set(
            AgencyInventory.objects.filter(status__in=LOCKED_STATES).values_list(
                "agency_id", flat=True
            )
        )
        # agency pk → {item number: item} in the database, and digit-only numbers by value
        # (a spreadsheet program turns 0001 into 1).
        self.existing: dict[int, dict[str, InventoryItem]] = {}
        self.by_number: dict[int, dict[int, str]] = {}
        self.by_name: dict[int, dict[tuple[int, str], list[InventoryItem]]] = {}
        self.matched: set[int] = set()  # pks of existing items some row names
        self.seen: dict[tuple[int, str], int] = {}  # (agency pk, number) → first row
        self.permission: dict[int, bool] = {}

    def _agency_of(self, organisation: Organisation) -> Organisation:
        """The agency (or ministry) of `organisation`, from the loaded tree without queries."""
        for part in reversed(organisation.path.strip("/").split("/")):
            node = self.by_pk.get(int(part))
            if node is not None and node.kind != OrganisationKind.UNIT:
                return node
        return organisation.agency

    def _units_named(self, written: str) -> list[Organisation]:
        return [
            candidate
            for candidate in self.index.get(values.normalise(written), [])
            if candidate.kind == OrganisationKind.UNIT
        ]

    def _agency(self, row: _Row) -> Organisation | None:
        written = row.text("agency")
        if written:
            for candidate in self.index.get(values.normalise(written), []):
                if candidate.kind in (OrganisationKind.AGENCY, OrganisationKind.MINISTRY):
                    return candidate
            row.problem("agency", _("There is no agency called “%(name)s”.") % {"name": written})
            return None
        unit = row.text("unit")
        if unit:
            agencies = {self._agency_of(c).pk: self._agency_of(c) for c in self._units_named(unit)}
            if self.default_agency is not None and self.default_agency.pk in agencies:
                return self.default_agency
            if len(agencies) == 1:
                return next(iter(agencies.values()))
            if len(agencies) > 1:
                row.problem(
                    "unit",
                    _("Several agencies have a unit called “%(name)s”; name the agency.")
                    % {"name": unit},
                )
                return None
        if self.default_agency is not None:
            return self.default_agency
        self._needs_unit(row)
        return None

    def _needs_unit(self, row: _Row) -> None:
        self.check.needs_unit = True
        row.problem(
            "unit",
            _(
                "The row names no unit: choose where rows without a unit go, or fill in"
                " the unit (單位)."
            ),
        )

    def _existing_items(self, agency: Organisation) -> dict[str, InventoryItem]:
        if agency.pk not in self.existing:
            items = InventoryItem.objects.filter(agency=agency).select_related(
                "agency", "organisation"
            )
            if self.lock:
                items = items.select_for_update(of=("self",))
            self.existing[agency.pk] = {item.identifier: item for item in items}
            self.by_number[agency.pk] = {}
            numbers = self.by_number[agency.pk]
            for identifier in self.existing[agency.pk]:
                if identifier.isdigit():
                    # Two numbers of the same value (1 and 0001): neither is matched by value.
                    numbers[int(identifier)] = "" if int(identifier) in numbers else identifier
        return self.existing[agency.pk]

    def _match(self, agency: Organisation, identifier: str) -> InventoryItem | None:
        items = self._existing_items(agency)
        if identifier in items:
            return items[identifier]
        if identifier.isdigit():
            same_value = self.by_number[agency.pk].get(int(identifier))
            if same_value:
                return items[same_value]
        return None

    def _match_by_name(
        self, agency: Organisation, organisation: Organisation, name: str
    ) -> InventoryItem | None:
        if agency.pk not in self.by_name:
            index: dict[tuple[int, str], list[InventoryItem]] = {}
            for item in self._existing_items(agency).values():
                index.setdefault((item.organisation_id, item.name), []).append(item)
            self.by_name[agency.pk] = index
        found = self.by_name[agency.pk].get((organisation.pk, name), [])
        if len(found) == 1 and found[0].pk not in self.matched:
            return found[0]
        return None

    def _organisation(
        self, row: _Row, agency: Organisation, existing: InventoryItem | None
    ) -> Organisation | None:
        written = row.text("unit")
        if not written:
            if existing is not None:
                return self.by_pk.get(existing.organisation_id, existing.organisation)
            if self.default_organisation is None:
                self._needs_unit(row)
                return None
            if self.default_agency is not None and self.default_agency.pk == agency.pk:
                return self.default_organisation
            return agency
        for candidate in self.index.get(values.normalise(written), []):
            if candidate.is_within(agency) and self._agency_of(candidate).pk == agency.pk:
                return candidate
        row.problem(
            "unit",
            _("%(agency)s has no unit called “%(name)s”.") % {"agency": agency, "name": written},
        )
        return None

    def _may_edit(self, organisation_pk: int) -> bool:
        if organisation_pk not in self.permission:
            organisation = self.by_pk.get(organisation_pk)
            if organisation is None:
                organisation = Organisation.objects.get(pk=organisation_pk)
            self.permission[organisation_pk] = can(self.by, Action.INVENTORY_EDIT, organisation)
        return self.permission[organisation_pk]

    def _check_rights(
        self,
        row: _Row,
        agency: Organisation,
        organisation: Organisation,
        existing: InventoryItem | None,
    ) -> None:
        refused = [organisation] if not self._may_edit(organisation.pk) else []
        moved = existing is not None and existing.organisation_id != organisation.pk
        if moved and existing is not None and not self._may_edit(existing.organisation_id):
            refused.append(existing.organisation)
        for place in refused:
            row.problem(
                "unit" if row.text("unit") else "agency",
                _("You may not edit the inventory of %(organisation)s.") % {"organisation": place},
            )
        if not refused and agency.pk in self.locked_agencies:
            row.problem(
                "agency",
                _(
                    "The inventory of %(agency)s has been submitted; its items cannot change"
                    " until it is returned."
                )
                % {"agency": agency},
            )

    def _check_duplicate(self, row: _Row, agency: Organisation, identifier: str) -> None:
        key = (agency.pk, identifier)
        if key in self.seen:
            row.problem(
                "identifier",
                _(
                    "Item number “%(id)s” of %(agency)s is on rows %(first)d and %(row)d of this"
                    " file; each item may appear once."
                )
                % {"id": identifier, "agency": agency, "first": self.seen[key], "row": row.number},
            )
        else:
            self.seen[key] = row.number

    def _values(self, row: _Row) -> dict[str, Any]:
        """The model values of the columns the file has (and only those)."""
        columns = row.header.columns
        found: dict[str, Any] = {"name": row.text("name")}
        if "description" in columns:
            found["description"] = row.text("description")
        if "source" in columns:
            found["source"] = row.parsed("source", values.parse_source, "")
        if row.text("classification"):
            found["classification"] = row.parsed("classification", values.parse_classification, "")
        else:
            row.problem("classification", _("The classification (開放類別) is empty."))
            found["classification"] = ""
        if "restriction_reason" in columns:
            found["restriction_reason"] = row.parsed("restriction_reason", values.parse_reason, "")
        for name in ("legal_basis", "restriction_note", "dataset_identifier"):
            if name in columns:
                found[name] = row.text(name)
        if "gender_statistics" in columns:
            found["gender_statistics"] = row.parsed("gender_statistics", values.parse_bool, False)
        if "priority" in columns or any(name in columns for name in _PRIORITY_FIELDS):
            by_law, duty, demand = row.parsed("priority", values.parse_priority, (False,) * 3)
            for name, current in zip(_PRIORITY_FIELDS, (by_law, duty, demand), strict=True):
                if name in columns:
                    current = row.parsed(name, values.parse_bool, False) or current
                found[name] = current
        if "planned" in columns:
            planned_cell = row.cell("planned")
            if isinstance(planned_cell, datetime.date):
                planned = values.planned_from_date(planned_cell)
            else:
                planned = row.parsed("planned", values.parse_planned, (None, ""))
            found["planned_year"], found["planned_half"] = planned
        if "status" in columns:
            found["status"] = row.parsed("status", values.parse_status, "")
        if not found["name"]:
            row.problem("name", _("The name (資料名稱) is empty."))
        return found

    def item(self, row: _Row) -> CheckedRow | None:
        """The row's unsaved item, or None when the row has problems (kept in `row`)."""
        agency = self._agency(row)
        identifier = row.text("identifier")
        existing = self._match(agency, identifier) if agency is not None and identifier else None
        organisation = self._organisation(row, agency, existing) if agency is not None else None
        if existing is None and not identifier and agency is not None and organisation:
            # A row without a number is the item of the same unit and name, if there is
            # exactly one: importing the same file twice must not add it twice.
            existing = self._match_by_name(agency, organisation, row.text("name"))
        if agency is not None and organisation is not None:
            self._check_rights(row, agency, organisation, existing)
        found = self._values(row)
        status = found.pop("status", "")
        if existing is not None:
            item = copy.copy(existing)
            # An emptied status cell asks for the status to be worked out again.
            current_status = "" if "status" in row.header.columns else existing.status
        else:
            item = InventoryItem(identifier=identifier)
            current_status = ""
        for name, value in found.items():
            setattr(item, name, value)
        item.status = status or _derived_status(
            item.classification, item.dataset_identifier, current_status
        )
        if agency is not None:
            item.agency = agency
        if organisation is not None:
            item.organisation = organisation
        item.updated_by = self.by
        if agency is not None and identifier:
            self._check_duplicate(row, agency, item.identifier)
        if existing is not None:
            self.matched.add(existing.pk)
        if agency is not None and organisation is not None and item.classification and item.name:
            # The model's own rules, with each error put back in the file's column.
            try:
                # Related objects were looked up above; re-checking each FK costs a query a row.
                item.full_clean(
                    exclude=[*_RELATED_FIELDS, *([] if item.identifier else ["identifier"])],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    column = _FIELD_COLUMNS.get(field_name, field_name)
                    for message in messages:
                        row.problem(column if column in COLUMNS else None, message)
        return None if row.problems else CheckedRow(row.number, item, existing)

    def missing(self) -> list[InventoryItem]:
        """Items of the file's agencies that the person may edit and no row names."""
        return [
            item
            for items in self.existing.values()
            for item in items.values()
            if item.pk not in self.matched and self._may_edit(item.organisation_id)
        ]


def _derived_status(classification: str, dataset_identifier: str, current: str) -> str:
    """The status of a row that gives none: the current one while it still fits."""
    if current and (
        classification == Classification.OPEN
        or current not in (ItemStatus.PLANNED, ItemStatus.OPENED)
    ):
        return current
    if dataset_identifier and classification == Classification.OPEN:
        return ItemStatus.OPENED
    if classification == Classification.OPEN:
        return ItemStatus.PLANNED
    return ItemStatus.INVENTORIED


def _organisations_for_import(
    by: Person, default_organisation: Organisation | None
) -> QuerySet[Organisation]:
    """The trees whose names a file's rows may use: the default's ministry, else every
    ministry in which `by` may edit something."""
    if default_organisation is not None:
        roots = [default_organisation.path.strip("/").split("/")[0]]
    else:
        paths = organisations_for(by, Action.INVENTORY_EDIT).values_list("path", flat=True)
        roots = sorted({path.strip("/").split("/")[0] for path in paths})
    query = Q(pk__in=[])
    for root in roots:
        query |= Q(path__startswith=f"/{root}/")
    return Organisation.objects.filter(query)


def _check_rows(
    check: ImportCheck,
    sheet: Sheet,
    header: Header,
    *,
    by: Person,
    default_organisation: Organisation | None,
    lock: bool,
    progress: Progress | None,
) -> None:
    checker = _RowChecker(check, by=by, default_organisation=default_organisation, lock=lock)
    total = len(sheet.rows)
    width = _header_width(sheet, header)
    for done, (number, cells) in enumerate(sheet.rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
        if number <= header.row:
            continue
        row = _Row(check, sheet, header, number, cells)
        _warn_formulas(row)
        if sheet.is_csv and len(cells) < width:
            row.problem(
                None,
                _(
                    "The row has %(found)d of the header's %(width)d columns: the file was"
                    " cut off here, or a value has an unclosed quote."
                )
                % {"found": len(cells), "width": width},
            )
            check.problems.extend(row.problems)  # its other cells would only add noise
            continue
        checked = checker.item(row)
        if checked is None:
            # Each message once, left to right as the columns stand in the file.
            order = {name: header.columns[field] for field, name in header.labels.items()}
            check.problems.extend(
                sorted(dict.fromkeys(row.problems), key=lambda p: order.get(p.column, 10_000))
            )
        else:
            check.rows.append(checked)
    check.missing = checker.missing()
    if progress is not None:
        progress(total, total)


def _warn_formulas(row: _Row) -> None:
    for field_name in row.header.columns:
        if formula_like(row.cell(field_name)):
            row.check.warnings.append(
                Problem(
                    row.check.file,
                    str(FORMULA_WARNING),
                    sheet=row.sheet.name,
                    row=row.number,
                    column=row.label(field_name),
                )
            )


def _header_width(sheet: Sheet, header: Header) -> int:
    """The header row's cells up to its last non-empty one."""
    for number, cells in sheet.rows:
        if number == header.row:
            width = len(cells)
            while width and _text(cells[width - 1]) == "":
                width -= 1
            return width
    return 0


#: Rows between two progress reports of a long check.
PROGRESS_EVERY = 500

_PRIORITY_FIELDS = ("priority_required_by_law", "priority_statutory_duty", "priority_high_demand")

_RELATED_FIELDS = ["agency", "organisation", "updated_by", "dataset"]

# Model fields whose errors belong to another column of the file.
_FIELD_COLUMNS = {
    "planned_year": "planned",
    "planned_half": "planned",
    "organisation": "unit",
    "priority_required_by_law": "priority",
    "priority_statutory_duty": "priority",
    "priority_high_demand": "priority",
}
