"""`steward serve` refuses a busy or malformed address at once, before anything slow.

Starting and stopping the real server (gunicorn and the worker, on PostgreSQL, signed in
through the login form) is done by CI: .ci/run with scripts/smoke.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from steward.jobs.management.commands.serve import address_to_open, parse_bind

ROOT = Path(__file__).resolve().parents[3]


def test_a_busy_address_is_refused_at_once_naming_it_and_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            **os.environ,
            "STEWARD_SECRET_KEY": "a-real-key-for-this-test-" + "x" * 40,
            "STEWARD_VAR_DIR": str(tmp_path),
        }
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "steward.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "--bind" in result.stderr
    assert not (tmp_path / "static" / "staticfiles.json").exists()  # nothing slow was done
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("bind", ["8000", "localhost", "127.0.0.1:", "127.0.0.1:99999", ":80"])
def test_a_malformed_address_gets_a_clear_error(bind: str) -> None:
    with pytest.raises(CommandError, match="HOST:PORT"):
        parse_bind(bind)


def test_the_printed_address_is_one_a_person_can_open() -> None:
    assert parse_bind("[::1]:8001") == ("::1", 8001)
    assert address_to_open("127.0.0.1", 8001) == "http://127.0.0.1:8001/"
    assert address_to_open("::1", 8001) == "http://[::1]:8001/"
    assert socket.gethostname() in address_to_open("0.0.0.0", 8001)
