"""`steward plan ...`: exit codes and output."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from steward.plans.services import BUILTIN_DIR

from .test_bad_input import GOOD

MANAGE = Path(__file__).resolve().parents[3] / "manage.py"


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STEWARD_VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args], capture_output=True, text=True, env=env, check=False
    )


def test_check_exits_0_and_says_ok_for_a_builtin_plan(tmp_path: Path) -> None:
    result = run("plan", "check", str(BUILTIN_DIR / "moea.toml"), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK ")
    assert "2 version(s) (pre-2017, 2017-03-16)" in result.stdout


def test_check_exits_1_and_prints_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        GOOD.replace("demo-a = 20 }", "demo-b = 20 }").replace('"9/10"', '"9/31"'),
        encoding="utf-8",
    )
    result = run("plan", "check", str(bad), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "bad.toml:" in result.stderr
    assert "[versions[0].targets[0].values.demo-b]: 沒有「demo-b」這個機關或單位。" in result.stderr
    assert "[versions[0].schedule[1].deadlines[0].date]: 9/31" in result.stderr
    assert "共有 2 個問題" in result.stderr


def test_install_show_and_compare(db: None) -> None:
    out = StringIO()
    call_command("plan", "install", str(BUILTIN_DIR / "moea.toml"), stdout=out)
    assert "plan moea installed (pre-2017, 2017-03-16)" in out.getvalue()
    out = StringIO()
    call_command("plan", "install", str(BUILTIN_DIR / "moea.toml"), stdout=out)
    assert "unchanged" in out.getvalue()
    out = StringIO()
    call_command("plan", "show", "moea", "--version", "pre-2017", stdout=out)
    text = out.getvalue()
    assert "12月底至次年1月底" in text and "3/25" in text and "本部資訊中心" in text
    out = StringIO()
    call_command("plan", "compare", "moea", "pre-2017", "2017-03-16", stdout=out)
    assert "1-6 完成期限由 3/25、6/25、9/25、12/25 改為 4/30、10/31。" in out.getvalue()


def test_show_of_an_unknown_plan_is_a_clear_error(db: None) -> None:
    with pytest.raises(CommandError, match="沒有「nope」這個行動方案"):
        call_command("plan", "show", "nope")
