"""The spot check (2-2) samples datasets open at the end of the previous quarter (MOEA Table 3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from steward.datasets.models import Dataset, DatasetVersion, Resource, Withdrawal
from steward.datasets.workflow import Status
from steward.jobs.models import Job, JobStatus
from steward.jobs.scheduler import tick
from steward.jobs.services import enqueue, run_next
from steward.quality.models import CheckKind, CheckResult, CheckRun
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TAIPEI)


def dataset(
    organisation: Any,
    serial: int,
    url: str,
    *,
    status: str = Status.PUBLISHED,
    issued: datetime | None = None,
    resources: int = 1,
) -> Dataset:
    identifier = f"{organisation.agency.agency_code}-{serial:06d}"
    made = Dataset.objects.create(
        organisation=organisation,
        identifier=identifier,
        title=f"資料集{serial}",
        fieldDescription=GOOD_FIELDS,
        accrualPeriodicity="不定期",
        status=status,
        issued=issued,
    )
    for position in range(1, resources + 1):
        Resource.objects.create(
            dataset=made,
            resourceID=f"{identifier}-{position:03d}",
            format="CSV",
            downloadURL=url,
            position=position,
        )
    return made


@pytest.fixture
def datasets(tree: Any, server: HostileServer) -> dict[str, Dataset]:
    """Datasets around the end of 2025Q4, seen from January 2026."""
    url = server.url("/good.csv")
    made = {
        "open_in_december": dataset(tree.unit_a1, 1, url, issued=taipei(2025, 12, 10)),
        "opened_in_january": dataset(tree.unit_a1, 2, url, issued=taipei(2026, 1, 5)),
        "withdrawn": dataset(
            tree.unit_a1, 3, url, status=Status.WITHDRAWN, issued=taipei(2025, 11, 1)
        ),
        "withdrawal_under_way": dataset(
            tree.unit_b1, 4, url, status=Status.WITHDRAWAL_REQUESTED, issued=taipei(2025, 10, 1)
        ),
        # No 發布時間: the first published version says when it opened (the last evening).
        "published_on_new_years_eve": dataset(tree.unit_b1, 5, url, resources=2),
        "draft": dataset(tree.unit_a1, 6, url, status=Status.DRAFT, issued=taipei(2025, 1, 1)),
    }
    DatasetVersion.objects.create(
        dataset=made["published_on_new_years_eve"],
        number=1,
        metadata={},
        published_at=taipei(2025, 12, 31, 23, 30),
    )
    Withdrawal.objects.create(
        dataset=made["withdrawn"],
        reason="資料已整併",
        new_classification="on_request",
        notice_published_on=date(2025, 12, 20),
        closed=True,
    )
    return made


def checked_datasets(run: CheckRun) -> set[str]:
    return set(
        CheckResult.objects.filter(entries__run=run).values_list("dataset_identifier", flat=True)
    )


def test_the_spot_check_samples_datasets_open_at_the_end_of_the_previous_quarter(
    tree: Any, datasets: dict[str, Dataset], settings: Any
) -> None:
    settings.STEWARD_HTTP_ALLOWED_PRIVATE = ["127.0.0.1/32"]
    enqueue("quality.spot_check", {"organisation_id": tree.ministry.pk, "as_of": "2026-01-20"})
    job = run_next(worker="test")
    assert job is not None and job.status == JobStatus.DONE, job and job.last_error
    run = CheckRun.objects.get()
    assert run.kind == CheckKind.SPOT_CHECK
    assert job.result["open_on"] == "2025-12-31"
    assert checked_datasets(run) == {
        datasets[name].identifier
        for name in ("open_in_december", "withdrawal_under_way", "published_on_new_years_eve")
    }
    # Every resource of a sampled dataset is checked.
    assert CheckResult.objects.filter(run=run).count() == 4
    assert "3 of 3 datasets open on 2025-12-31" in run.source


def test_a_small_sample_takes_whole_datasets_and_is_repeatable(
    tree: Any, datasets: dict[str, Dataset], settings: Any
) -> None:
    settings.STEWARD_HTTP_ALLOWED_PRIVATE = ["127.0.0.1/32"]
    payload = {"organisation_id": tree.ministry.pk, "as_of": "2026-02-01", "sample": 1, "seed": 7}
    samples = []
    for _ in range(2):
        enqueue("quality.spot_check", payload)
        job = run_next(worker="test")
        assert job is not None and job.status == JobStatus.DONE, job and job.last_error
        samples.append(checked_datasets(CheckRun.objects.get(pk=job.result["run"])))
    assert samples[0] == samples[1] and len(samples[0]) == 1
    eligible = {
        datasets[name].identifier
        for name in ("open_in_december", "withdrawal_under_way", "published_on_new_years_eve")
    }
    assert samples[0] <= eligible


def test_the_cadences_spot_check_looks_at_the_quarter_before_the_day_it_runs(
    tree: Any, datasets: dict[str, Dataset], settings: Any
) -> None:
    settings.STEWARD_HTTP_ALLOWED_PRIVATE = ["127.0.0.1/32"]
    with time_machine.travel(taipei(2026, 4, 20), tick=True):
        tick()  # 4/30 is a spot-check deadline: the job is queued without a date of its own
        Job.objects.exclude(kind="quality.spot_check").delete()
        job = run_next(worker="test")
    assert job is not None and job.status == JobStatus.DONE, job and job.last_error
    assert job.result["open_on"] == "2026-03-31"
    run = CheckRun.objects.get()
    # Opened in January: in the first quarter, so now in the sample.
    assert datasets["opened_in_january"].identifier in checked_datasets(run)
    assert datasets["withdrawn"].identifier not in checked_datasets(run)
    assert datasets["draft"].identifier not in checked_datasets(run)
