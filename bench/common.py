"""What the benchmarks at national size share: a database and Django set up, a ministry of
agencies with a ministry-wide information-centre officer, and p50/p95 timing.

Import it after `sys.path.insert(0, <the repository>)`, and call `start_django()` before any
import of `steward` models.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def start_django(*, use_database_url: bool) -> None:
    """Set Django up on the database DATABASE_URL names (`use_database_url`, e.g. an empty
    PostgreSQL database made for the purpose) or a throw-away SQLite file, and migrate it."""
    if not use_database_url:
        folder = tempfile.mkdtemp(prefix="steward-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)


def ministry_with_agencies(count: int) -> tuple[Any, list[Any], Any]:
    """The ministry `bench` (測試部), `count` agencies with agency codes, and a ministry-wide
    information-centre officer (username bench-centre): (ministry, agencies, officer)."""
    from steward.organisations.models import (
        Organisation,
        OrganisationKind,
        Person,
        Role,
        RoleAssignment,
    )

    ministry = Organisation.objects.create(
        key="bench", name="測試部", kind=OrganisationKind.MINISTRY, agency_code="A17000000J"
    )
    agencies = [
        Organisation.objects.create(
            key=f"bench-{n}",
            name=f"測試機關{n}",
            kind=OrganisationKind.AGENCY,
            parent=ministry,
            agency_code=f"A17{n + 1:03d}000J",
        )
        for n in range(count)
    ]
    officer = Person.objects.create(username="bench-centre")
    RoleAssignment.objects.create(
        person=officer, organisation=ministry, role=Role.INFORMATION_CENTRE
    )
    return ministry, agencies, officer


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(call: Callable[[], object], times: int) -> tuple[float, float, object]:
    """Median and p95 milliseconds of `times` calls after one warm-up, and the last answer."""
    call()  # warm
    samples = []
    answer: object = None
    for _ in range(times):
        start = time.perf_counter()
        answer = call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), p95(samples), answer


@contextlib.contextmanager
def serving(command: list[str], *, env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """The server `command` runs, from its first answer on 127.0.0.1:`port` (gunicorn forks
    its workers after it listens: two more seconds) until the block ends (SIGTERM, then kill
    after 40 s). Its output goes to `log`."""
    with open(log, "ab") as output:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                sys.exit(f"the server stopped ({server.returncode}) before answering: see {log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"the server is not answering after 300 s: see {log}")
                time.sleep(0.3)
        time.sleep(2)
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
