"""Enqueueing, claiming and finishing jobs: every state change of a Job lives here.

Claiming is atomic on both databases:

* PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks a due row no other worker holds,
  so many workers on many machines never take the same job and never wait on each other.
* SQLite (no row locks): a conditional `UPDATE … WHERE status='queued'` on the chosen row;
  the worker that changes one row has it, the other tries the next candidate.

Jobs are small and frequent, so the audit trail records only failures (not every run).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from steward.jobs.models import Job, JobStatus
from steward.jobs.registry import handler_for

logger = logging.getLogger(__name__)

#: A running job whose worker has not finished it within this time is taken to be orphaned.
DEFAULT_LEASE = timedelta(hours=2)
#: First retry after this; doubles each attempt.
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=6)


T = TypeVar("T")


def _retrying_when_locked(operation: Callable[[], T], *, tries: int = 50) -> T:
    """Run `operation`, retrying while SQLite reports its lock is busy.

    PostgreSQL never needs this (row locks, SKIP LOCKED). SQLite serialises writers and,
    for shared-cache databases, reports contention at once instead of waiting.
    """
    for attempt in range(tries):
        try:
            return operation()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = 3,
) -> Job:
    """Queue a job of `kind`. With `unique_key`, an existing job of that key is returned instead."""
    if handler_for(kind) is None:
        raise ValueError(f"no handler is registered for job kind {kind!r}")
    fields = {
        "kind": kind,
        "payload": payload or {},
        "run_at": run_at or timezone.now(),
        "max_attempts": max_attempts,
        "unique_key": unique_key or "",
    }
    if not unique_key:
        return Job.objects.create(**fields)
    try:
        with transaction.atomic():
            return Job.objects.create(**fields)
    except IntegrityError:
        return Job.objects.get(unique_key=unique_key)


def _due(now: datetime) -> Any:
    return Job.objects.filter(status=JobStatus.QUEUED, run_at__lte=now).order_by("run_at", "pk")


def claim(
    *, worker: str, now: datetime | None = None, kinds: list[str] | None = None
) -> Job | None:
    """Take the next due job for `worker`, atomically; None when nothing is due."""
    moment = now or timezone.now()
    return _retrying_when_locked(lambda: _claim(worker, moment, kinds))


def _claim(worker: str, now: datetime, kinds: list[str] | None) -> Job | None:
    due = _due(now)
    if kinds:
        due = due.filter(kind__in=kinds)
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            job = due.select_for_update(skip_locked=True).first()
            if job is None:
                return None
            job.status = JobStatus.RUNNING
            job.locked_by = worker
            job.locked_at = now
            job.attempts += 1
            job.save(update_fields=["status", "locked_by", "locked_at", "attempts"])
            return job
    for candidate in due.values_list("pk", flat=True)[:20]:
        with transaction.atomic():
            taken = Job.objects.filter(pk=candidate, status=JobStatus.QUEUED).update(
                status=JobStatus.RUNNING, locked_by=worker, locked_at=now
            )
            if taken:
                job = Job.objects.get(pk=candidate)
                job.attempts += 1
                job.save(update_fields=["attempts"])
                return job
    return None


def complete(job: Job, *, result: dict[str, Any] | None = None) -> None:
    """Mark a claimed job done."""
    updated = _retrying_when_locked(
        lambda: Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, locked_by=job.locked_by
        ).update(
            status=JobStatus.DONE, result=result or {}, finished_at=timezone.now(), last_error=""
        )
    )
    if not updated:
        logger.warning("job %s was taken from %s before it finished", job.pk, job.locked_by)


def retry_delay(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def fail(job: Job, *, error: str, now: datetime | None = None) -> None:
    """Record a failed attempt: queue again with back-off, or fail for good after the last."""
    now = now or timezone.now()
    if job.attempts < job.max_attempts:
        status, run_at, finished = JobStatus.QUEUED, now + retry_delay(job.attempts), None
    else:
        status, run_at, finished = JobStatus.FAILED, job.run_at, now
    _retrying_when_locked(
        lambda: Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, locked_by=job.locked_by
        ).update(
            status=status, run_at=run_at, last_error=error[-10_000:], finished_at=finished,
            locked_by="", locked_at=None,
        )
    )  # fmt: skip


def requeue_orphans(*, lease: timedelta = DEFAULT_LEASE, now: datetime | None = None) -> int:
    """Running jobs whose lease has run out (their worker died) count as a failed attempt."""
    now = now or timezone.now()
    count = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING, locked_at__lt=now - lease):
        fail(job, error=f"worker {job.locked_by} stopped without finishing", now=now)
        count += 1
    return count


def run_job(job: Job) -> bool:
    """Run a claimed job's handler; True when it succeeded."""
    handler = handler_for(job.kind)
    if handler is None:
        fail(job, error=f"no handler is registered for job kind {job.kind!r}")
        return False
    try:
        result = handler(dict(job.payload))
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fail(job, error=traceback.format_exc())
        return False
    complete(job, result=result if isinstance(result, dict) else {})
    return True


def run_next(*, worker: str, kinds: list[str] | None = None) -> Job | None:
    """Claim and run one due job; returns it (or None when nothing was due)."""
    job = claim(worker=worker, kinds=kinds)
    if job is not None:
        run_job(job)
        _retrying_when_locked(job.refresh_from_db)
    return job
