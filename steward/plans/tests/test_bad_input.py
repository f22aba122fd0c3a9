"""Bad plan files: every problem named with file, line and key path, and nothing loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from steward.audit.models import AuditEvent
from steward.organisations.models import Organisation
from steward.plans.models import Plan, PlanVersion, ScheduleItem, Target
from steward.plans.planfile import PlanError, read_plan_text
from steward.plans.services import install_plan_file


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons are matched in English here; by default they are Traditional Chinese
    (see test_reasons_are_traditional_chinese_by_default)."""
    with translation.override("en"):
        yield


GOOD = """\
format_version = 1

[plan]
key = "demo"
name = "示範部資料開放行動方案"
ministry = "demo"

[[organisations]]
key = "demo"
name = "示範部"
kind = "ministry"
agency_code = "D00000000X"

[[organisations]]
key = "demo-a"
name = "示範部甲署"
kind = "agency"
parent = "demo"

[[versions]]
label = "v1"
adopted_on = 2020-01-01

[versions.rules.feedback]
limit_days = 5
day_kind = "working"

[[versions.targets]]
measure = "datasets_total"
year = 2020
values = { demo = 10, demo-a = 20 }

[[versions.schedule]]
code = "1-1"
title = "盤點"
lead = ["*all"]
deadlines = [
  { period = "Q1", date = "2/28" },
  { period = "Q2", date = "6/30" },
]

[[versions.schedule]]
code = "1-2"
title = "初審"
lead = ["demo-a"]
deadlines = [{ period = "Q3", date = "9/10" }]
"""


def write(tmp_path: Path, text: str, name: str = "demo.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(PlanError) as caught:
        read_plan_text(text, "demo.toml")
    return [(p.path, p.line, p.reason) for p in caught.value.problems]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def database_state() -> tuple[int, ...]:
    return (
        Organisation.objects.count(),
        Plan.objects.count(),
        PlanVersion.objects.count(),
        ScheduleItem.objects.count(),
        Target.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_good_file_reads(db: None) -> None:
    plan_file = read_plan_text(GOOD, "demo.toml")
    assert plan_file.key == "demo"
    assert plan_file.versions[0]["schedule"][0]["lead"] == ["*all"]


def test_malformed_toml_names_the_file_and_line(tmp_path: Path, db: None) -> None:
    text = GOOD.replace('title = "初審"', 'title = "初審')
    path = write(tmp_path, text)
    with pytest.raises(PlanError) as caught:
        install_plan_file(path)
    (problem,) = caught.value.problems
    assert problem.file == "demo.toml"
    assert problem.line == line_of(text, 'title = "初審')
    assert "not valid TOML" in problem.reason
    assert str(problem).startswith(f"demo.toml:{problem.line}")
    assert database_state() == (0, 0, 0, 0, 0, 0)


def test_unknown_organisation_in_a_target_names_the_key_path_and_line(db: None) -> None:
    text = GOOD.replace("demo-a = 20 }", "demo-b = 20 }")
    assert problems(text) == [
        (
            "versions[0].targets[0].values.demo-b",
            line_of(text, "demo-b = 20"),
            "unknown organisation 'demo-b'.",
        )
    ]


def test_unknown_organisation_as_lead_is_refused(db: None) -> None:
    text = GOOD.replace('lead = ["demo-a"]', 'lead = ["demo-x"]')
    assert problems(text) == [
        (
            "versions[0].schedule[1].lead[0]",
            line_of(text, "demo-x"),
            "unknown organisation 'demo-x'.",
        )
    ]


def test_a_date_that_does_not_exist_is_refused_with_its_path(db: None) -> None:
    text = GOOD.replace('date = "6/30"', 'date = "2/30"').replace(
        '"Q2", date = "2/30"', '"Q1", date = "2/30"'
    )
    assert problems(text) == [
        (
            "versions[0].schedule[0].deadlines[1].date",
            line_of(text, "2/30"),
            "2/30 is not a date that exists every year.",
        )
    ]


def test_a_deadline_outside_its_quarter_is_refused(db: None) -> None:
    text = GOOD.replace('"Q3", date = "9/10"', '"Q3", date = "12/10"')
    ((path, _, reason),) = problems(text)
    assert path == "versions[0].schedule[1].deadlines[0].date"
    assert reason == "12/10 is not in Q3."


def test_a_duplicate_schedule_code_is_refused(db: None) -> None:
    text = GOOD.replace('code = "1-2"', 'code = "1-1"')
    assert problems(text) == [
        (
            "versions[0].schedule[1].code",
            text.splitlines().index('code = "1-1"', line_of(text, 'title = "盤點"')) + 1,
            "schedule item '1-1' appears twice.",
        )
    ]


def test_versions_out_of_order_are_refused(db: None) -> None:
    text = GOOD + '\n[[versions]]\nlabel = "v0"\nadopted_on = 2019-01-01\ninherit = true\n'
    ((path, line, reason),) = problems(text)
    assert path == "versions[1].adopted_on"
    assert line == line_of(text, "2019-01-01")
    assert "not after 2020-01-01" in reason


def test_schema_errors_name_unknown_keys_and_bad_values(db: None) -> None:
    text = GOOD.replace('day_kind = "working"', 'day_kind = "weekdays"\nlimit_dayz = 3')
    found = problems(text)
    # The unknown key is pointed at on its own line, not at its table's header.
    assert ("versions[0].rules.feedback.limit_dayz", line_of(text, "limit_dayz = 3")) in [
        (p, n) for p, n, _ in found
    ]
    assert line_of(text, "limit_dayz = 3") != line_of(text, "[versions.rules.feedback]")
    assert any("limit_dayz" in reason for _, _, reason in found)
    assert any(
        path == "versions[0].rules.feedback.day_kind" and "'weekdays' is not one of" in reason
        for path, _, reason in found
    )


def test_every_problem_is_reported_not_only_the_first(db: None) -> None:
    text = GOOD.replace("demo-a = 20 }", "demo-b = 20 }").replace('"9/10"', '"9/31"')
    assert len(problems(text)) == 2


def test_an_agency_code_held_by_another_organisation_changes_nothing(
    tmp_path: Path, db: None
) -> None:
    Organisation.objects.create(key="other", name="他部", kind="ministry", agency_code="D00000000X")
    before = database_state()
    with pytest.raises(PlanError) as caught:
        install_plan_file(write(tmp_path, GOOD))
    (problem,) = caught.value.problems
    assert problem.path == "organisations[0].agency_code"
    assert problem.line == line_of(GOOD, "D00000000X")
    assert "'other'" in problem.reason
    assert database_state() == before


def test_reinstalling_an_unchanged_file_changes_nothing(tmp_path: Path, db: None) -> None:
    path = write(tmp_path, GOOD)
    first = install_plan_file(path)
    before = database_state()
    again = install_plan_file(path)
    assert [v.pk for v in again] == [v.pk for v in first]
    assert database_state() == before


def test_a_changed_file_updates_the_version_in_place_and_says_what_changed(
    tmp_path: Path, db: None
) -> None:
    from steward.plans.services import install_plan_text

    (version,) = install_plan_file(write(tmp_path, GOOD))
    item_pk = version.schedule_items.get(code="1-2").pk
    report = install_plan_text(GOOD.replace('"9/10"', '"9/15"'), name="demo.toml")
    assert [v.pk for v in report.versions] == [version.pk]
    assert "  1-2 完成期限由 9/10 改為 9/15。" in report.changes
    item = ScheduleItem.objects.get(pk=item_pk)  # same row, updated
    assert [(d.month, d.day) for d in item.deadlines.all()] == [(9, 15)]
    added = install_plan_text(
        GOOD.replace('"9/10"', '"9/15"')
        + '\n[[versions]]\nlabel = "v2"\nadopted_on = 2021-01-01\ninherit = true\n',
        name="demo.toml",
    )
    assert [v.label for v in added.versions] == ["v1", "v2"]
    assert added.changes == ["new version v2"]
    assert added.versions[1].schedule_items.count() == 2  # inherited


def test_reasons_are_traditional_chinese_by_default() -> None:
    text = GOOD.replace("demo-a = 20 }", "demo-b = 20 }").replace('"9/10"', '"9/31"')
    with translation.override("zh-hant"), pytest.raises(PlanError) as caught:
        read_plan_text(text, "demo.toml")
    reasons = {problem.reason for problem in caught.value.problems}
    assert reasons == {"沒有「demo-b」這個機關或單位。", "9/31 不是每年都有的日期。"}
