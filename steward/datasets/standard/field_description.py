"""主要欄位說明 (field description): parse the declared columns into a field list and back.

The standard writes items joined by ``、``, each ``英文欄位(中文說明)`` or ``中文欄位(說明)``;
real records also use full-width parentheses （）, full-width commas and bare names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

_OPEN = "(（"
_CLOSE = ")）"
#: Item separators at parenthesis depth 0. ``、`` is the standard; the others are seen in records.
_SEPARATORS = "、，,;；"


class FieldDescriptionError(ValueError):
    """A field description that cannot be read; the message is Chinese and says where."""


@dataclass(frozen=True)
class DeclaredField:
    """One declared column: its name (English or Chinese) and the explanation in brackets."""

    name: str
    description: str = ""

    @property
    def is_english(self) -> bool:
        """True for an ``英文欄位(中文說明)`` item, whose name is ASCII."""
        return self.name.isascii()

    @property
    def labels(self) -> tuple[str, ...]:
        """Names a real header may use for this field: the name and, if any, the description."""
        return (self.name, self.description) if self.description else (self.name,)


def parse_field_description(text: str, *, strict: bool = False) -> list[DeclaredField]:
    """Split 主要欄位說明 into :class:`DeclaredField` items.

    Lenient by default (empty items skipped, an unclosed bracket closes at the end of the text);
    with ``strict=True`` those raise :class:`FieldDescriptionError` naming the item.
    """
    return list(_parse(text, strict))


#: Brackets that balance and do not nest (the usual text): a regex reads the items then.
_FLAT = re.compile(r"(?:[^()（）]|[(（][^()（）]*[)）])*")
#: In such a text, an item (characters and whole bracketed parts) and the separator after it.
_FLAT_ITEM = re.compile(r"((?:[^()（）、，,;；]|[(（][^()（）]*[)）])*+)[、，,;；]")
#: Splits at brackets and separators (the only characters the parser looks at), keeping them.
_SPECIAL = re.compile("([" + re.escape(_OPEN + _CLOSE + _SEPARATORS) + "])")


# The resources of a dataset share one description and a crawl meets them close together: a
# small cache catches them. It is full early, and from then on each entry it keeps replaces
# one it drops; a cache that kept growing would bring the garbage collector's full
# collections (which visit every object of the process) forward.
@functools.lru_cache(maxsize=256)
def _parse(text: str, strict: bool) -> tuple[DeclaredField, ...]:
    items = _flat_items(text) if _FLAT.fullmatch(text) else _split_items(text, strict=strict)
    fields: list[DeclaredField] = []
    for number, raw in enumerate(items, start=1):
        item = raw.strip()
        if not item:
            if strict and (len(items) > 1 or not fields):
                raise FieldDescriptionError(f"第 {number} 項是空的，請刪除多餘的分隔符號「、」。")
            continue
        fields.append(_parse_item(item, number, strict=True) if strict else _lenient_item(item))
    if strict and not fields:
        raise FieldDescriptionError("沒有任何欄位。")
    return tuple(fields)


def _flat_items(text: str) -> list[str]:
    """The items of a text whose brackets balance and do not nest."""
    items, start = [], 0
    while (found := _FLAT_ITEM.match(text, start)) is not None:
        items.append(found.group(1))
        start = found.end()
    items.append(text[start:])
    return items


def _split_items(text: str, *, strict: bool) -> list[str]:
    """The items of any text: separators split only outside brackets, a stray ")" is dropped."""
    items: list[str] = []
    parts = _SPECIAL.split(text)  # text, special character, text, special character, …, text
    current = [parts[0]]  # pieces of the item being read (a stray ")" is left out)
    depth = 0
    for index in range(1, len(parts), 2):
        char = parts[index]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            if depth == 0:
                if strict:
                    raise FieldDescriptionError(
                        f"第 {len(items) + 1} 項「{''.join(current).strip()}{char}」多了一個右括號。"
                    )
                current.append(parts[index + 1])
                continue
            depth -= 1
        elif depth == 0:  # a separator
            items.append("".join(current))
            current = [parts[index + 1]]
            continue
        current.append(char)
        current.append(parts[index + 1])
    items.append("".join(current))
    if strict and depth:
        raise FieldDescriptionError(f"第 {len(items)} 項「{items[-1].strip()}」的括號沒有關閉。")
    return items


@functools.lru_cache(maxsize=512)  # items such as 年度(民國年) recur across whole catalogues
def _lenient_item(item: str) -> DeclaredField:
    return _parse_item(item, 0, strict=False)  # (the number only names an item in errors)


def _parse_item(item: str, number: int, *, strict: bool) -> DeclaredField:
    half, full = item.find("("), item.find("（")
    start = full if half < 0 else half if full < 0 else min(half, full)
    if start < 0:
        return DeclaredField(item)
    name = item[:start].strip()
    rest = item[start + 1 :]
    # the description runs to the matching bracket at the end; nested brackets stay inside it
    if rest and rest[-1] in _CLOSE:
        description, trailing = rest[:-1], ""
    else:
        description, trailing = rest, ""
        for end in range(len(rest) - 1, -1, -1):
            if rest[end] in _CLOSE:
                description, trailing = rest[:end], rest[end + 1 :].strip()
                break
    if strict and not name:
        raise FieldDescriptionError(f"第 {number} 項「{item}」缺少欄位名稱。")
    if strict and trailing:
        raise FieldDescriptionError(f"第 {number} 項「{item}」的括號後面還有文字「{trailing}」。")
    if not name:
        return DeclaredField(description.strip())
    return DeclaredField(name, description.strip())


def render_field_description(fields: Iterable[DeclaredField]) -> str:
    """Write fields back in the standard's form: ``name(description)`` items joined by ``、``."""
    parts = []
    for field in fields:
        parts.append(f"{field.name}({field.description})" if field.description else field.name)
    return "、".join(parts)
