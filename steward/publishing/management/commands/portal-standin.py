"""`steward portal-standin --port 8765`: run the stand-in national portal for demos.

Then point the product at it: STEWARD_PORTAL_URL=http://127.0.0.1:8765
STEWARD_PORTAL_API_KEY=<the key printed>. Faults can be injected while it runs:
``curl -X POST localhost:8765/_standin/faults -d '{"kind": "server_error", "times": 2}'``
(kinds: server_error, rate_limited, slow, drop_after_commit); what it holds:
``curl localhost:8765/_standin/datasets``. Data lives in memory only.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import CommandParser

from steward.cli import StewardCommand
from steward.publishing.standin import StandInPortal


class Command(StewardCommand):
    help = "Run a local stand-in for data.gov.tw's dataset API that enforces the schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--port", type=int, default=8765, help="Port to listen on (0: any free port)."
        )
        parser.add_argument("--api-key", default="standin-key", help="Expected Authorization.")

    def handle(self, *args: Any, **options: Any) -> None:
        portal = StandInPortal(
            api_key=options["api_key"], host=options["host"], port=options["port"]
        )
        done = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            done.set()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        portal.start()
        self.stdout.write(
            f"Stand-in portal on {portal.url} (API key {portal.api_key!r}); Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            done.wait()
        finally:
            portal.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stdout.write("stand-in portal stopped")
