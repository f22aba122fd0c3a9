"""`steward plan check` refuses a plan naming a KPI measure no app registered."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from steward.plans.services import BUILTIN_DIR

from .conftest import PLAN


@pytest.mark.parametrize("name", ["mol", "moj", "dgbas", "moea"])
def test_every_builtin_plan_names_only_registered_measures(
    name: str, committee_measures: None
) -> None:
    out = StringIO()
    call_command("plan", "check", str(BUILTIN_DIR / f"{name}.toml"), stdout=out)
    assert out.getvalue().startswith("OK ")


def test_an_unknown_measure_fails_at_the_line_of_its_measure_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = PLAN.replace('measure = "datasets_new"', 'measure = "datasets_grown"', 1)
    bad.write_text(text, encoding="utf-8")
    line = text.splitlines().index('measure = "datasets_grown"') + 1
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("plan", "check", str(bad), stderr=err)
    assert (
        f"bad.toml:{line} [versions[0].kpis[1].measure]: 沒有名為「datasets_grown」的計算項目"
        in (err.getvalue())
    )
