"""A large crawl split by host across crawler processes gives what one process gives."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from steward.lib.http import AddressPolicy, Timeouts
from steward.quality.checks.pipeline import run_checks
from steward.quality.crawl.crawler import (
    CrawlConfig,
    ResourceRef,
    ResourceReport,
    crawl,
    link_only_report,
)
from steward.quality.crawl.fetch import FetchResult, State
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

LOOPBACK = AddressPolicy.from_entries(["127.0.0.0/8"])
INLINE = CrawlConfig(
    per_host=4,
    per_host_rate=0,
    max_attempts=1,
    timeouts=Timeouts(connect=2, read=2, total=3),
    processes=0,
)
SHARDED = replace(INLINE, processes=2, processes_from=1)
PATHS = [
    "/good.csv",
    "/big5-declared-utf8.csv",
    "/header-mismatch.csv",
    "/national-ids.csv",
    "/lying-type.csv",
    "/html-200.csv",
    "/status/404",
    "/bomb.zip",
    "/moved",
]


def refs(server: HostileServer, paths: list[str] = PATHS) -> list[ResourceRef]:
    # the paths over two "hosts", so that both shards get work
    return [
        ResourceRef(
            key=path,
            url=server.url(path, host=f"127.0.0.{1 + n % 2}"),
            declared_format="CSV",
            declared_encoding="UTF-8",
            field_description=GOOD_FIELDS,
            update_frequency="每1年",
            modified="2020-01-01 00:00:00",
            metadata={"licence": "政府資料開放授權條款-第1版"},
        )
        for n, path in enumerate(paths)
    ]


def run(items: Any, config: CrawlConfig, check: Any = None) -> dict[str, ResourceReport]:
    async def collect() -> dict[str, ResourceReport]:
        kwargs = {"check": check} if check is not None else {}
        found: dict[str, ResourceReport] = {}
        async for report in crawl(items, config=config, policy=LOOPBACK, **kwargs):
            assert report.ref.key not in found, "one report per resource"
            found[report.ref.key] = report
        return found

    return asyncio.run(collect())


def comparable(report: ResourceReport) -> dict[str, Any]:
    data = report.as_dict()
    data["fetch"].pop("elapsed", None)
    return data


@pytest.fixture(autouse=True)
def no_shard_left_behind() -> Iterator[None]:
    yield
    assert not multiprocessing.active_children(), "a crawl left shard processes running"


def test_a_sharded_crawl_gives_the_same_reports_as_one_process(
    hostile_server: HostileServer,
) -> None:
    items = refs(hostile_server)
    inline, sharded = run(items, INLINE), run(items, SHARDED)
    assert sorted(sharded) == sorted(PATHS)
    assert {k: comparable(r) for k, r in sharded.items()} == {
        k: comparable(r) for k, r in inline.items()
    }
    # the cases differ from each other, so the comparison above means something
    assert sharded["/national-ids.csv"].pii and not sharded["/good.csv"].pii
    assert sharded["/good.csv"].timely is False  # 每1年 since 2020
    assert sharded["/status/404"].state is State.BROKEN
    assert all(r.fetch.head == b"" for r in sharded.values())  # bodies are not kept


def pid_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    report = run_checks(ref, fetched)
    report.findings.append({"code": "pid", "severity": "info", "message": str(os.getpid())})
    return report


def test_each_host_is_crawled_by_one_shard_in_another_process(
    hostile_server: HostileServer,
) -> None:
    sharded = run(refs(hostile_server), SHARDED, pid_check)
    inline = run(refs(hostile_server), INLINE, pid_check)
    assert {r.findings[-1]["message"] for r in inline.values()} == {str(os.getpid())}
    by_host: dict[str, set[str]] = {}
    for report in sharded.values():
        host = report.ref.url.split("/")[2]
        by_host.setdefault(host, set()).add(report.findings[-1]["message"])
    assert all(len(pids) == 1 for pids in by_host.values())  # a host never spans shards
    pids = set().union(*by_host.values())
    assert len(pids) == 2 and str(os.getpid()) not in pids  # two hosts, two shards


def test_per_host_limits_hold_across_shards(server: HostileServer) -> None:
    items = [
        ResourceRef(
            key=f"r{n}",
            url=server.url(f"/slow/{n}?s=0.05", host=f"127.0.0.{1 + n % 4}"),
            declared_format="CSV",
        )
        for n in range(48)
    ]
    config = replace(SHARDED, per_host=3, concurrency=16)
    reports = run(items, config, link_only_report)
    assert len(reports) == 48 and all(r.state is State.OK for r in reports.values())
    assert set(server.max_in_flight) == {f"127.0.0.{n}:{server.port}" for n in (1, 2, 3, 4)}
    assert max(server.max_in_flight.values()) <= 3


def test_the_callers_language_and_quality_settings_reach_the_shards(
    hostile_server: HostileServer,
) -> None:
    items = refs(hostile_server)[:1]  # /good.csv, gold and three stars by default
    table = {"CSV": 2}  # an agency may score CSV lower
    with override_settings(STEWARD_QUALITY={"STAR_TABLE": table}), translation.override("en"):
        sharded = run(items, SHARDED)["/good.csv"]
        inline = run(items, INLINE)["/good.csv"]
    assert sharded.stars == inline.stars == 2
    assert sharded.explanation == inline.explanation == "The link answers and gives the file."


def crashing_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    raise ValueError("a bug in a check")


def test_a_check_that_raises_in_a_shard_becomes_a_finding(hostile_server: HostileServer) -> None:
    report = run(refs(hostile_server)[:1], SHARDED, crashing_check)["/good.csv"]
    assert report.state is State.OK
    [finding] = report.findings
    assert finding["code"] == "check_failed"
    # the liaison reads words; the maintainers' detail stays in the JSON
    assert "a bug in a check" not in finding["message"]
    assert report.checks["error"] == "ValueError: a bug in a check"


def dying_on_ids(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    """Kills the shard (as a segfault in a parser would) on one file; checks the rest."""
    if ref.key == "/national-ids.csv" and multiprocessing.parent_process() is not None:
        os._exit(1)
    return run_checks(ref, fetched)


def test_a_file_that_kills_its_shard_gets_a_link_verdict_and_the_rest_full_checks(
    hostile_server: HostileServer,
) -> None:
    reports = run(refs(hostile_server), SHARDED, dying_on_ids)
    assert sorted(reports) == sorted(PATHS)  # nothing lost
    killer = reports["/national-ids.csv"]
    assert killer.state is State.OK  # the link was checked, by the caller
    assert [f["code"] for f in killer.findings] == ["check_crashed"]
    assert not killer.pii and not killer.flags  # no content checks were run on it
    # every other resource, including those of the dead shard's host, was checked in full
    assert reports["/good.csv"].mark == "gold"
    assert reports["/big5-declared-utf8.csv"].encoding_matches is False
    assert reports["/status/404"].state is State.BROKEN


def dying_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    if multiprocessing.parent_process() is not None:  # only in a shard, never in the test
        os._exit(1)
    return run_checks(ref, fetched)


def test_shards_that_keep_dying_lose_no_resource(hostile_server: HostileServer) -> None:
    reports = run(refs(hostile_server), SHARDED, dying_check)
    assert sorted(reports) == sorted(PATHS)
    assert reports["/status/404"].state is State.BROKEN  # link verdicts all the same
    assert reports["/good.csv"].state is State.OK
    # the next crawl starts afresh
    again = run(refs(hostile_server)[:2], SHARDED, pid_check)
    assert sorted(again) == ["/big5-declared-utf8.csv", "/good.csv"]


def test_a_check_that_cannot_be_pickled_runs_in_the_callers_loop(
    hostile_server: HostileServer,
) -> None:
    seen: list[int] = []

    def closure(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
        seen.append(os.getpid())
        return run_checks(ref, fetched)

    reports = run(refs(hostile_server)[:3], SHARDED, closure)
    assert len(reports) == 3 and seen == [os.getpid()] * 3


def test_a_small_crawl_stays_in_the_callers_loop(hostile_server: HostileServer) -> None:
    config = replace(SHARDED, processes_from=len(PATHS) + 1)
    reports = run(refs(hostile_server), config, pid_check)
    assert {r.findings[-1]["message"] for r in reports.values()} == {str(os.getpid())}


def test_inputs_are_read_lazily_within_the_window(hostile_server: HostileServer) -> None:
    produced: list[int] = []
    out_at_most: list[int] = []
    config = replace(SHARDED, max_buffered=6, processes_from=6)

    def lazy() -> Iterator[ResourceRef]:
        for n in range(40):
            produced.append(n)
            yield ResourceRef(
                key=f"r{n}",
                url=hostile_server.url("/good.csv", host=f"127.0.0.{1 + n % 3}"),
                declared_format="CSV",
            )

    async def collect() -> int:
        seen = 0
        async for _report in crawl(lazy(), config=config, policy=LOOPBACK, check=pid_check):
            seen += 1
            out_at_most.append(len(produced) - seen)
        return seen

    assert asyncio.run(collect()) == 40
    assert produced == list(range(40))
    assert max(out_at_most) < config.max_buffered  # never more than the window read ahead


def test_an_error_while_reading_inputs_stops_the_sharded_run_with_that_error(
    hostile_server: HostileServer,
) -> None:
    def broken() -> Iterator[ResourceRef]:
        yield from refs(hostile_server)
        raise ValueError("row 11: broken quoting")

    with pytest.raises(ValueError, match="row 11"):
        run(broken(), SHARDED)


def test_a_consumer_that_stops_early_stops_the_shards(hostile_server: HostileServer) -> None:
    async def first() -> ResourceReport:
        async for report in crawl(refs(hostile_server), config=SHARDED, policy=LOOPBACK):
            return report
        raise AssertionError("no report")

    assert asyncio.run(first()).ref.key in PATHS


@pytest.mark.parametrize("processes", [0, 3])
def test_the_crawl_processes_setting_is_the_default(processes: int) -> None:
    with override_settings(STEWARD_CRAWL_PROCESSES=processes):
        assert CrawlConfig().processes == processes


def test_where_no_process_can_be_started_the_caller_crawls_everything(
    hostile_server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork_server() -> None:
        raise ValueError("cannot find context for 'forkserver'")  # as on Windows

    monkeypatch.setattr("steward.quality.crawl.shards._context", no_fork_server)
    reports = run(refs(hostile_server), SHARDED, pid_check)
    assert sorted(reports) == sorted(PATHS)
    assert {r.findings[-1]["message"] for r in reports.values()} == {str(os.getpid())}
    assert reports["/national-ids.csv"].pii  # full checks, in the caller's loop
