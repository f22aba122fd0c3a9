"""Every setting the code reads is declared in settings.py, from the environment through
`lib/env`, and documented in .env.example: no setting hides behind a `getattr` default."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
STEWARD = ROOT / "steward"
SETTINGS = (STEWARD / "settings.py").read_text(encoding="utf-8")
EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")

#: Settings that are not read from the environment, with the reason.
NOT_FROM_ENVIRONMENT = {
    "STEWARD_QUALITY": "a dict of score tables, set in settings.py",
}


def _code() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in STEWARD.rglob("*.py")
        if "tests" not in path.parts and path.name != "settings.py"
    }


def _names_read() -> dict[str, Path]:
    names: dict[str, Path] = {}
    pattern = re.compile(r"""settings\.(STEWARD_[A-Z0-9_]+)|getattr\(\s*settings,\s*"(\w+)\"""")
    for path, text in _code().items():
        for match in pattern.finditer(text):
            names.setdefault(match.group(1) or match.group(2), path)
    return names


def test_the_scan_finds_the_settings_the_code_reads() -> None:
    names = _names_read()
    assert {"STEWARD_PORTAL_TIMEOUT", "STEWARD_PUBLISH_MAX_ATTEMPTS", "STEWARD_QUALITY"} <= set(
        names
    )


def test_every_setting_the_code_reads_is_declared_in_settings() -> None:
    missing = {
        name: str(path) for name, path in _names_read().items() if not hasattr(settings, name)
    }
    assert not missing, missing


def test_every_setting_is_read_through_lib_env_and_documented() -> None:
    undocumented = []
    for name in sorted(_names_read()):
        if name in NOT_FROM_ENVIRONMENT:
            assert re.search(rf"^{name}\b.*=", SETTINGS, re.M), name
            continue
        if not re.search(rf'env_(str|int|bool|list)\(\s*"{name}"', SETTINGS):
            undocumented.append(f"{name}: not read through lib/env in settings.py")
        if not re.search(rf"^# {name}=", EXAMPLE, re.M):
            undocumented.append(f"{name}: not in .env.example")
    assert not undocumented, undocumented


def test_every_variable_settings_reads_is_in_env_example() -> None:
    read = re.findall(r'env_(?:str|int|bool|list)\(\s*"(\w+)"', SETTINGS)
    assert len(read) > 40
    missing = [name for name in read if not re.search(rf"^# {name}=", EXAMPLE, re.M)]
    assert not missing, missing
