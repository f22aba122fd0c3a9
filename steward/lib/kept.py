"""Rows that never change, kept in the process after their first read (bounded).

A stored quality verdict (`CheckResult`) is written once and never updated: a re-check that
finds the same verdict points at it again. A dashboard reads the latest verdict of every
resource of a ministry on each request, and reading those 6,000 rows' columns back through
the ORM cost more than choosing them. `Kept` keeps such rows by primary key, up to a number
of rows, in each process; the choice of which rows count is made by the database every time.

`clear_all()` empties every `Kept` (the tests do between tests: SQLite gives a rolled-back
test's ids to the next).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

Row = TypeVar("Row")

_every: weakref.WeakSet[Kept[object]] = weakref.WeakSet()


class Kept(Generic[Row]):
    """Immutable rows by primary key, at most `capacity` (the oldest kept go first)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._rows: dict[int, Row] = {}
        self._lock = threading.Lock()
        _every.add(self)  # type: ignore[arg-type]

    def get(
        self, pks: Iterable[int], read: Callable[[list[int]], dict[int, Row]]
    ) -> dict[int, Row]:
        """The rows of `pks`: those kept, and the others by `read(missing pks)`, then kept."""
        rows = self._rows
        found: dict[int, Row] = {}
        missing: list[int] = []
        for pk in pks:
            row = rows.get(pk)
            if row is None:
                missing.append(pk)
            else:
                found[pk] = row
        if missing:
            fresh = read(missing)
            found.update(fresh)
            with self._lock:
                rows.update(fresh)
                overflow = len(rows) - self.capacity
                if overflow > 0:  # dicts keep insertion order: the oldest kept go first
                    for pk in list(rows)[:overflow]:
                        del rows[pk]
        return found

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def clear_all() -> None:
    for kept in list(_every):
        kept.clear()
