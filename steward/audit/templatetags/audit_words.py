"""Template filters: an audit event's action and states in words (see audit/labels.py)."""

from __future__ import annotations

from django import template

from steward.audit.labels import action_label as _action_label
from steward.audit.labels import state_label as _state_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(str(action or ""))


@register.filter
def state_label(state: str) -> str:
    return _state_label(str(state or ""))
