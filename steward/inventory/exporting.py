"""Inventory items as rows for export (XLSX, ODS, CSV), in the columns an import reads back."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from steward.inventory import values
from steward.inventory.columns import COLUMNS, EXPORT_FIELDS
from steward.inventory.models import InventoryItem
from steward.inventory.spreadsheets import ExportError, write_csv, write_ods, write_xlsx

# The short Chinese words agencies write, which the import understands.
CLASSIFICATION_WORDS = {"open": "開放資料", "on_request": "依申請提供", "not_provided": "不予提供"}
REASON_WORDS = {
    "legal": "法令限制",
    "privacy": "個人隱私",
    "national_security": "國家安全",
    "third_party": "第三人權利",
    "sensitive": "敏感性資料",
    "other": "其他",
}
SOURCE_WORDS = {
    "system_database": "業管系統資料庫",
    "website": "官方網站電子資訊內容",
    "documents": "文件表單清冊報告",
}
STATUS_WORDS = {
    "inventoried": "已盤點",
    "planned": "預計開放",
    "opened": "已開放",
    "withdrawn": "停止提供",
}
FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "csv-big5": ("text/csv; charset=cp950", "csv"),
}


def item_cells(item: InventoryItem) -> dict[str, str]:
    """Every exported cell of `item`, by field, as the export writes it."""
    unit = item.organisation.name  # the agency itself when it holds the item
    return {
        "identifier": item.identifier,
        "agency": item.agency.name,
        "unit": unit,
        "name": item.name,
        "description": item.description,
        "source": SOURCE_WORDS.get(item.source, ""),
        "classification": CLASSIFICATION_WORDS.get(item.classification, ""),
        "restriction_reason": REASON_WORDS.get(item.restriction_reason, ""),
        "legal_basis": item.legal_basis,
        "restriction_note": item.restriction_note,
        "gender_statistics": values.format_bool(item.gender_statistics),
        "priority": values.format_priority(
            item.priority_required_by_law, item.priority_statutory_duty, item.priority_high_demand
        ),
        "planned": values.format_planned(item.planned_year, item.planned_half),
        "status": STATUS_WORDS.get(item.status, ""),
        "dataset_identifier": item.dataset_identifier,
    }


def item_row(item: InventoryItem) -> list[str]:
    cells = item_cells(item)
    return [cells[name] for name in EXPORT_FIELDS]


def item_rows(items: Iterable[InventoryItem]) -> tuple[list[str], list[list[str]]]:
    headers = [COLUMNS[name][0] for name in EXPORT_FIELDS]
    return headers, [item_row(item) for item in items]


def export_items(items: Iterable[InventoryItem], fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file extension); `fmt` is xlsx, ods, csv or csv-big5.

    Raises ExportError when Big5 cannot hold a character (see spreadsheets.write_csv).
    """
    headers, rows = item_rows(items)
    title = "資料資產盤點表"
    if fmt == "xlsx":
        content = write_xlsx(headers, rows, title=title)
    elif fmt == "ods":
        content = write_ods(headers, rows, title=title)
    elif fmt == "csv":
        content = write_csv(headers, rows, encoding="utf-8")
    elif fmt == "csv-big5":
        content = write_csv(headers, rows, encoding="cp950")
    else:
        raise ExportError(_("Unknown export format %(format)s.") % {"format": fmt})
    content_type, extension = FORMATS[fmt]
    return content, content_type, extension
