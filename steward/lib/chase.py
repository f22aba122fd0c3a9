"""Chasing once (提醒與稽催): the one rule for reminders and escalations sent a single time.

A reminder or an escalation marks its row (`reminded_on`, `escalated_at`, ...) so that it is
sent once, however many workers run the periodic job at the same time: each candidate row is
locked, re-checked (another worker may have got there first, or the work was done
meanwhile), marked, recorded with one audit event and told, in its own transaction::

    chased = chase_once(
        Task.objects.select_related("organisation"), candidate_pks,
        field="reminded_on", value=today, action="task.remind",
        still_waiting=lambda task: task.status in UNFINISHED,
        tell=lambda task: notify(workers_of(task.organisation), subject=..., body=...),
    )

The row needs `organisation` and `status` (the audit event's subject and states).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models, transaction

from steward.audit.services import record

M = TypeVar("M", bound=models.Model)


def chase_once(
    queryset: models.QuerySet[M],
    candidates: Iterable[int],
    *,
    field: str,
    value: Any,
    action: str,
    still_waiting: Callable[[M], bool],
    tell: Callable[[M], None],
) -> list[M]:
    """Mark, record and tell each candidate still waiting and not yet chased; the chased rows."""
    chased = []
    for pk in list(candidates):
        with transaction.atomic():
            row = queryset.select_for_update().get(pk=pk)
            if getattr(row, field) is not None or not still_waiting(row):
                continue  # another worker got there first, or the work was done meanwhile
            setattr(row, field, value)
            row.save(update_fields=[field])
            status = row.status  # type: ignore[attr-defined]
            record(actor=None, action=action, subject=row,
                   organisation=row.organisation,  # type: ignore[attr-defined]
                   from_state=status, to_state=status)  # fmt: skip
            tell(row)
            chased.append(row)
    return chased
