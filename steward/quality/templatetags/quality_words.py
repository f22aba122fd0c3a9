"""Template filters that turn stored quality values into the words a civil servant reads."""

from __future__ import annotations

from typing import Any

from django import template

from steward.quality.checks.encoding import encoding_words
from steward.quality.checks.scores import mark_words

register = template.Library()


@register.filter
def mark_label(value: str) -> str:
    """ "gold" → 金標章, "none" → 無標章."""
    return mark_words(str(value or ""))


@register.filter
def encoding_label(value: str) -> str:
    """ "cp950" → BIG5（含微軟擴充字）, "utf-8-sig" → UTF-8（含 BOM）."""
    return encoding_words(str(value or ""))


@register.filter
def advice(result: Any) -> list[tuple[str, str]]:
    """Every piece of advice on a stored result, as the readable report lists it."""
    from steward.quality.report import resource_advice

    details = result.details or {}
    return resource_advice(details.get("findings") or [], details.get("checks") or {}, result.mark)
