"""`long_lived`: what is alive when a long run starts is left out of the cyclic collector."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from steward.lib.heap import long_lived


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_objects_alive_at_the_start_are_frozen_and_released_at_the_end() -> None:
    kept = [Node() for _ in range(100)]
    with long_lived():
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_a_frozen_cycle_dropped_during_the_block_is_collected_after_it() -> None:
    node = Node()
    alive = weakref.ref(node)
    with long_lived():
        del node
        gc.collect()
        assert alive() is not None  # frozen: not collected during the run
    gc.collect()
    assert alive() is None


def test_reference_counting_still_frees_during_the_block() -> None:
    class Leaf:
        pass

    leaf = Leaf()
    alive = weakref.ref(leaf)
    with long_lived():
        del leaf
        assert alive() is None


def test_blocks_nest_across_threads_and_only_the_outermost_unfreezes() -> None:
    inner_done = threading.Event()
    counts: list[int] = []

    def crawl() -> None:  # a check's crawl runs in a thread of its own
        with long_lived():
            counts.append(gc.get_freeze_count())
        inner_done.set()

    with long_lived():
        worker = threading.Thread(target=crawl)
        worker.start()
        inner_done.wait(5)
        worker.join(5)
        assert gc.get_freeze_count() > 0  # the inner block's end did not thaw the outer
    assert counts and counts[0] > 0
    assert gc.get_freeze_count() == 0


def test_an_error_in_the_block_still_unfreezes() -> None:
    with pytest.raises(RuntimeError), long_lived():
        raise RuntimeError("interrupted")
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_before_the_block_stays_frozen_after_it() -> None:
    """A server freezes its start-up (`steward.wsgi`); a run inside it does not thaw that."""
    kept = [Node() for _ in range(10)]
    gc.freeze()
    before = gc.get_freeze_count()
    with long_lived():
        pass
    assert gc.get_freeze_count() >= before >= len(kept)
