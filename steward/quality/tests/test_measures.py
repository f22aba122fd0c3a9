"""KPI measures from quality results: MOL's accuracy rate (正確率) and three-star ratio.

The results are made by the real thing: datasets in the database, `check_resources` crawling
the hostile local server (which records runs and results through `record_results`), at a
frozen day of 2026Q1, and the KPI rows of a plan installed through the plans services.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from steward.conftest import TEST_PLAN_AGENCIES, TEST_PLAN_HEAD
from steward.datasets.models import Dataset, Resource
from steward.datasets.workflow import Status
from steward.lib.http import AddressPolicy, Timeouts
from steward.plans.services import install_plan_text
from steward.quality.crawl.crawler import CrawlConfig
from steward.quality.measures import (
    MeasureError,
    Period,
    QualityMeasures,
    measures_for,
    parse_formula,
)
from steward.quality.models import CheckKind
from steward.quality.services import check_resources, refs_from_database
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")
MOL = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "plans/builtin/mol.toml").read_text(encoding="utf-8")
)
MOL_KPIS = {kpi["code"]: kpi for kpi in MOL["versions"][0]["kpis"]}
CONFIG = CrawlConfig(
    per_host=4, per_host_rate=0, max_attempts=1, timeouts=Timeouts(connect=2, read=2, total=3)
)
POLICY = AddressPolicy.from_entries(["127.0.0.1/32"])
Q1 = Period.parse("2026Q1")


def taipei(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=TAIPEI)


def plan_text(accuracy_formula: str) -> str:
    """A plan of the test ministry whose KPI rows are MOL's (or another accuracy formula)."""
    accuracy, stars = MOL_KPIS["accuracy_rate"], MOL_KPIS["three_star_ratio"]
    return (
        TEST_PLAN_HEAD
        + TEST_PLAN_AGENCIES
        + f"""\
[[versions]]
label = "v1"
adopted_on = 2025-01-01

[[versions.kpis]]
code = "accuracy_rate"
name = "{accuracy["name"]}"
measure = "accuracy_rate"
unit = "percent"
weight = 1
formula = "{accuracy_formula}"
evaluation_period = "quarterly"
targets = {{ t-agency-a = 90, t-agency-b = 90 }}

[[versions.kpis]]
code = "three_star_ratio"
name = "{stars["name"]}"
measure = "three_star_ratio"
unit = "percent"
weight = 1
formula = "{stars["formula"]}"
bonus_rule = "{stars["bonus_rule"]}"
evaluation_period = "yearly"
targets = {{ t-agency-a = 50, t-agency-b = 50 }}
"""
    )


@dataclass
class Scenario:
    datasets: dict[str, Dataset]
    server: HostileServer
    tree: Any

    def identifier(self, name: str) -> str:
        return self.datasets[name].identifier

    def identifiers(self, *names: str) -> set[str]:
        return {self.identifier(name) for name in names}


def add_dataset(
    organisation: Any,
    serial: int,
    urls: list[str],
    *,
    frequency: str = "不定期",
    modified: datetime | None = None,
    issued: datetime | None = None,
) -> Dataset:
    identifier = f"{organisation.agency.agency_code}-{serial:06d}"
    dataset = Dataset.objects.create(
        organisation=organisation,
        identifier=identifier,
        title=f"測試資料集{serial}",
        fieldDescription=GOOD_FIELDS,
        accrualPeriodicity=frequency,
        status=Status.PUBLISHED,
        issued=issued or taipei(2025, 6, 1),
    )
    for position, url in enumerate(urls, 1):
        Resource.objects.create(
            dataset=dataset,
            resourceID=f"{identifier}-{position:03d}",
            format="CSV",
            characterSetCode="UTF-8",
            downloadURL=url,
            resourceModified=modified,
            position=position,
        )
    return dataset


def check(organisation: Any) -> None:
    check_resources(
        refs_from_database(organisation=organisation),
        kind=CheckKind.SELF_CHECK,
        organisation=organisation,
        source=f"datasets:{organisation.key}",
        config=CONFIG,
        policy=POLICY,
    )


@pytest.fixture
def scenario(tree: Any, server: HostileServer) -> Scenario:
    """Agency A's datasets, checked on 2026-02-10; agency B has a broken one of its own."""
    good, missing = server.url("/good.csv"), server.url("/status/404")
    busy = server.url("/always-429")
    a = tree.unit_a1
    made = {
        "one_of_two_broken": add_dataset(a, 1, [good, missing]),
        "only_broken": add_dataset(a, 2, [missing]),
        "only_busy": add_dataset(a, 3, [busy]),
        "busy_and_good": add_dataset(a, 4, [busy, good]),
        "late": add_dataset(a, 5, [good], frequency="每月", modified=taipei(2025, 6, 1)),
        "big5_declared_utf8": add_dataset(a, 6, [server.url("/big5-declared-utf8.csv")]),
        "header_mismatch": add_dataset(a, 7, [server.url("/header-mismatch.csv")]),
        **{f"fine_{n}": add_dataset(a, 10 + n, [good]) for n in range(4)},
        "other_agency_broken": add_dataset(tree.unit_b1, 1, [missing]),
    }
    with time_machine.travel(taipei(2026, 2, 10), tick=True):
        check(tree.agency_a)
        check(tree.agency_b)
    # Opened after the check, still within the quarter: open but never checked.
    made["never_checked"] = add_dataset(a, 30, [good], issued=taipei(2026, 3, 1))
    return Scenario(made, server, tree)


def q1_measures(scenario: Scenario, organisation: Any = None, **options: Any) -> QualityMeasures:
    with time_machine.travel(taipei(2026, 3, 20)):
        return measures_for(organisation or scenario.tree.agency_a, Q1, **options)


def term_identifiers(result: QualityMeasures, measure: str, term: str) -> set[str]:
    return {dataset.identifier for dataset in result.measure(measure).datasets[term]}


def test_accuracy_rate_is_exactly_what_mols_formula_gives(scenario: Scenario) -> None:
    install_plan_text(plan_text(MOL_KPIS["accuracy_rate"]["formula"]), name="t.toml")
    result = q1_measures(scenario)
    accuracy = result.measure("accuracy_rate")
    assert accuracy.formula == MOL_KPIS["accuracy_rate"]["formula"]
    assert accuracy.formula_from_plan and accuracy.kpi_code == "accuracy_rate"
    assert accuracy.counts == {
        "not_timely": 1,
        "broken_links": 2,
        "wrong_info": 2,
        "open_datasets": 10,
    }
    # 正確率=(1-(開放資料集未及時更新數+錯誤連結數+錯誤資訊數)/實際開放資料集數量)*100
    exact = (1 - Fraction(1 + 2 + 2, 10)) * 100
    assert accuracy.value == Decimal(exact.numerator) / exact.denominator == Decimal("50")
    assert (accuracy.target, accuracy.met) == (Decimal("90"), False)


def test_three_star_ratio_is_a_percentage_as_the_plans_targets_are(scenario: Scenario) -> None:
    install_plan_text(plan_text(MOL_KPIS["accuracy_rate"]["formula"]), name="t.toml")
    stars = q1_measures(scenario).measure("three_star_ratio")
    # 實際開放等級達三星等資料集數量/實際開放資料集數量: only_broken has 0 stars.
    assert (stars.counts["three_star"], stars.counts["open_datasets"]) == (9, 10)
    assert stars.value == Decimal("90")
    assert (stars.target, stars.met) == (Decimal("50"), True)
    assert stars.bonus_rule == MOL_KPIS["three_star_ratio"]["bonus_rule"]
    assert stars.counts["four_star"] == stars.counts["five_star"] == 0


def test_a_dataset_with_two_resources_one_broken_is_one_broken_link(scenario: Scenario) -> None:
    result = q1_measures(scenario)
    broken = result.measure("accuracy_rate").datasets["broken_links"]
    assert {d.identifier for d in broken} == scenario.identifiers(
        "one_of_two_broken", "only_broken"
    )
    two = next(d for d in broken if d.identifier == scenario.identifier("one_of_two_broken"))
    assert len(two.resources) == 2
    assert [r.reason for r in two.resources if r.broken] == ["not_found"]


def test_unknown_results_are_not_broken_and_not_counted_as_correct(scenario: Scenario) -> None:
    result = q1_measures(scenario)
    broken = term_identifiers(result, "accuracy_rate", "broken_links")
    assert scenario.identifier("only_busy") not in broken
    assert scenario.identifier("busy_and_good") not in broken
    # Only unknown results: undetermined, outside the denominator, listed.
    assert [d.identifier for d in result.undetermined] == [scenario.identifier("only_busy")]
    assert scenario.identifier("only_busy") not in {d.identifier for d in result.checked}
    # Judged by its good resource: counted, and correct.
    assert scenario.identifier("busy_and_good") in {d.identifier for d in result.checked}


def test_a_late_resource_makes_its_dataset_not_timely(scenario: Scenario) -> None:
    result = q1_measures(scenario)
    [late] = result.measure("accuracy_rate").datasets["not_timely"]
    assert late.identifier == scenario.identifier("late")
    assert "每月" in late.resources[0].lateness


def test_a_declared_encoding_or_header_that_does_not_match_is_wrong_information(
    scenario: Scenario,
) -> None:
    result = q1_measures(scenario)
    wrong = {d.identifier: d for d in result.measure("accuracy_rate").datasets["wrong_info"]}
    assert set(wrong) == scenario.identifiers("big5_declared_utf8", "header_mismatch")
    [encoding] = wrong[scenario.identifier("big5_declared_utf8")].resources[0].mismatches
    assert "UTF-8" in encoding and "BIG5" in encoding.upper()
    [header] = wrong[scenario.identifier("header_mismatch")].resources[0].mismatches
    assert "主要欄位說明" in header


def test_open_datasets_never_checked_are_listed_not_counted(scenario: Scenario) -> None:
    result = q1_measures(scenario)
    assert [d.identifier for d in result.not_checked] == [scenario.identifier("never_checked")]
    assert result.measure("accuracy_rate").counts["open_datasets"] == 10


def test_another_agencys_results_are_excluded(scenario: Scenario) -> None:
    result = q1_measures(scenario)
    everything = {d.identifier for d in (*result.checked, *result.undetermined)}
    assert scenario.identifier("other_agency_broken") not in everything
    theirs = q1_measures(scenario, scenario.tree.agency_b).measure("accuracy_rate")
    assert theirs.counts == {
        "not_timely": 0,
        "broken_links": 1,
        "wrong_info": 0,
        "open_datasets": 1,
    }
    assert theirs.value == Decimal("0")


def test_the_ministry_alone_is_its_own_units_and_with_its_subtree_everything(
    scenario: Scenario,
) -> None:
    alone = q1_measures(scenario, scenario.tree.ministry)
    assert alone.checked == () and alone.not_checked == ()
    whole = q1_measures(scenario, scenario.tree.ministry, include_subtree=True)
    assert whole.measure("accuracy_rate").counts["open_datasets"] == 11
    assert whole.measure("accuracy_rate").counts["broken_links"] == 3


def test_the_latest_result_in_the_period_counts(scenario: Scenario) -> None:
    Resource.objects.filter(resourceID=f"{scenario.identifier('only_broken')}-001").update(
        downloadURL=scenario.server.url("/good.csv")
    )
    with time_machine.travel(taipei(2026, 3, 5), tick=True):
        check(scenario.tree.agency_a)
    broken = term_identifiers(q1_measures(scenario), "accuracy_rate", "broken_links")
    assert broken == scenario.identifiers("one_of_two_broken")


def test_results_of_another_period_do_not_count(scenario: Scenario) -> None:
    with time_machine.travel(taipei(2026, 5, 20)):
        result = measures_for(scenario.tree.agency_a, Period.parse("2026Q2"))
    assert result.checked == ()
    assert result.measure("accuracy_rate").value is None  # nothing judged: no value
    # Every open dataset is then 'not checked', none silently correct.
    assert len(result.not_checked) == 12


def test_the_formula_is_the_plans_own(scenario: Scenario) -> None:
    install_plan_text(plan_text("正確率=(1－錯誤連結數／實際開放資料集數量)×100"), name="t.toml")
    accuracy = q1_measures(scenario).measure("accuracy_rate")
    assert accuracy.formula_from_plan
    assert accuracy.value == Decimal("80")  # (1 - 2/10) * 100


def test_a_formula_with_something_we_cannot_count_falls_back_and_says_so(
    scenario: Scenario,
) -> None:
    install_plan_text(
        plan_text("(1-(錯誤連結數+聯絡人錯誤數)/實際開放資料集數量)*100"), name="t.toml"
    )
    accuracy = q1_measures(scenario).measure("accuracy_rate")
    assert not accuracy.formula_from_plan
    assert "聯絡人錯誤數" in accuracy.note
    assert accuracy.value == Decimal("50")  # MOL's formula


def test_without_a_plan_the_default_formula_is_shown_for_reference(scenario: Scenario) -> None:
    accuracy = q1_measures(scenario).measure("accuracy_rate")
    assert (accuracy.kpi_code, accuracy.formula_from_plan, accuracy.target) == ("", False, None)
    assert accuracy.value == Decimal("50")


@pytest.mark.parametrize(
    "formula",
    ["__import__('os')", "錯誤連結數**2", "open_datasets if 1 else 2", "1+", "100"],
)
def test_formulas_other_than_arithmetic_over_counts_are_refused(formula: str) -> None:
    with pytest.raises(MeasureError):
        parse_formula(formula)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q1", "2026-01-01", "2026-03-31"),
        ("2026-q4", "2026-10-01", "2026-12-31"),
        ("2024H1", "2024-01-01", "2024-06-30"),
        ("2026", "2026-01-01", "2026-12-31"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    period = Period.parse(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["2026Q5", "2026H3", "26Q1", "Q1", ""])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(MeasureError):
        Period.parse(text)


def test_results_read_in_chunks_count_as_when_read_at_once(
    scenario: Scenario, monkeypatch: Any
) -> None:
    """The latest results are read by id in chunks (a ministry's thousands): one at a time,
    every term counts the same datasets, in the same order."""
    whole = q1_measures(scenario)
    monkeypatch.setattr("steward.quality.measures.datasets.CHUNK", 1)
    chunked = q1_measures(scenario)
    assert [d.identifier for d in chunked.checked] == [d.identifier for d in whole.checked]
    for measure in ("accuracy_rate", "three_star_ratio"):
        assert chunked.measure(measure).counts == whole.measure(measure).counts
        assert chunked.measure(measure).datasets == whole.measure(measure).datasets
