"""HTTPS, headers and the secret key: what production relies on (issue 10, part 5).

Settings are read once per process, so what depends on the environment runs `steward` in a
child process with that environment, as an operator would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = ROOT / "docs" / "production.env"
STRONG_KEY = "k3y-" + "x7Qp9Lm2Zr5Tn8Vb4Wc6Yd1Hf3Jg0Ks" * 2


def production_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The documented production environment (docs/production.env), with a real key file and
    a writable var folder, and without the variables of the process running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DATABASE_URL"))}
    for line in PRODUCTION_ENV.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    key_file = tmp_path / "secret_key"
    key_file.write_text(STRONG_KEY, encoding="utf-8")
    env.update(
        STEWARD_SECRET_KEY_FILE=str(key_file),
        STEWARD_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    env.update(overrides)
    return env


def steward(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steward.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE,"
    "'redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS,"
    "'proxy': s.SECURE_PROXY_SSL_HEADER}))"
)


def test_https_turns_on_secure_cookies_hsts_redirect_and_the_proxy_header(
    tmp_path: Path,
) -> None:
    on = steward("shell", "-c", SHOW_SETTINGS, env=production_environment(tmp_path))
    assert on.returncode == 0, on.stderr
    assert json.loads(on.stdout.splitlines()[-1]) == {
        "session": True,
        "csrf": True,
        "redirect": True,
        "hsts": 365 * 24 * 3600,
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    off = steward(
        "shell", "-c", SHOW_SETTINGS, env=production_environment(tmp_path, STEWARD_HTTPS="false")
    )
    assert json.loads(off.stdout.splitlines()[-1]) == {
        "session": False,
        "csrf": False,
        "redirect": False,
        "hsts": 0,
        "proxy": None,
    }


def test_the_documented_production_environment_passes_the_deployment_checks(
    tmp_path: Path,
) -> None:
    result = steward(
        "check", "--deploy", "--fail-level", "WARNING", env=production_environment(tmp_path)
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_without_https_the_deployment_checks_fail_naming_what_is_missing(tmp_path: Path) -> None:
    env = production_environment(tmp_path, STEWARD_HTTPS="false")
    result = steward("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_serving_with_the_development_key_is_refused_naming_the_variable(
    tmp_path: Path, command: str
) -> None:
    env = production_environment(tmp_path)
    del env["STEWARD_SECRET_KEY_FILE"]
    result = steward(command, env=env)
    assert result.returncode == 2
    assert "STEWARD_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_wsgi_application_refuses_the_development_key_and_starts_with_a_real_one(
    tmp_path: Path,
) -> None:
    env = production_environment(tmp_path)
    load = [sys.executable, "-c", "import steward.wsgi"]
    with_real_key = subprocess.run(load, env=env, cwd=ROOT, capture_output=True, text=True)
    assert with_real_key.returncode == 0, with_real_key.stderr
    del env["STEWARD_SECRET_KEY_FILE"]
    refused = subprocess.run(load, env=env, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "STEWARD_SECRET_KEY is not set" in refused.stderr
    # Development keeps the built-in key.
    env["STEWARD_DEBUG"] = "true"
    debug = subprocess.run(load, env=env, cwd=ROOT, capture_output=True, text=True)
    assert debug.returncode == 0, debug.stderr


def test_pages_are_sent_with_a_policy_that_allows_no_inline_script_or_style(
    client: Client, db: None
) -> None:
    response = client.get("/accounts/login/")
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


INLINE = [
    # (a data block, type="application/json" or "application/ld+json", is not run: allowed)
    (
        re.compile(
            r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
        ),
        "inline <script>",
    ),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "inline event handler (on…=)"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (evaluated script)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_carries_inline_script_or_style() -> None:
    """The policy would block them: behaviour goes in steward/static/steward/*.js, looks in
    steward.css."""
    found = []
    for template in sorted((ROOT / "steward").rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert found == []


def test_the_wsgi_application_freezes_its_start_up_and_its_first_requests_load(
    tmp_path: Path,
) -> None:
    """gunicorn forks its workers from `steward.wsgi` (--preload): start-up is frozen out of
    the cyclic collector before, and what the first request loads (the URL patterns and every
    view behind them) once after it."""
    env = production_environment(tmp_path, STEWARD_ALLOWED_HOSTS="127.0.0.1")
    code = """
import gc, io, sys
import steward.wsgi as served
at_start = gc.get_freeze_count()
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/favicon.ico", "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "443", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "https",
}
statuses = []
body = served.application(environ, lambda status, headers: statuses.append(status))
b"".join(body)
body.close()
print("frozen", statuses[0].split()[0], at_start, gc.get_freeze_count())
"""
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("frozen ")]
    status, at_start, after_first = line.split()[1:]
    assert status == "200"
    assert 0 < int(at_start) < int(after_first)
