"""Long runs over a large working set, kept out of the cyclic garbage collector's way.

A national check holds 150,000 resource references, their validators and the run's tally for
minutes, while it makes and drops millions of short-lived objects (reports, rows, batches).
Each of CPython's full collections walks every tracked object, the long-lived set included: in
`bench/recording.py` (PostgreSQL, 150,000 resources) the caller spent 9.2 of its 17.8 CPU
seconds of a 304 re-check, and 47 of the first check's 147 seconds, in the collector.

`long_lived()` freezes what is alive when a block starts (`gc.freeze`): those objects are
left out of every collection until the outermost block ends (`gc.unfreeze`). Reference
counting frees them as before; only a reference cycle among them waits for the end of the
block. The measured gain is in docs/benchmarks.md ("The cyclic collector and long runs").
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_frozen_before = False  # the heap was frozen already when the outermost block began


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Keep everything alive now out of the cyclic collector until the block ends.

    Blocks nest, in any thread (a check's crawl runs in a thread of its own): each one
    freezes what has been made since, and only the outermost one unfreezes, unless the heap
    was frozen before it began (a server's start-up, `steward.wsgi`): that stays frozen.
    """
    global _depth, _frozen_before
    with _lock:
        if _depth == 0:
            _frozen_before = gc.get_freeze_count() > 0
        gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and not _frozen_before:
                gc.unfreeze()
