"""Running a check: open or resume a run, crawl in a thread, record in batches, close it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from steward.audit.services import record
from steward.lib.heap import long_lived
from steward.lib.http import AddressPolicy, run_loop
from steward.organisations.models import Organisation, Person
from steward.quality.crawl.crawler import (
    CrawlConfig,
    ResourceRef,
    ResourceReport,
    crawl,
    largest_hosts_first,
)
from steward.quality.models import (
    CheckKind,
    CheckResult,
    CheckRun,
    ResourceHealth,
    RunStatus,
)

if TYPE_CHECKING:
    pass

from steward.quality.services.recording import Tally, record_results

#: Reports recorded per transaction (fewer, larger statements), and at least every
#: FLUSH_SECONDS while reports come slowly, so an interrupted run loses little.
BATCH = 1000
FLUSH_SECONDS = 5.0
#: Reports handed from the crawl's thread to the recorder at a time (or after this long).
HANDOVER = 64
HANDOVER_SECONDS = 0.05
#: A run still "running" that has recorded nothing for this long was killed.
STALE_AFTER = datetime.timedelta(minutes=15)


class QualityError(Exception):
    """A quality run could not be done (translatable message)."""


# --- running ------------------------------------------------------------------------------------


def _reports_in_thread(
    refs: Iterable[ResourceRef],
    *,
    config: CrawlConfig,
    policy: AddressPolicy | None,
    check: Callable[[Any, Any], ResourceReport] | None,
) -> Iterator[ResourceReport]:
    """Run the crawl in a thread of its own and hand its reports over a bounded queue.

    The database work stays in the calling thread (Django's ORM is synchronous); the queue
    bounds memory when the database is slower than the crawl.
    """
    handover: queue.Queue[Any] = queue.Queue(maxsize=64)
    done = object()
    stop = threading.Event()

    async def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.2)
                return True
            except queue.Full:
                await asyncio.sleep(0)
        return False

    async def produce() -> None:
        # reports go over in lists (a handover per report woke the other thread each time):
        # up to HANDOVER reports, or what came within HANDOVER_SECONDS
        pending: list[ResourceReport] = []
        since = time.monotonic()
        try:
            async for report in crawl(refs, config=config, policy=policy, check=check):
                pending.append(report)
                if len(pending) >= HANDOVER or time.monotonic() - since > HANDOVER_SECONDS:
                    if not await hand_over(pending):
                        return
                    pending, since = [], time.monotonic()
        finally:  # what was checked before an error is recorded too
            if pending:
                await hand_over(pending)

    def finish(item: Any) -> None:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def run() -> None:
        try:
            run_loop(produce())
            finish(done)
        except BaseException as exc:
            finish(exc)

    thread = threading.Thread(target=run, name="quality-crawl", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        thread.join(timeout=30)


@transaction.atomic
def start_run(
    *,
    kind: str,
    by: Person | None,
    organisation: Organisation | None,
    source: str,
    config: dict[str, Any] | None = None,
) -> CheckRun:
    """Open a run (audited)."""
    run = CheckRun.objects.create(
        kind=kind,
        started_by=by if by is not None and by.is_authenticated else None,
        organisation=organisation,
        source=source[:300],
        config=config or {},
        progressed_at=timezone.now(),
    )
    record(
        actor=by,
        action="quality.run_started",
        subject=run,
        organisation=organisation,
        to_state=RunStatus.RUNNING,
        comment=source[:300],
    )
    return run


def run_to_resume(*, kind: str, organisation: Organisation | None, source: str) -> CheckRun | None:
    """The latest run of this scope if it stopped part-way (incomplete, or killed).

    A killed process cannot say so: a run still "running" that has recorded nothing for
    `STALE_AFTER` is taken as killed.
    """
    latest = (
        CheckRun.objects.filter(kind=kind, organisation=organisation, source=source[:300])
        .order_by("-started_at", "-pk")
        .first()
    )
    if latest is None:
        return None
    if latest.status == RunStatus.INCOMPLETE:
        return latest
    heard = latest.progressed_at or latest.started_at
    if latest.status == RunStatus.RUNNING and heard < timezone.now() - STALE_AFTER:
        return latest
    return None


@transaction.atomic
def resume_run(run: CheckRun, *, by: Person | None) -> CheckRun:
    """Reopen an interrupted run, so that the next check goes on where it stopped (audited)."""
    run = CheckRun.objects.select_for_update().get(pk=run.pk)
    before = run.status
    run.status = RunStatus.RUNNING
    run.finished_at = None
    run.progressed_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "progressed_at"])
    record(
        actor=by,
        action="quality.run_resumed",
        subject=run,
        organisation=run.organisation,
        from_state=before,
        to_state=RunStatus.RUNNING,
        comment=run.error[:500],
    )
    return run


def checked_in_run(run: CheckRun) -> dict[str, str]:
    """Resource key → dataset identifier of every resource the run has recorded."""
    return dict(
        CheckResult.objects.filter(entries__run=run).values_list("key", "dataset_identifier")
    )


def run_results(run: CheckRun) -> QuerySet[CheckResult]:
    """The verdicts of every resource checked in `run` (`seen_at`: when the run checked it)."""
    return CheckResult.objects.annotate(
        seen_run=F("entries__run_id"), seen_at=F("entries__checked_at")
    ).filter(seen_run=run.pk)


@transaction.atomic
def finish_run(
    run: CheckRun, *, totals: dict[str, Any], by: Person | None, error: str = ""
) -> CheckRun:
    """Close a run with its totals (audited); with `error`, as incomplete (to be resumed)."""
    before = CheckRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
    run.totals = totals
    run.finished_at = timezone.now()
    run.status = RunStatus.INCOMPLETE if error else RunStatus.DONE
    run.error = error
    run.save(update_fields=["totals", "finished_at", "status", "error"])
    record(
        actor=by,
        action="quality.run_finished",
        subject=run,
        organisation=run.organisation,
        from_state=before or RunStatus.RUNNING,
        to_state=run.status,
        changes={"totals": {"from": None, "to": totals}},
        comment=error[:500],
    )
    return run


def _validator_lookup(refs: Iterable[ResourceRef]) -> Callable[[str], tuple[str, str] | None]:
    """Where a ref's stored validators (ETag, Last-Modified) are looked up.

    A list is looked up by its keys; a lazily read catalogue by a map of every resource
    that has validators (read here: the crawl reads the refs in a thread of its own).
    """
    known: dict[str, tuple[str, str]] = {}
    health = ResourceHealth.objects.exclude(etag="", last_modified="")
    if isinstance(refs, Sequence):
        keys = [ref.key[:200] for ref in refs]
        for start in range(0, len(keys), 2000):
            rows = health.filter(key__in=keys[start : start + 2000])
            known.update(
                (k, (e, m)) for k, e, m in rows.values_list("key", "etag", "last_modified")
            )
    else:
        known.update((k, (e, m)) for k, e, m in health.values_list("key", "etag", "last_modified"))
    return known.get


def _to_crawl(
    refs: Iterable[ResourceRef],
    *,
    done: Collection[str],
    validators: Callable[[str], tuple[str, str] | None],
) -> Iterator[ResourceRef]:
    """The refs still to check (not done in the run being resumed, each key once), with the
    validators that make their requests conditional. Pure: runs in the crawl's thread."""
    seen = set(done)
    for ref in refs:
        key = ref.key[:200]
        if key in seen:
            continue
        seen.add(key)
        stored = validators(key)
        if stored is not None:
            ref = replace(ref, etag=stored[0], last_modified=stored[1])
        yield ref


def check_resources(
    refs: Iterable[ResourceRef],
    *,
    kind: str = CheckKind.ON_DEMAND,
    by: Person | None = None,
    organisation: Organisation | None = None,
    source: str = "",
    config: CrawlConfig | None = None,
    policy: AddressPolicy | None = None,
    check: Callable[[Any, Any], ResourceReport] | None = None,
    on_report: Callable[[ResourceReport], None] | None = None,
) -> CheckRun:
    """Check every resource of `refs` and record the run (see the module docstring).

    `on_report` sees each report once it is stored (the CLI writes its JSON and text there).
    A list of refs is crawled largest hosts first (`largest_hosts_first`); a resource checked
    before is asked for conditionally. When the last run of the same scope (kind,
    organisation, source) stopped part-way, this run resumes it: the same `CheckRun` goes
    on, skipping what it has recorded. A failure part-way (an error, an interrupt) records
    what was checked, leaves the run incomplete, and re-raises.
    """
    config = replace(config or CrawlConfig(), fingerprints=True)
    interrupted = run_to_resume(kind=kind, organisation=organisation, source=source)
    done: dict[str, str] = {}
    if interrupted is not None:
        run = resume_run(interrupted, by=by)
        done = checked_in_run(run)
        tally = Tally(run.totals, datasets=done.values())
        tally.counter["resumed"] += 1
    else:
        run = start_run(
            kind=kind,
            by=by,
            organisation=organisation,
            source=source,
            config={
                key: value
                for key, value in asdict(config).items()
                if isinstance(value, int | float | str)
            },
        )
        tally = Tally()
    validators = _validator_lookup(refs)
    if isinstance(refs, Sequence):
        refs = largest_hosts_first(refs)
    batch: list[ResourceReport] = []

    def flush() -> None:
        nonlocal batch
        if not batch:
            return
        reports, batch = batch, []
        recorded = record_results(run, reports, tally=tally, whole_reports=on_report is not None)
        for report in recorded:
            if on_report is not None:
                on_report(report)

    flushed = time.monotonic()
    try:
        # the refs and their validators live for the whole run (`long_lived`)
        with long_lived():
            for report in _reports_in_thread(
                _to_crawl(refs, done=done, validators=validators),
                config=config,
                policy=policy,
                check=check,
            ):
                batch.append(report)
                if len(batch) >= BATCH or time.monotonic() - flushed > FLUSH_SECONDS:
                    flush()
                    flushed = time.monotonic()
            flush()
    except BaseException as exc:
        with contextlib.suppress(Exception):
            flush()
        finish_run(run, totals=tally.totals(), by=by, error=str(exc) or type(exc).__name__)
        raise
    return finish_run(run, totals=tally.totals(), by=by)


def latest_runs(runs: Any) -> list[CheckRun]:
    """The latest finished run per organisation among `runs` (a scoped queryset)."""
    finished = runs.filter(~Q(status=RunStatus.RUNNING))
    newest = (
        CheckRun.objects.filter(~Q(status=RunStatus.RUNNING))
        .filter(organisation=OuterRef("organisation"))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    # One query, whatever the number of runs kept: each organisation's newest finished run.
    latest = finished.filter(organisation__isnull=False, pk=Subquery(newest))
    orphan = finished.filter(organisation__isnull=True).order_by("-started_at", "-pk")[:1]
    return list(latest.select_related("organisation").order_by("-started_at", "-pk")) + list(orphan)


# --- scope and requests -------------------------------------------------------------------------


def visible_runs(person: Person) -> Any:
    """Runs `person` may see (a run without an organisation: superusers only)."""
    from steward.organisations.scope import Action, scope_q

    return CheckRun.objects.filter(scope_q(person, Action.VIEW)).select_related("organisation")


def run_for(person: Person, pk: int) -> CheckRun:
    """The run `pk` if `person` may see it, else 404."""
    from django.http import Http404
    from django.utils.translation import gettext as _

    try:
        return visible_runs(person).get(pk=pk)
    except CheckRun.DoesNotExist:
        raise Http404(_("No such quality check run in your scope.")) from None


@transaction.atomic
def request_check(*, organisation: Organisation, by: Person) -> Any:
    """Queue an on-demand check of `organisation`'s open resources (needs quality.run)."""
    from steward.jobs.services import enqueue
    from steward.organisations.scope import Action, require

    require(by, Action.QUALITY_RUN, organisation)
    job = enqueue(
        "quality.check_agency",
        {"organisation_id": organisation.pk, "kind": CheckKind.ON_DEMAND, "by": by.pk},
    )
    record(
        actor=by,
        action="quality.check_requested",
        subject=job,
        organisation=organisation,
        to_state=job.status,
    )
    return job
