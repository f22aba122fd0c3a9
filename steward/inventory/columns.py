"""The inventory's columns: the headers agencies write for each field, the export's order,
and finding the header row of a sheet. Matching is by name, so columns may come in any order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from steward.inventory.spreadsheets import HEADER_SEARCH_ROWS, Problem, Sheet

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
class Header:
    row: int
    columns: dict[str, int]  # field → column index
    labels: dict[str, str]  # field → header as written


def find_header(sheet: Sheet) -> tuple[Header | None, list[Problem]]:
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
            return Header(row_number, found, labels), problems
    return None, []
