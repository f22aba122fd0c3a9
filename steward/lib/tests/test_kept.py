"""`Kept`: immutable rows read once, then served from the process, within a bound."""

from __future__ import annotations

from steward.lib.kept import Kept, clear_all


def test_rows_are_read_once_then_kept() -> None:
    asked: list[list[int]] = []

    def read(pks: list[int]) -> dict[int, str]:
        asked.append(pks)
        return {pk: f"row {pk}" for pk in pks}

    kept: Kept[str] = Kept(capacity=10)
    assert kept.get([1, 2], read) == {1: "row 1", 2: "row 2"}
    assert kept.get([2, 3], read) == {2: "row 2", 3: "row 3"}
    assert asked == [[1, 2], [3]]  # only what was not kept is read


def test_the_oldest_rows_go_first_beyond_the_capacity() -> None:
    asked: list[list[int]] = []

    def read(pks: list[int]) -> dict[int, int]:
        asked.append(pks)
        return {pk: pk for pk in pks}

    kept: Kept[int] = Kept(capacity=3)
    kept.get([1, 2, 3], read)
    kept.get([4], read)  # 1 goes
    asked.clear()
    assert kept.get([1, 2, 3, 4], read) == {1: 1, 2: 2, 3: 3, 4: 4}
    assert asked == [[1]]


def test_a_row_the_read_does_not_find_is_left_out_and_asked_for_again() -> None:
    asked: list[list[int]] = []

    def read(pks: list[int]) -> dict[int, int]:
        asked.append(pks)
        return {pk: pk for pk in pks if pk != 2}

    kept: Kept[int] = Kept(capacity=10)
    assert kept.get([1, 2], read) == {1: 1}
    assert kept.get([1, 2], read) == {1: 1}
    assert asked == [[1, 2], [2]]


def test_clear_all_empties_every_kept() -> None:
    asked: list[list[int]] = []

    def read(pks: list[int]) -> dict[int, int]:
        asked.append(pks)
        return {pk: pk for pk in pks}

    first: Kept[int] = Kept(capacity=10)
    second: Kept[int] = Kept(capacity=10)
    first.get([1], read)
    second.get([1], read)
    clear_all()
    first.get([1], read)
    second.get([1], read)
    assert asked == [[1], [1], [1], [1]]
