"""Quality pages and API: scoped to the person's organisations; starting a check queues a job."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.jobs.models import Job
from steward.quality.models import CheckEntry, CheckKind, CheckResult, CheckRun, RunStatus

pytestmark = pytest.mark.django_db


def make_run(organisation: Any, *, broken: int = 1) -> CheckRun:
    run = CheckRun.objects.create(
        kind=CheckKind.SELF_CHECK,
        organisation=organisation,
        source=f"datasets:{organisation.key}",
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        totals={"checked": 2, "ok": 2 - broken, "broken": broken, "unknown": 0,
                "marks": {"gold": 1}, "stars": {"3": 1}},
    )  # fmt: skip
    result = CheckResult.objects.create(
        run=run,
        organisation=organisation,
        key=f"{organisation.key}-000001-001",
        url="http://files.example.org/a.csv",
        dataset_identifier="A17010000J-000001",
        title="年度預算",
        state="broken",
        reason="not_found",
        explanation="伺服器表示檔案不存在（404）。",
        details={"how_to_fix": "請重新上傳檔案或更正資料下載網址。", "findings": []},
        checked_at=timezone.now(),
    )
    # the run checked that resource and got that verdict
    CheckEntry.objects.create(run=run, result=result, checked_at=result.checked_at)
    return run


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_index_shows_only_runs_in_scope(tree: Any, cast: Any) -> None:
    mine = make_run(tree.unit_a1)  # the liaison works in unit A1
    other = make_run(tree.agency_b)
    page = signed_in(cast.liaison).get(reverse("quality:index"))
    assert page.status_code == 200
    assert reverse("quality:run", args=[mine.pk]) in page.content.decode()
    assert reverse("quality:run", args=[other.pk]) not in page.content.decode()


def test_a_run_outside_scope_is_404(tree: Any, cast: Any) -> None:
    other = make_run(tree.agency_b)
    assert signed_in(cast.liaison).get(reverse("quality:run", args=[other.pk])).status_code == 404
    assert signed_in(cast.liaison).get(f"/api/quality/runs/{other.pk}").status_code == 404


def test_the_run_page_explains_each_broken_resource(tree: Any, cast: Any) -> None:
    run = make_run(tree.agency_a)
    page = signed_in(cast.centre).get(reverse("quality:run", args=[run.pk]) + "?state=broken")
    text = page.content.decode()
    assert "伺服器表示檔案不存在（404）。" in text
    assert "請重新上傳檔案或更正資料下載網址。" in text


def test_the_api_lists_runs_and_results_in_scope(tree: Any, cast: Any) -> None:
    mine = make_run(tree.unit_a1)
    make_run(tree.agency_b)
    client = signed_in(cast.liaison)
    runs = client.get("/api/quality/runs").json()["items"]
    assert [run["id"] for run in runs] == [mine.pk]
    results = client.get(f"/api/quality/runs/{mine.pk}/results?state=broken").json()["items"]
    assert [(r["state"], r["reason"]) for r in results] == [("broken", "not_found")]


def test_a_liaison_can_queue_a_check_of_their_agency_but_not_another(tree: Any, cast: Any) -> None:
    client = signed_in(cast.liaison)
    answer = client.post(
        "/api/quality/checks", {"organisation_id": tree.unit_a1.pk}, content_type="application/json"
    )
    assert answer.status_code == 202
    job = Job.objects.get(pk=answer.json()["job_id"])
    assert job.kind == "quality.check_agency"
    assert job.payload["organisation_id"] == tree.unit_a1.pk
    refused = client.post(
        "/api/quality/checks",
        {"organisation_id": tree.agency_b.pk},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert Job.objects.count() == 1


def test_an_auditor_may_look_but_not_start_a_check(tree: Any, cast: Any) -> None:
    client = signed_in(cast.auditor)
    answer = client.post(
        "/api/quality/checks",
        {"organisation_id": tree.agency_a.pk},
        content_type="application/json",
    )
    assert answer.status_code == 403
    page = client.post(reverse("quality:request"), {"organisation": tree.agency_a.pk})
    assert page.status_code == 302
    assert not Job.objects.exists()
