"""The chart definitions (`reports/charts.py`) write Vega-Lite by hand, as plain dicts: every
spec they can give must be valid Vega-Lite, as the vendored vega-embed and vl-convert read it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from django.utils import translation

from steward.reports import charts
from steward.reports.document import Chart


def _every_chart() -> list[Chart]:
    """Each chart with data, with none, and in its special cases (no target, no data)."""
    targets = [
        charts.TargetRow(f"機關{n}", year, 10 * n, 20 if n % 2 else None)
        for n in range(3)
        for year in ("114 年", "115 年")
    ]
    return [
        charts.datasets_against_target(targets),
        charts.datasets_against_target([charts.TargetRow("甲署", "115 年", 0, None)]),
        charts.datasets_against_target([]),
        charts.kpi_achievement_ranked(
            [charts.AchievementRow("甲署", Decimal("87.5")), charts.AchievementRow("乙署", None)]
        ),
        charts.kpi_achievement_ranked([]),
        charts.star_distribution({0: 5, 1: 4, 3: 100, 4: 20}),
        charts.star_distribution({}),
        charts.quality_marks_over_time(
            [
                charts.MarkRow("115 年第 1 季", "金標章", 10),
                charts.MarkRow("115 年第 2 季", "無標章", 3),
            ]
        ),
        charts.quality_marks_over_time([]),
        charts.reply_time_distribution([1, 2, 3, 8], 6),
        charts.reply_time_distribution([], 7),
        charts.schedule_timeline(
            [
                charts.ScheduleRow("1-1 盤點", datetime.date(2026, 3, 31), None, True),
                charts.ScheduleRow(
                    "1-2 提報", datetime.date(2026, 6, 30), datetime.date(2026, 6, 1), False
                ),
            ]
        ),
        charts.schedule_timeline([]),
    ]


@pytest.fixture(scope="module")
def vega_lite() -> dict[str, Any]:
    """The Vega-Lite JSON schema altair ships (the version `charts.SCHEMA` names)."""
    from altair.vegalite.v6.schema import core

    schema: dict[str, Any] = core.load_schema()
    return schema


def test_every_chart_spec_is_valid_vega_lite(vega_lite: dict[str, Any]) -> None:
    from altair.vegalite.v6.schema import SCHEMA_VERSION

    with translation.override("zh-hant"):
        built = _every_chart()
    assert {chart.key for chart in built} == {
        "datasets_against_target", "kpi_achievement_ranked", "star_distribution",
        "quality_marks_over_time", "reply_time_distribution", "schedule_timeline",
    }  # fmt: skip
    for chart in built:
        jsonschema.validate(chart.spec, vega_lite)  # raises, naming the path, if not
        assert chart.spec["$schema"].endswith(f"/{SCHEMA_VERSION}.json")
        assert chart.spec["config"]["font"] == charts.FONT


def test_a_misspelt_spec_fails_the_check(vega_lite: dict[str, Any]) -> None:
    """The check above can fail: a channel Vega-Lite does not know is refused."""
    spec = charts.star_distribution({3: 1}).spec
    spec["encoding"]["colour"] = spec["encoding"].pop("x")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(spec, vega_lite)


def test_a_chart_spec_is_its_own_copy() -> None:
    """A caller changing one spec (a document sizes it) changes no other chart."""
    first, second = charts.star_distribution({}), charts.star_distribution({})
    first.spec["config"]["axis"]["labelFontSize"] = 30
    assert second.spec["config"]["axis"]["labelFontSize"] == 11


def test_the_ranking_sentence_names_every_tied_agency_and_says_when_all_are_equal() -> None:
    row = charts.AchievementRow
    with translation.override("zh-hant"):
        tied_top = charts.kpi_achievement_ranked(
            [row("甲署", Decimal("55.56")), row("乙署", Decimal("55.56")), row("丙署", Decimal(10))]
        )
        assert tied_top.description == "最高：甲署、乙署（55.56 %）；最低：丙署（10 %）。"
        all_equal = charts.kpi_achievement_ranked(
            [row("甲署", Decimal(0)), row("乙署", Decimal(0)), row("丙署", None)]
        )
        assert all_equal.description == "各機關達成率均為 0 %。"
        assert charts.kpi_achievement_ranked([row("甲署", None)]).description == "本期無資料。"
