"""What an audit event's action and states are called, in words: one registry, filled by each app.

Audit events store stable keys (`inventory.submit`, `draft`); pages show the words. Each app
registers the labels of its own actions and statuses once (in its AppConfig.ready), so a page
of any app, and the audit trail itself, never shows a key. An action nobody registered reads as
"a change" (a test checks that every action an app's services write is registered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

_ACTIONS: dict[str, Any] = {}
_STATES: dict[str, Any] = {}


def register_actions(labels: Mapping[str, Any]) -> None:
    """Register {action key: lazy label} for an app's audit events."""
    _ACTIONS.update(labels)


def register_states(choices: Iterable[tuple[str, Any]]) -> None:
    """Register a TextChoices' (value, label) pairs as the words of from/to states."""
    _STATES.update(dict(choices))


def action_label(action: str) -> str:
    label = _ACTIONS.get(action)
    return str(label) if label is not None else _("a change")


def state_label(state: str) -> str:
    if not state:
        return ""
    label = _STATES.get(state)
    return str(label) if label is not None else state


def registered_actions() -> frozenset[str]:
    return frozenset(_ACTIONS)
