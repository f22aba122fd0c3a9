"""`steward worker`: claim and run background jobs until stopped (SIGTERM/SIGINT stop it cleanly)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import CommandParser
from django.db import close_old_connections, connection

from steward.cli import StewardCommand
from steward.jobs import scheduler
from steward.jobs.services import run_next, worker_name


class Command(StewardCommand):
    help = "Run background jobs (and the periodic scheduler) until SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run due jobs, then exit.")
        parser.add_argument("--sleep", type=float, default=2.0, help="Seconds between polls.")
        parser.add_argument(
            "--tick", type=float, default=60.0, help="Seconds between scheduler ticks."
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Run jobs only; queue no periodic work."
        )
        parser.add_argument("--name", default="", help="Worker name (default host:pid).")
        parser.add_argument("--kind", action="append", dest="kinds", help="Only these kinds.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] or worker_name()
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True  # finish the current job, then leave

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        last_tick = 0.0
        ran = 0
        try:
            while not stopping:
                if not connection.in_atomic_block:  # (inside a test's transaction)
                    # A long-lived worker must not keep a connection the server dropped.
                    close_old_connections()
                if not options["no_scheduler"] and time.monotonic() - last_tick >= options["tick"]:
                    scheduler.tick()
                    last_tick = time.monotonic()
                job = run_next(worker=name, kinds=options["kinds"])
                if job is not None:
                    ran += 1
                    self.stdout.write(f"{job.kind} #{job.pk}: {job.status}")
                    continue
                if options["once"]:
                    break
                # Sleep in small steps so SIGTERM is answered quickly.
                deadline = time.monotonic() + options["sleep"]
                while not stopping and time.monotonic() < deadline:
                    time.sleep(0.1)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"worker {name} stopped after {ran} job(s)")
