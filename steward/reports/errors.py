"""The one error a report raises when it cannot be made as asked (translated message)."""

from __future__ import annotations


class ReportError(Exception):
    """A report cannot be built as asked: unknown kind, period, meeting, version…"""
