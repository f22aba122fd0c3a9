"""Recording runs: history as changes, conditional re-checks, resuming, retention (issue 17).

A real aiohttp server on 127.0.0.1 (random port) serves files whose answers the tests
change between runs, and counts every request and the conditional headers it carried.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiohttp import web

from steward.datasets.models import Dataset, Resource
from steward.datasets.workflow import Status
from steward.lib.http import AddressPolicy, Timeouts
from steward.quality import services
from steward.quality.crawl.crawler import CrawlConfig, ResourceRef, largest_hosts_first
from steward.quality.measures import Period
from steward.quality.measures.datasets import latest_results
from steward.quality.models import CheckEntry, CheckResult, CheckRun, ResourceHealth, RunStatus
from steward.quality.services import check_resources, prune_runs, refs_from_database
from steward.quality.tests.hostile_server import GOOD_CSV, GOOD_FIELDS, MISMATCH_CSV

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")
CONFIG = CrawlConfig(
    per_host=4, per_host_rate=0, max_attempts=1, timeouts=Timeouts(connect=2, read=2, total=3)
)
POLICY = AddressPolicy.from_entries(["127.0.0.1/32"])
LAST_MODIFIED = "Mon, 01 Jun 2026 00:00:00 GMT"


@dataclass
class FileServer:
    """Files by name with a body, an ETag mode and a Last-Modified; every request logged."""

    port: int = 0
    bodies: dict[str, str] = field(default_factory=dict)  # a name not here: 404
    #: "stable" (one ETag per body), "none", "changing" (a new one every answer), "lying"
    #: (304 to every request, even a plain one)
    etag_mode: dict[str, str] = field(default_factory=dict)
    log: list[tuple[str, str, str, int]] = field(default_factory=list)  # path, INM, IMS, status
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/files/{name}"

    def requests(self, name: str) -> list[tuple[str, str, str, int]]:
        with self.lock:
            return [entry for entry in self.log if entry[0] == f"/files/{name}"]

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        match = request.headers.get("If-None-Match", "")
        since = request.headers.get("If-Modified-Since", "")
        mode = self.etag_mode.get(name, "stable")
        body = self.bodies.get(name)
        headers = {"Content-Type": "text/csv; charset=utf-8", "Last-Modified": LAST_MODIFIED}
        with self.lock:
            self.counter += 1
            etag = {
                "stable": f'"{hash(body) & 0xFFFFFFFF:x}"',
                "changing": f'"n{self.counter}"',
            }.get(mode, "")
        if etag:
            headers["ETag"] = etag
        if body is None:
            status, answer = 404, web.Response(status=404, text="gone")
        elif mode == "lying" or (etag and match == etag) or (mode == "none" and since):
            # a 304 carries no body; "none" answers it without an ETag
            status = 304
            answer = web.Response(
                status=304, headers={k: v for k, v in headers.items() if k == "ETag"}
            )
        else:
            status, answer = 200, web.Response(body=body.encode("utf-8"), headers=headers)
        with self.lock:
            self.log.append((request.path, match, since, status))
        return answer


@pytest.fixture
def files() -> Iterator[FileServer]:
    state = FileServer()
    ready, stop = threading.Event(), threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/files/{name}", state.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        state.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

        async def wait() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.02)
            await runner.cleanup()

        loop.run_until_complete(wait())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield state
    stop.set()
    thread.join(5)


def make_dataset(tree: Any, identifier: str, urls: list[str]) -> Dataset:
    dataset = Dataset.objects.create(
        organisation=tree.unit_a1,
        identifier=identifier,
        title="年度預算",
        fieldDescription=GOOD_FIELDS,
        accrualPeriodicity="不定期",
        status=Status.PUBLISHED,
    )
    for position, url in enumerate(urls, 1):
        Resource.objects.create(
            dataset=dataset,
            resourceID=f"{identifier}-{position:03d}",
            format="CSV",
            downloadURL=url,
            position=position,
        )
    return dataset


def check(tree: Any, **options: Any) -> CheckRun:
    return check_resources(
        refs_from_database(organisation=tree.agency_a),
        organisation=tree.agency_a,
        source="datasets:t-agency-a",
        config=CONFIG,
        policy=POLICY,
        **options,
    )


def key(identifier: str, position: int = 1) -> str:
    return f"{identifier}-{position:03d}"


def test_a_recheck_asks_conditionally_and_a_304_keeps_the_verdict_without_a_download(
    tree: Any, files: FileServer
) -> None:
    files.bodies = {"a.csv": GOOD_CSV, "b.csv": MISMATCH_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv"), files.url("b.csv")])
    first = check(tree)
    reports: list[Any] = []
    second = check(tree, on_report=reports.append)

    [plain, conditional] = files.requests("a.csv")
    assert plain[1:] == ("", "", 200)
    assert conditional[1] != "" and conditional[3] == 304  # If-None-Match with the ETag
    assert [entry[3] for entry in files.requests("b.csv")] == [200, 304]
    # the last verdicts stand: the same stored results, each run pointing at them
    assert CheckResult.objects.count() == 2
    assert CheckEntry.objects.filter(run=second).count() == 2
    assert second.totals["not_modified"] == 2
    assert {k: second.totals[k] for k in ("ok", "fields_mismatch", "checked")} == {
        k: first.totals[k] for k in ("ok", "fields_mismatch", "checked")
    }
    mismatch = next(r for r in reports if r.ref.key == key("A17010000J-000001", 2))
    assert mismatch.fields_match is False and mismatch.fetch.status == 304
    assert any(f["code"] for f in mismatch.findings)  # the whole verdict, findings too
    results = {r.key: r for r in services.run_results(second)}
    assert results[key("A17010000J-000001", 2)].details["fields_match"] is False


def test_a_check_crawls_and_records_with_its_refs_out_of_the_collectors_way(
    tree: Any, files: FileServer
) -> None:
    """The refs live for the whole run: frozen while it crawls (`long_lived`), thawed after."""
    from steward.quality.checks.pipeline import run_checks

    files.bodies = {"a.csv": GOOD_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    frozen_while_checking: list[int] = []

    def noted(ref: Any, fetched: Any) -> Any:
        frozen_while_checking.append(gc.get_freeze_count())
        return run_checks(ref, fetched)

    run = check(tree, check=noted)
    assert run.totals["ok"] == 1
    assert frozen_while_checking and frozen_while_checking[0] > 0
    assert gc.get_freeze_count() == 0


def test_a_changed_file_is_downloaded_and_gets_a_new_result(tree: Any, files: FileServer) -> None:
    files.bodies = {"a.csv": GOOD_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    check(tree)
    files.bodies["a.csv"] = MISMATCH_CSV  # a new ETag: the conditional request gets a 200
    second = check(tree)
    assert [entry[3] for entry in files.requests("a.csv")] == [200, 200]
    new = CheckResult.objects.get(run=second)
    assert new.details["fields_match"] is False
    assert ResourceHealth.objects.get(key=key("A17010000J-000001")).last_result == new


def test_a_304_without_an_etag_keeps_the_verdict_and_the_last_modified_date(
    tree: Any, files: FileServer
) -> None:
    files.bodies = {"a.csv": GOOD_CSV}
    files.etag_mode = {"a.csv": "none"}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    check(tree)
    check(tree)
    third = check(tree)
    assert [(entry[1], entry[2], entry[3]) for entry in files.requests("a.csv")] == [
        ("", "", 200),
        ("", LAST_MODIFIED, 304),  # If-Modified-Since; the 304 has no ETag
        ("", LAST_MODIFIED, 304),  # still asked conditionally: the date was kept
    ]
    assert (third.totals["ok"], third.totals["not_modified"], CheckResult.objects.count()) == (
        1,
        1,
        1,
    )
    health = ResourceHealth.objects.get(key=key("A17010000J-000001"))
    assert (health.etag, health.last_modified, health.checks) == ("", LAST_MODIFIED, 3)


def test_an_etag_that_changes_on_every_request_means_one_download_per_run_and_no_loop(
    tree: Any, files: FileServer
) -> None:
    files.bodies = {"a.csv": GOOD_CSV}
    files.etag_mode = {"a.csv": "changing"}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    check(tree)
    second = check(tree)
    answers = files.requests("a.csv")
    assert [entry[3] for entry in answers] == [200, 200]  # treated as changed, once a run
    assert answers[1][1] != ""  # it was asked conditionally with the ETag it gave
    assert second.totals["ok"] == 1
    assert CheckResult.objects.count() == 1  # downloaded again, the verdict is the same
    health = ResourceHealth.objects.get(key=key("A17010000J-000001"))
    assert health.etag not in ("", answers[1][1])  # the newest ETag is kept


def test_a_304_to_a_plain_request_is_a_broken_link(tree: Any, files: FileServer) -> None:
    files.bodies = {"a.csv": GOOD_CSV}
    files.etag_mode = {"a.csv": "lying"}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    check(tree)
    second = check(tree)
    result = CheckResult.objects.get()
    assert (result.state, result.reason) == ("broken", "not_modified_unasked")
    assert "304" in result.explanation
    assert [entry[1:3] for entry in files.requests("a.csv")] == [("", ""), ("", "")]
    assert second.totals["broken"] == 1


def test_the_kpis_take_the_latest_check_in_the_period_though_nothing_new_was_stored(
    tree: Any, files: FileServer
) -> None:
    files.bodies = {"a.csv": GOOD_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    runs = []
    for month, body in ((1, GOOD_CSV), (2, MISMATCH_CSV), (4, MISMATCH_CSV)):
        files.bodies["a.csv"] = body
        with time_machine.travel(datetime(2026, month, 10, 9, tzinfo=TAIPEI), tick=True):
            runs.append(check(tree))
    assert CheckResult.objects.count() == 2  # April's check found February's verdict
    organisations = [tree.agency_a.pk, tree.unit_a1.pk]
    [q1] = latest_results(organisations, Period.parse("2026Q1"))
    [q2] = latest_results(organisations, Period.parse("2026Q2"))
    assert (q1.run_id, q1.fields_match) == (runs[1].pk, False)
    assert (q2.run_id, q2.pk, q2.checked_at.month) == (runs[2].pk, q1.pk, 4)
    assert q2.checked_at == CheckEntry.objects.get(run=runs[2]).checked_at  # to the microsecond
    assert latest_results(organisations, Period.parse("2026Q3")) == []


def test_an_interrupted_run_keeps_what_it_recorded_and_the_next_run_resumes_it(
    tree: Any, files: FileServer, monkeypatch: Any
) -> None:
    names = [f"{n}.csv" for n in range(4)]
    files.bodies = dict.fromkeys(names, GOOD_CSV)
    make_dataset(tree, "A17010000J-000001", [files.url(name) for name in names])
    monkeypatch.setattr("steward.quality.services.runs.BATCH", 1)  # record each report as it comes
    seen: list[str] = []

    def interrupt(report: Any) -> None:
        seen.append(report.ref.key)
        if len(seen) == 2:
            raise KeyboardInterrupt  # Ctrl-C, or the worker stopping

    with pytest.raises(KeyboardInterrupt):
        check(tree, on_report=interrupt)
    run = CheckRun.objects.get()
    assert run.status == RunStatus.INCOMPLETE and run.error == "KeyboardInterrupt"
    done = set(CheckResult.objects.filter(entries__run=run).values_list("key", flat=True))
    assert done >= set(seen) and run.totals["checked"] == len(done)
    asked_before = sum(len(files.requests(name)) for name in names)

    resumed = check(tree)
    assert resumed.pk == run.pk and resumed.status == RunStatus.DONE
    assert resumed.totals["checked"] == 4 and resumed.totals["datasets"] == 1
    assert resumed.totals["resumed"] == 1
    # only what was not recorded is asked again
    assert sum(len(files.requests(name)) for name in names) - asked_before == 4 - len(done)
    assert CheckEntry.objects.filter(run=run).count() == 4


def test_a_run_a_killed_process_left_running_is_resumed_once_it_has_been_silent_long(
    tree: Any, files: FileServer
) -> None:
    files.bodies = {"a.csv": GOOD_CSV, "b.csv": GOOD_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv"), files.url("b.csv")])
    killed = check(tree)
    # what a killed process leaves: its batches committed, the run never closed
    CheckEntry.objects.filter(run=killed, result__key=key("A17010000J-000001", 2)).delete()
    CheckRun.objects.filter(pk=killed.pk).update(status=RunStatus.RUNNING, finished_at=None)

    other = check(tree)  # it may still be running somewhere: a new run, not a takeover
    assert other.pk != killed.pk
    CheckRun.objects.filter(pk=other.pk).delete()
    assert killed.progressed_at is not None
    later = killed.progressed_at + services.STALE_AFTER + timedelta(minutes=1)
    with time_machine.travel(later, tick=True):
        resumed = check(tree)
    assert resumed.pk == killed.pk and resumed.status == RunStatus.DONE
    assert len(files.requests("a.csv")) == 2 and len(files.requests("b.csv")) == 3


def test_retention_deletes_old_runs_and_keeps_open_periods_and_each_last_verdict(
    tree: Any, files: FileServer, settings: Any
) -> None:
    settings.STEWARD_QUALITY_RETENTION_DAYS = 30
    files.bodies = {"a.csv": GOOD_CSV, "b.csv": GOOD_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv"), files.url("b.csv")])
    runs = []
    for when, body in (
        (datetime(2024, 3, 1, 9, tzinfo=TAIPEI), GOOD_CSV),  # before last year: goes
        (datetime(2024, 6, 1, 9, tzinfo=TAIPEI), MISMATCH_CSV),  # goes; b's verdict stays
        (datetime(2025, 2, 1, 9, tzinfo=TAIPEI), MISMATCH_CSV),  # last year: kept
    ):
        files.bodies["b.csv"] = body
        with time_machine.travel(when, tick=True):
            runs.append(check(tree))
    del files.bodies["a.csv"]  # a.csv is gone: 404
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=TAIPEI), tick=True):
        runs.append(check(tree))
        counts = prune_runs()
    assert counts["runs"] == 2
    assert set(CheckRun.objects.values_list("pk", flat=True)) == {runs[2].pk, runs[3].pk}
    # a's first verdict (ok) is still what 2025's run points at; b's first (good) is gone
    b_results = CheckResult.objects.filter(key=key("A17010000J-000001", 2))
    assert [r.details["fields_match"] for r in b_results] == [False]
    assert CheckResult.objects.filter(key=key("A17010000J-000001", 1)).count() == 2
    assert ResourceHealth.objects.filter(last_result__isnull=True).count() == 0
    assert counts["results"] == 1


def test_hosts_are_taken_largest_first_one_resource_of_each_in_turn() -> None:
    refs = [
        ResourceRef(key=f"{host}{n}", url=f"http://{host}.example.org/{n}.csv")
        for host, count in (("small", 1), ("big", 3), ("middle", 2))
        for n in range(count)
    ]
    assert [ref.key for ref in largest_hosts_first(refs)] == [
        "big0", "middle0", "small0", "big1", "middle1", "big2",
    ]  # fmt: skip


def test_the_daily_tick_queues_the_pruning_only_when_runs_are_past_the_retention(
    tree: Any,
) -> None:
    from steward.jobs.models import Job, JobStatus
    from steward.jobs.scheduler import tick
    from steward.jobs.services import run_next

    now = datetime(2026, 5, 1, 9, tzinfo=TAIPEI)
    with time_machine.travel(datetime(2024, 3, 1, 9, tzinfo=TAIPEI)):
        old = CheckRun.objects.create(source="export.csv", status=RunStatus.DONE)
    recent = CheckRun.objects.create(source="export.csv", status=RunStatus.DONE)
    CheckRun.objects.filter(pk=recent.pk).update(started_at=now)
    tick(now)
    tick(now)  # another worker's tick the same day
    [job] = Job.objects.filter(kind="quality.prune_runs")
    assert run_next(worker="test") is not None
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result == {"runs": 1, "entries": 0, "results": 0}
    assert not CheckRun.objects.filter(pk=old.pk).exists()
    tick(now + timedelta(days=1))
    assert Job.objects.filter(kind="quality.prune_runs").count() == 1


def test_a_resource_history_counts_every_check_whether_its_verdict_changed_or_not(
    tree: Any, files: FileServer
) -> None:
    files.bodies = {"a.csv": GOOD_CSV}
    files.etag_mode = {"a.csv": "none"}  # each check downloads and checks the file again
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    first = check(tree)
    health = ResourceHealth.objects.get()
    assert (health.checks, health.consecutive_ok, health.last_state) == (1, 1, "ok")
    success, verdict = health.last_success_at, health.last_result_id

    second = check(tree)  # same verdict: only what a check changes is written
    health.refresh_from_db()
    assert (health.checks, health.consecutive_ok, health.last_result_id) == (2, 2, verdict)
    assert success is not None and health.last_success_at is not None
    assert health.last_success_at > success and health.first_failure_at is None
    checked_at = health.last_checked_at
    assert checked_at is not None
    assert health.next_check_due == checked_at + timedelta(days=2)  # a streak of 2
    assert CheckEntry.objects.filter(run=second, result_id=verdict).exists()

    del files.bodies["a.csv"]  # now 404: a new verdict
    check(tree)
    health.refresh_from_db()
    assert (health.checks, health.consecutive_ok, health.consecutive_failures) == (3, 0, 1)
    broken_since = health.first_failure_at
    assert broken_since is not None and broken_since == health.last_checked_at
    assert health.last_result_id != verdict
    check(tree)  # still broken, the same verdict: the failure keeps its start
    health.refresh_from_db()
    assert (health.checks, health.consecutive_failures, health.first_failure_at) == (
        4,
        2,
        broken_since,
    )
    assert health.last_success_at is not None and health.last_success_at < broken_since

    Resource.objects.update(downloadURL=files.url("moved.csv"))  # the resource moved
    files.bodies["moved.csv"] = GOOD_CSV
    check(tree)
    health.refresh_from_db()
    assert (health.url, health.last_state, health.checks) == (files.url("moved.csv"), "ok", 5)
    assert first.pk != second.pk


def test_a_runs_results_page_lists_each_resource_checked_in_result_order_with_its_count(
    tree: Any, files: FileServer, client: Any, cast: Any
) -> None:
    files.bodies = {"a.csv": GOOD_CSV, "b.csv": MISMATCH_CSV}
    make_dataset(tree, "A17010000J-000002", [files.url("b.csv"), files.url("missing.csv")])
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    check(tree)
    second = check(tree)  # nothing changed: its results are the first run's verdicts
    client.force_login(cast.centre)
    answer = client.get(f"/api/quality/runs/{second.pk}/results", {"page_size": 2}).json()
    assert (answer["count"], answer["pages"]) == (3, 2)
    later = client.get(f"/api/quality/runs/{second.pk}/results", {"page": 2, "page_size": 2})
    keys = [item["key"] for item in answer["items"] + later.json()["items"]]
    found = CheckResult.objects.order_by("pk").values_list("key", flat=True)
    assert keys == list(found) and len(set(keys)) == 3
    # when this run checked each (the verdicts were found by the first run), to the millisecond
    [seen] = {e.checked_at for e in CheckEntry.objects.filter(run=second)}
    assert {item["checked_at"] for item in answer["items"]} == {seen.isoformat()[:23] + "Z"}
    page = client.get(f"/quality/runs/{second.pk}/").content.decode()
    assert all(k in page for k in keys)  # the run's page shows the same three
    broken = client.get(f"/api/quality/runs/{second.pk}/results", {"state": "broken"}).json()
    assert broken["count"] == 1 and broken["items"][0]["key"] == key("A17010000J-000002", 2)


def test_a_link_healthy_for_many_checks_in_a_row_is_recorded_and_checked_again_within_the_cap(
    tree: Any, files: FileServer
) -> None:
    # a month of hourly checks: the doubled interval would overflow a timedelta past 30
    files.bodies = {"a.csv": GOOD_CSV}
    files.etag_mode = {"a.csv": "none"}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv")])
    check(tree)
    ResourceHealth.objects.update(consecutive_ok=720, checks=720)
    run = check(tree)
    assert run.status == RunStatus.DONE
    health = ResourceHealth.objects.get()
    assert (health.checks, health.consecutive_ok) == (721, 721)
    assert health.last_checked_at is not None
    assert health.next_check_due == health.last_checked_at + timedelta(days=30)


def _marks_counted_fresh(organisations: list[int], period: Period) -> dict[tuple[str, Any], int]:
    """The marks of `period` by `latest_results`' rule, counted here."""
    found: dict[tuple[str, Any], int] = {}
    for result in latest_results(organisations, period):
        found[(result.mark, result.stars)] = found.get((result.mark, result.stars), 0) + 1
    return found


def test_a_settled_quarters_marks_are_kept_until_a_run_that_checked_in_it_changes(
    tree: Any, files: FileServer
) -> None:
    """A dashboard counts its past quarters' marks once; a run that checks in such a
    quarter (here one recorded late on its last day, then pruned) counts again."""
    from steward.quality.measures.datasets import marks_by_period

    files.bodies = {"a.csv": GOOD_CSV, "b.csv": GOOD_CSV}
    make_dataset(tree, "A17010000J-000001", [files.url("a.csv"), files.url("b.csv")])
    organisations = [tree.agency_a.pk, tree.unit_a1.pk]
    q1, q2 = Period.parse("2026Q1"), Period.parse("2026Q2")

    def marks() -> dict[tuple[str, Any], int]:
        with time_machine.travel(datetime(2026, 5, 10, 9, tzinfo=TAIPEI)):
            return {(m, s): n for i, m, s, n in marks_by_period(organisations, [q1, q2]) if i == 0}

    with time_machine.travel(datetime(2026, 2, 10, 9, tzinfo=TAIPEI), tick=True):
        check(tree)
    before = marks()
    assert sum(before.values()) == 2
    assert before == _marks_counted_fresh(organisations, q1)

    files.bodies = {"a.csv": MISMATCH_CSV, "b.csv": GOOD_CSV}
    with time_machine.travel(datetime(2026, 3, 31, 9, tzinfo=TAIPEI), tick=True):
        late = check(tree)
    after = marks()
    assert after == _marks_counted_fresh(organisations, q1)
    assert after != before  # the mismatching header lowered a.csv's mark

    CheckRun.objects.filter(pk=late.pk).delete()  # as `prune_runs` removes a run
    assert marks() == before == _marks_counted_fresh(organisations, q1)
