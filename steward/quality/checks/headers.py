"""Compare a file's real header with the declared 主要欄位說明 (field description).

Each declared field ``name(description)`` matches a header cell equal to its name; a header equal
to its description (or ``x(description)``) or close to either (fuzzy) counts as *renamed*; the
rest are *missing* (declared, not in the file) or *extra* (in the file, not declared).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from steward.datasets.standard import DeclaredField, parse_field_description

from .findings import Finding, error, warning

#: Similarity above which a header is taken as a renamed declared field.
FUZZY_THRESHOLD = 0.8


@dataclass(frozen=True)
class Renamed:
    """A declared field found under another header; ``how`` is ``description`` or ``similar``."""

    declared: DeclaredField
    header: str
    how: str


@dataclass
class HeaderComparison:
    """The result of matching the real header against the declared fields."""

    header: list[str]
    declared: list[DeclaredField]
    matched: list[tuple[DeclaredField, str]] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    missing: list[DeclaredField] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    order_differs: bool = False
    blank_columns: list[int] = field(default_factory=list)  # 1-based
    duplicates: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        """The platform's ``desc_match``: every declared field present, nothing undeclared.

        A header that shows the declared Chinese description instead of the name still matches:
        the declaration describes the column correctly.
        """
        return (
            not self.missing
            and not self.extra
            and all(r.how == "description" for r in self.renamed)
        )

    def findings(self) -> list[Finding]:
        """Chinese findings saying what differs and how to fix it."""
        found: list[Finding] = []
        if self.blank_columns:
            columns = "、".join(str(c) for c in self.blank_columns[:10])
            found.append(
                error(
                    "blank_header",
                    f"第 {columns} 欄沒有欄位名稱。",
                    "請在標題列為每一欄填上名稱，空白欄請刪除。",
                )
            )
        if self.duplicates:
            found.append(
                error(
                    "duplicate_header",
                    f"欄位名稱重複：{'、'.join(self.duplicates)}。",
                    "每一欄的名稱必須不同，請改名以區分。",
                )
            )
        for item in self.missing:
            found.append(
                error(
                    "missing_field",
                    f"主要欄位說明列出的「{_show(item)}」在檔案中找不到。",
                    "請在檔案加入這一欄，或從主要欄位說明刪除。",
                )
            )
        for name in self.extra:
            found.append(
                error(
                    "extra_field",
                    f"檔案中的「{name}」欄沒有列在主要欄位說明。",
                    f"請在主要欄位說明補上「{name}(說明)」。",
                )
            )
        for renamed in self.renamed:
            make = warning if renamed.how == "description" else error
            found.append(
                make(
                    "renamed_field",
                    f"主要欄位說明寫「{_show(renamed.declared)}」，檔案的欄位名稱卻是「{renamed.header}」。",
                    "請讓檔案標題與主要欄位說明的欄位名稱一致。",
                )
            )
        if self.order_differs:
            found.append(
                warning(
                    "field_order",
                    "檔案欄位的順序與主要欄位說明不同。",
                    "請依檔案實際順序撰寫主要欄位說明，方便使用者對照。",
                )
            )
        return found


def _show(item: DeclaredField) -> str:
    return f"{item.name}({item.description})" if item.description else item.name


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _similar(a: str, b: str) -> float:
    """Similarity 0–1; one name containing the other (``agency`` / ``agency_name``) counts high."""
    if not a or not b:
        return 0.0
    x, y = _key(a), _key(b)
    shorter, longer = sorted((x, y), key=len)
    if len(shorter) >= 2 and shorter in longer:
        return max(FUZZY_THRESHOLD, difflib.SequenceMatcher(None, x, y).ratio())
    return difflib.SequenceMatcher(None, x, y).ratio()


def compare_header(
    header: Sequence[str], declared: Sequence[DeclaredField] | str
) -> HeaderComparison:
    """Match a real header against declared fields (a list, or the 主要欄位說明 text)."""
    fields = parse_field_description(declared) if isinstance(declared, str) else list(declared)
    cells = [cell.strip().lstrip("\ufeff") for cell in header]
    keys = list(map(_key, cells))
    if (
        all(cells)
        and keys == list(map(_key, [item.name for item in fields]))
        and len(set(keys)) == len(keys)
    ):
        # the usual case: every declared name in order, nothing else (what the rest would find)
        matched = list(zip(fields, cells, strict=True))
        return HeaderComparison(cells, fields, matched)
    result = HeaderComparison(header=cells, declared=fields)
    result.blank_columns = [i + 1 for i, cell in enumerate(cells) if not cell]
    counts = Counter(_key(c) for c in cells if c)
    result.duplicates = sorted({c for c in cells if c and counts[_key(c)] > 1})

    unmatched = {i: c for i, c in enumerate(cells) if c}
    position: dict[int, int] = {}  # declared index → header index

    def take(index: int, item_index: int) -> str:
        position[item_index] = index
        return unmatched.pop(index)

    pending: list[int] = []
    for d, item in enumerate(fields):
        name = _key(item.name)
        hit = next((i for i, c in unmatched.items() if _key(c) == name), None)
        if hit is not None:
            result.matched.append((item, take(hit, d)))
        else:
            pending.append(d)
    still: list[int] = []
    for d in pending:
        item = fields[d]
        hit = None
        if item.description:
            for i, cell in unmatched.items():
                inner = cell[cell.find("(") + 1 : -1] if cell.endswith(")") and "(" in cell else ""
                if _key(item.description) in (_key(cell), _key(inner)):
                    hit = i
                    break
        if hit is not None:
            result.renamed.append(Renamed(item, take(hit, d), "description"))
        else:
            still.append(d)
    for d in still:
        item = fields[d]
        scored = [
            (max(_similar(item.name, cell), _similar(item.description, cell)), i)
            for i, cell in unmatched.items()
        ]
        best = max(scored, default=(0.0, -1))
        if best[0] >= FUZZY_THRESHOLD:
            result.renamed.append(Renamed(item, take(best[1], d), "similar"))
        else:
            result.missing.append(item)
    result.extra = list(unmatched.values())
    order = [position[d] for d in sorted(position)]
    result.order_differs = order != sorted(order)
    return result
