"""The plan's quality cadence as background jobs, and the self-check job over the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from steward.datasets.models import Dataset, Resource
from steward.datasets.workflow import Status
from steward.jobs.models import Job, JobStatus
from steward.jobs.scheduler import tick
from steward.jobs.services import run_next
from steward.quality.models import CheckKind, CheckResult, CheckRun, ResourceHealth
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=TAIPEI)


def test_two_weeks_before_a_self_check_deadline_each_agency_gets_a_job(tree: Any) -> None:
    tick(at(3, 5))
    jobs = Job.objects.filter(kind="quality.check_agency")
    assert {job.payload["organisation_id"] for job in jobs} == {
        tree.ministry.pk,
        tree.agency_a.pk,
        tree.agency_b.pk,
    }
    assert {job.unique_key.rsplit(":", 1)[-1] for job in jobs} == {"2026-03-15"}
    tick(at(3, 6))  # another worker's tick the next day: nothing new
    assert Job.objects.filter(kind="quality.check_agency").count() == 3


def test_the_spot_check_is_one_job_for_the_ministry(tree: Any) -> None:
    tick(at(1, 20))
    [job] = Job.objects.filter(kind="quality.spot_check")
    assert job.payload == {"organisation_id": tree.ministry.pk}
    assert not Job.objects.filter(kind="quality.check_agency").exists()


def test_nothing_is_enqueued_far_from_a_deadline(tree: Any) -> None:
    tick(at(2, 10))
    assert not Job.objects.filter(kind__startswith="quality.").exists()


def make_dataset(
    tree: Any, identifier: str, urls: list[str], status: str = Status.PUBLISHED
) -> Dataset:
    dataset = Dataset.objects.create(
        organisation=tree.unit_a1,
        identifier=identifier,
        title="年度預算",
        fieldDescription=GOOD_FIELDS,
        accrualPeriodicity="不定期",
        status=status,
    )
    for position, url in enumerate(urls, 1):
        Resource.objects.create(
            dataset=dataset,
            resourceID=f"{identifier}-{position:03d}",
            format="CSV",
            downloadURL=url,
            position=position,
        )
    return dataset


def test_the_self_check_job_checks_the_agencys_open_resources(
    tree: Any, server: HostileServer, settings: Any
) -> None:
    settings.STEWARD_HTTP_ALLOWED_PRIVATE = ["127.0.0.1/32"]
    make_dataset(tree, "A17010000J-000001", [server.url("/good.csv"), server.url("/status/404")])
    make_dataset(tree, "A17010000J-000002", [server.url("/good.csv")], status=Status.DRAFT)
    tick(at(6, 10))
    Job.objects.filter(kind="quality.check_agency").exclude(
        payload__organisation_id=tree.agency_a.pk
    ).delete()
    job = run_next(worker="test")
    assert job is not None and job.status == JobStatus.DONE, job and job.last_error
    run = CheckRun.objects.get()
    assert (run.kind, run.organisation, run.totals["checked"], run.totals["broken"]) == (
        CheckKind.SELF_CHECK,
        tree.agency_a,
        2,
        1,
    )
    assert job.result["run"] == run.pk
    assert set(CheckResult.objects.values_list("key", "state")) == {
        ("A17010000J-000001-001", "ok"),
        ("A17010000J-000001-002", "broken"),
    }
    assert ResourceHealth.objects.get(key="A17010000J-000001-002").consecutive_failures == 1


def test_the_check_command_reads_open_datasets_of_one_agency(
    tree: Any, server: HostileServer, tmp_path: Any
) -> None:
    from django.core.management import call_command

    make_dataset(tree, "A17010000J-000001", [server.url("/good.csv")])
    out = tmp_path / "out.json"
    call_command(
        "quality", "check", "--datasets", "--agency", "A17010000J", "--allow-private", "127.0.0.1",
        "--rate", "0", "--json", str(out),
    )  # fmt: skip
    run = CheckRun.objects.get()
    assert (run.organisation, run.totals["ok"]) == (tree.agency_a, 1)
    assert '"A17010000J-000001-001"' in out.read_text(encoding="utf-8")
    call_command("quality", "check", "--datasets", "--agency", "t-agency-b", "--rate", "0")
    assert CheckRun.objects.order_by("-pk").first().totals["checked"] == 0  # type: ignore[union-attr]
