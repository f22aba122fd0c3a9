"""Settings from the environment: typed, from a *_FILE for secrets, and loud when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from steward.lib.env import env_bool, env_int, env_list, env_str

NAME = "STEWARD_TEST_SETTING"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


def test_an_unset_variable_gives_the_default() -> None:
    assert env_str(NAME, "預設") == "預設"
    assert env_bool(NAME, True) is True
    assert env_int(NAME, 7) == 7
    assert env_list(NAME, ["a"]) == ["a"]


def test_a_set_variable_wins_even_when_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "")
    assert env_str(NAME, "預設") == ""
    assert env_bool(NAME, True) is False
    assert env_list(NAME, ["a"]) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("off", False)],
)
def test_booleans_read_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, text: str, value: bool
) -> None:
    monkeypatch.setenv(NAME, text)
    assert env_bool(NAME, not value) is value


def test_a_bad_boolean_names_the_variable_and_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "maybe")
    with pytest.raises(ImproperlyConfigured, match=rf"{NAME} must be true or false, not 'maybe'"):
        env_bool(NAME, False)


def test_integers_are_whole_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "-42")
    assert env_int(NAME, 0) == -42
    monkeypatch.setenv(NAME, "1.5")
    with pytest.raises(ImproperlyConfigured, match=rf"{NAME} must be a whole number, not '1.5'"):
        env_int(NAME, 0)


def test_lists_are_comma_separated_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " 127.0.0.1, localhost ,,10.0.0.0/8 ")
    assert env_list(NAME, []) == ["127.0.0.1", "localhost", "10.0.0.0/8"]


def test_a_secret_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-值\n", encoding="utf-8")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))
    assert env_str(NAME, "") == "s3cret-值"  # trailing newline of the file dropped
    monkeypatch.setenv(NAME, "direct")
    assert env_str(NAME, "") == "direct"  # the variable itself wins over its file


def test_an_unreadable_secret_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=rf"{NAME}_FILE: cannot read .*missing"):
        env_str(NAME, "")
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path))  # a directory given as a file
    with pytest.raises(ImproperlyConfigured, match=rf"{NAME}_FILE: cannot read"):
        env_str(NAME, "")
