"""Reading the values agencies really write in their inventories (開放/依申請提供, 民國 years …).

Each parser takes the cell as text and returns the model value, or raises `ValueError` whose
message says what was expected. All are pure functions so they are easy to test and reuse.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.utils.translation import gettext as _

from steward.inventory.models import (
    Classification,
    Half,
    ItemStatus,
    RestrictionReason,
    Source,
)
from steward.lib.years import gregorian_year, roc_year

# Written in a cell to mean "nothing": treated as an empty cell.
EMPTY_MARKS = frozenset({"", "-", "--", "—", "無", "n/a", "na", "none", "null", "/", "不適用"})


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), no whitespace at all, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def is_empty(text: str) -> bool:
    return normalise(text) in EMPTY_MARKS


# (keywords, value), tried in order; a keyword matches if it occurs in the normalised cell.
_REASONS: list[tuple[tuple[str, ...], str]] = [
    (
        ("國家安全", "國安", "國家機密", "機密", "nationalsecurity", "national_security"),
        RestrictionReason.NATIONAL_SECURITY,
    ),
    (("個資", "個人資料", "隱私", "privacy"), RestrictionReason.PRIVACY),
    (
        ("第三人", "第三方", "智慧財產", "著作權", "營業秘密", "third"),
        RestrictionReason.THIRD_PARTY,
    ),
    (("敏感", "sensitive"), RestrictionReason.SENSITIVE),
    (("法令", "法規", "法律", "依法", "legal"), RestrictionReason.LEGAL),
    (("其他", "其它", "other"), RestrictionReason.OTHER),
]

_SOURCES: list[tuple[tuple[str, ...], str]] = [
    (("系統", "資料庫", "database", "system"), Source.SYSTEM_DATABASE),
    (("網站", "網頁", "website", "web"), Source.WEBSITE),
    (("文件", "表單", "清冊", "報告", "書面", "檔案", "document"), Source.DOCUMENTS),
]

_STATUSES: list[tuple[tuple[str, ...], str]] = [
    (("停止提供", "下架", "withdrawn"), ItemStatus.WITHDRAWN),
    (("未開放", "預計", "規劃", "待開放", "planned"), ItemStatus.PLANNED),
    (("已開放", "開放中", "已上架", "opened"), ItemStatus.OPENED),
    (("已盤點", "盤點", "inventoried"), ItemStatus.INVENTORIED),
]

_TRUE = frozenset({"是", "y", "yes", "v", "✓", "✔", "○", "o", "true", "1", "有", "●"})
_FALSE = frozenset({"否", "n", "no", "x", "×", "false", "0", "無", ""})


def _by_keywords(text: str, table: list[tuple[tuple[str, ...], str]], accepted: str) -> str:
    cell = normalise(text)
    for keywords, value in table:
        if any(keyword in cell for keyword in keywords):
            return value
    raise ValueError(
        _("“%(value)s” is not one of: %(accepted)s.")
        % {
            "value": text.strip(),
            "accepted": accepted,
        }
    )


# Classification is matched exactly (after dropping bracketed notes and a trailing 資料):
# "半開放" or "部分開放" must not slip through as open.
_CLASSIFICATION_WORDS: dict[str, str] = {
    word: value
    for words, value in [
        (("開放", "可開放", "已開放", "公開", "主動公開", "open"), Classification.OPEN),
        (
            (
                "依申請提供",
                "依申請",
                "申請提供",
                "有條件開放",
                "限制性開放",
                "onrequest",
                "on_request",
            ),
            Classification.ON_REQUEST,
        ),
        (
            (
                "不予提供",
                "不開放",
                "不提供",
                "不公開",
                "無法開放",
                "不予開放",
                "notprovided",
                "not_provided",
            ),
            Classification.NOT_PROVIDED,
        ),
    ]
    for word in words
}


def parse_classification(text: str) -> str:
    cell = re.sub(r"[(\[【].*?[)\]】]", "", normalise(text))
    for candidate in (cell, cell.removesuffix("資料")):
        if candidate in _CLASSIFICATION_WORDS:
            return _CLASSIFICATION_WORDS[candidate]
    raise ValueError(
        _("“%(value)s” is not one of: %(accepted)s.")
        % {"value": text.strip(), "accepted": "開放資料、依申請提供、不予提供"}
    )


def parse_reason(text: str) -> str:
    if is_empty(text):
        return ""
    return _by_keywords(
        text, _REASONS, "法令限制、個人隱私、國家安全、第三人權利、敏感性資料、其他"
    )


def parse_source(text: str) -> str:
    if is_empty(text):
        return ""
    return _by_keywords(text, _SOURCES, "業管系統資料庫、官方網站、文件表單清冊報告")


def parse_status(text: str) -> str:
    if is_empty(text):
        return ""
    return _by_keywords(text, _STATUSES, "已盤點、預計開放、已開放、停止提供")


def parse_bool(text: str) -> bool:
    cell = normalise(text)
    if cell in _TRUE:
        return True
    if cell in _FALSE or cell in EMPTY_MARKS:
        return False
    raise ValueError(_("“%(value)s” is neither yes (是/Y/V) nor no (否/N).") % {"value": text})


def parse_priority(text: str) -> tuple[bool, bool, bool]:
    """優先開放理由 in one cell → (required by law, statutory duty, high demand)."""
    cell = normalise(text)
    if cell in EMPTY_MARKS:
        return (False, False, False)
    by_law = "依法應公開" in cell or "應公開" in cell or "bylaw" in cell
    duty = "職掌" in cell or "duty" in cell
    demand = "查詢量" in cell or "需求" in cell or "申請量" in cell or "demand" in cell
    if not (by_law or duty or demand):
        raise ValueError(
            _("“%(value)s” names none of: 依法應公開、法定職掌所產生無法規限制、民間查詢量較高.")
            % {"value": text.strip()}
        )
    return (by_law, duty, demand)


def to_gregorian(year: int) -> int:
    """民國 years (2–3 digits) become Gregorian; 4-digit years stay."""
    return gregorian_year(year) if year < 1000 else year


def _half_of_month(month: int) -> str:
    return Half.H1 if month <= 6 else Half.H2


def parse_planned(text: str) -> tuple[int | None, str]:
    """A planned opening time → (Gregorian year or None, "H1"/"H2"/"").

    Accepts 115年上半年, 115年下半年, 115年第3季, 115年6月, 115/1 (half), 115/7 (month),
    2026H1, 2026 H2, 2026-03, 2026/09/30, 115 (year only, half left empty).
    """
    cell = normalise(text)
    if cell in EMPTY_MARKS:
        return (None, "")
    cell = cell.removeprefix("民國").removeprefix("中華民國")
    match = re.match(r"^(\d{2,4})(.*)$", cell)
    if not match:
        raise ValueError(
            _("“%(value)s” is not a planned time such as 115年上半年, 2026H1 or 115/1.")
            % {"value": text.strip()}
        )
    year = to_gregorian(int(match.group(1)))
    rest = match.group(2).removeprefix("年").removeprefix("度")
    if rest in ("",):
        return (year, "")
    if rest in ("上半年", "上半", "h1", "上"):
        return (year, Half.H1)
    if rest in ("下半年", "下半", "h2", "下", "底", "年底"):
        return (year, Half.H2)
    quarter = re.match(r"^(?:第)?([1-4一二三四])季$|^q([1-4])$", rest)
    if quarter:
        digit = quarter.group(1) or quarter.group(2)
        number = "一二三四".find(digit) + 1 if digit in "一二三四" else int(digit)
        return (year, Half.H1 if number <= 2 else Half.H2)
    slash = re.match(r"^[/\-.](\d{1,2})(?:[/\-.]\d{1,2})?$", rest)
    if slash:
        number = int(slash.group(1))
        if (
            cell.count("/") == 1
            and number in (1, 2)
            and not re.search(r"[/\-.]\d{1,2}[/\-.]", rest)
        ):
            # 115/1 and 115/2 mean the first and second half (the brief's agencies write so).
            return (year, Half.H1 if number == 1 else Half.H2)
        if 1 <= number <= 12:
            return (year, _half_of_month(number))
    month = re.match(r"^(\d{1,2})月(?:\d{1,2}日)?$", rest)
    if month and 1 <= int(month.group(1)) <= 12:
        return (year, _half_of_month(int(month.group(1))))
    raise ValueError(
        _("“%(value)s” is not a planned time such as 115年上半年, 2026H1 or 115/1.")
        % {"value": text.strip()}
    )


def planned_from_date(value: datetime.date) -> tuple[int, str]:
    """A date cell (spreadsheets store 開放期程 as dates too) → (year, half)."""
    return (value.year, _half_of_month(value.month))


def format_planned(year: int | None, half: str) -> str:
    """The export form: 115年上半年."""
    if not year:
        return ""
    return f"{roc_year(year)}年" + {"H1": "上半年", "H2": "下半年"}.get(half, "")


def format_bool(value: bool) -> str:
    return "是" if value else "否"


def format_priority(by_law: bool, duty: bool, demand: bool) -> str:
    parts = []
    if by_law:
        parts.append("依法應公開")
    if duty:
        parts.append("法定職掌所產生無法規限制")
    if demand:
        parts.append("民間查詢量較高")
    return "、".join(parts)
