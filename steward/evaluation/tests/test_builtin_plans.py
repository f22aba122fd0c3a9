"""The four built-in plans evaluated as written: which KPIs each period takes, per the plan."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from steward.conftest import Cast, Tree
from steward.evaluation.models import ImprovementReport, ReportStatus, SelfReport
from steward.evaluation.runs import run_evaluation
from steward.plans.models import Plan
from steward.plans.services import BUILTIN_DIR, install_plan_file
from steward.quality.measures.periods import Period


def codes(run) -> set[str]:  # type: ignore[no-untyped-def]
    return set(run.results.values_list("kpi_code", flat=True))


def test_mols_year_takes_its_five_kpis_for_its_six_organisations(
    db: None, committee_measures: None
) -> None:
    install_plan_file(BUILTIN_DIR / "mol.toml")
    run = run_evaluation(Plan.objects.get(key="mol"), Period.parse("2016"), by=None)
    assert codes(run) == {
        "working_group_meetings", "growth", "accuracy_rate", "three_star_ratio",
        "replies_within_6_days",
    }  # fmt: skip
    assert run.scores.count() == 6
    assert run.award_list.organisations.count() == 0  # nothing achieved yet: nobody proposed
    quarter = run_evaluation(Plan.objects.get(key="mol"), Period.parse("2016Q1"), by=None)
    assert codes(quarter) == {"accuracy_rate"}  # 註2: checked every quarter
    assert not hasattr(quarter, "award_list")  # awards follow the yearly evaluation


def test_dgbas_half_year_takes_only_its_half_yearly_kpis(db: None) -> None:
    install_plan_file(BUILTIN_DIR / "dgbas.toml")
    plan = Plan.objects.get(key="dgbas")
    half = run_evaluation(plan, Period.parse("2024H1"), by=None)
    assert codes(half) == {"dataset_quality", "feedback_timeliness"}
    year = run_evaluation(plan, Period.parse("2024"), by=None)
    assert codes(year) == {"stage_results", "dataset_quality", "feedback_timeliness", "other"}
    assert not hasattr(year, "award_list") or year.award_list is None  # 擇優: no number
    assert not ImprovementReport.objects.exists()  # no targets: nobody is below one


def test_mojs_quarter_takes_its_quarterly_kpis(db: None, committee_measures: None) -> None:
    install_plan_file(BUILTIN_DIR / "moj.toml")
    run = run_evaluation(Plan.objects.get(key="moj"), Period.parse("2016Q2"), by=None)
    assert codes(run) == {"new_datasets", "replies_within_7_days"}


def test_a_liaison_hands_in_a_self_report_with_a_file_from_the_page(
    plan: Plan, tree: Tree, cast: Cast, client: Client, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    client.force_login(cast.liaison)
    response = client.post(
        "/evaluation/self-reports/",
        {
            "organisation": tree.unit_a1.pk, "period_start": "2026-01-01",
            "period_end": "2026-06-30", "value": "3", "summary": "辦理資料應用競賽",
            "evidence_links": "", "evidence_file": SimpleUploadedFile("成果.pdf", b"%PDF-1.4"),
        },
    )  # fmt: skip
    report = SelfReport.objects.get()
    assert response.status_code == 302 and str(report.evidence_file.name).startswith(
        "self-reports/"
    )
    client.force_login(cast.centre)
    page = client.get(f"/evaluation/self-reports/{report.pk}/").content.decode()
    assert "辦理資料應用競賽" in page and "記錄審查結果" in page
    client.post(f"/evaluation/self-reports/{report.pk}/", {"decision": "accept"})
    report.refresh_from_db()
    assert report.status == "accepted"


def test_an_improvement_report_is_handed_in_from_its_page(
    plan: Plan, tree: Tree, cast: Cast, client: Client
) -> None:
    run = run_evaluation(plan, Period.parse("2026"), by=cast.centre)
    report = ImprovementReport.objects.get(organisation=tree.agency_a)
    client.force_login(cast.liaison)
    assert (
        "提交報告" in client.get(f"/evaluation/improvement-reports/{report.pk}/").content.decode()
    )
    client.post(f"/evaluation/improvement-reports/{report.pk}/", {"text": "下半年補足。"})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.run == run
    client.force_login(cast.other_liaison)
    assert client.get(f"/evaluation/improvement-reports/{report.pk}/").status_code == 404
