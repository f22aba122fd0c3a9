"""The one shape every quality check reports a problem in: what is wrong and how to fix it.

Shared by the pure checks (sniff, encoding, tables, pii, scores, catalogue). ``code`` is a stable
English name for machines and tests; ``message`` and ``fix`` are plain Traditional Chinese for the
civil servant who must act on them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    """How bad a finding is; the values match the CSS classes ``status ok/warn/bad``."""

    INFO = "ok"
    WARNING = "warn"
    ERROR = "bad"


@dataclass(frozen=True)
class Finding:
    """One observation of a check: a stable code, a Chinese message and a Chinese fix."""

    code: str
    message: str
    fix: str = ""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.message}{self.fix}" if self.fix else self.message


def error(code: str, message: str, fix: str = "") -> Finding:
    """A finding that fails the check."""
    return Finding(code, message, fix, Severity.ERROR)


def warning(code: str, message: str, fix: str = "") -> Finding:
    """A finding worth fixing that does not fail the check."""
    return Finding(code, message, fix, Severity.WARNING)


def info(code: str, message: str, fix: str = "") -> Finding:
    """A neutral observation."""
    return Finding(code, message, fix, Severity.INFO)
