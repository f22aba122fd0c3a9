"""Recording benchmark: does recording keep up with checking, at national size? (issue 17.1)

    uv run --group bench python bench/recording.py [--datasets 50000] [--per-dataset 3]
    DATABASE_URL=postgres://steward@127.0.0.1:54329/steward_recording_bench \\
        uv run --group bench python bench/recording.py

The database is `DATABASE_URL` (by default a SQLite file, bench/data/recording.sqlite3); it
is emptied and migrated first (on PostgreSQL the database is dropped and made again).

Setup, not measured as product speed: 50,000 published datasets and 150,000 resources are
written straight into the tables with `bulk_create` (the importers would take minutes and are
measured elsewhere). Their download URLs spread over the national host layout of
`bench/polite.py` (561 hosts, the largest with 5,000 resources), each host one port of the
local server (`bench/hostile_server.py --listeners 561`), which answers at once.

Then, all in one run, with the same crawl settings (per host 16, no rate limit, full checks,
crawler processes as STEWARD_CRAWL_PROCESSES):

1. first check: `check_resources` over all 150,000 (every verdict is new); the server sends
   ETags;
2. re-check, server answering 304 to the conditional requests: crawl alone (`crawl()` over
   the same refs with the same validators, nothing recorded), then `check_resources`;
3. re-check, server ignoring validators (200 and a full download and check each): crawl
   alone, then `check_resources`.

For each: resources/s, the crawl+record/crawl-alone ratio (target ≥ 70 %), the database
size before and after (target: a run where nothing changed adds < 20 MB), and the rows added.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA.mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'recording.sqlite3'}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
os.environ.setdefault("STEWARD_HTTP_ALLOWED_PRIVATE", "127.0.0.1/32")


def reset_database() -> None:
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


import django  # noqa: E402

django.setup()

from crawler import cpu_model, cpu_seconds, fork_server_pid  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from polite import national_hosts  # noqa: E402

from steward.datasets.models import Dataset, Resource  # noqa: E402
from steward.datasets.workflow import Status  # noqa: E402
from steward.lib.http import AddressPolicy, Timeouts, run_loop  # noqa: E402
from steward.organisations.models import Organisation, OrganisationKind  # noqa: E402
from steward.quality.crawl.crawler import CrawlConfig, crawl, largest_hosts_first  # noqa: E402
from steward.quality.models import CheckEntry, CheckResult, ResourceHealth  # noqa: E402
from steward.quality.services import check_resources, refs_from_database  # noqa: E402
from steward.quality.services.runs import _to_crawl, _validator_lookup  # noqa: E402

FIELDS = "年度(民國年)、機關名稱(中文)、金額(新臺幣元)"
POLICY = AddressPolicy.from_entries(["127.0.0.1/32"])


def database_bytes() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(connection.settings_dict["NAME"])
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def settle() -> None:
    """Let PostgreSQL's autovacuum-like upkeep happen as it would between two runs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def load(datasets: int, per_dataset: int, ports: list[int], sizes: list[int]) -> float:
    started = time.perf_counter()
    ministry = Organisation.objects.create(
        key="bench-ministry",
        name="效能部",
        kind=OrganisationKind.MINISTRY,
        agency_code="A99000000J",
    )
    agencies = [
        Organisation.objects.create(
            key=f"bench-agency-{n}",
            name=f"效能部第{n}署",
            kind=OrganisationKind.AGENCY,
            parent=ministry,
            agency_code=f"A99{n:02d}0000J",
        )
        for n in range(1, 21)
    ]
    # each host's resources, in the order datasets are numbered: hosts interleave as they
    # would in a real catalogue (one agency's systems, many agencies)
    urls: list[str] = []
    for host, size in enumerate(sizes):
        urls.extend(f"http://127.0.0.1:{ports[host]}/ok/{host}-{n}.csv" for n in range(size))
    import random

    random.Random(17).shuffle(urls)
    total = datasets * per_dataset
    assert len(urls) >= total, (len(urls), total)
    now = timezone.now()
    rows = [
        Dataset(
            organisation=agencies[n % len(agencies)],
            status=Status.PUBLISHED,
            identifier=f"A99{n % 20 + 1:02d}0000J-{n:06d}",
            title=f"效能測試資料集{n}",
            description="效能測試用的資料集。",
            fieldDescription=FIELDS,
            accrualPeriodicity="每1年",
            issued=now,
            license="政府資料開放授權條款-第1版",
        )
        for n in range(datasets)
    ]
    Dataset.objects.bulk_create(rows, batch_size=2000)
    ids = list(Dataset.objects.order_by("pk").values_list("pk", flat=True))
    resources = [
        Resource(
            dataset_id=ids[n // per_dataset],
            resourceID=f"A99-{n:09d}",
            format="CSV",
            downloadURL=urls[n],
            resourceModified=now,
            position=n % per_dataset,
        )
        for n in range(total)
    ]
    Resource.objects.bulk_create(resources, batch_size=2000)
    return time.perf_counter() - started


def server_call(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        body = answer.read()
    return json.loads(body) if path == "/_stats" else body


SERVER_PID = 0


def database_pid() -> int:
    """PostgreSQL: the server process of this connection (the recorder's), else 0."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


class CPU:
    """CPU seconds over a span of this process, the crawler processes, the local server and
    (PostgreSQL) the database server's process serving this connection, i.e. the recorder's
    statements; with the load average at the end (the machine may be shared)."""

    def __enter__(self) -> CPU:
        self.database_pid = database_pid()
        self.own = time.process_time()
        self.shards = cpu_seconds(fork_server_pid(), children=True)
        self.server = cpu_seconds(SERVER_PID)
        self.database = cpu_seconds(self.database_pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.own = time.process_time() - self.own
        self.shards = cpu_seconds(fork_server_pid(), children=True) - self.shards
        self.server = cpu_seconds(SERVER_PID) - self.server
        self.database = cpu_seconds(self.database_pid) - self.database
        self.load = os.getloadavg()[0]

    @property
    def total(self) -> float:
        return self.own + self.shards + self.server + self.database

    def __str__(self) -> str:
        database = f", database {self.database:.1f}" if self.database_pid else ""
        return (
            f"CPU s: caller {self.own:.1f}, crawler processes {self.shards:.1f}, "
            f"server {self.server:.1f}{database}; total {self.total:.1f}; "
            f"load {self.load:.1f}"
        )


def crawl_alone(config: CrawlConfig) -> tuple[int, float, CPU]:
    """`crawl()` over the refs as `check_resources` gives them: read before the clock (as for
    the crawl + record), then, timed as there, each ref's stored validators looked up (the
    conditional requests) and the refs ordered largest hosts first."""
    refs = refs_from_database()

    async def go(ordered: list[Any]) -> int:
        count = 0
        async for _report in crawl(ordered, config=config, policy=POLICY):
            count += 1
        return count

    started = time.perf_counter()
    with CPU() as cpu:
        ordered = largest_hosts_first(
            list(_to_crawl(refs, done=(), validators=_validator_lookup(refs)))
        )
        prepared = time.perf_counter() - started
        count = run_loop(go(ordered))
    elapsed = time.perf_counter() - started
    print(
        f"  crawl alone      {count} in {elapsed:7.2f} s = {count / elapsed:7.0f} resources/s  "
        f"(inputs prepared in {prepared:.2f} s)  {cpu}"
    )
    return count, elapsed, cpu


PROFILE = False


def crawl_and_record(config: CrawlConfig, source: str) -> tuple[int, float, dict[str, Any], CPU]:
    refs = refs_from_database()  # read before the clock starts, as for the crawl alone
    profile = None
    if PROFILE and source != "first":
        import cProfile

        profile = cProfile.Profile()  # the calling thread: the recorder
        profile.enable()
    started = time.perf_counter()
    with CPU() as cpu:
        run = check_resources(refs, config=config, policy=POLICY, source=source)
    elapsed = time.perf_counter() - started
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    print(f"  {cpu}")
    return run.totals["checked"], elapsed, run.totals, cpu


def rows() -> dict[str, int]:
    return {
        "results": CheckResult.objects.count(),
        "entries": CheckEntry.objects.count(),
        "health": ResourceHealth.objects.count(),
    }


def measured_run(label: str, config: CrawlConfig, port: int) -> tuple[float, CPU]:
    settle()
    size_before, rows_before = database_bytes(), rows()
    server_call(port, "/_stats/reset")
    count, elapsed, totals, cpu = crawl_and_record(config, source=label)
    stats = server_call(port, "/_stats")
    size_after, rows_after = database_bytes(), rows()
    rate = count / elapsed
    added = {k: rows_after[k] - rows_before[k] for k in rows_after}
    print(
        f"  crawl + record   {count} in {elapsed:7.2f} s = {rate:7.0f} resources/s  "
        f"(ok {totals['ok']}, broken {totals['broken']}, unknown {totals['unknown']}, "
        f"304 {stats['not_modified']} of {stats['served']} requests)\n"
        f"  database {size_before / 1e6:8.1f} MB → {size_after / 1e6:8.1f} MB "
        f"(+{(size_after - size_before) / 1e6:.1f} MB); rows added {added}",
        flush=True,
    )
    return rate, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description="recording benchmark")
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--per-dataset", type=int, default=3)
    parser.add_argument("--per-host", type=int, default=16)
    parser.add_argument(
        "--profile", action="store_true", help="profile the recorder's thread in the re-checks"
    )
    arguments = parser.parse_args()
    global PROFILE
    PROFILE = arguments.profile
    total = arguments.datasets * arguments.per_dataset
    sizes = national_hosts(scale=1.0)
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M %Z')}  nproc {os.cpu_count()}  cpu {cpu_model()}  "
        f"load {os.getloadavg()[0]:.1f}  python {platform.python_version()}  "
        f"database {connection.vendor}"
    )
    reset_database()  # here, not at import: the crawl's fork server imports this module too
    call_command("migrate", verbosity=0)
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "hostile_server.py"), "--listeners", str(len(sizes))],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline().decode().split(" ", 1)[1])
        port = ports[0]
        global SERVER_PID
        SERVER_PID = server.pid
        seconds = load(arguments.datasets, arguments.per_dataset, ports, sizes)
        print(
            f"setup: {arguments.datasets} datasets, {total} resources on {len(sizes)} hosts "
            f"(largest {max(sizes)}) written with bulk_create in {seconds:.1f} s",
            flush=True,
        )
        config = CrawlConfig(
            concurrency=128,
            per_host=arguments.per_host,
            per_host_rate=0,
            max_attempts=1,
            timeouts=Timeouts(connect=5, read=10, total=30),
        )
        print(f"crawler processes {config.processes}, per host {config.per_host}, no rate limit")
        server_call(port, "/_conditional/on")
        print("1. first check (every verdict new; the server sends ETags)")
        measured_run("first", config, port)
        for label, conditional in (("304", True), ("full", False)):
            server_call(port, f"/_conditional/{'on' if conditional else 'off'}")
            print(
                "2. re-check, the server answers 304 to conditional requests"
                if conditional
                else "3. re-check, the server ignores validators (200, full download and checks)"
            )
            count, elapsed, alone_cpu = crawl_alone(config)
            alone = count / elapsed
            both, both_cpu = measured_run(label, config, port)
            print(
                f"  crawl + record / crawl alone = {both / alone:.0%} (target ≥ 70 %); "
                f"by CPU seconds {alone_cpu.total / both_cpu.total:.0%}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
