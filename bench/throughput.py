"""Throughput: 20 concurrent signed-in users browsing list and detail pages on the production
server (`steward serve`: gunicorn with PostgreSQL), optionally against `runserver`.

    uv run python bench/throughput.py \
        --database-url postgres://steward@127.0.0.1:54329/steward_bench [--datasets 1000] \
        [--users 20] [--warmup 15] [--seconds 30] [--servers 3x4,5x1] [--baseline]

Makes the database afresh (dropped first if it exists; `--keep-data` reuses it), migrates it,
loads a ministry with one agency and `--datasets` published datasets (3 resources each,
through the catalogue import) and one information-centre officer. Then, for each server in
turn, on a free port on 127.0.0.1, with the production environment (DEBUG off, persistent
database connections, hashed static files):

* `steward serve --no-worker --workers W --threads T` for each `WxT` of `--servers`
  (T > 1: gunicorn's gthread worker);
* with `--baseline`, `steward runserver --noreload --insecure`, Django's development server.

The load generator is the aiohttp one below (locust 2.47 stopped at once or failed every
sign-in on this machine), on the same cores as the server and the database: `--users`
sessions each sign in through the login form with its CSRF token (all before anything is
counted: a sign-in costs a password hash), then open list and detail pages without pause;
`--warmup` seconds are not counted, then `--seconds` are. Prints requests/s, median and p95
latency, failures (not 200) and the load average at the end. Asserts nothing; the figures go
to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import serving

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1234"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


PREPARE = """
import csv, io
from django.core.management import call_command
from steward.datasets.models import Dataset
from steward.datasets.standard import CATALOGUE_COLUMNS
from steward.organisations.models import Organisation, OrganisationKind, Person, Role, RoleAssignment
from steward.publishing.catalogue import import_catalogue

call_command("migrate", verbosity=0)
ministry = Organisation.objects.create(
    key="bench", name="測試部", kind=OrganisationKind.MINISTRY, agency_code="A17000000J")
agency = Organisation.objects.create(
    key="bench-a", name="甲署", kind=OrganisationKind.AGENCY, parent=ministry,
    agency_code="A17010000J")
centre = Organisation.objects.create(
    key="bench-centre", name="資訊處", kind=OrganisationKind.UNIT, parent=ministry)
person = Person.objects.create_user("bench-centre", password=PASSWORD, display_name="王專員")
RoleAssignment.objects.create(person=person, organisation=centre, role=Role.INFORMATION_CENTRE)
text = io.StringIO(newline="")
writer = csv.writer(text, lineterminator="\\r\\n")
writer.writerow(CATALOGUE_COLUMNS)
for n in range(1, COUNT + 1):
    values = {
        "資料集識別碼": f"A17010000J-{n:06d}", "資料集名稱": f"統計資料第{n}號",
        "資料提供屬性": "原始資料", "服務分類": "公共資訊", "品質檢測": "銀標章",
        "檔案格式": "CSV;JSON;XML",
        "資料下載網址": ";".join(f"https://a.example.gov.tw/{n}.{x}" for x in ("csv", "json", "xml")),
        "編碼格式": "UTF-8", "資料集描述": f"第{n}號資料集。\\n第二行說明。",
        "主要欄位說明": "year(年度)、count(件數)", "提供機關": "甲署", "更新頻率": "每1年",
        "授權方式": "政府資料開放授權條款-第1版", "相關網址": "https://a.example.gov.tw/",
        "計費方式": "免費", "提供機關聯絡人姓名": "李小華", "提供機關聯絡人電話": "02-8765-4321",
        "上架日期": "2019-05-01", "詮釋資料更新時間": "2025-12-31 17:30:00", "資料量": "1;2;3",
    }
    writer.writerow([values.get(column, "") for column in CATALOGUE_COLUMNS])
import_catalogue(text.getvalue().encode("utf-8-sig"), ministry=ministry, by=None, file="bench.csv")
ids = list(Dataset.objects.order_by("pk").values_list("pk", flat=True)[:200])
print(",".join(map(str, ids)))
"""


def prepare(env: dict[str, str], count: int) -> str:
    code = f"COUNT = {count}\nPASSWORD = {PASSWORD!r}\n{PREPARE}"
    result = subprocess.run(
        [sys.executable, "-m", "steward.cli", "shell", "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"preparing the database failed:\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# (weight, path or None for a dataset page): list and detail pages, mostly the datasets'.
PAGES: list[tuple[int, str | None]] = [
    (4, "/datasets/"),
    (6, None),
    (2, "/inventory/"),
    (1, "/quality/"),
    (1, "/organisations/"),
]


async def sign_in(base: str) -> Any:
    """A session signed in through the login form (with its CSRF token), as a person does."""
    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address too
    timeout = aiohttp.ClientTimeout(total=120)
    # A connection per request, as the reverse proxy in front of gunicorn does by default
    # (nginx speaks HTTP/1.0 to its upstream).
    connector = aiohttp.TCPConnector(force_close=True)
    session = aiohttp.ClientSession(base, cookie_jar=jar, timeout=timeout, connector=connector)
    async with session.get("/accounts/login/") as response:
        token = CSRF.search(await response.text())
    assert token, "no CSRF token on the login form"
    form = {
        "csrfmiddlewaretoken": token.group(1),
        "username": "bench-centre",
        "password": PASSWORD,
        "next": "/",
    }
    async with session.post("/accounts/login/", data=form, allow_redirects=False) as response:
        assert response.status == 302, f"sign-in refused: {response.status}"
    return session


async def browse(
    session: Any,
    dataset_ids: list[int],
    start: float,
    stop: float,
    latencies: list[float],
    failures: list[str],
    seed: int,
) -> None:
    """One signed-in information-centre officer opening pages without pause until `stop`;
    only requests started after `start` are counted."""
    chooser = random.Random(seed)
    weights = [weight for weight, _ in PAGES]
    while (now := time.monotonic()) < stop:
        path = chooser.choices(PAGES, weights)[0][1] or f"/datasets/{chooser.choice(dataset_ids)}/"
        async with session.get(path, allow_redirects=False) as response:
            await response.read()
            took = time.monotonic() - now
        if now >= start:
            latencies.append(took)
            if response.status != 200:
                failures.append(f"{path}: {response.status}")


async def load(base: str, dataset_ids: list[int], options: argparse.Namespace) -> dict[str, float]:
    """Sign every user in first (a password hash each: not what is measured), then browse:
    `--warmup` seconds not counted, then `--seconds` counted."""
    sessions = await asyncio.gather(*(sign_in(base) for _ in range(options.users)))
    latencies: list[float] = []
    failures: list[str] = []
    start = time.monotonic() + options.warmup
    stop = start + options.seconds
    try:
        await asyncio.gather(
            *(
                browse(session, dataset_ids, start, stop, latencies, failures, seed)
                for seed, session in enumerate(sessions)
            )
        )
    finally:
        for session in sessions:
            await session.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / options.seconds,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000,
        "failures": len(failures),
        "load": os.getloadavg()[0],
    }


def run_load(
    name: str,
    command: list[str],
    port: int,
    env: dict[str, str],
    options: argparse.Namespace,
    dataset_ids: list[int],
) -> dict[str, float]:
    with serving(command, env=env, port=port, log=Path(env["STEWARD_VAR_DIR"]) / f"{name}.log"):
        return asyncio.run(load(f"http://127.0.0.1:{port}", dataset_ids, options))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to remake")
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=15, help="seconds not counted first")
    parser.add_argument("--keep-data", action="store_true", help="reuse the database as it is")
    parser.add_argument(
        "--servers",
        default="3x4",
        help="gunicorn configurations to measure, WORKERSxTHREADS, comma-separated "
        "(threads > 1: gunicorn's gthread worker)",
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also measure `runserver`, the old baseline"
    )
    options = parser.parse_args()
    if not options.database_url.startswith("postgres"):
        sys.exit("--database-url must be a PostgreSQL URL")

    var = tempfile.mkdtemp(prefix="steward-bench-var-")
    env = {
        **os.environ,
        "DATABASE_URL": options.database_url,
        "STEWARD_DB_CONN_MAX_AGE": "60",
        "STEWARD_SECRET_KEY": secrets.token_urlsafe(50),
        "STEWARD_VAR_DIR": var,
        "STEWARD_DEBUG": "false",
        "STEWARD_LOG_LEVEL": "ERROR",
    }
    started = time.monotonic()
    if options.keep_data:
        code = (
            "from steward.datasets.models import Dataset; print(','.join(map(str, "
            "Dataset.objects.order_by('pk').values_list('pk', flat=True)[:200])))"
        )
        ids = (
            subprocess.run(
                [sys.executable, "-m", "steward.cli", "shell", "-c", code],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    else:
        recreate_database(options.database_url)
        ids = prepare(env, options.datasets)
    dataset_ids = [int(pk) for pk in ids.split(",")]
    print(
        f"data: {options.datasets} published datasets loaded in {time.monotonic() - started:.0f} s"
    )
    print(
        f"load: {options.users} users, no think time, {options.seconds} s after ramp-up, "
        f"{os.cpu_count()} cores shared by server, database and load generator"
    )

    steward = [sys.executable, "-m", "steward.cli"]
    servers = []
    for config in options.servers.split(","):
        workers, threads = (int(n) for n in config.lower().split("x"))
        port = free_port()
        command = [
            *steward,
            "serve",
            "--no-worker",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
        ]
        servers.append((f"gunicorn {workers}×{threads}", command, port, env))
    if options.baseline:
        port = free_port()
        command = [*steward, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"]
        # runserver starts a thread per request: connections kept per thread would pile up
        # to the database server's max_connections (shared with others on this machine).
        servers.append(
            ("runserver (baseline)", command, port, env | {"STEWARD_DB_CONN_MAX_AGE": "0"})
        )
    print(
        f"\n{'server':24} {'req/s':>8} {'median ms':>10} {'p95 ms':>8} {'failures':>9} "
        f"{'load avg':>9}"
    )
    for name, command, port, server_env in servers:
        row = run_load(name.split()[0], command, port, server_env, options, dataset_ids)
        print(
            f"{name:24} {row['rps']:8.1f} {row['p50']:10.0f} {row['p95']:8.0f} "
            f"{row['failures']:9.0f} {row['load']:9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
