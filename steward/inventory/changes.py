"""What an inventory import would change: added, changed (cell by cell), unchanged, not in file.

`preview(check)` turns an `importing.ImportCheck` into an `ImportPreview`, which the page, the
API and `steward inventory import --check` show before anything is saved. Cells are compared
as the export writes them (開放類別「依申請提供」→「開放資料」), so a person reads the diff in the
words of their spreadsheet. `digest` fingerprints exactly what would be written, including
the current values of every item touched: applying re-checks the file and refuses when the
digest differs, so confirming applies exactly the previewed change or nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from steward.inventory.columns import COLUMNS, EXPORT_FIELDS
from steward.inventory.exporting import item_cells
from steward.inventory.importing import ImportCheck
from steward.inventory.models import InventoryItem
from steward.inventory.spreadsheets import Problem

#: The model fields an import may change, compared to decide whether a row changes an item.
COMPARED_FIELDS = [
    "organisation_id", "name", "description", "source", "classification",
    "restriction_reason", "legal_basis", "restriction_note", "gender_statistics",
    "priority_required_by_law", "priority_statutory_duty", "priority_high_demand",
    "planned_year", "planned_half", "status", "dataset_identifier",
]  # fmt: skip

#: Rows of each kind a preview keeps in full for display (the counts are always exact).
SHOWN_ROWS = 500


@dataclass(frozen=True)
class CellChange:
    """One cell that changes: the column as the export heads it, old and new value."""

    column: str
    old: str
    new: str


@dataclass
class RowChange:
    """One row of the preview: where it is in the file and what it does to which item."""

    row: int | None
    identifier: str
    agency: str
    name: str
    cells: list[CellChange] = field(default_factory=list)


@dataclass
class ImportPreview:
    """Everything an import would do, or every problem that stops it."""

    file: str
    sheet: str = ""
    added: list[RowChange] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    missing: list[RowChange] = field(default_factory=list)
    added_count: int = 0
    changed_count: int = 0
    unchanged_count: int = 0
    missing_count: int = 0
    remove_missing: bool = False
    problems: list[Problem] = field(default_factory=list)
    # Cells a spreadsheet program would run as formulas: imported as text, but listed.
    warnings: list[Problem] = field(default_factory=list)
    needs_unit: bool = False
    digest: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def removed_count(self) -> int:
        return self.missing_count if self.remove_missing else 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added_count or self.changed_count or self.removed_count)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [problem.as_dict() for problem in self.problems]
        data["warnings"] = [warning.as_dict() for warning in self.warnings]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportPreview:
        def rows(key: str) -> list[RowChange]:
            return [
                RowChange(
                    row=entry["row"],
                    identifier=entry["identifier"],
                    agency=entry["agency"],
                    name=entry["name"],
                    cells=[CellChange(**cell) for cell in entry["cells"]],
                )
                for entry in data.get(key, [])
            ]

        return cls(
            file=data["file"],
            sheet=data.get("sheet", ""),
            added=rows("added"),
            changed=rows("changed"),
            missing=rows("missing"),
            added_count=data.get("added_count", 0),
            changed_count=data.get("changed_count", 0),
            unchanged_count=data.get("unchanged_count", 0),
            missing_count=data.get("missing_count", 0),
            remove_missing=data.get("remove_missing", False),
            problems=[Problem(**problem) for problem in data.get("problems", [])],
            warnings=[Problem(**warning) for warning in data.get("warnings", [])],
            needs_unit=data.get("needs_unit", False),
            digest=data.get("digest", ""),
        )


def state(item: InventoryItem) -> dict[str, Any]:
    """The compared values of an item, as JSON-ready values."""
    return {name: getattr(item, name) for name in COMPARED_FIELDS}


def changed_fields(before: InventoryItem, after: InventoryItem) -> list[str]:
    """The model fields (attnames) whose values differ."""
    return [name for name in COMPARED_FIELDS if getattr(before, name) != getattr(after, name)]


def cell_changes(before: InventoryItem, after: InventoryItem) -> list[CellChange]:
    """The export's cells that differ, left to right."""
    old, new = item_cells(before), item_cells(after)
    return [
        CellChange(COLUMNS[name][0], old[name], new[name])
        for name in EXPORT_FIELDS
        if old[name] != new[name]
    ]


def _summary(row: int | None, item: InventoryItem, cells: list[CellChange]) -> RowChange:
    return RowChange(row, item.identifier, item.agency.name, item.name, cells)


def preview(check: ImportCheck, *, remove_missing: bool = False) -> ImportPreview:
    """What importing `check` would do; `remove_missing` deletes the items not in the file."""
    result = ImportPreview(
        check.file,
        sheet=check.sheet,
        problems=list(check.problems),
        warnings=list(check.warnings),
        needs_unit=check.needs_unit,
        remove_missing=remove_missing,
    )
    if not check.ok:
        return result
    fingerprint: list[Any] = []
    for checked in check.rows:
        item, existing = checked.item, checked.existing
        if existing is None:
            result.added_count += 1
            if len(result.added) < SHOWN_ROWS:
                result.added.append(_summary(checked.row, item, []))
            fingerprint.append(["add", item.agency_id, item.identifier, state(item)])
        elif changed_fields(existing, item):
            result.changed_count += 1
            if len(result.changed) < SHOWN_ROWS:
                result.changed.append(_summary(checked.row, item, cell_changes(existing, item)))
            fingerprint.append(["change", existing.pk, state(existing), state(item)])
        else:
            result.unchanged_count += 1
            fingerprint.append(["same", existing.pk, state(existing)])
    for item in sorted(check.missing, key=lambda i: (i.agency.path, i.identifier)):
        result.missing_count += 1
        if len(result.missing) < SHOWN_ROWS:
            result.missing.append(_summary(None, item, []))
        if remove_missing:
            fingerprint.append(["remove", item.pk, state(item)])
    encoded = json.dumps([check.file, remove_missing, fingerprint], default=str, sort_keys=True)
    result.digest = hashlib.sha256(encoded.encode()).hexdigest()
    return result
