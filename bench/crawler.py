"""Crawler benchmark: 10,000 resources fetched and fully checked from a local server.

    uv run --group bench python bench/crawler.py [--urls 10000] [--hosts 8] [--per-host 16]

Starts `bench/hostile_server.py` as a separate process on 127.0.0.1…127.0.0.N, then runs:

1. our crawler, full checks (fetch + sniff + encoding + table + personal data + scores), split
   by host across crawler processes (`--processes`, default STEWARD_CRAWL_PROCESSES: one per
   core);
2. the same in one process (what one core can do);
3. our crawler, fetch only (link verdicts, no checks), split the same way — the like-for-like
   figure for the peer;
4. the peer: httpx.AsyncClient doing the same GETs (redirects followed, body read), with
   the same per-host limits, no checks.

With `--fast-paths`, it instead re-measures each micro-cache and fast path of the checks
(`FAST_PATHS` below): the resources are fetched once, then `run_checks` runs over all of them
with the fast path on and off in turn (best of `--repeat`), and each gain is printed as a share
of the one-process full-check run's CPU seconds in the same invocation (fetch and checks).

URLs: 80 % plain CSV, 10 % redirecting, 5 % slow (20 ms), 5 % 404. After each run the
server's highest in-flight count per host is compared with the per-host limit, and the CPU
seconds of the crawler, its shard processes and the local server are printed. Each CSV differs
from the others (its last row carries its number), and each pair of resources has its own
主要欄位說明, so nothing is checked once for all.
Everything stays on loopback; the run is bounded by the URL count.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")

import django  # noqa: E402

django.setup()

from steward.lib.http import AddressPolicy, Timeouts, host_key, run_loop  # noqa: E402
from steward.quality.crawl.crawler import (  # noqa: E402
    CrawlConfig,
    ResourceRef,
    crawl,
    link_only_report,
)

FIELDS = "年度(民國年)、機關名稱(中文)、金額(新臺幣元)"


def urls(count: int, hosts: int, port: int) -> list[str]:
    out = []
    for n in range(count):
        host = f"127.0.0.{1 + n % hosts}:{port}"
        bucket = n % 20
        if bucket < 16:
            path = f"/ok/{n}.csv"
        elif bucket < 18:
            path = f"/redirect/{n}"
        elif bucket < 19:
            path = f"/slow/{n}.csv"
        else:
            path = f"/missing/{n}"
        out.append(f"http://{host}{path}")
    return out


def refs(all_urls: list[str]) -> list[ResourceRef]:
    return [
        ResourceRef(
            key=str(n),
            url=url,
            declared_format="CSV",
            declared_encoding="UTF-8",
            # two resources per dataset, each dataset describing its fields in its own words
            field_description=FIELDS.replace("新臺幣元", f"新臺幣元，資料集 {n // 2}"),
            update_frequency="每1年",
            modified="2026-06-01 00:00:00",
            metadata={"licence": "政府資料開放授權條款-第1版"},
        )
        for n, url in enumerate(all_urls)
    ]


def stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=5) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


async def ours(items: list[ResourceRef], config: CrawlConfig, *, full: bool) -> dict[str, int]:
    policy = AddressPolicy.from_entries(["127.0.0.0/8"])
    states: dict[str, int] = {}
    kwargs: dict[str, Any] = {} if full else {"check": link_only_report}
    async for report in crawl(items, config=config, policy=policy, **kwargs):
        states[report.state.value] = states.get(report.state.value, 0) + 1
    return states


async def peer_httpx(all_urls: list[str], *, concurrency: int, per_host: int) -> dict[str, int]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    global_slots = asyncio.Semaphore(concurrency)
    host_slots: dict[str, asyncio.Semaphore] = {}
    states: dict[str, int] = {}

    async with httpx.AsyncClient(limits=limits, follow_redirects=True, timeout=30) as client:

        async def one(url: str) -> None:
            slot = host_slots.setdefault(host_key(url), asyncio.Semaphore(per_host))
            async with slot, global_slots:
                try:
                    answer = await client.get(url)
                    key = "ok" if answer.status_code < 400 else "broken"
                except httpx.HTTPError:
                    key = "unknown"
            states[key] = states.get(key, 0) + 1

        # Bounded fan-out so the peer does not get an unfair head start with 10,000 tasks.
        queue = iter(all_urls)

        async def worker() -> None:
            for url in queue:
                await one(url)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return states


def fork_server_pid() -> int:
    """The multiprocessing fork server's process id (the shards are its children), or 0."""
    from multiprocessing import forkserver

    return forkserver._forkserver._forkserver_pid or 0  # type: ignore[attr-defined]


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time of a process so far, or of its ended children (Linux /proc)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    first = 13 if children else 11  # cutime, cstime: children waited for (the shards)
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, count: int, run: Any, port: int, per_host: int, server: int) -> float:
    before = stats(port)["served"]
    shards = fork_server_pid()
    server_before, shards_before = cpu_seconds(server), cpu_seconds(shards, children=True)
    own_before = time.process_time()
    started = time.perf_counter()
    states = run_loop(run)
    elapsed = time.perf_counter() - started
    own = time.process_time() - own_before
    server_cpu = cpu_seconds(server) - server_before
    shards_cpu = cpu_seconds(shards, children=True) - shards_before
    after = stats(port)
    worst = max(after["max_in_flight"].values())
    rate = count / elapsed
    print(
        f"{label:<34} {count} in {elapsed:6.2f} s = {rate:7.0f} resources/s  "
        f"requests {after['served'] - before}  states {states}  "
        f"max in flight per host {worst} (limit {per_host}) "
        f"{'OK' if worst <= per_host else 'EXCEEDED'}\n"
        f"{'':<34} CPU s: caller {own:.2f}, shard processes {shards_cpu:.2f}, "
        f"local server {server_cpu:.2f}"
    )
    return rate


def _fast_path_switches() -> dict[str, Any]:
    """Each fast path's name → a function that turns it off and returns how to turn it on."""
    from steward.quality.checks import pipeline

    def swap(module: Any, name: str, slow: Any) -> Any:
        def off() -> Any:
            fast = getattr(module, name)
            setattr(module, name, slow(fast))
            return lambda: setattr(module, name, fast)

        return off

    def strptime_only(_fast: Any) -> Any:
        from datetime import datetime

        def modified(text: str) -> Any:
            for fmt in pipeline._MODIFIED_FORMATS:
                try:
                    return datetime.strptime(text.strip(), fmt)
                except ValueError:
                    continue
            return None

        return modified

    return {
        "pipeline: fromisoformat before strptime": swap(
            pipeline, "_modified_as_written", strptime_only
        ),
        "pipeline: small CSV parsed once": swap(
            pipeline, "parse_csv_once", lambda _fast: lambda *_args: None
        ),
    }


def fast_paths(items: list[ResourceRef], config: CrawlConfig, *, repeat: int) -> None:
    """Fetch once, then time `run_checks` with each fast path on and off (see the docstring)."""
    from steward.quality.checks.pipeline import run_checks

    fetched: list[tuple[ResourceRef, Any]] = []

    def keep(ref: ResourceRef, result: Any) -> Any:
        fetched.append((ref, copy.copy(result)))  # (the crawler empties the head after checks)
        return link_only_report(ref, result)

    policy = AddressPolicy.from_entries(["127.0.0.0/8"])

    async def fetch_all() -> None:
        async for _report in crawl(items, config=config, policy=policy, check=keep):
            pass

    run_loop(fetch_all())
    before = time.process_time()
    run_loop(ours(items, replace(config, processes=0), full=True))
    whole = time.process_time() - before
    print(f"one-process full checks: {whole:.2f} CPU s for {len(items)} resources")

    def checks_cpu() -> float:
        started = time.process_time()
        for ref, result in fetched:
            run_checks(ref, result)
        return time.process_time() - started

    checks_cpu()  # warm every cache
    on_all = min(checks_cpu() for _ in range(repeat))
    print(f"run_checks alone: {on_all:.2f} CPU s ({on_all / whole:.0%} of the full run)")
    for name, off in _fast_path_switches().items():
        on_times, off_times = [], []
        for _ in range(repeat):
            on_times.append(checks_cpu())
            restore = off()
            try:
                off_times.append(checks_cpu())
            finally:
                restore()
        gain = (min(off_times) - min(on_times)) / whole
        print(
            f"{name:<44} on {min(on_times):.3f} s  off {min(off_times):.3f} s  "
            f"gain {gain:+.1%} of the full run  {'KEEP' if gain > 0.02 else 'remove'}"
        )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description="crawler benchmark")
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--per-host", type=int, default=16)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument(
        "--fast-paths", action="store_true", help="re-measure each fast path of the checks"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast path, on and off")
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="crawler processes (default: STEWARD_CRAWL_PROCESSES, one per core)",
    )
    arguments = parser.parse_args()
    concurrency = arguments.hosts * arguments.per_host

    print(f"date {time.strftime('%Y-%m-%d')}  nproc {os.cpu_count()}  cpu {cpu_model()}")
    print(f"python {platform.python_version()}  {arguments.urls} URLs on {arguments.hosts} hosts")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "hostile_server.py"), "--port",
         str(arguments.port), "--hosts", str(arguments.hosts)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "ready"
        all_urls = urls(arguments.urls, arguments.hosts, arguments.port)
        items = refs(all_urls)
        config = CrawlConfig(
            concurrency=concurrency,
            per_host=arguments.per_host,
            per_host_rate=0,
            need_bytes=64 * 1024,
            max_attempts=1,
            timeouts=Timeouts(connect=5, read=10, total=30),
            **({} if arguments.processes is None else {"processes": arguments.processes}),
        )
        print(f"crawler processes {config.processes} (one host never spans two)")
        if arguments.fast_paths:
            fast_paths(items, replace(config, processes=0), repeat=arguments.repeat)
            return
        # A short warm-up (imports, first connections) that is not measured.
        run_loop(ours(items[:200], replace(config, processes_from=1), full=True))
        timed("steward crawler, full checks", len(items), ours(items, config, full=True),
              arguments.port, arguments.per_host, server.pid)  # fmt: skip
        timed("steward crawler, one process", len(items),
              ours(items, replace(config, processes=0), full=True),
              arguments.port, arguments.per_host, server.pid)  # fmt: skip
        timed("steward crawler, fetch only", len(items), ours(items, config, full=False),
              arguments.port, arguments.per_host, server.pid)  # fmt: skip
        if not arguments.skip_peer:
            timed("peer httpx.AsyncClient, fetch only", len(all_urls),
                  peer_httpx(all_urls, concurrency=concurrency, per_host=arguments.per_host),
                  arguments.port, arguments.per_host, server.pid)  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
