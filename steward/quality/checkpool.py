"""Worker processes that run the per-resource checks beside the crawler's event loop.

Fetching is I/O and stays in the event loop; the checks (sniffing, encoding, the table and the
personal-data scan, scores) are CPU work, and in the loop's process they would cap a crawl at
what one core can check. The crawler hands fetched resources to a shared
`ProcessPoolExecutor` in batches (`CrawlConfig.check_workers`, `check_batch`); each batch runs
`check_one` for each resource, exactly as the loop would, and returns the reports.

* The pool is created on first use and kept for the life of the process (a worker daemon or a
  CLI run pays the start-up once), and shut down at exit.
* Workers are started by a fork server, not by forking the caller: the crawl usually runs in a
  thread beside others (the job worker, the web process), and forking a threaded process can
  copy a held lock into the child.
* What the checks read from the caller's state travels with every batch (`CheckContext`): the
  active language, the time zone and the quality settings, so `override_settings` in a test or
  a per-request language are honoured in the workers too.
* A check function that cannot be pickled (a closure) runs in the loop as before.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation

if TYPE_CHECKING:
    from steward.quality.crawler import ResourceRef, ResourceReport
    from steward.quality.fetch import FetchResult

    Checker = Callable[[ResourceRef, FetchResult], ResourceReport]

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()


def default_workers() -> int:
    """`STEWARD_CHECK_WORKERS`, or one fewer than the cores (the loop keeps one), at least 0."""
    configured = getattr(settings, "STEWARD_CHECK_WORKERS", None)
    if configured is not None:
        return max(int(configured), 0)
    return max((os.cpu_count() or 1) - 1, 0)


@dataclass(frozen=True)
class CheckContext:
    """The caller's state that the checks depend on, applied in the worker for one batch."""

    language: str | None
    time_zone: str
    quality: Any

    @classmethod
    def current(cls) -> CheckContext:
        return cls(
            language=translation.get_language(),
            time_zone=settings.TIME_ZONE,
            quality=getattr(settings, "STEWARD_QUALITY", None),
        )

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        from django.test.utils import override_settings

        changed: dict[str, Any] = {}
        if self.time_zone != settings.TIME_ZONE:
            changed["TIME_ZONE"] = self.time_zone
        if self.quality != getattr(settings, "STEWARD_QUALITY", None):
            changed["STEWARD_QUALITY"] = self.quality
        with contextlib.ExitStack() as stack:
            if changed:
                stack.enter_context(override_settings(**changed))
            if self.language:
                stack.enter_context(translation.override(self.language))
            else:
                translation.deactivate_all()
            yield


def check_one(check: Checker, ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    """Run ``check`` on one fetched resource; a bug in a check becomes a finding, not a crash."""
    from steward.quality.crawler import link_only_report

    try:
        report = check(ref, fetched)
    except Exception as exc:  # a bug in a check must not stop the run
        report = link_only_report(ref, fetched)
        report.findings.append(
            {
                "code": "check_failed",
                "severity": "bad",
                "message": f"檢測程式發生錯誤：{type(exc).__name__}: {exc}",
                "fix": "",
            }
        )
    fetched.head = b""  # the body is not kept past the checks
    return report


def check_batch(
    check: Checker, batch: Sequence[tuple[ResourceRef, FetchResult]], context: CheckContext
) -> list[dict[str, Any]]:
    """Run in a worker: `check_one` for every resource of the batch, in the caller's context.

    Each report comes back without the ref and the fetch result, which the caller still has
    (`reattach` puts them back): half the bytes to pickle on both sides.
    """
    with context.applied():
        reports = [check_one(check, ref, fetched) for ref, fetched in batch]
    found = []
    for report, (ref, fetched) in zip(reports, batch, strict=True):
        if report.ref is not ref or report.fetch is not fetched:
            raise TypeError("a check must report on the resource and fetch result it was given")
        state = dict(vars(report))
        del state["ref"], state["fetch"]
        found.append(state)
    return found


def reattach(
    found: Sequence[dict[str, Any]], batch: Sequence[tuple[ResourceRef, FetchResult]]
) -> list[ResourceReport]:
    """The reports of `check_batch`, with their refs and fetch results back in place."""
    from steward.quality.crawler import ResourceReport

    reports = []
    for state, (ref, fetched) in zip(found, batch, strict=True):
        fetched.head = b""  # the body is not kept past the checks
        reports.append(ResourceReport(ref=ref, fetch=fetched, **state))
    return reports


def _start_worker() -> None:
    import django

    django.setup()


def picklable(check: Checker) -> bool:
    """Whether ``check`` can be sent to a worker (module-level functions can, closures cannot)."""
    try:
        pickle.dumps(check)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of ``workers`` check processes, started on first use."""
    with _lock:
        pool = _pools.get(workers)
        if pool is None or getattr(pool, "_broken", False):
            pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
            )
            _pools[workers] = pool
        return pool


def worker_pids() -> list[int]:
    """Process ids of the running check workers (for measurements)."""
    with _lock:
        return [pid for pool in _pools.values() for pid in getattr(pool, "_processes", {}) or {}]


def discard_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool (a worker died) so that the next crawl starts a new one."""
    with _lock:
        for key, known in list(_pools.items()):
            if known is pool:
                del _pools[key]
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)
