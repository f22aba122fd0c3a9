"""The crawler: fetch many resources politely and concurrently, then run the pure checks.

`crawl(refs, config=..., policy=...)` is an async generator of `ResourceReport`s, one per
input resource, in completion order. How it stays polite and robust:

* **Global concurrency** (`config.concurrency`) bounds requests in flight overall.
* **Per host**: at most `config.per_host` requests in flight (one worker coroutine per slot,
  each making one request at a time) and at most `config.per_host_rate` requests a second
  (a token bucket). A 429/503 with Retry-After pauses *that host* for the given time, if that
  is within `config.max_retry_after`; other hosts go on. A longer Retry-After ends that resource
  as unknown at once, with its re-check due when the server said. Transient failures are retried up to
  `config.max_attempts` with exponential back-off.
* **One bad host never stalls the others**: each host has its own queue and workers, so a
  slow or throttling host only holds its own slots.
* **Bounded memory**: inputs are read lazily (a generator over a catalogue file is fine),
  at most `config.max_buffered` inputs wait in host queues, only the first `need_bytes` of
  each body are read and they are dropped once the checks have run; results are handed to
  the consumer through a bounded queue.

The checks themselves run in `steward.quality.checks.pipeline.run_checks` (the default checker);
a bug in a check becomes a finding on that resource, never a stopped run.

Fetching and checking both cost CPU, so one loop caps a crawl at what one core can do: a crawl
of at least `config.processes_from` resources is split by host across `config.processes`
crawler processes (`steward.quality.crawl.shards`), each running this crawler with the same limits.
Smaller crawls, and checks that cannot be sent to another process (closures), stay in the
caller's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import marshal
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import aiohttp

from steward.lib.heap import long_lived
from steward.lib.http import AddressPolicy, Timeouts, client_session, host_key
from steward.quality.crawl.fetch import FetchResult, State, explain, fetch_resource
from steward.quality.crawl.shards import ShardedCrawl, default_processes, picklable

#: Declared formats (檔案格式) that are services or pages rather than downloadable files.
NON_FILE_FORMATS = frozenset({"SERVICES", "TOOLS", "HTML", "WEBSERVICES", "API", "網頁", "其他"})


@dataclass(frozen=True)
class ResourceRef:
    """One resource (資料資源) to check, with the metadata the checks compare against."""

    key: str  # stable: the resource ID, or the dataset identifier and the resource's position
    url: str
    dataset_identifier: str = ""
    dataset_title: str = ""
    publisher: str = ""
    declared_format: str = ""
    declared_encoding: str = ""
    field_description: str = ""  # 主要欄位說明
    update_frequency: str = ""  # 更新頻率
    modified: str = ""  # 最後更新時間 (or the catalogue's 詮釋資料更新時間)
    organisation_id: int | None = None
    resource_id: int | None = None  # the database Resource, when checking from the database
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: Validators of the last answer (from `ResourceHealth`): a re-check asks conditionally.
    etag: str = ""
    last_modified: str = ""

    @property
    def expect_file(self) -> bool:
        return self.declared_format.strip().upper() not in NON_FILE_FORMATS


@dataclass
class ResourceReport:
    """Everything checked about one resource in one run; compact and JSON-ready."""

    ref: ResourceRef
    fetch: FetchResult
    state: State
    reason: str
    explanation: str
    how_to_fix: str = ""
    detected_format: str = ""
    detected_encoding: str = ""
    encoding_matches: bool | None = None
    fields_match: bool | None = None
    flags: dict[str, int] = field(default_factory=dict)
    mark: str = ""
    stars: int | None = None
    timely: bool | None = None
    pii: dict[str, int] = field(default_factory=dict)
    findings: list[dict[str, str]] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    #: What the verdict says, hashed (see `verdict_fingerprints`); set when the crawl is
    #: recorded (`CrawlConfig.fingerprints`), so the crawler's processes do the hashing.
    fingerprint: str = ""
    content_fingerprint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.ref.key,
            "url": self.ref.url,
            "dataset": self.ref.dataset_identifier,
            "title": self.ref.dataset_title,
            "publisher": self.ref.publisher,
            "declared_format": self.ref.declared_format,
            "declared_encoding": self.ref.declared_encoding,
            "state": self.state.value,
            "reason": self.reason,
            "explanation": self.explanation,
            "how_to_fix": self.how_to_fix,
            "detected_format": self.detected_format,
            "detected_encoding": self.detected_encoding,
            "encoding_matches": self.encoding_matches,
            "fields_match": self.fields_match,
            "flags": self.flags,
            "mark": self.mark,
            "stars": self.stars,
            "timely": self.timely,
            "pii": self.pii,
            "findings": self.findings,
            "fetch": self.fetch.as_dict(),
            "checks": self.checks,
        }


Checker = Callable[[ResourceRef, FetchResult], ResourceReport]


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def timeliness_fingerprint(content: str, report: ResourceReport, *, tail: str = "") -> str:
    """The whole verdict's fingerprint: its content's, with the timeliness judged today.

    The hash of `[content, timeliness, timely]` as JSON; `tail` is `timeliness_tail(report)`
    when the caller has it already (many resources share their timeliness verdict).
    """
    said = "[" + encode_basestring(content) + ", " + (tail or timeliness_tail(report))
    return _hash(said)


def timeliness_tail(report: ResourceReport) -> str:
    """`report`'s timeliness as the end of the JSON list `timeliness_fingerprint` hashes."""
    return json.dumps(
        [report.checks.get("timeliness"), report.timely], ensure_ascii=False, default=str
    )[1:]


def verdict_fingerprints(report: ResourceReport) -> tuple[str, str]:
    """(whole verdict, content only) fingerprints: what a verdict says, not how it was fetched.

    Two checks of an unchanged file give the same fingerprints: the HTTP status and the
    fetch summary (timings, attempts, a 304 instead of a 200) are left out. The content
    fingerprint also leaves out timeliness, which depends on the day and not on the file: a
    verdict kept after a 304 is judged for timeliness again and compared by
    `timeliness_fingerprint(content, report)`.
    """
    ref = report.ref
    checks = {k: v for k, v in report.checks.items() if k != "timeliness"}
    findings = [f for f in report.findings if f.get("code") != "not_timely"]
    said = [
        ref.organisation_id, ref.key, ref.url, ref.dataset_identifier, ref.dataset_title,
        ref.publisher, ref.declared_format, ref.declared_encoding, report.state.value,
        report.reason, report.explanation, report.how_to_fix, report.detected_format,
        report.detected_encoding, report.encoding_matches, report.fields_match, report.flags,
        report.mark, report.stars, report.pii, findings, checks,
    ]  # fmt: skip
    content = hashlib.blake2b(_serialised(said), digest_size=16).hexdigest()
    return timeliness_fingerprint(content, report), content


def _serialised(said: list[Any]) -> bytes:
    """What a verdict says as bytes to hash: marshal's version 2 (no references between
    objects, so equal values always give equal bytes), three times cheaper than JSON for a
    verdict; JSON for a value marshal does not know. (Another Python may write version 2
    differently: then each resource gets one new verdict on its next check, and no more.)"""
    try:
        return marshal.dumps(said, 2)
    except ValueError:
        return json.dumps(said, ensure_ascii=False, default=str).encode("utf-8")


def link_only_report(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    """A report from the fetch alone (used when the pure checks are not wanted)."""
    explanation, how_to_fix = explain(fetched.reason)
    return ResourceReport(
        ref=ref,
        fetch=fetched,
        state=fetched.state,
        reason=fetched.reason,
        explanation=explanation,
        how_to_fix=how_to_fix,
    )


@dataclass(frozen=True)
class CrawlConfig:
    """Limits of one crawl. Defaults are polite for government web servers."""

    concurrency: int = 32
    per_host: int = 2
    per_host_rate: float = 5.0  # requests per second per host; 0 means no rate limit
    per_host_burst: int = 2
    need_bytes: int = 64 * 1024
    max_attempts: int = 3
    backoff: float = 2.0  # seconds before the first retry of a transient failure
    max_retry_after: float = 120.0
    max_redirects: int = 5
    max_buffered: int = 20_000
    timeouts: Timeouts = field(default_factory=Timeouts)
    #: Crawler processes a large crawl is split across, by host; 0 crawls in the caller's loop.
    processes: int = field(default_factory=default_processes)
    #: A crawl of fewer resources than this stays in the caller's loop (starting is not free).
    processes_from: int = 500
    #: Hash each verdict for the recorder (`verdict_fingerprints`), in the crawler processes.
    fingerprints: bool = False


def largest_hosts_first(refs: Iterable[ResourceRef]) -> list[ResourceRef]:
    """The refs in the order a polite crawl should take them: every host busy from the start.

    Per-host limits (`per_host`, `per_host_rate`) make a host of n resources take at least
    n / rate seconds, so the run can end no sooner than its largest host allows (the floor).
    In input order a large host may wait behind small ones, or the read-ahead window
    (`max_buffered`) may hold only a few hosts. Taking one resource of every host in turn,
    largest hosts first, starts the largest at once and keeps each host's queue fed, so
    the per-host limits, not the order, set the run's length.
    """
    by_host: dict[str, list[ResourceRef]] = {}
    for ref in refs:
        by_host.setdefault(host_key(ref.url), []).append(ref)
    queues = sorted(by_host.values(), key=len, reverse=True)
    ordered: list[ResourceRef] = []
    for turn in range(len(queues[0]) if queues else 0):
        for queue in queues:
            if turn >= len(queue):
                break  # sorted by size: the rest are shorter still
            ordered.append(queue[turn])
    return ordered


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.capacity = max(1.0, float(burst))
        self.tokens = self.capacity
        self.updated = time.monotonic()

    async def take(self) -> None:
        if self.rate <= 0:
            return
        while True:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


class _Host:
    """Queue, workers, rate and back-off of one host."""

    def __init__(self, key: str, config: CrawlConfig) -> None:
        self.key = key
        self.queue: deque[ResourceRef] = deque()
        self.workers = 0
        self.bucket = TokenBucket(config.per_host_rate, config.per_host_burst)
        self.not_before = 0.0  # monotonic time before which nobody may ask this host

    async def wait_turn(self) -> None:
        while (delay := self.not_before - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        await self.bucket.take()


#: Marks the end of a results queue.
DONE = object()


class Crawler:
    """One crawl over one session; use `crawl()` unless you need the parts."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        config: CrawlConfig,
        check: Checker,
    ) -> None:
        self.session = session
        self.config = config
        self.check = check
        self.hosts: dict[str, _Host] = {}
        self.global_slots = asyncio.Semaphore(config.concurrency)
        self.results: asyncio.Queue[Any] = asyncio.Queue(maxsize=config.concurrency * 4)
        self.buffered = 0
        self.room = asyncio.Event()
        self.workers: set[asyncio.Task[None]] = set()
        self.failure: BaseException | None = None

    async def fetch_with_retries(self, host: _Host, ref: ResourceRef) -> FetchResult:
        config = self.config
        attempt = 0
        while True:
            attempt += 1
            await host.wait_turn()
            async with self.global_slots:
                result = await fetch_resource(
                    self.session,
                    ref.url,
                    need_bytes=config.need_bytes,
                    expect_file=ref.expect_file,
                    max_redirects=config.max_redirects,
                    etag=ref.etag,
                    last_modified=ref.last_modified,
                )
            result.attempts = attempt
            if result.state is not State.UNKNOWN or attempt >= config.max_attempts:
                return result
            if result.retry_after is not None and result.retry_after > config.max_retry_after:
                # The server asks for longer than a run waits (e.g. an hour): the resource is
                # "unknown" now, re-checked when the server said (the recorder sets that), and
                # the host's other resources go on instead of the whole run waiting.
                return result
            # The server's own Retry-After wins over our back-off, within our cap.
            delay = result.retry_after or config.backoff * 2 ** (attempt - 1)
            delay = min(delay, config.max_retry_after)
            # Pause the whole host, not only this request: Retry-After is about the server.
            host.not_before = max(host.not_before, time.monotonic() + delay)

    def run_check(self, ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
        """Run the check; a bug in it becomes a finding on the resource, never a stopped run.

        A 304 brought no file: the recorder keeps the last verdict, nothing is checked here.
        """
        if fetched.reason == "not_modified":
            return link_only_report(ref, fetched)
        report = self._checked(ref, fetched)
        if self.config.fingerprints:
            report.fingerprint, report.content_fingerprint = verdict_fingerprints(report)
        return report

    def _checked(self, ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
        try:
            report = self.check(ref, fetched)
        except Exception as exc:  # a bug in a check must not stop the run
            report = link_only_report(ref, fetched)
            report.findings.append(
                {
                    "code": "check_failed",
                    "severity": "bad",
                    "message": "檢測程式無法檢查此檔案，已記錄供系統維護人員處理。",
                    "fix": "",
                }
            )
            report.checks["error"] = f"{type(exc).__name__}: {exc}"  # for maintainers (JSON)
        fetched.head = b""  # the body is not kept past the checks
        return report

    async def host_worker(self, host: _Host) -> None:
        try:
            while host.queue:
                ref = host.queue.popleft()
                self.buffered -= 1
                self.room.set()
                fetched = await self.fetch_with_retries(host, ref)
                await self.results.put(self.run_check(ref, fetched))
        finally:
            host.workers -= 1

    def enqueue(self, ref: ResourceRef) -> None:
        key = host_key(ref.url)
        host = self.hosts.get(key)
        if host is None:
            host = self.hosts[key] = _Host(key, self.config)
        host.queue.append(ref)
        self.buffered += 1
        # Refs without a usable host fail at once; give them the global width.
        limit = self.config.per_host if key else self.config.concurrency
        if host.workers < limit:
            host.workers += 1
            task = asyncio.create_task(self.host_worker(host))
            self.workers.add(task)
            task.add_done_callback(self._worker_done)

    def _worker_done(self, task: asyncio.Task[None]) -> None:
        self.workers.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()

    async def finish(self) -> None:
        """Wait until every resource enqueued so far has been fetched and checked."""
        while self.workers:
            await asyncio.gather(*list(self.workers), return_exceptions=True)

    async def feed(self, refs: Iterable[ResourceRef]) -> None:
        try:
            for count, ref in enumerate(refs, 1):
                while self.buffered >= self.config.max_buffered:
                    self.room.clear()
                    await self.room.wait()
                self.enqueue(ref)
                if count % 64 == 0:
                    await asyncio.sleep(0)  # let workers start while reading a long file
            await self.finish()
        except BaseException as exc:
            self.failure = exc
            raise
        finally:
            await self.results.put(DONE)

    async def run(self, refs: Iterable[ResourceRef]) -> AsyncIterator[ResourceReport]:
        feeder = asyncio.create_task(self.feed(refs))
        try:
            while True:
                item = await self.results.get()
                if item is DONE:
                    break
                yield item
            if self.failure is not None:
                raise self.failure
        finally:
            for task in [feeder, *self.workers]:
                task.cancel()
            await asyncio.gather(feeder, *self.workers, return_exceptions=True)


async def crawl(
    refs: Iterable[ResourceRef],
    *,
    config: CrawlConfig | None = None,
    policy: AddressPolicy | None = None,
    check: Checker | None = None,
) -> AsyncIterator[ResourceReport]:
    """Fetch and check every resource of `refs`; yields one report each, as they finish.

    The refs and whatever else is alive when it starts are kept out of the cyclic garbage
    collector's way for the crawl (`long_lived`).
    """
    with long_lived():
        config = config or CrawlConfig()
        if check is None:
            from steward.quality.checks.pipeline import run_checks

            check = run_checks
        if config.processes > 0 and picklable(check):
            # look ahead: only a crawl large enough to repay starting processes is split
            inputs = iter(refs)
            ahead = list(itertools.islice(inputs, min(config.processes_from, config.max_buffered)))
            refs = itertools.chain(ahead, inputs)
            if len(ahead) >= config.processes_from:
                sharded = ShardedCrawl(
                    config=config, policy=policy or AddressPolicy.from_settings(), check=check
                )
                async for report in sharded.run(refs):
                    yield report
                return
        async with client_session(
            policy=policy,
            timeouts=config.timeouts,
            limit=config.concurrency,
            limit_per_host=config.per_host,
        ) as session:
            crawler = Crawler(session, config=config, check=check)
            async for report in crawler.run(refs):
                yield report
