"""Checks in worker processes give the same reports as checks in the crawler's own loop."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import replace
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from steward.lib.http import AddressPolicy, Timeouts
from steward.quality.checkpool import shared_pool
from steward.quality.crawler import CrawlConfig, ResourceRef, ResourceReport, crawl
from steward.quality.fetch import FetchResult
from steward.quality.pipeline import run_checks
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

INLINE = CrawlConfig(
    per_host=4,
    per_host_rate=0,
    max_attempts=1,
    timeouts=Timeouts(connect=2, read=2, total=3),
    check_workers=0,
)
POOLED = replace(INLINE, check_workers=1, check_batch=3)
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


def refs(server: HostileServer) -> list[ResourceRef]:
    return [
        ResourceRef(
            key=path,
            url=server.url(path),
            declared_format="CSV",
            declared_encoding="UTF-8",
            field_description=GOOD_FIELDS,
            update_frequency="每1年",
            modified="2020-01-01 00:00:00",
            metadata={"licence": "政府資料開放授權條款-第1版"},
        )
        for path in PATHS
    ]


def run(items: list[ResourceRef], config: CrawlConfig, check: Any = None) -> dict[str, Any]:
    async def collect() -> dict[str, Any]:
        policy = AddressPolicy.from_entries(["127.0.0.0/8"])
        kwargs = {"check": check} if check is not None else {}
        found: dict[str, Any] = {}
        async for report in crawl(items, config=config, policy=policy, **kwargs):
            found[report.ref.key] = report
        return found

    return asyncio.run(collect())


def comparable(report: ResourceReport) -> dict[str, Any]:
    data = report.as_dict()
    data.pop("elapsed", None)
    data.get("fetch", {}).pop("elapsed", None)
    return data


def test_pooled_checks_give_the_same_reports_as_checks_in_the_loop(
    hostile_server: HostileServer,
) -> None:
    items = refs(hostile_server)
    inline, pooled = run(items, INLINE), run(items, POOLED)
    assert sorted(pooled) == sorted(PATHS)
    assert {k: comparable(r) for k, r in pooled.items()} == {
        k: comparable(r) for k, r in inline.items()
    }
    # the cases differ from each other, so the comparison above means something
    assert pooled["/national-ids.csv"].pii and not pooled["/good.csv"].pii
    assert pooled["/good.csv"].timely is False  # 每1年 since 2020
    assert all(r.fetch.head == b"" for r in pooled.values())  # bodies are not kept


def test_the_callers_language_and_quality_settings_reach_the_workers(
    hostile_server: HostileServer,
) -> None:
    items = refs(hostile_server)[:1]  # /good.csv, gold and three stars by default
    table = {"CSV": 2}  # an agency may score CSV lower
    with override_settings(STEWARD_QUALITY={"STAR_TABLE": table}), translation.override("en"):
        pooled = run(items, POOLED)["/good.csv"]
        inline = run(items, INLINE)["/good.csv"]
    assert pooled.stars == inline.stars == 2
    assert pooled.explanation == inline.explanation == "The link answers and gives the file."


def crashing_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    raise ValueError("a bug in a check")


def test_a_check_that_raises_in_a_worker_becomes_a_finding(hostile_server: HostileServer) -> None:
    report = run(refs(hostile_server)[:1], POOLED, crashing_check)["/good.csv"]
    assert report.state.value == "ok"
    [finding] = report.findings
    assert finding["code"] == "check_failed" and "a bug in a check" in finding["message"]


def dying_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    if multiprocessing.parent_process() is not None:  # only in a worker, never in the test
        os._exit(1)
    return run_checks(ref, fetched)


def test_a_worker_that_dies_does_not_lose_any_resource(hostile_server: HostileServer) -> None:
    items = refs(hostile_server)
    broken = shared_pool(2)
    reports = run(items, replace(POOLED, check_workers=2), dying_check)
    assert sorted(reports) == sorted(PATHS)  # checked in the loop instead
    assert reports["/national-ids.csv"].pii
    # the broken pool is gone, and the next crawl gets a working one
    assert shared_pool(2) is not broken
    again = run(items[:2], replace(POOLED, check_workers=2), pid_check)
    assert sorted(again) == ["/big5-declared-utf8.csv", "/good.csv"]
    assert all(r.findings[-1]["message"] != str(os.getpid()) for r in again.values())


def pid_check(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
    report = run_checks(ref, fetched)
    report.findings.append({"code": "pid", "severity": "info", "message": str(os.getpid())})
    return report


def test_pooled_checks_run_in_other_processes(hostile_server: HostileServer) -> None:
    pooled = run(refs(hostile_server), POOLED, pid_check)
    inline = run(refs(hostile_server), INLINE, pid_check)
    assert {r.findings[-1]["message"] for r in inline.values()} == {str(os.getpid())}
    assert str(os.getpid()) not in {r.findings[-1]["message"] for r in pooled.values()}


def test_a_check_that_cannot_be_pickled_runs_in_the_loop(hostile_server: HostileServer) -> None:
    seen: list[int] = []

    def closure(ref: ResourceRef, fetched: FetchResult) -> ResourceReport:
        seen.append(os.getpid())
        return run_checks(ref, fetched)

    reports = run(refs(hostile_server)[:3], POOLED, closure)
    assert len(reports) == 3 and seen == [os.getpid()] * 3


@pytest.mark.parametrize("workers", [0, 1])
def test_check_workers_setting_is_the_default(workers: int) -> None:
    with override_settings(STEWARD_CHECK_WORKERS=workers):
        assert CrawlConfig().check_workers == workers
