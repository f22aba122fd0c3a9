"""The annotated example in docs/plans.md is a valid plan file."""

from __future__ import annotations

import re
from pathlib import Path

from steward.plans.planfile import read_plan_text

DOCS = Path(__file__).resolve().parents[3] / "docs" / "plans.md"


def test_the_annotated_example_in_the_docs_reads_without_problems() -> None:
    match = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert match is not None
    plan_file = read_plan_text(match.group(1), "example.toml")
    assert plan_file.key == "demo"
    assert plan_file.versions[0]["schedule"][0]["deadlines"][1]["next_year"] is True
