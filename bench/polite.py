"""Polite crawl benchmark: wall time against the floor the per-host limits allow (issue 17.2).

    uv run --group bench python bench/polite.py [--scale 0.05]

With the polite defaults (2 requests in flight and 5 requests a second per host), a host of
n resources needs at least n / 5 seconds; the whole run can end no sooner than its largest
host allows: floor = max over hosts of resources / rate. The national host layout
(`national_hosts`: 150,000 resources on 561 hosts, the largest with 5,000) gives a floor of
1,000 s (17 minutes). To keep the bench short every host's count is multiplied by `--scale`
(0.05 by default: 7,500 resources, the largest host 250, floor 50 s) and so is the crawler's
read-ahead window (`max_buffered`, 20,000 → 1,000), so that the window holds the same share
of the run as at full size. The local server (one port of 127.0.0.1 per host) answers at
once, so the per-host limits are all that slow the crawl.

It crawls (full checks, the default crawl settings otherwise) the same resources twice:
in catalogue order (hosts mixed, as a dataset list gives them) and largest hosts first
(`largest_hosts_first`, what `check_resources` does), printing each wall time against the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (hosts, resources each) of the national-size set: 150,000 resources on 561 hosts.
NATIONAL_LAYOUT = (
    (1, 5000), (2, 4000), (3, 3000), (5, 2000), (10, 1500), (20, 1000),
    (40, 600), (80, 300), (150, 150), (250, 50),
)  # fmt: skip


def national_hosts(scale: float = 1.0) -> list[int]:
    """Resources per host, largest first (at least one per host)."""
    return [max(1, round(size * scale)) for count, size in NATIONAL_LAYOUT for _ in range(count)]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    import django

    django.setup()
    from steward.lib.http import AddressPolicy, run_loop
    from steward.quality.crawl.crawler import CrawlConfig, ResourceRef, crawl, largest_hosts_first

    parser = argparse.ArgumentParser(description="polite crawl benchmark")
    parser.add_argument("--scale", type=float, default=0.05)
    arguments = parser.parse_args()
    sizes = national_hosts(arguments.scale)
    defaults = CrawlConfig()
    config = replace(defaults, max_buffered=max(1, round(defaults.max_buffered * arguments.scale)))
    floor = max(sizes) / config.per_host_rate
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M')}  nproc {os.cpu_count()}  "
        f"load {os.getloadavg()[0]:.1f}\n"
        f"scale {arguments.scale}: {sum(sizes)} resources on {len(sizes)} hosts, largest "
        f"{max(sizes)}; per host {config.per_host} in flight, {config.per_host_rate}/s; "
        f"read-ahead window {config.max_buffered}; crawler processes {config.processes}\n"
        f"floor = {max(sizes)} / {config.per_host_rate} = {floor:.0f} s "
        f"(at full size: {national_hosts()[0]} / {config.per_host_rate} = "
        f"{national_hosts()[0] / config.per_host_rate:.0f} s)",
        flush=True,
    )
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "hostile_server.py"), "--listeners", str(len(sizes))],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline().decode().split(" ", 1)[1])
        refs = [
            ResourceRef(
                key=f"{host}-{n}",
                url=f"http://127.0.0.1:{ports[host]}/ok/{host}-{n}.csv",
                declared_format="CSV",
                declared_encoding="UTF-8",
                field_description="年度(民國年)、機關名稱(中文)、金額(新臺幣元)",
                update_frequency="每1年",
                modified="2026-06-01 00:00:00",
            )
            for host, size in enumerate(sizes)
            for n in range(size)
        ]
        random.Random(17).shuffle(refs)
        policy = AddressPolicy.from_entries(["127.0.0.1/32"])

        async def go(items: list[ResourceRef]) -> int:
            count = 0
            async for _report in crawl(items, config=config, policy=policy):
                count += 1
            return count

        for label, items in (
            ("catalogue order", refs),
            ("largest hosts first", largest_hosts_first(refs)),
        ):
            started = time.perf_counter()
            count = run_loop(go(items))
            elapsed = time.perf_counter() - started
            print(
                f"{label:<20} {count} resources in {elapsed:6.1f} s = {elapsed / floor:.2f}× the "
                f"floor ({floor:.0f} s)",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
