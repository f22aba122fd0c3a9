"""From spreadsheet rows to inventory items: header aliases, values, scope, duplicates.

`check_import` reads the database but never writes; it returns an `ImportCheck` holding the
unsaved items and every problem found. `services.import_items` saves them, all or nothing.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from steward.inventory import values
from steward.inventory.models import (
    LOCKED_STATES,
    AgencyInventory,
    Classification,
    InventoryItem,
    ItemStatus,
)
from steward.inventory.spreadsheets import (
    HEADER_SEARCH_ROWS,
    Cell,
    Problem,
    Sheet,
    SpreadsheetError,
    read_sheets,
)
from steward.lib.cells import FORMULA_WARNING, formula_like
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, can

# field → (header written on export, every header agencies use for it).
# Matching is exact after `header_key` (NFKC, no spaces, no "(必填)"-style notes, lower case).
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "identifier": (
        "盤點編號",
        ("盤點編號", "編號", "資料編號", "項目編號", "資料項目編號", "識別碼", "identifier", "id"),
    ),
    "agency": (
        "機關",
        ("機關", "機關名稱", "提供機關", "權責機關", "所屬機關", "機關別", "agency"),
    ),
    "unit": (
        "單位",
        ("單位", "單位名稱", "業務單位", "權責單位", "業管單位", "主管單位", "承辦單位", "unit"),
    ),
    "name": ("資料名稱", ("資料名稱", "資料集名稱", "資料項目名稱", "資料項目", "名稱", "name")),
    "description": (
        "資料說明",
        ("資料說明", "資料描述", "資料集描述", "資料內容", "內容說明", "描述", "description"),
    ),
    "source": (
        "資料來源",
        ("資料來源", "來源", "資料來源類型", "資料存放位置", "資料型態", "source"),
    ),
    "classification": (
        "開放類別",
        (
            "開放類別",
            "分級",
            "資料分類",
            "開放屬性",
            "開放分級",
            "資料開放分類",
            "資料分級",
            "提供方式",
            "資料提供屬性",
            "classification",
        ),
    ),
    "restriction_reason": (
        "不開放理由",
        (
            "不開放理由",
            "限制原因",
            "不開放原因",
            "未開放理由",
            "限制理由",
            "理由類別",
            "不予提供理由",
            "reason",
        ),
    ),
    "legal_basis": ("法令依據", ("法令依據", "法源依據", "法規依據", "依據法令", "legalbasis")),
    "restriction_note": ("理由說明", ("理由說明", "限制說明", "說明", "備註", "note")),
    "gender_statistics": (
        "性別統計",
        ("性別統計", "是否為性別統計", "性別統計資料", "是否為性別統計資料", "genderstatistics"),
    ),
    "priority": ("優先開放理由", ("優先開放理由", "優先開放原因", "優先理由", "priority")),
    "priority_required_by_law": ("依法應公開", ("依法應公開", "依法應公開者")),
    "priority_statutory_duty": (
        "法定職掌所產生無法規限制",
        ("法定職掌所產生無法規限制", "機關法定職掌所產生無法規限制者", "法定職掌"),
    ),
    "priority_high_demand": (
        "民間查詢量較高",
        ("民間查詢量較高", "民間查詢量(使用/申請)較高", "查詢量較高", "民間需求"),
    ),
    "planned": (
        "預計開放時間",
        (
            "預計開放時間",
            "預計開放年度",
            "開放期程",
            "預計開放期程",
            "預計開放日期",
            "預定開放時間",
            "planned",
        ),
    ),
    "status": ("狀態", ("狀態", "辦理狀態", "開放狀態", "辦理情形", "status")),
    "dataset_identifier": (
        "資料集編號",
        ("資料集編號", "資料集識別碼", "平臺資料集編號", "datasetidentifier"),
    ),
}

# The order of an export, which imports back unchanged.
EXPORT_FIELDS = [
    "identifier", "agency", "unit", "name", "description", "source", "classification",
    "restriction_reason", "legal_basis", "restriction_note", "gender_statistics", "priority",
    "planned", "status", "dataset_identifier",
]  # fmt: skip


def header_key(text: str) -> str:
    """Normalise a header: full-width → half-width, drop spaces, "*", "※" and bracketed notes."""
    cell = unicodedata.normalize("NFKC", text)
    cell = re.sub(r"\s+", "", cell).lower().strip("*※#:")
    # "資料名稱(必填)", "性別統計(是/否)" → the name before the note; but keep a header that is
    # only a bracket or whose bracket is part of an alias.
    if cell in _ALIASES:
        return cell
    stripped = re.sub(r"[(\[【].*?[)\]】]", "", cell)
    return stripped or cell


_ALIASES: dict[str, str] = {}
for _field, (_export, _aliases) in COLUMNS.items():
    for _alias in _aliases:
        _ALIASES[re.sub(r"\s+", "", unicodedata.normalize("NFKC", _alias)).lower()] = _field


def field_for_header(text: str) -> str | None:
    return _ALIASES.get(header_key(text)) if isinstance(text, str) else None


@dataclass
class ImportCheck:
    """What an import would do: the unsaved items, every problem found, and warnings."""

    file: str
    items: list[InventoryItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Cells a spreadsheet program would run as formulas: imported as text, but listed.
    warnings: list[Problem] = field(default_factory=list)
    sheet: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Header:
    row: int
    columns: dict[str, int]  # field → column index
    labels: dict[str, str]  # field → header as written


def _find_header(sheet: Sheet) -> tuple[_Header | None, list[Problem]]:
    """The first row (of the first few) that names the item's name column and one more."""
    for row_number, cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        found: dict[str, int] = {}
        labels: dict[str, str] = {}
        problems: list[Problem] = []
        for index, cell in enumerate(cells):
            if not isinstance(cell, str):
                continue
            field_name = field_for_header(cell)
            if field_name is None:
                continue
            if field_name in found:
                problems.append(
                    Problem(
                        sheet.file,
                        _("Columns “%(first)s” and “%(second)s” both mean the same thing.")
                        % {"first": labels[field_name], "second": cell.strip()},
                        sheet=sheet.name,
                        row=row_number,
                        column=cell.strip(),
                    )
                )
                continue
            found[field_name] = index
            labels[field_name] = cell.strip()
        if "name" in found and len(found) >= 2:
            return _Header(row_number, found, labels), problems
    return None, []


def _text(cell: Cell) -> str:
    if isinstance(cell, datetime.datetime | datetime.date):
        return cell.isoformat()
    return cell.strip()


def _organisation_index(ministry: Organisation) -> dict[str, list[Organisation]]:
    """Every organisation of the ministry, by each name people write for it."""
    index: dict[str, list[Organisation]] = {}
    for organisation in ministry.subtree():
        for name in {organisation.name, organisation.short_name, organisation.agency_code}:
            if name:
                index.setdefault(values.normalise(name), []).append(organisation)
    return index


def check_import(
    name: str, data: bytes, *, by: Person, default_organisation: Organisation
) -> ImportCheck:
    """Read `data` (named `name`) and turn every row into an unsaved item, collecting problems."""
    check = ImportCheck(name)
    try:
        sheets = read_sheets(name, data)
    except SpreadsheetError as error:
        check.problems.extend(error.problems)
        return check
    header: _Header | None = None
    sheet: Sheet | None = None
    for candidate in sheets:
        header, problems = _find_header(candidate)
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
    _check_rows(check, sheet, header, by=by, default_organisation=default_organisation)
    return check


class _Row:
    """One data row being read: its cells by field, and the problems found in it."""

    def __init__(self, check: ImportCheck, sheet: Sheet, header: _Header, number: int,
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
    """What every row of one import needs: names of organisations, rights, numbers in use."""

    def __init__(self, check: ImportCheck, *, by: Person, default_organisation: Organisation):
        self.check = check
        self.by = by
        self.default_organisation = default_organisation
        self.default_agency = default_organisation.agency
        self.index = _organisation_index(default_organisation.ministry)
        self.locked_agencies = set(
            AgencyInventory.objects.filter(status__in=LOCKED_STATES).values_list(
                "agency_id", flat=True
            )
        )
        self.taken: dict[int, set[str]] = {}  # agency pk → item numbers in the database
        self.seen: dict[tuple[int, str], int] = {}  # (agency pk, number) → first row
        self.permission: dict[int, bool] = {}

    def _agency(self, row: _Row) -> Organisation | None:
        written = row.text("agency")
        if not written:
            return self.default_agency
        for candidate in self.index.get(values.normalise(written), []):
            if candidate.kind in (OrganisationKind.AGENCY, OrganisationKind.MINISTRY):
                return candidate
        row.problem("agency", _("There is no agency called “%(name)s”.") % {"name": written})
        return None

    def _organisation(self, row: _Row, agency: Organisation) -> Organisation | None:
        written = row.text("unit")
        if not written:
            if self.default_organisation.agency.pk == agency.pk:
                return self.default_organisation
            return agency
        for candidate in self.index.get(values.normalise(written), []):
            if candidate.is_within(agency) and candidate.agency.pk == agency.pk:
                return candidate
        row.problem(
            "unit",
            _("%(agency)s has no unit called “%(name)s”.") % {"agency": agency, "name": written},
        )
        return None

    def _check_rights(self, row: _Row, agency: Organisation, organisation: Organisation) -> None:
        if organisation.pk not in self.permission:
            self.permission[organisation.pk] = can(self.by, Action.INVENTORY_EDIT, organisation)
        if not self.permission[organisation.pk]:
            row.problem(
                "unit" if row.text("unit") else "agency",
                _("You may not edit the inventory of %(organisation)s.")
                % {"organisation": organisation},
            )
        elif agency.pk in self.locked_agencies:
            row.problem(
                "agency",
                _(
                    "The inventory of %(agency)s has been submitted; its items cannot change"
                    " until it is returned."
                )
                % {"agency": agency},
            )

    def _check_identifier(self, row: _Row, agency: Organisation, identifier: str) -> None:
        key = (agency.pk, identifier)
        if key in self.seen:
            row.problem(
                "identifier",
                _("Item number “%(id)s” is also used on row %(row)d of this file.")
                % {"id": identifier, "row": self.seen[key]},
            )
        else:
            self.seen[key] = row.number
        if agency.pk not in self.taken:
            self.taken[agency.pk] = set(
                InventoryItem.objects.filter(agency=agency).values_list("identifier", flat=True)
            )
        if identifier in self.taken[agency.pk]:
            row.problem(
                "identifier",
                _("%(agency)s already has an item numbered “%(id)s”.")
                % {"agency": agency, "id": identifier},
            )

    def item(self, row: _Row) -> InventoryItem | None:
        """The unsaved item of `row`, or None when the row has problems (kept in `row`)."""
        agency = self._agency(row)
        organisation = self._organisation(row, agency) if agency is not None else None
        if agency is not None and organisation is not None:
            self._check_rights(row, agency, organisation)

        by_law, duty, demand = row.parsed("priority", values.parse_priority, (False,) * 3)
        if "priority_required_by_law" in row.header.columns:
            by_law = row.parsed("priority_required_by_law", values.parse_bool, False) or by_law
        if "priority_statutory_duty" in row.header.columns:
            duty = row.parsed("priority_statutory_duty", values.parse_bool, False) or duty
        if "priority_high_demand" in row.header.columns:
            demand = row.parsed("priority_high_demand", values.parse_bool, False) or demand
        planned_cell = row.cell("planned")
        if isinstance(planned_cell, datetime.date):
            planned_year, planned_half = values.planned_from_date(planned_cell)
        else:
            planned_year, planned_half = row.parsed("planned", values.parse_planned, (None, ""))
        classification = ""
        if not row.text("classification"):
            row.problem("classification", _("The classification (開放類別) is empty."))
        else:
            classification = row.parsed("classification", values.parse_classification, "")
        dataset_identifier = row.text("dataset_identifier")
        status = row.parsed("status", values.parse_status, "")
        if not status:
            if dataset_identifier:
                status = ItemStatus.OPENED
            elif classification == Classification.OPEN:
                status = ItemStatus.PLANNED
            else:
                status = ItemStatus.INVENTORIED
        identifier = row.text("identifier")
        name = row.text("name")
        if not name:
            row.problem("name", _("The name (資料名稱) is empty."))

        item = InventoryItem(
            agency=agency,
            organisation=organisation,
            identifier=identifier,
            name=name,
            description=row.text("description"),
            source=row.parsed("source", values.parse_source, ""),
            classification=classification,
            restriction_reason=row.parsed("restriction_reason", values.parse_reason, ""),
            legal_basis=row.text("legal_basis"),
            restriction_note=row.text("restriction_note"),
            gender_statistics=row.parsed("gender_statistics", values.parse_bool, False),
            priority_required_by_law=by_law,
            priority_statutory_duty=duty,
            priority_high_demand=demand,
            planned_year=planned_year,
            planned_half=planned_half,
            status=status,
            dataset_identifier=dataset_identifier,
            updated_by=self.by,
        )
        if identifier and agency is not None:
            self._check_identifier(row, agency, identifier)
        if agency is not None and organisation is not None and classification and name:
            # The model's own rules, with each error put back in the file's column.
            try:
                # Related objects were looked up above; re-checking each FK costs a query a row.
                item.full_clean(
                    exclude=[*_RELATED_FIELDS, *([] if identifier else ["identifier"])],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    column = _FIELD_COLUMNS.get(field_name, field_name)
                    for message in messages:
                        row.problem(column if column in COLUMNS else None, message)
        return None if row.problems else item


def _check_rows(
    check: ImportCheck,
    sheet: Sheet,
    header: _Header,
    *,
    by: Person,
    default_organisation: Organisation,
) -> None:
    checker = _RowChecker(check, by=by, default_organisation=default_organisation)
    for number, cells in sheet.rows:
        if number <= header.row:
            continue
        row = _Row(check, sheet, header, number, cells)
        _warn_formulas(row)
        item = checker.item(row)
        if item is None:
            # Each message once, left to right as the columns stand in the file.
            order = {name: header.columns[field] for field, name in header.labels.items()}
            check.problems.extend(
                sorted(dict.fromkeys(row.problems), key=lambda p: order.get(p.column, 10_000))
            )
        else:
            check.items.append(item)


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
