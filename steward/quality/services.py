"""Running the quality checks (品質檢核) and recording them: every state change of quality.

`check_resources(refs, kind=..., by=..., ...)` is the one entry point used by the CLI
(`steward check`), the background jobs (2-1 self-check, 2-2 spot check) and the pages: it
opens a `CheckRun`, crawls and checks every resource, stores one `CheckResult` each, folds
the outcome into each resource's `ResourceHealth`, and closes the run with its totals, with
an audit event at the start and at the end.

Where the resources come from:

* `refs_from_catalogue(stream)` — a national-portal catalogue export CSV (22 columns);
* `refs_from_database(organisation=...)` — open datasets in our own database
  (`steward.datasets.models.Resource`).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import queue
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import asdict
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from steward.audit.services import record
from steward.lib.http import AddressPolicy, run_loop
from steward.organisations.models import Organisation, Person
from steward.quality.crawler import CrawlConfig, ResourceRef, ResourceReport, crawl
from steward.quality.fetch import State
from steward.quality.models import (
    CheckKind,
    CheckResult,
    CheckRun,
    ResourceHealth,
    RunStatus,
)

if TYPE_CHECKING:
    from steward.datasets.models import Dataset

BATCH = 200


class QualityError(Exception):
    """A quality run could not be done (translatable message)."""


# --- where resources come from ----------------------------------------------------------------


def _organisation_index() -> dict[str, int]:
    """Publisher names (提供機關) → organisation ids, for catalogue rows."""
    index: dict[str, int] = {}
    for pk, name, short_name in Organisation.objects.values_list("pk", "name", "short_name"):
        for label in (name, short_name):
            if label:
                index.setdefault(label.strip(), pk)
    return index


#: Characters of the dataset identifier kept in a catalogue resource key (the key is ≤ 200).
KEY_IDENTIFIER_CHARS = 180
#: Hex digits of the download URL's hash in a catalogue resource key (48 bits).
KEY_HASH_CHARS = 12
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalise_download_url(url: str) -> str:
    """A download URL as compared across runs.

    Trimmed, scheme and host lower-cased, the default port and the fragment dropped, an
    empty path made "/". The path and query are kept as they are: servers may treat their
    case and order as meaningful.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.lower().rpartition(":")
    if not colon or "]" in port:  # no port (or the end of an IPv6 literal)
        host, port = hostport.lower(), ""
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    netloc = f"{userinfo}{at}{host}" + (f":{port}" if port else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def catalogue_resource_key(identifier: str, url: str) -> str:
    """The stable key of a catalogue resource: dataset identifier + a hash of its URL.

    The export has no resource IDs. Keying by position (`…#2`) made a resource's history
    (`ResourceHealth`) jump to its neighbour whenever a resource was added or removed
    before it; the normalised download URL stays with the resource. At most 193 characters.
    """
    digest = hashlib.sha256(normalise_download_url(url).encode("utf-8")).hexdigest()
    return f"{identifier.strip()[:KEY_IDENTIFIER_CHARS]}#{digest[:KEY_HASH_CHARS]}"


def refs_from_catalogue(
    stream: IO[Any], *, organisations: dict[str, int] | None = None
) -> Iterator[ResourceRef]:
    """One `ResourceRef` per resource of a catalogue export, read lazily.

    The export has no resource IDs, so a resource's key is the dataset identifier and a
    short hash of its normalised download URL (`A17000000J-000123#3f2a9c01b7de`, see
    `catalogue_resource_key`). The same URL twice under one identifier (or a repeated
    identifier) gets `.2`, `.3`… in the order met, so keys stay unique within a run.
    Catalogue format errors propagate (`CatalogueFormatError`, with the row).
    """
    from steward.datasets.standard import read_catalogue

    index = organisations if organisations is not None else {}
    seen: Counter[str] = Counter()
    for row in read_catalogue(stream):
        for resource in row.resources or []:
            key = catalogue_resource_key(row.identifier, resource.download_url)
            seen[key] += 1
            if seen[key] > 1:
                key = f"{key}.{seen[key]}"
            yield ResourceRef(
                key=key,
                url=resource.download_url.strip(),
                dataset_identifier=row.identifier,
                dataset_title=row.title,
                publisher=row.publisher,
                declared_format=resource.format,
                declared_encoding=resource.encoding,
                field_description=row.field_description,
                update_frequency=row.update_frequency,
                modified=row.metadata_modified_at,
                organisation_id=index.get(row.publisher.strip()),
                metadata={
                    "quality_mark": row.quality_mark,
                    "licence": row.licence,
                    "description": row.description,
                    "category": row.category,
                    "contact_name": row.contact_name,
                    "contact_phone": row.contact_phone,
                    "amount": resource.amount,
                    "row": row.row,
                },
            )


def open_datasets_query(
    *, on: datetime.date, organisations: Iterable[int] | None = None, withdrawn_after: bool = False
) -> QuerySet[Dataset]:
    """Datasets open (開放) at the end of day `on`, optionally of some organisations only.

    Open means published on or before `on` (its 發布時間 `issued`, else its first published
    version) and not withdrawn: on the portal now. With `withdrawn_after`, a dataset withdrawn
    since (its public notice dated after `on`) also counts, for looking back at a period.
    """
    from steward.datasets.models import Dataset, DatasetVersion, Withdrawal
    from steward.datasets.workflow import ON_PORTAL, Status

    end = timezone.make_aware(
        datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time())
    )
    first_published = (
        DatasetVersion.objects.filter(dataset=OuterRef("pk"))
        .order_by("published_at")
        .values("published_at")[:1]
    )
    still_open = Q(status__in=list(ON_PORTAL))
    if withdrawn_after:
        still_open |= Q(
            Exists(Withdrawal.objects.filter(dataset=OuterRef("pk"), notice_published_on__gt=on)),
            status=Status.WITHDRAWN,
        )
    datasets = Dataset.objects.annotate(
        published_at=Coalesce("issued", Subquery(first_published))
    ).filter(still_open, published_at__lt=end)
    if organisations is not None:
        datasets = datasets.filter(organisation_id__in=list(organisations))
    return datasets.order_by("identifier")


def refs_from_database(
    *,
    organisation: Organisation | None = None,
    due_only: bool = False,
    datasets: Collection[int] | None = None,
) -> list[ResourceRef]:
    """One `ResourceRef` per resource of the open datasets (on the portal) in our database.

    `organisation` limits to its subtree; `due_only` keeps resources whose health says a
    check is due (or that were never checked); `datasets` keeps those datasets (ids) only.
    A list, read here in the caller's thread: the crawl runs in a thread of its own where
    the ORM must not be used (a ministry's resources are thousands of small objects, not a
    memory concern).
    """
    return list(_database_refs(organisation=organisation, due_only=due_only, datasets=datasets))


def _database_refs(
    *, organisation: Organisation | None, due_only: bool, datasets: Collection[int] | None
) -> Iterator[ResourceRef]:
    from steward.datasets.models import Resource
    from steward.datasets.workflow import ON_PORTAL

    resources = Resource.objects.filter(dataset__status__in=list(ON_PORTAL)).select_related(
        "dataset", "dataset__organisation"
    )
    if organisation is not None:
        resources = resources.filter(dataset__organisation__path__startswith=organisation.path)
    if datasets is not None:
        resources = resources.filter(dataset_id__in=list(datasets))
    if due_only:
        not_due = ResourceHealth.objects.filter(next_check_due__gt=timezone.now()).values("key")
        resources = resources.exclude(resourceID__in=not_due)
    for resource in resources.order_by("pk").iterator(chunk_size=500):
        dataset = resource.dataset
        modified = resource.resourceModified or dataset.modified
        yield ResourceRef(
            key=resource.resourceID,
            url=(resource.downloadURL or resource.accessURL).strip(),
            dataset_identifier=dataset.identifier,
            dataset_title=dataset.title,
            publisher=dataset.publisher or str(dataset.organisation),
            declared_format=resource.format,
            declared_encoding=resource.characterSetCode,
            field_description=dataset.fieldDescription,
            update_frequency=dataset.accrualPeriodicity,
            modified=modified.strftime("%Y-%m-%d %H:%M:%S") if modified else "",
            organisation_id=dataset.organisation_id,
            resource_id=resource.pk,
            metadata={"licence": dataset.license, "description": dataset.description},
        )


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
    handover: queue.Queue[Any] = queue.Queue(maxsize=1000)
    done = object()
    stop = threading.Event()

    async def produce() -> None:
        async for report in crawl(refs, config=config, policy=policy, check=check):
            while True:
                if stop.is_set():
                    return
                try:
                    handover.put(report, timeout=0.2)
                    break
                except queue.Full:
                    await asyncio.sleep(0)

    def run() -> None:
        try:
            run_loop(produce())
            handover.put(done)
        except BaseException as exc:
            handover.put(exc)

    thread = threading.Thread(target=run, name="quality-crawl", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


def _totals(counter: Counter[str], marks: Counter[str], stars: Counter[str]) -> dict[str, Any]:
    checked = counter["checked"]
    return {
        "checked": checked,
        "ok": counter[State.OK.value],
        "broken": counter[State.BROKEN.value],
        "unknown": counter[State.UNKNOWN.value],
        "datasets": counter["datasets"],
        "marks": dict(marks),
        "stars": dict(stars),
        "three_star_or_more": sum(n for s, n in stars.items() if s.isdigit() and int(s) >= 3),
        "not_timely": counter["not_timely"],
        "encoding_mismatch": counter["encoding_mismatch"],
        "fields_mismatch": counter["fields_mismatch"],
        "with_personal_data": counter["pii"],
    }


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


@transaction.atomic
def record_results(run: CheckRun, reports: list[ResourceReport]) -> list[CheckResult]:
    """Store a batch of reports and fold them into each resource's health."""
    now = timezone.now()
    results = [
        CheckResult(
            run=run,
            organisation_id=report.ref.organisation_id,
            key=report.ref.key[:200],
            url=report.ref.url[:2000],
            dataset_identifier=report.ref.dataset_identifier[:40],
            title=report.ref.dataset_title[:300],
            publisher=report.ref.publisher[:200],
            state=report.state.value,
            reason=report.reason[:40],
            explanation=report.explanation,
            http_status=report.fetch.status,
            detected_format=report.detected_format[:20],
            detected_encoding=report.detected_encoding[:20],
            mark=report.mark[:10],
            stars=report.stars,
            timely=report.timely,
            flags=report.flags,
            pii=report.pii,
            details={
                "how_to_fix": report.how_to_fix,
                "findings": report.findings,
                "fetch": report.fetch.as_dict(),
                "encoding_matches": report.encoding_matches,
                "fields_match": report.fields_match,
                "checks": report.checks,
                "declared": {
                    "format": report.ref.declared_format,
                    "encoding": report.ref.declared_encoding,
                },
            },
            checked_at=now,
        )
        for report in reports
    ]
    CheckResult.objects.bulk_create(results)
    keys = [report.ref.key[:200] for report in reports]
    health = {h.key: h for h in ResourceHealth.objects.filter(key__in=keys)}
    new: list[ResourceHealth] = []
    for report in reports:
        key = report.ref.key[:200]
        entry = health.get(key)
        if entry is None:
            entry = health[key] = ResourceHealth(key=key)
            new.append(entry)
        entry.url = report.ref.url[:2000]
        entry.organisation_id = report.ref.organisation_id
        entry.dataset_identifier = report.ref.dataset_identifier[:40]
        entry.observe(report.state.value, report.reason[:40], at=now)
    ResourceHealth.objects.bulk_create(new)
    existing = [entry for entry in health.values() if entry.pk is not None and entry not in new]
    ResourceHealth.objects.bulk_update(
        existing,
        [
            "url", "organisation", "dataset_identifier", "last_state", "last_reason",
            "last_checked_at", "last_success_at", "first_failure_at", "consecutive_failures",
            "consecutive_unknown", "consecutive_ok", "checks", "next_check_due",
        ],
    )  # fmt: skip
    return results


@transaction.atomic
def finish_run(
    run: CheckRun, *, totals: dict[str, Any], by: Person | None, error: str = ""
) -> CheckRun:
    """Close a run with its totals (audited)."""
    run.totals = totals
    run.finished_at = timezone.now()
    run.status = RunStatus.FAILED if error else RunStatus.DONE
    run.error = error
    run.save(update_fields=["totals", "finished_at", "status", "error"])
    record(
        actor=by,
        action="quality.run_finished",
        subject=run,
        organisation=run.organisation,
        from_state=RunStatus.RUNNING,
        to_state=run.status,
        changes={"totals": {"from": None, "to": totals}},
        comment=error[:500],
    )
    return run


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

    `on_report` sees each report as it is stored (the CLI writes its JSON and text there).
    A failure part-way (e.g. a broken catalogue row) closes the run as failed, keeping what
    was recorded, and re-raises.
    """
    config = config or CrawlConfig()
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
    counter: Counter[str] = Counter()
    marks: Counter[str] = Counter()
    stars: Counter[str] = Counter()
    datasets: set[str] = set()
    batch: list[ResourceReport] = []
    try:
        for report in _reports_in_thread(refs, config=config, policy=policy, check=check):
            counter["checked"] += 1
            counter[report.state.value] += 1
            if report.mark:
                marks[report.mark] += 1
            if report.stars is not None:
                stars[str(report.stars)] += 1
            counter["not_timely"] += report.timely is False
            counter["encoding_mismatch"] += report.encoding_matches is False
            counter["fields_mismatch"] += report.fields_match is False
            counter["pii"] += bool(report.pii)
            if report.ref.dataset_identifier not in datasets:
                datasets.add(report.ref.dataset_identifier)
                counter["datasets"] += 1
            batch.append(report)
            if on_report is not None:
                on_report(report)
            if len(batch) >= BATCH:
                record_results(run, batch)
                batch = []
        if batch:
            record_results(run, batch)
    except Exception as exc:
        if batch:
            record_results(run, batch)
        finish_run(run, totals=_totals(counter, marks, stars), by=by, error=str(exc))
        raise
    return finish_run(run, totals=_totals(counter, marks, stars), by=by)


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
