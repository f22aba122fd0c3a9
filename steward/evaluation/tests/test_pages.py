"""Evaluation pages, API and command line: scoped, zh-Hant, no internal keys shown."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from io import StringIO

from django.core.management import call_command
from django.test import Client

from steward.conftest import Cast, MinistryB, Tree
from steward.evaluation.demo import past_periods, populate
from steward.evaluation.models import EvaluationRun
from steward.evaluation.runs import run_evaluation
from steward.plans.models import Plan
from steward.quality.measures.periods import Period


def test_run_page_ranks_drills_down_and_shows_no_internal_keys(
    plan: Plan, tree: Tree, cast: Cast, dataset: Callable[..., object], client: Client
) -> None:
    dataset(tree.agency_a, "A17010000J-000001", "2026-03-01T09:00")
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)
    client.force_login(cast.centre)
    page = client.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert "民國 115 年" in page and "排名" in page and "成長量" in page and "甲署" in page
    for key in ("datasets_new", "feedback_on_time_ratio", "growth", "replies", "new_datasets"):
        assert key not in page, key
    result = run.results.get(organisation=tree.agency_a, kpi_code="growth", part=1)
    detail = client.get(f"/evaluation/runs/{run.pk}/figures/{result.pk}/").content.decode()
    assert "A17010000J-000001" not in detail  # published in v1's part, not v2's
    first = run.results.get(organisation=tree.agency_a, kpi_code="growth", part=0)
    detail = client.get(f"/evaluation/runs/{run.pk}/figures/{first.pk}/").content.decode()
    assert "A17010000J-000001" in detail and "新增開放資料集" in detail


def test_a_liaison_sees_only_their_agency_and_another_ministry_nothing(
    plan: Plan, tree: Tree, cast: Cast, ministry_b: MinistryB, client: Client
) -> None:
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)
    client.force_login(cast.liaison)
    page = client.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert "乙局" not in page
    client.force_login(ministry_b.centre)
    assert client.get(f"/evaluation/runs/{run.pk}/").status_code == 404
    assert client.get(f"/api/evaluation/runs/{run.pk}").status_code == 404
    assert client.get("/api/evaluation/runs").json()["count"] == 0


def test_the_information_centre_runs_an_evaluation_from_the_page_and_the_api(
    plan: Plan, cast: Cast, client: Client
) -> None:
    client.force_login(cast.centre)
    response = client.post("/evaluation/run/", {"plan": "t-plan", "period": "2026H1"})
    assert response.status_code == 302
    bad = client.post("/api/evaluation/runs", {"plan": "t-plan", "period": "2026H3"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "2026H3" in bad.json()["detail"]
    ok = client.post("/api/evaluation/runs", {"plan": "t-plan", "period": "2026"},
                     content_type="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["period_label"] == "民國 115 年"
    figures = client.get(f"/api/evaluation/runs/{ok.json()['id']}/figures?page_size=2").json()
    assert figures["page_size"] == 2 and figures["count"] > 2
    client.force_login(cast.liaison)
    refused = client.post("/api/evaluation/runs", {"plan": "t-plan", "period": "2026"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    assert EvaluationRun.objects.count() == 2


def test_the_command_line_runs_an_evaluation(plan: Plan) -> None:
    out = StringIO()
    call_command("evaluation", "run", "--plan", "t-plan", "--period", "2026H1", stdout=out)
    text = out.getvalue()
    assert "民國 115 年上半年" in text and "v1" in text and "v2" in text


def test_demo_runs_the_past_periods_of_the_year(plan: Plan, tree: Tree) -> None:
    today = datetime.date(2026, 10, 15)
    assert [p.label for p in past_periods(today)] == [
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026H1",
        "2025",
    ]
    populate(tree.ministry, today=today)
    # The quarters are skipped: the plan evaluates nothing over three months.
    assert set(EvaluationRun.objects.values_list("period", flat=True)) == {"2026H1", "2025"}
