"""The `steward` command line: errors are one clear line and a non-zero exit, never a traceback.

Each command is run as the command line runs it (`steward.cli.main`, in this process), with an
unauthorised `--as`, an unknown `--as` user, a missing file, a folder given as a file and a file
it may not read. Every option has help text; messages are in Traditional Chinese unless the
environment asks for English.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import get_commands, load_command_class

from steward.audit.models import AuditEvent
from steward.calendars.services import builtin_calendar_files
from steward.conftest import Cast, CliResult, Tree
from steward.inventory.models import InventoryItem
from steward.inventory.tests.files import csv_bytes
from steward.plans.models import Plan
from steward.plans.services import BUILTIN_DIR
from steward.plans.tests.test_bad_input import GOOD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese_environment")]

FILE = "{file}"


@pytest.fixture
def unreadable(tmp_path: Path) -> Iterator[Path]:
    """A file this process may not read. Tests run as root here, and chmod 000 does not stop
    root; a write-only kernel setting does (reading it is refused even to root)."""
    if os.geteuid() == 0:
        path = Path("/proc/sys/vm/drop_caches")  # only ever read here, never written
        if not path.exists():
            pytest.skip("no file that root may not read: /proc/sys/vm/drop_caches is missing")
        yield path
        return
    path = tmp_path / "secret.csv"
    path.write_text("x", encoding="utf-8")
    path.chmod(0)
    yield path
    path.chmod(0o600)


def _one_clear_line(result: CliResult, code: int, *expected: str) -> str:
    assert result.code == code, result
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert len(result.lines) == 1, result.lines
    line = result.lines[0]
    assert line.startswith("錯誤："), line
    for text in expected:
        assert text in line, line
    return line


# Commands that read a file: the file goes where FILE is.
READERS: dict[str, list[str]] = {
    "inventory check": ["inventory", "check", FILE, "--as", "liaison", "--to", "t-unit-a1"],
    "inventory import": ["inventory", "import", FILE, "--as", "liaison", "--to", "t-unit-a1"],
    "plan check": ["plan", "check", FILE],
    "plan install": ["plan", "install", FILE],
    "calendar import": ["calendar", "import", FILE],
    "catalogue import": ["catalogue", "import", FILE, "--ministry", "t-ministry"],
    "quality check --catalogue": ["quality", "check", "--catalogue", FILE],
}

# Commands that write a file: FILE is the output.
WRITERS: dict[str, list[str]] = {
    "inventory export": ["inventory", "export", "--format", "csv", "-o", FILE],
    "catalogue export": ["catalogue", "export", "--ministry", "t-ministry", "--output", FILE],
    "schedule": ["schedule", "2026", "--plan", "demo", "--format", "csv", "--output", FILE],
}


def _argv(template: list[str], path: Path | str) -> list[str]:
    return [str(path) if part == FILE else part for part in template]


@pytest.fixture
def demo_plan(tree: Tree) -> None:
    """A plan for `steward schedule` (ministry `demo`, created by the plan)."""
    from steward.plans.planfile import read_plan_text
    from steward.plans.services import install_plan

    install_plan(read_plan_text(GOOD, "demo.toml"))


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_missing_file_is_one_line_naming_it(
    steward: Any, tree: Tree, cast: Cast, tmp_path: Path, command: str
) -> None:
    events = AuditEvent.objects.count()
    missing = tmp_path / "沒有這個.csv"
    result = steward(*_argv(READERS[command], missing))
    _one_clear_line(result, 1, str(missing), "沒有這個檔案或資料夾")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_folder_given_as_the_file_is_one_line_naming_it(
    steward: Any, tree: Tree, cast: Cast, tmp_path: Path, command: str
) -> None:
    events = AuditEvent.objects.count()
    result = steward(*_argv(READERS[command], tmp_path))
    _one_clear_line(result, 1, str(tmp_path), "這是資料夾，請指定檔案")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_file_it_may_not_read_is_one_line_naming_it(
    steward: Any, tree: Tree, cast: Cast, unreadable: Path, command: str
) -> None:
    events = AuditEvent.objects.count()
    result = steward(*_argv(READERS[command], unreadable))
    _one_clear_line(result, 1, str(unreadable), "沒有權限")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_folder_given_as_the_output_file_is_one_line(
    steward: Any, tree: Tree, cast: Cast, demo_plan: None, tmp_path: Path, command: str
) -> None:
    result = steward(*_argv(WRITERS[command], tmp_path))
    _one_clear_line(result, 1, str(tmp_path), "這是資料夾，請指定檔案")


# Commands that act as a person: (argv, who may not, the file they need).
def _inventory_file(tmp_path: Path) -> Path:
    path = tmp_path / "盤點.csv"
    path.write_bytes(csv_bytes([["資料名稱", "開放類別", "開放期程"], ["案件統計", "開放", "115/1"]],
                               "utf-8"))  # fmt: skip
    return path


def _catalogue_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.csv"
    path.write_text("資料集識別碼,資料集名稱\n1,x\n", encoding="utf-8")
    return path


AS_COMMANDS: dict[str, tuple[list[str], str, str]] = {
    # The case: the information centre may compile the inventory, not edit it.
    "inventory import": (
        ["inventory", "import", FILE, "--to", "t-ministry"],
        "centre",
        "inventory",
    ),
    "inventory check": (["inventory", "check", FILE, "--to", "t-ministry"], "centre", "inventory"),
    "plan install": (["plan", "install", FILE], "liaison", "plan"),
    "calendar import": (["calendar", "import", FILE], "liaison", "calendar"),
    "catalogue import": (
        ["catalogue", "import", FILE, "--ministry", "t-ministry"],
        "liaison",
        "catalogue",
    ),
    "quality check --catalogue": (
        ["quality", "check", "--catalogue", FILE],
        "liaison",
        "catalogue",
    ),
}


def _file_for(kind: str, tmp_path: Path) -> Path:
    if kind == "inventory":
        return _inventory_file(tmp_path)
    if kind == "plan":
        return BUILTIN_DIR / "moea.toml"
    if kind == "calendar":
        return builtin_calendar_files()[-1]
    return _catalogue_file(tmp_path)


@pytest.mark.parametrize("command", sorted(AS_COMMANDS))
def test_an_unauthorised_person_is_refused_in_one_line_and_nothing_changes(
    steward: Any, tree: Tree, cast: Cast, tmp_path: Path, command: str
) -> None:
    template, who, kind = AS_COMMANDS[command]
    events = AuditEvent.objects.count()
    result = steward(*_argv(template, _file_for(kind, tmp_path)), "--as", who)
    if command == "inventory check":
        # the organisation given for new rows is checked first: a refusal, before any row
        assert result.code == 2 and "Traceback" not in result.err
        assert result.err == "錯誤：centre 沒有權限為「測試部」執行「編修盤點表」。\n"
    else:
        line = _one_clear_line(result, 2)
        assert "沒有權限" in line or "只有" in line or "只能" in line, line
    assert AuditEvent.objects.count() == events
    assert not InventoryItem.objects.exists() and not Plan.objects.exists()


@pytest.mark.parametrize("command", sorted([*AS_COMMANDS, "catalogue export", "harvest"]))
def test_an_unknown_person_is_one_line_naming_the_option(
    steward: Any, tree: Tree, cast: Cast, tmp_path: Path, command: str
) -> None:
    if command == "catalogue export":
        argv = ["catalogue", "export", "--ministry", "t-ministry", "--output", "-"]
    elif command == "harvest":  # refused before any request (port 9: nothing listens)
        argv = ["harvest", "ckan", "http://127.0.0.1:9/", "--to", "t-agency-a"]
    else:
        template, _who, kind = AS_COMMANDS[command]
        argv = _argv(template, _file_for(kind, tmp_path))
    events = AuditEvent.objects.count()
    result = steward(*argv, "--as", "nobody")
    _one_clear_line(result, 2, "--as", "「nobody」")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "argv",
    [
        ["worker", "--once"],
        ["publish", "--drain"],
        ["portal-standin"],
        ["demo"],
        ["schedule", "2026", "--plan", "demo"],
        ["plan", "show", "demo"],
        ["calendar", "show", "2026"],
        ["inventory", "targets", "--year", "2026"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_commands_that_act_as_the_operator_refuse_as_with_a_usage_error(
    steward: Any, tree: Tree, argv: list[str], settings: Any
) -> None:
    """These run as the server's operator; they take no --as, and say so without a trace."""
    settings.SECRET_KEY = "not-the-development-key-" + "x" * 40  # (worker refuses that key)
    result = steward(*argv, "--as", "liaison")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.lines[-1] == "錯誤：不認得的參數：--as liaison"


def test_usage_errors_are_one_line_in_the_environments_language(
    steward: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = steward("inventory", "import")
    assert result.code == 2 and "Traceback" not in result.err
    assert result.lines[-1] == "錯誤：缺少必要的參數：file, --as"
    assert steward("schedule", "abc", "--plan", "x").lines[-1] == (
        "錯誤：參數 year：'abc' 不是有效的 int 值"
    )
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert steward("inventory", "import").lines[-1] == (
        "Error: the following arguments are required: file, --as"
    )


def test_an_unknown_organisation_or_plan_is_one_line(steward: Any, tree: Tree, cast: Cast) -> None:
    _one_clear_line(
        steward("inventory", "export", "--agency", "nope", "-o", "-"), 2, "--agency", "「nope」"
    )
    _one_clear_line(steward("plan", "show", "nope"), 1, "沒有「nope」這個行動方案")
    _one_clear_line(steward("publish"), 1, "--drain")


def test_english_when_the_environment_asks_for_it(
    steward: Any, tree: Tree, cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inventory_file(tmp_path)
    argv = ["inventory", "import", str(path), "--to", "t-ministry", "--as", "centre"]
    chinese = steward(*argv)
    assert chinese.code == 2
    assert chinese.lines[0].startswith("錯誤：")
    assert "沒有權限為「測試部」執行「編修盤點表」" in chinese.lines[0]
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    english = steward(*argv)
    assert english.code == 2
    assert english.lines[0].startswith("Error: ")
    assert "may not edit the inventory for 測試部" in english.lines[0]
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    assert steward(*argv).lines[0].startswith("Error: ")


def test_steward_language_overrides_the_locale(
    steward: Any, tree: Tree, cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:  # fmt: skip
    missing = str(tmp_path / "missing.toml")
    settings.STEWARD_LANGUAGE = "en"
    assert steward("plan", "check", missing).lines == [f"Error: {missing}: no such file or folder."]
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    settings.STEWARD_LANGUAGE = "zh-hant"
    assert steward("plan", "check", missing).lines == [f"錯誤：{missing}：沒有這個檔案或資料夾。"]


def test_plan_check_points_at_the_line_of_the_bad_key(steward: Any, tmp_path: Path) -> None:
    text = GOOD.replace("limit_days = 5\n", "limit_days = 5\nlimit_dayz = 6\n")
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    line = 1 + text.splitlines().index("limit_dayz = 6")
    header = 1 + text.splitlines().index("[versions.rules.feedback]")
    assert line != header
    result = steward("plan", "check", str(path))
    assert result.code == 1
    assert result.lines[0].startswith(
        f"demo.toml:{line} [versions[0].rules.feedback.limit_dayz]: 不認得的鍵「limit_dayz」"
    )
    assert result.lines[-1] == f"錯誤：{path} 共有 1 個問題。"


# ---------------------------------------------------------------- help


def _our_commands() -> list[tuple[str, str]]:
    return sorted((name, app) for name, app in get_commands().items() if app.startswith("steward"))


def _actions(parser: argparse.ArgumentParser, prefix: str) -> Iterator[tuple[str, Any]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", argparse.Namespace(help=helps.get(name), dest=name)
                yield from _actions(sub, f"{prefix} {name}")
        else:
            yield prefix, action


def test_our_commands_are_all_found() -> None:
    names = {name for name, _app in _our_commands()}
    assert {"inventory", "plan", "schedule", "calendar", "catalogue", "quality", "worker",
            "publish", "portal-standin", "demo"} <= names  # fmt: skip


@pytest.mark.parametrize("name, app", _our_commands())
def test_every_option_of_every_command_has_help(name: str, app: str) -> None:
    command = load_command_class(app, name)
    parser = command.create_parser("steward", name)
    missing = [
        f"{where} {action.dest}"
        for where, action in _actions(parser, name)
        if not action.help or (action.help == argparse.SUPPRESS and action.dest != "help")
    ]
    assert not missing, missing
