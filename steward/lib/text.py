"""Checks on free text people type or upload, shared by every app that stores it."""

from __future__ import annotations

import re

#: C0 control characters other than tab, line feed and carriage return: no spreadsheet (XLSX
#: or ODS, both XML) can hold them, so text carrying one could never be exported.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def first_control_character(text: str) -> str | None:
    """The first control character in `text` that a spreadsheet cannot hold, or None."""
    match = _CONTROL.search(text)
    return match.group() if match else None
