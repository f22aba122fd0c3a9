"""The crawler against the hostile server: per-host limits, Retry-After, nothing stalls."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from steward.lib.http import AddressPolicy, Timeouts
from steward.quality.crawl.crawler import (
    CrawlConfig,
    ResourceRef,
    ResourceReport,
    crawl,
    link_only_report,
)
from steward.quality.crawl.fetch import State
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    HostileServer,
    fresh_server,
    running_hostile_server,
)

LOOPBACK = AddressPolicy.from_entries(["127.0.0.0/8"])
FAST = CrawlConfig(
    concurrency=16,
    per_host=3,
    per_host_rate=0,
    need_bytes=16 * 1024,
    max_attempts=2,
    backoff=0.1,
    max_retry_after=5,
    timeouts=Timeouts(connect=2, read=2, total=3),
)


def run(refs: list[ResourceRef], config: CrawlConfig = FAST) -> list[ResourceReport]:
    async def collect() -> list[ResourceReport]:
        return [
            report
            async for report in crawl(refs, config=config, policy=LOOPBACK, check=link_only_report)
        ]

    return asyncio.run(collect())


def ref(key: str, url: str) -> ResourceRef:
    return ResourceRef(key=key, url=url, declared_format="CSV")


def test_per_host_concurrency_never_exceeds_the_limit(server: HostileServer) -> None:
    refs = [
        ref(f"r{n}", server.url(f"/slow/{n}?s=0.05", host=f"127.0.0.{1 + n % 4}"))
        for n in range(48)
    ]
    reports = run(refs)
    assert len(reports) == 48
    assert all(report.state is State.OK for report in reports)
    assert set(server.max_in_flight) == {f"127.0.0.{n}:{server.port}" for n in (1, 2, 3, 4)}
    assert max(server.max_in_flight.values()) <= 3
    # Several requests did overlap: the limit was reached, not avoided by running serially.
    assert max(server.max_in_flight.values()) >= 2


def test_retry_after_is_honoured_before_the_second_attempt(server: HostileServer) -> None:
    path = "/retry/1/honoured"
    [report] = run([ref("r", server.url(path))])
    assert (report.state, report.fetch.attempts) == (State.OK, 2)
    first, second = server.requests_to(path)
    assert second.at - first.at >= 1.0


def test_a_503_with_retry_after_is_retried_too(server: HostileServer) -> None:
    path = "/retry/1/unavailable?status=503"
    [report] = run([ref("r", server.url(path))])
    assert (report.state, report.fetch.attempts) == (State.OK, 2)
    first, second = server.requests_to(path)
    assert second.at - first.at >= 1.0


def test_a_throttling_host_does_not_hold_up_other_hosts(server: HostileServer) -> None:
    throttled = "/retry/2/throttled"
    refs = [ref("slow-host", server.url(throttled, host="127.0.0.2"))] + [
        ref(f"other{n}", server.url(f"/slow/other{n}?s=0.01", host="127.0.0.3")) for n in range(12)
    ]
    reports = run(refs)
    assert {report.state for report in reports} == {State.OK}
    retry_at = server.requests_to(throttled)[1].at
    others = [entry for entry in server.log if entry.path.startswith("/slow/other")]
    assert len(others) == 12
    assert all(entry.at < retry_at for entry in others)


def test_a_server_that_keeps_throttling_ends_unknown_after_bounded_attempts(
    server: HostileServer,
) -> None:
    [report] = run([ref("r", server.url("/always-429"))])
    assert (report.state, report.reason, report.fetch.attempts) == (
        State.UNKNOWN,
        "transient_status",
        2,
    )
    assert len(server.requests_to("/always-429")) == 2


def test_every_hostile_case_gets_a_verdict_in_one_run(server: HostileServer) -> None:
    paths = {
        "/good.csv": State.OK,
        "/status/404": State.BROKEN,
        "/status/500": State.BROKEN,
        "/always-429": State.UNKNOWN,
        "/loop/a": State.BROKEN,
        "/to-private": State.BROKEN,
        "/to-metadata": State.BROKEN,
        "/html-200.csv": State.BROKEN,
        "/drip.csv": State.UNKNOWN,
        "/endless.csv": State.OK,
        "/bomb.zip": State.OK,
        "/gzip-bomb.csv": State.OK,
        "/lying-type.csv": State.OK,
        "/big5-declared-utf8.csv": State.OK,
        "/header-mismatch.csv": State.OK,
        "/national-ids.csv": State.OK,
        "/reset": State.UNKNOWN,
    }
    # All on one host with two slots: the slow and endless cases must not starve the rest.
    config = CrawlConfig(**{**FAST.__dict__, "per_host": 2})
    reports = run([ref(path, server.url(path)) for path in paths], config)
    verdicts = {report.ref.key: report.state for report in reports}
    assert verdicts == paths
    assert all(report.fetch.bytes_read <= config.need_bytes for report in reports)
    assert all(report.fetch.head == b"" for report in reports)  # bodies are not kept


def test_inputs_are_read_lazily_with_a_small_buffer(server: HostileServer) -> None:
    produced: list[int] = []

    def lazy() -> Iterator[ResourceRef]:
        for n in range(30):
            produced.append(n)
            yield ref(f"r{n}", server.url("/good.csv", host=f"127.0.0.{1 + n % 2}"))

    config = CrawlConfig(**{**FAST.__dict__, "max_buffered": 4})
    reports = run_gen(lazy(), config)
    assert len(reports) == 30
    assert produced == list(range(30))


def run_gen(refs: Iterator[ResourceRef], config: CrawlConfig) -> list[ResourceReport]:
    async def collect() -> list[ResourceReport]:
        return [
            report
            async for report in crawl(refs, config=config, policy=LOOPBACK, check=link_only_report)
        ]

    return asyncio.run(collect())


def test_an_error_while_reading_inputs_stops_the_run_with_that_error(
    server: HostileServer,
) -> None:
    def broken() -> Iterator[ResourceRef]:
        yield ref("r1", server.url("/good.csv"))
        raise ValueError("row 3: broken quoting")

    with pytest.raises(ValueError, match="row 3"):
        run_gen(broken(), FAST)


def test_a_failing_check_becomes_a_finding_not_a_stopped_run(server: HostileServer) -> None:
    def exploding(resource: ResourceRef, fetched: object) -> ResourceReport:
        raise RuntimeError("boom")

    async def collect() -> list[ResourceReport]:
        refs = [ref("a", server.url("/good.csv")), ref("b", server.url("/status/404"))]
        return [r async for r in crawl(refs, config=FAST, policy=LOOPBACK, check=exploding)]

    reports = asyncio.run(collect())
    assert len(reports) == 2
    assert all(report.findings[0]["code"] == "check_failed" for report in reports)


def test_a_retry_after_of_an_hour_does_not_hold_the_run(server: HostileServer) -> None:
    """The server asks for an hour: the resource is unknown now, its host's others go on."""
    import time

    later = "/retry/3600/later"
    refs = [ref("later", server.url(later))] + [
        ref(f"same-host{n}", server.url(f"/slow/same{n}?s=0.01")) for n in range(5)
    ]
    started = time.monotonic()
    reports = {report.ref.key: report for report in run(refs)}
    assert time.monotonic() - started < FAST.max_retry_after  # nobody waited for the cap
    assert reports["later"].state is State.UNKNOWN
    assert reports["later"].fetch.retry_after == 3600
    assert len(server.requests_to(later)) == 1  # asked once, not retried within the run
    assert {reports[f"same-host{n}"].state for n in range(5)} == {State.OK}
