"""Claiming jobs: two workers never run the same job; retries back off; orphans come back."""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from steward.jobs import scheduler
from steward.jobs.models import Job, JobStatus
from steward.jobs.registry import job
from steward.jobs.services import claim, enqueue, fail, requeue_orphans, run_next

RAN: list[int] = []
RAN_LOCK = threading.Lock()
FAILURES: dict[str, int] = {}


@job("test.record")
def record_run(payload: dict[str, Any]) -> dict[str, Any]:
    with RAN_LOCK:
        RAN.append(payload["n"])
    return {"n": payload["n"]}


@job("test.flaky")
def flaky(payload: dict[str, Any]) -> None:
    FAILURES[payload["key"]] = FAILURES.get(payload["key"], 0) + 1
    raise RuntimeError("the portal is down")


@job("test.stop_worker")
def stop_worker(payload: dict[str, Any]) -> None:
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.fixture(autouse=True)
def clean_log() -> None:
    RAN.clear()
    FAILURES.clear()


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job() -> None:
    for n in range(40):
        enqueue("test.record", {"n": n})

    errors: list[BaseException] = []
    done_by: dict[str, int] = {}

    def work(name: str) -> None:
        try:
            while (taken := run_next(worker=name)) is not None:
                done_by[name] = done_by.get(name, 0) + 1
                assert taken.locked_by == name
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(RAN) == list(range(40))
    assert sum(done_by.values()) == 40
    assert Job.objects.filter(status=JobStatus.DONE).count() == 40
    assert set(Job.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_claimed_job_is_not_claimed_again() -> None:
    enqueue("test.record", {"n": 1})
    first = claim(worker="a")
    assert first is not None
    assert (first.status, first.locked_by, first.attempts) == (JobStatus.RUNNING, "a", 1)
    assert claim(worker="b") is None


@pytest.mark.django_db
def test_a_job_is_not_run_before_its_time() -> None:
    enqueue("test.record", {"n": 1}, run_at=timezone.now() + timedelta(hours=1))
    assert run_next(worker="a") is None
    assert RAN == []


@pytest.mark.django_db
def test_a_unique_key_enqueues_once() -> None:
    first = enqueue("test.record", {"n": 1}, unique_key="k")
    second = enqueue("test.record", {"n": 2}, unique_key="k")
    assert first.pk == second.pk
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no handler"):
        enqueue("test.nobody", {})


@pytest.mark.django_db
def test_a_failing_job_is_retried_with_back_off_then_fails_for_good() -> None:
    queued = enqueue("test.flaky", {"key": "x"}, max_attempts=2)
    run_next(worker="a")
    queued.refresh_from_db()
    assert queued.status == JobStatus.QUEUED
    assert queued.attempts == 1
    assert "the portal is down" in queued.last_error
    assert queued.run_at > timezone.now() + timedelta(seconds=20)
    assert run_next(worker="a") is None  # not due yet

    Job.objects.filter(pk=queued.pk).update(run_at=timezone.now())
    run_next(worker="a")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, FAILURES["x"]) == (JobStatus.FAILED, 2, 2)


@pytest.mark.django_db
def test_a_job_left_running_by_a_dead_worker_is_queued_again() -> None:
    enqueue("test.record", {"n": 1}, run_at=timezone.now() - timedelta(hours=4))
    taken = claim(worker="dead", now=timezone.now() - timedelta(hours=3))
    assert taken is not None
    assert requeue_orphans() == 1
    taken.refresh_from_db()
    assert (taken.status, taken.locked_by) == (JobStatus.QUEUED, "")
    assert "dead" in taken.last_error


@pytest.mark.django_db
def test_a_late_finish_by_a_worker_that_lost_its_job_changes_nothing() -> None:
    enqueue("test.record", {"n": 1})
    taken = claim(worker="slow")
    assert taken is not None
    Job.objects.filter(pk=taken.pk).update(locked_by="other")
    fail(taken, error="late")
    taken.refresh_from_db()
    assert (taken.status, taken.last_error) == (JobStatus.RUNNING, "")


@pytest.mark.django_db
def test_the_worker_command_runs_due_jobs_once() -> None:
    for n in range(3):
        enqueue("test.record", {"n": n})
    call_command("worker", "--once", "--no-scheduler")
    assert sorted(RAN) == [0, 1, 2]


@pytest.mark.django_db
def test_sigterm_lets_the_current_job_finish_and_stops_the_worker() -> None:
    stopper = enqueue("test.stop_worker", {})
    later = enqueue("test.record", {"n": 1}, run_at=timezone.now() + timedelta(seconds=1))
    Job.objects.filter(pk=later.pk).update(run_at=stopper.run_at + timedelta(microseconds=1))
    call_command("worker", "--no-scheduler", "--sleep", "0.2")
    stopper.refresh_from_db()
    later.refresh_from_db()
    assert stopper.status == JobStatus.DONE
    assert later.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_a_failing_periodic_producer_does_not_stop_the_others() -> None:
    calls: list[str] = []

    @scheduler.periodic("test.broken")
    def broken(now: Any) -> int:
        raise RuntimeError("bad plan")

    @scheduler.periodic("test.fine")
    def fine(now: Any) -> int:
        calls.append("fine")
        return 1

    try:
        counts = scheduler.tick()
    finally:
        scheduler._PRODUCERS.pop("test.broken")
        scheduler._PRODUCERS.pop("test.fine")
    assert counts["test.broken"] == -1
    assert counts["test.fine"] == 1
    assert calls == ["fine"]
