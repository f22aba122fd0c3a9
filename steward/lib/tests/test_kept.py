"""`Kept`: immutable rows read once, then served from the process, within a bound."""

from __future__ import annotations

from collections.abc import Iterable

from steward.lib.kept import Kept, clear_all


class Reader:
    """Reads rows "row N" by primary key (none of `missing`), noting each read's keys."""

    def __init__(self, missing: Iterable[int] = ()) -> None:
        self.asked: list[list[int]] = []
        self.missing = set(missing)

    def __call__(self, pks: list[int]) -> dict[int, str]:
        self.asked.append(pks)
        return {pk: f"row {pk}" for pk in pks if pk not in self.missing}


def test_rows_are_read_once_then_kept() -> None:
    read = Reader()
    kept: Kept[str] = Kept(capacity=10)
    assert kept.get([1, 2], read) == {1: "row 1", 2: "row 2"}
    assert kept.get([2, 3], read) == {2: "row 2", 3: "row 3"}
    assert read.asked == [[1, 2], [3]]  # only what was not kept is read


def test_the_oldest_rows_go_first_beyond_the_capacity() -> None:
    read = Reader()
    kept: Kept[str] = Kept(capacity=3)
    kept.get([1, 2, 3], read)
    kept.get([4], read)  # 1 goes
    read.asked.clear()
    assert kept.get([1, 2, 3, 4], read) == {pk: f"row {pk}" for pk in (1, 2, 3, 4)}
    assert read.asked == [[1]]


def test_a_row_the_read_does_not_find_is_left_out_and_asked_for_again() -> None:
    read = Reader(missing=[2])
    kept: Kept[str] = Kept(capacity=10)
    assert kept.get([1, 2], read) == {1: "row 1"}
    assert kept.get([1, 2], read) == {1: "row 1"}
    assert read.asked == [[1, 2], [2]]


def test_clear_all_empties_every_kept() -> None:
    read = Reader()
    first: Kept[str] = Kept(capacity=10)
    second: Kept[str] = Kept(capacity=10)
    first.get([1], read)
    second.get([1], read)
    clear_all()
    first.get([1], read)
    second.get([1], read)
    assert read.asked == [[1], [1], [1], [1]]
