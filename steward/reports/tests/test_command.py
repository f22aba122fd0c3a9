"""`steward report`: writes the file the download page would give, lists the kinds, and says
in one line (non-zero exit) what is wrong with a plan, kind, period or organisation."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from steward.conftest import Cast, Tree
from steward.plans.models import Plan

pytestmark = pytest.mark.usefixtures("chinese_environment")


def _odt_text(path: Path) -> str:
    with zipfile.ZipFile(path) as odt:
        return odt.read("content.xml").decode()


def test_the_list_names_every_kind_in_chinese(steward: Any, tree: Tree) -> None:
    code, out, _err = steward("report", "--list")
    assert code == 0
    assert "quarterly_progress\t資料開放季報" in out
    assert "amendment_table\t修正對照表" in out


def test_a_report_is_written_where_asked(
    steward: Any, tree: Tree, plan: Plan, tmp_path: Path
) -> None:
    output = tmp_path / "table.odt"
    code, out, err = steward(
        "report", "amendment_table", "--plan", "t-plan", "--period", "2026",
        "--organisation", "t-ministry", "--format", "odt", "--output", str(output),
        "--from", "v1", "--to", "v2",
    )  # fmt: skip
    assert code == 0, err
    assert str(output) in out
    content = _odt_text(output)
    assert "修正規定" in content and "現行規定" in content and "說明" in content


def test_a_folder_as_output_gets_the_report_s_own_name(
    steward: Any, tree: Tree, plan: Plan, tmp_path: Path
) -> None:
    code, _out, err = steward(
        "report", "quarterly_progress", "--plan", "t-plan", "--period", "115Q1",
        "--organisation", "t-agency-a", "--format", "xlsx", "--output", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    (written,) = tmp_path.iterdir()
    assert written.suffix == ".xlsx"
    assert "甲署" in written.name


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"--plan": "no-plan"}, "no-plan"),
        ({"kind": "weekly"}, "weekly"),
        ({"--period": "2026Q7"}, "2026Q7"),
        ({"--organisation": "nowhere"}, "nowhere"),
        ({"--organisation": "moj"}, "不適用"),  # another ministry's organisation
    ],
)
def test_what_is_wrong_is_one_line_and_a_non_zero_exit(
    steward: Any,
    tree: Tree,
    plan: Plan,
    tmp_path: Path,
    change: dict[str, str],
    says: str,
    ministry_b: Any,
) -> None:
    asked = {"kind": "quarterly_progress", "--plan": "t-plan", "--period": "2026Q1"}
    asked |= {"--organisation": "t-agency-a", "--format": "odt"}
    asked |= change
    argv = ["report", asked.pop("kind")]
    for flag, value in asked.items():
        argv += [flag, value]
    argv += ["--output", str(tmp_path / "x.odt")]
    code, _out, err = steward(*argv)
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("錯誤："), err
    assert says in lines[0]
    assert "Traceback" not in err
    assert not (tmp_path / "x.odt").exists()


def test_as_a_person_the_report_is_scoped(
    steward: Any, tree: Tree, cast: Cast, plan: Plan, tmp_path: Path
) -> None:
    code, _out, err = steward(
        "report", "quarterly_progress", "--plan", "t-plan", "--period", "2026Q1",
        "--organisation", "t-agency-b", "--format", "odt", "--as", "liaison",
        "--output", str(tmp_path / "x.odt"),
    )  # fmt: skip
    assert code == 2, err
    assert "liaison" in err or "聯絡人" in err
    assert not (tmp_path / "x.odt").exists()


def _template(tmp_path: Path, *, misspelt: bool) -> Path:
    """The shipped example template, or a copy whose <title> is misspelt <titel>."""
    example = Path(__file__).resolve().parents[1] / "templates" / "odt" / "example.odt"
    if not misspelt:
        return example
    copy = tmp_path / "mine.odt"
    with zipfile.ZipFile(example) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "content.xml":
                data = data.replace(b"&lt;title&gt;", b"&lt;titel&gt;")
            target.writestr(item, data)
    return copy


def test_a_civil_servant_s_template_is_filled(
    steward: Any, tree: Tree, plan: Plan, tmp_path: Path
) -> None:
    output = tmp_path / "filled.odt"
    code, _out, err = steward(
        "report", "amendment_table", "--plan", "t-plan", "--period", "2026",
        "--organisation", "t-ministry", "--format", "odt", "--output", str(output),
        "--template", str(_template(tmp_path, misspelt=False)),
    )  # fmt: skip
    assert code == 0, err
    assert "測試部資料開放行動方案修正對照表" in _odt_text(output)


def test_a_misspelt_placeholder_is_one_line_naming_it(
    steward: Any, tree: Tree, plan: Plan, tmp_path: Path
) -> None:
    output = tmp_path / "filled.odt"
    code, _out, err = steward(
        "report", "amendment_table", "--plan", "t-plan", "--period", "2026",
        "--organisation", "t-ministry", "--format", "odt", "--output", str(output),
        "--template", str(_template(tmp_path, misspelt=True)),
    )  # fmt: skip
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "titel" in lines[0], err
    assert not output.exists()
