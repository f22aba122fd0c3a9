"""`steward serve`: the production server (gunicorn, static files by WhiteNoise) and, beside it,
the background worker, stopped together on SIGTERM or Ctrl-C. See docs/deploy.md.

Before anything slow it checks that the address is free; then it collects the static files
(hashed names, compressed), starts gunicorn on `steward.wsgi` and `steward worker`, prints the
address it really serves, and waits. When either child stops, the other is stopped too and the
command exits with the child's status, so a supervisor (systemd) restarts both.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.lib.security import refuse_development_key

# How long the children get to finish their requests and current job after SIGTERM.
GRACE_SECONDS = 30


def parse_bind(bind: str) -> tuple[str, int]:
    """'127.0.0.1:8000' → ('127.0.0.1', 8000); a clear error for anything else."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--bind must be HOST:PORT, e.g. 127.0.0.1:8000, not {bind!r}")
    return host.strip("[]"), int(port)


def address_to_open(host: str, port: int) -> str:
    """The address a person opens: on every interface, this machine's name."""
    if host in {"0.0.0.0", "::"}:
        return f"http://{socket.gethostname()}:{port}/ (every address of this machine)"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def ensure_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot serve on {host}:{port}: {exc.strerror}. "
                "Stop what uses it, or choose another address with --bind (or STEWARD_BIND)."
            ) from None


def static_sources_fingerprint() -> str:
    """A digest of every static file the finders see (path, size, modification time)."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list(ignore_patterns=["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static_files(steward: list[str], env: dict[str, str]) -> None:
    """Collect, hash and compress the static files, unless they are as last collected:
    compressing megabytes of JavaScript takes a while, and a restart should not wait for it."""
    stamp = Path(settings.STATIC_ROOT) / ".steward-collected"
    fingerprint = static_sources_fingerprint()
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    subprocess.run([*steward, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    stamp.write_text(fingerprint)


class Command(BaseCommand):
    help = "Serve the product with gunicorn and run the background worker beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=settings.STEWARD_BIND,
            help="HOST:PORT to serve on (default: STEWARD_BIND or 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.STEWARD_WEB_WORKERS,
            help="gunicorn worker processes (default: STEWARD_WEB_WORKERS or one per core).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.STEWARD_WEB_THREADS,
            help="threads per gunicorn worker, gthread above 1 (default: STEWARD_WEB_THREADS or 8).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Serve only; run `steward worker` elsewhere (e.g. its own systemd unit).",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Do not collect the static files first (they were collected at install).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_development_key()
        host, port = parse_bind(options["bind"])
        ensure_free(host, port)  # before the slow steps, so a busy port fails at once
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1")

        env = {**os.environ, "STEWARD_STATIC_MANIFEST": "true"}
        steward = [sys.executable, "-m", "steward.cli"]
        if not options["no_collectstatic"]:
            collect_static_files(steward, env)

        children: dict[str, subprocess.Popen[bytes]] = {}
        children["web"] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "steward.wsgi:application",
                f"--bind={options['bind']}",
                f"--workers={options['workers']}",
                f"--threads={options['threads']}",
                f"--graceful-timeout={GRACE_SECONDS}",
                # Load Django once in the master: workers fork ready (and share its memory),
                # and a configuration error stops the server at once with one message.
                "--preload",
                "--access-logfile=-",
                # gunicorn's control socket defaults to one path per user: two servers clash.
                "--no-control-socket",
            ],
            env=env,
        )
        if not options["no_worker"]:
            children["worker"] = subprocess.Popen([*steward, "worker"], env=env)

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._wait_until_listening(host, port, children["web"])
            worker = "" if options["no_worker"] else " and the background worker"
            self.stdout.write(
                f"serving {address_to_open(host, port)} (gunicorn, {options['workers']} "
                f"worker(s)){worker}; Ctrl-C or SIGTERM stops it",
            )
            self.stdout.flush()
            status = 0
            while not stopping:
                ended = [name for name, child in children.items() if child.poll() is not None]
                if ended:
                    status = children[ended[0]].returncode or 1
                    self.stderr.write(f"{ended[0]} stopped ({status}): stopping the rest")
                    break
                time.sleep(0.2)
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if status:
            raise SystemExit(status)

    def _wait_until_listening(self, host: str, port: int, web: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if web.poll() is not None:
                raise CommandError(f"gunicorn did not start (exit status {web.returncode})")
            try:
                with socket.create_connection((host, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"gunicorn is not answering on {host}:{port} after 120 s")

    @staticmethod
    def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS + 5
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
