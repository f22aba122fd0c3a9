"""Evaluation runs: figures per organisation and part of the period, achievement, bonus,
ranking, awards, improvement reports, and the bad inputs of issue 14."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.evaluation import services
from steward.evaluation.models import AwardStatus, ImprovementReport, KpiResult, ReportStatus, Score
from steward.evaluation.reminders import chase_reports
from steward.evaluation.runs import EvaluationError, run_evaluation
from steward.organisations.models import Organisation
from steward.organisations.work import waiting_for
from steward.plans.models import Plan
from steward.quality.measures.periods import Period

from .conftest import at


def results(run, organisation: Organisation, code: str) -> list[KpiResult]:  # type: ignore[no-untyped-def]
    return list(run.results.filter(organisation=organisation, kpi_code=code).order_by("part"))


def test_a_period_without_data_shows_no_data_not_zero_or_hundred(
    plan: Plan, tree: Tree, cast: Cast, client: Client
) -> None:
    run = run_evaluation(plan, Period.parse("2025H1"), by=cast.centre)
    (replies,) = results(run, tree.agency_a, "replies")
    assert replies.value is None and replies.achievement is None
    score = Score.objects.get(run=run, organisation=tree.agency_a)
    assert score.overall is None and score.rank is None
    client.force_login(cast.centre)
    page = client.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert "無資料" in page
    assert "0 %" not in page and "100 %" not in page


def test_a_version_changed_mid_period_is_evaluated_part_by_part(
    plan: Plan, tree: Tree, cast: Cast, reply: Callable[..., object], client: Client
) -> None:
    reply(tree.unit_a1, "2026-02-02T10:00", "2026-02-04T10:00")  # in time, faster
    reply(tree.unit_a1, "2026-02-03T10:00", "2026-02-20T10:00")  # late
    reply(tree.unit_a1, "2026-05-04T10:00", "2026-05-10T20:00")  # day 6: in time, no bonus
    run = run_evaluation(plan, Period.parse("2026H1"), by=cast.centre)
    assert [p["label"] for p in run.parts] == ["v1", "v2"]
    first, second = results(run, tree.agency_a, "replies")
    assert (first.version_label, first.value, first.target) == ("v1", Decimal(50), Decimal(95))
    assert (second.version_label, second.value, second.target) == ("v2", Decimal(100), Decimal(80))
    # Achievement per part (50/95 and 100 capped), weighted by days: 90 days of v1, 91 of v2.
    assert first.achievement == Decimal("52.6316") and second.achievement == Decimal(100)
    score = Score.objects.get(run=run, organisation=tree.agency_a)
    expected = (Decimal("52.6316") * 90 + Decimal(100) * 91) / 181
    bonus = (Decimal("2.5") * 90 + 0 * 91) / 181  # 50 % faster × 0.05 in v1's part
    places = Decimal("0.0001")
    assert score.overall == expected.quantize(places) + bonus.quantize(places)  # 77.6898
    assert score.below_target == ["6 日內回復外部意見比率"]
    client.force_login(cast.centre)
    page = client.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert "方案於本期間內修正" in page and "v1" in page and "v2" in page


def test_an_organisation_added_mid_year_is_evaluated_from_the_version_naming_it(
    plan: Plan, agency_c: Organisation, cast: Cast, dataset: Callable[..., object]
) -> None:
    dataset(agency_c, "A17030000J-000001", "2026-02-01T09:00")  # before the plan named it
    dataset(agency_c, "A17030000J-000002", "2026-06-01T09:00")
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)
    (growth,) = results(run, agency_c, "growth")
    assert growth.version_label == "v2" and growth.value == 1
    score = Score.objects.get(run=run, organisation=agency_c)
    assert score.evaluated_from == datetime.date(2026, 4, 1)


def test_a_target_of_zero_is_met_by_any_figure(
    plan: Plan, agency_c: Organisation, cast: Cast
) -> None:
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)
    (growth,) = results(run, agency_c, "growth")
    assert growth.value == 0 and growth.target == 0 and growth.achievement == 100
    (replies,) = results(run, agency_c, "replies")
    assert replies.value is None and replies.achievement is None  # no items: no data


def test_a_rerun_after_late_data_records_what_changed(
    plan: Plan, tree: Tree, cast: Cast, dataset: Callable[..., object], client: Client
) -> None:
    dataset(tree.agency_a, "A17010000J-000001", "2026-03-01T09:00")
    first = run_evaluation(plan, Period.parse("2026"), by=cast.centre, now=at("2027-01-05T09:00"))
    assert first.changes == []
    dataset(tree.agency_b, "A17020000J-000001", "2026-12-30T09:00")  # entered late
    second = run_evaluation(plan, Period.parse("2026"), by=cast.centre, now=at("2027-01-09T09:00"))
    changed = [c for c in second.changes if c["kpi"] == "growth"]
    assert [(c["organisation"], c["before"], c["after"]) for c in changed] == [("乙局", "0", "1")]
    assert changed[0]["added"] == ["new_datasets:A17020000J-000001 資料集001"]
    assert any(f["kpi"] == "growth" for f in second.inputs["figures"])
    assert AuditEvent.objects.filter(action="evaluation.run").count() == 2
    client.force_login(cast.centre)
    page = client.get(f"/evaluation/runs/{second.pk}/").content.decode()
    assert "與前次評估的差異" in page and "乙局" in page


def test_ranking_awards_and_the_heads_approval(
    plan: Plan, tree: Tree, cast: Cast, dataset: Callable[..., object]
) -> None:
    dataset(tree.agency_a, "A17010000J-000001", "2026-03-01T09:00")
    dataset(tree.agency_a, "A17010000J-000002", "2026-08-01T09:00")
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)
    ranks = {s.organisation.key: s.rank for s in run.scores.select_related("organisation")}
    assert ranks["t-agency-a"] == 1 and ranks["t-agency-b"] == 3 and ranks["t-agency-c"] == 1
    award = run.award_list
    assert {o.key for o in award.organisations.all()} == {"t-agency-a", "t-agency-c"}
    with pytest.raises(PermissionDenied):  # the head of an agency is not the ministry's head
        services.decide_awards(award, by=cast.head, approve=True)
    from steward.organisations.factories import RoleAssignmentFactory

    RoleAssignmentFactory.create(
        person=cast.head, organisation=tree.ministry, role="head_of_agency"
    )
    assert any(w.url.endswith(f"/runs/{run.pk}/") for w in waiting_for(cast.head))
    award = services.decide_awards(award, by=cast.head, approve=True)
    assert award.status == AwardStatus.APPROVED
    assert AuditEvent.objects.filter(action="evaluation.awards_approve").count() == 1
    with pytest.raises(EvaluationError):
        services.decide_awards(award, by=cast.head, approve=False, comment="再議")


def test_an_organisation_that_achieved_nothing_is_not_proposed_for_an_award(
    plan: Plan, cast: Cast
) -> None:
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)  # no datasets at all
    scores = {s.organisation.key: s for s in run.scores.select_related("organisation")}
    # 甲署 and 乙局 score 0 and share rank 2 of 3 (top 3 on the plan's award list): still out;
    # 丙中心's target of zero is met by any figure
    assert scores["t-agency-a"].overall == 0 and (scores["t-agency-a"].rank or 99) <= 3
    assert {o.key for o in run.award_list.organisations.all()} == {"t-agency-c"}


def test_no_award_list_outside_the_plans_evaluation_period(plan: Plan, cast: Cast) -> None:
    run = run_evaluation(plan, Period.parse("2026H1"), by=cast.centre)
    assert not hasattr(run, "award_list") or run.award_list is None


def test_improvement_reports_are_required_below_target_reminded_and_handed_in(
    plan: Plan, tree: Tree, cast: Cast
) -> None:
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre, now=at("2027-01-05T09:00"))
    report = ImprovementReport.objects.get(organisation=tree.agency_a)
    assert report.kpis == ["成長量"] and report.due_on == datetime.date(2027, 2, 4)
    assert not ImprovementReport.objects.filter(organisation__key="t-agency-c").exists()
    assert any(
        w.url.endswith(f"/improvement-reports/{report.pk}/") for w in waiting_for(cast.liaison)
    )
    reminded, escalated = chase_reports(today=datetime.date(2027, 1, 29))
    assert report.pk in reminded and not escalated
    assert chase_reports(today=datetime.date(2027, 1, 30)) == ([], [])  # once only
    _reminded, escalated = chase_reports(today=datetime.date(2027, 2, 5))
    assert report.pk in escalated
    with pytest.raises(PermissionDenied):
        services.submit_improvement_report(report, by=cast.other_liaison, text="說明")
    report = services.submit_improvement_report(report, by=cast.liaison, text="下半年補開放。")
    with pytest.raises(EvaluationError):
        services.review_improvement_report(report, by=cast.centre, accept=False)
    report = services.review_improvement_report(report, by=cast.centre, accept=True)
    assert report.status == ReportStatus.ACCEPTED
    assert run.improvement_reports.count() == 2


def test_no_version_in_force_is_refused(plan: Plan, cast: Cast) -> None:
    with pytest.raises(EvaluationError, match="2024-01-01"):
        run_evaluation(plan, Period.parse("2024"), by=cast.centre)


def test_only_the_information_centre_runs_evaluations(plan: Plan, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        run_evaluation(plan, Period.parse("2026"), by=cast.liaison)


def test_a_period_shorter_than_every_indicators_is_refused(plan: Plan, cast: Cast) -> None:
    with pytest.raises(EvaluationError, match="3"):
        run_evaluation(plan, Period.parse("2026Q2"), by=cast.centre)
