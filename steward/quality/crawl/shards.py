"""A large crawl split by host across crawler processes (shards), each fetching and checking.

One event loop fetches at most a few thousand resources a second, and the checks of each
resource (sniffing, encoding, table, personal data, scores) cost CPU as well; one process caps
a crawl at what one core can do. `crawl()` therefore hands a large crawl (at least
`CrawlConfig.processes_from` resources) to `ShardedCrawl`, which starts `CrawlConfig.processes`
shard processes and routes every resource to one of them:

* **By host.** Every host belongs to exactly one shard, so the per-host concurrency limit,
  the per-host rate and a host's Retry-After pause hold exactly as in one process. A new host
  goes to the shard with the fewest resources so far. The global concurrency is shared out.
* **Each shard is a whole crawler.** It runs `Crawler` with the checks in its own loop and
  sends reports back in batches; the caller's process only reads inputs and routes them
  (a pickled ref out, a pickled report back). At most `CrawlConfig.max_buffered` resources are
  out at a time, so a long catalogue is still read lazily.
* **The caller's context travels along.** Language, time zone and quality settings
  (`CheckContext`) are applied in the shard for the whole crawl, so `override_settings` in a
  test or a per-request language holds there too.
* **A shard that dies loses nothing.** Its unreported resources go to a fresh shard. The
  checks run one at a time in a shard's loop and the shard notes in shared memory which
  resource it is checking, so when a file crashes the checks (a parser's segfault, the kernel's
  out-of-memory killer) the caller knows which: that resource is not given to another shard but
  fetched by the caller, and reported with its link verdict and a `check_crashed` finding
  instead of the content checks (a file that crashes the checks must not crash the caller).
  When a shard dies outside a check, a resource that was out in two dead shards is treated
  the same way. After `MAX_RESTARTS` dead shards in one crawl the rest is crawled in the
  caller's loop.
* **Cheap to start.** Shards are forked from a fork server that has already set up Django
  (`steward.quality.crawl.shard_boot`), never from the caller: the caller is often a thread beside
  others (the job worker, a web process), and forking a threaded process can copy a held lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation

from steward.lib.http import AddressPolicy, client_session, host_key, run_loop

if TYPE_CHECKING:
    from steward.quality.crawl.crawler import CrawlConfig, ResourceRef, ResourceReport
    from steward.quality.crawl.fetch import FetchResult

    Checker = Callable[[ResourceRef, FetchResult], ResourceReport]

logger = logging.getLogger(__name__)

#: Refs per message to a shard, and reports per message back.
BATCH = 64
#: Dead shards one crawl replaces before it crawls the rest in the caller's loop.
MAX_RESTARTS = 4
#: A ref out in this many dead shards is link-checked by the caller instead.
CRASHES_BEFORE_FALLBACK = 2
#: Seconds a finished shard gets to exit before it is terminated.
EXIT_GRACE = 5.0
_PROTOCOL = pickle.HIGHEST_PROTOCOL


def default_processes() -> int:
    """`STEWARD_CRAWL_PROCESSES`, or one per core on a machine with more than one (else 0)."""
    configured = getattr(settings, "STEWARD_CRAWL_PROCESSES", None)
    if configured is not None:
        return max(int(configured), 0)
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


def picklable(check: Checker) -> bool:
    """Whether ``check`` can be sent to a shard (module-level functions can, closures cannot)."""
    try:
        pickle.dumps(check)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class CheckContext:
    """The caller's state that the checks depend on, applied in the shard for the crawl."""

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
        changed: dict[str, Any] = {}
        if self.time_zone != settings.TIME_ZONE:
            changed["TIME_ZONE"] = self.time_zone
        if self.quality != getattr(settings, "STEWARD_QUALITY", None):
            changed["STEWARD_QUALITY"] = self.quality
        with contextlib.ExitStack() as stack:
            if changed:  # (django.test costs a shard a quarter-second to import: only then)
                from django.test.utils import override_settings

                stack.enter_context(override_settings(**changed))
            if self.language:
                stack.enter_context(translation.override(self.language))
            else:
                translation.deactivate_all()
            yield


@dataclass(frozen=True)
class ShardSetup:
    """What a shard process needs to crawl: its share of the limits, the check, the context."""

    config: CrawlConfig
    policy: AddressPolicy
    check: Checker
    context: CheckContext


def crashed_report(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    """The link verdict alone, saying that the content checks crashed on this resource."""
    from steward.quality.crawl.crawler import link_only_report

    report = link_only_report(ref, fetched)
    report.findings.append(
        {
            "code": "check_crashed",
            "severity": "bad",
            "message": "檢測程序在檢查此資源的內容時意外結束，本次只檢查了連結，下次排程會再檢查。",
            "fix": "若持續發生，請確認檔案未損毀，並以常見軟體重新存檔後上傳。",
        }
    )
    return report


# --- the shard process ------------------------------------------------------------------------


def shard_main(conn: Connection, setup: ShardSetup, checking: Any) -> None:
    """Entry point of a shard process: crawl what the caller sends until it says "end".

    ``checking`` is a shared integer: the caller's number of the resource being checked, or 0.
    """
    import django

    django.setup()  # already done by the fork server's preload; cheap when it was
    # what the fork server preloaded (Django, the checks) lives as long as the shard: keep the
    # collector from walking it again and again (and from copying its pages on write)
    gc.freeze()
    try:
        run_loop(_serve(conn, setup, checking))
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            conn.send_bytes(pickle.dumps(("failed", traceback.format_exc()), _PROTOCOL))
        raise
    finally:
        conn.close()


async def _serve(conn: Connection, setup: ShardSetup, checking: Any) -> None:
    from steward.quality.crawl.crawler import DONE, Crawler

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[bytes | None] = asyncio.Queue()

    def receive() -> None:
        try:
            while True:
                data = conn.recv_bytes()
                loop.call_soon_threadsafe(inbox.put_nowait, data)
        except (EOFError, OSError):
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(inbox.put_nowait, None)

    threading.Thread(target=receive, name="shard-inbox", daemon=True).start()
    config = setup.config
    with setup.context.applied():
        async with client_session(
            policy=setup.policy,
            timeouts=config.timeouts,
            limit=config.concurrency,
            limit_per_host=config.per_host,
        ) as session:
            numbers: dict[int, int] = {}  # id(ref) → the caller's number for it
            check = setup.check

            def noted_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
                checking.value = numbers[id(ref)]
                try:
                    return check(ref, fetched)
                finally:
                    checking.value = 0

            crawler = Crawler(session, config=config, check=noted_check)
            sender = asyncio.create_task(_send_reports(conn, crawler, numbers))
            while True:
                data = await inbox.get()
                if data is None:
                    sender.cancel()
                    return  # the caller is gone: nobody wants the rest
                kind, payload = pickle.loads(data)
                if kind == "end":
                    break
                for number, ref in payload:
                    numbers[id(ref)] = number
                    crawler.enqueue(ref)
            await crawler.finish()
            await crawler.results.put(DONE)
            await sender
            if crawler.failure is not None:
                raise crawler.failure
    conn.send_bytes(pickle.dumps(("done", None), _PROTOCOL))


async def _send_reports(conn: Connection, crawler: Any, numbers: dict[int, int]) -> None:
    """Send reports back in batches, without the ref the caller still has."""
    from steward.quality.crawl.crawler import DONE

    results = crawler.results
    finished = False
    while not finished:
        batch = [await results.get()]
        if len(batch) < BATCH:
            await asyncio.sleep(0.002)  # let a few more finish: fewer, larger messages
        while len(batch) < BATCH and not results.empty():
            batch.append(results.get_nowait())
        if batch[-1] is DONE:
            batch.pop()
            finished = True
        if batch:
            payload = [(numbers.pop(id(r.ref)), r.fetch, _without_ref(r)) for r in batch]
            conn.send_bytes(pickle.dumps(("reports", payload), _PROTOCOL))


def _without_ref(report: ResourceReport) -> dict[str, Any]:
    state = dict(vars(report))
    del state["ref"], state["fetch"]
    return state


# --- the caller's side ------------------------------------------------------------------------


@dataclass
class _Shard:
    """One running shard process and what the caller has given it."""

    slot: int
    process: BaseProcess
    conn: Connection
    reader: threading.Thread
    checking: Any  # shared integer: the number of the ref the shard is checking, or 0
    outstanding: dict[int, ResourceRef] = field(default_factory=dict)
    batch: list[tuple[int, ResourceRef]] = field(default_factory=list)
    ended: bool = False  # "end" was sent
    done: bool = False  # the shard said it finished


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["steward.quality.crawl.shard_boot"])
    return context


class ShardedCrawl:
    """One crawl over `config.processes` shard processes; use `crawl()`, which picks this."""

    def __init__(self, *, config: CrawlConfig, policy: AddressPolicy, check: Checker) -> None:
        self.config = config
        self.check = check
        count = max(config.processes, 1)
        self.setup = ShardSetup(
            config=replace(
                config,
                processes=0,
                concurrency=max(1, math.ceil(config.concurrency / count)),
            ),
            policy=policy,
            check=check,
            context=CheckContext.current(),
        )
        self.slots: list[_Shard | None] = [None] * count
        self.loads = [0] * count  # refs routed to each slot so far
        self.hosts: dict[str, int] = {}  # host → slot
        self.inbox: asyncio.Queue[tuple[_Shard | None, Any]] = asyncio.Queue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.numbered = 0
        self.out = 0  # refs sent and not reported yet
        self.crashes: dict[int, int] = {}  # ref number → dead shards it was out in
        self.restarts = 0
        self.ending = False
        self.fallback: Any = None  # the in-loop Crawler, made when first needed
        self.fallback_tasks: list[asyncio.Task[None]] = []
        self.fallback_numbers: dict[int, int] = {}

    # processes

    def _start(self, slot: int) -> _Shard:
        context = _context()
        ours, theirs = context.Pipe(duplex=True)
        checking = context.RawValue("q", 0)
        process = context.Process(
            target=shard_main,
            args=(theirs, self.setup, checking),
            name=f"crawl-shard-{slot}",
            daemon=True,
        )
        process.start()
        theirs.close()  # only the shard holds its end now, so its exit reads as end of file
        shard = _Shard(slot, process, ours, threading.Thread(), checking)
        shard.reader = threading.Thread(
            target=self._receive, args=(shard,), name=f"crawl-shard-{slot}-reader", daemon=True
        )
        shard.reader.start()
        self.slots[slot] = shard
        return shard

    def _receive(self, shard: _Shard) -> None:
        """Reader thread: hand each message of one shard to the loop; None when it ends."""
        loop = self.loop
        assert loop is not None
        data: bytes | None = None
        try:
            while True:
                try:
                    data = shard.conn.recv_bytes()
                except (EOFError, OSError):
                    data = None
                loop.call_soon_threadsafe(self.inbox.put_nowait, (shard, data))
                if data is None:
                    return
        except RuntimeError:
            return  # the loop is closed: the crawl is over and nobody reads any more

    def _send(self, shard: _Shard, message: tuple[str, Any]) -> None:
        # when it died, its reader reports the end and `_lost` hands its refs on
        with contextlib.suppress(OSError, ValueError):
            shard.conn.send_bytes(pickle.dumps(message, _PROTOCOL))

    def _stop(self, shard: _Shard, *, grace: float = 0.0) -> None:
        """Make sure the shard process is gone, then release its reader thread and connection.

        A shard that was told "end" and owes nothing more gets ``grace`` seconds to exit.
        """
        if shard.done or grace:
            shard.process.join(EXIT_GRACE if shard.done else grace)
        if shard.process.is_alive():
            shard.process.terminate()
            shard.process.join(EXIT_GRACE)
        if shard.process.is_alive():
            shard.process.kill()
            shard.process.join()
        shard.reader.join(EXIT_GRACE)
        shard.conn.close()

    # routing

    def _route(self, number: int, ref: ResourceRef) -> None:
        key = host_key(ref.url)
        slot = self.hosts.get(key)
        if slot is None:
            slot = self.hosts[key] = min(range(len(self.loads)), key=self.loads.__getitem__)
        self.loads[slot] += 1
        self.out += 1
        shard = self.slots[slot]
        if shard is None:  # no shard can run this slot any more: crawl it here
            self._crawl_here(number, ref)
            return
        shard.outstanding[number] = ref
        shard.batch.append((number, ref))
        if len(shard.batch) >= BATCH:
            self._flush(shard)

    def _flush(self, shard: _Shard) -> None:
        if shard.batch:
            batch, shard.batch = shard.batch, []
            self._send(shard, ("refs", batch))

    def _flush_all(self) -> None:
        for shard in self.slots:
            if shard is not None:
                self._flush(shard)

    def _end_all(self) -> None:
        self.ending = True
        for shard in self.slots:
            if shard is not None and not shard.ended:
                self._flush(shard)
                shard.ended = True
                self._send(shard, ("end", None))

    # messages

    def _handle(self, shard: _Shard | None, data: Any) -> list[ResourceReport]:
        from steward.quality.crawl.crawler import ResourceReport

        if shard is None:  # a report of the in-loop fallback crawler
            report = data
            self.fallback_numbers.pop(id(report.ref), None)
            self.out -= 1
            return [report]
        if data is None:
            self._lost(shard)
            return []
        kind, payload = pickle.loads(data)
        if kind == "reports":
            reports = []
            for number, fetched, state in payload:
                ref = shard.outstanding.pop(number)
                self.crashes.pop(number, None)
                reports.append(ResourceReport(ref=ref, fetch=fetched, **state))
            self.out -= len(reports)
            return reports
        if kind == "done":
            shard.done = True
            return []
        if kind == "failed":
            raise RuntimeError(f"a crawl shard failed:\n{payload}")
        raise RuntimeError(f"unexpected message from a crawl shard: {kind!r}")

    def _lost(self, shard: _Shard) -> None:
        """A shard's connection ended: if it had not finished, hand its refs on."""
        if self.slots[shard.slot] is shard:
            self.slots[shard.slot] = None
        self._stop(shard)
        if shard.done and not shard.outstanding:
            return
        culprit = shard.checking.value if shard.checking.value in shard.outstanding else 0
        logger.warning(
            "crawl shard %s ended (exit code %s) with %d resources unreported%s",
            shard.slot,
            shard.process.exitcode,
            len(shard.outstanding),
            f", while checking {shard.outstanding[culprit].url}" if culprit else "",
        )
        replacement: _Shard | None = None
        if self.restarts < MAX_RESTARTS:
            self.restarts += 1
            try:
                replacement = self._start(shard.slot)
            except (OSError, ValueError):  # ValueError: no fork server on this platform
                logger.exception("could not start a crawl shard; crawling in this process")
        for number, ref in shard.outstanding.items():
            crashes = self.crashes[number] = self.crashes.get(number, 0) + 1
            if number == culprit:
                crashes = self.crashes[number] = CRASHES_BEFORE_FALLBACK
            if replacement is None or crashes >= CRASHES_BEFORE_FALLBACK:
                self._crawl_here(number, ref)
            else:
                replacement.outstanding[number] = ref
                replacement.batch.append((number, ref))
        if replacement is not None:
            self._flush(replacement)
            if self.ending:
                replacement.ended = True
                self._send(replacement, ("end", None))

    def _crawl_here(self, number: int, ref: ResourceRef) -> None:
        """Crawl one ref in the caller's loop (a dead shard's, or once shards cannot run)."""
        if self.fallback is None:
            self._start_fallback()
        self.fallback_numbers[id(ref)] = number
        self.fallback.enqueue(ref)

    def _fallback_check(self, ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
        number = self.fallback_numbers.get(id(ref))
        if number is not None and self.crashes.get(number, 0) >= CRASHES_BEFORE_FALLBACK:
            return crashed_report(ref, fetched)
        return self.check(ref, fetched)

    def _start_fallback(self) -> None:
        from steward.quality.crawl.crawler import Crawler

        config = self.setup.config
        session = client_session(
            policy=self.setup.policy,
            timeouts=config.timeouts,
            limit=config.concurrency,
            limit_per_host=config.per_host,
        )
        self.fallback = Crawler(session, config=config, check=self._fallback_check)

        async def forward() -> None:
            while True:
                report = await self.fallback.results.get()
                self.inbox.put_nowait((None, report))

        self.fallback_tasks.append(asyncio.create_task(forward()))

    # the crawl

    async def run(self, refs: Iterable[ResourceRef]) -> AsyncIterator[ResourceReport]:
        self.loop = asyncio.get_running_loop()
        try:
            for slot in range(len(self.slots)):
                self._start(slot)
        except (OSError, ValueError):
            logger.exception("could not start crawl shards; crawling in this process")
            for shard in self.slots:
                if shard is not None:
                    self._stop(shard)
            self.slots = [None] * len(self.slots)
        try:
            async for report in self._run(iter(refs)):
                yield report
        finally:
            await self._close()

    async def _run(self, refs: Iterator[ResourceRef]) -> AsyncIterator[ResourceReport]:
        window = max(self.config.max_buffered, 1)
        exhausted = False
        while True:
            read = 0
            while not exhausted and self.out < window and read < 1024:
                ref = next(refs, None)  # an error reading the inputs stops the run with it
                if ref is None:
                    exhausted = True
                    break
                self.numbered += 1
                read += 1
                self._route(self.numbered, ref)
            if exhausted and not self.ending:
                self._end_all()
            else:
                self._flush_all()
            if exhausted and self.out == 0:
                return
            if read and self.out < window and not exhausted:
                await asyncio.sleep(0)  # let reports in between long reads of inputs
                if self.inbox.empty():
                    continue
            shard, data = await self.inbox.get()
            for report in self._handle(shard, data):
                yield report
            while not self.inbox.empty():
                shard, data = self.inbox.get_nowait()
                for report in self._handle(shard, data):
                    yield report

    async def _close(self) -> None:
        # after a complete crawl every shard has its "end" and is finishing: let it; after an
        # abandoned one (an error, a consumer that stopped early) nothing more is wanted
        complete = self.ending and self.out == 0
        for shard in self.slots:
            if shard is not None:
                self._stop(shard, grace=EXIT_GRACE if complete else 0.0)
        self.slots = [None] * len(self.slots)
        for task in self.fallback_tasks:
            task.cancel()
        if self.fallback is not None:
            for task in list(self.fallback.workers):
                task.cancel()
            await asyncio.gather(
                *self.fallback_tasks, *self.fallback.workers, return_exceptions=True
            )
            await self.fallback.session.close()
