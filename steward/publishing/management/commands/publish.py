"""`steward publish --drain [--loop]`: send due outbox rows to the national portal.

`--drain` sends what is due once and exits; with `--loop` it keeps going until SIGTERM or
SIGINT (it finishes the row in hand first). `--status` prints the outbox counts and every
refused or abandoned row with its last error. The jobs worker runs the same drain as the
periodic job "publishing.deliver", so this command is for operators and demos.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections
from django.db.models import Count
from django.utils.translation import gettext as _

from steward.cli import StewardCommand
from steward.publishing.models import PROBLEM_STATUSES, OutboxStatus, PublishingOutboxEntry
from steward.publishing.services import deliver_due


class Command(StewardCommand):
    help = "Send due metadata to the national portal (the publishing outbox)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drain", action="store_true", help="Send every due row.")
        parser.add_argument("--loop", action="store_true", help="Keep draining until SIGTERM.")
        parser.add_argument("--limit", type=int, default=50, help="Rows per round (default 50).")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between rounds with --loop."
        )
        parser.add_argument(
            "--no-sweep",
            action="store_true",
            help="Do not queue scheduled datasets whose day has come; only send queued rows.",
        )
        parser.add_argument("--status", action="store_true", help="Print the outbox state.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["status"]:
            self._status()
            return
        if not options["drain"]:
            raise CommandError(_("Say --drain (optionally with --loop), or --status."))
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not stopping:
                report = deliver_due(
                    limit=options["limit"], sweep_scheduled=not options["no_sweep"]
                )
                self.stdout.write(str(report))
                if not options["loop"]:
                    break
                if report.attempted >= options["limit"]:
                    continue  # more may be due right now
                deadline = time.monotonic() + options["interval"]
                while not stopping and time.monotonic() < deadline:
                    time.sleep(0.1)
                close_old_connections()  # a long-running loop must not keep a dead connection
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _status(self) -> None:
        counts = dict(
            PublishingOutboxEntry.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        for status in OutboxStatus:
            self.stdout.write(f"{status.value:10} {counts.get(status.value, 0)}")
        for entry in PublishingOutboxEntry.objects.filter(status__in=PROBLEM_STATUSES).order_by(
            "-updated_at"
        ):
            self.stdout.write(f"\n#{entry.pk} {entry.identifier} {entry.operation} {entry.status}")
            self.stdout.write(entry.last_error)
